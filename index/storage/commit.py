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
from contextlib import contextmanager
from pathlib import Path

import whoosh.codec.base
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, clean_files
from whoosh.searching import Searcher

from index.analysis import LANGUAGES
from index.storage.checksums import build_manifest, quick_problems, referenced_files
from index.storage.errors import CorruptIndexError
from index.storage.generations import (LEXICON_FILE, META_FILE, USER_LINKS_FILE,
                                       current_generation, fsync_path,
                                       remove_old_generations, remove_temporary, switch_current,
                                       write_json)
from index.storage.lock import write_lock
from index.vectors.store import remove_unreferenced, segment_files

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


def read_commit_file(generation: Path) -> dict | None:
    """``commit.json`` as ``{"toc": {lang: n}, "files": manifest}``, or None (no commit point).

    Raises ``CorruptIndexError`` when it exists but cannot be read.
    """
    try:
        data = json.loads((generation / COMMIT_FILE).read_text("utf-8"))
        toc = {lang: int(data["toc"][lang]) for lang in LANGUAGES}
        files = data.get("files")
        if files is not None and not isinstance(files, dict):
            raise ValueError("'files' is not an object")
    except FileNotFoundError:
        return None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        # Not with the atomic write; a damaged disk or a hand edit. Say what to do.
        raise CorruptIndexError(f"{generation / COMMIT_FILE} is unreadable ({exc}); run "
                                "`tolk check`, then restore the previous generation or "
                                "rebuild with `tolk index --rebuild`") from None
    return {"toc": toc, "files": files, "vectors": data.get("vectors")}


def read_commit_point(generation: Path) -> dict | None:
    """The published Whoosh TOC generation per language, or None (index without one)."""
    data = read_commit_file(generation)
    return data["toc"] if data else None


_TOC_RE = TOC._pattern(WHOOSH_INDEX_NAME)  # _MAIN_<n>.toc
_TEMP_TOC_RE = re.compile(rf"^_{WHOOSH_INDEX_NAME}_[0-9]+\.toc\..+$")  # before its rename


def writable_problem(generation: Path) -> str | None:
    """Why a write must not go into ``generation`` (None: it may); cheap enough for every write.

    Whoosh files the commit point names must exist with their recorded size; a
    top-level JSON file that differs from what the commit point recorded must
    still parse (a truncated ``lexicon.json`` beside a healthy Whoosh index
    would otherwise take writes that readers, who fall back, never serve).
    """
    if not generation.is_dir():
        return f"{generation.name} does not exist (a dangling link)"
    try:
        commit = read_commit_file(generation)
    except CorruptIndexError as exc:
        return str(exc)
    files = (commit or {}).get("files") or {}
    problems = quick_problems(generation, files)
    if problems:
        return "; ".join(problems[:3])
    for name in (META_FILE, LEXICON_FILE, USER_LINKS_FILE):
        entry = files.get(name)
        try:
            st = os.stat(generation / name)
        except FileNotFoundError:
            continue
        if entry and (st.st_size, st.st_mtime_ns) == (entry["size"], entry["mtime_ns"]):
            continue
        try:
            with open(generation / name, "rb") as fh:
                json.load(fh)
        except (ValueError, UnicodeDecodeError) as exc:
            return f"{name} is unreadable ({exc})"
    return None


def check_writable(generation: Path) -> None:
    """Raise ``CorruptIndexError`` (what to do included) if ``generation`` must not be written."""
    problem = writable_problem(generation)
    if problem:
        raise CorruptIndexError(
            f"the current index generation {generation.name} is damaged ({problem}); nothing "
            "was written. Run `tolk check` to see every problem, then rebuild with "
            "`tolk index --rebuild` (or `tolk check --restore-previous` to go back to the "
            "previous generation)")


@contextmanager
def locked_write(root: Path, timeout: float):
    """Hold the write lock; if the write fails, remove what it left in the current generation.

    The commit point is untouched by a failed write, so nothing of it was ever
    served; removing its files at once frees the space of a full disk.
    """
    with write_lock(root, timeout):
        try:
            yield
        except BaseException:
            generation = current_generation(root)
            if generation is not None and generation.is_dir():
                discard_unpublished(generation)
            raise


def switch_to(root: Path, generation: Path) -> None:
    """Make a published ``generation`` current; keep the replaced one as ``previous`` if healthy.

    Older generations are removed. A damaged replaced one is not kept: the
    previous healthy one stays ``previous``.
    """
    old = current_generation(root)
    healthy = old is not None and old.is_dir() and writable_problem(old) is None
    switch_current(root, generation, keep_previous=healthy)
    remove_old_generations(root, generation)


def roll_back_to_commit_point(generation: Path) -> None:
    """Forget what a killed or failed writer left beyond ``commit.json`` (write lock held).

    Whoosh opens the highest TOC, so TOCs beyond the commit point (a batch that
    was never acknowledged) are removed, and so are temporary TOC files,
    Whoosh's temporary folders and our ``*.tmp`` files, and segment files no
    TOC at the point names (half-written segments, e.g. of a write that met a
    full disk). An index without a commit point (built before there was one)
    gets one for its latest state. A damaged generation raises ``CorruptIndexError``
    and is left as it is.
    """
    check_writable(generation)
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
        removed |= remove_temporary(folder)
        storage = FileStorage(str(folder))
        try:
            toc = TOC.read(storage, WHOOSH_INDEX_NAME, point[lang])
        except Exception:  # noqa: BLE001 - a damaged TOC: keep every file for `tolk check`
            continue
        before = len(os.listdir(folder))
        clean_files(storage, WHOOSH_INDEX_NAME, point[lang], toc.segments)
        if removed or len(os.listdir(folder)) != before:
            fsync_path(folder)
    remove_temporary(generation)
    remove_unreferenced(generation, (read_commit_file(generation) or {}).get("vectors"))


def discard_unpublished(generation: Path) -> None:
    """After a failed write (write lock still held): remove what it wrote, best effort.

    The commit point is untouched, so readers never saw any of it; this frees
    the space (a full disk) at once instead of at the next write.
    """
    try:
        roll_back_to_commit_point(generation)
    except Exception:  # noqa: BLE001 - the next writer's roll-back tries again
        pass


_KEEP = object()


def publish(generation: Path, tocs: dict, vectors=_KEEP) -> None:
    """Make the committed TOCs durable, name them in ``commit.json``, then clean up.

    ``tocs``: the new TOC generation per language written by ``PendingWriter``s.
    ``vectors``: the new vector state (``index.vectors.store``; its segments are
    already durable), named in the same ``commit.json``; default: unchanged.
    """
    previous = read_commit_file(generation) or {}
    if vectors is _KEEP:
        vectors = previous.get("vectors")
    point = {**previous.get("toc", {}), **tocs}
    for lang in LANGUAGES:
        folder = generation / lang
        for name in os.listdir(folder):
            if not name.endswith("WRITELOCK") and (folder / name).is_file():
                fsync_path(folder / name)  # files synced before have nothing dirty: cheap
        fsync_path(folder)
    lexicon = generation / LEXICON_FILE  # saved by index.crosslink without an fsync
    if lexicon.exists():
        fsync_path(lexicon)
    manifest = build_manifest(generation, referenced_files(generation, point, WHOOSH_INDEX_NAME)
                              + segment_files(vectors), previous.get("files"))
    record = {"toc": point, "files": manifest}
    if vectors is not None:
        record["vectors"] = vectors
    write_json(generation / COMMIT_FILE, record)
    remove_unreferenced(generation, vectors)  # replaced segments: no reader of this point needs them
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
