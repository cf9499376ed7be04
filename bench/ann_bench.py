"""An ANN library (usearch HNSW) against Tolk's coarse scan + rescoring, on one index's vectors.

Issue 15 asks for semantic candidates within the latency budget at 100k documents,
"brute force if it fits, otherwise a maintained ANN library". This measures, per
language, on the index's own int8 vectors and real query vectors (the bench
queries embedded with the index's model): build seconds, bytes per document,
p50 of a k=100 search, recall@10 and recall@100 against the exact scan, for
usearch over the full int8 vectors and over the 64-dimension projected copy
(float16), next to ``VectorStore.nearest`` (the coarse path). usearch is not a
dependency of Tolk: ``pip install usearch`` to run this.

    nice -n 5 .venv/bin/python bench/ann_bench.py --index bench/out/ix-100000-hybrid/tolk \
        --size 100000 --per-class 300 --out bench/out/ann-100k.json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from queries import ensure_queries  # noqa: E402
from index.storage import IndexReader  # noqa: E402
from index.vectors import embedder as embedders  # noqa: E402
from index.vectors import store as vector_store  # noqa: E402
from index.vectors.store import LANGUAGE_CODES, _projection  # noqa: E402


def pct(values, p):
    return round(float(np.percentile(values, p)), 3) if values else None


def main(argv=None) -> int:
    from usearch.index import Index

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", required=True)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--per-class", type=int, default=300)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--out", default=str(ROOT / "bench" / "out" / "ann.json"))
    args = ap.parse_args(argv)
    reader = IndexReader(args.index)
    store = reader.vectors()
    embedders.configure(store.model)
    model = embedders.get(store.model)
    texts = [" ".join(q["words"]) for q in ensure_queries(args.size, args.per_class)]
    queries = np.stack([model.encode_query(t) for t in texts[:args.queries]])
    report = {"documents": len(store), "queries": len(queries)}
    projection = _projection(store.dims)
    for lang, code in LANGUAGE_CODES.items():
        rows, raw, ids = [], [], []
        for seg, live in zip(store.segments, store.live):
            mine = np.flatnonzero(live & (seg.languages == code))
            rows.append(seg.matrix[mine].astype(np.float32) * seg.scale[mine, None])
            raw.append(np.asarray(seg.matrix[mine]))
            ids += [seg.ids[r] for r in mine]
        full = np.concatenate(rows)
        full /= np.linalg.norm(full, axis=1, keepdims=True)
        int8_rows = np.concatenate(raw)  # the stored rows: cosine ignores the row scale
        del rows, raw
        exact = [[ids[i] for i in np.argsort(-(full @ q))[:100]] for q in queries]
        out = {"documents": len(ids)}
        limit = vector_store.EXACT_ROWS
        times, r10, r100 = [], [], []
        for q, want in zip(queries, exact):
            t = time.perf_counter()
            got = [d for d, _ in store.nearest(q, 100, language=lang)]
            times.append((time.perf_counter() - t) * 1000)
            r10.append(len(set(got[:10]) & set(want[:10])) / 10)
            r100.append(len(set(got) & set(want)) / 100)
        vector_store.EXACT_ROWS = limit
        out["tolk coarse+rescore"] = {"p50_ms": pct(times, 50), "recall@10": round(np.mean(r10), 4),
                                      "recall@100": round(np.mean(r100), 4)}
        variants = {"usearch i8 512-dim (the stored int8 rows)": (int8_rows, "i8", store.dims, None),
                    "usearch f16 64-dim projected + exact rescoring of 2000":
                        ((full @ projection).astype(np.float16), "f16", projection.shape[1],
                         2000)}
        for name, (data, dtype, ndim, rescore) in variants.items():
            index = Index(ndim=ndim, metric="cos", dtype=dtype, connectivity=16,
                          expansion_add=128, expansion_search=128)
            cpu = time.process_time()
            index.add(np.arange(len(ids)), data, threads=1)
            build = time.process_time() - cpu
            times, r10, r100 = [], [], []
            for q, want in zip(queries, exact):
                t = time.perf_counter()
                probe = (q @ projection).astype(np.float16) if rescore else \
                    np.clip(np.rint(q / np.abs(q).max() * 127), -127, 127).astype(np.int8)
                found = index.search(probe, rescore or 100, threads=1)
                keys = np.asarray(found.keys, dtype=np.int64)
                if rescore:
                    keys = keys[np.argsort(-(full[keys] @ q))[:100]]
                times.append((time.perf_counter() - t) * 1000)
                got = [ids[k] for k in keys.tolist()]
                r10.append(len(set(got[:10]) & set(want[:10])) / 10)
                r100.append(len(set(got) & set(want)) / 100)
            out[name] = {"build_cpu_s": round(build, 1), "p50_ms": pct(times, 50),
                         "p99_ms": pct(times, 99), "recall@10": round(np.mean(r10), 4),
                         "recall@100": round(np.mean(r100), 4),
                         "bytes_per_doc_serialized": round(index.serialized_length / len(ids), 1)}
            print(lang, name, out[name], file=sys.stderr, flush=True)
        report[lang] = out
    reader.close()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
