"""Startup to first answer: `tolk serve` started, clock running, until a search returns 200.

The scale run (``run_all.py --scale-1m``) asks how long an operator waits after
starting the server on a big index, not how fast a warm worker is: the clock
starts before the process exists and stops at the first successful search
(each try a new query, so no result cache answers). Worker memory is read
right after, as RSS and USS (private; what each extra worker costs).

    .venv/bin/python bench/scale.py --index-dir bench/out/ix-100000/tolk
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


def first_answer(index_dir: Path, workers: int = 2, timeout: float = 600) -> dict:
    """Seconds from starting `tolk serve` to the first 200 of /api/search; worker memory."""
    import psutil

    port = free_port()
    tolk = Path(sys.executable).with_name("tolk")
    argv = [str(tolk), "serve", "--index-dir", str(index_dir), "--port", str(port),
            "--workers", str(workers)]
    env = {**os.environ, "TOLK_LOG_LEVEL": "error"}
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
        memory = [c.memory_full_info() for c in children]
        return {"first_answer_s": round(seconds, 2), "workers": len(children),
                "worker_rss_mb": [round(m.rss / 2**20, 1) for m in memory],
                "worker_uss_mb": [round(m.uss / 2**20, 1) for m in memory]}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index-dir", required=True)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    print(json.dumps(first_answer(Path(args.index_dir), args.workers)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
