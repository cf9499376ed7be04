"""Dutch decompounding: the splitter, the analyzer's part tokens, and search over real indexes."""

import pytest

from conftest import text_doc as doc

from index import decompound
from index.analysis import analyze, analyzer_for
from index.crosslink import Lexicon
from index.search import SearchRequest, search
from index.storage import IndexReader, rebuild


@pytest.fixture(autouse=True)
def decompounding_on():
    before = decompound.enabled()
    decompound.configure("on")
    yield
    decompound.configure(before)


# -- the splitter ------------------------------------------------------------------

@pytest.mark.parametrize("word, parts", [
    ("grensgebied", ("grens", "gebied")),
    ("troepenmacht", ("troepen", "macht")),
    ("lichaamstaal", ("lichaam", "taal")),  # linking s
    ("vredesmissie", ("vrede", "missie")),  # linking s after an e
    ("kinderarbeid", ("kind", "arbeid")),  # linking er
    ("regeringsleider", ("regering", "leider")),
    ("gasprijzen", ("gas", "prijzen")),  # a three-letter part
    ("federatieraad", ("federatie", "raad")),
    ("bondskanselier", ("bond", "kanselier")),  # not bond + kans + lier
    ("vredesmissieleider", ("vrede", "missie", "leider")),
])
def test_true_splits(word, parts):
    assert decompound.split(word) == parts


@pytest.mark.parametrize("word", [
    "voorbeeld",  # voor is a function word, and the word is frequent
    "nederland", "ziekenhuis", "burgemeester",  # frequent: kept whole
    "verkiezingen", "regering", "werkelijkheid", "tegenstander",
    "gevangenen", "ontwikkeling",
    "redacteur", "herhalen", "kenmerkende",  # false splits by frequency alone
    "poetin", "kort", "xyzzyabcdefg",
])
def test_refused_splits(word):
    assert decompound.split(word) == ()


def test_parts_are_frequent_words_and_rebuild_the_word():
    for word in ("grensgebied", "vredesmissie", "kinderarbeid", "gasprijzen"):
        parts = decompound.split(word)
        assert len(parts) >= 2
        assert all(decompound.zipf(p) >= decompound.PART_ZIPF for p in parts)
        # The parts are the word, less at most one linking element between two parts.
        assert all(p in word for p in parts)
        assert len("".join(parts)) >= len(word) - 2 * (len(parts) - 1)


def test_long_and_odd_tokens_are_not_split():
    assert decompound.split("gasprijzen" * 10_000) == ()  # 100,000 characters
    assert decompound.split("grens2gebied") == ()
    assert decompound.split("") == ()


def test_split_is_deterministic_across_cache_clears():
    first = [decompound.split(w) for w in ("grensgebied", "olieprijsstijging")]
    decompound._split.cache_clear()
    assert [decompound.split(w) for w in ("grensgebied", "olieprijsstijging")] == first


# -- the analyzer -----------------------------------------------------------------

def test_index_mode_adds_parts_at_the_whole_words_position():
    tokens = [(t.text, t.pos, t.startchar, t.endchar) for t in
              analyzer_for("nl")("het grensgebied leger", positions=True, chars=True,
                                 mode="index")]
    whole = analyze("nl", "grensgebied")[0]
    parts = [analyze("nl", w)[0] for w in ("grens", "gebied")]
    at_word = [tok for tok in tokens if tok[2] == 4]
    assert [tok[0] for tok in at_word] == [whole, *parts]
    assert {tok[1] for tok in at_word} == {0}  # one position: phrases still line up
    assert {tok[3] for tok in at_word} == {15}
    assert tokens[-1][1] == 1  # the next word keeps its position


def test_query_mode_and_english_and_the_switch_keep_the_whole_word():
    assert len(analyze("nl", "grensgebied", mode="query")) == 1
    assert len(analyze("en", "grensgebied", mode="index")) == 1
    decompound.configure("off")
    assert len(analyze("nl", "grensgebied", mode="index")) == 1


# -- search over a real index -------------------------------------------------------



FILLER = [doc(f"nl{i}", f"gewoon nieuws over het weer in de stad nummer {i}", "nl")
          for i in range(12)] + [
          doc(f"en{i}", f"ordinary news about the weather in town number {i}", "en")
          for i in range(12)]


def _link(lexicon, nl_word, en_word):
    lexicon.add_pair(analyze("nl", nl_word)[0], analyze("en", en_word)[0], 0.9,
                     "dictionary", nl_word, en_word)


@pytest.fixture
def compound_index(tmp_path):
    rebuild(tmp_path, FILLER + [
        doc("nl-grens", "Het leger trok zich terug uit het grensgebied.", "nl"),
        doc("nl-gas", "De gasprijzen stegen deze winter sterk.", "nl"),
        doc("nl-gas-apart", "De prijzen van gas stegen deze winter.", "nl"),
        doc("nl-prijzen", "De prijzen van brood stegen.", "nl"),
        doc("en-council", "The Federation Council approved the treaty.", "en"),
        doc("en-only-council", "The city council met on Monday.", "en"),
    ])
    reader = IndexReader(tmp_path)
    yield reader
    reader.close()


@pytest.fixture
def lexicon():
    lexicon = Lexicon()
    _link(lexicon, "gas", "gas")
    _link(lexicon, "prijzen", "prices")
    _link(lexicon, "federatie", "federation")
    _link(lexicon, "raad", "council")
    return lexicon


def ids(reader, q, lexicon=None, **options):
    return [h["id"] for h in search(reader, SearchRequest(q=q, **options),
                                    lexicon=lexicon or Lexicon())["hits"]]


def test_a_part_finds_the_compound(compound_index):
    assert "nl-grens" in ids(compound_index, "gebied")
    assert "nl-grens" in ids(compound_index, "grens")


def test_a_part_match_highlights_the_compound(compound_index):
    hit = search(compound_index, SearchRequest(q="gebied"), lexicon=Lexicon())["hits"][0]
    assert hit["id"] == "nl-grens"
    assert "<mark>grensgebied</mark>" in hit["snippet"]


def test_english_words_find_a_dutch_compound_through_the_parts_links(compound_index, lexicon):
    found = ids(compound_index, "gas prices", lexicon)
    assert found[0] in {"nl-gas", "nl-gas-apart"}
    assert {"nl-gas", "nl-gas-apart"} <= set(found[:2])
    assert found.index("nl-gas") < found.index("nl-prijzen")


def test_a_dutch_compound_query_finds_its_parts_written_apart(compound_index, lexicon):
    found = ids(compound_index, "gasprijzen", lexicon)
    assert found[0] == "nl-gas"  # the whole word ranks first
    assert "nl-gas-apart" in found
    assert "nl-prijzen" not in found  # one part alone is not the compound


def test_a_dutch_compound_query_reaches_english_text_through_its_parts(compound_index, lexicon):
    found = ids(compound_index, "Federatieraad", lexicon)
    assert found[0] == "en-council"
    assert "en-only-council" not in found[:1]
    hit = search(compound_index, SearchRequest(q="Federatieraad"), lexicon=lexicon)["hits"][0]
    assert "<mark>" in hit["snippet"]


def test_without_decompounding_a_part_does_not_find_the_compound(tmp_path):
    decompound.configure("off")
    rebuild(tmp_path, FILLER + [doc("nl-grens", "Het leger verliet het grensgebied.", "nl")])
    reader = IndexReader(tmp_path)
    try:
        assert "nl-grens" not in ids(reader, "gebied")
        assert "nl-grens" in ids(reader, "grensgebied")
    finally:
        reader.close()
