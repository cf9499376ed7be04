"""Expansion of one query word into a synonym set per index language."""

from index.crosslink import cognates
from index.crosslink.lexicon import Lexicon
from index.search.expansion import OWN, expand_word
from index.search.query import Word


def _word(text):
    return Word(text, None, 0, len(text))


def test_cognates_join_only_the_other_languages_set():
    lexicon = Lexicon()
    english = expand_word(_word("prefectuur"), "en", "nl", lexicon)
    assert english.terms["prefectur"][1] == cognates.SOURCE
    assert english.terms["prefectur"][0] == cognates.WEIGHT
    dutch = expand_word(_word("prefectuur"), "nl", "nl", lexicon)
    assert all(source == OWN for _, source, _ in dutch.terms.values())


def test_no_cognates_without_crosslinking():
    english = expand_word(_word("prefectuur"), "en", "nl", Lexicon(), crosslingual=False)
    assert set(english.terms) == {"prefectuur"}
    assert expand_word(_word("prefectuur"), "en", "nl", None).is_exact_only()


def test_a_lexicon_link_outweighs_the_same_cognate():
    lexicon = Lexicon()
    lexicon.add_pair("informeer", "inform", 0.9, "dictionary")
    english = expand_word(_word("informatie"), "en", "nl", lexicon)
    weight, source, _ = english.terms["inform"]
    assert (weight, source) == (0.9, "dictionary")


# -- hyphenated Dutch words and prefix cognates, in a real index ---------------------------

import pytest  # noqa: E402

from index.search import SearchRequest, search  # noqa: E402
from index.search.expansion import HYPHEN_PART_WEIGHT, prefix_cognates  # noqa: E402
from index.storage import IndexReader, rebuild  # noqa: E402
from tests.conftest import text_doc  # noqa: E402

ENGLISH = {
    "e1": "Fossils show that some dinosaurs had feathers and hollow bones.",
    "e2": "The river flooded the old town after days of heavy rain.",
    "e3": "Tsunami warnings were lifted after the earthquake near the coast.",
    "e4": "Herds grazed on the savanna while lions watched from the grass.",
}


@pytest.fixture(scope="module")
def english_reader(tmp_path_factory):
    folder = tmp_path_factory.mktemp("xling") / "ix"
    rebuild(folder, [text_doc(i, t, "en") for i, t in ENGLISH.items()])
    reader = IndexReader(folder)
    yield reader
    reader.close()


def _ids(reader, q, crosslingual=True, lexicon=None):
    result = search(reader, SearchRequest(q=q, lang="en", crosslingual=crosslingual, typo=False,
                                          mode="lexical"),
                    lexicon=Lexicon() if lexicon is None else lexicon)
    return [h["id"] for h in result["hits"]]


def test_a_dutch_word_matching_nothing_finds_the_english_word_it_begins_with(english_reader):
    assert _ids(english_reader, "de dinosauriërs")[:1] == ["e1"]
    assert _ids(english_reader, "de savanne")[:1] == ["e4"]
    # Not without cross-linking: the word itself is not in the English index.
    assert _ids(english_reader, "de dinosauriërs", crosslingual=False) == []


def test_prefix_cognates_need_most_of_the_word(english_reader):
    reader = english_reader.searchers()["en"].reader()
    assert prefix_cognates(reader, "body", ["dinosauri"]) == [("dinosaur", 8)]
    # "rive" shares too little with "rivierdelta"; "flood" is shorter than the minimum.
    assert prefix_cognates(reader, "body", ["rivierdelta", "floo"]) == []
    # "feather" is 7 letters of a 20-letter word: less than half of it.
    assert prefix_cognates(reader, "body", ["feathermatrasvulling"]) == []


def test_prefix_cognates_join_the_set_at_their_weight(english_reader):
    from index.search.expansion import PREFIX_WEIGHT, add_prefix_cognates

    english = expand_word(_word("dinosauriërs"), "en", "nl", Lexicon())
    add_prefix_cognates([english], {"en": english_reader.searchers()["en"].reader()})
    assert english.terms["dinosaur"][:2] == (PREFIX_WEIGHT, cognates.SOURCE)
    dutch = expand_word(_word("dinosauriërs"), "nl", "nl", Lexicon())
    add_prefix_cognates([dutch], {"nl": english_reader.searchers()["en"].reader()})
    assert "dinosaur" not in dutch.terms  # its own language's index: never


def test_a_linked_word_gets_no_prefix_guess(english_reader):
    lexicon = Lexicon()
    lexicon.add_pair("dinosaurier", "fossil", 0.8, "dictionary", "dinosauriërs", "fossils")
    expansion_ids = _ids(english_reader, "de dinosauriërs", lexicon=lexicon)
    assert expansion_ids[:1] == ["e1"]  # through the link; the guess is not needed


def test_a_hyphenated_dutch_word_stands_for_its_parts_in_english(english_reader):
    assert _ids(english_reader, "de tsunami-activiteit")[:1] == ["e3"]
    english = expand_word(_word("tsunami-activiteit"), "en", "nl", Lexicon())
    assert english.terms["tsunami"][0] == HYPHEN_PART_WEIGHT
    # In its own language's index the whole word is searched as before.
    dutch = expand_word(_word("tsunami-activiteit"), "nl", "nl", Lexicon())
    assert "tsunami" not in dutch.terms


