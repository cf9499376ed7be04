"""Search over HTTP: Tolk's serving model (gevent workers) against the old sync workers.

Both servers run on the same index at the same time with 2 workers each and the
result cache off (so every request searches); rounds alternate between them, so
load from other users of the shared machine hits both alike. Reported: medians
over the rounds of each run's p50 / p99 latency and requests per second, and
the workers' CPU time per request (the least noisy of the numbers).

    .venv/bin/python bench/serving_bench.py [--size 2000] [--rounds 5] [--seconds 8]

The corpus, queries and index are the ones ``bench/run_all.py`` uses
(``bench/out/``, built here when missing). The load generator is wrk if installed,
else http_bench's Python closed loop (a new connection per request).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from corpus import OUT_DIR, ensure_corpus  # noqa: E402
from http_bench import free_port, run_python, run_wrk, search_path  # noqa: E402
from queries import ensure_queries  # noqa: E402

MODES = {
    # What `tolk serve` and the image ran before: sync workers.
    "sync (before)": ["--timeout", "90", "--limit-request-line", "8190"],
    # What they run now: service/serving.py through its gunicorn config file.
    "gevent (now)": ["-c", "python:service.gunicorn_conf"],
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Server:
    def __init__(self, index_dir: Path, options: list[str], workers: int = 2, env=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, TOLK_INDEX_DIR=str(index_dir), TOLK_RESULT_CACHE="0", **(env or {}))
        self.cmd = [sys.executable, "-m", "gunicorn", *options, "--workers", str(workers),
                    "--bind", f"127.0.0.1:{self.port}", "--access-logfile", "/dev/null",
                    "service:create_app()"]
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(self.base + "/api/health", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not start: " + " ".join(self.cmd))
            time.sleep(0.2)

    def cpu_s(self) -> float:
        import psutil

        return sum(sum(c.cpu_times()[:2]) for c in psutil.Process(self.proc.pid).children())

    def rss_mb(self) -> list[float]:
        import psutil

        return [round(c.memory_info().rss / 2**20, 1)
                for c in psutil.Process(self.proc.pid).children()]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def ensure_index(size: int, seed: int) -> Path:
    index_dir = OUT_DIR / f"ix-{size}" / "tolk"
    if not (index_dir / "current").exists():
        corpus = ensure_corpus(size, seed, log=log)
        out = OUT_DIR / f"tmp-{size}" / "build-tolk.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        log(f"indexing {size:,} documents into {index_dir}")
        subprocess.run([sys.executable, str(BENCH / "worker.py"), "build", "tolk", str(corpus),
                        str(index_dir), str(out)], cwd=ROOT, check=True, timeout=3600)
    return index_dir


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=2000, help="corpus size (default 2000)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=8.0, help="per run (default 8)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--out", help="write the raw results as JSON here")
    args = ap.parse_args(argv)

    index_dir = ensure_index(args.size, args.seed)
    paths = [search_path(q) for q in ensure_queries(args.size, 100, args.seed)]
    run = run_wrk if shutil.which("wrk") else run_python
    servers = {}
    try:
        for mode, options in MODES.items():
            servers[mode] = Server(index_dir, options)
        for server in servers.values():
            run(server.base, paths, 2, 3)  # warm-up: every worker opens the index
        runs = {(mode, c): [] for mode in servers for c in (1, 4)}
        for r in range(args.rounds):
            for connections in (1, 4):
                for mode, server in servers.items():
                    cpu = server.cpu_s()
                    result = run(server.base, paths, connections,
                                 args.seconds)
                    result["cpu_ms"] = (server.cpu_s() - cpu) * 1000 / max(1, result["requests"])
                    runs[(mode, connections)].append(result)
                    log(f"round {r + 1} {mode} c{connections}: {result['rps']:.0f} req/s, "
                        f"p50 {result['latency_ms']['p50']:.1f} ms, "
                        f"p99 {result['latency_ms']['p99']:.1f} ms, errors {result['errors']}")
        rss = {mode: server.rss_mb() for mode, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()

    print(f"\n{args.size:,} documents, 2 workers each, result cache off, {run.__name__[4:]} "
          f"load generator, median of {args.rounds} alternating rounds of {args.seconds:.0f} s")
    print("| server | connections | req/s | p50 ms | p99 ms | worker CPU ms/req | errors |")
    print("|---|---|---|---|---|---|---|")
    summary = {}
    for (mode, connections), results in runs.items():
        def med(f):
            return statistics.median(f(x) for x in results)
        errors = sum(sum(x["errors"].values()) for x in results)
        row = {"rps": med(lambda x: x["rps"]), "p50": med(lambda x: x["latency_ms"]["p50"]),
               "p99": med(lambda x: x["latency_ms"]["p99"]), "cpu_ms": med(lambda x: x["cpu_ms"]),
               "errors": errors}
        summary[f"{mode} c{connections}"] = row
        print(f"| {mode} | {connections} | {row['rps']:.0f} | {row['p50']:.1f} | "
              f"{row['p99']:.1f} | {row['cpu_ms']:.1f} | {errors} |")
    print(f"worker RSS MB: {rss}")
    if args.out:
        Path(args.out).write_text(json.dumps({"summary": summary, "rss_mb": rss,
                                              "runs": {f"{m} c{c}": v for (m, c), v in
                                                       runs.items()}}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
