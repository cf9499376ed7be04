"""Time from ``tolk serve`` to its first search answer, and the master's preload steps.

Starts ``tolk serve`` on an index (real gunicorn, ``--workers`` as given), asks
``/api/search`` every 50 ms from the moment the process is spawned until one answers
200, and reads the master's "preloaded for the workers in ..." log line. With
``--baseline CODE_DIR`` the starts alternate between CODE_DIR's code (another
checkout, put first on PYTHONPATH) and this checkout's, so both run under the same load.

    .venv/bin/python bench/startup.py --index-dir data/index --starts 3 --baseline /work/main
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts" / "reliability"))
from harness import free_port  # noqa: E402

_STEP_RE = re.compile(r"([a-z_]+) ([0-9.]+) s")


def status_of(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def start(index_dir: str, workers: int, code: str | None) -> dict:
    """One start: seconds to the first 200 search answer, and the preload steps' seconds."""
    port = free_port()
    env = {**os.environ, "TOLK_LOG_LEVEL": "info"}
    if code:
        env["PYTHONPATH"] = code
    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--index-dir",
                                 index_dir, "--port", str(port), "--workers", str(workers)],
                                cwd=code or ROOT, env=env, stdout=log, stderr=log)
        try:
            deadline = started + 120
            while True:
                try:
                    if status_of(port, "/api/search?q=regering") == 200:
                        break
                except OSError:
                    pass
                if time.perf_counter() > deadline or proc.poll() is not None:
                    log.seek(0)
                    raise RuntimeError("tolk serve gave no answer:\n" + log.read().decode()[-2000:])
                time.sleep(0.05)
            first = time.perf_counter() - started
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        log.seek(0)
        text = log.read().decode("utf-8", "replace")
    line = next((ln for ln in text.splitlines() if "preloaded for the workers" in ln), "")
    line = line[line.find("preloaded for the workers"):]
    total = re.search(r"in ([0-9.]+) s", line)
    steps = {name: float(sec) for name, sec in _STEP_RE.findall(line.split(":", 1)[-1])}
    return {"first_answer": first, "preload": float(total.group(1)) if total else None, **steps}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", required=True)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline", help="another checkout's folder, started alternately")
    args = parser.parse_args()
    runs = {"baseline": [], "this": []} if args.baseline else {"this": []}
    for name in runs:  # writes the caches (and .pyc files) of each code; not counted
        start(args.index_dir, args.workers, args.baseline if name == "baseline" else None)
    for _ in range(args.starts):
        for name in runs:
            runs[name].append(start(args.index_dir, args.workers,
                                    args.baseline if name == "baseline" else None))
    for name, results in runs.items():
        keys = [k for k in results[0] if all(r.get(k) is not None for r in results)]
        medians = {k: statistics.median(r[k] for r in results) for k in keys}
        print(f"{name:8}: " + ", ".join(f"{k} {v:.2f} s" for k, v in medians.items())
              + f" (medians of {len(results)} starts)")


if __name__ == "__main__":
    main()