def test_a_linked_hyphenated_word_keeps_its_link():
    lexicon = Lexicon()
    lexicon.add_pair("noordkorea", "north korea", 0.95, "names", "Noord-Korea", "North Korea")
    english = expand_word(_word("Noord-Korea"), "en", "nl", lexicon)
    assert "north korea" in english.terms and "noord" not in english.terms


def test_a_derived_dutch_word_borrows_the_links_of_the_term_it_extends():
    from index.search.expansion import DERIVED_WEIGHT

    lexicon = Lexicon()
    lexicon.add_pair("irak", "iraq", 0.9, "names", "Irak", "Iraq")
    english = expand_word(_word("Irakese"), "en", "nl", lexicon)
    assert english.terms["iraq"][0] == round(0.9 * DERIVED_WEIGHT, 4)
    # Only for words without links of their own, and only a few letters short.
    lexicon.add_pair("irakes", "iraqi", 0.8, "dictionary", "Irakese", "Iraqi")
    assert "iraq" not in expand_word(_word("Irakese"), "en", "nl", lexicon).terms
    assert "iraq" not in expand_word(_word("Irakezenvereniging"), "en", "nl", Lexicon()).terms


# -- a capital at the start of a sentence is not a name (issue 14), in a real index -------

from collections import Counter  # noqa: E402

from index.crosslink.names import name_pairs  # noqa: E402
from index.crosslink.transliteration import links_from_names  # noqa: E402
from index.search.expansion import sentence_initial  # noqa: E402
from index.search.query import iter_words, parse_query  # noqa: E402

SENTENCES = {
    "l1": ("The Latvian language is spoken in Riga.", "en"),
    "p1": ("Putin spoke to reporters in the Kremlin.", "en"),
    "s1": ("Ships sail on the river every day.", "en"),
    "m1": ("De regio Marken ligt aan de Adriatische Zee in Italië.", "nl"),
    "r1": ("Hij spreekt vloeiend Russisch met zijn buren.", "nl"),
}


@pytest.fixture(scope="module")
def names_index(tmp_path_factory):
    """Both languages on disk, and a lexicon of the real CLDR name pairs plus the
    transliteration links a corpus with Poetin and Putin mid-sentence gives."""
    folder = tmp_path_factory.mktemp("names") / "ix"
    rebuild(folder, [text_doc(i, t, lang) for i, (t, lang) in SENTENCES.items()])
    lexicon = Lexicon()
    for nl, en, weight, nl_s, en_s in name_pairs():
        lexicon.add_pair(nl, en, weight, "names", nl_s, en_s)
    corpus_names = {"nl": Counter({"Poetin": 3}), "en": Counter({"Putin": 3})}
    for nl, en, weight, nl_s, en_s in links_from_names(corpus_names):
        lexicon.add_pair(nl, en, weight, "transliteration", nl_s, en_s)
    reader = IndexReader(folder)
    yield reader, lexicon
    reader.close()


def _hits(names_index, q, crosslingual=True):
    reader, lexicon = names_index
    result = search(reader, SearchRequest(q=q, crosslingual=crosslingual, typo=False,
                                          mode="lexical"), lexicon=lexicon)
    return [h["id"] for h in result["hits"]]


def test_a_common_dutch_word_opening_a_sentence_is_no_name(names_index):
    # Let (pay attention) shares its stem with Lets (Latvian): only mid-sentence a name.
    assert "l1" not in _hits(names_index, "Let op de schepen.")
    assert "l1" not in _hits(names_index, "Goed zo. Let op!")
    assert "l1" not in _hits(names_index, "“Let op”, zei hij.")
    assert "l1" in _hits(names_index, "Zij spreekt Let.")


def test_a_common_english_word_opening_a_sentence_is_no_name(names_index):
    # March (the month) shares its stem with Marche, Dutch Marken.
    assert "m1" not in _hits(names_index, "March was cold.")
    assert "m1" not in _hits(names_index, "It rained. March was cold.")
    assert "m1" in _hits(names_index, "It was cold in March.")


def test_a_real_name_opening_a_sentence_keeps_its_links(names_index):
    assert "p1" in _hits(names_index, "Poetin zegt dat het koud is.")
    assert "p1" in _hits(names_index, "Zegt Poetin iets?")
    # An inflection of a name (Russians / Russian) is the name too.
    assert "r1" in _hits(names_index, "Russians speak.")


def test_monolingual_search_has_no_name_links_anywhere(names_index):
    assert "l1" not in _hits(names_index, "Zij spreekt Let.", crosslingual=False)
    assert "p1" not in _hits(names_index, "Poetin zegt het.", crosslingual=False)


def test_sentence_initial_words_are_the_capitalized_ones_after_sentence_punctuation():
    q = "“Let op,” zei hij. Poetin zegt: NAVO en Let? (Rutte) komt"
    words = list(iter_words(parse_query(q)))
    initial = {w.text.strip("“,?()") for w in words if id(w) in sentence_initial(q, words)}
    assert initial == {"Let", "Poetin", "Rutte"}
    # After an initial or a title the sentence goes on.
    q = "Dr. Let en J. Let in de U.S. Let"
    words = list(iter_words(parse_query(q)))
    assert {w.text for w in words if id(w) in sentence_initial(q, words)} == {"Dr."}
