"""Posting arrays (``.tpa``) vs decoding Whoosh's blocks: one corpus, one run, before vs after.

    .venv/bin/python bench/posting_arrays.py --size 20000 \\
        --before-code /tmp/tolk-before --before-index bench/out/ix-20000/tolk-before

A revision from before the posting arrays (``--before-code``, e.g. ``git archive
main | tar -x -C /tmp/tolk-before``) needs its own index, built by it (the TOC
names the codec): ``TOLK_BENCH_CODE=/tmp/tolk-before .venv/bin/python bench/worker.py
build tolk bench/out/corpus-20000-s42.jsonl bench/out/ix-20000/tolk-before out.json``.
The checkout's index is ``bench/out/ix-<size>/tolk`` (``run_all.py`` or the same
worker command without ``TOLK_BENCH_CODE``).

Each variant runs in a fresh process, result cache off, posting cache at the
service default (64 MB), the query set of ``run_all.py`` in Tolk's default mode:

* first query: opening the index and answering one query (what a new worker pays);
* cold pass, p50/p99 per class (every query seen once);
* postings share: time inside getting a term's postings (``vectorscore._postings``
  and Whoosh-block decoding for phrases, outermost call only) over all search time;
  field lengths likewise;
* memory after the queries: USS and private anonymous memory (``smaps_rollup``);
  file-backed pages of the memory-mapped segments count in USS while one process
  maps them, but the page cache shares them between workers, anonymous memory not;
* the answers (ids, scores, totals) of both variants compared, query by query;
* with ``--http``: the same queries one at a time through gunicorn (2 workers, each
  variant's own checkout), p50/p99 and each worker's RSS, PSS, USS and anonymous memory;
* with ``--profile``: the five functions with the most self time (cProfile, in a run of
  its own after the timed ones, the checkout only).

``--rounds N`` alternates the variants N times (medians over the rounds): the
machine is shared, so both variants should see the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _memory() -> dict:
    fields = {}
    try:
        for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
            name, value = line.split(":", 1)
            fields[name] = int(value.split()[0]) / 1024
    except OSError:
        return {}
    return {"rss_mb": round(fields.get("Rss", 0), 1),
            "uss_mb": round(fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0), 1),
            "anonymous_mb": round(fields.get("Anonymous", 0), 1)}


def child(args) -> None:
    sys.path.insert(0, args.code)
    sys.path.insert(1, str(BENCH))
    from engines import _words_query

    from index.scoring import vectorscore
    from index.search import SearchRequest, resultcache, search
    from index.storage import IndexReader, postingcache, postings
    from service.lexicon import load_lexicon

    spent = {"postings": 0.0, "lengths": 0.0}
    depth = [0]

    def timed(function, bucket):
        def wrapper(*a, **k):
            if depth[0]:
                return function(*a, **k)
            depth[0] += 1
            started = time.perf_counter()
            try:
                return function(*a, **k)
            finally:
                spent[bucket] += time.perf_counter() - started
                depth[0] -= 1
        return wrapper

    vectorscore._postings = timed(vectorscore._postings, "postings")
    vectorscore._field_lengths = timed(vectorscore._field_lengths, "lengths")
    postings.decode = timed(postings.decode, "postings")
    postingcache.configure(64)

    queries = json.loads(Path(args.queries).read_text())
    by_class: dict = {}
    for spec in queries:
        by_class.setdefault(spec["cls"], []).append(spec)
    chosen = [s for specs in by_class.values() for s in specs[:args.per_class]]

    def request(spec):
        lang = spec["target"] if spec["cls"] == "xling" else "any"
        return SearchRequest(q=_words_query(spec), lang=lang, limit=10, crosslingual=True)

    memory_start = _memory()
    started = time.perf_counter()
    reader = IndexReader(args.index)
    reader.set_lexicon_loader(load_lexicon)
    resultcache.configure(reader, 0)
    search(reader, request(chosen[0]))
    first = time.perf_counter() - started
    spent.update(postings=0.0, lengths=0.0)
    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile()
    times: dict = {}
    answers = {}
    total = 0.0
    for spec in chosen:
        req = request(spec)
        if profiler:
            profiler.enable()
        t0 = time.perf_counter()
        result = search(reader, req)
        elapsed = time.perf_counter() - t0
        if profiler:
            profiler.disable()
        total += elapsed
        times.setdefault(spec["cls"], []).append(elapsed * 1000)
        answers[spec["id"]] = [result["total"], [(h["id"], h["score"]) for h in result["hits"]]]
    latency = {cls: {"n": len(v), "p50": round(statistics.median(v), 2),
                     "p99": round(_pct(v, 99), 2)} for cls, v in times.items()}
    every = [t for v in times.values() for t in v]
    latency["all"] = {"n": len(every), "p50": round(statistics.median(every), 2),
                      "p99": round(_pct(every, 99), 2)}
    out = {"code": args.code, "index": args.index, "first_query_s": round(first, 3),
           "latency_ms": latency, "search_s": round(total, 3),
           "postings_share": round(spent["postings"] / total, 3),
           "lengths_share": round(spent["lengths"] / total, 3),
           "posting_cache_mb": round(postingcache.CACHE.bytes / 2**20, 1),
           "memory_start": memory_start, "memory_after": _memory(), "answers": answers}
    if profiler:
        import pstats
        stats = pstats.Stats(profiler)
        rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:5]
        out["profile_top5"] = [
            {"function": f"{Path(f).name}:{line} {name}", "self_s": round(tt, 3),
             "share": round(tt / total, 3), "calls": nc}
            for (f, line, name), (cc, nc, tt, ct, callers) in rows]
    Path(args.out).write_text(json.dumps(out))


def _worker_memory(pid: int) -> dict:
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    return {"rss_mb": round(fields["Rss"]), "pss_mb": round(fields["Pss"]),
            "uss_mb": round(fields["Private_Clean"] + fields["Private_Dirty"]),
            "anonymous_mb": round(fields["Anonymous"])}


def http_run(code: str, index: str, queries: Path, per_class: int) -> dict:
    """The queries one at a time through gunicorn (2 workers); then each worker's memory."""
    import urllib.parse
    import urllib.request

    import psutil

    os.environ["TOLK_BENCH_CODE"] = code  # http_bench.Server runs gunicorn from that checkout
    sys.path.insert(0, str(BENCH))
    import http_bench
    from engines import _words_query

    by_class: dict = {}
    for spec in json.loads(queries.read_text()):
        by_class.setdefault(spec["cls"], []).append(spec)
    server = http_bench.Server(Path(index).resolve(), workers=2)
    try:
        times = []
        for specs in by_class.values():
            for spec in specs[:per_class]:
                params = {"q": _words_query(spec)}
                if spec["cls"] == "xling":
                    params["lang"] = spec["target"]
                started = time.perf_counter()
                url = server.base + "/api/search?" + urllib.parse.urlencode(params)
                with urllib.request.urlopen(url, timeout=120) as response:
                    response.read()
                times.append((time.perf_counter() - started) * 1000)
        workers = [_worker_memory(c.pid) for c in psutil.Process(server.proc.pid).children()]
    finally:
        server.stop()
    return {"p50": round(statistics.median(times), 1), "p99": round(_pct(times, 99), 1),
            "workers": workers}


