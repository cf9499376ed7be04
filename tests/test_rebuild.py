"""Rebuild keeps what the index holds; ``tolk reindex`` prepares everything stored again.

Issue 11: ``tolk index --rebuild`` deleted every document written over HTTP,
without a word. Now a rebuild carries the stored documents over (prepared again
from their originals, the user's own values winning), dropping needs
``--drop-missing`` and is counted, and a write during a rebuild is not lost.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import EN, NL, SEEDS, make_doc
from index.ingest.documents import RawDocument, prepare
from index.storage import IndexReader, LOCK_FILE, rebuild, reindex, update

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.xdist_group("reliability")

KEY = "rebuild-key"
API_TEXT = ("Gisteren sprak president Zelenski in Kiev met minister Koeleba over de oorlog, "
            "de sancties tegen Rusland en de steun van de Europese Unie aan Oekraïne.")


def stored(root: Path) -> dict[str, dict]:
    reader = IndexReader(root)
    try:
        return {f["id"]: f for s in reader.searchers().values() for f in s.all_stored_fields()}
    finally:
        reader.close()


def api_doc(doc_id: str, **given) -> object:
    """A document as the API prepares it, with values the user gave."""
    return prepare(RawDocument(id=doc_id, text=given.pop("text", API_TEXT), **given))


def test_rebuild_carries_over_what_was_written_since(tmp_path):
    rebuild(tmp_path, [make_doc("file-1", "nl"), make_doc("file-2", "en")])
    update(tmp_path, [api_doc("api-1", title="Mijn eigen titel", date="2022-03-01",
                              source="NOS", url="https://example.org/a")])
    report = rebuild(tmp_path, [make_doc("file-1", "nl"), make_doc("file-2", "en")])
    docs = stored(tmp_path)
    assert set(docs) == {"file-1", "file-2", "api-1"}
    assert report.carried_over == 1 and report.dropped == 0 and report.kept_as_stored == []
    api = docs["api-1"]
    assert (api["title"], api["date"], api["source"], api["url"]) == (
        "Mijn eigen titel", "2022-03-01", "NOS", "https://example.org/a")
    assert api["original"] == API_TEXT and api["language"] == "nl"


def test_a_given_source_wins_by_id(tmp_path):
    update(tmp_path, [api_doc("same", title="oude titel")])
    newer = make_doc("same", "en")
    rebuild(tmp_path, [newer])
    docs = stored(tmp_path)
    assert set(docs) == {"same"}
    assert docs["same"]["language"] == "en" and docs["same"]["body"] == newer.text


def test_drop_missing_removes_and_counts(tmp_path):
    rebuild(tmp_path, [make_doc(f"old-{i}", "nl") for i in range(3)] + [make_doc("keep", "en")])
    report = rebuild(tmp_path, [make_doc("keep", "en")], drop_missing=True)
    assert set(stored(tmp_path)) == {"keep"}
    assert report.dropped == 3 and report.carried_over == 0


def test_stored_documents_are_prepared_again_and_given_values_still_win(tmp_path):
    """What Tolk decided is decided again (cleaning, detection); what the user gave stays."""
    detected = api_doc("detected")
    stale = detected.__class__(**{**detected.to_dict(), "text": "verouderde schoonmaak",
                                  "title": "verouderde titel", "language_confidence": 0.1})
    given = api_doc("given", title="Gegeven titel", language="nl")
    given_stale = given.__class__(**{**given.to_dict(), "text": "verouderd"})
    rebuild(tmp_path, [stale, given_stale])
    report = reindex(tmp_path)
    docs = stored(tmp_path)
    assert report.carried_over == 2 and sum(report.added.values()) == 2
    assert docs["detected"]["body"] == detected.text != "verouderde schoonmaak"
    assert docs["detected"]["title"] == detected.title != "verouderde titel"
    assert docs["detected"]["language_confidence"] == detected.language_confidence
    assert docs["given"]["title"] == "Gegeven titel" and docs["given"]["body"] == given.text
    assert "language nl (given)" in docs["given"]["decisions"]


def test_a_document_that_cannot_be_prepared_again_is_kept_as_stored(tmp_path):
    """E.g. cleaning now drops all of it: carried over unchanged, and reported."""
    odd = make_doc("odd", "nl")
    odd.original = "   \n  "  # nothing to prepare from
    rebuild(tmp_path, [odd, make_doc("fine", "en")])
    report = reindex(tmp_path)
    docs = stored(tmp_path)
    assert set(docs) == {"odd", "fine"}
    assert docs["odd"]["body"] == odd.text
    assert [doc_id for doc_id, _ in report.kept_as_stored] == ["odd"]


def test_reindex_without_an_index_says_what_to_do(runner, tmp_path):
    result = runner(["reindex", "--index-dir", tmp_path / "none"])
    assert result.exit_code == 2 and "tolk index" in result.stderr
    assert not (tmp_path / "none").exists()


def test_cli_rebuild_reports_carried_over_and_drop_missing_needs_rebuild(runner, tmp_path):
    index_dir = tmp_path / "ix"
    assert runner(["index", "--quiet", "--index-dir", index_dir, SEEDS]).exit_code == 0
    extra = tmp_path / "extra.jsonl"
    extra.write_text(json.dumps({"id": "extra-1", "text": API_TEXT, "title": "Eigen"}) + "\n")
    assert runner(["index", "--quiet", "--index-dir", index_dir, extra]).exit_code == 0

    result = runner(["index", "--quiet", "--rebuild", "--index-dir", index_dir, SEEDS])
    assert result.exit_code == 0, result.stderr
    assert "carried over from the index: 1" in result.output
    assert "extra-1" in stored(index_dir)

    wrong = runner(["index", "--drop-missing", "--index-dir", index_dir, SEEDS])
    assert wrong.exit_code == 2 and "--rebuild" in wrong.stderr
    assert "extra-1" in stored(index_dir)

    dropped = runner(["index", "--quiet", "--json", "--rebuild", "--drop-missing",
                      "--index-dir", index_dir, SEEDS])
    summary = json.loads(dropped.output)
    assert summary["dropped"] == 1 and summary["carried_over"] == 0
    assert "extra-1" not in stored(index_dir)

    again = runner(["reindex", "--quiet", "--json", "--index-dir", index_dir])
    summary = json.loads(again.output)
    assert summary["mode"] == "reindex" and summary["carried_over"] == 5
    assert summary["indexed"] == {"nl": 4, "en": 1}


def test_three_rebuilds_keep_every_acknowledged_write(tmp_path):
    """The issue's count: 0 of 300 left after three rebuilds. Now all of them."""
    files = [make_doc("file-nl", "nl"), make_doc("file-en", "en")]
    rebuild(tmp_path, files)
    written = []
    for round_ in range(3):
        batch = [make_doc(f"api-{round_}-{i}", "nl" if i % 2 else "en") for i in range(20)]
        update(tmp_path, batch)
        written += [d.id for d in batch]
        rebuild(tmp_path, files)
    assert set(written) | {"file-nl", "file-en"} == set(stored(tmp_path))


