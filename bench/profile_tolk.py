"""Where Tolk spends its time: search, indexing and HTTP, at one corpus size.

    .venv/bin/python bench/profile_tolk.py --size 100000            # after run_all.py built ix-100000
    .venv/bin/python bench/profile_tolk.py --size 100000 --index-docs 20000 --skip-http

Parts (results in bench/out/profile-latest.json, rendered into BENCHMARKS.md
by ``bench/report.py``):

1. Search phases: every top-level step of ``index.search.pipeline.search`` is wrapped
   with a timer (outermost step only, so nothing is counted twice) over the
   query set, Tolk's default mode; share of the total per step.
2. Search, sampled: py-spy (``--format raw``, 250 Hz) over the same workload
   in its own process; functions by self time and by inclusive time.
   cProfile of the same workload for call counts.
3. Indexing, sampled: py-spy over ``worker.py build tolk`` on the first
   ``--index-docs`` documents of the corpus.
4. HTTP, sampled: py-spy attached to both gunicorn workers while wrk drives
   ``/api/search``.
5. Experiments for the suggestions: Whoosh ``procs=2, multisegment=True``
   with Tolk's own schema and fields; Tolk's analyzers alone (no index
   writing), also with an ASCII fast path in ``fold``.

Needs py-spy (``bench`` extra) and wrk (Debian).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))


def _use_frozen_code() -> None:
    """Profile the same frozen copy of Tolk that built the indexes (see run_all.py)."""
    if os.environ.get("TOLK_BENCH_CODE"):
        return
    latest = BENCH / "out" / "results-latest.json"
    try:
        code = json.loads(latest.read_text()).get("code") or {}
    except (OSError, ValueError):
        return
    if code.get("dir") and Path(code["dir"]).is_dir():
        os.environ["TOLK_BENCH_CODE"] = code["dir"]
        os.environ["PYTHONPATH"] = os.pathsep.join(
            p for p in (code["dir"], os.environ.get("PYTHONPATH", "")) if p)


_use_frozen_code()

from corpus import DEFAULT_SEED, OUT_DIR, ensure_corpus, read_corpus  # noqa: E402

PYSPY = Path(sys.executable).with_name("py-spy")


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S ") + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- py-spy folded stacks

_FRAME_RE = re.compile(r"^(?P<func>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _short(path: str) -> str:
    path = re.sub(r"^.*?bench/out/code-\d{8}-\d{6}/", "", path)  # the frozen copy of Tolk
    for marker in ("site-packages/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            return path.split("/", 1)[1] if marker == "/lib/python3" and "/" in path else path
    for top in (str(ROOT) + "/",):
        if path.startswith(top):
            return path[len(top):]
    return path


def frame_key(frame: str) -> str:
    m = _FRAME_RE.match(frame.strip())
    if not m:
        return frame.strip()
    return f"{m.group('func')} ({_short(m.group('file'))})"


def read_folded(path: Path, must_contain: str | None = None):
    """[(frames, count)] from py-spy raw output, optionally only stacks through a function."""
    stacks = []
    for line in Path(path).read_text(errors="replace").splitlines():
        line = line.strip()
        if not line:
            continue
        stack, _, count = line.rpartition(" ")
        try:
            n = int(count)
        except ValueError:
            continue
        frames = [frame_key(f) for f in stack.split(";")]
        if must_contain and not any(must_contain in f for f in frames):
            continue
        stacks.append((frames, n))
    return stacks


def folded_tables(stacks, top: int = 25, groups: dict | None = None) -> list[dict]:
    total = sum(n for _, n in stacks) or 1
    self_c, incl_c = Counter(), Counter()
    for frames, n in stacks:
        self_c[frames[-1]] += n
        for key in set(frames):
            incl_c[key] += n
    tables = [
        {"caption": f"Self time (where the CPU is), {total:,} samples:",
         "header": ["function (file)", "self %"],
         "rows": [[f"`{k}`", f"{v / total * 100:.1f}"] for k, v in self_c.most_common(top)]},
        {"caption": "Inclusive time (the function and what it calls):",
         "header": ["function (file)", "inclusive %"],
         "rows": [[f"`{k}`", f"{v / total * 100:.1f}"]
                  for k, v in incl_c.most_common(top + 15)
                  if v < total * 0.999][:top]},
    ]
    if groups:
        rows = []
        for label, patterns in groups.items():
            exclude = []
            if isinstance(patterns, tuple):
                patterns, exclude = patterns
            n = sum(c for frames, c in stacks
                    if any(any(p in f for p in patterns) for f in frames)
                    and not any(any(x in f for x in exclude) for f in frames))
            rows.append([label, f"{n / total * 100:.1f}"])
        tables.insert(0, {"caption": "By part (inclusive; parts can overlap):",
                          "header": ["part", "% of samples"], "rows": rows})
    return tables


def pyspy_record(cmd: list[str], out: Path, rate: int = 250) -> None:
    full = [str(PYSPY), "record", "--rate", str(rate), "--format", "raw", "-o", str(out),
            "--", *cmd]
    subprocess.run(full, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


# ---------------------------------------------------------------- search workload


def load_queries(size: int, per_class: int) -> list[dict]:
    files = sorted(OUT_DIR.glob(f"queries-{size}-q*-s{DEFAULT_SEED}.json"))
    if not files:
        raise SystemExit(f"no query set for {size}; run bench/run_all.py first")
    queries = json.loads(files[-1].read_text("utf-8"))
    by_cls = defaultdict(list)
    for q in queries:
        by_cls[q["cls"]].append(q)
    return [q for qs in by_cls.values() for q in qs[:per_class]]


def open_tolk(size: int):
    import engines

    engine = engines.Tolk()
    engine.open(OUT_DIR / f"ix-{size}" / "tolk")
    return engine


def run_workload(engine, queries, rounds: int = 1):
    for _ in range(rounds):
        for q in queries:
            engine.query(q, "tolk")


def search_phases(engine, queries) -> dict:
    """Time each top-level step of index.search.pipeline.search (outermost wrapper wins)."""
    import whoosh.searching as ws

    import index.search.pipeline as s

    times = defaultdict(float)
    depth = [0]

    def wrap(owner, name, label):
        original = getattr(owner, name, None)
        if original is None:
            return None

        def timed(*args, **kwargs):
            if depth[0]:
                return original(*args, **kwargs)
            depth[0] += 1
            t0 = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                times[label] += time.perf_counter() - t0
                depth[0] -= 1

        setattr(owner, name, timed)
        return (owner, name, original)

    reader_cls = type(engine.reader)
    patches = [
        wrap(s, "parse_query", "parse query"),
        wrap(reader_cls, "searchers", "reader.searchers() (refresh)"),
        wrap(s, "detect_query_language", "detect query language (doc freqs)"),
        wrap(reader_cls, "lexicon", "reader.lexicon()"),
        wrap(s._Compiler, "compile", "compile + expand words (lexicon links)"),
        wrap(s, "add_typo_terms", "typo terms (words matching nothing)"),
        wrap(s, "_set_global_idf", "global IDF (doc freqs, both indexes)"),
        wrap(s, "collect", "collect: match + score every hit, top-k, total, months"),
        wrap(ws.Searcher, "search", "Whoosh Searcher.search"),
        # Whoosh copies the reader's stored_fields onto each Searcher instance
        *[wrap(searcher, "stored_fields", "stored fields of the page (incl. body + original)")
          for searcher in engine.reader.searchers().values()],
        wrap(ws.Hit, "fields", "Hit.fields"),
        wrap(s, "did_you_mean", "did-you-mean (total < 3)"),
        wrap(s, "_hit", "hits: highlight snippet, cross-links"),
    ]
    by_class = {}
    try:
        for cls in ("one", "and", "or", "phrase", "xling"):
            qs = [q for q in queries if q["cls"] == cls]
            if not qs:
                continue
            times.clear()
            t0 = time.perf_counter()
            for q in qs:
                engine.query(q, "tolk")
            total = time.perf_counter() - t0
            by_class[cls] = {"total_ms_per_query": total / len(qs) * 1000,
                             "phases": {k: v / total for k, v in times.items()}}
    finally:
        for p in patches:
            if p:
                setattr(p[0], p[1], p[2])
    return by_class


def cprofile_table(engine, queries, top=20) -> dict:
    prof = cProfile.Profile()
    prof.enable()
    run_workload(engine, queries)
    prof.disable()
    st = pstats.Stats(prof)
    total = st.total_tt or 1
    rows = []
    for (file, line, func), (cc, nc, tt, ct, _) in sorted(
            st.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:top]:
        rows.append([f"`{func} ({_short(file)}:{line})`", f"{nc:,}",
                     f"{tt / total * 100:.1f}", f"{ct / total * 100:.1f}"])
    return {"caption": f"cProfile over the same workload ({total:.1f} s with profiler "
                       "overhead), by self time:",
            "header": ["function", "calls", "self %", "cumulative %"], "rows": rows}


# ---------------------------------------------------------------- indexing experiments


def procs_experiment(size: int, docs: int) -> dict:
    """Tolk's schema and fields, written with Whoosh procs=1 vs procs=2+multisegment."""
    import tolk_compat

    tolk_compat.ensure_importable()
    from whoosh import index as wi

    from index.ingest.documents import Document
    from index.storage import document_fields, make_schema

    records = list(read_corpus(ensure_corpus(size), docs))
    out = {}
    for label, kwargs in (("procs=1 (as store.rebuild)", {"procs": 1, "limitmb": 128,
                                                          "multisegment": False}),
                          ("procs=2, multisegment=True", {"procs": 2, "limitmb": 128,
                                                          "multisegment": True})):
        tmp = Path(tempfile.mkdtemp(prefix="tolk-procs-", dir=OUT_DIR))
        try:
            writers = {}
            for lang in ("nl", "en"):
                (tmp / lang).mkdir()
                writers[lang] = wi.create_in(str(tmp / lang), make_schema(lang)).writer(**kwargs)
            t0 = time.perf_counter()
            for r in records:
                doc = Document(id=r["id"], language=r["language"], language_confidence=1.0,
                               title=r["title"], text=r["text"], original=r["text"],
                               date=r["date"], url=r["url"], source=r["source"], decisions=[])
                writers[r["language"]].add_document(**document_fields(doc))
            for w in writers.values():
                w.commit()
            seconds = time.perf_counter() - t0
            out[label] = {"docs": len(records), "seconds": seconds,
                          "docs_per_s": len(records) / seconds}
            log(f"    {label}: {len(records) / seconds:,.0f} docs/s")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def analysis_experiment(size: int, docs: int) -> dict:
    """Tolk's analyzers alone over the texts (index mode, as the writer calls them).

    Also with one local change, patched in this process only (index/ is not
    changed): ``fold`` returning ``text.lower()`` for ASCII words, checked to
    give the same token stream.
    """
    import index.analysis as an
    from index.analysis import analyzer_for

    records = list(read_corpus(ensure_corpus(size), docs))

    def run(collect=False):  # -> (seconds, tokens, stream or None)
        out = [] if collect else None
        t0 = time.perf_counter()
        tokens = 0
        for r in records:
            ana = analyzer_for(r["language"])
            for text in (r["title"], r["text"]):
                for t in ana(text, positions=True, chars=True, mode="index"):
                    tokens += 1
                    if collect:
                        out.append((t.text, t.pos, t.startchar, t.endchar))
        return time.perf_counter() - t0, tokens, out

    def best(rounds=3):  # best of 3: the machine is shared
        return min(run()[0] for _ in range(rounds))

    _, tokens, base_out = run(collect=True)
    base_s = best()
    result = {"docs": len(records), "tokens": tokens,
              "as_is": {"seconds": base_s, "docs_per_s": len(records) / base_s}}
    original_fold = an.fold
    try:
        an.fold = lambda text: text.lower() if text.isascii() else original_fold(text)
        _, _, out2 = run(collect=True)
        s2 = best()
        result["fold_ascii"] = {"seconds": s2, "docs_per_s": len(records) / s2,
                                "identical": out2 == base_out}
    finally:
        an.fold = original_fold
    return result


