"""fsync of a file or a folder, and a durable file write, for every writer of an index
generation.

A rename is durable only once the folder holding the name is fsynced, so the storage
layer (commit points, generations) and the vector store both need this. It lives outside
both packages because ``index.storage`` imports the vector store: neither may import the
other for it.
"""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> None:
    """fsync a file, or a folder (the names in it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_durably(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a temp file, fsynced, renamed over it (the
    caller fsyncs the folder once for all the names it wrote). The temp name carries the
    process id, so two processes writing the same file (a cache written by the serving
    master and by ``tolk index``) never write into one temp file; the last rename wins whole."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
