"""Write latency: one-document writes with and without new names, and `tolk index one.txt`.

Issue 11: a write that brought one new capitalized name took 1.9-4.3 s (the
whole lexicon was rebuilt and fsynced under the write lock) and `tolk index
one.txt` 7-10 s. This measures, for the checkout and (``--baseline REV``) the
code at a git revision, in the same run and on the same corpus:

* p50/p90 of ``index.storage.update`` with one prepared document (what
  ``POST /api/documents`` does after validation), alternating a document that
  brings a new name (an invented capitalized name, new each time) and one that
  brings none; the first write of a process is reported apart (warm-up: FreeDict
  and the static lexicon are read once per process);
* how long the write lock was held (p50; checkouts whose ``update`` reports it);
* the wall time of ``tolk index one.txt`` (a fresh process, a new name) on the
  same index, the median of ``--cli-runs``.

Each configuration builds its own index of ``--docs`` generated documents
(``bench/corpus.py``) with its own code, kept under bench/out/ for reruns;
writes go to a copy.

    .venv/bin/python bench/write_latency.py --docs 10000 --writes 20 --baseline main
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from corpus import OUT_DIR, ensure_corpus, read_corpus  # noqa: E402
from index_speed import _export  # noqa: E402

NEW_NAME = ("Gisteren sprak minister {name} in Brussel met de ministers van defensie over de "
            "steun aan Oekraïne en de sancties tegen Rusland.")
NO_NAME = ("gisteren sprak de minister in de hoofdstad met de ministers van defensie over de "
           "steun aan het land en de sancties, en zij spraken over de begroting {i}.")


def invented_name(i: int, salt: str) -> str:
    """A capitalized name no dictionary or corpus has, different for every (i, salt)."""
    consonants, vowels = "bdfgklmnprstvz", "aeiou"
    n = int(salt, 16) % 10**9 * 100_000 + i
    syllables = []
    while n:
        n, digit = divmod(n, len(consonants) * len(vowels))
        syllables.append(consonants[digit // 5] + vowels[digit % 5])
    return "Zo" + "".join(syllables) + "vski"


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def _child_build(index_dir: Path, docs: int, size: int) -> dict:
    corpus = ensure_corpus(size)
    sliced = index_dir.parent / f"{index_dir.name}.jsonl"
    with open(sliced, "w", encoding="utf-8") as out:
        for record in read_corpus(corpus, docs):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    from service.cli import main as tolk

    started = time.perf_counter()
    code = tolk(["index", "--quiet", "--rebuild", "--index-dir", str(index_dir), str(sliced)])
    sliced.unlink()
    return {"code": code, "seconds": time.perf_counter() - started}


def _child_writes(index_dir: Path, writes: int, salt: str) -> dict:
    from index.ingest.documents import RawDocument, prepare
    from index.storage import update
    from service.lexicon import lexicon_builder
    from service.settings import load_settings

    settings = {**load_settings(), "INDEX_DIR": str(index_dir)}
    docs = []
    for i in range(writes):
        with_name = prepare(RawDocument(id=f"wl-{salt}-name-{i}", language="nl",
                                        text=NEW_NAME.format(name=invented_name(i, salt))))
        without = prepare(RawDocument(id=f"wl-{salt}-plain-{i}", language="nl",
                                      text=NO_NAME.format(i=i)))
        docs.append((with_name, without))
    times = {"new_name": [], "no_new_name": []}
    locked = {"new_name": [], "no_new_name": []}  # lock hold time (checkouts that report it)
    first = None
    for with_name, without in docs:
        for kind, doc in (("new_name", with_name), ("no_new_name", without)):
            builder = lexicon_builder(settings)  # per request, as the service does
            started = time.perf_counter()
            report = update(index_dir, [doc], lexicon_builder=builder)
            elapsed = time.perf_counter() - started
            if first is None:
                first = elapsed
            else:
                times[kind].append(elapsed)
                if getattr(report, "locked_seconds", None):
                    locked[kind].append(report.locked_seconds)
    return {"first": first, **times, "locked": locked}


def _cli_once(code_dir: Path, index_dir: Path, i: int, salt: str) -> float:
    folder = Path(tempfile.mkdtemp(prefix="wl-one-", dir=OUT_DIR))
    try:
        one = folder / f"one-{salt}-{i}.txt"
        one.write_text(NEW_NAME.format(name=invented_name(1000 + i, salt)), "utf-8")
        env = {**os.environ, "PYTHONPATH": str(code_dir)}
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "service.cli", "index", "--quiet",
                        "--index-dir", str(index_dir), str(one)],
                       cwd=code_dir, env=env, check=True, capture_output=True)
        return time.perf_counter() - started
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_child(code_dir: Path, *args) -> dict:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(code_dir), str(BENCH), os.environ.get("PYTHONPATH")) if p)}
    out = subprocess.run([sys.executable, __file__, "--child", *map(str, args)], env=env,
                         cwd=code_dir, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--size", type=int, default=None, help="corpus to slice (default --docs)")
    ap.add_argument("--writes", type=int, default=20, help="writes of each kind")
    ap.add_argument("--cli-runs", type=int, default=3)
    ap.add_argument("--baseline", default=None, help="git revision to compare against")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        kind, *rest = args.child
        if kind == "build":
            result = _child_build(Path(rest[0]), int(rest[1]), int(rest[2]))
        else:
            result = _child_writes(Path(rest[0]), int(rest[1]), rest[2])
        print(json.dumps(result))
        return 0

    size = args.size or args.docs
    ensure_corpus(size)
    configs = {}
    if args.baseline:
        configs[f"tolk@{args.baseline}"] = _export(args.baseline)
    configs["tolk (checkout)"] = ROOT
    salt = f"{time.time_ns():x}"
    report = {}
    for label, code_dir in configs.items():
        tag = "checkout" if code_dir == ROOT else code_dir.name
        built = OUT_DIR / f"write-latency-{tag}-{args.docs}"
        if not (built / "current").exists():
            shutil.rmtree(built, ignore_errors=True)
            result = _run_child(code_dir, "build", built, args.docs, size)
            print(f"{label}: built {args.docs:,} docs in {result['seconds']:.0f} s", flush=True)
        work = OUT_DIR / f"write-latency-{tag}-{args.docs}-work"
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(built, work, symlinks=True)
        try:
            writes = _run_child(code_dir, "writes", work, args.writes, salt)
            cli = [_cli_once(code_dir, work, i, salt) for i in range(args.cli_runs)]
        finally:
            shutil.rmtree(work, ignore_errors=True)
        row = {"first_write_ms": round(writes["first"] * 1000, 1),
               "cli_one_file_s": round(statistics.median(cli), 2)}
        for kind in ("new_name", "no_new_name"):
            ms = [t * 1000 for t in writes[kind]]
            row[kind] = {"p50_ms": round(percentile(ms, 0.5), 1),
                         "p90_ms": round(percentile(ms, 0.9), 1), "n": len(ms)}
            held = [t * 1000 for t in writes.get("locked", {}).get(kind, [])]
            if held:
                row[kind]["lock_held_p50_ms"] = round(percentile(held, 0.5), 1)
        report[label] = row
        print(f"{label}: {json.dumps(row)}", flush=True)
    print(f"\none-document writes on {args.docs:,} documents (ms), `tolk index one.txt` (s):")
    print(f"  {'':24} {'new name p50':>12} {'p90':>8} {'no name p50':>12} {'p90':>8} "
          f"{'first':>8} {'cli':>6}")
    for label, row in report.items():
        print(f"  {label:24} {row['new_name']['p50_ms']:12.1f} {row['new_name']['p90_ms']:8.1f}"
              f" {row['no_new_name']['p50_ms']:12.1f} {row['no_new_name']['p90_ms']:8.1f}"
              f" {row['first_write_ms']:8.1f} {row['cli_one_file_s']:6.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
