"""Search: cross-lingual expansion, synonym-set scoring, merging, filters, suggestions."""

from functools import partial

import pytest

from conftest import text_doc as doc

from index.crosslink import Lexicon, build_lexicon
from index.search.query import QuerySyntaxError
from index.search import SearchRequest, search
from index.storage import IndexReader, rebuild
from index.search.suggest import complete
from service.lexicon import load_lexicon




def open_reader(path):
    reader = IndexReader(path)
    reader.set_lexicon_loader(load_lexicon)
    return reader


@pytest.fixture(scope="module")
def seeds(seed_index):
    return open_reader(seed_index)


def run(reader, q, **options):
    return search(reader, SearchRequest(q=q, **options))


def languages(result):
    return {h["language"] for h in result["hits"]}


def test_putin_finds_the_dutch_poetin_articles_and_says_why(seeds):
    result = run(seeds, "Putin")
    assert languages(result) == {"nl", "en"}
    assert result["facets"]["language"] == {"nl": 4, "en": 1}
    dutch = [h for h in result["hits"] if h["language"] == "nl"]
    for hit in dutch:
        assert {"query": "Putin", "matched": "Poetin", "source": "transliteration"} in \
            hit["crosslinks"]
        assert "<mark>Poetin</mark>" in hit["snippet"]
    english = [h for h in result["hits"] if h["language"] == "en"][0]
    assert english["crosslinks"] == []  # matched by its own spelling


def test_crosslingual_off_is_monolingual(seeds):
    result = run(seeds, "Putin", crosslingual=False)
    assert languages(result) == {"en"}
    assert all(h["crosslinks"] == [] for h in result["hits"])


@pytest.mark.parametrize("query,expected_language,expected_id", [
    ("NAVO", "en", "004"),      # organisation, curated acronym
    ("NATO", "nl", "002"),
    ("troepen", "en", "004"),   # ordinary word
    ("Loegansk", "en", "004"),  # Dutch romanization of a name no document spells so
    ("Oekraïne", "en", "004"),  # place name
])
def test_query_in_one_language_finds_the_other(seeds, query, expected_language, expected_id):
    result = run(seeds, query)
    ids = [h["id"][:3] for h in result["hits"] if h["language"] == expected_language]
    assert expected_id in ids
    assert not [h for h in run(seeds, query, crosslingual=False)["hits"]
                if h["id"][:3] == expected_id and query != "Oekraïne"]


def test_lang_restricts_crosslingual_hits(seeds):
    result = run(seeds, "Putin", lang="nl")
    assert languages(result) == {"nl"}
    assert result["total"] == 4


@pytest.fixture
def belarus_index(tmp_path):
    rebuild(tmp_path, [
        doc("nl1", "Rusland houdt militaire oefeningen in Wit-Rusland.", "nl"),
        doc("en1", "Russia holds military exercises in Belarus.", "en"),
    ], lexicon_builder=partial(build_lexicon, sources=["curated", "names"]))
    return open_reader(tmp_path)


def test_wit_rusland_and_belarus_find_each_other(belarus_index):
    for query, other in (("Wit-Rusland", "en1"), ("Belarus", "nl1")):
        hits = run(belarus_index, query)["hits"]
        assert {h["id"] for h in hits} == {"nl1", "en1"}
        linked = next(h for h in hits if h["id"] == other)
        assert linked["crosslinks"] and linked["crosslinks"][0]["query"] == query


def test_a_word_with_many_translations_does_not_dominate(tmp_path):
    """Ten translations of 'kat' form one pseudo-term, not ten OR-ed terms."""
    translations = [f"cat{i}" for i in range(10)]
    lexicon = Lexicon()
    for word in translations:
        lexicon.add_pair("kat", word, 1.0, "dictionary", "kat", word)
    lexicon.add_pair("hond", "dog", 1.0, "dictionary", "hond", "dog")
    filler = [doc(f"f{i}", f"unrelated text number {i}", "en") for i in range(8)]
    rebuild(tmp_path, filler + [
        doc("many", " ".join(translations), "en"),   # every translation of one query word
        doc("both", "cat3 and a dog", "en"),        # one translation of each query word
    ])
    reader = IndexReader(tmp_path)
    ranked = [h["id"] for h in search(reader, SearchRequest(q="kat hond"), lexicon=lexicon)["hits"]]
    assert ranked[:2] == ["both", "many"]


