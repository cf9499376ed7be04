"""The gunicorn master preloads the read-only tables once; workers inherit them (real gunicorn).

``service/preload.py`` loads the cross-link lexicon and the sentence encoder in the
master before the fork; a worker's reader then finds the lexicon loaded (by its
parent's pid) instead of reading the files again. Each worker reports what it
inherited in ``/api/health/ready`` (``preloaded``); with ``TOLK_PRELOAD=off`` it
loads everything itself. The master must fork without threads of its own.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts" / "reliability"))
from harness import free_port  # noqa: E402


def ready_per_worker(server, workers: int, timeout: float = 240) -> dict:
    """pid -> the /api/health/ready answer, until every worker has answered once."""
    seen: dict = {}
    deadline = time.monotonic() + timeout
    while len(seen) < workers:
        assert time.monotonic() < deadline, f"only workers {sorted(seen)} answered"
        status, _, body = server.request("GET", "/api/health/ready", timeout=120)
        if status == 200:
            seen[body["pid"]] = body
    return seen


def test_workers_inherit_the_lexicon_and_encoder_the_master_preloaded(seed_index, gunicorn):
    server = gunicorn(seed_index, workers=2, serve=True, timeout=240,
                      env={"TOLK_PRELOAD": "on", "TOLK_LOG_LEVEL": "warning"})
    proc = server.proc
    answers = ready_per_worker(server, workers=2)
    # The suite runs with TOLK_EMBEDDER=off unless asked for (conftest).
    expected = {"lexicon"} | ({"embedder"} if os.environ["TOLK_EMBEDDER"] != "off" else set())
    master = psutil.Process(proc.pid)
    # The master forks without threads of its own (BLAS held at one thread).
    assert master.num_threads() == 1
    assert set(answers) == {child.pid for child in master.children()}
    for pid, body in answers.items():
        assert pid != proc.pid
        assert body["lexicon_pairs"] > 0
        assert set(body["preloaded"]) == expected, body
    # The inherited tables serve: a cross-lingual search finds Dutch hits for English.
    status, _, result = server.request("GET", "/api/search?q=government&lang=nl")
    assert status == 200 and result["total"] > 0


def test_without_preload_each_worker_loads_its_own(seed_index, gunicorn):
    server = gunicorn(seed_index, workers=1, serve=True, timeout=240,
                      env={"TOLK_PRELOAD": "off", "TOLK_LOG_LEVEL": "warning"})
    (body,) = ready_per_worker(server, workers=1).values()
    assert body["preloaded"] == []
    assert body["lexicon_pairs"] > 0


@pytest.mark.parametrize("value", ["maybe"])
def test_a_wrong_preload_setting_stops_the_start_with_one_line(seed_index, value):
    port = free_port()
    env = {**os.environ, "TOLK_PRELOAD": value}
    out = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--index-dir", str(seed_index),
         "--port", str(port), "--workers", "1"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert "TOLK_PRELOAD" in out.stderr and "Traceback" not in out.stderr
