"""Commit point: both languages switch together, durably.

Commit point (``generations/g-.../commit.json``: the Whoosh TOC generation of
each language). Whoosh commits one index at a time and never fsyncs, so a
batch spanning both languages was visible half-way between the two commits,
and a crash could leave one language committed and the other not. A write
therefore goes in two phases:

1. each language's Whoosh writer commits a new TOC but keeps the files of the
   previous one (``PendingWriter`` in ``index.writers``: Whoosh's cleanup is deferred);
2. ``publish`` fsyncs the index files and their directories, replaces
   ``commit.json`` atomically (write, fsync, ``rename(2)``, fsync directory),
   and only then removes the files no longer referenced.

Readers open exactly the TOCs named in ``commit.json``, so they see a whole
batch or none of it. A write returns (is acknowledged) only after step 2, so
an acknowledged document survives ``kill -9`` and power loss. The next writer
first removes TOCs beyond the commit point (what a killed writer left), so a
half-written batch is neither served nor built upon.
"""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

import whoosh.codec.base
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, clean_files
from whoosh.searching import Searcher

from index.analysis import LANGUAGES
from index.storage.errors import StoreError
from index.storage.generations import LEXICON_FILE, fsync_path, write_json

COMMIT_FILE = "commit.json"
WHOOSH_INDEX_NAME = "MAIN"  # Whoosh's default index name inside each language folder


def _segment_name(size: int = 28) -> str:
    """Whoosh's ``random_name`` for segment ids, from the OS instead of the global ``random``.

    Whoosh draws segment ids from the module-level ``random``; anything that seeds
    it (Hypothesis does, per example) makes two writers pick the same id and the
    second commit fail on ``create_compound_file``'s assertion.
    """
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(size))


whoosh.codec.base.random_name = _segment_name


def read_commit_point(generation: Path) -> dict | None:
    """The published Whoosh TOC generation per language, or None (index without one)."""
    try:
        data = json.loads((generation / COMMIT_FILE).read_text("utf-8"))
    except FileNotFoundError:
        return None
    except ValueError as exc:  # not with the atomic write; if it ever happens, say what to do
        raise StoreError(f"{generation / COMMIT_FILE} is unreadable ({exc}); rebuild the index "
                         "with `tolk index --rebuild`") from None
    return {lang: int(data["toc"][lang]) for lang in LANGUAGES}


_TOC_RE = TOC._pattern(WHOOSH_INDEX_NAME)  # _MAIN_<n>.toc
_TEMP_TOC_RE = re.compile(rf"^_{WHOOSH_INDEX_NAME}_[0-9]+\.toc\..+$")  # before its rename


def roll_back_to_commit_point(generation: Path) -> None:
    """Forget what a killed writer committed beyond ``commit.json`` (write lock held).

    Whoosh opens the highest TOC, so TOCs beyond the commit point (a batch that
    was never acknowledged) are removed, and so are temporary TOC files; their
    segment files are unreferenced and go at the next ``publish``. An index
    without a commit point (built before there was one) gets one for its
    latest state.
    """
    point = read_commit_point(generation)
    if point is None:
        latest = {}
        for lang in LANGUAGES:
            tocs = [int(m.group(1)) for m in map(_TOC_RE.match, os.listdir(generation / lang))
                    if m]
            latest[lang] = max(tocs, default=0)
        write_json(generation / COMMIT_FILE, {"toc": latest})
        return
    for lang in LANGUAGES:
        folder = generation / lang
        removed = False
        for name in os.listdir(folder):
            m = _TOC_RE.match(name)
            if (m and int(m.group(1)) > point[lang]) or _TEMP_TOC_RE.match(name):
                os.remove(folder / name)
                removed = True
        if removed:
            fsync_path(folder)


def publish(generation: Path, tocs: dict) -> None:
    """Make the committed TOCs durable, name them in ``commit.json``, then clean up.

    ``tocs``: the new TOC generation per language written by ``PendingWriter``s.
    """
    point = {**(read_commit_point(generation) or {}), **tocs}
    for lang in LANGUAGES:
        folder = generation / lang
        for name in os.listdir(folder):
            if not name.endswith("WRITELOCK") and (folder / name).is_file():
                fsync_path(folder / name)  # files synced before have nothing dirty: cheap
        fsync_path(folder)
    lexicon = generation / LEXICON_FILE  # saved by index.crosslink without an fsync
    if lexicon.exists():
        fsync_path(lexicon)
    write_json(generation / COMMIT_FILE, {"toc": point})
    # Only now may the previous TOCs and their segments go. A reader that read the
    # old commit point a moment ago and misses a file retries (IndexReader.searchers).
    for lang in LANGUAGES:
        storage = FileStorage(str(generation / lang))
        toc = TOC.read(storage, WHOOSH_INDEX_NAME, point[lang])
        clean_files(storage, WHOOSH_INDEX_NAME, point[lang], toc.segments)


def open_searcher(ix, toc_generation: int) -> Searcher:
    """A searcher on exactly this TOC generation of ``ix`` (not the latest)."""
    toc = TOC.read(ix.storage, ix.indexname, toc_generation)
    reader = FileIndex._reader(ix.storage, toc.schema, toc.segments, toc.generation)
    return Searcher(reader, fromindex=ix)
