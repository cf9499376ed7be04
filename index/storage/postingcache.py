"""A per-process cache of decoded posting lists and field lengths, per index segment.

Decoding a term's postings (zlib + pickle per block, in Whoosh) is most of the
cost of a word query once scoring is vectorized. A segment's postings and
field lengths never change after it is written (deletions are kept apart and
applied by ``index.scoring.vectorscore``), and a segment's name is random and unique,
so decoded arrays are keyed by (index folder, segment id, field, term): they
stay valid across searcher reopens and writes that keep the segment, and a
segment written later has another id. Bounded by bytes, least recently used
dropped first. The bound is 64 MB until :func:`configure` sets another
(the service does, from ``TOLK_POSTING_CACHE_MB``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

DEFAULT_MB = 64


class ArrayCache:
    """A thread-safe LRU of tuples of NumPy arrays, bounded by their total size in bytes."""

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0  # lookups answered from the cache / computed (for metrics)
        self.misses = 0

    def get_or_compute(self, key, compute):
        """The arrays under ``key``; ``compute()`` them on a miss (not under the lock)."""
        if key is None or self.max_bytes <= 0:
            return compute()
        value = self.get(key)
        if value is not None:
            return value
        with self._lock:
            self.misses += 1
        value = compute()
        for array in value:
            array.flags.writeable = False  # shared between requests and threads
        size = sum(a.nbytes for a in value)
        if size > self.max_bytes // 4:
            return value  # one huge list would push out everything else
        with self._lock:
            if key not in self._data:
                self._data[key] = value
                self.bytes += size
            while self.bytes > self.max_bytes and self._data:
                _, old = self._data.popitem(last=False)
                self.bytes -= sum(a.nbytes for a in old)
        return value

    def get(self, key):
        """The arrays under ``key`` if cached (counted as a hit), else None."""
        if key is None or self.max_bytes <= 0:
            return None
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
                self.hits += 1
            return value

    def resize(self, max_bytes: int) -> None:
        """Set the bound (0 turns the cache off), dropping what no longer fits."""
        with self._lock:
            self.max_bytes = max(0, max_bytes)
            while self.bytes > self.max_bytes and self._data:
                _, old = self._data.popitem(last=False)
                self.bytes -= sum(a.nbytes for a in old)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._data.clear()
            self.bytes = 0


CACHE = ArrayCache(DEFAULT_MB * 2**20)


def configure(max_mb: float) -> None:
    """Bound this process's posting cache to ``max_mb`` megabytes (0: no cache)."""
    CACHE.resize(int(max_mb * 2**20))


def index_folder(searcher) -> str | None:
    """The folder of the Whoosh index a top-level searcher reads, or None if unknown."""
    return getattr(getattr(getattr(searcher, "_ix", None), "storage", None), "folder", None)


def segment_key(folder: str | None, reader) -> tuple | None:
    """The identity of a segment reader's segment, or None if it cannot be told."""
    segment = getattr(reader, "_segment", None)
    if folder is None or segment is None or not hasattr(segment, "segment_id"):
        return None
    return (folder, segment.segment_id())
