"""In-process search latency of Tolk per query class: cold and warm passes.

    .venv/bin/python bench/search_latency.py --size 100000
    .venv/bin/python bench/search_latency.py --size 100000 --code /tmp/tolk-before --json out.json
    .venv/bin/python bench/search_latency.py --size 100000 --profile out.prof --per-class 100

Opens the Tolk index that ``run_all.py`` built (``bench/out/ix-<size>/tolk``)
read-only and runs the cached query set through ``index.search.pipeline.search`` the
way ``bench/engines.py`` does in Tolk's default mode (``lang=any``, the target
language for cross-lingual queries). Pass 1 ("cold") runs every query once
after a 20-query warm-up on other queries: the first time each query is
seen. Pass 2 ("warm") runs the same queries again, which is what a result
cache serves. ``--code`` imports ``index/`` from another checkout (for a
before/after comparison in the same minute).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent


def _pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def _summary(values: list[float]) -> dict:
    return {"n": len(values), "p50": round(statistics.median(values), 2),
            "p95": round(_pct(values, 95), 2), "p99": round(_pct(values, 99), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=100000)
    parser.add_argument("--code", default=str(BENCH.parent), help="checkout to import index/ from")
    parser.add_argument("--per-class", type=int, default=300)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--profile", help="write a cProfile of the cold pass here")
    parser.add_argument("--json", help="write the summary (and per-query hits) here")
    parser.add_argument("--result-cache", type=int, default=512,
                        help="result cache entries (0: off, so pass 2 is cold too)")
    parser.add_argument("--posting-cache-mb", type=float, default=64,
                        help="posting cache bound in MB (0: off)")
    args = parser.parse_args()
    sys.path.insert(0, args.code)
    sys.path.insert(1, str(BENCH))
    from engines import _words_query

    from index.search import SearchRequest, search
    from index.storage import IndexReader
    from service.lexicon import load_lexicon

    queries = json.loads((BENCH / "out" / f"queries-{args.size}-q300-s42.json").read_text())
    by_class: dict[str, list] = {}
    for spec in queries:
        by_class.setdefault(spec["cls"], []).append(spec)
    chosen = [s for specs in by_class.values() for s in specs[:args.per_class]]
    warmup = [s for specs in by_class.values() for s in specs[args.per_class:]][:20]
    reader = IndexReader(BENCH / "out" / f"ix-{args.size}" / "tolk")
    reader.set_lexicon_loader(load_lexicon)
    try:  # a checkout from before the caches had no settings for them
        from index.storage import postingcache
        from index.search import resultcache
        resultcache.configure(reader, args.result_cache)
        postingcache.configure(args.posting_cache_mb)
    except (ImportError, AttributeError):
        pass

    def request(spec):
        lang = spec["target"] if spec["cls"] == "xling" else "any"
        return SearchRequest(q=_words_query(spec), lang=lang, limit=10, crosslingual=True)

    for spec in warmup:
        search(reader, request(spec))
    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile()
    results = {}
    answers = {}
    for number in range(args.passes):
        name = "cold" if number == 0 else f"warm{number}" if args.passes > 2 else "warm"
        times: dict[str, list] = {}
        for spec in chosen:
            req = request(spec)
            if profiler and number == 0:
                profiler.enable()
            started = time.perf_counter_ns()
            result = search(reader, req)
            elapsed = (time.perf_counter_ns() - started) / 1e6
            if profiler and number == 0:
                profiler.disable()
            times.setdefault(spec["cls"], []).append(elapsed)
            answers[spec["id"]] = [result["total"], [(h["id"], h["score"]) for h in result["hits"]],
                                   result["facets"]]
        results[name] = {cls: _summary(v) for cls, v in times.items()}
        results[name]["all"] = _summary([t for v in times.values() for t in v])
    for name, table in results.items():
        print(f"{name:6s}" + "".join(f"  {cls}: p50 {s['p50']:7.2f} p95 {s['p95']:7.2f} "
                                     f"p99 {s['p99']:7.2f}\n      " for cls, s in table.items()))
    if profiler:
        profiler.dump_stats(args.profile)
    if args.json:
        Path(args.json).write_text(json.dumps({"code": args.code, "pid": os.getpid(),
                                               "latency": results, "answers": answers}))


if __name__ == "__main__":
    main()
