"""Whoosh's in-memory sub-files read without copying the file into the process."""

import io
import pickle

import pytest

from index.storage import IndexReader
from index.storage.bufferfile import MemoryFile
from index.search import SearchRequest, search


def test_memory_file_reads_like_bytesio():
    data = b"first line\nsecond\n" + pickle.dumps({"n": list(range(50))}) + b"tail"
    ours, theirs = MemoryFile(memoryview(data)), io.BytesIO(data)
    for f in (ours, theirs):
        assert f.readline() == b"first line\n"
        assert f.readline(3) == b"sec"
        assert f.read(4) == b"ond\n"
        assert pickle.load(f) == {"n": list(range(50))}
        assert f.read() == b"tail" and f.read() == b"" and f.read(5) == b""
        assert f.seek(-4, io.SEEK_END) == len(data) - 4
        assert f.seek(2, io.SEEK_CUR) == len(data) - 2
        assert f.read(10) == b"il"
        f.seek(0)
        target = bytearray(5)
        assert f.readinto(target) == 5 and bytes(target) == b"first"
    with pytest.raises(ValueError):
        ours.seek(-1)
    with pytest.raises(io.UnsupportedOperation):
        ours.write(b"x")


def test_opening_and_searching_copies_no_segment_file(seed_index):
    from whoosh.filedb.structfile import BufferFile

    made = []
    original = BufferFile.file.fget

    def spy(self):
        value = original(self)
        made.append((self._name, type(value)))
        return value

    BufferFile.file = property(spy, BufferFile.file.fset)
    try:
        reader = IndexReader(seed_index)
        result = search(reader, SearchRequest(q="Poetin", limit=5))
        assert result["total"] > 0
        assert [h["title"] for h in result["hits"]]  # stored fields read too
    finally:
        BufferFile.file = property(original, BufferFile.file.fset)
    assert made, "no sequential read happened: the test no longer looks at anything"
    assert {kind for _, kind in made} == {MemoryFile}