def run(code: str, index: str, queries: Path, per_class: int, out: Path, profile: bool) -> dict:
    index = str(Path(index).resolve())
    cmd = [sys.executable, __file__, "--_child", "--code", code, "--index", index,
           "--queries", str(queries), "--per-class", str(per_class), "--out", str(out)]
    if profile:
        cmd.append("--profile")
    env = {**os.environ, "PYTHONPATH": code}
    subprocess.run(cmd, check=True, env=env, cwd=code)
    return json.loads(out.read_text())


def _median_of(found: list) -> dict:
    """One variant's runs as one: medians of the numbers, the first run's answers and profile."""
    first = dict(found[0])
    first["latency_ms"] = {cls: {key: statistics.median(r["latency_ms"][cls][key] for r in found)
                                 for key in ("n", "p50", "p99")}
                           for cls in first["latency_ms"]}
    for key in ("first_query_s", "search_s", "postings_share", "lengths_share",
                "posting_cache_mb"):
        first[key] = statistics.median(r[key] for r in found)
    first["memory_after"] = {key: statistics.median(r["memory_after"][key] for r in found)
                             for key in first["memory_after"]}
    return first


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=20000)
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=1, help="alternating runs per variant")
    ap.add_argument("--before-code", help="a checkout from before the posting arrays")
    ap.add_argument("--before-index", help="the index that checkout built")
    ap.add_argument("--after-index", help="the checkout's index (default bench/out/ix-SIZE/tolk)")
    ap.add_argument("--_child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--code", default=str(ROOT))
    ap.add_argument("--index")
    ap.add_argument("--queries")
    ap.add_argument("--out")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--http", action="store_true",
                    help="also through gunicorn (2 workers): p50/p99, each worker's memory")
    args = ap.parse_args()
    if args._child:
        return child(args)
    out_dir = BENCH / "out"
    queries = out_dir / f"queries-{args.size}-q300-s42.json"
    variants = {"after": (str(ROOT), args.after_index or str(out_dir / f"ix-{args.size}" / "tolk"))}
    if args.before_code:
        variants = {"before": (args.before_code, args.before_index), **variants}
    runs: dict = {name: [] for name in variants}
    for number in range(args.rounds):  # alternating, so both see the same machine load
        for name, (code, index) in variants.items():
            runs[name].append(run(code, index, queries, args.per_class,
                                  out_dir / f"posting-arrays-{args.size}-{name}-{number}.json",
                                  profile=False))
    results = {name: _median_of(found) for name, found in runs.items()}
    if args.http:
        http: dict = {name: [] for name in variants}
        for number in range(args.rounds):
            for name, (code, index) in variants.items():
                http[name].append(http_run(code, index, queries, args.per_class))
        for name, found in http.items():
            results[name]["http"] = {
                "p50": statistics.median(r["p50"] for r in found),
                "p99": statistics.median(r["p99"] for r in found),
                "worker": {key: statistics.median(w[key] for r in found for w in r["workers"])
                           for key in found[0]["workers"][0]}}
    if args.profile:  # its own run: the profiler's overhead stays out of the timings
        code, index = variants["after"]
        profiled = run(code, index, queries, args.per_class,
                       out_dir / f"posting-arrays-{args.size}-after-profile.json", profile=True)
        results["after"]["profile_top5"] = profiled["profile_top5"]
    print(f"{args.rounds} alternating round(s); medians over rounds\n")
    classes = list(next(iter(results.values()))["latency_ms"])
    print(f"| measure ({args.size:,} docs, {args.per_class} queries/class) | "
          + " | ".join(results) + " |")
    print("|---|" + "---|" * len(results))
    for cls in classes:
        print(f"| p50 / p99 ms, {cls} | " + " | ".join(
            f"{r['latency_ms'][cls]['p50']:.1f} / {r['latency_ms'][cls]['p99']:.1f}"
            for r in results.values()) + " |")
    for key, label in (("postings_share", "postings share of search time"),
                       ("lengths_share", "field-lengths share of search time")):
        print(f"| {label} | " + " | ".join(f"{100 * r[key]:.1f} %" for r in results.values())
              + " |")
    print("| first query (open + answer), s | "
          + " | ".join(str(r["first_query_s"]) for r in results.values()) + " |")
    for key in ("rss_mb", "uss_mb", "anonymous_mb"):
        print(f"| {key} after the queries | "
              + " | ".join(f"{r['memory_after'].get(key, 0):.0f}" for r in results.values())
              + " |")
    if args.http:
        print("| HTTP p50 / p99 ms (gunicorn, 2 workers, 1 connection) | " + " | ".join(
            f"{r['http']['p50']:.1f} / {r['http']['p99']:.1f}" for r in results.values()) + " |")
        for key in ("rss_mb", "pss_mb", "uss_mb", "anonymous_mb"):
            print(f"| per gunicorn worker after the queries, {key} | " + " | ".join(
                f"{r['http']['worker'][key]:.0f}" for r in results.values()) + " |")
    print("| decoded-posting cache, MB | "
          + " | ".join(str(r["posting_cache_mb"]) for r in results.values()) + " |")
    (out_dir / f"posting-arrays-{args.size}.json").write_text(json.dumps(
        {name: {k: v for k, v in r.items() if k != "answers"} for name, r in results.items()},
        indent=1))
    if "before" in results:
        before, after = results["before"]["answers"], results["after"]["answers"]
        same = sum(before[k] == after[k] for k in before)
        print(f"\nanswers identical (totals, ids, scores): {same} of {len(before)} queries")
    for name, r in results.items():
        for row in r.get("profile_top5", []):
            print(f"{name} top self time: {row['function']}  {row['self_s']} s "
                  f"({100 * row['share']:.1f} %), {row['calls']} calls")


if __name__ == "__main__":
    main()
