"""Log lines: one JSON object per request through real gunicorn, request ids, no secrets."""

import json

import pytest

from conftest import AS_OPERATOR, SEEDS
from service.logs import request_id_from, safe_path

SECRET = "very-secret-admin-key"


def test_safe_path_masks_credential_parameters():
    assert safe_path("/api/search", "q=Poetin&api_key=abc&token=t") \
        == "/api/search?q=Poetin&api_key=***&token=***"
    assert safe_path("/api/health") == "/api/health"


def test_request_ids_from_clients_are_kept_only_when_plain():
    assert request_id_from("abc-123.X_y:z") == "abc-123.X_y:z"
    for bad in ("", "a b", "x" * 129, "id\nforged", "é"):
        generated = request_id_from(bad)
        assert generated != bad and len(generated) == 32


@pytest.fixture(scope="module")
def json_server(seed_index, tmp_path_factory, module_gunicorn):
    log = tmp_path_factory.mktemp("logs") / "gunicorn.log"
    return module_gunicorn(seed_index, log=log, workers=2, env={"TOLK_API_KEY": SECRET},
                           **AS_OPERATOR)


def line_for(server, request_id) -> dict:
    """The request line with this id (lines are matched by id, not by position: the
    order of lines from two workers is not the order of the requests)."""
    lines = server.wait_for_lines(lambda lines: any(
        line.get("request_id") == request_id for line in lines))
    found = [line for line in lines if line.get("request_id") == request_id]
    assert len(found) == 1, found
    return found[0]


def test_one_json_line_per_request_with_id_duration_and_pid(json_server):
    server = json_server
    status, headers, _ = server.request("GET", "/api/search?q=Poetin",
                                        headers={"X-Request-ID": "client-id-1"})
    assert status == 200 and headers["X-Request-ID"] == "client-id-1"
    search = line_for(server, "client-id-1")
    assert search["logger"] == "gunicorn.access" and search["level"] == "info"
    assert search["method"] == "GET" and search["path"] == "/api/search?q=Poetin"
    assert search["route"] == "/api/search" and search["status"] == 200
    assert search["duration_ms"] > 0 and search["time"].endswith("Z")
    assert isinstance(search["pid"], int) and search["remote"] == "127.0.0.1"

    status, headers, _ = server.request("GET", "/api/nothing-here")
    assert status == 404 and len(headers["X-Request-ID"]) == 32
    missing = line_for(server, headers["X-Request-ID"])
    assert missing["status"] == 404 and missing["route"] == "unmatched"

    status, headers, _ = server.request(
        "POST", "/api/documents", body={"documents": []},
        headers={"Authorization": f"Bearer {SECRET}", "X-Request-ID": "bad id with spaces"})
    assert status == 400 and headers["X-Request-ID"] != "bad id with spaces"
    post = line_for(server, headers["X-Request-ID"])
    assert post["method"] == "POST" and post["status"] == 400
    assert SECRET not in server.output()


def test_secrets_in_query_parameters_are_masked(json_server):
    server = json_server
    server.request("GET", f"/api/search?q=x&access_token={SECRET}",
                   headers={"X-Request-ID": "masked-1"})
    assert "access_token=***" in line_for(server, "masked-1")["path"]
    assert SECRET not in server.output()


def test_text_format_keeps_the_same_fields(seed_index, tmp_path, gunicorn):
    server = gunicorn(seed_index, log=tmp_path / "g.log", workers=1,
                      env={"TOLK_LOG_FORMAT": "text"}, **AS_OPERATOR)
    server.request("GET", "/api/search?q=NAVO", headers={"X-Request-ID": "text-id-7"})
    deadline_lines = server.wait_for_lines(lambda _: "text-id-7" in server.output())
    assert deadline_lines == []  # no JSON lines at all in text mode
    line = next(l for l in server.output().splitlines() if "text-id-7" in l)
    assert "GET /api/search?q=NAVO 200" in line and "duration_ms=" in line
    assert "request_id=text-id-7" in line and "pid=" in line


def test_cli_indexing_events_are_log_lines(runner, tmp_path):
    result = runner(["index", "--index-dir", tmp_path / "index", SEEDS],
                    env={"TOLK_FREEDICT_DIR": "", "TOLK_LOG_FORMAT": "json"})
    assert result.exit_code == 0
    # progress bars share stderr: a line may start with their carriage returns
    events = [json.loads(line[line.index("{"):]) for line in result.stderr.splitlines()
              if "{\"time\"" in line]
    messages = [e["message"] for e in events]
    assert messages == ["indexing started", "indexing done"]
    assert events[1]["indexed"] == {"nl": 4, "en": 1} and events[1]["logger"] == "tolk.cli"
    quiet = runner(["index", "--index-dir", tmp_path / "index", SEEDS],
                   env={"TOLK_FREEDICT_DIR": "", "TOLK_LOG_LEVEL": "warning"})
    assert quiet.exit_code == 0 and "indexing done" not in quiet.stderr


def test_log_level_warning_leaves_request_lines_out(seed_index, tmp_path, gunicorn):
    server = gunicorn(seed_index, log=tmp_path / "g.log", workers=1,
                      env={"TOLK_LOG_LEVEL": "warning"}, **AS_OPERATOR)
    server.request("GET", "/api/search?q=NAVO", headers={"X-Request-ID": "quiet-1"})
    server.request("GET", "/api/health/live", headers={"X-Request-ID": "quiet-2"})
    server.stop()  # every line it would write is written
    text = server.output()
    assert "quiet-1" not in text and "warm-up done" not in text
