"""``tolk check``: checksums recorded at commit time find a flipped bit and name the file;
the CLI's errors are one line, never a traceback."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT, make_doc, require
from index.storage import current_generation, rebuild, update
from index.storage.commit import COMMIT_FILE, read_commit_file
from service import create_app
from service.cli import os_error_message
from service.lexicon import lexicon_builder

BUILDER = lexicon_builder({"FREEDICT_DIR": ""})


def two_generations(root: Path) -> tuple[Path, Path]:
    rebuild(root, [make_doc("old-nl", "nl"), make_doc("old-en", "en")], lexicon_builder=BUILDER)
    previous = current_generation(root)
    rebuild(root, [make_doc("new-nl", "nl"), make_doc("new-en", "en")], lexicon_builder=BUILDER,
            drop_missing=True)
    return previous, current_generation(root)


def flip_bit(path: Path, keep_mtime: bool = True) -> None:
    """Flip one bit in the middle of ``path`` as a disk would: size and mtime unchanged."""
    st = path.stat()
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x10
    path.write_bytes(bytes(data))
    if keep_mtime:
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def test_check_on_a_healthy_index_reports_every_generation(tmp_path, runner):
    root = tmp_path / "index"
    previous, current = two_generations(root)
    update(root, [make_doc("later", "nl")], lexicon_builder=BUILDER)
    result = runner(["check", "--index-dir", root])
    assert result.exit_code == 0, result.stderr
    lines = result.output.splitlines()
    assert lines[0].startswith(f"current  {current.name}  ok (en: 1, nl: 2;")
    assert lines[1].startswith(f"previous {previous.name}  ok (en: 1, nl: 1;")
    assert "files match their checksums" in lines[0]
    report = json.loads(runner(["check", "--json", "--index-dir", root]).output)
    assert report["ok"] is True and report["advice"] == []
    assert [g["role"] for g in report["generations"]] == ["current", "previous"]


@pytest.mark.parametrize("target", ["segment", "toc", "lexicon"])
def test_check_finds_a_flipped_bit_and_names_the_file(tmp_path, runner, target):
    root = tmp_path / "index"
    previous, current = two_generations(root)
    path = {"segment": lambda: next((current / "nl").glob("*.seg")),
            "toc": lambda: next((current / "en").glob("_MAIN_*.toc")),
            "lexicon": lambda: current / "lexicon.json"}[target]()
    flip_bit(path)
    result = runner(["check", "--index-dir", root])
    assert result.exit_code == 1
    name = str(path.relative_to(current))
    assert f"current  {current.name}  DAMAGED" in result.output
    assert f"- {name} does not match its sha256 checksum" in result.output
    assert "previous" in result.output and f"{previous.name}  ok" in result.output
    advice = result.stderr.strip().splitlines()[-1]
    assert "--restore-previous" in advice and "--rebuild" in advice
    if target == "segment":  # the server's open checks pass: the advice must not claim a fallback
        assert "does not notice" in advice
    report = json.loads(runner(["check", "--json", "--index-dir", root]).output)
    assert report["ok"] is False
    assert any(name in p for p in report["generations"][0]["problems"])


def test_restore_previous_after_damage(tmp_path, runner):
    root = tmp_path / "index"
    previous, current = two_generations(root)
    refused = runner(["check", "--restore-previous", "--index-dir", root])
    assert refused.exit_code == 2 and "--force" in refused.stderr  # the current one is fine
    flip_bit(next((current / "nl").glob("*.seg")))
    result = runner(["check", "--restore-previous", "--index-dir", root])
    assert result.exit_code == 0, result.stderr
    assert current_generation(root) == previous
    after = runner(["check", "--index-dir", root])
    assert after.exit_code == 0  # the damaged one is still on disk, unused
    assert f"leftover {current.name}  DAMAGED" in after.output
    client = create_app({"INDEX_DIR": str(root)}).test_client()
    hits = client.get("/api/search?q=kabinet OR cabinet").get_json()["hits"]
    assert {h["id"] for h in hits} == {"old-nl", "old-en"}
    # The next rebuild removes the damaged generation; check is clean again.
    rebuild(root, [make_doc("fresh", "nl")], lexicon_builder=BUILDER)
    assert current.name not in os.listdir(root / "generations")
    assert runner(["check", "--index-dir", root]).exit_code == 0


def test_a_write_hashes_only_new_files(tmp_path):
    root = tmp_path / "index"
    rebuild(root, [make_doc(f"d{i}", "nl") for i in range(5)], lexicon_builder=BUILDER)
    generation = current_generation(root)
    before = read_commit_file(generation)["files"]
    update(root, [make_doc("one-more", "nl")], lexicon_builder=BUILDER)
    after = read_commit_file(generation)["files"]
    unchanged = [name for name in before if name in after and after[name] == before[name]]
    assert any(name.endswith(".seg") for name in unchanged)  # the old segment: not hashed again
    new = set(after) - set(before)
    assert any(name.startswith("nl/") and name.endswith(".seg") for name in new)
    assert after["meta.json"]["mtime_ns"] != before["meta.json"]["mtime_ns"]
    # The manifest lists exactly the files on disk (besides locks).
    on_disk = {f"{lang}/{n}" for lang in ("nl", "en") for n in os.listdir(generation / lang)
               if not n.endswith("WRITELOCK")}
    on_disk |= {n for n in os.listdir(generation) if (generation / n).is_file()} - {COMMIT_FILE}
    assert set(after) == on_disk


def test_check_without_an_index_says_what_to_do(tmp_path, runner):
    result = runner(["check", "--index-dir", tmp_path / "none"])
    assert result.exit_code == 2 and "tolk index" in result.stderr


# -- the CLI's errors ----------------------------------------------------------------------


def test_os_errors_become_one_line_with_what_to_do():
    full = os_error_message(OSError(errno.ENOSPC, "No space left on device"), "/data/index")
    assert full.startswith("the disk is full") and "Free space" in full
    denied = os_error_message(PermissionError(errno.EACCES, "Permission denied",
                                              "/data/index/write.lock"), "/data/index")
    assert "/data/index/write.lock" in denied and "chown -R 10001 /data" in denied


def test_read_only_index_volume_is_one_line(tmp_path, runner):
    require(os.geteuid() == 0 and shutil.which("mount") is not None, "root and mount")
    mount = tmp_path / "ro"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount)]).returncode:
        pytest.skip("cannot mount a tmpfs here")
    try:
        rebuild(mount / "index", [make_doc("a", "nl")], lexicon_builder=BUILDER)
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        result = runner(["index", "--quiet", "--index-dir", mount / "index",
                         ROOT / "seeds" / "000_bb9c2193cdca5199.txt"],
                        env={"TOLK_FREEDICT_DIR": "/nonexistent"})
        assert result.exit_code == 1 and "Traceback" not in result.stderr
        assert result.stderr.strip().splitlines()[-1].startswith(
            "tolk: no permission: Read-only file system")
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_ctrl_c_during_indexing_is_one_line(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    line = "Het kabinet bespreekt dinsdag de begroting voor defensie en de steun aan Oekraine. "
    with open(inputs / "many.jsonl", "w", encoding="utf-8") as fh:
        for i in range(20000):
            fh.write(json.dumps({"id": f"d{i}", "text": line * 3 + str(i)}) + "\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.cli", "index", "--index-dir", str(tmp_path / "index"),
         str(inputs)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TOLK_FREEDICT_DIR": "/nonexistent"})
    seen = []
    reader = threading.Thread(target=lambda: seen.append(proc.stderr.read()), daemon=True)
    started = []

    def wait_for_progress():  # tqdm's bars on stderr: the command is past its imports
        buffer = ""
        while proc.poll() is None:
            char = proc.stderr.read(1)
            if not char:
                return
            buffer += char
            if "cleaning" in buffer or "indexing" in buffer:
                started.append(True)
                return

    waiter = threading.Thread(target=wait_for_progress, daemon=True)
    waiter.start()
    waiter.join(timeout=60)
    assert started, "no progress bar within 60 s"
    proc.send_signal(signal.SIGINT)
    reader.start()
    proc.wait(timeout=60)
    reader.join(timeout=10)
    err = "".join(seen)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    # (the last line: a progress bar on a pipe is not cleared, the message follows it)
    assert "tolk: interrupted; an unfinished write was not published" in err.splitlines()[-1]
    assert not (tmp_path / "index" / "current").exists()  # nothing half-built is served
