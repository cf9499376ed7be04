"""Render BENCHMARKS.md from a results JSON written by ``bench/run_all.py``.

    .venv/bin/python bench/report.py [bench/out/results-latest.json] [--out BENCHMARKS.md]

Re-rendering never re-measures. ``bench/findings.md`` (hand-written
interpretation) and the latest profile (``bench/out/profile-latest.json``,
from ``bench/profile_tolk.py``) are included when present.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CLASSES = ("one", "and", "or", "phrase", "xling")
CLASS_NAMES = {"one": "one word", "and": "two words AND", "or": "three words OR",
               "phrase": "phrase (2 words)", "xling": "cross-lingual (1 word)"}
PEERS = ("whoosh-default", "tantivy", "fts5")
MODES = ("tolk", "tolk-mono", "whoosh-default", "tantivy", "fts5")
# Issue 18's targets at 100k (the headline table's goals).
TARGETS = {"http_p50_ms": 5.0, "http_p99_ms": 25.0, "throughput_ratio": 0.2,
           "indexing_ratio": 3.0}


def pct(values, p: float) -> float:
    """Percentile with linear interpolation (numpy's default)."""
    if not values:
        return float("nan")
    v = sorted(values)
    k = (len(v) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def f(x, digits=1) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, float) and abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def ratio(a, b) -> str:
    if not a or not b or (isinstance(a, float) and math.isnan(a)):
        return "–"
    r = a / b
    return f"{r:.2f}×" if r < 10 else f"{r:,.0f}×"


def table(header, rows) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def latency_stats(rows, cls=None) -> dict:
    sel = [r for r in rows if cls is None or r["cls"] == cls]
    ms = [r["ms"] for r in sel]
    cpu = [r["cpu_ms"] for r in sel if "cpu_ms" in r]
    totals = [r["total"] for r in sel]
    return {"n": len(ms), "p50": pct(ms, 50), "p95": pct(ms, 95), "p99": pct(ms, 99),
            "mean": sum(ms) / len(ms) if ms else float("nan"),
            "cpu_p50": pct(cpu, 50) if cpu else float("nan"),
            "cpu_p99": pct(cpu, 99) if cpu else float("nan"),
            "total_median": pct(totals, 50)}


def mode_rows(size_res: dict, mode: str):
    engine = "tolk" if mode.startswith("tolk") else mode
    q = size_res["query"].get(engine)
    if not q:
        return None
    return q["modes"].get(mode)


def agreement(size_res: dict, peer: str, cls: str) -> dict | None:
    a = mode_rows(size_res, "tolk-mono")
    b = mode_rows(size_res, peer)
    if not a or not b:
        return None
    bmap = {r["id"]: r for r in b if r["cls"] == cls}
    same_total, overlaps, rel = 0, [], []
    n = 0
    for r in a:
        if r["cls"] != cls or r["id"] not in bmap:
            continue
        o = bmap[r["id"]]
        n += 1
        same_total += r["total"] == o["total"]
        if max(r["total"], o["total"]):
            rel.append(abs(r["total"] - o["total"]) / max(r["total"], o["total"]))
        ta, tb = set(r["top"]), set(o["top"])
        denom = max(len(ta), len(tb))
        overlaps.append(len(ta & tb) / denom if denom else 1.0)
    if not n:
        return None
    res = {"n": n, "same_total": same_total / n, "top10": sum(overlaps) / n,
           "rel_diff_mean": sum(rel) / len(rel) if rel else 0.0}
    fa = size_res["query"]["tolk"].get("fullsets") or {}
    fb = size_res["query"][peer].get("fullsets") or {}
    if cls == "one" and fa and fb:
        jac, ident = [], 0
        for qid, ids in fa.items():
            if qid not in fb:
                continue
            sa, sb = set(ids), set(fb[qid])
            u = sa | sb
            jac.append(len(sa & sb) / len(u) if u else 1.0)
            ident += sa == sb
        if jac:
            res["jaccard"] = sum(jac) / len(jac)
            res["identical_sets"] = ident / len(jac)
            res["fullset_n"] = len(jac)
    return res


def headline(results: dict) -> tuple[str, list]:
    size = max(int(s) for s in results["sizes"])
    sr = results["sizes"][str(size)]
    http = sr.get("http") or {}
    runs = http.get("runs", {})
    s1, e4, s4 = runs.get("search_c1"), runs.get("empty_c4"), runs.get("search_c4")
    b = sr["build"]
    rows, verdicts = [], []

    def verdict(ok):
        return "**met**" if ok else "**missed**"

    tolk, fts5 = mode_rows(sr, "tolk-mono"), mode_rows(sr, "fts5")
    if tolk and fts5:  # in process, all monolingual classes, Tolk asked the peers' question
        ours = latency_stats([r for r in tolk if r["cls"] != "xling"])
        theirs = latency_stats(fts5)
        for p in ("p50", "p99"):
            ok = ours[p] <= theirs[p]
            rows.append([f"in process {p}, monolingual classes (tolk-mono vs SQLite FTS5)",
                         "≤ FTS5", f"{f(ours[p], 2)} vs {f(theirs[p], 2)} ms "
                         f"(CPU p50 {f(ours['cpu_p50'], 2)} vs {f(theirs['cpu_p50'], 2)})"
                         if p == "p50" else f"{f(ours[p], 2)} vs {f(theirs[p], 2)} ms",
                         verdict(ok)])
            verdicts.append(ok)
    if s1:
        p50, p99 = s1["latency_ms"]["p50"], s1["latency_ms"]["p99"]
        goal50, goal99 = TARGETS["http_p50_ms"], TARGETS["http_p99_ms"]
        rows.append(["HTTP search p50 (1 connection, all classes)", f"≤ {goal50:g} ms",
                     f"{f(p50)} ms", verdict(p50 <= goal50)])
        rows.append(["HTTP search p99 (1 connection, all classes)", f"≤ {goal99:g} ms",
                     f"{f(p99)} ms", verdict(p99 <= goal99)])
        verdicts += [p50 <= goal50, p99 <= goal99]
    if s4 and e4:
        r = s4["rps"] / e4["rps"]
        goal = TARGETS["throughput_ratio"]
        rows.append(["search throughput ÷ empty endpoint (4 connections)",
                     f"≥ {goal * 100:g} %",
                     f"{r * 100:.1f} % ({f(s4['rps'])} vs {f(e4['rps'])} req/s)",
                     verdict(r >= goal)])
        verdicts.append(r >= goal)
    if "tolk" in b and "whoosh-default" in b:
        r = b["tolk"]["docs_per_s"] / b["whoosh-default"]["docs_per_s"]
        goal = TARGETS["indexing_ratio"]
        rows.append(["indexing ÷ default Whoosh", f"≥ {goal:g}×",
                     f"{r:.2f}× ({f(b['tolk']['docs_per_s'])} vs "
                     f"{f(b['whoosh-default']['docs_per_s'])} docs/s)",
                     verdict(r >= goal)])
        verdicts.append(r >= goal)
    text = f"Targets at {size:,} documents:\n\n" + table(
        ["target", "goal", "measured", "verdict"], rows)
    return text, verdicts


def size_section(size: str, sr: dict, results: dict) -> str:
    out = [f"## {int(size):,} documents", ""]
    c = sr.get("corpus", {})
    if c:
        out.append(f"Corpus: {int(size):,} docs ({int(size) // 2:,} nl + {int(size) // 2:,} en), "
                   f"{c.get('words', 0):,} words ({c.get('words', 0) / int(size):.0f}/doc), "
                   f"{c.get('bytes', 0) / 2**20:.0f} MB JSONL. Queries: "
                   f"{sr.get('queries_per_class')} per class.")
        out.append("")
    # indexing
    b = sr["build"]
    base = b.get("whoosh-default", {}).get("docs_per_s")
    tolk = b.get("tolk", {}).get("docs_per_s")
    rows = []
    for name in ("tolk", *PEERS):
        if name not in b:
            continue
        r = b[name]
        rows.append([name, f(r["docs_per_s"], 0), f(r["seconds"]), ratio(r["docs_per_s"], base),
                     ratio(r["docs_per_s"], tolk), f(r["docs"] / r["cpu_seconds"], 0),
                     f(r["peak_rss_mb"], 0), f(r["peak_over_corpus_mb"], 0),
                     f(r["index_mb"], 0)])
    out.append("### Indexing")
    out.append("")
    out.append(table(["engine", "docs/s", "seconds", "÷ whoosh-default", "÷ tolk",
                      "docs per CPU-second", "peak RSS MB", "peak above loaded corpus MB",
                      "index MB"], rows))
    note = b.get("tolk", {}).get("info", {}).get("lexicon")
    if note:
        out.append("")
        out.append(f"Tolk's cross-link lexicon during this build: {note}.")
    out.append("")
    # queries
    out.append("### In-process query latency (ms, single thread, top 10 + exact count)")
    out.append("")
    rows = []
    for cls in CLASSES:
        mono = mode_rows(sr, "tolk-mono")
        ref = latency_stats(mono, cls)["p50"] if mono else None
        for mode in MODES:
            mr = mode_rows(sr, mode)
            if not mr:
                continue
            st = latency_stats(mr, cls)
            if not st["n"]:
                continue
            rows.append([CLASS_NAMES[cls], mode, st["n"], f(st["p50"], 2), f(st["p95"], 2),
                         f(st["p99"], 2), f(st["mean"], 2), f(st["cpu_p50"], 2),
                         f(st["total_median"], 0), ratio(ref, st["p50"])])
    out.append(table(["class", "engine", "queries", "p50", "p95", "p99", "mean", "CPU p50",
                      "median hits", "tolk-mono p50 ÷ this p50"], rows))
    out.append("")
    out.append("Last column: how many times faster than Tolk's comparable mode (below 1: "
               "slower). Peers are not asked cross-lingual queries (they do not translate); "
               "`tolk-mono` runs them without expansion to show what the expansion costs.")
    out.append("")
    rows = []
    for mode in MODES:
        mr = mode_rows(sr, mode)
        if mr:
            mono_only = [r for r in mr if r["cls"] != "xling"]
            st = latency_stats(mono_only)
            q = sr["query"]["tolk" if mode.startswith("tolk") else mode]
            rows.append([mode, st["n"], f(st["p50"], 2), f(st["p95"], 2), f(st["p99"], 2),
                         f(st["cpu_p50"], 2), f(q["open_ms"], 0), f(q["rss_after_mb"], 0)])
    out.append("All monolingual classes together (CPU = the query thread's CPU time, "
               "less disturbed by other load than wall time):")
    out.append("")
    out.append(table(["engine", "queries", "p50", "p95", "p99", "CPU p50", "open index ms",
                      "RSS after queries MB"], rows))
    skipped = {k: v for name in sr["query"] for k, v in
               (sr["query"][name].get("skipped") or {}).items()}
    if skipped:
        budget = next((sr["query"][n].get("class_budget_s") for n in sr["query"]
                       if sr["query"][n].get("class_budget_s")), None)
        out.append("")
        out.append(f"Time budget ({budget:.0f} s per class and mode, after 50 queries) cut: "
                   + ", ".join(f"{k} {v} queries" for k, v in skipped.items())
                   + ". Percentiles are over the queries measured (the query order is random).")
    out.append("")
    # agreement
    out.append("### Do the engines find the same documents? (vs. tolk-mono)")
    out.append("")
    rows = []
    for peer in PEERS:
        for cls in ("one", "and", "or", "phrase"):
            a = agreement(sr, peer, cls)
            if not a:
                continue
            rows.append([peer, CLASS_NAMES[cls], a["n"], f"{a['same_total'] * 100:.0f} %",
                         f"{a['rel_diff_mean'] * 100:.1f} %",
                         f"{a['top10'] * 100:.0f} %",
                         f"{a['jaccard'] * 100:.1f} % ({a['identical_sets'] * 100:.0f} % "
                         f"identical, n={a['fullset_n']})" if "jaccard" in a else ""])
    out.append(table(["peer", "class", "queries", "same exact total", "mean Δtotal ÷ larger total",
                      "top-10 overlap", "full hit-set Jaccard (one word)"], rows))
    out.append("")
    # http
    http = sr.get("http")
    if http:
        out.append("### HTTP through gunicorn (2 sync workers), loopback")
        out.append("")
        runs = http["runs"]
        rows = []
        floor = {1: runs.get("empty_c1"), 4: runs.get("empty_c4")}
        for name, r in runs.items():
            fl = floor.get(r["connections"])
            rows.append([name, r["connections"], r["requests"], f(r["rps"], 0),
                         f(r["latency_ms"]["p50"], 2), f(r["latency_ms"]["p95"], 2),
                         f(r["latency_ms"]["p99"], 2), f(r["latency_ms"]["max"], 1),
                         sum(r["errors"].values()),
                         f"{r['rps'] / fl['rps'] * 100:.1f} %" if fl else "–",
                         f(r.get("server_cpu_ms_per_request"), 2)])
        out.append(table(["run", "conns", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms",
                          "max ms", "errors", "req/s ÷ empty endpoint",
                          "worker CPU ms/request"], rows))
        out.append("")
        out.append(f"Server: `{http['command']}`; load generator: {http['load_generator']} "
                   f"(`wrk -t1 -cN -dS -s bench/wrk_rotate.lua`), on the same 2 cores. "
                   f"Worker RSS after the runs: {http.get('worker_rss_mb')} MB.")
        out.append("")
    return "\n".join(out)


def growth_section(results: dict) -> str:
    sizes = sorted(int(s) for s in results["sizes"])
    if len(sizes) < 2:
        return ""
    lo, hi = str(sizes[0]), str(sizes[-1])
    a, b = results["sizes"][lo], results["sizes"][hi]
    out = [f"## Growth from {sizes[0]:,} to {sizes[-1]:,} documents "
           f"({sizes[-1] / sizes[0]:.0f}× the documents)", ""]
    rows = []
    for name in ("tolk", *PEERS):
        if name in a["build"] and name in b["build"]:
            rows.append([name, "indexing docs/s", f(a["build"][name]["docs_per_s"], 0),
                         f(b["build"][name]["docs_per_s"], 0),
                         ratio(b["build"][name]["docs_per_s"], a["build"][name]["docs_per_s"])])
    for mode in MODES:
        ra, rb = mode_rows(a, mode), mode_rows(b, mode)
        if not ra or not rb:
            continue
        for cls in CLASSES:
            sa, sb = latency_stats(ra, cls), latency_stats(rb, cls)
            if sa["n"] and sb["n"]:
                rows.append([mode, f"p50 ms {CLASS_NAMES[cls]}", f(sa["p50"], 2),
                             f(sb["p50"], 2), ratio(sb["p50"], sa["p50"])])
    ha, hb = a.get("http"), b.get("http")
    if ha and hb:
        for run in ("search_c1", "search_c4", "empty_c4"):
            if run in ha["runs"] and run in hb["runs"]:
                x, y = ha["runs"][run], hb["runs"][run]
                rows.append(["HTTP", f"{run} p50 ms", f(x["latency_ms"]["p50"], 2),
                             f(y["latency_ms"]["p50"], 2),
                             ratio(y["latency_ms"]["p50"], x["latency_ms"]["p50"])])
                rows.append(["HTTP", f"{run} req/s", f(x["rps"], 0), f(y["rps"], 0),
                             ratio(y["rps"], x["rps"])])
    out.append(table(["engine", "measure", f"{sizes[0]:,}", f"{sizes[-1]:,}", "growth"], rows))
    out.append("")
    return "\n".join(out)


def scale_section(results: dict) -> str:
    """Tolk at every size of the run plus the scale run (``run_all.py --scale-1m``), if any."""
    scale = results.get("scale") or {}
    if not scale:
        return ""
    runs = {**results.get("sizes", {}), **scale}
    sizes = sorted(int(s) for s in runs if "tolk" in runs[s].get("build", {}))
    rows = []

    def row(label, fn):
        rows.append([label] + [fn(runs[str(n)]) for n in sizes])

    row("index size, MB", lambda r: f(r["build"]["tolk"]["index_mb"], 0))
    row("build time, s", lambda r: f(r["build"]["tolk"]["seconds"], 0))
    row("indexing, docs/s", lambda r: f(r["build"]["tolk"]["docs_per_s"], 0))
    row("build peak RSS, MB (writer processes)",
        lambda r: f"{f(r['build']['tolk']['peak_rss_mb'], 0)} "
                  f"({f(r['build']['tolk'].get('peak_rss_children_mb', float('nan')), 0)})")
    for cls in CLASSES:
        def stats(r, cls=cls):
            mr = mode_rows(r, "tolk-mono")
            s = latency_stats(mr, cls) if mr else None
            return f"{f(s['p50'], 1)} / {f(s['p99'], 0)}" if s and s["n"] else "–"
        row(f"in process p50 / p99 ms, {CLASS_NAMES[cls]}", stats)

    def http(r, key="search_c1"):
        run = ((r.get("http") or {}).get("runs") or {}).get(key)
        return (f"{f(run['latency_ms']['p50'], 1)} / {f(run['latency_ms']['p99'], 0)}"
                if run else "–")
    row("HTTP p50 / p99 ms (1 connection)", http)
    row("HTTP worker RSS, MB", lambda r: ", ".join(f(x, 0) for x in
                                                   (r.get("http") or {}).get("worker_rss_mb", []))
        or "–")
    row("`tolk serve` to first answer, s",
        lambda r: f((r.get("startup") or {}).get("first_answer_s", float("nan")), 1))
    row("worker USS after first answer, MB",
        lambda r: ", ".join(f(x, 0) for x in (r.get("startup") or {}).get("worker_uss_mb", []))
        or "–")
    out = ["## Scale (`bench/run_all.py --scale-1m`, Tolk only)", "",
           table(["Tolk"] + [f"{n:,} docs" for n in sizes], rows), ""]
    return "\n".join(out)


def profile_section() -> str:
    path = BENCH / "out" / "profile-latest.json"
    if not path.exists():
        return ""
    prof = json.loads(path.read_text())
    out = [f"## Profile of Tolk at {prof.get('size', 0):,} documents (`bench/profile_tolk.py`)", "",
           f"Date {prof.get('date')}; command `{prof.get('command')}`; Tolk code: "
           f"`{Path(prof.get('code_dir', '?')).name}` (the frozen copy the run above measured, "
           "when the names match).", ""]
    for part in prof.get("parts", []):
        out.append(f"### {part['title']}")
        out.append("")
        if part.get("note"):
            out.append(part["note"])
            out.append("")
        for tbl in part.get("tables", []):
            if tbl.get("caption"):
                out.append(tbl["caption"])
                out.append("")
            rows = [[re.sub(r"(?:/[^ ()`]*)?bench/out/code-\d{8}-\d{6}/", "", str(c)) for c in row]
                    for row in tbl["rows"]]
            out.append(table(tbl["header"], rows))
            out.append("")
    return "\n".join(out)


def render(results: dict) -> str:
    m = results["machine"]
    out = ["# Benchmarks", ""]
    out.append("Generated by `bench/run_all.py` (re-render: `bench/report.py`); the method, "
               "corpus and query set are described in `bench/README.md`.")
    out.append("")
    out.append(f"- Date: {results['date']} (total run time {results['seconds'] / 60:.1f} min)")
    out.append(f"- Command: `{results['command']}` (git {results.get('git', '?')})")
    code = results.get("code")
    if code:
        out.append(f"- Tolk code measured: a copy of `index/` and `service/` frozen at the "
                   f"start of the run (sha256 {code['sha256']}), so every step ran the same "
                   "code while the checkout kept changing.")
    else:
        out.append("- Tolk code measured: the checkout in place (`--live-code`).")
    out.append(f"- Machine: {m['nproc']} cores ({m['cpu']}), {m['mem_gb']:.1f} GiB RAM, "
               f"{m['os']}; Python {m['python']}; shared and noisy, so medians and "
               "percentiles, and ratios against peers measured in the same run.")
    out.append("- Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()))
    out.append("")
    text, _ = headline(results)
    out.append(text)
    out.append("")
    findings = BENCH / "findings.md"
    if findings.exists():
        out.append(findings.read_text("utf-8").strip())
        out.append("")
    for size in sorted(results["sizes"], key=int):
        errors = results["sizes"][size].get("errors")
        if errors:
            out.append(f"**Failures at {int(size):,} documents:** " + "; ".join(
                f"{k}: {v}" for k, v in errors.items()))
            out.append("")
        out.append(size_section(size, results["sizes"][size], results))
    out.append(growth_section(results))
    prep = results.get("prepare")
    if prep:
        out.append("## Cleaning + language detection (`index.ingest.documents.prepare`)")
        out.append("")
        if prep.get("available"):
            out.append(f"{prep['docs']:,} corpus documents through `prepare()` (language not "
                       f"given, so detected): {f(prep['docs_per_s'], 0)} docs/s "
                       f"({prep['seconds']:.1f} s), {prep['language_wrong']} detected wrongly. "
                       "The indexing numbers above skip this step (Documents built directly); "
                       "add both per-document costs for `tolk index` end to end.")
        else:
            out.append(f"Not measured: {', '.join(prep.get('missing', []))} not in this "
                       "checkout at run time.")
        out.append("")
    out.append(scale_section(results))
    out.append(profile_section())
    return "\n".join(out).rstrip() + "\n"


def render_keeping_eval(results: dict, dest: Path) -> str:
    """``render(results)`` plus the sections other commands wrote into ``dest`` (`tolk eval`,
    `bench/language_accuracy.py`), if any."""
    from index.evaluation import marked_section
    from language_accuracy import marked_section as language_section

    text = dest.read_text("utf-8") if dest.exists() else ""
    kept = [section for section in (marked_section(text), language_section(text)) if section]
    kept += [m.group(0) + "\n" for m in _KEPT_RE.finditer(text)]
    return render(results) + "".join("\n" + section for section in kept)


# Sections written by hand (or by another bench script) between
# `<!-- kept: NAME begin ... -->` and `<!-- kept: NAME end -->`: kept as they are.
_KEPT_RE = re.compile(r"<!-- kept: ([\w-]+) begin[^>]*-->\n.*?<!-- kept: \1 end -->", re.S)


def main(argv) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="Render BENCHMARKS.md from a results JSON.")
    ap.add_argument("results", nargs="?", default=str(BENCH / "out" / "results-latest.json"))
    ap.add_argument("--out", default=str(ROOT / "BENCHMARKS.md"))
    args = ap.parse_args(argv)
    dest = Path(args.out)
    results = json.loads(Path(args.results).read_text())
    dest.write_text(render_keeping_eval(results, dest), "utf-8")
    print(f"wrote {dest}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
