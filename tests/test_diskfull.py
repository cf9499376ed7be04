"""A full disk, for real: a small tmpfs holds the index and a filler file takes the rest.

A write that meets ENOSPC answers 507 ``insufficient_storage`` (the CLI: one line,
exit 1), leaves the commit point and every file as they were (no ``*.tmp``, no
half-written segment), the previous state stays served, and the same write works
once space is back.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import make_doc, require
from index.storage import current_generation, rebuild
from index.storage.commit import COMMIT_FILE
from service import create_app
from service.lexicon import lexicon_builder


KEY = {"Authorization": "Bearer test-key"}
TEXT = "Het kabinet bespreekt dinsdag de begroting voor defensie en de steun aan Oekraine. " * 40


def _mount_tmpfs(path: Path, size: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True)
    return done.returncode == 0


@pytest.fixture
def small_fs(tmp_path):
    """A 12 MB tmpfs (needs root and mount; skipped elsewhere, failed in CI)."""
    mount = tmp_path / "fs"
    require(_mount_tmpfs(mount, "12m"), "a mountable tmpfs (root)")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(fs: Path, leave: int) -> Path:
    """Take all free space of ``fs`` but ``leave`` bytes; returns the filler file."""
    filler = fs / "filler"
    st = os.statvfs(fs)
    with open(filler, "wb") as fh:
        fh.write(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
    return filler


def snapshot(index_dir: Path) -> dict:
    """Every file below the index and its bytes (the index is small)."""
    files = {}
    for folder, _, names in os.walk(index_dir):
        for name in names:
            path = Path(folder) / name
            if name != "write.lock" and not name.endswith("WRITELOCK"):
                files[str(path.relative_to(index_dir))] = path.read_bytes()
    return files


def leftovers(index_dir: Path) -> list[str]:
    return [str(Path(folder) / name) for folder, dirs, names in os.walk(index_dir)
            for name in dirs + names if name.endswith(".tmp") or ".toc." in name]


def small_index(fs: Path) -> Path:
    index_dir = fs / "index"
    docs = [make_doc(f"nl-{i}", "nl") for i in range(3)] + [make_doc("en-0", "en")]
    rebuild(index_dir, docs, lexicon_builder=lexicon_builder({"FREEDICT_DIR": ""}))
    return index_dir


# The write fails at different steps depending on what space is left: the segment,
# the lexicon, meta.json or commit.json.
@pytest.mark.parametrize("leave", [0, 16_000, 48_000, 80_000])
def test_writes_on_a_full_disk_answer_507_and_change_nothing(small_fs, leave):
    index_dir = small_index(small_fs)
    app = create_app({"INDEX_DIR": str(index_dir), "API_KEY": "test-key", "FREEDICT_DIR": ""})
    client = app.test_client()
    total = client.get("/api/search?q=begroting").get_json()["total"]
    before = snapshot(index_dir)
    filler = fill(small_fs, leave)
    new_doc = {"id": "new-1", "text": TEXT + " Vandersteenhoven Pietersma"}

    post = client.post("/api/documents", json={"documents": [new_doc]}, headers=KEY)
    put = client.put("/api/documents/new-2", json={"text": TEXT}, headers=KEY)
    if leave == 0:
        assert post.status_code == 507 and put.status_code == 507
    for response in (post, put):
        assert response.status_code in (200, 507), response.get_data(as_text=True)
        if response.status_code == 507:
            body = response.get_json()
            assert body["code"] == "insufficient_storage" and body["status"] == 507
            assert "full" in body["message"] and "nothing was stored" in body["message"]
    assert leftovers(index_dir) == []
    if post.status_code == 507 and put.status_code == 507:
        assert snapshot(index_dir) == before  # not one byte of the index changed
    # Reads go on, from the last commit point.
    assert client.get("/api/health").status_code == 200
    search = client.get("/api/search?q=begroting")
    assert search.status_code == 200
    stored = (post.status_code == 200) + (put.status_code == 200)
    assert search.get_json()["total"] == total + stored
    assert (client.get("/api/documents/new-1").status_code == 200) == (post.status_code == 200)

    filler.unlink()
    assert client.post("/api/documents", json={"documents": [new_doc]},
                       headers=KEY).status_code == 200
    assert client.get("/api/documents/new-1").status_code == 200
    assert client.delete("/api/documents/nl-0", headers=KEY).status_code == 200


def test_delete_on_a_full_disk_answers_507(small_fs):
    index_dir = small_index(small_fs)
    client = create_app({"INDEX_DIR": str(index_dir), "API_KEY": "test-key"}).test_client()
    before = snapshot(index_dir)
    filler = fill(small_fs, 0)
    response = client.delete("/api/documents/nl-1", headers=KEY)
    assert response.status_code == 507 and response.get_json()["code"] == "insufficient_storage"
    assert snapshot(index_dir) == before and leftovers(index_dir) == []
    assert client.get("/api/documents/nl-1").status_code == 200
    filler.unlink()
    assert client.delete("/api/documents/nl-1", headers=KEY).status_code == 200


def _write_inputs(folder: Path, n: int) -> Path:
    folder.mkdir()
    for i in range(n):
        (folder / f"doc-{i}.txt").write_text(
            f"Het kabinet bespreekt dinsdag {i} de begroting voor defensie en de steun aan "
            "Oekraine. De Tweede Kamer stemt volgende week over het voorstel.", "utf-8")
    return folder


@pytest.mark.parametrize("rebuild_flag", [[], ["--rebuild"]])
def test_cli_index_on_a_full_disk_is_one_line_and_changes_nothing(small_fs, tmp_path, runner,
                                                                  rebuild_flag):
    index_dir = small_index(small_fs)
    inputs = _write_inputs(tmp_path / "in", 20)
    generation = current_generation(index_dir)
    before = snapshot(index_dir)
    filler = fill(small_fs, 0)
    env = {"TOLK_FREEDICT_DIR": "/nonexistent"}
    result = runner(["index", "--quiet", "--index-dir", index_dir, *rebuild_flag, inputs],
                    env=env)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("tolk: the disk is full") and "Free space" in lines[-1]
    assert "Traceback" not in result.stderr
    assert current_generation(index_dir) == generation
    assert snapshot(index_dir) == before and leftovers(index_dir) == []
    assert [p.name for p in (index_dir / "generations").iterdir()] == [generation.name]
    filler.unlink()
    result = runner(["index", "--quiet", "--index-dir", index_dir, *rebuild_flag, inputs],
                    env=env)
    assert result.exit_code == 0, result.stderr


def test_post_on_a_full_disk_through_gunicorn(small_fs, gunicorn):
    index_dir = small_index(small_fs)
    server = gunicorn(index_dir, env={"TOLK_API_KEY": "test-key"})
    total = server.request("GET", "/api/search?q=begroting")[2]["total"]
    filler = fill(small_fs, 0)
    body = {"documents": [{"id": f"g-{uuid.uuid4().hex[:6]}", "text": TEXT}]}
    status, _, payload = server.request("POST", "/api/documents", body=body, headers=KEY)
    assert status == 507 and payload["code"] == "insufficient_storage"
    assert set(payload) == {"code", "status", "message", "errors"}
    assert leftovers(index_dir) == []
    commit = (current_generation(index_dir) / COMMIT_FILE).read_bytes()
    status, _, payload = server.request("GET", "/api/search?q=begroting")
    assert status == 200 and payload["total"] == total
    filler.unlink()
    status, _, payload = server.request("POST", "/api/documents", body=body, headers=KEY)
    assert status == 200
    assert (current_generation(index_dir) / COMMIT_FILE).read_bytes() != commit
    status, _, payload = server.request("GET", "/api/search?q=begroting")
    assert status == 200 and payload["total"] == total + 1
