"""Posting lists NumPy reads without decoding: one extra file per Whoosh segment.

Whoosh stores a term's postings as zlib-compressed pickled blocks; decoding
them was most of a search. ``TolkCodec`` is Whoosh's own ``W3Codec`` whose
field writer also writes, per segment, a ``.tpa`` file: for every term of a
scorable field (text), its document numbers (uint32) followed by its
weights (float32, exactly what Whoosh keeps in its blocks), plus a sorted key
table (``field NUL term-bytes``) with each term's offset and count. Readers
memory-map it (inside the compound segment file, or the file itself) and get
NumPy views: nothing decoded, nothing copied into the process; the page cache
holds one copy for every worker.

Being a codec file named after its segment, it lives and dies with the
segment: Whoosh's TOC, merges (a merge writes through the codec too),
compound files, our two-phase commit, checksums manifest and cleanup all
treat it like the segment's other files. Positions stay in Whoosh's blocks
(read for phrases and highlighting only). Segments written before this codec
(plain ``W3Codec``) have no ``.tpa``: :func:`for_reader` returns None and the
caller decodes Whoosh's blocks as before. The TOC pickles the codec by its
class path, so ``TolkCodec`` must stay importable under this name.
"""

from __future__ import annotations

import bisect
import logging
import mmap
import struct
from array import array

import numpy as np
from whoosh.codec.whoosh3 import W3Codec, W3FieldWriter
from whoosh.filedb.structfile import BufferFile

log = logging.getLogger(__name__)

EXT = ".tpa"
MAGIC = b"TOLKPA01"
# Footer: magic, term count, keys blob offset, key offsets offset, starts offset, counts offset.
_FOOTER = struct.Struct("<8sQQQQQ")
_HEADER = MAGIC + b"\0" * 8  # 16 bytes: every block after it stays 4-byte aligned


def term_key(fieldname: str, btext: bytes) -> bytes:
    """The key of a term in a ``.tpa`` file (sorts as Whoosh sorts (field, term))."""
    return fieldname.encode("utf-8") + b"\0" + btext


class TolkCodec(W3Codec):
    """Whoosh's W3 codec plus a ``.tpa`` posting-array file per segment.

    ``without`` names text fields that get no arrays (never BM25-scored).
    """

    def __init__(self, without=(), **kwargs):
        super().__init__(**kwargs)
        self.without = frozenset(without)

    def field_writer(self, storage, segment):
        return ArrayFieldWriter(self, storage, segment)


class ArrayFieldWriter(W3FieldWriter):
    """``W3FieldWriter`` that also streams each term's ids and weights into ``.tpa``."""

    def __init__(self, codec, storage, segment):
        super().__init__(codec, storage, segment)
        self._tpa = self._create_file(EXT)
        self._tpa.write(_HEADER)
        self._tpa_pos = len(_HEADER)
        self._keys: list[bytes] = []
        self._starts = array("Q")
        self._counts = array("I")
        self._ids = array("I")
        self._weights = array("f")
        self._with_arrays = False

    def start_field(self, fieldname, fieldobj):
        super().start_field(fieldname, fieldobj)
        # Unscorable fields (IDs, keywords) are filters, never BM25-scored.
        self._with_arrays = (bool(getattr(fieldobj, "scorable", False))
                             and fieldname not in getattr(self._codec, "without", ()))
        self._prefix = fieldname.encode("utf-8") + b"\0"

    def start_term(self, btext):
        super().start_term(btext)
        if self._with_arrays:
            self._ids = array("I")
            self._weights = array("f")

    def add(self, docnum, weight, vbytes, length):
        super().add(docnum, weight, vbytes, length)
        if self._with_arrays:
            self._ids.append(docnum)
            self._weights.append(weight)

    def finish_term(self):
        super().finish_term()
        if self._with_arrays:
            self._keys.append(self._prefix + self._btext)
            self._starts.append(self._tpa_pos)
            self._counts.append(len(self._ids))
            self._tpa.write(self._ids.tobytes())
            self._tpa.write(self._weights.tobytes())
            self._tpa_pos += 8 * len(self._ids)

    def close(self):
        keys, starts, counts = self._keys, self._starts, self._counts
        if any(keys[i] > keys[i + 1] for i in range(len(keys) - 1)):
            order = sorted(range(len(keys)), key=keys.__getitem__)
            keys = [keys[i] for i in order]
            starts = array("Q", (starts[i] for i in order))
            counts = array("I", (counts[i] for i in order))
        f, pos = self._tpa, self._tpa_pos
        blob = b"".join(keys)
        blob_at = pos
        f.write(blob)
        pos += len(blob)
        pad = -pos % 8
        f.write(b"\0" * pad)
        pos += pad
        key_offsets = np.zeros(len(keys) + 1, dtype="<u8")
        np.cumsum([len(k) for k in keys], out=key_offsets[1:])
        key_offsets_at = pos
        f.write(key_offsets.tobytes())
        pos += key_offsets.nbytes
        starts_at = pos
        f.write(np.asarray(starts, dtype="<u8").tobytes())
        pos += 8 * len(starts)
        counts_at = pos
        f.write(np.asarray(counts, dtype="<u4").tobytes())
        f.write(_FOOTER.pack(MAGIC, len(keys), blob_at, key_offsets_at, starts_at, counts_at))
        f.close()
        self._keys = []
        super().close()


