"""Reading the current generation: one ``IndexReader`` per process, searchers per thread.

When the current generation fails the open-time checks (``index.storage.health``:
dangling link, bad ``commit.json``, truncated segment or TOC, unreadable lexicon),
the reader serves the newest generation that passes them (the ``previous`` one a
rebuild keeps) and says so in ``status()``: degraded, which generation, why. It
tries the current one again every ``RETRY_SECONDS`` and whenever ``current`` is
switched. With no usable generation it raises ``IndexUnavailableError`` (a 503),
so damage never becomes a 500 on every route.
"""

from __future__ import annotations

import heapq
import json
import os
import threading
import time
from pathlib import Path
from typing import Callable

from index.analysis import LANGUAGES
from index.storage.commit import COMMIT_FILE, open_searcher, read_commit_file, read_commit_point
from index.storage.errors import (AnalyzerMismatchError, CorruptIndexError, IndexMissingError,
                                   IndexOutdatedError, IndexUnavailableError)
from index.storage.generations import (CURRENT, LEXICON_CORPUS_FILE, LEXICON_FILE, PREVIOUS,
                                       USER_LINKS_FILE, all_generations, linked_generation,
                                       read_meta)
from index.storage.health import lexicon_key, open_generation
from index.vectors.stage import open_store

RETRY_SECONDS = 10.0
OPEN_ATTEMPTS = 3  # a failed open is tried again (a concurrent publish can remove files)


_RESOLVED: dict = {}  # (root, link target) -> the generation it names, resolved


def _current_generation(root: Path) -> Path | None:
    """``linked_generation(root, CURRENT)``, checked on every search: one ``readlink``;
    the resolved path of a target is remembered (a generation's name is never reused)."""
    try:
        target = os.readlink(root / CURRENT)
    except OSError:
        return None
    key = (root, target)
    found = _RESOLVED.get(key)
    if found is None:
        found = (root / target).resolve()
        if len(_RESOLVED) >= 1024:
            _RESOLVED.clear()
        _RESOLVED[key] = found
    return found


