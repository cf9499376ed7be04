"""Checksums of a generation's files, recorded in the commit point when it is published.

Whoosh never checks what it reads back, so a truncated or bit-flipped file was
found (if at all) by a search failing. ``publish`` therefore records every file
the commit point needs (the TOCs and segment files it names, ``meta.json``,
``lexicon.json``, ...) with its size, mtime and SHA-256 in ``commit.json``, in
the same atomic write as the TOC numbers, so the list always matches the point.

Cost stays small: Whoosh segments are written once and never changed, so an
entry whose file still has the recorded size and mtime is reused and only new
or rewritten files are hashed (a one-document write hashes its new segment
and ``meta.json``). Two levels of checking use the list:

* ``quick_problems`` (every open, every write): the immutable Whoosh files
  exist and have the recorded size -- a stat per file, catches truncation;
* ``deep_problems`` (``tolk check``): every file is hashed again -- catches a
  flipped bit and names the file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

from index.analysis import LANGUAGES

HASH = "sha256"
CHUNK = 1 << 20
# Not part of what a commit point needs: the point itself, locks, temporary files.
_SKIPPED_SUFFIXES = (".tmp", "WRITELOCK", ".lock")
COMMIT_NAME = "commit.json"


def file_digest(path: Path) -> str:
    h = hashlib.new(HASH)
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def referenced_files(generation: Path, point: dict, index_name: str) -> list[str]:
    """Paths (relative to ``generation``) of every file the commit point ``point`` needs.

    Per language: the TOC file at the point and the files of its segments (the
    same rule as Whoosh's ``clean_files``); at the top: every regular file but
    ``commit.json`` and temporary or lock files.
    """
    names = []
    for lang in LANGUAGES:
        storage = FileStorage(str(generation / lang))
        toc = TOC.read(storage, index_name, point[lang])
        segment_ids = {s.segment_id() for s in toc.segments}
        segpattern = TOC._segment_pattern(index_name)
        names.append(f"{lang}/{TOC._filename(index_name, point[lang])}")
        for name in sorted(os.listdir(generation / lang)):
            m = segpattern.match(name)
            if m and m.group(1) in segment_ids and not name.endswith(_SKIPPED_SUFFIXES):
                names.append(f"{lang}/{name}")
    for entry in sorted(os.scandir(generation), key=lambda e: e.name):
        if (entry.is_file(follow_symlinks=False) and entry.name != COMMIT_NAME
                and not entry.name.endswith(_SKIPPED_SUFFIXES)):
            names.append(entry.name)
    return names


def build_manifest(generation: Path, names: list[str], previous: dict | None) -> dict:
    """``{path: {size, mtime_ns, sha256}}``; entries of unchanged files are reused.

    "Unchanged" is the same size and mtime as recorded: a file Tolk rewrote has a
    new mtime and is hashed again. A file that rotted in place keeps its recorded
    (correct) checksum, so ``tolk check`` still finds it.
    """
    previous = previous or {}
    manifest = {}
    for name in names:
        st = os.stat(generation / name)
        old = previous.get(name)
        if old and old.get("size") == st.st_size and old.get("mtime_ns") == st.st_mtime_ns:
            manifest[name] = old
        else:
            manifest[name] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns,
                              HASH: file_digest(generation / name)}
    return manifest


def _is_whoosh_file(name: str) -> bool:
    return "/" in name  # inside a language folder: written once, never changed


def quick_problems(generation: Path, manifest: dict | None) -> list[str]:
    """Missing or truncated files, by a stat each (no reading); [] when fine.

    Only the immutable Whoosh files are held to their recorded size here; the
    JSON files at the top (meta, lexicon) are rewritten in place by writes and
    are checked by parsing them (see ``index.storage.health``).
    """
    problems = []
    for name, entry in (manifest or {}).items():
        path = generation / name
        try:
            size = os.stat(path).st_size
        except FileNotFoundError:
            problems.append(f"{name} is missing")
            continue
        if _is_whoosh_file(name) and size != entry["size"]:
            problems.append(f"{name} has {size} bytes, {entry['size']} were written "
                            "(truncated or overwritten)")
    return problems


def deep_problems(generation: Path, manifest: dict | None) -> list[str]:
    """Every recorded file hashed again: missing, truncated and changed files; [] when fine.

    A top-level JSON file with a new mtime was rewritten by Tolk after the
    last commit point (a write that failed before publishing): not counted.
    """
    problems = []
    for name, entry in (manifest or {}).items():
        path = generation / name
        try:
            st = os.stat(path)
        except FileNotFoundError:
            problems.append(f"{name} is missing")
            continue
        if not _is_whoosh_file(name) and st.st_mtime_ns != entry["mtime_ns"]:
            continue
        if st.st_size != entry["size"]:
            problems.append(f"{name} has {st.st_size} bytes, {entry['size']} were written "
                            "(truncated or overwritten)")
        elif file_digest(path) != entry[HASH]:
            problems.append(f"{name} does not match its {HASH} checksum (changed on disk: "
                            "a flipped bit or an overwrite)")
    return problems
