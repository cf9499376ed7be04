"""Run every benchmark and write BENCHMARKS.md.

    .venv/bin/python bench/run_all.py                       # 10k and 100k (~35-40 min)
    .venv/bin/python bench/run_all.py --sizes 10000,100000
    .venv/bin/python bench/run_all.py --quick               # 2k docs smoke run, 2-3 min
    .venv/bin/python bench/run_all.py --scale-1m            # then 1M docs, Tolk only (hours)

Per size: generate (or reuse) the corpus and query set in bench/out/, then
for each engine build its index in a fresh process and query it in another
one, then Tolk over HTTP through gunicorn next to the empty endpoint.
Raw results go to bench/out/results-<date>.json (and results-latest.json);
BENCHMARKS.md is rendered from them (``bench/report.py`` re-renders).
Indexes stay in bench/out/ix-<size>/ for ``bench/profile_tolk.py``.
Tolk is measured lexical-only (``TOLK_EMBEDDER=off`` for every step), as its peers are;
what sentence vectors add is ``bench/hybrid_bench.py``'s to measure, side by side.
Needs: Debian wdutch, wamerican, wrk; PyPI tantivy (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from corpus import DEFAULT_SEED, OUT_DIR, check_inputs, corpus_stats, ensure_corpus  # noqa: E402
from queries import queries_path  # noqa: E402

ENGINE_ORDER = ("whoosh-default", "tantivy", "fts5", "tolk")


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S ") + msg, file=sys.stderr, flush=True)


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) / 2**20
    except OSError:
        pass
    versions = {}
    for pkg in ("whoosh-reloaded", "tantivy", "PyStemmer", "Flask", "gunicorn", "psutil"):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = "not installed"
    import sqlite3

    versions["SQLite"] = sqlite3.sqlite_version
    try:
        wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split()[1]
    except (OSError, IndexError):
        wrk = "not installed"
    versions["wrk"] = wrk
    return {"nproc": os.cpu_count(), "cpu": cpu, "mem_gb": mem,
            "os": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "versions": versions}


def git_rev() -> str:
    try:
        rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "index", "service"],
                               cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return rev + (" + uncommitted changes in index/ or service/" if dirty else "")
    except OSError:
        return "?"


def freeze_code(stamp: str) -> dict:
    """Copy index/ and service/ to bench/out/code-<stamp>/ and measure that copy.

    Others edit the checkout while a run takes an hour; without a frozen copy
    the build and the queries of one engine could run different code. The
    copy comes first on PYTHONPATH for every worker and for gunicorn.
    """
    import hashlib
    import shutil

    dest = OUT_DIR / f"code-{stamp}"
    h = hashlib.sha256()
    for pkg in ("index", "service"):
        shutil.copytree(ROOT / pkg, dest / pkg,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path in sorted(dest.rglob("*")):
        if path.is_file():
            h.update(str(path.relative_to(dest)).encode())
            h.update(path.read_bytes())
    os.environ["TOLK_BENCH_CODE"] = str(dest)
    os.environ["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(dest), os.environ.get("PYTHONPATH", "")) if p)
    return {"dir": str(dest), "sha256": h.hexdigest()[:16]}


def run_worker(args: list[str], timeout: float) -> None:
    cmd = [sys.executable, str(BENCH / "worker.py"), *args]
    proc = subprocess.run(cmd, cwd=ROOT, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"worker failed ({proc.returncode}): {shlex.join(cmd)}")


def bench_size(size: int, per_class: int, engines: list[str], quick: bool, seed: int,
               http: bool) -> dict:
    log(f"== {size:,} documents ==")
    corpus = ensure_corpus(size, seed, log=lambda m: log(m))
    qfile = queries_path(size, per_class, seed)
    res = {"corpus": corpus_stats(size, seed), "queries_per_class": per_class,
           "build": {}, "query": {}}
    tmp = OUT_DIR / f"tmp-{size}"
    tmp.mkdir(parents=True, exist_ok=True)
    res["errors"] = {}
    for name in engines:
        ix = OUT_DIR / f"ix-{size}" / name
        try:
            out = tmp / f"build-{name}.json"
            log(f"  {name}: indexing {size:,} docs")
            run_worker(["build", name, str(corpus), str(ix), str(out)], timeout=3 * 3600)
            b = json.loads(out.read_text())
            res["build"][name] = b
            log(f"  {name}: {b['docs_per_s']:,.0f} docs/s ({b['seconds']:.1f} s), "
                f"peak RSS {b['peak_rss_mb']:.0f} MB, index {b['index_mb']:.0f} MB")
            out = tmp / f"query-{name}.json"
            log(f"  {name}: querying")
            run_worker(["query", name, str(ix), str(qfile), str(out), "--fullset",
                        str(min(per_class, 100))], timeout=3600)
            res["query"][name] = json.loads(out.read_text())
        except (RuntimeError, subprocess.TimeoutExpired, OSError, ValueError) as exc:
            log(f"  {name}: FAILED: {exc}")
            res["errors"][name] = str(exc)
    if http and "tolk" in engines and "tolk" in res["build"]:
        log("  tolk: HTTP through gunicorn")
        from http_bench import measure

        queries = json.loads(Path(qfile).read_text("utf-8"))
        try:
            res["http"] = measure(OUT_DIR / f"ix-{size}" / "tolk", queries, quick=quick)
        except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
            log(f"  http: FAILED: {exc}")
            res["errors"]["http"] = str(exc)
    return res


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated corpus sizes")
    ap.add_argument("--quick", action="store_true", help="2k-document smoke run (2-3 min)")
    ap.add_argument("--queries", type=int, default=None,
                    help="queries per class (default 300; 100 with --quick)")
    ap.add_argument("--engines", default=",".join(ENGINE_ORDER))
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--live-code", action="store_true",
                    help="measure index/ and service/ in place instead of a frozen copy")
    ap.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    ap.add_argument("--scale-1m", action="store_true",
                    help="then the 1M-document scale run, Tolk only (hours): index size, "
                         "build time, worker RSS, p50/p99 per class, startup to first answer")
    args = ap.parse_args(argv)
    # The peers index and search words only; so does Tolk here (children inherit it).
    os.environ["TOLK_EMBEDDER"] = "off"
    missing = check_inputs()
    if missing:
        print("bench: missing inputs:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 2
    sizes = [2000] if args.quick else [int(s) for s in args.sizes.split(",") if s]
    per_class = args.queries or (100 if args.quick else 300)
    engines = [e for e in args.engines.split(",") if e]
    started = time.monotonic()
    command = ".venv/bin/python bench/run_all.py" + (
        " " + shlex.join(argv if argv is not None else sys.argv[1:])
        if (argv if argv is not None else sys.argv[1:]) else "")
    results = {"date": time.strftime("%Y-%m-%d %H:%M %Z"), "command": command.strip(),
               "git": git_rev(), "machine": machine(), "sizes": {}}
    if not args.live_code:
        results["code"] = freeze_code(time.strftime("%Y%m%d-%H%M%S"))
        log(f"measuring a frozen copy of index/ and service/: {results['code']['dir']} "
            f"(sha256 {results['code']['sha256']})")
    for size in sizes:
        results["sizes"][str(size)] = bench_size(size, per_class, engines, args.quick,
                                                 args.seed, http=not args.no_http)
        results["seconds"] = time.monotonic() - started
        _save(results, args.out, partial=size != sizes[-1])
    if args.scale_1m:
        size = 1_000_000
        res = bench_size(size, per_class, ["tolk"], False, args.seed, http=not args.no_http)
        if "tolk" in res["build"]:
            from scale import first_answer

            log("  tolk: startup to first answer (tolk serve)")
            try:
                res["startup"] = first_answer(OUT_DIR / f"ix-{size}" / "tolk")
                log(f"  tolk: first answer {res['startup']['first_answer_s']} s")
            except (RuntimeError, subprocess.TimeoutExpired, OSError) as exc:
                res["errors"]["startup"] = str(exc)
        # Not under "sizes": the headline and peer tables stay those of the largest full size.
        results["scale"] = {str(size): res}
        results["seconds"] = time.monotonic() - started
        _save(results, args.out, partial=True)
    log("  tolk: cleaning + language detection cost (prepare)")
    out = OUT_DIR / "prepare.json"
    run_worker(["prepare", str(ensure_corpus(sizes[0], args.seed)), "2000", str(out)], 1800)
    results["prepare"] = json.loads(out.read_text())
    results["seconds"] = time.monotonic() - started
    _save(results, args.out)
    log(f"done in {results['seconds'] / 60:.1f} min; wrote {args.out}")
    return 0


def _save(results: dict, out: str, partial: bool = False) -> None:
    from report import render_keeping_eval

    stamp = time.strftime("%Y%m%d-%H%M%S")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    text = json.dumps(results)
    (OUT_DIR / f"results-{stamp}.json").write_text(text)
    (OUT_DIR / "results-latest.json").write_text(text)
    Path(out).write_text(render_keeping_eval(results, Path(out)), "utf-8")
    if partial:
        log(f"  (partial results written to {out})")


if __name__ == "__main__":
    sys.exit(main())
