"""One measurement in its own process (so peak memory belongs to one engine).

    worker.py build   ENGINE CORPUS.jsonl INDEX_DIR OUT.json
    worker.py query   ENGINE INDEX_DIR QUERIES.json OUT.json [--fullset N]
    worker.py prepare CORPUS.jsonl N OUT.json

``build`` loads the corpus into memory first, then times only the engine's
indexing (commit and merges included); memory is the peak RSS of the process
(``getrusage``) and the part of it above the loaded corpus. ``query`` opens
the index, warms up on 20 queries of each class, then times every query once
(``perf_counter_ns`` around the engine's whole query: parse, search, exact
count, stored fields of the top 10; for Tolk also highlighting), and records
the thread's CPU time of each query too (``thread_time_ns``): on a shared,
busy machine CPU time is much less disturbed by other processes than wall
time. Each class gets at most ``TOLK_BENCH_CLASS_SECONDS`` (60) seconds per
mode after its first 50 queries; skipped queries are reported.
Progress goes to stderr.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import engines  # noqa: E402
from corpus import read_corpus  # noqa: E402


# Each query class gets at most this many seconds per mode (after MIN_QUERIES
# queries), so a slow engine at 100k documents cannot stretch the run for hours.
CLASS_BUDGET_S = float(os.environ.get("TOLK_BENCH_CLASS_SECONDS", "60"))
MIN_QUERIES = 50


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Progress:
    def __init__(self, label: str, total: int, every: float = 0.05):
        self.label, self.total = label, total
        self.step = max(int(total * every), 1)
        self.n = 0
        self.started = time.monotonic()

    def __call__(self, k: int = 1) -> None:
        self.n += k
        if self.n % self.step == 0 or self.n == self.total:
            spent = time.monotonic() - self.started
            rate = self.n / spent if spent else 0.0
            eta = (self.total - self.n) / rate if rate else 0.0
            log(f"    {self.label}: {self.n}/{self.total} docs, {rate:,.0f} docs/s, "
                f"{spent:.0f} s, ETA {eta:.0f} s")


def cmd_build(name, corpus, index_dir, out) -> None:
    engine = engines.make(name)
    rss0 = rss_mb()
    records = list(read_corpus(Path(corpus)))
    rss_loaded = rss_mb()
    index_dir = Path(index_dir)
    engines.reset_dir(index_dir)
    progress = Progress(f"{name} indexing", len(records))
    started = time.perf_counter()
    cpu0 = time.process_time()
    info = engine.build(iter(records), index_dir, progress)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu0
    peak = peak_mb()
    result = {
        "engine": name, "docs": len(records), "seconds": seconds, "cpu_seconds": cpu,
        "docs_per_s": len(records) / seconds, "peak_rss_mb": peak,
        "rss_before_corpus_mb": rss0, "rss_corpus_loaded_mb": rss_loaded,
        "peak_over_corpus_mb": peak - rss_loaded,
        # The per-language writer processes (forked): the largest of them.
        "peak_rss_children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, "index_mb": engines.dir_size(index_dir) / 2**20,
        "info": info, "loadavg_end": os.getloadavg(),
    }
    if name == "tolk":
        result["stubbed_modules"] = getattr(engine, "missing", [])
        result["code_file"] = getattr(sys.modules.get("index"), "__file__", None)
    Path(out).write_text(json.dumps(result, indent=1))


def _fullset_tolk(engine, spec) -> set:
    """Every document Tolk matches for a one-word query, monolingually (its own terms)."""
    from whoosh import query as wq

    from index.analysis import analyze

    lang = spec["target"]
    searcher = engine.reader.searchers()[lang]
    terms = analyze(lang, spec["words"][0])
    if not terms:
        return set()
    q = wq.Or([wq.Term(f, t) for f in ("title", "body") for t in terms])
    ids = _tolk_ids(engine, lang, searcher)
    return {ids[d] for d in q.docs(searcher)}


_ID_CACHE: dict = {}


def _tolk_ids(engine, lang, searcher):
    if lang not in _ID_CACHE:
        reader = searcher.reader()
        _ID_CACHE[lang] = {d: f["id"] for d, f in reader.iter_docs()}
    return _ID_CACHE[lang]


def fullset(engine, name, spec) -> set:
    lang = spec["target"]
    if name == "tolk":
        return _fullset_tolk(engine, spec)
    if name == "whoosh-default":
        q = engine.parsers[lang].parse(spec["words"][0])
        return {hit["id"] for hit in engine.searchers[lang].search(q, limit=None)}
    if name == "tantivy":
        q = engine.ix[lang].parse_query(spec["words"][0], ["title", "body"])
        s = engine.searchers[lang]
        n = s.search(q, 1, count=True).count
        return {s.doc(addr)["id"][0] for _, addr in s.search(q, max(n, 1)).hits}
    if name == "fts5":
        match = engine.match(spec)
        if match is None:
            return set()
        table = f"docs_{lang}"
        return {row[0] for row in engine.db.execute(
            f"SELECT id FROM {table} WHERE {table} MATCH ?", (match,))}
    raise ValueError(name)


def cmd_query(name, index_dir, queries_file, out, fullset_n: int = 0) -> None:
    engine = engines.make(name)
    queries = json.loads(Path(queries_file).read_text("utf-8"))
    if name != "tolk":
        queries = [q for q in queries if q["cls"] != "xling"]  # peers do not translate
    rss0 = rss_mb()
    started = time.perf_counter()
    engine.open(Path(index_dir))
    open_ms = (time.perf_counter() - started) * 1000
    results = {}
    cpu = {}
    skipped = {}
    for mode in engine.modes:
        by_class = {}
        for q in queries:
            by_class.setdefault(q["cls"], []).append(q)
        for cls, qs in by_class.items():  # warm-up, not timed
            for q in qs[:20]:
                engine.query(q, mode)
        rows = []
        t_mode = time.perf_counter()
        cpu0 = time.process_time()
        for cls, qs in by_class.items():
            t_cls = time.perf_counter()
            for k, q in enumerate(qs):
                if k >= MIN_QUERIES and time.perf_counter() - t_cls > CLASS_BUDGET_S:
                    skipped[f"{mode}/{cls}"] = len(qs) - k
                    log(f"    {mode} {cls}: time budget ({CLASS_BUDGET_S:.0f} s) reached "
                        f"after {k} of {len(qs)} queries")
                    break
                c0 = time.thread_time_ns()
                t0 = time.perf_counter_ns()
                total, ids = engine.query(q, mode)
                dt = (time.perf_counter_ns() - t0) / 1e6
                dc = (time.thread_time_ns() - c0) / 1e6
                rows.append({"id": q["id"], "cls": q["cls"], "ms": dt, "cpu_ms": dc,
                             "total": total, "top": ids})
            log(f"    {mode} {cls}: {sum(r['cls'] == cls for r in rows)} queries "
                f"({time.perf_counter() - t_cls:.0f} s)")
        results[mode] = rows
        cpu[mode] = {"cpu_s": time.process_time() - cpu0,
                     "wall_s": time.perf_counter() - t_mode}
    sets = {}
    if fullset_n:
        ones = [q for q in queries if q["cls"] == "one"][:fullset_n]
        for q in ones:
            sets[q["id"]] = sorted(fullset(engine, name, q))
    result = {"engine": name, "open_ms": open_ms,
              "code_file": getattr(sys.modules.get("index"), "__file__", None), "rss_before_open_mb": rss0,
              "rss_after_mb": rss_mb(), "peak_rss_mb": peak_mb(), "modes": results,
              "fullsets": sets, "cpu": cpu, "skipped": skipped,
              "class_budget_s": CLASS_BUDGET_S, "loadavg_end": os.getloadavg()}
    engine.close()
    Path(out).write_text(json.dumps(result))


def cmd_prepare(corpus, n, out) -> None:
    """Cost of Tolk's cleaning + language detection (``index.ingest.documents.prepare``)."""
    import tolk_compat

    missing = tolk_compat.ensure_importable()
    if missing:
        Path(out).write_text(json.dumps({"available": False, "missing": missing}))
        return
    from index.ingest.documents import RawDocument, prepare

    raws = [RawDocument(id=r["id"], text=r["text"], title=r["title"], date=r["date"],
                        url=r["url"], source=r["source"])
            for r in read_corpus(Path(corpus), int(n))]
    started = time.perf_counter()
    wrong = 0
    for raw, r in zip(raws, read_corpus(Path(corpus), int(n))):
        doc = prepare(raw)
        wrong += doc.language != r["language"]
    seconds = time.perf_counter() - started
    Path(out).write_text(json.dumps({"available": True, "docs": len(raws), "seconds": seconds,
                                     "docs_per_s": len(raws) / seconds,
                                     "language_wrong": wrong}))


def main(argv) -> int:
    cmd = argv[0]
    if cmd == "build":
        cmd_build(*argv[1:5])
    elif cmd == "query":
        fs = 0
        if "--fullset" in argv:
            i = argv.index("--fullset")
            fs = int(argv[i + 1])
            argv = argv[:i] + argv[i + 2:]
        cmd_query(*argv[1:5], fullset_n=fs)
    elif cmd == "prepare":
        cmd_prepare(*argv[1:4])
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
