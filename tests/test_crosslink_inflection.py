"""Dutch inflection rules (index.crosslink.inflection) and their use by the dictionary."""

from __future__ import annotations

import pytest

from index.analysis import analyze
from index.crosslink.dictionary import dictionary_pairs
from index.crosslink.inflection import adjective_forms, dutch_forms, dutch_reductions, verb_forms


@pytest.mark.parametrize("word, base", [
    ("beschuldigt", "beschuldigen"), ("organiseert", "organiseren"), ("stroomt", "stromen"),
    ("stroomde", "stromen"), ("gearresteerd", "arresteren"), ("werkte", "werken"),
    ("goede", "goed"), ("brede", "breed"), ("witte", "wit"), ("lieve", "lief"),
    ("critici", "criticus"),
])
def test_reductions_find_the_base_form(word, base):
    assert base in dutch_reductions(word)


@pytest.mark.parametrize("word", ["", "de", "t", "123", "x" * 3])
def test_reductions_of_short_or_odd_words_are_empty(word):
    assert dutch_reductions(word) == []


@pytest.mark.parametrize("infinitive, form", [
    ("beschuldigen", "beschuldigt"), ("stromen", "stroomt"), ("maken", "maakte"),
    ("maken", "gemaakt"), ("leven", "leefde"), ("zetten", "zet"), ("reizen", "reist"),
    ("organiseren", "organiseert"), ("rekenen", "rekent"), ("beschuldigen", "beschuldigd"),
])
def test_verb_forms(infinitive, form):
    assert form in verb_forms(infinitive)


def test_adjective_forms_undo_and_double_the_spelling():
    assert "goede" in adjective_forms("goed")
    assert "brede" in adjective_forms("breed")
    assert "witte" in adjective_forms("wit")
    assert "boze" in adjective_forms("boos")


def test_generated_forms_round_trip_through_the_reductions():
    """Every verb form generated from an infinitive reduces back to it (the two rules agree)."""
    for infinitive in ("beschuldigen", "stromen", "maken", "werken", "organiseren"):
        for form in verb_forms(infinitive):
            if form != infinitive[:-2]:
                assert infinitive in dutch_reductions(form) or form.endswith(("den", "ten")), form


def test_long_word_is_linear():
    assert dutch_forms("a" * 5000) is not None
    assert isinstance(dutch_reductions("b" * 100_000), list)


def test_dictionary_links_inflected_verb_forms():
    pairs = dictionary_pairs()
    if not pairs:
        pytest.skip("FreeDict nld-eng is not installed")
    accuse = {en for nl, en, *_ in pairs if nl == analyze("nl", "beschuldigt")[0]}
    assert analyze("en", "accuse")[0] in accuse
    # a squashed English translation is linked as the phrase too
    premier = {en for nl, en, *_ in pairs if nl == "premier"}
    assert " ".join(analyze("en", "prime minister")) in premier
