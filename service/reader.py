"""The service's index reader: searchers reopened, not refreshed, after a write.

``IndexReader.searchers`` renews each thread's searchers with Whoosh's
``Searcher.refresh()``. In whoosh-reloaded 2.7.5 that reuses the open segment
readers by segment id (``FileIndex._reader(reuse=...)``), which keeps showing
documents deleted or replaced since (a segment's deletions change without its
id changing) and, after a merge, adds the merged-away segments back, so
documents are counted and found twice. A long-lived server process would
serve those stale results until it restarts.

:class:`FreshIndexReader` opens a new searcher whenever the language index
has a newer commit than the one its searcher was opened on, and keeps the
searcher otherwise. It can go once ``index.store`` stops using ``refresh()``.
"""

from __future__ import annotations

from index.store import IndexReader


class FreshIndexReader(IndexReader):
    def searchers(self) -> dict:
        """This thread's searchers, per language, on the latest commit of each index."""
        generation = self._ensure_open()
        local = self._local
        searchers = getattr(local, "searchers", None) or {}
        commits = getattr(local, "commits", None) or {}
        if getattr(local, "generation", None) != generation:
            for searcher in searchers.values():
                searcher.close()
            searchers, commits = {}, {}
        for lang, ix in self._indexes.items():
            latest = ix.latest_generation()
            if lang in searchers and commits.get(lang) == latest:
                continue
            if lang in searchers:
                searchers[lang].close()
            searchers[lang] = ix.searcher()
            commits[lang] = latest
        local.searchers, local.commits, local.generation = searchers, commits, generation
        return searchers
