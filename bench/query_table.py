"""Per-class latency table from ``bench/worker.py query`` result files (same run, side by side).

    .venv/bin/python bench/query_table.py bench/out/q10k/fts5.json bench/out/q10k/tolk-after.json

One column per file and mode: p50 / p99 wall ms and, in brackets, the thread's CPU p50
(less disturbed by other load on a shared machine); ``all-mono`` is every class but the
cross-lingual one (the classes the peers answer).
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

CLASSES = ("one", "and", "or", "phrase", "xling", "all-mono")


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main(paths: list[str]) -> None:
    rows: dict = {}
    for path in paths:
        data = json.loads(Path(path).read_text())
        tag = Path(path).stem
        for mode, queries in data["modes"].items():
            by_class: dict = {}
            for q in queries:
                by_class.setdefault(q["cls"], []).append(q)
            by_class["all-mono"] = [q for q in queries if q["cls"] != "xling"]
            for cls, chosen in by_class.items():
                ms = [q["ms"] for q in chosen]
                cpu = [q["cpu_ms"] for q in chosen]
                rows[(f"{tag}:{mode}", cls)] = (f"{statistics.median(ms):.2f} / {_pct(ms, 99):.2f}"
                                                f" ({statistics.median(cpu):.2f})")
    names = list(dict.fromkeys(name for name, _ in rows))
    print("| p50 / p99 ms (CPU p50) | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for cls in CLASSES:
        print(f"| {cls} | " + " | ".join(rows.get((n, cls), "") for n in names) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