def test_scores_are_comparable_across_language_indexes(tmp_path):
    """Per-index IDF would rank the English hit far below the Dutch one here."""
    lexicon = Lexicon()
    lexicon.add_pair("poetin", "putin", 1.0, "transliteration", "Poetin", "Putin")
    dutch = [doc(f"n{i}", f"gewoon nieuws over het weer nummer {i}", "nl") for i in range(30)]
    rebuild(tmp_path, dutch + [
        doc("nl-putin", "Poetin sprak in Moskou over het leger", "nl"),
        doc("en-putin", "Putin spoke in Moscow about the army", "en"),
        doc("en-other", "Weather news for Moscow today", "en"),
    ])
    reader = IndexReader(tmp_path)
    hits = search(reader, SearchRequest(q="Putin"), lexicon=lexicon)["hits"]
    scores = {h["id"]: h["score"] for h in hits}
    assert set(scores) == {"nl-putin", "en-putin"}
    ratio = max(scores.values()) / min(scores.values())
    assert ratio < 1.5, scores


def test_phrase_and_operators(seeds):
    assert [h["id"][:3] for h in run(seeds, '"vrede te handhaven"')["hits"]] == ["000"]
    without_biden = {h["id"][:3] for h in run(seeds, "Putin -Biden")["hits"]}
    assert "004" not in without_biden and "002" not in without_biden
    assert {h["id"][:3] for h in run(seeds, "Lavrov AND Truss")["hits"]} == {"003"}
    assert {h["id"][:3] for h in run(seeds, "title:Rusland")["hits"]} == {"003"}


def test_syntax_error_is_raised(seeds):
    with pytest.raises(QuerySyntaxError):
        run(seeds, '"Poetin')


def test_typo_tolerance_and_did_you_mean(seeds):
    exact = run(seeds, "Lavrov")
    typo = run(seeds, "Lavrof")
    assert {h["id"] for h in typo["hits"]} == {h["id"] for h in exact["hits"]}
    # the correction is searched as if typed (scores included) and reported
    assert [h["score"] for h in typo["hits"]] == [h["score"] for h in exact["hits"]]
    assert typo["corrected"] == {"query": "Lavrov", "original": "Lavrof"}
    assert exact["corrected"] is None
    assert run(seeds, "Lavrof", typo=False)["total"] == 0
    assert run(seeds, "Lavrof", typo=False)["suggestion"] == "lavrov"
    # Short words get no typo: "Kiew" (4 letters) is not corrected into hits.
    assert run(seeds, "Kiew", typo=True, crosslingual=False)["total"] == 0
    assert exact["suggestion"] is None


def test_date_filter_sort_and_month_facet(seeds):
    result = run(seeds, "Rusland OR Russia", limit=10)
    assert result["facets"]["month"] == {"2022-02": 4}
    later = run(seeds, "Rusland OR Russia", date_from="2022-02-05")
    assert {h["id"][:3] for h in later["hits"]} == {"000", "001", "002", "003"}
    assert run(seeds, "Rusland OR Russia", date_from="2022-03")["total"] == 0
    earlier = run(seeds, "Rusland OR Russia", date_to="2022-02-09")
    assert {h["id"][:3] for h in earlier["hits"]} == {"000", "001", "002"}
    by_date = run(seeds, "Rusland OR Russia", sort="date")
    assert by_date["hits"][0]["id"][:3] == "003"  # 2022-02-10 is the newest full date
    assert by_date["hits"][-1]["id"][:3] == "004"  # undated last


def test_completions_come_from_both_languages(seeds):
    texts = [c["text"] for c in complete(seeds.searchers(), "poe")]
    assert texts[0] == "poetin"
    both = complete(seeds.searchers(), "don")
    assert both[0]["text"] == "donetsk" and both[0]["languages"] == ["en", "nl"]
    assert complete(seeds.searchers(), "") == []
