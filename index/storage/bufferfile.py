"""Whoosh's in-memory sub-files without a copy of each file on open.

Whoosh memory-maps a compound segment file and hands out each file in it as a
``BufferFile``, whose constructor wraps the memory view in ``BytesIO``, which
copies it. Opening a segment (every write opens the existing one to delete by
id, every reader reopens after a commit) so copied the segment's postings and
stored fields: at 100,000 documents about 290 ms of a one-document write (64 %
of it), growing with the index. Most reads go through ``get``/``get_array`` on
the memory view; the ``BytesIO`` is now made only when a sequential read needs
it.
"""

from __future__ import annotations

from io import BytesIO

from whoosh.filedb.structfile import BufferFile

_NOT_MADE = object()


def _init(self, buf, name=None, onclose=None):
    self._buf = buf
    self._name = name
    self._bytesio = _NOT_MADE
    self.onclose = onclose
    self.is_real = False
    self.is_closed = False


def _file(self):
    if self._bytesio is _NOT_MADE:
        self._bytesio = BytesIO(self._buf)
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
