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
