"""CPU time of the search endpoint beyond the search itself: a revision vs the checkout.

What a request costs in Tolk's own web layer (Flask, argument checking, the
response schema, JSON, metrics, request ids), without the engine: each
query's search result is computed once, then served from memory while the
whole WSGI app answers ``/api/search`` again; the thread's CPU time per request
(``time.thread_time``, which other load on a shared machine disturbs far less
than wall time) is the web layer's cost. ``--before REV`` measures that
revision's code in fresh processes, alternating with the checkout, medians of
``--rounds``. An empty JSON route is measured alongside (the floor).

    .venv/bin/python bench/http_overhead.py --index-dir bench/out/ix-10000/tolk \\
        --queries bench/out/queries-10000-q300-s42.json --before main --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def worker(code: str, index_dir: str, queries_file: str, limit: int) -> dict:
    """In a fresh process whose ``sys.path`` starts with ``code``: per-request CPU ms."""
    sys.path.insert(0, code)
    sys.path.insert(1, str(BENCH))
    os.environ.setdefault("TOLK_LOG_LEVEL", "error")
    import urllib.parse

    from flask import jsonify
    from werkzeug.test import EnvironBuilder

    import service
    from engines import _words_query
    from index.backends import whoosh as whoosh_backend

    app = service.create_app({"INDEX_DIR": index_dir, "RESULT_CACHE": 0})
    app.add_url_rule("/bench/empty", "bench_empty", lambda: jsonify({}))
    paths = []
    for spec in json.loads(Path(queries_file).read_text("utf-8"))[:limit]:
        params = {"q": _words_query(spec)}
        if spec["cls"] == "xling":
            params["lang"] = spec["target"]
        paths.append("/api/search?" + urllib.parse.urlencode(params))

    answers: dict = {}
    search = whoosh_backend.WhooshBackend.search

    def remembered(self, request, fields):
        key = (request.q, request.lang)
        if key not in answers:
            answers[key] = search(self, request, fields)
        return answers[key]

    whoosh_backend.WhooshBackend.search = remembered

    def call(path):
        environ = EnvironBuilder(path=path).get_environ()
        status = []
        body = app(environ, lambda s, h, e=None: status.append(s))
        b"".join(body)
        body.close()
        return status[0]

    bad = [p for p in paths if not call(p).startswith("200")]  # also fills the answers

    def per_request(batch, repeat):
        best = None
        for _ in range(repeat):
            started = time.thread_time()
            for path in batch:
                call(path)
            ms = (time.thread_time() - started) * 1000 / len(batch)
            best = ms if best is None else min(best, ms)
        return best

    return {"code": code, "index_module": __import__("index").__file__,
            "search_endpoint_ms": round(per_request(paths, 5), 4),
            "empty_ms": round(per_request(["/bench/empty"] * 200, 5), 4),
            "requests": len(paths), "non_200": len(bad)}


def run_in_process(code: str, args) -> dict:
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", code,
                          "--index-dir", str(Path(args.index_dir).resolve()),
                          "--queries", str(Path(args.queries).resolve()),
                          "--limit", str(args.limit)],
                         capture_output=True, text=True, timeout=1800, cwd=code)
    if out.returncode != 0:
        raise RuntimeError(out.stderr[-2000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index-dir", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--limit", type=int, default=150)
    ap.add_argument("--before", default=None, help="a git revision to compare with")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.index_dir, args.queries, args.limit)))
        return 0
    sides = {"checkout": str(ROOT)}
    with tempfile.TemporaryDirectory(prefix="tolk-overhead-") as tmp:
        if args.before:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.before],
                                     capture_output=True, check=True).stdout
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            sides = {"before": tmp, **sides}
        runs: dict = {name: [] for name in sides}
        for _ in range(args.rounds):
            for name, code in sides.items():
                run = run_in_process(code, args)
                run["loadavg"] = os.getloadavg()[0]
                print(json.dumps({name: run}), file=sys.stderr, flush=True)
                runs[name].append(run)
    summary = {name: {key: statistics.median(r[key] for r in rs)
                      for key in ("search_endpoint_ms", "empty_ms")}
               for name, rs in runs.items()}
    print(json.dumps({"median_cpu_ms_per_request": summary, "rounds": args.rounds,
                      "requests": runs["checkout"][0]["requests"]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