def _lock_is_held(root: Path) -> bool:
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES):
            return True
        raise
    finally:
        os.close(fd)
    return False


def test_post_during_a_rebuild_survives_it(writable_index, tmp_path, gunicorn):
    """A POST that arrives while ``tolk index --rebuild`` holds the lock waits, then lands
    in the new generation; a POST acknowledged before it is carried over."""
    corpus = tmp_path / "corpus.jsonl"
    with corpus.open("w") as out:
        for i in range(300):
            text = (NL if i % 2 else EN).format(f"doc {i}")
            out.write(json.dumps({"id": f"bulk-{i}", "text": text}) + "\n")
    env = {"TOLK_API_KEY": KEY, "TOLK_LOCK_TIMEOUT": "120"}
    server = gunicorn(writable_index, workers=2, env=env)
    auth = {"Authorization": f"Bearer {KEY}"}
    before = {"documents": [{"id": "before-1", "text": API_TEXT}]}
    assert server.request("POST", "/api/documents", body=before, headers=auth)[0] == 200
    indexer = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "index", "--quiet", "--rebuild",
         "--index-dir", str(writable_index), str(SEEDS), str(corpus)],
        cwd=ROOT, env={**os.environ, **server.env}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not _lock_is_held(writable_index):
        assert indexer.poll() is None, indexer.stderr.read()
        assert time.monotonic() < deadline, "the rebuild never took the write lock"
        time.sleep(0.005)
    assert indexer.poll() is None  # the rebuild is still running: the POST comes during it
    during = {"documents": [{"id": "during-1", "text": API_TEXT, "title": "Tijdens"}]}
    status, _, body = server.request("POST", "/api/documents", body=during, headers=auth,
                                     timeout=150)
    assert status == 200, json.dumps(body)  # a string: pytest does not shorten it
    out, err = indexer.communicate(timeout=150)
    assert indexer.returncode == 0, err
    assert "carried over from the index: 1" in out  # before-1 (the seeds are given)
    for doc_id in ("during-1", "before-1", "bulk-0", "bulk-299", "000_bb9c2193cdca5199"):
        status, _, body = server.request("GET", f"/api/documents/{doc_id}")
        assert status == 200, (doc_id, body)
    status, _, body = server.request("GET", "/api/search?q=Tijdens")
    assert "during-1" in [hit["id"] for hit in body["hits"]]
