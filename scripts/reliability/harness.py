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
import tempfile
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
    """``service:create_app()`` under gunicorn on a free loopback port.

    One class for the tests (through ``tests/conftest.py``'s ``gunicorn`` fixtures) and
    the reliability and bench scripts. By default gunicorn runs with Tolk's config
    (``-c python:service.gunicorn_conf``, as in the Docker image); ``serve=True`` starts
    it as an operator does (``tolk serve``), ``config=None`` as plain gunicorn.
    stdout and stderr go to ``log`` (or ``log_dir/gunicorn.err``, or a temporary file),
    so the request lines can be read (``log_lines``) and a failed start shows them.
    """

    def __init__(self, index_dir: Path, *, workers: int = 2, env: dict | None = None,
                 log_dir: Path | None = None, threads: int = 1, log: Path | None = None,
                 serve: bool = False, config: str | None = "python:service.gunicorn_conf",
                 args=(), clean_env: bool = False, ready: str = "/api/health"):
        self.index_dir = Path(index_dir)
        self.workers = workers
        self.threads = threads
        inherited = {k: v for k, v in os.environ.items()  # clean_env: as a fresh shell
                     if not (clean_env and k.startswith(("TOLK_", "PROMETHEUS_")))}
        self.env = {**inherited, "TOLK_INDEX_DIR": str(index_dir),
                    # No FreeDict: a write that brings new names rebuilds the lexicon in
                    # milliseconds instead of seconds (the other sources stay).
                    "TOLK_FREEDICT_DIR": "/nonexistent-freedict", **(env or {})}
        self.log = Path(log) if log else Path(log_dir) / "gunicorn.err" if log_dir else None
        self.serve, self.config, self.args, self.ready = serve, config, list(args), ready
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self._out = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def command(self) -> list[str]:
        if self.serve:
            return [sys.executable, "-m", "service.cli", "serve", "--index-dir",
                    str(self.index_dir), "--host", HOST, "--port", str(self.port),
                    "--workers", str(self.workers), *self.args]
        lock_timeout = float(self.env.get("TOLK_LOCK_TIMEOUT", 30))
        # Tolk's serving configuration (worker class, client timeouts), as `tolk serve`.
        return [sys.executable, "-m", "gunicorn", *(["-c", self.config] if self.config else []),
                "--bind", f"{HOST}:{self.port}", "--workers", str(self.workers),
                *(["--threads", str(self.threads)] if self.threads > 1 else []),
                "--timeout", str(int(lock_timeout) + 60), *self.args, "service:create_app()"]

    def start(self, timeout: float = 60.0) -> "Gunicorn":
        """Start and wait until ``ready`` answers 200 (else RuntimeError with the output)."""
        self.port = free_port()
        self._out = open(self.log, "a+b") if self.log else tempfile.TemporaryFile()
        self.proc = subprocess.Popen(self.command(), cwd=ROOT, env=self.env,
                                     stdout=self._out, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if request(self.port, "GET", self.ready, timeout=5)[0] == 200:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.kill9()
                raise RuntimeError("gunicorn did not start: " + self.output()[-3000:])
            time.sleep(0.1)

    def output(self) -> str:
        """What the server wrote to stdout and stderr so far."""
        if self._out is None:
            return ""
        chunks, at = [], 0
        while chunk := os.pread(self._out.fileno(), 1 << 20, at):  # the shared offset stays
            chunks.append(chunk)
            at += len(chunk)
        return b"".join(chunks).decode("utf-8", "replace")

    def log_lines(self) -> list[dict]:
        """The JSON log lines written so far (other lines are skipped)."""
        lines = []
        for line in self.output().splitlines():
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                lines.append(value)
        return lines

    def wait_for_lines(self, condition, timeout: float = 10.0) -> list[dict]:
        """The log lines once ``condition(lines)`` holds, or after ``timeout`` (a request
        line is written just after its response is sent)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = self.log_lines()
            if condition(lines) or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)

    def request(self, *args, **kwargs):
        return request(self.port, *args, **kwargs)

    def get_text(self, path, headers=None) -> tuple[int, str]:
        status, _, payload = self.request("GET", path, headers=headers)
        return status, payload.decode() if isinstance(payload, bytes) else json.dumps(payload)

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
