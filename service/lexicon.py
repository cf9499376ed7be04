"""Bind the engine's cross-link lexicon to the settings (sources' locations).

``load_lexicon`` keeps the last lexicon it loaded, keyed by the identity (inode,
size, mtime) of the three files it is made of: the gunicorn master loads the
current one before forking (``service/preload.py``), so a worker's reader finds
it loaded and shared instead of parsing its own copy; and the reader's two loads
at open (the open-time check and the first search) parse the files once.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from index.storage.generations import LEXICON_CORPUS_FILE, USER_LINKS_FILE

CACHE_FOLDER = "cache"  # in the index directory: the static lexicon per source version


def lexicon_builder(settings: dict):
    """The store's lexicon builder for the configured sources.

    The static part is cached in ``INDEX_DIR/cache`` (see
    ``index.crosslink.static_cache``), so only the first build pays for FreeDict.
    """
    from index.crosslink.builder import IncrementalBuilder

    index_dir = settings.get("INDEX_DIR")
    return IncrementalBuilder(freedict_dir=settings.get("FREEDICT_DIR") or None,
                              parallel_dir=settings.get("PARALLEL_DIR") or None,
                              cache_dir=Path(index_dir) / CACHE_FOLDER if index_dir else None)


_last: list = [None, None, None]  # (key, lexicon, pid of the process that read it)
_last_lock = threading.Lock()


def _identity(path: Path):
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def load_lexicon(path: Path):
    """Load a generation's lexicon: ``path`` (static part) joined with its corpus part,
    with the users' edits (``index.crosslink.user_links``) laid over both.

    The same files (by inode, size and mtime) give the same lexicon object without
    reading them again; it is only read, never changed, by its users.
    """
    path = Path(path)
    key = (str(path.resolve()), _identity(path), _identity(path.with_name(LEXICON_CORPUS_FILE)),
           _identity(path.with_name(USER_LINKS_FILE)))
    with _last_lock:
        if _last[0] == key:
            return _last[1]
    lexicon = _load(path)
    with _last_lock:
        _last[:] = [key, lexicon, os.getpid()]
    return lexicon


def loaded_in() -> int | None:
    """The process id that read the last lexicon (a worker's parent when preloaded)."""
    return _last[2]


def _load(path: Path):
    from index.crosslink import corpus_part, user_links

    lexicon = corpus_part.load(path, path.with_name(LEXICON_CORPUS_FILE))
    try:
        edits = user_links.read_edits(path.with_name(USER_LINKS_FILE))
    except (ValueError, UnicodeDecodeError) as exc:  # the open-time checks report it
        raise ValueError(f"{USER_LINKS_FILE} (the users' cross-link edits) is unreadable: "
                         f"{exc}") from None
    return user_links.apply(lexicon, edits)
