"""What the cross-lingual expansion of issue 14 (branch xling) costs per query class, same run.

    nice -n 5 .venv/bin/python bench/xling_latency.py --size 10000 --per-class 60

Uses the bench index ``bench/out/ix-<size>/tolk`` and query set
``bench/out/queries-<size>-q300-s42.json`` (as built by ``run_all.py``; copy them
from a baseline run). Every query runs once unmeasured, then with the additions
off and on in alternating order (result cache off): the prefix cognates read
from the other index, a Dutch hyphenated word's parts, derived links, and the
shipped sentence-encoder cosines. Prints per class the median and p95 of both
and the ratio on/off.
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
    parser.add_argument("--per-class", type=int, default=60)
    parser.add_argument("--json")
    args = parser.parse_args()

    from engines import _words_query

    from index.crosslink import wordvec
    from index.search import SearchRequest, expansion, pipeline, resultcache, search
    from index.storage import IndexReader
    from service.lexicon import load_lexicon

    queries = json.loads((BENCH / "out" / f"queries-{args.size}-q300-s42.json").read_text())
    reader = IndexReader(BENCH / "out" / f"ix-{args.size}" / "tolk")
    reader.set_lexicon_loader(load_lexicon)
    resultcache.configure(reader, 0)
    lexicon = reader.lexicon()
    if not lexicon.cosines:  # an index built before the shipped cosines: give them
        lexicon.cosines = wordvec.read_shipped()
    hyphen, prefix, derived = (expansion._add_hyphen_parts, pipeline._add_prefix_cognates,
                               expansion.DERIVED_WEIGHT)

    def switch(on: bool) -> None:
        expansion._add_hyphen_parts = hyphen if on else (lambda *a, **k: None)
        pipeline._add_prefix_cognates = prefix if on else (lambda *a, **k: None)
        expansion.DERIVED_WEIGHT = derived if on else 0
        wordvec.configure("shipped" if on else "off")

    def request(spec):
        lang = spec["target"] if spec["cls"] == "xling" else "any"
        return SearchRequest(q=_words_query(spec), lang=lang, limit=10, crosslingual=True,
                             mode="lexical")

    by_class: dict[str, list] = {}
    for spec in queries:
        by_class.setdefault(spec["cls"], []).append(spec)
    for spec in queries[:20]:
        search(reader, request(spec), lexicon=lexicon)
    summary = {}
    for cls, specs in by_class.items():
        times = {False: [], True: []}
        for number, spec in enumerate(specs[:args.per_class]):
            search(reader, request(spec), lexicon=lexicon)
            for on in ((False, True) if number % 2 else (True, False)):
                switch(on)
                started = time.perf_counter()
                search(reader, request(spec), lexicon=lexicon)
                times[on].append(1000 * (time.perf_counter() - started))
        switch(True)
        off, on = statistics.median(times[False]), statistics.median(times[True])
        p95 = {k: sorted(v)[int(0.95 * (len(v) - 1))] for k, v in times.items()}
        summary[cls] = {"n": len(times[True]), "p50_off": round(off, 2), "p50_on": round(on, 2),
                        "p95_off": round(p95[False], 2), "p95_on": round(p95[True], 2),
                        "ratio_p50": round(on / off, 3) if off else None}
        print(f"{cls:10s} p50 {off:7.2f} -> {on:7.2f} ms (x{summary[cls]['ratio_p50']})  "
              f"p95 {p95[False]:7.2f} -> {p95[True]:7.2f}", flush=True)
    reader.close()
    if args.json:
        Path(args.json).write_text(json.dumps({"size": args.size, "classes": summary}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