class _Keys:
    """The sorted keys of a ``.tpa`` file as a sequence ``bisect`` can search."""

    def __init__(self, buf, offsets):
        self._buf, self._offsets = buf, offsets

    def __len__(self):
        return len(self._offsets) - 1

    def __getitem__(self, i):
        return bytes(self._buf[int(self._offsets[i]):int(self._offsets[i + 1])])


class PostingArrays:
    """The posting arrays of one segment, read from a memory view of its ``.tpa`` file."""

    def __init__(self, buf: memoryview, keep=None):
        self._keep = keep  # the mmap behind ``buf``, when this object made it
        if len(buf) < len(_HEADER) + _FOOTER.size or bytes(buf[:8]) != MAGIC:
            raise ValueError("not a posting-array file")
        magic, n, blob_at, key_offsets_at, starts_at, counts_at = _FOOTER.unpack(
            buf[len(buf) - _FOOTER.size:])
        if magic != MAGIC:
            raise ValueError("posting-array file without its footer (truncated?)")
        if not (len(_HEADER) <= blob_at <= key_offsets_at
                and key_offsets_at + 8 * (n + 1) == starts_at
                and starts_at + 8 * n == counts_at
                and counts_at + 4 * n + _FOOTER.size == len(buf)):
            raise ValueError("posting-array footer does not match the file (damaged file?)")
        self._buf = buf
        key_offsets = np.frombuffer(buf, dtype="<u8", count=n + 1, offset=key_offsets_at)
        self._keys = _Keys(buf[blob_at:key_offsets_at], key_offsets)
        self._starts = np.frombuffer(buf, dtype="<u8", count=n, offset=starts_at)
        self._counts = np.frombuffer(buf, dtype="<u4", count=n, offset=counts_at)
        # The tables must fit the file (a damaged one must not send reads elsewhere).
        ends = self._starts + 8 * self._counts.astype(np.uint64)
        if n and (key_offsets[0] != 0 or key_offsets[-1] > key_offsets_at - blob_at
                  or np.any(np.diff(key_offsets.astype(np.int64)) <= 0)
                  or self._starts.min() < len(_HEADER) or ends.max() > blob_at):
            raise ValueError("posting-array tables out of bounds (damaged file?)")

    def __len__(self):
        return len(self._keys)

    def get(self, fieldname: str, btext: bytes):
        """(doc numbers uint32, weights float32) of a term as read-only views, or None."""
        key = term_key(fieldname, btext)
        keys = self._keys
        i = bisect.bisect_left(keys, key)
        if i == len(keys) or keys[i] != key:
            return None
        start, count = int(self._starts[i]), int(self._counts[i])
        ids = np.frombuffer(self._buf, dtype="<u4", count=count, offset=start)
        weights = np.frombuffer(self._buf, dtype="<f4", count=count, offset=start + 4 * count)
        return ids, weights


def _open(storage, name: str) -> PostingArrays:
    f = storage.open_file(name)
    if isinstance(f, BufferFile):  # a part of a memory-mapped compound file
        return PostingArrays(f._buf)
    try:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    finally:
        f.close()
    return PostingArrays(memoryview(mapped), keep=mapped)


_ABSENT = object()
_TOLD: set = set()  # segments without arrays already named in the log (once per process)


def for_reader(reader) -> PostingArrays | None:
    """The posting arrays of a Whoosh segment reader; None for a segment without them."""
    cached = reader.__dict__.get("_tolk_arrays", _ABSENT)
    if cached is not _ABSENT:
        return cached
    arrays = None
    segment = getattr(reader, "_segment", None)
    storage = getattr(reader, "_storage", None)
    if segment is not None and storage is not None:
        name = segment.make_filename(EXT)
        if storage.file_exists(name):
            try:
                arrays = _open(storage, name)
            except (ValueError, OSError) as exc:
                # Whoosh's blocks hold the same postings: search on, a little slower.
                log.warning("posting arrays of segment %s unreadable (%s); decoding its "
                            "postings instead", segment.segment_id(), exc)
        elif segment.segment_id() not in _TOLD:
            _TOLD.add(segment.segment_id())
            log.info("segment %s was written before posting arrays: its postings are decoded "
                     "on each search (slower); `tolk reindex` rewrites the index with them",
                     segment.segment_id())
    reader.__dict__["_tolk_arrays"] = arrays
    return arrays


def _length_table() -> np.ndarray:
    from whoosh.util.numeric import byte_to_length

    # A zero byte (no length recorded) reads as 1, as ``doc_field_length(...) or 1`` does.
    return np.array([1.0] + [byte_to_length(b) or 1 for b in range(1, 256)], dtype=np.float64)


_LENGTHS = _length_table()


def field_lengths(reader, fieldname: str, size: int) -> np.ndarray:
    """Every document's length in a field (float64), as ``doc_field_length(i, f, 1) or 1``.

    Whoosh keeps one length byte per document in a fixed-width column; the
    column is read as one array and mapped through the byte-to-length table.
    A reader of another kind is asked document by document.
    """
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield

    perdoc = getattr(reader, "_perdoc", None)
    if not hasattr(perdoc, "_cached_reader"):
        return np.fromiter((reader.doc_field_length(i, fieldname, 1) or 1 for i in range(size)),
                           dtype=np.float64, count=size)
    column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
    raw = np.zeros(size, dtype=np.uint8)  # bytes past the column's end: no length recorded
    count = min(column._count, size) if column is not None else 0
    if count:
        raw[:count] = np.frombuffer(column._dbfile.get(column._basepos, count), dtype=np.uint8)
    return _LENGTHS[raw]
