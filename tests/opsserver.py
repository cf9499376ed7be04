"""A real gunicorn started as operators start it (``-c python:service.gunicorn_conf``).

Used by the health, metrics, logs and key tests: the config's hooks (settings
check, metrics folder, warm-up, JSON request lines) only run under gunicorn.
stdout (request lines) and stderr go to one file so a test can read the log lines.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts" / "reliability"))
from harness import free_port, request  # noqa: E402


class OpsServer:
    def __init__(self, index_dir: Path, log_file: Path, *, workers: int = 2,
                 env: dict | None = None):
        self.port = free_port()
        self.log_file = log_file
        full_env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("TOLK_", "PROMETHEUS_"))}
        full_env.update({"TOLK_INDEX_DIR": str(index_dir),
                         "TOLK_FREEDICT_DIR": "/nonexistent-freedict", **(env or {})})
        self._err = open(log_file, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "python:service.gunicorn_conf",
             "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers), "--timeout", "90",
             "service:create_app()"],
            cwd=ROOT, env=full_env, stdout=self._err, stderr=self._err,
            start_new_session=True)

    def wait_live(self, timeout: float = 60.0) -> "OpsServer":
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.request("GET", "/api/health/live", timeout=5)[0] == 200:
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("gunicorn did not start: " + self.log_file.read_text()[-3000:])
            time.sleep(0.1)

    def request(self, method, path, body=None, headers=None, timeout=30.0):
        return request(self.port, method, path, body, headers, timeout=timeout)

    def get_text(self, path, headers=None) -> tuple[int, str]:
        status, _, payload = self.request("GET", path, headers=headers)
        return status, payload.decode() if isinstance(payload, bytes) else json.dumps(payload)

    def log_lines(self) -> list[dict]:
        """The JSON log lines written so far (other lines are skipped)."""
        lines = []
        for line in self.log_file.read_text("utf-8", "replace").splitlines():
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

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)
        self._err.close()
