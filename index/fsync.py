"""fsync of a file or a folder, for every writer of an index generation.

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
