"""The learned links shipped in index/data/parallel_links.tsv, and evaluation's folds without them."""

import subprocess
import sys
from pathlib import Path

import pytest

from index.analysis import analyze
from index.crosslink import build_lexicon, parallel, static_cache
from index.evaluation import flores_articles, flores_lexicon_factory, run_flores
from tests.conftest import ROOT


def test_shipped_file_names_its_source_and_licence():
    learned, evidence, header = parallel.read_shipped()
    assert "FLORES-200 devtest" in header["source"] and "CC-BY-SA 4.0" in header["licence"]
    assert "build_parallel_links.py" in parallel.SHIPPED_PATH.read_text("utf-8")
    assert len(learned) > 500 and len(evidence.pairs) > 500
    assert all(0.0 < w <= parallel.MAX_WEIGHT for _, _, w, _, _ in learned)


def test_shipped_file_is_in_step_with_the_analyzers():
    """Fails after a stemmer change: run scripts/build_parallel_links.py and commit the file."""
    rows = [line.split("\t") for line in parallel.SHIPPED_PATH.read_text("utf-8").splitlines()
            if line.startswith("learned\t")]
    same = sum(1 for _, nl, en, _, nl_s, en_s in rows
               if analyze("nl", nl_s) == [nl] and analyze("en", en_s) == [en])
    assert same >= 0.95 * len(rows), f"only {same} of {len(rows)} rows stem as stored"


def test_default_lexicon_uses_the_shipped_links_without_a_parallel_folder():
    shipped = build_lexicon(None, parallel_dir=None, freedict_dir=None, sources=["parallel"])
    learned, _, _ = parallel.read_shipped()
    assert shipped.stats().get("parallel") == len({(nl, en) for nl, en, *_ in learned})
    nl, en = learned[0][:2]
    assert "parallel" in shipped.sources_of(nl, en)
    none = build_lexicon(None, parallel_dir=None, freedict_dir=None, sources=["parallel"],
                         shipped_parallel=False)
    assert len(none) == 0


def test_shipped_evidence_discounts_contradicted_dictionary_pairs():
    _, evidence, _ = parallel.read_shipped()
    nl, en = sorted(evidence.pairs)[0]
    pairs = [(nl, en, 0.6, nl, en), ("zzqnl", "zzqen", 0.6, "zzqnl", "zzqen")]
    out = list(parallel.discount_unattested(pairs, evidence))
    assert out[0][2] == pytest.approx(0.6 * parallel.UNATTESTED_FACTOR) and out[1][2] == 0.6


def test_static_cache_key_covers_the_shipped_file():
    assert parallel.SHIPPED_PATH.resolve() in [p.resolve() for p in static_cache._CODE]


def test_build_script_writes_a_readable_file(tmp_path):
    script = [sys.executable, str(ROOT / "scripts" / "build_parallel_links.py")]
    folder = _flores(tmp_path / "flores", articles=4)
    out = tmp_path / "links.tsv"
    done = subprocess.run([*script, "--flores", folder, "--freedict", tmp_path / "none",
                           "--out", out], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    learned, _, header = parallel.read_shipped(out)
    assert ("btolkwoord", "btolkword") in {(nl, en) for nl, en, *_ in learned}
    assert "CC-BY-SA" in header["licence"]
    wrong = subprocess.run([*script, "--flores", tmp_path / "missing", "--out", out],
                           capture_output=True, text=True)
    assert wrong.returncode == 2 and wrong.stderr.startswith("error: ")
    assert "Traceback" not in wrong.stderr


def _flores(folder: Path, articles: int) -> Path:
    """A FLORES-shaped folder: each article has its own word pair, in two of its sentences."""
    folder.mkdir(parents=True)
    nl, en, meta = [], [], ["URL\tdomain"]
    for n in range(articles):
        mark = chr(ord("a") + n)
        nl += [f"De minister sprak over de begroting {n}.",
               f"Het {mark}tolkwoord kwam in het nieuws.", f"Weer het {mark}tolkwoord vandaag."]
        en += [f"The minister spoke about the budget {n}.",
               f"The {mark}tolkword was in the news.", f"Again the {mark}tolkword today."]
        meta += [f"https://example.org/{n}\tnews"] * 3
    (folder / "nld_Latn.devtest").write_text("\n".join(nl) + "\n", "utf-8")
    (folder / "eng_Latn.devtest").write_text("\n".join(en) + "\n", "utf-8")
    (folder / "metadata_devtest.tsv").write_text("\n".join(meta) + "\n", "utf-8")
    return folder


def test_evaluation_never_learns_from_its_test_fold(tmp_path):
    folder = _flores(tmp_path / "flores", articles=10)
    articles = flores_articles(folder)
    factory = flores_lexicon_factory(folder, freedict_dir=None)
    seen = []

    def spy(names, exclude):
        lexicon = factory(names, exclude)
        seen.append((set(exclude), lexicon))
        return lexicon

    run_flores(folder, spy, folds=5)
    assert len(seen) == 5
    shipped = {(nl, en) for nl, en, *_ in parallel.read_shipped()[0]}
    for exclude, lexicon in seen:
        learned = {(nl, en) for nl, en, _, sources, *_ in lexicon.pairs() if "parallel" in sources}
        for n, article in enumerate(articles):
            mark = chr(ord("a") + n)
            pair = (f"{mark}tolkwoord", f"{mark}tolkword")
            # A test article's own pair is unknown to its fold, every other article's is learned.
            assert (pair in learned) == (not set(article.lines) & exclude), (n, sorted(exclude))
        nl_lines, en_lines = parallel.read_parallel(folder)
        expected = {(nl, en) for nl, en, *_ in parallel.learn_pairs(nl_lines, en_lines,
                                                                    exclude=exclude)}
        assert learned == expected  # nothing from the shipped file (all FLORES articles)
        assert not (learned - expected) & shipped


def test_rows_follow_the_analyzers_when_the_stored_terms_are_stale(tmp_path):
    """After a stemmer change the words, not the old stems, decide (until the file is rebuilt)."""
    stale = tmp_path / "links.tsv"
    stale.write_text("# source: test\n"
                     "learned\toldnl\toldenx\t0.5\ttroepen\ttroops\n"
                     "unattested\toldnl2\toldenx2\tkerken\tkirks\n", "utf-8")
    learned, evidence, _ = parallel.read_shipped(stale)
    assert learned == [(analyze("nl", "troepen")[0], analyze("en", "troops")[0], 0.5,
                        "troepen", "troops")]
    assert evidence.contradicts(analyze("nl", "kerken")[0], analyze("en", "kirks")[0])
    assert evidence.contradicts("oldnl2", "oldenx2")
    broken = tmp_path / "broken.tsv"
    broken.write_text("learned\tonly-two\tfields\n", "utf-8")
    with pytest.raises(ValueError, match="broken.tsv:1"):
        parallel.read_shipped(broken)
