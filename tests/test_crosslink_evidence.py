"""Per-direction sense evidence: word frequency (wordfreq) and cognate spelling."""

import json
from pathlib import Path

from index.crosslink import evidence
from tests.conftest import require


def test_frequency_factor_falls_with_the_gap_and_has_a_floor():
    assert evidence.frequency_factor(5.0, 5.2) == 1.0
    assert evidence.frequency_factor(5.0, 5.0 - evidence.FREQUENCY_TOLERANCE) == 1.0
    factors = [evidence.frequency_factor(5.0, z) for z in (3.8, 3.5, 3.0, 2.0, 1.0)]
    assert factors == sorted(factors, reverse=True) and factors[0] < 1.0
    assert factors[-1] == evidence.FREQUENCY_FLOOR
    assert evidence.frequency_factor(0.0, 3.0) == evidence.frequency_factor(5.0, 0.0) == 1.0


def test_a_rare_sense_loses_weight_the_common_one_keeps_it():
    kirk = evidence.explain("kerk", "nl", "kirk", "en", 0.64, "dictionary", ["church"])
    church = evidence.explain("kerk", "nl", "church", "en", 0.36, "dictionary", ["kirk"])
    assert kirk["target_zipf"] < church["target_zipf"]
    assert kirk["frequency_factor"] < 1.0 and kirk["weight"] < 0.64
    assert church["frequency_factor"] == 1.0 and church["weight"] == 0.36
    horde = evidence.adjusted_weight("troops", "en", "horde", "nl", 0.57, "dictionary",
                                     ["troepen", "bende"])
    assert horde < 0.57


def test_direction_matters_and_an_only_translation_is_never_penalized():
    # "bejaard" is rarer than "old": as a Dutch query word its only translation keeps its weight,
    assert evidence.adjusted_weight("bejaard", "nl", "old", "en", 0.5, "dictionary") == 0.5
    # but for an English query "old", "bejaard" is a rare sense beside "oud".
    assert evidence.adjusted_weight("old", "en", "bejaard", "nl", 0.5, "dictionary",
                                    ["oud"]) < 0.5


def test_other_sources_and_unknown_words_are_left_alone():
    assert evidence.adjusted_weight("kerk", "nl", "kirk", "en", 0.64, "curated", ["church"]) == 0.64
    assert evidence.adjusted_weight("kerk", "nl", "qqzzxv", "en", 0.4, "dictionary",
                                    ["church"]) == 0.4


def test_cognates_gain_short_look_alikes_do_not():
    assert evidence.spelling_similarity("informatie", "nl", "information") == 1.0
    assert evidence.spelling_similarity("kerk", "nl", "kirk") == 0.0
    gained = evidence.adjusted_weight("informatie", "nl", "information", "en", 0.4, "dictionary")
    assert 0.4 < gained <= 1.0


def test_lexicon_lookup_shows_the_evidence(runner, seed_index):
    require(Path("/usr/share/dictd/freedict-nld-eng.index").exists(), "FreeDict nld-eng")
    out = runner(["lexicon", "lookup", "--index-dir", seed_index, "kerk"])
    assert out.exit_code == 0 and "for a nl query:" in out.output and "frequency" in out.output
    rows = json.loads(runner(["lexicon", "lookup", "--json", "--index-dir", seed_index,
                              "kerk"]).output)
    by_target = {r["target"]: r for r in rows if r["from"] == "nl"}
    assert {"church", "kirk"} <= set(by_target)
    kirk = by_target["kirk"]
    assert kirk["evidence"]["dictionary_rank"] >= 1 and kirk["evidence"]["frequency_factor"] < 1
    assert kirk["query_weight"] < kirk["weight"]
    assert by_target["church"]["query_weight"] > kirk["query_weight"]
    assert kirk["evidence"]["dictionary_senses"] >= 2
