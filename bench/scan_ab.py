"""Same-run A/B of two versions of ``index/vectors/store.py`` on one synthetic store.

The semantic candidates of a hybrid search at N documents: ``nearest_per_language`` (both
languages, k=100) and ``nearest`` (one language), old and new store code in the same
process, alternating rounds, p50/p99, and whether both return the same top 10.

    git show c018580:index/vectors/store.py > /tmp/store_old.py
    nice -n 5 .venv/bin/python bench/scan_ab.py --old /tmp/store_old.py --size 100000
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.vectors import store as new  # noqa: E402


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--old", required=True, help="the other store.py")
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    spec = importlib.util.spec_from_file_location("store_old", args.old)
    old = importlib.util.module_from_spec(spec)
    sys.modules["store_old"] = old
    spec.loader.exec_module(old)
    n, dims = args.size, 512
    rng = np.random.default_rng(1)

    def unit(x):
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    with tempfile.TemporaryDirectory(prefix="scan-ab-") as tmp:
        gen = Path(tmp)
        centers = unit(rng.standard_normal((max(n // 50, 1), dims), dtype=np.float32))
        v = unit(centers[rng.integers(0, len(centers), n)]
                 + unit(rng.standard_normal((n, dims), dtype=np.float32)))
        q, scale = new.quantize(v)
        entry = new.write_segment(gen, [f"d{i}" for i in range(n)],
                                  ["nl" if i % 2 else "en" for i in range(n)], [""] * n, q, scale)
        queries = unit(v[rng.integers(0, n, 50)]
                       + 0.7 * unit(rng.standard_normal((50, dims), dtype=np.float32)))
        state = {"model": "x", "dims": dims, "segments": [entry]}
        stores = {"old": old.VectorStore(gen, state), "new": new.VectorStore(gen, state)}
        times = {name: {"both languages": [], "one language": []} for name in stores}
        for _ in range(args.rounds):
            for name, store in stores.items():
                for vec in queries:
                    t = time.perf_counter()
                    store.nearest_per_language(vec, 100, ["nl", "en"])
                    times[name]["both languages"].append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    store.nearest(vec, 100, language="en")
                    times[name]["one language"].append((time.perf_counter() - t) * 1000)
        same = sum(all([d for d, _ in a[lang][:10]] == [d for d, _ in b[lang][:10]] for lang in a)
                   for a, b in ((stores["old"].nearest_per_language(vec, 100, ["nl", "en"]),
                                 stores["new"].nearest_per_language(vec, 100, ["nl", "en"]))
                                for vec in queries))
    for name, parts in times.items():
        print(name, {part: f"p50 {np.median(x):.2f} ms, p99 {np.percentile(x, 99):.2f} ms"
                     for part, x in parts.items()})
    print(f"same top 10 in both languages: {same} of {len(queries)} queries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
