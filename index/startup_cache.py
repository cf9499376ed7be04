"""Start-up tables kept on disk between runs: the FreeDict word lists and the language model.

Why: every ``tolk serve`` (its gunicorn master's preload) and every ``tolk index`` run
parsed the two FreeDict dictionaries for the language-detection word lists (~0.35 s)
and decompressed py3langid's LZMA model (~0.8 s of its 1.1 s load) before the first
answer, though neither source changes between runs. The result is kept in the index's
cache folder (``INDEX_DIR/cache``, beside the static lexicon), one file per table,
named by a key of everything it comes from (the source files' path, size and mtime,
the library version, this code's version): a changed source gets a new name, and the
old file is pruned.

A cache file is a header line (magic, key, payload length, SHA-256 of the payload)
and the payload, written durably (temp file, fsync, rename). It is read back only
when every part of the header matches; a missing, truncated, damaged or stale file
is ignored (and written again), never trusted, never an error. Without a configured
folder (tests, library use) nothing is cached and everything is built as before.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import Callable

from index.fsync import write_durably

log = logging.getLogger(__name__)

# Bump when what a table's payload means changes without its sources changing.
FORMAT = 1
MAGIC = b"TOLKCACHE"
KEEP = 2  # files per table kept (the newest): another process may still read the old one

_folder: list = [None]
_lock = threading.Lock()


def configure(folder) -> None:
    """Where the cache files go (``INDEX_DIR/cache``); None: no caching."""
    _folder[0] = Path(folder) if folder else None


def folder() -> Path | None:
    return _folder[0]


def file_stamp(path) -> list:
    """A source file's identity: path, size and mtime (None when it is missing)."""
    path = Path(path)
    try:
        st = path.stat()
    except OSError:
        return [str(path), None, None]
    return [str(path.resolve()), st.st_size, st.st_mtime_ns]


def key_of(*parts) -> str:
    """A short hash of ``parts`` (stamps, versions) and this module's format version."""
    return hashlib.sha256(repr((FORMAT, parts)).encode()).hexdigest()[:20]


def _header(key: str, payload) -> bytes:
    return b"%s %s %d %s\n" % (MAGIC, key.encode(), len(payload),
                               hashlib.sha256(payload).hexdigest().encode())


def read(table: str, key: str, cache_dir: Path | None = None) -> memoryview | None:
    """The payload of ``table`` cached under ``key`` (a view of the file's bytes), or None
    when it is missing, damaged (truncated, changed) or stale (another key)."""
    cache_dir = cache_dir or folder()
    if cache_dir is None:
        return None
    path = Path(cache_dir) / f"{table}-{key}.bin"
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    end = raw.find(b"\n", 0, 200)  # the header is short; a view spares a copy of the rest
    payload = memoryview(raw)[end + 1:]
    if end < 0 or _header(key, payload) != raw[:end + 1]:
        log.warning("start-up cache %s is damaged or stale; building it again", path)
        return None
    return payload


def write(table: str, key: str, payload: bytes, cache_dir: Path | None = None) -> Path | None:
    """Store ``payload`` durably; None (and a warning) when it cannot be written."""
    cache_dir = cache_dir or folder()
    if cache_dir is None:
        return None
    cache_dir = Path(cache_dir)
    path = cache_dir / f"{table}-{key}.bin"
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        with _lock:
            write_durably(path, _header(key, payload) + payload)
    except OSError as exc:  # full disk, read-only folder: the next start builds it again
        log.warning("start-up cache %s not written: %s", path, exc)
        return None
    _prune(cache_dir, table, keep=path)
    return path


def cached(table: str, key: str, build: Callable[[], bytes],
           cache_dir: Path | None = None) -> bytes | memoryview:
    """The cached payload, or ``build()``'s (then stored for the next start)."""
    payload = read(table, key, cache_dir)
    if payload is None:
        payload = build()
        write(table, key, payload, cache_dir)
    return payload


def _prune(cache_dir: Path, table: str, keep: Path) -> None:
    try:
        files = sorted(cache_dir.glob(f"{table}-*.bin"), key=lambda p: p.stat().st_mtime_ns,
                       reverse=True)
    except OSError:
        return
    for old in [p for p in files if p != keep][KEEP - 1:]:
        try:
            old.unlink()
        except OSError:
            pass
