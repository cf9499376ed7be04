"""Pairs learned from aligned sentences."""


import pytest

from index.crosslink.parallel import learn_pairs, read_parallel
from tests.conftest import FLORES, require

NL = [
    "De kat slaapt op de mat.",
    "Een kat drinkt melk.",
    "De hond eet vlees in de tuin.",
    "Een hond blaft in de tuin.",
    "De kat en de hond spelen samen in de tuin.",
    "Vandaag regent het.",
]
EN = [
    "The cat sleeps on the mat.",
    "A cat drinks milk.",
    "The dog eats meat in the garden.",
    "A dog barks in the garden.",
    "The cat and the dog play together in the garden.",
    "Today it rains.",
]


def learned(nl=NL, en=EN, **kw):
    return {nl_t: (en_t, w) for nl_t, en_t, w, _, _ in learn_pairs(nl, en, **kw)}


def test_learns_pairs_and_frequent_word_does_not_pair_with_everything():
    pairs = learned()
    assert pairs["kat"][0] == "cat"
    assert pairs["hond"][0] == "dog"
    assert pairs["tuin"][0] == "garden"
    targets = [en for en, _ in pairs.values()]
    assert len(targets) == len(set(targets))  # each English term at most once
    assert all(0 < w <= 0.8 for _, w in pairs.values())


def test_exclude_lines():
    pairs = learned(exclude={0, 1, 4})
    assert "kat" not in pairs  # seen once at most: below min_count
    assert pairs["hond"][0] == "dog"


def test_surfaces_and_min_count():
    rows = learn_pairs(NL, EN)
    surfaces = {nl: (nl_s, en_s) for nl, _, _, nl_s, en_s in rows}
    assert surfaces["kat"] == ("kat", "cat")
    assert learn_pairs(NL, EN, min_count=10) == []


def test_misaligned_input_is_an_error():
    with pytest.raises(ValueError, match="not aligned"):
        learn_pairs(NL, EN[:-1])


def test_flores_finds_news_words():
    require(FLORES.is_dir(), "FLORES data (../shared/data)")
    nl, en = read_parallel(FLORES)
    rows = learn_pairs(nl, en)
    pairs = {(a, b) for a, b, *_ in rows}
    assert ("president", "presid") in pairs
    assert ("leeuw", "lion") in pairs
    assert len(rows) > 500


def test_evidence_contradicts_only_pairs_seen_apart():
    from index.crosslink.parallel import Evidence

    ev = Evidence(NL, EN)
    assert not ev.contradicts("kat", "cat")  # together in aligned lines
    assert ev.contradicts("kat", "meat")  # both occur, never in one sentence pair
    assert not ev.contradicts("kat", "elephant")  # unknown English term: no evidence
    assert not ev.contradicts("olifant", "meat")  # unknown Dutch term: no evidence
    assert not Evidence(NL, EN, exclude=[0, 1, 4]).contradicts("kat", "meat")  # no kat left


def test_discount_unattested_lowers_only_contradicted_pairs():
    from index.crosslink.parallel import Evidence, discount_unattested

    ev = Evidence(NL, EN)
    pairs = [("kat", "cat", 0.8, "kat", "cat"), ("kat", "meat", 0.8, "kat", "meat"),
             ("kat", "feline", 0.8, "kat", "feline")]
    out = {en: w for _, en, w, _, _ in discount_unattested(pairs, ev, factor=0.5)}
    assert out == {"cat": 0.8, "meat": 0.4, "feline": 0.8}
