"""The embedded backend: the per-language Whoosh indexes in ``INDEX_DIR``.

Thin on purpose: every method hands over to the code that served Tolk before the
boundary existed (``index.storage`` for writes and reads under the write lock and
generations, ``index.search.pipeline`` for the search with its own IDF merge, typo
terms and result cache), so behaviour is unchanged and other work on those modules
merges without touching this file.
"""

from __future__ import annotations

import os
from pathlib import Path

from index.backends.base import Backend
from index.search import SearchRequest, search
from index.search.filters import matching_ids
from index.search.grouping import grouped_search
from index.search.suggest import complete_query
from index.storage import IndexReader, delete_ids, update, update_computed


def directory_bytes(path: Path) -> int:
    """Total size of the files below ``path`` (files vanishing meanwhile are skipped)."""
    total = 0
    for folder, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(folder, name), follow_symlinks=False).st_size
            except FileNotFoundError:
                pass
    return total


class WhooshBackend(Backend):
    name = "whoosh"
    embedded = True
    groups_stories = True  # the index's own vector store

    def __init__(self, settings: dict, reader: IndexReader | None = None):
        self.settings = settings
        self.reader = reader if reader is not None else IndexReader(self.index_dir)

    @property
    def index_dir(self) -> str:
        return self.settings.get("INDEX_DIR") or "data/index"

    def _lexicon_builder(self):
        # Made per write from the settings as they are now (as the service did before).
        from index.crosslink.builder import IncrementalBuilder

        return IncrementalBuilder(freedict_dir=self.settings.get("FREEDICT_DIR") or None,
                                  parallel_dir=self.settings.get("PARALLEL_DIR") or None,
                                  cache_dir=Path(self.index_dir) / "cache")

    def _lock_timeout(self) -> float:
        return self.settings.get("LOCK_TIMEOUT", 30.0)

    def write(self, docs: list) -> None:
        update(self.index_dir, docs, lexicon_builder=self._lexicon_builder(),
               lock_timeout=self._lock_timeout())

    def write_computed(self, compute) -> None:
        update_computed(self.index_dir, compute, lexicon_builder=self._lexicon_builder(),
                        lock_timeout=self._lock_timeout())

    def delete(self, ids: list[str]) -> list[str]:
        return delete_ids(self.index_dir, ids, lock_timeout=self._lock_timeout())

    def get(self, doc_id: str) -> dict | None:
        return self.reader.get(doc_id)

    def list_documents(self, after="", limit=100, languages=("nl", "en"), ids=None):
        return self.reader.list_documents(after, limit, languages=languages, ids=ids)

    def matching_ids(self, filter_text: str, fields) -> list[tuple[str, str]]:
        return matching_ids(self.reader, filter_text, fields)

    def search(self, request: SearchRequest, fields) -> dict:
        return search(self.reader, request, fields=fields)

    def grouped_search(self, request: SearchRequest, fields) -> dict:
        return grouped_search(self.reader, request, fields=fields)

    def suggest(self, q: str, limit: int, lang: str) -> list[dict]:
        return complete_query(self.reader.searchers(), q, limit, lang, self.reader.lexicon())

    def counts(self) -> dict:
        return self.reader.counts()

    def lexicon(self):
        return self.reader.lexicon()

    def status(self) -> dict:
        return self.reader.status()

    def health(self) -> dict:
        from index.search.pipeline import search as run

        counts = self.reader.counts()
        lexicon = self.reader.lexicon()
        result = run(self.reader, SearchRequest(q="nieuws news", limit=1), lexicon=lexicon)
        return {"documents": counts, "probe_hits": result["total"],
                "lexicon_pairs": len(lexicon) if lexicon is not None else 0}

    def stats(self) -> dict:
        index = self.reader
        generation = index.generation
        lexicon = index.lexicon()
        meta = index.meta()
        status = index.status()
        return {
            "backend": self.name,
            "degraded": status["degraded"],
            "degraded_reason": status["reason"],
            "current_generation": status["current"],
            "documents": index.counts(),
            "lexicon_pairs": lexicon.stats() if lexicon is not None else None,
            "index_bytes": directory_bytes(generation),
            "generation": generation.name,
            "updated": meta.get("updated") or meta.get("created"),
        }