# ---------------------------------------------------------------- HTTP


def http_profile(size: int, queries: list[dict], seconds: int = 20) -> list:
    import http_bench

    server = http_bench.Server(OUT_DIR / f"ix-{size}" / "tolk")
    outs = []
    try:
        paths = [http_bench.search_path(q) for q in queries]
        http_bench.run_wrk(server.base, paths, 2, 4)  # warm-up
        import psutil

        pids = [c.pid for c in psutil.Process(server.proc.pid).children()]
        spies = []
        for pid in pids:
            out = Path(tempfile.mktemp(prefix="spy-http-", suffix=".txt", dir=OUT_DIR))
            outs.append(out)
            spies.append(subprocess.Popen(
                [str(PYSPY), "record", "--pid", str(pid), "--rate", "100", "--nonblocking",
                 "--duration", str(seconds), "--format", "raw", "-o", str(out)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1)
        http_bench.run_wrk(server.base, paths, 2, seconds - 2)
        for p in spies:
            p.wait(timeout=seconds + 60)
    finally:
        server.stop()
    stacks = []
    for out in outs:
        if out.exists():
            stacks += read_folded(out)
            out.unlink()
    return stacks


# ---------------------------------------------------------------- main


SEARCH_GROUPS = {
    "index.search.pipeline.search (all of it)": ["search (index/search/pipeline.py)"],
    "collect (match + score every hit, top-k, total, months)": ["collect (index/search/collect.py)"],
    "SynonymMatcher / SynonymQuery scoring": ["(index/scoring/synonyms.py)"],
    "highlighting (_hit, find_matches, snippet)": ["_hit (index/search/pipeline.py)"],
    "stored fields (Searcher.stored_fields)": ["stored_fields (whoosh/"],
    "postings decoding (whoosh codec, matching)": ["(whoosh/codec/", "(whoosh/matching/"],
    "query language detection": ["detect_query_language"],
    "typo terms / did-you-mean": ["add_typo_terms", "did_you_mean"],
    "analysis (analyzers)": ["(index/analysis.py)"],
}
INDEX_GROUPS = {
    "Document objects (bench harness)": ["<listcomp> (engines.py)"],
    "store.rebuild (all)": ["rebuild (index/storage/writes.py)"],
    "add_document (analysis + posting buffers)": ["add_document (whoosh/"],
    "Tolk analyzers (tokenize, fold, stop, stem)": ["(index/analysis.py)"],
    "writer commit (sort/merge postings, write segment)": ["commit (whoosh/"],
    "name_candidates (store)": ["name_candidates"],
    "cross-link lexicon build": ["_finish_generation", "build_lexicon"],
}
HTTP_GROUPS = {
    "Flask wsgi_app (request handling)": ["wsgi_app (flask/app.py)"],
    "index.search.pipeline.search": ["search (index/search/pipeline.py)"],
    "marshmallow (validate args, dump response)": ["(marshmallow/"],
    "jsonify / json encoding": ["(flask/json/", "(json/encoder.py)"],
    "gunicorn outside the app (accept, parse, write, close)": (["(gunicorn/"],
                                                               ["wsgi_app (flask/app.py)"]),
    "Flask/werkzeug outside search()": (["wsgi_app (flask/app.py)"],
                                        ["search (index/search/pipeline.py)"]),
}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--index-docs", type=int, default=None,
                    help="documents for the sampled indexing profile (default: --size)")
    ap.add_argument("--queries", type=int, default=100, help="queries per class")
    ap.add_argument("--experiment-docs", type=int, default=10_000)
    ap.add_argument("--skip-index", action="store_true")
    ap.add_argument("--skip-http", action="store_true")
    ap.add_argument("--skip-experiments", action="store_true")
    ap.add_argument("--_workload", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    queries = load_queries(args.size, args.queries)
    if args._workload:  # the process py-spy samples
        engine = open_tolk(args.size)
        run_workload(engine, queries[:20])
        run_workload(engine, queries)
        return 0
    started = time.monotonic()
    result = {"size": args.size, "date": time.strftime("%Y-%m-%d %H:%M %Z"),
              "code_dir": os.environ.get("TOLK_BENCH_CODE", str(ROOT)),
              "command": ".venv/bin/python bench/profile_tolk.py " + " ".join(
                  argv if argv is not None else sys.argv[1:]), "parts": []}
    OUT_DIR.mkdir(exist_ok=True)
    save = lambda: (OUT_DIR / "profile-latest.json").write_text(json.dumps(result, indent=1))

    log(f"search phases over {len(queries)} queries at {args.size:,} docs")
    engine = open_tolk(args.size)
    run_workload(engine, queries[:30])
    phases = search_phases(engine, queries)
    labels = sorted({k for v in phases.values() for k in v["phases"]},
                    key=lambda k: -sum(v["phases"].get(k, 0) for v in phases.values()))
    classes = list(phases)
    rows = [["mean ms per query", *[f"{phases[c]['total_ms_per_query']:.1f}" for c in classes]]]
    for label in labels:
        rows.append([label, *[f"{phases[c]['phases'].get(label, 0) * 100:.1f} %"
                              for c in classes]])
    rows.append(["rest (merge, sort, Python glue)",
                 *[f"{(1 - sum(phases[c]['phases'].values())) * 100:.1f} %" for c in classes]])
    result["parts"].append({
        "title": "Search: time per step of index.search.pipeline.search",
        "note": f"{args.queries} queries per class, Tolk's default mode (lang=any; the "
                "target language for cross-lingual), each query once, after a warm-up. "
                "Each step is timed where `search()` calls it (a step called inside "
                "another timed step counts for the outer one).",
        "tables": [{"header": ["step", *classes], "rows": rows}]})
    save()

    log("search: cProfile")
    result["parts"][-1]["tables"].append(cprofile_table(engine, queries))
    save()

    engine.close()

    log("search: py-spy")
    spy = OUT_DIR / "spy-search.txt"
    pyspy_record([sys.executable, str(BENCH / "profile_tolk.py"), "--size", str(args.size),
                  "--queries", str(args.queries), "--_workload"], spy)
    stacks = read_folded(spy, must_contain="run_workload")
    result["parts"].append({"title": "Search, sampled with py-spy (250 Hz)",
                            "note": "Same queries, own process, samples inside the query loop "
                                    "only.",
                            "tables": folded_tables(stacks, groups=SEARCH_GROUPS)})
    save()

    if not args.skip_http:
        log("HTTP: py-spy on both gunicorn workers under wrk (2 connections)")
        stacks = http_profile(args.size, queries)
        result["parts"].append({"title": "HTTP: gunicorn workers sampled with py-spy",
                                "note": "wrk with 2 connections rotating over the same "
                                        "queries; 100 Hz, non-blocking, both workers.",
                                "tables": folded_tables(stacks, groups=HTTP_GROUPS)})
        save()

    if not args.skip_experiments:
        log(f"indexing experiments on {args.experiment_docs:,} docs")
        exp = {"analysis_only": analysis_experiment(args.size, min(args.experiment_docs, 2000)),
               "procs": procs_experiment(args.size, args.experiment_docs)}
        result["experiments_index"] = exp
        a = exp["analysis_only"]
        rows = [["Tolk analyzers only, as they are (index mode, positions + chars)",
                 f"{a['as_is']['docs_per_s']:,.0f}",
                 f"{a['tokens'] / a['as_is']['seconds']:,.0f} tokens/s"],
                ["... with fold() returning text.lower() for ASCII words",
                 f"{a['fold_ascii']['docs_per_s']:,.0f}",
                 f"same tokens: {a['fold_ascii']['identical']}"]]
        for label, r in exp["procs"].items():
            rows.append([f"Whoosh writer with Tolk's schema, {label}",
                         f"{r['docs_per_s']:,.0f}", f"{r['seconds']:.1f} s"])
        tables = [{"header": ["experiment", "docs/s", "detail"], "rows": rows}]

        result["parts"].append({"title": "Experiments behind the suggestions",
                                "note": f"On the first corpus documents ({args.experiment_docs:,} "
                                        "for the writer, at most 2,000 for the analyzers; "
                                        "best of 3).",
                                "tables": tables})
        save()

    if not args.skip_index:
        n = args.index_docs or args.size
        log(f"indexing: py-spy over worker.py build tolk, {n:,} docs (progress below)")
        corpus = ensure_corpus(n)
        spy = OUT_DIR / "spy-index.txt"
        ixdir = OUT_DIR / f"ix-profile-{n}"
        pyspy_record([sys.executable, str(BENCH / "worker.py"), "build", "tolk", str(corpus),
                      str(ixdir), str(OUT_DIR / f"profile-build-{n}.json")], spy, rate=100)
        build = json.loads((OUT_DIR / f"profile-build-{n}.json").read_text())
        stacks = read_folded(spy, must_contain="build (engines.py)")
        result["parts"].append({
            "title": f"Indexing, sampled with py-spy (100 Hz), {n:,} documents",
            "note": f"`worker.py build tolk` under py-spy: {build['docs_per_s']:,.0f} docs/s, "
                    f"{build['seconds']:.0f} s, peak RSS {build['peak_rss_mb']:,.0f} MB. "
                    "Samples inside the engine's build only (corpus loading excluded).",
            "tables": folded_tables(stacks, groups=INDEX_GROUPS)})
        shutil.rmtree(ixdir, ignore_errors=True)
        save()
    result["seconds"] = time.monotonic() - started
    save()
    log(f"profile done in {result['seconds'] / 60:.1f} min -> {OUT_DIR / 'profile-latest.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
