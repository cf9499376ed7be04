"""Reading the current generation: one ``IndexReader`` per process, searchers per thread."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Callable

from whoosh import index as whoosh_index

from index.analysis import LANGUAGES
from index.storage.commit import open_searcher, read_commit_point
from index.storage.errors import IndexMissingError
from index.storage.generations import (LEXICON_CORPUS_FILE, LEXICON_FILE, current_generation,
                                       read_meta)


def _stamp(path: Path) -> tuple | None:
    """Identity of a file's content for reload decisions (None: no file)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class IndexReader:
    """Read access to the current generation, for one process.

    Indexes are opened once and reopened only when ``current`` switches to a
    new generation. Each thread gets its own Whoosh searchers, refreshed on
    every ``searchers()`` call so a write by another process is seen at once.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._generation: Path | None = None
        self._indexes: dict = {}
        self._lexicon = None
        self._local = threading.local()
        self._lexicon_loader: Callable[[Path], object] | None = None

    def set_lexicon_loader(self, loader: Callable[[Path], object]) -> None:
        self._lexicon_loader = loader

    def _ensure_open(self) -> Path:
        generation = current_generation(self.root)
        if generation is None:
            raise IndexMissingError(
                f"no index in {self.root}; build one with `tolk index --index-dir {self.root} PATH`"
            )
        if generation != self._generation:
            with self._lock:
                if generation != self._generation:
                    self._indexes = {lang: whoosh_index.open_dir(str(generation / lang))
                                     for lang in LANGUAGES}
                    self._lexicon = None
                    self._generation = generation
        return generation

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
        for attempt in range(50):
            generation = self._ensure_open()
            try:
                return self._searchers_at(generation, read_commit_point(generation))
            except FileNotFoundError:
                if attempt == 49:
                    raise
                time.sleep(0.002 * (attempt + 1))
        raise AssertionError("unreachable")

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
        key = (generation, _stamp(path), _stamp(generation / LEXICON_CORPUS_FILE))
        if getattr(self, "_lexicon_key", None) != key:
            with self._lock:
                if self._lexicon_loader is not None and path.exists():
                    self._lexicon = self._lexicon_loader(path)
                else:
                    self._lexicon = None
                self._lexicon_key = key
        return self._lexicon

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

    def close(self) -> None:
        for s in getattr(self._local, "searchers", {}).values():
            s.close()
        self._local = threading.local()
