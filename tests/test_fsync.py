"""``index.fsync.write_durably``: whole or nothing, also with another process writing the same file."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from index.fsync import write_durably

ROOT = Path(__file__).resolve().parent.parent


def test_a_write_replaces_the_file_whole_and_leaves_no_temp(tmp_path):
    target = tmp_path / "cache.bin"
    target.write_bytes(b"old")
    write_durably(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert [p.name for p in tmp_path.iterdir()] == ["cache.bin"]


WRITER = """
import sys
from pathlib import Path
from index.fsync import write_durably
target, payload = Path(sys.argv[1]), sys.argv[2].encode() * 20_000
for _ in range(200):
    write_durably(target, payload)
"""


def test_two_processes_writing_the_same_file_both_succeed_and_leave_it_whole(tmp_path):
    """The serving master and ``tolk index`` may write the same cache file at once."""
    target = tmp_path / "cache.bin"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(target), mark], cwd=ROOT,
                                stderr=subprocess.PIPE, text=True) for mark in "ab"]
    errors = [w.communicate(timeout=120)[1] for w in writers]
    assert [w.returncode for w in writers] == [0, 0], errors
    assert target.read_bytes() in (b"a" * 20_000, b"b" * 20_000)
    assert [p.name for p in tmp_path.iterdir()] == ["cache.bin"]


def test_a_failed_write_keeps_the_old_file_and_removes_its_temp(tmp_path, monkeypatch):
    target = tmp_path / "cache.bin"
    target.write_bytes(b"old")

    def fail(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError):
        write_durably(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["cache.bin"]
