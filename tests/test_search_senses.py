"""Sense weighting at query time: co-occurrence in the index picks a word's translation."""

import pytest

from index.analysis import LANGUAGES
from index.crosslink.lexicon import Lexicon
from index.ingest.documents import Document
from index.search import SearchRequest, pipeline, search, senses
from index.search.query import parse_query
from index.storage import IndexReader, rebuild

EN = {"e1": "The church service in the village was full.",
      "e2": "The church choir sang in the village square.",
      "e3": "Captain Kirk commanded the starship.",
      "e4": "Kirk flew the starship with his captain to a planet.",
      "e5": "Kirk Kirk Kirk.",
      "e6": "The old church bell rang at noon."}
NL = {"n1": "De kerk in het dorp was vol."}


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    root = tmp_path_factory.mktemp("senses")
    docs = [Document(id=i, language=lang, language_confidence=1.0, title="", text=t, original=t)
            for lang, texts in (("en", EN), ("nl", NL)) for i, t in texts.items()]
    rebuild(root, docs)
    reader = IndexReader(root)
    yield reader
    reader.close()


@pytest.fixture
def lexicon():
    lex = Lexicon()
    lex.add_pair("kerk", "kirk", 0.64, "dictionary", "kerk", "kirk")
    lex.add_pair("kerk", "church", 0.36, "dictionary", "kerk", "church")
    lex.add_pair("dorp", "villag", 0.8, "dictionary", "dorp", "village")
    lex.add_pair("kapitein", "captain", 0.8, "dictionary", "kapitein", "captain")
    return lex


@pytest.fixture
def cooccurrence_only(monkeypatch):
    monkeypatch.setattr(senses, "USE_EVIDENCE", False)


def weights(reader, lexicon, q):
    """The English synonym set of each query word after sense weighting."""
    node = parse_query(q)
    searchers = reader.searchers()
    compilers = {lang: pipeline._Compiler(lang, "nl", lexicon, True) for lang in LANGUAGES}
    for compiler in compilers.values():
        compiler.compile(node)
    changes = senses.reweigh(compilers, searchers, lexicon)
    return {e.word.text: e.weights() for e in compilers["en"].expansions}, changes


def test_the_translation_that_meets_the_other_words_wins(reader, lexicon, cooccurrence_only):
    village, changes = weights(reader, lexicon, "kerk dorp")
    assert village["kerk"]["kirk"] < village["kerk"]["church"]
    assert any(c[1] == "kirk" and c[4] == "cooccurrence" for c in changes)
    # The same word beside another context: now "church" is the sense that meets nothing.
    captain, _ = weights(reader, lexicon, "kerk kapitein")
    assert captain["kerk"]["kirk"] == 0.64 and captain["kerk"]["church"] < 0.36


def test_one_word_queries_and_unreadable_postings_change_nothing(reader, lexicon,
                                                                cooccurrence_only, monkeypatch):
    alone, changes = weights(reader, lexicon, "kerk")
    assert alone["kerk"]["kirk"] == 0.64 and changes == []
    monkeypatch.setattr(senses, "MAX_POSTINGS", 1)  # every list too long to read: no evidence
    bounded, changes = weights(reader, lexicon, "kerk dorp")
    assert bounded["kerk"]["kirk"] == 0.64 and changes == []


def test_long_queries_are_left_alone(reader, lexicon, cooccurrence_only, monkeypatch):
    monkeypatch.setattr(senses, "MAX_WORDS", 1)
    long, changes = weights(reader, lexicon, "kerk dorp")
    assert long["kerk"]["kirk"] == 0.64 and changes == []


def test_translations_in_few_documents_are_not_judged(reader, lexicon, cooccurrence_only,
                                                      monkeypatch):
    monkeypatch.setattr(senses, "MIN_DOCS", 4)  # kirk is in 3 documents: not judged
    few, changes = weights(reader, lexicon, "kerk dorp")
    assert few["kerk"]["kirk"] == 0.64 and changes == []


def test_search_uses_it_end_to_end(reader, lexicon, monkeypatch):
    request = SearchRequest(q="kerk dorp", lang="en", limit=10, typo=False)

    def scores():
        return {h["id"]: h["score"] for h in search(reader, request, lexicon=lexicon)["hits"]}

    on = scores()
    monkeypatch.setattr(senses, "ENABLED", False)
    off = scores()
    assert on["e5"] < off["e5"]  # the kirk-only document loses, the village ones do not
    assert on["e1"] == pytest.approx(off["e1"]) and on["e2"] == pytest.approx(off["e2"])
    assert search(reader, SearchRequest(q="kerk dorp", lang="en", crosslingual=False),
                  lexicon=lexicon)["hits"] == []


def test_documents_in_several_segments(tmp_path, lexicon, cooccurrence_only):
    from index.storage import update

    def doc(i, text):
        return Document(id=i, language="en", language_confidence=1.0, title="", text=text,
                        original=text)

    rebuild(tmp_path, [doc(i, EN[i]) for i in ("e3", "e4", "e5", "e6")])
    update(tmp_path, [doc("e1", EN["e1"]), doc("e2", EN["e2"])])
    reader = IndexReader(tmp_path)
    try:
        assert len(reader.searchers()["en"].leaf_searchers()) > 1  # church docs in two segments
        village, changes = weights(reader, lexicon, "kerk dorp")
        assert village["kerk"]["kirk"] < village["kerk"]["church"]
    finally:
        reader.close()


def test_configure_sets_the_mode_and_rejects_others(monkeypatch):
    for name in ("ENABLED", "USE_EVIDENCE", "USE_COOCCURRENCE"):
        monkeypatch.setattr(senses, name, getattr(senses, name))  # restored after the test
    senses.configure("evidence")
    assert senses.ENABLED and senses.USE_EVIDENCE and not senses.USE_COOCCURRENCE
    senses.configure("off")
    assert not senses.ENABLED
    senses.configure("on")
    assert senses.ENABLED and senses.USE_COOCCURRENCE
    with pytest.raises(ValueError, match="use one of on, evidence, off"):
        senses.configure("maybe")
