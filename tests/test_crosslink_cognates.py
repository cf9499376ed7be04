"""Spelling-rule cognates between Dutch and English."""

import pytest

from index.analysis import analyze
from index.crosslink.cognates import cognate_terms, variants


@pytest.mark.parametrize("dutch, english", [
    ("prefectuur", "prefecture"),
    ("subtropische", "subtropical"),
    ("universiteit", "university"),
    ("informatie", "information"),
    ("televisie", "television"),
    ("militaire", "military"),
    ("industrie", "industry"),
    ("elektrische", "electric"),
    ("populair", "popular"),
])
def test_dutch_word_reaches_its_english_cognate(dutch, english):
    assert analyze("en", english)[0] in cognate_terms("nl", "en", dutch)


@pytest.mark.parametrize("english, dutch", [
    ("prefecture", "prefectuur"),
    ("information", "informatie"),
    ("military", "militair"),
    ("industry", "industrie"),
    ("electric", "elektrisch"),
])
def test_english_word_reaches_its_dutch_cognate(english, dutch):
    assert analyze("nl", dutch)[0] in cognate_terms("en", "nl", english)


def test_short_words_and_same_language_give_nothing():
    assert variants("kind", "nl") == []  # too short: Dutch kind (child) is not English kind
    assert cognate_terms("nl", "nl", "prefectuur") == []
    assert variants("Putin", "en") == []  # no rule applies: no guess


def test_variants_leave_out_the_word_itself():
    assert "prefectuur" not in variants("prefectuur", "nl")
    with pytest.raises(ValueError):
        variants("prefectuur", "de")
