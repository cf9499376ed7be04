"""Shared by the reliability tests and the load test: a gunicorn on loopback, raw HTTP.

Only 127.0.0.1 is ever used. The server runs in its own session (process group),
so ``kill9()`` takes the master and every worker down at once, as a crash or an
OOM kill of the whole service would.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body=None, headers=None, raw: bytes | None = None,
            timeout: float = 60.0):
    """(status, headers, parsed JSON or raw bytes) of one request on a fresh connection."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        headers = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            headers.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        payload = response.read()
        try:
            parsed = json.loads(payload) if payload else None
        except ValueError:
            parsed = payload
        return response.status, response.headers, parsed
    finally:
        conn.close()


class Gunicorn:
    """``service:create_app()`` under gunicorn on a free loopback port."""

    def __init__(self, index_dir: Path, *, workers: int = 2, env: dict | None = None,
                 log_dir: Path | None = None, threads: int = 1):
        self.index_dir = Path(index_dir)
        self.workers = workers
        self.threads = threads
        self.env = {**os.environ, "TOLK_INDEX_DIR": str(index_dir),
                    # No FreeDict: a write that brings new names rebuilds the lexicon in
                    # milliseconds instead of seconds (the other sources stay).
                    "TOLK_FREEDICT_DIR": "/nonexistent-freedict", **(env or {})}
        self.log_dir = Path(log_dir) if log_dir else None
        self.proc: subprocess.Popen | None = None
        self.port = 0

    def start(self, timeout: float = 60.0) -> "Gunicorn":
        self.port = free_port()
        err = open(self.log_dir / "gunicorn.err", "ab") if self.log_dir else subprocess.DEVNULL
        lock_timeout = float(self.env.get("TOLK_LOCK_TIMEOUT", 30))
        self.proc = subprocess.Popen(
            # Tolk's serving configuration (worker class, client timeouts), as `tolk serve`.
            [sys.executable, "-m", "gunicorn", "-c", "python:service.gunicorn_conf",
             "--bind", f"{HOST}:{self.port}", "--workers", str(self.workers),
             *(["--threads", str(self.threads)] if self.threads > 1 else []),
             "--timeout", str(int(lock_timeout) + 60), "service:create_app()"],
            cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL, stderr=err,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if request(self.port, "GET", "/api/health", timeout=5)[0] == 200:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill9()
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.1)

    def request(self, *args, **kwargs):
        return request(self.port, *args, **kwargs)

    def kill9(self) -> None:
        """SIGKILL the master and all workers at once (no cleanup runs)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill9()
        self.proc = None
