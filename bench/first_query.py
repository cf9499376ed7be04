"""First-query latency through real gunicorn, with and without the warm-up hook.

Starts gunicorn (1 worker) on a copy-free index, waits until the worker answers
/api/health/live, then times the first search and the next ones (each a new query,
so the result cache never answers). Without ``-c python:service.gunicorn_conf``
there is no warm-up; with it the worker warms up before it accepts connections.

    .venv/bin/python bench/first_query.py --index-dir /tmp/idx --rounds 3
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts" / "reliability"))
from harness import free_port  # noqa: E402

QUERIES = ["Poetin troepen", "Oekraine grens", "NAVO Rusland", "Putin Ukraine troops",
           "sancties Europa", "Kiev aanval", "Lavrov vrede", "gas prijzen", "Biden Amerika",
           "Donetsk Loegansk", "parlement Moskou"]


def get_ms(port: int, path: str) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    started = time.perf_counter()
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response.status, (time.perf_counter() - started) * 1000


def run(index_dir: str, warm: bool) -> tuple[float, float]:
    port = free_port()
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1"]
    if warm:
        argv += ["--config", "python:service.gunicorn_conf"]
    env = {"TOLK_INDEX_DIR": index_dir, "PATH": "/usr/bin:/bin", "TOLK_LOG_LEVEL": "error"}
    proc = subprocess.Popen([*argv, "service:create_app()"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if get_ms(port, "/api/health/live")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.05)
        times = []
        for query in QUERIES:
            status, ms = get_ms(port, "/api/search?q=" + query.replace(" ", "+"))
            assert status == 200, status
            times.append(ms)
        return times[0], statistics.median(times[1:])
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    for warm in (False, True):
        firsts, rests = [], []
        for _ in range(args.rounds):
            first, rest = run(args.index_dir, warm)
            firsts.append(first)
            rests.append(rest)
        print(f"{'with warm-up' if warm else 'no warm-up  '}: first query median "
              f"{statistics.median(firsts):7.1f} ms, later queries median "
              f"{statistics.median(rests):6.1f} ms, ratio "
              f"{statistics.median(firsts) / statistics.median(rests):5.1f}x "
              f"({args.rounds} starts)")


if __name__ == "__main__":
    main()
