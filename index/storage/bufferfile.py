"""Whoosh's in-memory sub-files without a copy of each file on open.

Whoosh memory-maps a compound segment file and hands out each file in it as a
``BufferFile``, whose constructor wraps the memory view in ``BytesIO``, which
copies it. Opening a segment (every write opens the existing one to delete by
id, every reader reopens after a commit) so copied the segment's postings and
stored fields: at 100,000 documents about 290 ms of a one-document write (64 %
of it), growing with the index. Most reads go through ``get``/``get_array`` on
the memory view; a sequential read (``seek``, ``read``, ``read_pickle``: the
term index reads its header and directory that way on every open) gets a
``MemoryFile``, a read-only file over the same memory view, instead of a
``BytesIO`` copy: the term index of every segment stayed copied in each
process otherwise, private memory per worker growing with the index, where the
memory-mapped pages are shared by all workers through the page cache.
"""

from __future__ import annotations

import io
import os

from whoosh.filedb.structfile import BufferFile

_NOT_MADE = object()


class MemoryFile(io.RawIOBase):
    """A read-only, seekable binary file over a memory view; reads copy only what they return."""

    def __init__(self, buf):
        super().__init__()
        self._buf = memoryview(buf).cast("B") if not isinstance(buf, bytes) else memoryview(buf)
        self._pos = 0

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, pos, whence=os.SEEK_SET):
        if whence == os.SEEK_CUR:
            pos += self._pos
        elif whence == os.SEEK_END:
            pos += len(self._buf)
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def readinto(self, target):
        data = self._buf[self._pos:self._pos + len(target)]
        n = len(data)
        memoryview(target).cast("B")[:n] = data
        self._pos += n
        return n

    def read(self, size=-1):
        end = len(self._buf) if size is None or size < 0 else min(len(self._buf),
                                                                  self._pos + size)
        data = bytes(self._buf[self._pos:end]) if end > self._pos else b""
        self._pos += len(data)
        return data

    def readline(self, size=-1):
        buf, start = self._buf, self._pos
        stop = len(buf) if size is None or size < 0 else min(len(buf), start + size)
        end = start
        chunk = 4096
        while end < stop:  # find the newline a chunk at a time, without copying the rest
            piece = bytes(buf[end:min(stop, end + chunk)])
            found = piece.find(b"\n")
            if found >= 0:
                end += found + 1
                break
            end += len(piece)
        data = bytes(buf[start:end])
        self._pos = end
        return data

    def write(self, data):
        raise io.UnsupportedOperation("a memory-mapped segment file is read-only")

    def close(self):
        self._buf = memoryview(b"")
        super().close()


def _init(self, buf, name=None, onclose=None):
    self._buf = buf
    self._name = name
    self._bytesio = _NOT_MADE
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def _file(self):
    if self._bytesio is _NOT_MADE:
        self._bytesio = MemoryFile(self._buf)
    return self._bytesio


def _set_file(self, value):
    self._bytesio = value


def _close(self):
    if self.is_closed:
        raise Exception("This file is already closed")
    if self.onclose:
        self.onclose(self)
    if self._bytesio is not _NOT_MADE:
        self._bytesio.close()
    self.is_closed = True


BufferFile.__init__ = _init
BufferFile.file = property(_file, _set_file)
BufferFile.close = _close
