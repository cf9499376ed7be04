"""The lexicon: both directions, dedup by target, agreement bonus, JSON round trip, fallbacks."""

from collections import Counter

import pytest

from index.crosslink.lexicon import Lexicon, Link, combine


def small():
    lx = Lexicon()
    lx.add("nl", "troep", Link("troop", "troops", 0.4, "dictionary"))
    lx.add("nl", "troep", Link("troop", "troops", 0.7, "parallel"))
    lx.add("nl", "troep", Link("herd", "herd", 0.2, "dictionary"))
    lx.add("en", "nato", Link("navo", "NAVO", 1.0, "curated"))
    lx.add_pair("verenigd koninkrijk", "unit kingdom", 0.95, "names",
                "Verenigd Koninkrijk", "United Kingdom")
    return lx


def test_links_best_first_deduplicated_with_source_of_best():
    links = small().links("nl", "troep")
    assert [link.term for link in links] == ["troop", "herd"]
    best = links[0]
    assert best.source == "parallel" and best.surface == "troops"
    assert best.weight == pytest.approx(combine([0.7, 0.4]))
    assert 0.7 < best.weight < 1.0  # two sources agree: a bonus, still below 1


def test_both_directions():
    lx = small()
    assert [link.term for link in lx.links("en", "troop")] == ["troep"]
    assert [link.term for link in lx.links("nl", "navo")] == ["nato"]
    assert lx.links("nl", "navo")[0].surface == "nato"  # added from the English side
    assert [link.term for link in lx.links("en", "nato")] == ["navo"]
    assert lx.links("en", "nato")[0].surface == "NAVO"
    assert lx.links("nl", "verenigd koninkrijk")[0].surface == "United Kingdom"
    assert lx.links("en", "unit kingdom")[0].term == "verenigd koninkrijk"


def test_unknown_term_and_bad_language():
    lx = small()
    assert lx.links("nl", "fiets") == []
    with pytest.raises(ValueError):
        lx.links("de", "troep")
    with pytest.raises(ValueError):
        lx.add_pair("a", "b", 1.5, "curated")


def test_limit_and_min_weight():
    lx = small()
    assert len(lx.links("nl", "troep", limit=1)) == 1
    assert [link.term for link in lx.links("nl", "troep", min_weight=0.5)] == ["troop"]


def test_stats_and_len():
    lx = small()
    assert len(lx) == 4
    assert lx.stats() == {"curated": 1, "names": 1, "dictionary": 2, "parallel": 1}


def test_save_load_round_trip(tmp_path):
    lx = small()
    lx.name_keys = {"en": {"lugansk": [["lugansk", "Lugansk"]]}}
    lx.info = {"warnings": ["x"]}
    path = tmp_path / "lexicon.json"
    lx.save(path)
    text = path.read_text("utf-8")
    assert "\n" not in text and ": " not in text  # compact
    loaded = Lexicon.load(path)
    assert len(loaded) == len(lx)
    assert loaded.stats() == lx.stats()
    assert loaded.info == {"warnings": ["x"]}
    for lang, term in [("nl", "troep"), ("en", "troop"), ("en", "nato"), ("nl", "navo"),
                       ("nl", "verenigd koninkrijk")]:
        assert loaded.links(lang, term) == lx.links(lang, term)
    assert loaded.sources_of("troep", "troop") == {"parallel": 0.7, "dictionary": 0.4}
    assert ("troep", "herd") in loaded and ("troep", "nato") not in loaded
    # A loaded lexicon can still grow.
    loaded.add_pair("troep", "band", 0.3, "dictionary")
    assert [link.term for link in loaded.links("nl", "troep")] == ["troop", "band", "herd"]
    assert loaded.links("nl", "troep")[0].weight == lx.links("nl", "troep")[0].weight


def test_load_rejects_other_json(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"pairs": []}')
    with pytest.raises(ValueError, match="not a Tolk lexicon"):
        Lexicon.load(path)


def test_name_key_fallback_for_unseen_spelling():
    from index.crosslink.transliteration import name_key_index

    lx = small()
    lx.name_keys = name_key_index({"nl": Counter(), "en": Counter({"Lugansk": 3, "Luhansk": 1})})
    terms = {link.term for link in lx.links("nl", "loegansk")}
    assert terms == {"lugansk", "luhansk"}
    assert all(link.source == "transliteration" and link.weight < 0.9
               for link in lx.links("nl", "loegansk"))
    assert lx.links("nl", "boek") == []  # no name of that key


def test_compound_fallback_uses_known_parts():
    lx = Lexicon()
    lx.add_pair("vrede", "peac", 0.8, "dictionary", "vrede", "peace")
    lx.add_pair("missie", "mission", 0.8, "dictionary", "missie", "mission")
    lx.add_pair("lier", "lyre", 0.8, "dictionary")
    links = {link.term: link.weight for link in lx.links("nl", "vredesmissie")}
    assert set(links) == {"mission", "peac"}
    assert links["mission"] > links["peac"]  # the head carries the meaning
    assert lx.split_compound("vredesmissie") == ("vrede", "missie")
    # A short head with an unknown modifier is no compound: bondskanselier is not ... + lier.
    assert lx.links("nl", "bondskanselier") == []
    assert lx.links("en", "peacemission") == []  # Dutch only
