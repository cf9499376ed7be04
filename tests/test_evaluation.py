"""The FLORES misses file and the per-class miss table (index.evaluation)."""

from __future__ import annotations

from index.analysis import analyze
from index.crosslink.lexicon import Lexicon
from index.evaluation import (Article, flores_misses, miss_classes, miss_table, read_misses,
                              write_misses)


def _article(nl: str, en: str) -> Article:
    return Article("u", [0, 1], {"nl": [nl, "x"], "en": [en, "y"]})


ARTICLES = [
    _article("De premier sprak.", "The prime minister spoke."),
    _article("De aanklager beschuldigt hem.", "The prosecutor accuses him."),
    _article("Het regent.", "It rains."),
]


def _lexicon() -> Lexicon:
    lexicon = Lexicon()
    lexicon.add_pair("premier", " ".join(analyze("en", "prime minister")), 0.6, "dictionary")
    lexicon.add_pair(analyze("nl", "beschuldigen")[0], analyze("en", "accuse")[0], 0.8,
                     "dictionary")
    return lexicon


def test_misses_are_queries_ranked_worse_than_monolingually(tmp_path):
    flores = {
        "nl->nl": {"ranks": {0: 1, 1: 2, 2: 1}},
        "en->en": {"ranks": {"0": 1, "1": 1, "2": 3}},  # as read back from JSON
        "en->nl cross-linked": {"ranks": {0: 3, 1: 2, 2: 0}},
        "nl->en cross-linked": {"ranks": {0: 1, 1: 4, 2: 2}},
    }
    rows = flores_misses(flores, ARTICLES)
    assert [(r["direction"], r["article"]) for r in rows] == [
        ("en->nl", 0), ("en->nl", 2), ("nl->en", 1)]
    path = tmp_path / "misses.tsv"
    write_misses(path, rows)
    assert read_misses(path) == rows


def test_miss_classes():
    lexicon = _lexicon()
    assert miss_classes("nl->en", ARTICLES[0], lexicon) == {"phrase"}
    assert miss_classes("nl->en", ARTICLES[1], lexicon) == {"inflection"}
    assert miss_classes("nl->en", ARTICLES[2], lexicon) == {"other"}


def test_miss_table_counts_fixed_still_missed_and_new():
    before = [{"direction": "nl->en", "article": 0}, {"direction": "nl->en", "article": 1}]
    after = [{"direction": "nl->en", "article": 1}, {"direction": "nl->en", "article": 2}]
    table = {r["class"]: r for r in miss_table(before, after, ARTICLES, _lexicon())}
    assert (table["phrase"]["fixed"], table["phrase"]["still_missed"]) == (1, 0)
    assert (table["inflection"]["fixed"], table["inflection"]["still_missed"]) == (0, 1)
    assert table["other"]["new_misses"] == 1
