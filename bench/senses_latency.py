"""What sense weighting (index/search/senses.py) costs per query class, in the same run.

    nice -n 5 .venv/bin/python bench/senses_latency.py --size 10000 --per-class 100

Builds (once) the bench corpus and Tolk index of ``--size`` documents the way
``run_all.py`` does (``bench/out/ix-<size>/tolk``), then runs every query of
the bench query set twice in a row, sense weighting off and on, with the
result cache off, and prints per class the median and p95 of both and the
ratio on/off. Each query runs once unmeasured first (so neither measured run
pays for decoding postings the other then reuses), then off and on in
alternating order; running the two back to back keeps machine load out of the
ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--per-class", type=int, default=100)
    parser.add_argument("--json", help="write the summary here")
    parser.add_argument("--cooccurrence", choices=("on", "off"), default="on",
                        help="the co-occurrence step on or off in the measured 'on' runs")
    args = parser.parse_args()

    from corpus import OUT_DIR, ensure_corpus
    from engines import _words_query
    from queries import ensure_queries
    from run_all import run_worker

    from index.search import SearchRequest, resultcache, search, senses
    from index.storage import IndexReader
    from service.lexicon import load_lexicon

    senses.USE_COOCCURRENCE = args.cooccurrence == "on"
    corpus = ensure_corpus(args.size)
    queries = ensure_queries(args.size, 300)
    ix = OUT_DIR / f"ix-{args.size}" / "tolk"
    if not (ix / "current").exists():
        run_worker(["build", "tolk", str(corpus), str(ix), str(OUT_DIR / "senses-build.json")],
                   timeout=3 * 3600)
    by_class: dict[str, list] = {}
    for spec in queries:
        by_class.setdefault(spec["cls"], []).append(spec)
    reader = IndexReader(ix)
    reader.set_lexicon_loader(load_lexicon)
    resultcache.configure(reader, 0)

    def request(spec):
        lang = spec["target"] if spec["cls"] == "xling" else "any"
        return SearchRequest(q=_words_query(spec), lang=lang, limit=10, crosslingual=True)

    for spec in queries[:20]:  # warm-up: lexicon, wordfreq lists, posting cache
        search(reader, request(spec))
    summary = {}
    for cls, specs in by_class.items():
        times = {False: [], True: []}
        for number, spec in enumerate(specs[:args.per_class]):
            search(reader, request(spec))  # unmeasured: both measured runs find warm caches
            for enabled in ((False, True) if number % 2 else (True, False)):
                senses.ENABLED = enabled
                started = time.perf_counter()
                search(reader, request(spec))
                times[enabled].append(1000 * (time.perf_counter() - started))
        off, on = statistics.median(times[False]), statistics.median(times[True])
        summary[cls] = {"n": len(times[True]), "p50_off": round(off, 2), "p50_on": round(on, 2),
                        "p95_off": round(sorted(times[False])[int(0.95 * (len(times[False]) - 1))], 2),
                        "p95_on": round(sorted(times[True])[int(0.95 * (len(times[True]) - 1))], 2),
                        "ratio_p50": round(on / off, 3) if off else None}
        print(f"{cls:10s} p50 {off:7.2f} -> {on:7.2f} ms (x{summary[cls]['ratio_p50']})  "
              f"p95 {summary[cls]['p95_off']:7.2f} -> {summary[cls]['p95_on']:7.2f}")
    reader.close()
    if args.json:
        Path(args.json).write_text(json.dumps({"size": args.size, "classes": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
