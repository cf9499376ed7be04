"""build_lexicon: all sources into one lexicon; lookup; the real sources end to end."""

from collections import Counter
from pathlib import Path

import pytest

from index.crosslink import build_lexicon, lookup, phrase_links
from index.crosslink.lexicon import Lexicon
from index.crosslink.report import SEED_WORDS, coverage, seed_names
from tests.conftest import FLORES, SEEDS, require
from tests.test_crosslink_dictionary import ENG_NLD, NLD_ENG, write_dictd

REAL_DICT = Path("/usr/share/dictd/freedict-nld-eng.index").exists()


@pytest.fixture
def small_sources(tmp_path):
    dictd = tmp_path / "dictd"
    dictd.mkdir()
    write_dictd(dictd, "freedict-nld-eng", NLD_ENG)
    write_dictd(dictd, "freedict-eng-nld", ENG_NLD)
    parallel = tmp_path / "parallel"
    parallel.mkdir()
    nl = ["De troepen trekken terug.", "Nieuwe troepen komen.", "De kat slaapt.", "Een kat eet."]
    en = ["The troops withdraw.", "New troops arrive.", "The cat sleeps.", "A cat eats."]
    (parallel / "nld_Latn.devtest").write_text("\n".join(nl) + "\n", encoding="utf-8")
    (parallel / "eng_Latn.devtest").write_text("\n".join(en) + "\n", encoding="utf-8")
    curated = tmp_path / "curated.tsv"
    curated.write_text("NAVO\tNATO\tacronym\n", encoding="utf-8")
    names = {"nl": Counter({"Poetin": 3, "Sergej": 1}), "en": Counter({"Putin": 2, "Sergei": 1})}
    return dict(names=names, parallel_dir=parallel, freedict_dir=dictd, curated_path=curated)


def test_all_sources_combine(small_sources):
    lx = build_lexicon(**small_sources)
    stats = lx.stats()
    assert set(stats) == {"curated", "names", "transliteration", "dictionary", "parallel"}
    assert lx.links("nl", "navo")[0].term == "nato"
    assert lx.links("nl", "poetin")[0].term == "putin"
    assert lx.links("en", "sergei")[0].term == "sergej"
    troop = next(link for link in lx.links("nl", "troep") if link.term == "troop")
    assert set(lx.sources_of("troep", "troop")) == {"dictionary", "parallel"}
    assert troop.weight > max(lx.sources_of("troep", "troop").values())  # agreement bonus
    assert lx.links("nl", "witrusland")[0].term == "belarus"  # names source
    assert lx.info["warnings"] == [] and set(lx.info["seconds"]) == set(stats)


def test_missing_dictionary_and_parallel_do_not_crash(small_sources, tmp_path):
    small_sources.update(freedict_dir=tmp_path / "none", parallel_dir=None)
    lx = build_lexicon(**small_sources, shipped_parallel=False)
    assert "dictionary" not in lx.stats() and "parallel" not in lx.stats()
    assert any("not found" in w for w in lx.info["warnings"])
    assert lx.links("nl", "navo")


def test_exclude_parallel_lines(small_sources):
    lx = build_lexicon(**small_sources, exclude_parallel_lines={2, 3}, sources=["parallel"])
    assert lx.links("nl", "troep") and not lx.links("nl", "kat")


def test_lookup_explains_both_directions(small_sources):
    lx = build_lexicon(**small_sources)
    rows = lookup(lx, "troepen")
    assert any(r["from"] == "nl" and r["target"] == "troop"
               and r["sources"] == ["dictionary", "parallel"] for r in rows)
    rows = lookup(lx, "NATO")
    assert any(r["from"] == "en" and r["target"] == "navo" and r["source"] == "curated"
               for r in rows)


def test_phrase_links_finds_multi_word_names():
    lx = build_lexicon(sources=["names"])
    found = phrase_links(lx, "nl", ["het", "verenigd", "koninkrijk", "zegt"])
    assert found and found[0][:2] == (1, 3)
    assert found[0][2][0].term == "unit kingdom"


def test_real_build_coverage_and_size(tmp_path):
    require(REAL_DICT, "Debian FreeDict (dict-freedict-nld-eng)")
    names = seed_names(SEEDS)
    lx = build_lexicon(names, FLORES if FLORES.is_dir() else None)
    result = coverage(lx)
    assert result["linked"] >= 30, result["missing"]
    for nl, en in [("poetin", "putin"), ("witrusland", "belarus"), ("moskou", "moscow"),
                   ("oekraine", "ukrain"), ("navo", "nato"), ("troep", "troop"),
                   ("sanctie", "sanction")]:
        assert en in {link.term for link in lx.links("nl", nl, limit=None)}, nl
        assert nl in {link.term for link in lx.links("en", en, limit=None)}, en
    path = tmp_path / "lexicon.json"
    lx.save(path)
    assert path.stat().st_size < 8_000_000
    loaded = Lexicon.load(path)
    assert loaded.stats() == lx.stats()
    assert len(SEED_WORDS) == 37


def test_parallel_text_discounts_dictionary_senses_it_contradicts(small_sources, tmp_path):
    # troep -> crowd: both terms occur in the aligned text, never together.
    parallel = small_sources["parallel_dir"]
    with open(parallel / "nld_Latn.devtest", "a", encoding="utf-8") as f:
        f.write("Een grote menigte wacht.\n")
    with open(parallel / "eng_Latn.devtest", "a", encoding="utf-8") as f:
        f.write("A large crowd waits.\n")
    checked = build_lexicon(**small_sources)
    unchecked = build_lexicon(**{**small_sources, "parallel_dir": None}, shipped_parallel=False)
    assert checked.sources_of("troep", "crowd")["dictionary"] == pytest.approx(
        unchecked.sources_of("troep", "crowd")["dictionary"] * 0.5, abs=1e-3)
    # troep -> heap: "heap" is not in the aligned text, so no evidence against it.
    assert checked.sources_of("troep", "heap") == unchecked.sources_of("troep", "heap")
