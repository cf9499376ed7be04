"""Reading the current generation: one ``IndexReader`` per process, searchers per thread."""

from __future__ import annotations

import heapq
import threading
import time
from pathlib import Path
from typing import Callable

from whoosh import index as whoosh_index

from index.analysis import LANGUAGES
from index.storage.commit import open_searcher, read_commit_point
from index.storage.errors import IndexMissingError
from index.storage.generations import LEXICON_FILE, current_generation, read_meta


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
        key = (generation, path.stat().st_mtime_ns if path.exists() else None)
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
