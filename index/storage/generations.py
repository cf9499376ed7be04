"""Generations: whole index directories, of which ``current`` names the one in use.

A rebuild writes a new generation beside the old one and switches the ``current``
symlink with ``rename(2)``, so readers always see one complete generation and a
crash mid-build leaves the previous one in use. JSON files in a generation are
replaced atomically and durably (write, fsync, rename, fsync directory).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

CURRENT = "current"
GENERATIONS = "generations"
META_FILE = "meta.json"
LEXICON_FILE = "lexicon.json"
LEXICON_CORPUS_FILE = "lexicon-corpus.json"  # the corpus part, updated by each write


def current_generation(root: Path) -> Path | None:
    """The generation directory ``current`` points to, or None."""
    link = root / CURRENT
    try:
        target = os.readlink(link)
    except FileNotFoundError:
        return None
    except OSError:
        return None
    return (root / target).resolve()


def new_generation(root: Path) -> Path:
    name = time.strftime("g-%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:8]
    path = root / GENERATIONS / name
    path.mkdir(parents=True)
    return path


def fsync_path(path: Path) -> None:
    """fsync a file or a directory (a directory: the names in it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch_current(root: Path, generation: Path) -> None:
    fsync_path(generation.parent)  # the new generation's own directory entry first
    tmp = root / f".current-{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(generation, root), tmp)
    os.replace(tmp, root / CURRENT)
    fsync_path(root)


def remove_old_generations(root: Path, keep: Path) -> None:
    for path in (root / GENERATIONS).iterdir():
        if path.resolve() != keep.resolve():
            shutil.rmtree(path, ignore_errors=True)


def read_meta(generation: Path) -> dict:
    try:
        return json.loads((generation / META_FILE).read_text("utf-8"))
    except FileNotFoundError:
        return {}


def write_json(path: Path, data) -> None:
    """Replace ``path`` atomically and durably (fsync file, rename, fsync directory)."""
    tmp = path.with_name(path.name + ".tmp")
    text = json.dumps(data, ensure_ascii=False)  # C encoder; json.dump to a file is pure Python
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_path(path.parent)
