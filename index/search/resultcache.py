"""A bounded per-process cache of search results, keyed by request and index state.

The key holds the normalized request and the identity of what was searched:
per language the index folder (unique per generation) and the Whoosh TOC
generation of the searcher that ran, plus the cross-link lexicon object
(reloaded, and so replaced, when its file changes). Every write publishes a
new TOC generation and every rebuild a new folder, so a write by any process
changes the key at once: a cached result is never served for another index
state. A reader's cache holds 512 entries unless :func:`configure` gives it
another size (the service does, from ``TOLK_RESULT_CACHE``; 0 turns it off).
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import astuple

from index.storage.postingcache import index_folder

DEFAULT_ENTRIES = 512


class ResultCache:
    """A thread-safe LRU mapping of keys to results; ``get`` returns a copy."""

    def __init__(self, entries: int = DEFAULT_ENTRIES):
        self.entries = entries
        self._data: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key):
        """A deep copy of the result stored under ``key``, or None."""
        with self._lock:
            result = self._data.get(key)
            if result is None:
                self.misses += 1
                return None
            self._data.move_to_end(key)
            self.hits += 1
        return copy.deepcopy(result)

    def put(self, key, result: dict) -> None:
        """Store a deep copy of ``result``, dropping the least recently used beyond the bound."""
        if self.entries <= 0:
            return
        result = copy.deepcopy(result)
        with self._lock:
            self._data[key] = result
            self._data.move_to_end(key)
            while len(self._data) > self.entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry."""
        with self._lock:
            self._data.clear()


_create_lock = threading.Lock()


def configure(reader, entries: int) -> None:
    """Give an ``IndexReader`` a result cache of ``entries`` results (0: no cache)."""
    with _create_lock:
        reader.__dict__["_tolk_results"] = ResultCache(max(0, entries))


def cache_for(reader) -> ResultCache | None:
    """The result cache of an ``IndexReader`` (created on first use), or None if disabled."""
    cache = reader.__dict__.get("_tolk_results")
    if cache is None:
        with _create_lock:
            cache = reader.__dict__.get("_tolk_results")
            if cache is None:
                cache = reader.__dict__["_tolk_results"] = ResultCache()
    return cache if cache.entries > 0 else None


def index_state(searchers: dict, lexicon) -> tuple:
    """What a result depends on besides the request: searched commit per language, lexicon."""
    state = []
    for lang in sorted(searchers):
        searcher = searchers[lang]
        folder = index_folder(searcher)
        if folder is None:
            return None  # unknown origin: do not cache
        state.append((lang, folder, searcher.reader().generation()))
    return tuple(state), _Identity(lexicon)


class _Identity:
    """Compares and hashes by object identity, and keeps the object alive (no id reuse)."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self):
        return id(self.obj)

    def __eq__(self, other):
        return isinstance(other, _Identity) and other.obj is self.obj


def request_key(request) -> tuple:
    """The request as a hashable tuple (a dataclass of plain values)."""
    return astuple(request)
