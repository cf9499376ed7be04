"""The ``tolk`` command line, run in process through the ``runner`` fixture."""

import json
import subprocess
import sys
import textwrap

import pytest
from pathlib import Path

from conftest import SEEDS

ROOT = Path(__file__).resolve().parent.parent


def test_index_prints_a_summary_per_language_and_skips_with_reasons(runner, tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text(next(SEEDS.glob("003_*.txt")).read_text("utf-8"), "utf-8")
    (docs / "b.jsonl").write_text(
        json.dumps({"id": "de-1", "text": "Der Bundestag hat am Dienstag über den Haushalt "
                    "abgestimmt, und die Opposition hat lautstark protestiert."}) + "\n"
        + '{"id": "broken"\n', "utf-8")
    result = runner(["index", "--quiet", "--index-dir", tmp_path / "ix", docs])
    assert result.exit_code == 0, result.stderr
    assert "Indexed 1 documents (nl: 1)" in result.output
    assert "Skipped 2:" in result.output
    assert "b.jsonl:1" in result.output and "Dutch" in result.output  # not nl/en, said so
    assert "b.jsonl:2: invalid JSON" in result.output


def test_index_json_summary_and_update_by_id(runner, tmp_path):
    index_dir = tmp_path / "ix"
    first = runner(["index", "--quiet", "--json", "--index-dir", index_dir, SEEDS])
    summary = json.loads(first.output)
    assert summary["mode"] == "update" and summary["indexed"] == {"nl": 4, "en": 1}
    assert summary["skipped"] == [] and summary["lexicon_pairs"]["transliteration"] >= 1
    again = json.loads(runner(["index", "--quiet", "--json", "--index-dir", index_dir,
                               next(SEEDS.glob("004_*.txt"))]).output)
    assert sum(again["indexed"].values()) == 1
    health = json.loads(runner(["search", "--json", "--index-dir", index_dir, "Poetin"]).output)
    assert health["facets"]["language"] == {"nl": 4, "en": 1}


def test_index_missing_path_says_what_to_give(runner, tmp_path):
    result = runner(["index", "--index-dir", tmp_path / "ix", tmp_path / "nope"])
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr and ".jsonl" in result.stderr
    assert not (tmp_path / "ix").exists()


def test_search_prints_ranked_hits_with_their_cross_links(runner, seed_index):
    result = runner(["search", "--index-dir", seed_index, "Putin"])
    assert result.exit_code == 0, result.stderr
    lines = result.output.splitlines()
    assert lines[0].startswith("5 hits for 'Putin' (query language en")
    assert lines[1].startswith(" 1. [")
    assert "Putin <- Poetin (transliteration" in result.output
    assert "[Poetin]" in result.output  # the snippet's <mark> shown as brackets


def test_search_lang_and_monolingual_flags(runner, seed_index):
    nl = json.loads(runner(["search", "--json", "--lang", "nl", "--index-dir", seed_index,
                            "Putin"]).output)
    assert nl["hits"] and {h["language"] for h in nl["hits"]} == {"nl"}
    mono = json.loads(runner(["search", "--json", "--monolingual", "--index-dir", seed_index,
                              "Putin"]).output)
    assert {h["language"] for h in mono["hits"]} == {"en"}


def test_search_errors_say_what_to_do(runner, seed_index, tmp_path):
    syntax = runner(["search", "--index-dir", seed_index, '"open phrase'])
    assert syntax.exit_code == 2 and "query syntax" in syntax.stderr
    missing = runner(["search", "--index-dir", tmp_path / "none", "Putin"])
    assert missing.exit_code == 2 and "tolk index" in missing.stderr


def test_lexicon_lookup_and_stats(runner, seed_index):
    lookup = runner(["lexicon", "lookup", "--index-dir", seed_index, "Putin"])
    assert lookup.exit_code == 0 and "'poetin'" in lookup.output and "transliteration" in lookup.output
    rows = json.loads(runner(["lexicon", "lookup", "--json", "--index-dir", seed_index,
                              "NAVO"]).output)
    assert any(r["target"] == "nato" and "curated" in r["sources"] for r in rows)
    stats = json.loads(runner(["lexicon", "stats", "--json", "--index-dir", seed_index]).output)
    assert stats["pairs"] >= max(stats["per_source"].values()) > 0
    assert {"dictionary", "names", "curated", "transliteration"} <= set(stats["per_source"])
    none = runner(["lexicon", "lookup", "--index-dir", seed_index, "qqqzzz"])
    assert "no cross-links" in none.output


def test_serve_without_an_index_says_how_to_build_one(runner, tmp_path):
    result = runner(["serve", "--index-dir", tmp_path / "none"])
    assert result.exit_code == 2 and "tolk index --index-dir" in result.stderr


def test_eval_on_the_seeds_writes_its_section_into_benchmarks(runner, tmp_path):
    bench = tmp_path / "BENCHMARKS.md"
    bench.write_text("# Benchmarks\n\nspeed tables\n", "utf-8")
    out_json = tmp_path / "eval.json"
    for _ in range(2):  # the second run replaces the section instead of adding one
        result = runner(["eval", "--skip-flores", "--json", out_json, "--benchmarks", bench])
        assert result.exit_code == 0, result.stderr
    report = json.loads(out_json.read_text("utf-8"))
    cross, mono = report["seeds"]["cross-linked"], report["seeds"]["monolingual"]
    assert cross["ndcg@5"] > mono["ndcg@5"]
    text = bench.read_text("utf-8")
    assert text.startswith("# Benchmarks\n\nspeed tables\n")
    assert text.count("## Retrieval quality (`tolk eval`)") == 1
    assert f"| cross-linked | {cross['ndcg@5']:.3f} |" in text


def test_progress_bars_leave_the_parallel_writers_on():
    """With bars on (no --quiet) a big rebuild may still fork its per-language writers.

    tqdm's monitor thread made ``parallel_procs`` return 0 whenever a bar existed, so
    `tolk index --rebuild` ran on one core unless --quiet was given. Run in a fresh
    process: pytest's own threads would hide the difference.
    """
    script = textwrap.dedent("""
        import argparse, os, time
        from service import cli
        from index.storage.writers import parallel_procs
        bar = cli._progress_bar(argparse.Namespace(quiet=False), 10)
        bar.update()
        time.sleep(0.3)
        cpus = len(os.sched_getaffinity(0))
        print(cpus, parallel_procs(10**6))
        bar.close()
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    cpus, procs = map(int, out.stdout.split())
    assert procs > 0 if cpus >= 2 else procs == 0


def test_tolk_index_with_progress_bars_writes_in_worker_processes(tmp_path):
    """`tolk index --rebuild` with its bars on really forks one writer process per language.

    The real command runs in a fresh process (pytest's own threads would hide a
    monitor thread); the only change is the size threshold, so a small corpus
    forks, and a marker that each worker process writes with its pid.
    """
    import os

    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one CPU: the writers run in-process by design")
    docs = tmp_path / "docs.jsonl"
    lines = []
    for i in range(12):
        lang = "nl" if i % 2 else "en"
        text = ("De gemeenteraad bespreekt vandaag de nieuwe plannen voor het station {i}."
                if lang == "nl" else "The council discusses the new plans for station {i} today.")
        lines.append(json.dumps({"id": f"d{i}", "language": lang, "title": f"t {i}",
                                 "text": text.format(i=i)}))
    docs.write_text("\n".join(lines) + "\n", "utf-8")
    markers = tmp_path / "workers"
    markers.mkdir()
    script = textwrap.dedent(f"""
        import os, sys
        from index.storage import writers
        writers.PARALLEL_MIN_DOCS = 1
        run = writers._ChunkedSubWriterTask.run
        def marked(self):
            open(os.path.join({str(markers)!r}, str(os.getpid())), "w").close()
            run(self)
        writers._ChunkedSubWriterTask.run = marked
        from service import cli
        sys.exit(cli.main(["index", "--rebuild", "--index-dir", {str(tmp_path / "ix")!r},
                           {str(docs)!r}]))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "indexing" in out.stderr  # the progress bar was on
    pids = {int(p.name) for p in markers.iterdir()}
    assert len(pids) == 2, out.stderr  # one writer process per language
    assert "Indexed 12 documents" in out.stdout
