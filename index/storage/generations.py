"""Generations: whole index directories, of which ``current`` names the one in use.

A rebuild writes a new generation beside the old one and switches the ``current``
symlink with ``rename(2)``, so readers always see one complete generation and a
crash mid-build leaves the previous one in use. The generation it replaced stays
on disk as ``previous`` (when it was healthy), so a reader that cannot open the
current one has a good one to fall back to; older ones are removed. JSON files
in a generation are replaced atomically and durably (write, fsync, rename, fsync
directory); a failed write removes its temporary file.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from pathlib import Path

from index.fsync import fsync_path, write_durably

CURRENT = "current"
PREVIOUS = "previous"
GENERATIONS = "generations"
META_FILE = "meta.json"
LEXICON_FILE = "lexicon.json"
LEXICON_CORPUS_FILE = "lexicon-corpus.json"  # the corpus part, updated by each write
USER_LINKS_FILE = "crosslinks-user.json"  # cross-links users added, reweighted or blocked


def linked_generation(root: Path, name: str = CURRENT) -> Path | None:
    """The generation directory the link ``name`` points to (maybe dangling), or None."""
    try:
        target = os.readlink(root / name)
    except OSError:  # no link (or not a link)
        return None
    return (root / target).resolve()


def current_generation(root: Path) -> Path | None:
    """The generation directory ``current`` points to, or None."""
    return linked_generation(root, CURRENT)


def all_generations(root: Path) -> list[Path]:
    """Every generation directory, newest first (names start with their UTC time)."""
    try:
        names = [e.name for e in os.scandir(root / GENERATIONS) if e.is_dir()]
    except FileNotFoundError:
        return []
    return [(root / GENERATIONS / n).resolve() for n in sorted(names, reverse=True)]


def new_generation(root: Path) -> Path:
    now = time.time()  # microseconds in the name: generations sort by age, even within a second
    name = (time.strftime("g-%Y%m%dT%H%M%S", time.gmtime(now))
            + f".{int(now * 1e6) % 1_000_000:06d}-{uuid.uuid4().hex[:8]}")
    path = root / GENERATIONS / name
    path.mkdir(parents=True)
    return path


def set_link(root: Path, name: str, generation: Path) -> None:
    """Point the link ``name`` at ``generation`` atomically (a new link renamed over it)."""
    tmp = root / f".{name}-{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(generation, root), tmp)
    try:
        os.replace(tmp, root / name)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def switch_current(root: Path, generation: Path, keep_previous: bool = True) -> None:
    """Make ``generation`` current; the one it replaces becomes ``previous``.

    ``keep_previous=False`` (the replaced one is damaged) leaves ``previous`` as it is.
    """
    fsync_path(generation.parent)  # the new generation's own directory entry first
    old = current_generation(root)
    if keep_previous and old is not None and old.is_dir() and old != generation.resolve():
        set_link(root, PREVIOUS, old)
    set_link(root, CURRENT, generation)
    fsync_path(root)


def remove_old_generations(root: Path, keep: Path) -> None:
    """Remove every generation but ``keep`` (the new current) and ``previous``."""
    kept = {keep.resolve()}
    previous = linked_generation(root, PREVIOUS)
    if previous is not None:
        kept.add(previous)
    for path in (root / GENERATIONS).iterdir():
        if path.resolve() not in kept:
            shutil.rmtree(path, ignore_errors=True)
    if previous is not None and not previous.is_dir():
        (root / PREVIOUS).unlink(missing_ok=True)


def remove_temporary(folder: Path) -> bool:
    """Remove temporary files and folders (``*.tmp``) in ``folder``; True if any went."""
    removed = False
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return False
    for entry in entries:
        if not entry.name.endswith(".tmp"):
            continue
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, ignore_errors=True)
        else:
            try:
                os.remove(entry.path)
            except FileNotFoundError:
                pass
        removed = True
    return removed


def read_meta(generation: Path) -> dict:
    try:
        return json.loads((generation / META_FILE).read_text("utf-8"))
    except FileNotFoundError:
        return {}


def write_json(path: Path, data) -> None:
    """Replace ``path`` atomically and durably (fsync file, rename, fsync directory).

    On any error (a full disk) the temporary file is removed and ``path`` is untouched.
    """
    # C encoder; json.dump to a file is pure Python
    write_durably(path, json.dumps(data, ensure_ascii=False).encode("utf-8"))
    fsync_path(path.parent)
