"""The service under a real gunicorn process with several workers."""

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def server(seed_index):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "serve", "--index-dir", str(seed_index),
         "--port", str(port), "--workers", "2"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if get(base + "/api/health")[0] == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("gunicorn did not start: " + proc.stderr.read())
        time.sleep(0.2)
    yield base
    proc.terminate()
    proc.wait(timeout=10)


def test_health_and_search_over_http(server):
    status, body = get(server + "/api/health")
    assert status == 200 and body["documents"] == {"nl": 4, "en": 1}
    status, body = get(server + "/api/search?q=Poetin")
    assert status == 200 and body["total"] >= 4


def test_many_requests_across_workers_all_succeed(server):
    for i in range(40):
        status, body = get(server + f"/api/search?q=Oekraine&offset={i % 3}")
        assert status == 200


def test_errors_are_json_over_http(server):
    status, body = get(server + "/api/search")
    assert status == 400 and body["code"] == "invalid_request"
