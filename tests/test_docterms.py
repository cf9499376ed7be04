"""Token tables (index.storage.docterms) index exactly what Whoosh's add_document indexes."""

from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.analysis import Filter, RegexTokenizer
from whoosh.formats import Frequency, Positions

import index.fields as fields_mod
import index.storage.writers as writers
from index.analysis import analyzer_for, spelling_analyzer
from index.fields import Field, Fields
from index.ingest.documents import Document
from index.storage import rebuild, update
from index.storage.docterms import NotLocal, TokenTable, field_postings, table_for
from index.storage.schema import make_schema

from test_bulk import answers, corpus, segment_parts

# Words whose analysis depends on more than a plain lookup: stopwords at the start, the end
# and in runs (positions shift), hyphens and apostrophes (whole + parts), numbers with
# separators, acronyms that look like stopwords, Dutch compounds, accents (NFC and NFD),
# invisible characters, a name with a zero-width joiner, a 64+ character "word".
HARD = [
    "De de het een van Wit-Rusland's grensgebieden en de-facto afspraken; 130.000 mensen",
    "The US and the WHO said the e-mail was breath-taking, not a the of and",
    "Oekraïne Oekrai\u0308ne Poe\u200dtin Poe\u200btin zo'n foto's Putin's rock-'n-roll",
    "1,234.5 1.234,5 12abc 3.5x 2020-2024 -- --- ' '' a- -a 'a a'",
    "kleinkinderen fietsen gasprijzen minsk-akkoorden de-het-een een-de",
    "x" * 70 + " " + "Poetin" * 12 + " " + "a-" * 40 + "b",
    "het de een",  # only stopwords
    "." * 2000,
    "",
    "één",
]


def hard_docs():
    docs = []
    for i, text in enumerate(HARD):
        for lang in ("nl", "en"):
            title = HARD[(i + 3) % len(HARD)][:80]
            docs.append(Document(id=f"h{i}{lang}", language=lang, language_confidence=1.0,
                                 title=title, text=text, original=text, date="2024-01-02",
                                 fields={"summary": text[::-1], "tags": ["Één", "b"]}))
    return docs


@pytest.fixture
def summary_field(monkeypatch):
    """A declared text field beside title and body."""
    monkeypatch.setattr(fields_mod, "_active", Fields([Field("summary", "text")]))


def _whoosh_values(analyzer, value, fmt):
    return {w: (freq, weight, vbytes) for w, freq, weight, vbytes
            in fmt.word_values(value, analyzer, mode="index")}


@pytest.mark.parametrize("lang", ["nl", "en"])
@pytest.mark.parametrize("text", HARD + ["\n".join(HARD)])
def test_token_table_gives_whoosh_word_values(lang, text):
    for analyzer, fmt, kind in ((analyzer_for(lang), Positions(), "positions"),
                                (spelling_analyzer(lang), Frequency(), "frequency")):
        field = type("F", (), {"analyzer": analyzer, "format": fmt})
        terms, weights, values, length = field_postings(field, kind, text)
        expected = _whoosh_values(analyzer, text, fmt)
        assert {t: (w, v) for t, w, v in zip(terms, weights, values)} == {
            t: (weight, vbytes) for t, (_, weight, vbytes) in expected.items()}
        assert length == sum(freq for freq, _, _ in expected.values())


def test_analyzers_that_are_not_word_local_are_left_to_whoosh():
    assert table_for(RegexTokenizer()) is None
    assert table_for(analyzer_for("nl")) is table_for(analyzer_for("nl"))

    class Boost(Filter):
        def __call__(self, tokens):
            for t in tokens:
                t.boost = 2.0
                yield t

    with pytest.raises(NotLocal):
        TokenTable(analyzer_for("en") | Boost()).positions("boosted words")


def _postings(root: Path) -> dict:
    """Per language and field: term -> [(docnum, weight, value)], plus lengths and stored."""
    out = {}
    for lang in ("nl", "en"):
        ix = whoosh_index.open_dir(str(root / "current" / lang))
        with ix.searcher() as s:
            r = s.reader()
            for fieldname, btext in r.all_terms():
                m = r.postings(fieldname, btext)
                items = []
                while m.is_active():
                    items.append((m.id(), m.weight(), m.value()))
                    m.next()
                out[lang, fieldname, btext] = items
            for docnum in range(r.doc_count_all()):
                out[lang, "stored", docnum] = r.stored_fields(docnum)
                for fieldname in ("title", "body", "spell", "summary"):
                    out[lang, "length", fieldname, docnum] = r.doc_field_length(docnum,
                                                                                fieldname)
    return out


def _build(root, docs, monkeypatch, on: bool, procs: int = 0):
    monkeypatch.setattr(writers, "BULK_ANALYSIS", on)
    monkeypatch.setattr(writers, "PARALLEL_MIN_DOCS", 0 if procs else 10**9)
    return rebuild(root, docs)


@pytest.mark.parametrize("procs", [0, 1], ids=["in-process", "worker-processes"])
def test_segments_equal_whoosh_add_document_term_by_term(tmp_path, monkeypatch, summary_field,
                                                         procs):
    docs = hard_docs() + corpus(120)
    _build(tmp_path / "tables", docs, monkeypatch, True, procs)
    _build(tmp_path / "whoosh", docs, monkeypatch, False, procs)
    tables, plain = _postings(tmp_path / "tables"), _postings(tmp_path / "whoosh")
    assert tables.keys() == plain.keys()
    for key in plain:
        assert tables[key] == plain[key], key
    assert any(key[1] == "summary" for key in plain)  # the declared text field was indexed
    assert segment_parts(tmp_path / "tables") == segment_parts(tmp_path / "whoosh")


def test_updates_and_merges_answer_the_same(tmp_path, monkeypatch, summary_field):
    results = {}
    for on in (True, False):
        root = tmp_path / str(on)
        monkeypatch.setattr(writers, "BULK_ANALYSIS", on)
        rebuild(root, corpus(60))
        for i in range(12):  # small updates: Whoosh merges the small segments
            update(root, corpus(8, seed=100 + i)[i % 8:] + hard_docs()[i:i + 2])
        results[on] = answers(root)
    assert results[True] == results[False]


def test_schema_with_a_field_added_later_is_followed(tmp_path, monkeypatch):
    """A writer whose schema gains a field (a field declared after the build) indexes it."""
    monkeypatch.setattr(writers, "BULK_ANALYSIS", True)
    root = tmp_path / "ix"
    rebuild(root, corpus(10))
    monkeypatch.setattr(fields_mod, "_active", Fields([Field("summary", "text")]))
    update(root, hard_docs()[:4])
    ix = whoosh_index.open_dir(str(root / "current" / "nl"))
    assert "summary" in ix.schema
    with ix.searcher() as s:
        assert list(s.reader().field_terms("summary"))
    assert make_schema("nl")  # the schema still builds


def test_equal_analyzers_share_one_table():
    """Every server write opens the index (new, equal analyzer objects): one table, no leak."""
    import pickle

    copies = [pickle.loads(pickle.dumps(analyzer_for("nl"))) for _ in range(200)]
    assert all(a == analyzer_for("nl") and a is not analyzer_for("nl") for a in copies)
    tables = {id(table_for(a)) for a in copies}
    assert tables == {id(table_for(analyzer_for("nl")))}
    assert table_for(spelling_analyzer("nl")) is not table_for(analyzer_for("nl"))
