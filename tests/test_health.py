"""Liveness, readiness and warm-up, in process and through a real gunicorn."""

from pathlib import Path

import pytest

from conftest import AS_OPERATOR, assert_error, copy_index
from service import create_app
from service.schemas import LiveSchema, ReadySchema


def truncate_lexicon(index_dir: Path) -> None:
    lexicon = index_dir / "current" / "lexicon.json"
    data = lexicon.read_bytes()
    lexicon.write_bytes(data[: len(data) // 2])


def test_live_and_ready_on_a_good_index(client):
    live = client.get("/api/health/live")
    assert live.status_code == 200 and LiveSchema().validate(live.get_json()) == {}
    assert live.get_json()["ready"] is True
    ready = client.get("/api/health/ready")
    body = ready.get_json()
    assert ready.status_code == 200 and ReadySchema().validate(body) == {}
    assert body["documents"] == {"nl": 4, "en": 1} and body["lexicon_pairs"] > 0
    assert body["warmup_seconds"] is not None
    old = client.get("/api/health").get_json()
    assert set(old) == {"status", "documents", "index"} and old["status"] == "ok"


def test_an_empty_deployment_is_live_not_ready_and_says_how_to_index(tmp_path):
    client = create_app({"INDEX_DIR": str(tmp_path / "index")}).test_client()
    live = client.get("/api/health/live")
    assert live.status_code == 200
    assert live.get_json()["ready"] is False and "tolk index" in live.get_json()["message"]
    body = assert_error(client.get("/api/health/ready"), 503, "not_ready")
    assert "tolk index" in body["message"] and body["errors"]["index"]
    assert client.get("/api/health/ready").headers["Retry-After"]


def test_a_truncated_lexicon_is_not_ready_and_not_healthy(seed_index, tmp_path):
    index_dir = copy_index(seed_index, tmp_path / "index")
    truncate_lexicon(index_dir)
    client = create_app({"INDEX_DIR": str(index_dir)}).test_client()
    assert client.get("/api/health/live").status_code == 200
    body = assert_error(client.get("/api/health/ready"), 503, "not_ready")
    assert body["message"].startswith("not ready: ")
    assert_error(client.get("/api/health"), 503)


def test_health_stays_open_when_reads_need_a_key(seed_index):
    client = create_app({"INDEX_DIR": str(seed_index), "READ_KEYS": "r1"}).test_client()
    for path in ("/api/health", "/api/health/live", "/api/health/ready"):
        assert client.get(path).status_code == 200, path


@pytest.fixture(scope="module")
def gunicorn_seeded(seed_index, tmp_path_factory, module_gunicorn):
    log = tmp_path_factory.mktemp("health-log") / "gunicorn.log"
    return module_gunicorn(seed_index, log=log, workers=2, **AS_OPERATOR)


def test_every_worker_warms_up_before_it_answers(gunicorn_seeded):
    server = gunicorn_seeded
    pids = set()
    for _ in range(12):
        status, _, body = server.request("GET", "/api/health/ready")
        assert status == 200 and body["status"] == "ready"
        assert body["warmup_seconds"] > 0
        pids.add(body["pid"])
    lines = server.wait_for_lines(lambda lines: pids <= {
        line.get("pid") for line in lines if line.get("logger") == "gunicorn.access"})
    warmed = {line["pid"]: i for i, line in enumerate(lines)
              if line.get("message") == "warm-up done"}
    assert pids <= set(warmed)
    for pid in pids:  # the worker's first request line comes after its warm-up line
        first = min(i for i, line in enumerate(lines)
                    if line.get("logger") == "gunicorn.access" and line.get("pid") == pid)
        assert warmed[pid] < first


def test_gunicorn_on_an_empty_folder_is_live_but_not_ready(tmp_path, gunicorn):
    server = gunicorn(tmp_path / "empty" / "index", log=tmp_path / "g.log", workers=1,
                      **AS_OPERATOR)
    status, _, body = server.request("GET", "/api/health/live")
    assert status == 200 and body["ready"] is False and "tolk index" in body["message"]
    status, headers, body = server.request("GET", "/api/health/ready")
    assert status == 503 and body["code"] == "not_ready" and headers["Retry-After"]
    status, _, body = server.request("GET", "/api/search?q=x")
    assert status == 503 and body["code"] == "no_index"


def test_gunicorn_with_a_truncated_lexicon_is_not_ready(seed_index, tmp_path, gunicorn):
    index_dir = copy_index(seed_index, tmp_path / "index")
    truncate_lexicon(index_dir)
    server = gunicorn(index_dir, log=tmp_path / "g.log", workers=1, **AS_OPERATOR)
    status, _, body = server.request("GET", "/api/health/ready")
    assert status == 503 and body["code"] == "not_ready"
    status, _, body = server.request("GET", "/api/health")
    assert status == 503
