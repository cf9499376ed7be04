"""Multi-word cross-links as phrase members of one synonym set, both directions, and
links of inflected Dutch forms (issue 14, parts 1-2), on a real index on disk."""

from __future__ import annotations

import pytest

from conftest import text_doc

from index.analysis import analyze
from index.crosslink.lexicon import Lexicon
from index.scoring import vectorscore
from index.scoring.synonyms import SynonymQuery
from index.search import SearchRequest, search
from index.storage import IndexReader, rebuild




DOCS = [
    text_doc("en-pm", language="en", text="The prime minister spoke to parliament about the budget on Tuesday. "
                        "Later the prime minister left for Brussels."),
    text_doc("en-loose", language="en", text="A minister of prime importance said the budget was in order."),
    text_doc("en-nk", language="en", text="Officials in North Korea tested a missile near the coast."),
    text_doc("en-accused", language="en", text="The prosecutor accused the mayor of fraud in the city."),
    text_doc("en-house", language="en", text="The House of Representatives passed the bill on Friday."),
    text_doc("en-go", language="en", text="They go to the market every Saturday to go shopping."),
    text_doc("nl-premier", language="nl", text="De premier sprak dinsdag met het parlement over de begroting: die is goed."),
    text_doc("nl-nk", language="nl", text="Noord-Korea testte een raket bij de kust, zeggen functionarissen."),
    text_doc("nl-accused", language="nl", text="De aanklager beschuldigt de burgemeester van fraude in de stad."),
    text_doc("nl-house", language="nl", text="Het Huis van Afgevaardigden nam vrijdag de wet aan."),
    text_doc("nl-wijs", language="nl", text="De wijze oude man sprak over wijsheid en wijs beleid."),
    text_doc("nl-goed", language="nl", text="Het gaat goed met de economie, zegt de minister."),
    text_doc("nl-wijziging", language="nl", text="De wijziging van de wet werd aangenomen."),
]


def _lexicon() -> Lexicon:
    lexicon = Lexicon()
    lexicon.add_pair("premier", "prime minist", 0.6, "dictionary", "premier", "prime minister")
    lexicon.add_pair("noordkorea", "north korea", 0.95, "names", "Noord-Korea", "North Korea")
    lexicon.add_pair("beschuld", "accus", 0.8, "dictionary", "beschuldigen", "accuse")
    lexicon.add_pair(" ".join(analyze("nl", "Huis van Afgevaardigden")),
                     " ".join(analyze("en", "House of Representatives")), 0.9, "curated",
                     "Huis van Afgevaardigden", "House of Representatives")
    lexicon.add_pair("goed", "go", 0.8, "parallel", "goed", "go")
    lexicon.add_pair("goed", "good", 0.8, "dictionary", "goed", "good")
    return lexicon


@pytest.fixture(scope="module")
def reader(tmp_path_factory):
    root = tmp_path_factory.mktemp("phrases")
    rebuild(root, DOCS)
    opened = IndexReader(root)
    yield opened
    opened.close()


def _hits(reader, q: str, lang: str = "any", lexicon=None) -> list[dict]:
    result = search(reader, SearchRequest(q=q, lang=lang, typo=False),
                    lexicon=_lexicon() if lexicon is None else lexicon)
    return result["hits"]


def _ids(hits) -> list[str]:
    return [h["id"] for h in hits]


def test_dutch_word_matches_the_english_phrase_it_links_to(reader):
    hits = _hits(reader, "premier", "en")
    assert _ids(hits)[0] == "en-pm"
    # the two words apart ("minister of prime importance") are not the phrase
    assert "en-loose" not in _ids(hits)
    link = hits[0]["crosslinks"][0]
    assert link["matched"].lower() == "prime minister"
    assert "<mark>prime minister</mark>" in hits[0]["snippet"]


def test_english_phrase_query_finds_its_one_dutch_word(reader):
    assert "nl-premier" in _ids(_hits(reader, "prime minister", "nl"))
    # not for the words apart: "prime" alone is not a key
    assert "nl-premier" not in _ids(_hits(reader, "prime", "nl"))


