"""HTTP latency and throughput of Tolk under gunicorn, next to the same server's floor.

Starts ``gunicorn -w 2 -b 127.0.0.1:PORT "bench_app:create_app()"`` (Tolk's
app plus ``/bench/empty``, see ``bench_app.py``) on a Tolk index, then drives
it from loopback with wrk (Debian ``wrk``) and ``wrk_rotate.lua``, which
rotates through the benchmark queries. Without wrk, a bounded Python load
generator is used instead (and the report says so). Runs:

* warm-up (both workers open the index and load the lexicon);
* ``/api/search`` rotating over all query classes, and ``/bench/empty``, at
  1 connection (latency) and at 4 connections (throughput; 2 sync workers);
* each query class alone at 1 connection.

The load generator shares the 2 cores with the server: throughput numbers
are for this whole box, server and client together. Each run also records
the workers' CPU time per request (psutil), which other load on a shared
machine disturbs much less than wall-clock latency.

    .venv/bin/python bench/http_bench.py INDEX_DIR QUERIES.json OUT.json [--quick] [--tolk-config]

``--tolk-config`` serves the way ``tolk serve`` and the image do (gunicorn's
``-c python:service.gunicorn_conf``: Tolk's gevent worker, one request per
connection, the master's preload, multiprocess metrics, a JSON line per
request) instead of gunicorn's default sync workers. ``TOLK_BENCH_CODE=DIR``
runs another checkout's code (a before/after in one session).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def search_path(spec: dict) -> str:
    from engines import _words_query

    params = {"q": _words_query(spec)}
    if spec["cls"] == "xling":
        params["lang"] = spec["target"]
    return "/api/search?" + urllib.parse.urlencode(params)


class Server:
    def __init__(self, index_dir: Path, workers: int = 2, tolk_config: bool = False):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # Absolute: gunicorn's --chdir below changes the working directory.
        env = dict(os.environ, TOLK_INDEX_DIR=str(Path(index_dir).resolve()))
        gunicorn = Path(sys.executable).with_name("gunicorn")
        # gunicorn puts its --chdir (default: the working directory) first on sys.path:
        # point it at the frozen copy of Tolk that run_all.py measures, if there is one.
        code = os.environ.get("TOLK_BENCH_CODE") or str(ROOT)
        config = ["-c", "python:service.gunicorn_conf"] if tolk_config else []
        self.cmd = [str(gunicorn), *config, "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
                    "--chdir", code, "--pythonpath", str(BENCH), "bench_app:create_app()"]
        self.proc = subprocess.Popen(self.cmd, cwd=code, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 600  # a loaded machine and a big index: minutes
        while True:
            try:
                with urllib.request.urlopen(self.base + "/api/health", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not start: " + (self.proc.stderr.read() or ""))
            time.sleep(0.2)

    def code_file(self) -> str | None:
        """Where the server imported Tolk's ``index`` package from."""
        try:
            with urllib.request.urlopen(self.base + "/bench/code", timeout=5) as r:
                return json.loads(r.read()).get("index")
        except (OSError, ValueError):
            return None

    def worker_rss_mb(self) -> list[float]:
        import psutil

        return [round(c.memory_info().rss / 2**20, 1)
                for c in psutil.Process(self.proc.pid).children()]

    def worker_uss_mb(self) -> list[float]:
        """Private memory per worker: what each further worker costs."""
        import psutil

        return [round(c.memory_full_info().uss / 2**20, 1)
                for c in psutil.Process(self.proc.pid).children()]

    def workers_cpu_s(self) -> float:
        """CPU seconds (user + system) used so far by the gunicorn workers."""
        import psutil

        total = 0.0
        for c in psutil.Process(self.proc.pid).children():
            t = c.cpu_times()
            total += t.user + t.system
        return total

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_wrk(base: str, paths: list[str], connections: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".paths", delete=False) as fh:
        fh.write("\n".join(paths) + "\n")
        paths_file = fh.name
    try:
        env = dict(os.environ, WRK_PATHS=paths_file)
        cmd = ["wrk", "-t1", f"-c{connections}", f"-d{max(int(round(seconds)), 1)}s",
               "--timeout", "10s", "-s", str(BENCH / "wrk_rotate.lua"), base + "/"]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=seconds + 60)
        for line in out.stdout.splitlines():
            if line.startswith("WRKJSON "):
                data = json.loads(line[len("WRKJSON "):])
                break
        else:
            raise RuntimeError(f"wrk printed no result: {out.stdout}\n{out.stderr}")
    finally:
        os.unlink(paths_file)
    dur = data["duration_us"] / 1e6
    lat = {k: v / 1000 for k, v in data["latency_us"].items()}
    return {"tool": "wrk", "connections": connections, "seconds": dur,
            "requests": data["requests"], "rps": data["requests"] / dur,
            "errors": data["errors"], "latency_ms": lat}


