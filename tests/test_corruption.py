"""Damaged index files: the previous generation is served (and health says so), or a clear 503.

Each corruption is made on a real index on disk, then the app is asked from
outside. Found when the generation is opened (first request of a process, a
switch of ``current``, every ``RETRY_SECONDS`` while degraded): a dangling
``current``, an unreadable ``commit.json``, a truncated segment or TOC (sizes
recorded at commit time), an unreadable ``meta.json`` or ``lexicon.json``. A
flipped bit inside a segment is not found here (that needs every byte read):
``tolk check`` finds it (tests/test_check.py).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, assert_error, make_doc
from index.storage import current_generation, rebuild, update
from index.storage import reader as reader_module
from index.storage.errors import CorruptIndexError
from service import create_app
from service.lexicon import lexicon_builder


KEY = {"Authorization": "Bearer test-key"}
BUILDER = lexicon_builder({"FREEDICT_DIR": ""})
TEXT = "Het kabinet bespreekt dinsdag de begroting voor defensie en de steun aan Oekraine."


def two_generations(root: Path) -> tuple[Path, Path]:
    """An index rebuilt twice (``previous`` has ``old-*``, current has ``new-*``); both paths."""
    rebuild(root, [make_doc("old-nl", "nl"), make_doc("old-en", "en")], lexicon_builder=BUILDER)
    previous = current_generation(root)
    rebuild(root, [make_doc("new-nl", "nl"), make_doc("new-en", "en")], lexicon_builder=BUILDER,
            drop_missing=True)
    update(root, [make_doc("new-nl-2", "nl")], lexicon_builder=BUILDER)  # a write after it
    return previous, current_generation(root)


def truncate(path: Path, keep: float = 0.5) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(int(path.stat().st_size * keep))


def _segment(generation: Path) -> Path:
    return next((generation / "nl").glob("*.seg"))


def _toc(generation: Path) -> Path:
    return max((generation / "nl").glob("_MAIN_*.toc"))


CORRUPTIONS = {
    "truncated segment": lambda g, root: truncate(_segment(g)),
    "truncated TOC": lambda g, root: truncate(_toc(g)),
    "empty commit.json": lambda g, root: (g / "commit.json").write_text(""),
    "garbage commit.json": lambda g, root: (g / "commit.json").write_text('{"toc": {"nl": "x"}}'),
    "truncated lexicon.json": lambda g, root: truncate(g / "lexicon.json"),
    "truncated meta.json": lambda g, root: truncate(g / "meta.json"),
    "dangling current": lambda g, root: shutil.rmtree(g),
}


def client_for(root: Path):
    app = create_app({"INDEX_DIR": str(root), "API_KEY": "test-key", "FREEDICT_DIR": ""})
    app.config.update(TESTING=True)
    return app.test_client()


def search_ids(client, q="kabinet OR cabinet") -> set:
    response = client.get("/api/search", query_string={"q": q, "limit": 50})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {hit["id"] for hit in response.get_json()["hits"]}


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_damaged_current_generation_serves_the_previous_one_and_says_so(tmp_path, corruption):
    root = tmp_path / "index"
    previous, current = two_generations(root)
    CORRUPTIONS[corruption](current, root)
    client = client_for(root)

    health = client.get("/api/health")
    assert health.status_code == 200
    body = health.get_json()
    assert body["status"] == "degraded"
    assert body["index"]["degraded"] is True
    assert body["index"]["generation"] == previous.name
    assert body["index"]["current"] == current.name
    assert current.name in body["index"]["reason"]
    stats = client.get("/api/stats").get_json()
    assert stats["degraded"] is True and stats["generation"] == previous.name
    assert stats["degraded_reason"] == body["index"]["reason"]
    # Every read route answers from the previous generation.
    assert search_ids(client) == {"old-nl", "old-en"}
    assert client.get("/api/suggest?q=kab").status_code == 200
    assert client.get("/api/documents/old-nl").status_code == 200
    assert client.get("/?q=kabinet").status_code == 200
    # Writes are refused: nobody would read them.
    response = client.post("/api/documents", json={"documents": [{"id": "x", "text": TEXT}]},
                           headers=KEY)
    body = assert_error(response, 503, "index_degraded")
    assert "tolk check" in body["message"]
    assert_error(client.delete("/api/documents/old-nl", headers=KEY), 503, "index_degraded")


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_damaged_only_generation_answers_503_on_every_route(tmp_path, corruption):
    root = tmp_path / "index"
    rebuild(root, [make_doc("only-nl", "nl"), make_doc("only-en", "en")], lexicon_builder=BUILDER)
    CORRUPTIONS[corruption](current_generation(root), root)
    client = client_for(root)
    for path in ("/api/health", "/api/stats", "/api/search?q=kabinet", "/api/suggest?q=kab",
                 "/api/documents/only-nl"):
        body = assert_error(client.get(path), 503, "index_unavailable")
        assert "tolk check" in body["message"] and "--rebuild" in body["message"]
    page = client.get("/?q=kabinet")
    assert page.status_code == 503 and b"Traceback" not in page.data
    response = client.post("/api/documents", json={"documents": [
        {"id": "x", "text": "Het kabinet bespreekt dinsdag de begroting voor defensie."}]},
        headers=KEY)
    assert response.status_code == 503 and response.is_json


def test_damage_after_the_process_opened_the_index_is_noticed(tmp_path):
    root = tmp_path / "index"
    previous, current = two_generations(root)
    client = client_for(root)
    assert client.get("/api/health").get_json()["status"] == "ok"
    assert search_ids(client) == {"new-nl", "new-en", "new-nl-2"}
    truncate(current / "lexicon.json")  # the reader reloads a lexicon whose file changed
    assert search_ids(client) == {"old-nl", "old-en"}
    assert client.get("/api/health").get_json()["index"]["degraded"] is True


def test_a_rebuild_heals_and_a_repaired_current_is_taken_back(tmp_path, monkeypatch):
    root = tmp_path / "index"
    previous, current = two_generations(root)
    lexicon = (current / "lexicon.json").read_bytes()
    truncate(current / "lexicon.json")
    monkeypatch.setattr(reader_module, "RETRY_SECONDS", 0.0)  # check again on every request
    client = client_for(root)
    assert client.get("/api/health").get_json()["status"] == "degraded"
    # The file is put back: the current generation is taken back at the next check.
    (current / "lexicon.json").write_bytes(lexicon)
    assert client.get("/api/health").get_json()["status"] == "ok"
    assert search_ids(client) == {"new-nl", "new-en", "new-nl-2"}
    # Damaged again, then rebuilt: the new generation is served at once.
    truncate(current / "lexicon.json")
    assert client.get("/api/health").get_json()["status"] == "degraded"
    rebuild(root, [make_doc("fresh-nl", "nl")], lexicon_builder=BUILDER, drop_missing=True)
    body = client.get("/api/health").get_json()
    assert body["status"] == "ok" and body["index"]["degraded"] is False
    assert search_ids(client) == {"fresh-nl"}
    # The damaged generation was not kept as the fallback: the healthy older one was.
    assert (root / "previous").resolve() == previous


def test_writes_into_a_damaged_current_generation_are_refused(tmp_path):
    root = tmp_path / "index"
    _, current = two_generations(root)
    truncate(_segment(current))
    with pytest.raises(CorruptIndexError, match="tolk index --rebuild"):
        update(root, [make_doc("late", "nl")], lexicon_builder=BUILDER)


def test_cli_on_a_damaged_index_prints_one_line(tmp_path, runner):
    root = tmp_path / "index"
    rebuild(root, [make_doc("only-nl", "nl")], lexicon_builder=BUILDER)
    truncate(_toc(current_generation(root)))
    for argv in (["search", "kabinet"], ["lexicon", "stats"],
                 ["index", "--quiet", ROOT / "seeds" / "000_bb9c2193cdca5199.txt"]):
        result = runner([*argv, "--index-dir", root], env={"TOLK_FREEDICT_DIR": "/nonexistent"})
        assert result.exit_code not in (0, None), result.output
        assert "Traceback" not in result.stderr
        last = result.stderr.strip().splitlines()[-1]
        assert last.startswith("tolk: ") and "tolk check" in last


def test_damaged_segment_through_gunicorn(tmp_path, gunicorn):
    root = tmp_path / "index"
    previous, current = two_generations(root)
    truncate(_segment(current))
    server = gunicorn(root, env={"TOLK_API_KEY": "test-key"})
    for _ in range(6):  # both workers
        status, _, body = server.request("GET", "/api/health")
        assert status == 200 and body["index"]["degraded"] is True
        assert body["index"]["generation"] == previous.name
        status, _, body = server.request("GET", "/api/search?q=kabinet")
        assert status == 200 and {h["id"] for h in body["hits"]} == {"old-nl", "old-en"}
    status, _, body = server.request("POST", "/api/documents", headers=KEY,
                                     body={"documents": [{"id": "x", "text": TEXT}]})
    assert status == 503 and body["code"] == "index_degraded"


def test_cli_search_on_a_degraded_index_answers_and_warns(tmp_path, runner):
    root = tmp_path / "index"
    previous, current = two_generations(root)
    truncate(_toc(current))
    result = runner(["search", "kabinet", "--json", "--index-dir", root])
    assert result.exit_code == 0, result.stderr
    assert {hit["id"] for hit in json.loads(result.output)["hits"]} == {"old-nl", "old-en"}
    assert "warning" in result.stderr and previous.name in result.stderr


def test_a_first_build_in_progress_is_no_index_yet(tmp_path):
    root = tmp_path / "index"
    (root / "generations" / "g-20260101T000000.000000-building" / "nl").mkdir(parents=True)
    client = client_for(root)
    assert_error(client.get("/api/health"), 503, "no_index")
    rebuild(root, [make_doc("first", "nl")], lexicon_builder=BUILDER)
    assert client.get("/api/health").status_code == 200