def test_multi_word_names_both_ways(reader):
    assert _ids(_hits(reader, "Noord-Korea", "en")) == ["en-nk"]
    assert "nl-nk" in _ids(_hits(reader, "north korea", "nl"))


def test_a_key_with_a_stopword_inside(reader):
    assert "en-house" in _ids(_hits(reader, "Huis van Afgevaardigden", "en"))
    assert "nl-house" in _ids(_hits(reader, "House of Representatives", "nl"))


def test_phrase_member_is_one_member_of_the_set(reader):
    """tf of a phrase member is its phrase frequency; df = max over members."""
    searcher = reader.searchers()["en"]
    one = SynonymQuery("body", {"prime minist": 1.0})
    assert one.doc_freq(searcher.reader()) == 1  # en-loose has both words, not the phrase
    both = SynonymQuery("body", {"prime minist": 1.0, "budget": 1.0})
    assert both.doc_freq(searcher.reader()) == 2  # max(1, 2)
    ids, tfs = _phrase_tf(searcher)
    assert tfs == [2.0]  # "prime minister" twice in en-pm


def _phrase_tf(searcher):
    from index.scoring.vectorphrase import phrase_frequencies

    for sub, _ in searcher.leaf_searchers():
        ids, tfs = phrase_frequencies(sub.reader(), "body", ["prime", "minist"])
        if len(ids):
            return ids.tolist(), tfs.tolist()
    return [], []


def test_vectorized_and_matcher_scores_agree_for_phrase_members(reader, monkeypatch):
    fast = [(h["id"], h["score"]) for h in _hits(reader, "premier beschuldigt")]
    monkeypatch.setattr(vectorscore, "supports", lambda query, weighting=None: False)
    slow = [(h["id"], h["score"]) for h in _hits(reader, "premier beschuldigt")]
    assert fast == slow and fast


def test_inflected_dutch_verb_reaches_its_headwords_links(reader):
    hits = _hits(reader, "beschuldigt", "en")
    assert _ids(hits) == ["en-accused"]
    assert hits[0]["crosslinks"][0]["matched"] == "accused"


def test_no_reduction_when_the_stem_has_links_of_its_own(reader):
    lexicon = _lexicon()
    lexicon.add_pair("beschuldigt", "blame", 0.7, "dictionary", "beschuldigt", "blame")
    assert _ids(_hits(reader, "beschuldigt", "en", lexicon)) == []


def test_short_learned_link_is_weighted_down(reader):
    """goed -> go (a learned pair between a word and a two-letter stem, or the English
    stemmer cutting -ed off a Dutch word) must not count like a real translation."""
    from index.search.expansion import expand_word
    from index.search.query import Word

    expansion = expand_word(Word("goed"), "en", "nl", _lexicon())
    weights = expansion.weights()
    assert weights["go"] < 0.5 * weights["good"]
    plain = expand_word(Word("goed"), "en", "nl", Lexicon()).weights()
    assert plain["go"] < 0.5  # its own English "analysis" is a guess, not the word
    # a word both stemmers leave alone keeps its own term at full weight
    assert expand_word(Word("Poetin"), "en", "nl", Lexicon()).weights() == {"poetin": 1.0}
    hits = _hits(reader, "goed", "any", Lexicon())
    assert set(_ids(hits)[:2]) == {"nl-goed", "nl-premier"}  # en-go ("go" twice) after both


def test_stemmer_collision_wijziging_does_not_match_wijs(reader):
    assert _ids(_hits(reader, "wijziging", "nl", Lexicon())) == ["nl-wijziging"]
    assert "nl-wijziging" not in _ids(_hits(reader, "wijs", "nl", Lexicon()))


def test_single_word_scores_unchanged_by_phrase_support(reader):
    """A set without phrase members scores as before: same as the matcher loop, and
    the same for a lexicon without multi-word keys as for one with them."""
    plain = Lexicon()
    plain.add_pair("beschuld", "accus", 0.8, "dictionary", "beschuldigen", "accuse")
    assert ([(h["id"], h["score"]) for h in _hits(reader, "accused", lexicon=plain)]
            == [(h["id"], h["score"]) for h in _hits(reader, "accused")])