def run_python(base: str, paths: list[str], connections: int, seconds: float) -> dict:
    """Fallback closed-loop load generator (threads, one request at a time each)."""
    lat: list[float] = []
    errors = {"status": 0, "other": 0}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def loop(offset):
        i = offset
        while time.monotonic() < stop_at:
            url = base + paths[i % len(paths)]
            i += 1
            t0 = time.perf_counter()
            try:
                with urllib.request.urlopen(url, timeout=10) as r:
                    r.read()
                    ok = r.status == 200
            except urllib.error.HTTPError:
                ok = False
            except OSError:
                with lock:
                    errors["other"] += 1
                continue
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                lat.append(dt)
                errors["status"] += not ok

    started = time.monotonic()
    threads = [threading.Thread(target=loop, args=(k * 7919,)) for k in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dur = time.monotonic() - started
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p / 100 * len(lat)))] if lat else float("nan")

    return {"tool": "python", "connections": connections, "seconds": dur, "requests": len(lat),
            "rps": len(lat) / dur, "errors": errors,
            "latency_ms": {"p50": pct(50), "p90": pct(90), "p95": pct(95), "p99": pct(99),
                           "max": lat[-1] if lat else float("nan"),
                           "mean": sum(lat) / len(lat) if lat else float("nan")}}


def measure(index_dir: Path, queries: list[dict], quick: bool = False,
            tolk_config: bool = False) -> dict:
    run = run_wrk if shutil.which("wrk") else run_python
    scale = 0.5 if quick else 1.0
    search_paths = [search_path(q) for q in queries]
    # interleave the classes so every stretch of the rotation has all of them
    by_cls: dict = {}
    for q, p in zip(queries, search_paths):
        by_cls.setdefault(q["cls"], []).append(p)
    mixed = [p for group in zip(*by_cls.values()) for p in group]
    empty = ["/bench/empty"]
    server = Server(index_dir, tolk_config=tolk_config)
    result = {"command": " ".join(server.cmd), "load_generator": run.__name__[4:], "runs": {},
              "code_file": server.code_file(), "tolk_config": tolk_config}
    log(f"    http: server runs Tolk from {result['code_file']}")
    try:
        log("    http: warm-up")
        run(server.base, mixed, 2, 4 * scale + 2)
        plan = [("search_c1", mixed, 1, 15), ("empty_c1", empty, 1, 8),
                ("search_c4", mixed, 4, 15), ("empty_c4", empty, 4, 8)]
        plan += [(f"search_{cls}_c1", paths, 1, 6) for cls, paths in by_cls.items()]
        for name, paths, conns, secs in plan:
            cpu0 = server.workers_cpu_s()
            r = run(server.base, paths, conns, secs * scale)
            cpu = server.workers_cpu_s() - cpu0
            r["server_cpu_ms_per_request"] = cpu * 1000 / r["requests"] if r["requests"] else None
            r["loadavg_end"] = os.getloadavg()
            result["runs"][name] = r
            log(f"    http {name}: {r['rps']:.0f} req/s, p50 {r['latency_ms']['p50']:.1f} ms, "
                f"p99 {r['latency_ms']['p99']:.1f} ms, errors {r['errors']}")
        result["worker_rss_mb"] = server.worker_rss_mb()
        result["worker_uss_mb"] = server.worker_uss_mb()
    finally:
        server.stop()
    return result


def main(argv) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("index_dir", help="a Tolk index (e.g. bench/out/ix-100000/tolk)")
    ap.add_argument("queries", help="the bench query set (bench/out/queries-*.json)")
    ap.add_argument("out", help="where to write the results (JSON)")
    ap.add_argument("--quick", action="store_true", help="shorter runs")
    ap.add_argument("--tolk-config", action="store_true",
                    help="serve as `tolk serve` does (gevent worker, preload) instead of "
                         "gunicorn's default sync workers")
    args = ap.parse_args(argv)
    for path in (args.index_dir, args.queries):
        if not Path(path).exists():
            ap.error(f"{path} does not exist (run bench/run_all.py first, or give its path)")
    sys.path.insert(0, str(BENCH))
    queries = json.loads(Path(args.queries).read_text("utf-8"))
    result = measure(Path(args.index_dir), queries, quick=args.quick,
                     tolk_config=args.tolk_config)
    Path(args.out).write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
