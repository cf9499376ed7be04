"""Startup to first answer: `tolk serve` started, clock running, until a search returns 200.

The scale run (``run_all.py --scale-1m``) asks how long an operator waits after
starting the server on a big index, not how fast a warm worker is: the clock
starts before the process exists and stops at the first successful search
(each try a new query, so no result cache answers). Worker memory is read
right after, as RSS and USS (private; what each extra worker costs).

    .venv/bin/python bench/scale.py --index-dir bench/out/ix-100000/tolk
    .venv/bin/python bench/scale.py --index-dir bench/out/ix-100000/tolk --preload on,off --rounds 2

``--preload on,off`` alternates ``TOLK_PRELOAD`` per start (the master loads the
read-only tables before forking, or each worker loads its own) and reports the
median per setting; ``--queries FILE`` (a bench query set) runs those searches
through every worker before memory is read, as the HTTP benchmark does.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts" / "reliability"))
from harness import free_port  # noqa: E402


def _status(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


def _search_paths(queries_file: Path | None, limit: int) -> list[str]:
    if queries_file is None:
        return []
    import urllib.parse

    sys.path.insert(0, str(ROOT / "bench"))
    from engines import _words_query

    paths = []
    for spec in json.loads(Path(queries_file).read_text("utf-8"))[:limit]:
        params = {"q": _words_query(spec)}
        if spec["cls"] == "xling":
            params["lang"] = spec["target"]
        paths.append("/api/search?" + urllib.parse.urlencode(params))
    return paths


def private_by_mapping(pid: int, top: int = 6) -> dict:
    """MB of a process's private memory per mapping (``/proc/PID/smaps``), largest first:
    anonymous memory (the Python heap) vs files mapped and written or read privately."""
    sizes: dict = {}
    name = None
    try:
        with open(f"/proc/{pid}/smaps", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                head = line.split()
                if not head:
                    continue
                if not head[0].endswith(":") or "-" in head[0]:  # a mapping's first line
                    path = head[5] if len(head) > 5 else "[anonymous]"
                    name = path if path.startswith("[") else Path(path).suffix or Path(path).name
                elif head[0] in ("Private_Clean:", "Private_Dirty:") and name is not None:
                    sizes[name] = sizes.get(name, 0) + int(head[1])
    except OSError:
        return {}
    ranked = sorted(sizes.items(), key=lambda item: -item[1])[:top]
    return {key: round(kb / 1024, 1) for key, kb in ranked}


def first_answer(index_dir: Path, workers: int = 2, timeout: float = 600,
                 preload: str | None = None, queries: list[str] = ()) -> dict:
    """Seconds from starting `tolk serve` to the first 200 of /api/search; worker memory
    (after ``queries``, each sent once, when given)."""
    import psutil

    port = free_port()
    tolk = Path(sys.executable).with_name("tolk")
    argv = [str(tolk), "serve", "--index-dir", str(index_dir), "--port", str(port),
            "--workers", str(workers)]
    env = {**os.environ, "TOLK_LOG_LEVEL": "error"}
    if preload is not None:
        env["TOLK_PRELOAD"] = preload
    started = time.monotonic()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        tries = 0
        while True:
            tries += 1
            try:
                if _status(port, f"/api/search?q=regering+{tries}") == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"tolk serve exited with {proc.returncode}")
            if time.monotonic() - started > timeout:
                raise RuntimeError("no answer within the timeout")
            time.sleep(0.05)
        seconds = time.monotonic() - started
        children = psutil.Process(proc.pid).children()
        at_start = [c.memory_full_info() for c in children]
        failed = sum(_status(port, path) != 200 for path in queries)
        memory = [c.memory_full_info() for c in children]
        master = psutil.Process(proc.pid).memory_full_info()
        held = private_by_mapping(children[0].pid) if children else {}
        return {"preload": preload or os.environ.get("TOLK_PRELOAD", "on"),
                "first_answer_s": round(seconds, 2), "workers": len(children),
                "queries": len(queries), "failed": failed,
                "worker_uss_mb_at_first_answer": [round(m.uss / 2**20, 1) for m in at_start],
                "worker_rss_mb": [round(m.rss / 2**20, 1) for m in memory],
                "worker_uss_mb": [round(m.uss / 2**20, 1) for m in memory],
                "worker_pss_mb": [round(m.pss / 2**20, 1) for m in memory],
                "master_rss_mb": round(master.rss / 2**20, 1),
                "worker_private_mb_by_mapping": held}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index-dir", required=True)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--preload", default=None,
                    help="TOLK_PRELOAD values to alternate, e.g. on,off (default: as set)")
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--queries", type=Path, default=None,
                    help="bench query set (JSON) sent before memory is read")
    ap.add_argument("--query-limit", type=int, default=500)
    args = ap.parse_args(argv)
    queries = _search_paths(args.queries, args.query_limit)
    settings = args.preload.split(",") if args.preload else [None]
    runs = []
    for _ in range(args.rounds):
        for preload in settings:
            run = first_answer(Path(args.index_dir), args.workers, preload=preload,
                               queries=queries)
            run["loadavg"] = os.getloadavg()[0]
            print(json.dumps(run), flush=True)
            runs.append(run)
    if len(runs) > 1:
        from statistics import median

        for preload in settings:
            mine = [r for r in runs if r["preload"] == (preload or r["preload"])]
            print(json.dumps({"preload": preload, "runs": len(mine), "median": {
                key: median(r[key] if not isinstance(r[key], list) else median(r[key])
                            for r in mine)
                for key in ("first_answer_s", "worker_uss_mb", "worker_rss_mb",
                            "worker_pss_mb", "worker_uss_mb_at_first_answer", "master_rss_mb")}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