def _file_identity(path: Path) -> tuple | None:
    """Inode, mtime and size: a file replaced by rename is a new inode even when two
    replacements fall in the same clock tick with the same size (a reweight 0.5 -> 0.6)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class IndexReader:
    """Read access to the current generation, for one process.

    Indexes are opened once and reopened only when ``current`` switches to a
    new generation. Each thread gets its own Whoosh searchers, refreshed on
    every ``searchers()`` call so a write by another process is seen at once.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._generation: Path | None = None  # the generation served
        self._current: Path | None = None  # what ``current`` pointed to when it was opened
        self._reason: str | None = None  # why the current one is not served
        self._failure: Exception | None = None  # why no generation is served
        self._retry_at = 0.0
        self._indexes: dict = {}
        self._lexicon = None
        self._lexicon_key = None
        self._local = threading.local()
        self._lexicon_loader: Callable[[Path], object] | None = None
        self._point: tuple | None = None  # ((generation, commit.json identity), commit point)

    def set_lexicon_loader(self, loader: Callable[[Path], object]) -> None:
        self._lexicon_loader = loader

    def _stale(self, current: Path | None) -> bool:
        """Must the generation to serve be chosen again?"""
        if current != self._current:
            return True  # a rebuild switched `current` (or it is the first use)
        if self._generation is None and self._failure is None:
            return True  # given up after an error: check again
        return (self._reason is not None or self._failure is not None) \
            and time.monotonic() >= self._retry_at

    def _ensure_open(self) -> Path:
        current = _current_generation(self.root)
        if self._stale(current):
            with self._lock:
                if self._stale(current):
                    self._failure = None
                    try:
                        self._open(current)
                    except IndexUnavailableError as exc:
                        # Checked again after RETRY_SECONDS or a switch of `current`, not
                        # on every request: the checks read the lexicon.
                        self._failure = exc
                        self._retry_at = time.monotonic() + RETRY_SECONDS
                        raise
        if self._generation is None:
            raise self._failure or IndexMissingError(f"no index in {self.root}")
        return self._generation

    def _open(self, current: Path | None) -> None:
        """Open ``current`` or, if it fails its checks, the newest generation that passes."""
        if current is None and not all_generations(self.root):
            self._generation, self._current = None, None
            raise IndexMissingError(
                f"no index in {self.root}; build one with `tolk index --index-dir {self.root} PATH`"
            )
        for attempt in range(OPEN_ATTEMPTS):
            if self._open_first_good(current):
                return
            # Every candidate failed. A writer publishing at this moment removes the files
            # of the commit point it replaces (and a rebuild switches `current`), so what
            # was read a moment ago can be gone: look again before calling the index broken.
            # Real damage fails every attempt.
            if attempt + 1 < OPEN_ATTEMPTS:
                time.sleep(0.05 * (attempt + 1))
                current = linked_generation(self.root, CURRENT)
        self._raise_unavailable(current)

    def _open_first_good(self, current: Path | None) -> bool:
        """Open ``current`` or else the newest published generation that passes its checks;
        False (and the failures kept for the message) when none does."""
        candidates = [current] if current is not None else []
        previous = linked_generation(self.root, PREVIOUS)
        if previous is not None and previous not in candidates:
            candidates.append(previous)
        candidates += [g for g in all_generations(self.root) if g not in candidates]
        failures = []
        self._failures = failures
        self._outdated_only = True  # every failure so far: built with another analysis
        for generation in candidates:
            if generation != current and not (generation / "commit.json").exists():
                continue  # a rebuild in progress or an abandoned one, never published
            try:
                opened = open_generation(generation, self._lexicon_loader)
            except CorruptIndexError as exc:
                failures.append(f"{generation.name}: {exc}")
                if not isinstance(exc, AnalyzerMismatchError):
                    self._outdated_only = False
                continue
            self._indexes = opened.indexes
            self._lexicon, self._lexicon_key = opened.lexicon, (generation, opened.lexicon_key)
            self._generation, self._current = generation, current
            if generation == current:
                self._reason = None
            else:
                self._reason = (failures[0] if failures else
                                "there is no `current` link") + f"; serving {generation.name}"
                self._retry_at = time.monotonic() + RETRY_SECONDS
            return True
        return False

    def _raise_unavailable(self, current: Path | None) -> None:
        failures = self._failures
        self._generation, self._current, self._indexes, self._lexicon = None, current, {}, None
        self._reason = None
        if not failures:  # only unpublished generations: the first build is still running
            self._current = None
            raise IndexMissingError(
                f"no index in {self.root} yet; build one with `tolk index --index-dir "
                f"{self.root} PATH` (or wait for the build that is running)")
        if self._outdated_only:
            reason = failures[0].split(": ", 1)[-1]
            raise IndexOutdatedError(
                f"{reason}: run `tolk reindex --index-dir {self.root}` to analyze the stored "
                "documents again (the index is not served until then)")
        raise IndexUnavailableError(
            f"no index generation in {self.root} can be opened ("
            + "; ".join(failures) + "); run `tolk check --index-dir "
            f"{self.root}` and rebuild with `tolk index --rebuild --index-dir {self.root} PATH`")

    def _give_up_generation(self) -> None:
        """The served generation failed after it was opened: the next use checks it again."""
        with self._lock:
            self._generation = None

    def status(self) -> dict:
        """The generation served, whether it is not the current one (degraded) and why."""
        generation = self._ensure_open()
        current = linked_generation(self.root, CURRENT)
        return {"generation": generation.name,
                "current": current.name if current is not None else None,
                "degraded": self._reason is not None,
                "reason": self._reason}

    @property
    def generation(self) -> Path:
        return self._ensure_open()

    def searchers(self) -> dict:
        """This thread's searchers per language, on the published commit point.

        Both languages come from one ``commit.json`` (see the module docstring),
        so a batch is seen whole or not at all. A searcher is reopened, not
        ``refresh()``-ed, after a commit: Whoosh's refresh reuses segment readers
        by segment id, so it keeps serving documents deleted since and, after a
        merge, counts some twice. A file removed by a writer's cleanup between
        reading the commit point and opening it means a newer point is
        published: read it again.
        """
        if self._lexicon_loader is not None:
            self.lexicon()  # a lexicon damaged since the open: fall back before searching
        for attempt in range(50):
            generation = self._ensure_open()
            try:
                return self._searchers_at(generation, self._commit_point(generation))
            except FileNotFoundError:
                if attempt == 49:
                    raise
                time.sleep(0.002 * (attempt + 1))
            except Exception:  # noqa: BLE001 - damaged since it was opened?
                if attempt > 0:
                    raise
                self._give_up_generation()  # the checks run again and may fall back
        raise AssertionError("unreachable")

    def _commit_point(self, generation: Path) -> dict | None:
        """``read_commit_point``, read again only when ``commit.json`` is another file
        (a commit replaces it by rename: a new inode) or changed size or time."""
        identity = _file_identity(generation / COMMIT_FILE)
        key = (generation, identity)
        cached = self._point
        if identity is not None and cached is not None and cached[0] == key:
            return cached[1]
        point = read_commit_point(generation)
        self._point = (key, point)
        return point

    def _searchers_at(self, generation: Path, point: dict | None) -> dict:
        local = self._local
        searchers = getattr(local, "searchers", None) or {}
        commits = getattr(local, "commits", None) or {}
        if getattr(local, "generation", None) != generation:
            for searcher in searchers.values():
                searcher.close()
            searchers, commits = {}, {}
            local.searchers, local.commits, local.generation = {}, {}, None
        wanted = {lang: point[lang] if point else ix.latest_generation()
                  for lang, ix in self._indexes.items()}
        opened = {}
        try:
            for lang, ix in self._indexes.items():
                if lang not in searchers or commits.get(lang) != wanted[lang]:
                    opened[lang] = open_searcher(ix, wanted[lang])
        except BaseException:
            for searcher in opened.values():
                searcher.close()
            raise
        for lang in opened:
            if lang in searchers:
                searchers[lang].close()
        searchers = {**searchers, **opened}
        local.searchers, local.commits, local.generation = searchers, wanted, generation
        return searchers

    def lexicon(self):
        """The cross-link lexicon of the current generation (None if there is none)."""
        generation = self._ensure_open()
        path = generation / LEXICON_FILE
        # The lexicon is two files: the static part and the corpus part a write updates;
        # the users' cross-link edits are laid over it (a third file, see user_links).
        key = (generation, lexicon_key(path), lexicon_key(generation / LEXICON_CORPUS_FILE),
               _file_identity(generation / USER_LINKS_FILE))
        if self._lexicon_key == key:
            return self._lexicon
        try:
            with self._lock:
                if self._lexicon_loader is not None and key[1] is not None:
                    self._lexicon = self._lexicon_loader(path)
                else:
                    self._lexicon = None
                self._lexicon_key = key
        except Exception:  # noqa: BLE001 - damaged since it was opened: check it again
            self._give_up_generation()
            self._ensure_open()  # falls back (or raises IndexUnavailableError)
        return self._lexicon

    def vectors(self):
        """The ``VectorStore`` of the served commit point (``index.vectors.store``), or None.

        Opened once per vector state (memory-mapped, shared by threads); a write
        that publishes a new state is seen at the next call. Read from the same
        ``commit.json`` as ``searchers()`` reads, so a document and its vector
        appear together.
        """
        for attempt in range(20):
            generation = self._ensure_open()
            try:
                state = (read_commit_file(generation) or {}).get("vectors")
            except CorruptIndexError:
                return None
            key = (generation, json.dumps(state, sort_keys=True)) if state else None
            cached = getattr(self, "_vector_cache", None)
            if cached is not None and cached[0] == key:
                return cached[1]
            store = open_store(generation, state) if state else None
            if store is None and state and attempt < 19:
                # A writer published a newer state and removed a segment of the one read a
                # moment ago: read the commit point again (as ``searchers`` does).
                time.sleep(0.002 * (attempt + 1))
                continue
            self._vector_cache = (key, store)
            return store
        return None

    def counts(self) -> dict:
        """Documents per language."""
        return {lang: s.doc_count() for lang, s in self.searchers().items()}

    def meta(self) -> dict:
        return read_meta(self._ensure_open())

    def get(self, doc_id: str) -> dict | None:
        """The stored fields of a document, or None."""
        for s in self.searchers().values():
            fields = s.document(id=doc_id)
            if fields is not None:
                return fields
        return None

    def list_documents(self, after: str = "", limit: int = 100, languages=LANGUAGES,
                       ids=None) -> list[dict]:
        """Stored fields of up to ``limit`` documents whose id sorts after ``after``, by id.

        Each language's sorted term list of the ``id`` field is walked from
        ``after`` and the two walks are merged, so a page costs the same however
        deep it is, and paging by "ids after the last one seen" (not by offset)
        means a document written or deleted between two pages neither repeats
        nor shifts the others. ``ids`` restricts the listing to those ids. Both
        languages are read from one commit point.
        """
        searchers = self.searchers()
        if ids is not None:
            wanted = sorted(doc_id for doc_id in set(ids) if doc_id > after)
            walks = [self._known_ids(searchers[lang], wanted) for lang in languages]
        else:
            walks = [self._ids_after(searchers[lang], after) for lang in languages]
        found = []
        for _, searcher, docnum in heapq.merge(*walks, key=lambda item: item[0]):
            found.append(searcher.stored_fields(docnum))
            if len(found) >= limit:
                break
        return found

    @staticmethod
    def _ids_after(searcher, after: str):
        """(id, searcher, docnum) of live documents with ids after ``after``, in order."""
        for fieldname, term in searcher.reader().terms_from("id", after):
            if fieldname != "id":
                return
            doc_id = term.decode("utf-8") if isinstance(term, bytes) else term
            if doc_id == after:
                continue
            docnum = searcher.document_number(id=doc_id)
            if docnum is not None:  # None: deleted, its term not yet merged away
                yield doc_id, searcher, docnum

    @staticmethod
    def _known_ids(searcher, wanted: list[str]):
        for doc_id in wanted:
            docnum = searcher.document_number(id=doc_id)
            if docnum is not None:
                yield doc_id, searcher, docnum

    def close(self) -> None:
        for s in getattr(self._local, "searchers", {}).values():
            s.close()
        self._local = threading.local()
