import pickle

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import TEXT, Schema

from index.analysis import analyze, analyzer_for, fold, language_analyzer, normalize_number


@pytest.mark.parametrize("language,text,expected", [
    ("nl", "foto's", ["foto"]),
    ("nl", "regio's", ["regio"]),
    ("en", "Putin\u2019s", ["putin"]),
    ("nl", "Oekraïne", analyze("nl", "Oekraine")),
    ("nl", "130.000", ["130000"]),
    ("en", "130,000", ["130000"]),
    ("nl", "2,5", ["2.5"]),
    ("en", "2.5", ["2.5"]),
    ("nl", "1.000.000", ["1000000"]),
    ("en", "1,234.5", ["1234.5"]),
])
def test_surface_forms(language, text, expected):
    assert analyze(language, text) == expected


def test_number_normalization_depends_on_language():
    assert normalize_number("1.234", "nl") == "1234"
    assert normalize_number("1.234", "en") == "1.234"
    assert normalize_number("1,234", "en") == "1234"
    assert normalize_number("1,234", "nl") == "1.234"


def test_hyphenated_word_is_indexed_whole_and_by_parts():
    tokens = [(t.text, t.pos) for t in analyzer_for("nl")("Wit-Rusland", positions=True,
                                                           mode="index")]
    assert tokens == [("witrusland", 0), ("wit", 0), ("rusland", 1)]
    # A query for the whole word uses only the whole.
    assert analyze("nl", "Wit-Rusland") == ["witrusland"]


def test_hyphenated_whole_is_stemmed_as_the_word_written_together():
    # As Lucene's word_delimiter_graph + Snowball do (OpenSearch backend), so a
    # search for "email" finds "e-mails" and the other way round.
    for language, hyphenated, joined in [("en", "E-mails", "emails"),
                                         ("en", "breath-taking", "breathtaking"),
                                         ("nl", "Minsk-akkoorden", "Minskakkoorden"),
                                         ("nl", "oud-premiers", "oudpremiers")]:
        assert analyze(language, hyphenated) == analyze(language, joined), hyphenated
    assert analyze("en", "e-mails") == analyze("en", "email") == ["email"]
    # The parts are still indexed, each stemmed on its own.
    assert analyze("en", "e-mails", mode="index")[1:] == ["e", "mail"]


def test_accent_folding_before_stemming():
    assert fold("Oekraïne") == "oekraine"
    assert fold("\u0133s") == "ijs"  # ligature ĳ
    assert analyze("nl", "geïnd") != analyze("nl", "in")


@pytest.mark.parametrize("words", [
    ("fiets", "fietsen"), ("bromfiets", "bromfietsen"), ("kind", "kinderen"),
    ("grens", "grenzen"), ("akkoord", "akkoorden"), ("troep", "troepen"),
    ("sanctie", "sancties"), ("militair", "militairen"),
])
def test_dutch_stems_meet(words):
    stems = {tuple(analyze("nl", w)) for w in words}
    assert len(stems) == 1, stems


@pytest.mark.parametrize("a,b", [("geënt", "en"), ("gevallen", "vallen"),
                                 ("schilderij", "schild"), ("autoriteit", "auteur")])
def test_dutch_bad_conflations_are_overridden(a, b):
    assert analyze("nl", a) != analyze("nl", b) or not analyze("nl", b)


@pytest.mark.parametrize("words", [
    ("troops", "troop"), ("sanctions", "sanction"), ("running", "run"), ("borders", "border"),
])
def test_english_stems_meet(words):
    assert len({tuple(analyze("en", w)) for w in words}) == 1


def test_stopwords_dropped_but_acronyms_kept():
    assert analyze("nl", "de het een") == []
    assert analyze("en", "the of who it") == []
    assert analyze("en", "WHO") == ["who"]
    assert analyze("en", "IT") == ["it"]
    assert analyze("en", "US") == ["us"]


def test_stopwords_keep_positions_for_phrases():
    tokens = [(t.text, t.pos) for t in analyzer_for("nl")("de vrede te handhaven",
                                                           positions=True)]
    # (a compound's parts, indexed beside it, share its position)
    assert sorted({p for _, p in tokens}) == [0, 1]


def test_analyzer_is_picklable_and_usable_in_a_real_index(tmp_path):
    analyzer = language_analyzer("nl")
    clone = pickle.loads(pickle.dumps(analyzer))
    assert [t.text for t in clone("Fietsen in Oekraïne")] == analyze("nl", "Fietsen in Oekraïne")
    ix = whoosh_index.create_in(str(tmp_path), Schema(body=TEXT(analyzer=analyzer)))
    with ix.writer() as w:
        w.add_document(body="Nieuwe foto's van troepen")
    reopened = whoosh_index.open_dir(str(tmp_path))
    with reopened.searcher() as s:
        assert s.doc_frequency("body", "troep") == 1
        assert s.doc_frequency("body", "foto") == 1
