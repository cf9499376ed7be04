"""The in-process search path: per-step split, latency per class, answers before vs after.

    .venv/bin/python bench/search_path.py --size 10000 --index bench/out/ix-10000/tolk \\
        --before-code /tmp/tolk-before --rounds 3 --per-class 100
    .venv/bin/python bench/search_path.py --size 100000 --modes tolk-mono --profile

Every variant (``--before-code``: a checkout, e.g. ``git archive main | tar -x -C
/tmp/tolk-before``; the checkout this script is in) runs in a fresh process on the same
index, result cache off, posting cache 64 MB (the service default), the query set of
``run_all.py``, in each of ``--modes``: ``tolk-mono`` (``lang=<query language>``, no
cross-lingual expansion, as ``bench/engines.py`` queries it: hybrid when the index has
vectors), ``tolk-lexical`` (the same, ``mode=lexical``: BM25 only, as the peers rank) and
``tolk`` (``lang=any``, expansion on).
20 other queries warm up first. Per query: wall time, the thread's CPU time, and the
pipeline's own phases (``index.observe.recording_phases``: parse, expand, score or
collect, stored fields, highlight, facets; an older checkout reports fewer).

Variants alternate ``--rounds`` times (medians over rounds): the machine is shared.
The answers (total, hit ids, scores, snippets, crosslinks, facets) of both variants are
compared query by query and every difference is listed. ``--profile``: a cProfile run of
the checkout of its own after the timed ones, top functions by self time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def _pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def child(args) -> None:
    sys.path.insert(0, args.code)
    sys.path.insert(1, str(BENCH))
    from engines import _words_query

    from index.observe import recording_phases
    from index.search import SearchRequest, resultcache, search
    from index.storage import IndexReader, postingcache
    from service.lexicon import load_lexicon

    postingcache.configure(64)
    queries = json.loads(Path(args.queries).read_text())
    by_class: dict = {}
    for spec in queries:
        by_class.setdefault(spec["cls"], []).append(spec)
    chosen = [s for specs in by_class.values() for s in specs[:args.per_class]]
    warmup = [s for specs in by_class.values() for s in specs[args.per_class:]][:20]
    reader = IndexReader(args.index)
    reader.set_lexicon_loader(load_lexicon)
    resultcache.configure(reader, 0)

    def request(spec, mode):
        if mode == "tolk":
            lang = spec["target"] if spec["cls"] == "xling" else "any"
            return SearchRequest(q=_words_query(spec), lang=lang, limit=10, crosslingual=True)
        return SearchRequest(q=_words_query(spec), lang=spec["target"], limit=10,
                             crosslingual=False,
                             mode="lexical" if mode == "tolk-lexical" else None)

    for mode in args.modes.split(","):
        for spec in warmup:
            search(reader, request(spec, mode))
    profiler = None
    if args.profile:
        import cProfile
        profiler = cProfile.Profile()
    out: dict = {"code": args.code, "modes": {}}
    for mode in args.modes.split(","):
        times: dict = {}
        cpu: dict = {}
        phases: dict = {}
        answers = {}
        total = 0.0
        for spec in chosen:
            if mode != "tolk" and spec["cls"] == "xling":
                continue  # the peers have no cross-lingual mode
            req = request(spec, mode)
            with recording_phases() as timings:
                if profiler:
                    profiler.enable()
                c0 = time.thread_time()
                t0 = time.perf_counter()
                result = search(reader, req)
                elapsed = time.perf_counter() - t0
                spent = time.thread_time() - c0
                if profiler:
                    profiler.disable()
            total += elapsed
            times.setdefault(spec["cls"], []).append(elapsed * 1000)
            cpu.setdefault(spec["cls"], []).append(spent * 1000)
            for phase, seconds in timings.items():
                phases[phase] = phases.get(phase, 0.0) + seconds
            answers[spec["id"]] = {
                "total": result["total"], "query_language": result["query_language"],
                "hits": [[h["id"], h["score"], h["snippet"], h["crosslinks"]]
                         for h in result["hits"]],
                "facets": result["facets"], "corrected": result["corrected"],
                "suggestion": result["suggestion"]}
        latency = {cls: {"n": len(v), "p50": round(statistics.median(v), 2),
                         "p99": round(_pct(v, 99), 2),
                         "cpu_p50": round(statistics.median(cpu[cls]), 2)}
                   for cls, v in times.items()}
        every = [t for v in times.values() for t in v]
        every_cpu = [t for v in cpu.values() for t in v]
        latency["all"] = {"n": len(every), "p50": round(statistics.median(every), 2),
                          "p99": round(_pct(every, 99), 2),
                          "cpu_p50": round(statistics.median(every_cpu), 2)}
        out["modes"][mode] = {"latency_ms": latency, "search_s": round(total, 3),
                              "phases": {k: round(v / total, 4) for k, v in phases.items()},
                              "answers": answers}
    if profiler:
        import pstats
        stats = pstats.Stats(profiler)
        spent = sum(m["search_s"] for m in out["modes"].values())
        rows = sorted(stats.stats.items(), key=lambda kv: kv[1][2], reverse=True)[:args.top]
        out["profile_top"] = [
            {"function": f"{Path(f).name}:{line} {name}", "self_s": round(tt, 3),
             "share": round(tt / spent, 3), "calls": nc}
            for (f, line, name), (cc, nc, tt, ct, callers) in rows]
    Path(args.out).write_text(json.dumps(out))


def run(code: str, args, out: Path, profile: bool) -> dict:
    cmd = [sys.executable, __file__, "--_child", "--code", code, "--index", args.index,
           "--queries", args.queries, "--per-class", str(args.per_class), "--out", str(out),
           "--modes", args.modes, "--top", str(args.top)]
    if profile:
        cmd.append("--profile")
    env = {**os.environ, "PYTHONPATH": code}
    subprocess.run(cmd, check=True, env=env, cwd=code)
    return json.loads(out.read_text())


def _medians(found: list) -> dict:
    first = json.loads(json.dumps(found[0]))
    for mode, data in first["modes"].items():
        for cls, row in data["latency_ms"].items():
            for key in row:
                row[key] = statistics.median(r["modes"][mode]["latency_ms"][cls][key]
                                             for r in found)
        data["phases"] = {k: statistics.median(r["modes"][mode]["phases"].get(k, 0)
                                               for r in found) for k in data["phases"]}
    return first


def _differences(before: dict, after: dict) -> list[str]:
    out = []
    for qid, a in before.items():
        b = after.get(qid)
        if b == a:
            continue
        if b is None:
            out.append(f"{qid}: missing after")
            continue
        what = [k for k in a if k != "hits" and a[k] != b.get(k)]
        ha, hb = a["hits"], b["hits"]
        if [h[:2] for h in ha] != [h[:2] for h in hb]:
            what.append("hits (ids/scores)")
        else:
            for x, y in zip(ha, hb):
                if x[2] != y[2]:
                    what.append(f"snippet of {x[0]}: {x[2]!r} -> {y[2]!r}")
                if x[3] != y[3]:
                    what.append(f"crosslinks of {x[0]}: {x[3]!r} -> {y[3]!r}")
        out.append(f"{qid}: " + "; ".join(what))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--size", type=int, default=10000)
    ap.add_argument("--index", help="default bench/out/ix-SIZE/tolk")
    ap.add_argument("--queries", help="default bench/out/queries-SIZE-q300-s42.json")
    ap.add_argument("--per-class", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--modes", default="tolk-mono,tolk-lexical,tolk")
    ap.add_argument("--before-code", help="another checkout, run on the same index")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--top", type=int, default=10, help="profile rows")
    ap.add_argument("--json", help="write the summary here")
    ap.add_argument("--_child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--code", default=str(ROOT))
    ap.add_argument("--out")
    args = ap.parse_args()
    out_dir = BENCH / "out"
    args.index = str(Path(args.index or out_dir / f"ix-{args.size}" / "tolk").resolve())
    args.queries = str(Path(args.queries or out_dir / f"queries-{args.size}-q300-s42.json")
                       .resolve())
    if args._child:
        return child(args)
    variants = {"after": str(ROOT)}
    if args.before_code:
        variants = {"before": str(Path(args.before_code).resolve()), **variants}
    runs: dict = {name: [] for name in variants}
    for number in range(args.rounds):
        for name, code in variants.items():
            runs[name].append(run(code, args, out_dir / f"search-path-{name}-{number}.json",
                                  profile=False))
    results = {name: _medians(found) for name, found in runs.items()}
    os.system("uptime")
    print(f"{args.rounds} alternating round(s), medians over rounds; {args.index}\n")
    for mode in args.modes.split(","):
        print(f"| {mode}: p50 / p99 ms (CPU p50) | " + " | ".join(results) + " |")
        print("|---|" + "---|" * len(results))
        for cls in results["after"]["modes"][mode]["latency_ms"]:
            print(f"| {cls} | " + " | ".join(
                "{p50:.2f} / {p99:.2f} ({cpu_p50:.2f})".format(
                    **r["modes"][mode]["latency_ms"][cls]) for r in results.values()) + " |")
        names = sorted({k for r in results.values() for k in r["modes"][mode]["phases"]})
        for phase in names:
            print(f"| share: {phase} | " + " | ".join(
                f"{100 * r['modes'][mode]['phases'].get(phase, 0):.1f} %"
                for r in results.values()) + " |")
        print()
        if "before" in results:
            diffs = _differences(results["before"]["modes"][mode]["answers"],
                                 results["after"]["modes"][mode]["answers"])
            n = len(results["before"]["modes"][mode]["answers"])
            print(f"{mode}: answers identical on {n - len(diffs)} of {n} queries")
            for line in diffs[:40]:
                print("  " + line)
            print()
    if args.profile:
        profiled = run(variants["after"], args, out_dir / "search-path-profile.json", True)
        for row in profiled["profile_top"]:
            print(f"top self time: {row['function']}  {row['self_s']} s "
                  f"({100 * row['share']:.1f} %), {row['calls']} calls")
    if args.json:
        Path(args.json).write_text(json.dumps(
            {name: {mode: {k: v for k, v in data.items() if k != "answers"}
                    for mode, data in r["modes"].items()} for name, r in results.items()},
            indent=1))


if __name__ == "__main__":
    main()
