"""The store's lexicon builder: the static part from a cache, the corpus part per write.

A generation's lexicon is two files: the static part (``static_cache``: the same
for every index built from the same sources, hard-linked from the cache) and
the corpus part (``corpus_part``: transliteration links of the corpus names,
updated key by key on each write). ``IncrementalBuilder`` is what the service
and the CLI hand to ``index.storage``; called with names it still returns one
whole ``Lexicon`` (the older builder protocol, used by evaluation code).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections import Counter
from pathlib import Path

from index.crosslink import corpus_part, dictionary, static_cache
from index.crosslink.lexicon import Lexicon

log = logging.getLogger(__name__)

_COMMON: dict[str, frozenset] = {}
_COMMON_LOCK = threading.Lock()


class IncrementalBuilder:
    """Builds and updates a generation's lexicon files from the configured sources."""

    def __init__(self, freedict_dir=None, parallel_dir=None, cache_dir=None):
        self.freedict_dir = freedict_dir or None
        self.parallel_dir = parallel_dir or None
        self.cache_dir = Path(cache_dir) if cache_dir else None

    def common_words(self) -> frozenset[str]:
        """FreeDict headwords, folded (ordinary words, no names), read once per process."""
        key = str(self.freedict_dir)
        with _COMMON_LOCK:
            if key not in _COMMON:
                _COMMON[key] = frozenset(dictionary.headwords(self.freedict_dir))
            return _COMMON[key]

    def static_lexicon(self) -> Lexicon:
        from index.crosslink import build_lexicon

        return build_lexicon(None, parallel_dir=self.parallel_dir,
                             freedict_dir=self.freedict_dir,
                             sources=static_cache.STATIC_SOURCES)

    def write_static(self, target: Path) -> Lexicon:
        """Put the static part at ``target`` (a hard link to the cache file, or a build)."""
        if self.cache_dir is not None:
            try:
                cached, lexicon = static_cache.static_lexicon(self.cache_dir, self.freedict_dir,
                                                              self.parallel_dir)
                try:
                    os.link(cached, target)
                except OSError:  # another file system, or links not allowed
                    shutil.copyfile(cached, target)
                return lexicon
            except OSError as exc:  # cache folder not writable: build without it
                log.warning("lexicon cache in %s not usable (%s); building without it",
                            self.cache_dir, exc)
        lexicon = self.static_lexicon()
        lexicon.save(target)
        return lexicon

    def full_part(self, names: dict[str, Counter]) -> dict:
        return corpus_part.full_part(names, self.common_words())

    def updated_part(self, generation: Path, part: dict, names: dict[str, Counter],
                     batch: dict[str, Counter]) -> dict:
        groups = corpus_part.groups_for(generation, names)
        return corpus_part.updated_part(part, names, batch, self.common_words(), groups)

    @staticmethod
    def read_part(path: Path) -> dict | None:
        return corpus_part.read_part(path)

    @staticmethod
    def pair_counts(static: Lexicon, part: dict) -> dict[str, int]:
        """Pairs per source of the lexicon these two parts make."""
        return corpus_part.merge(static, part).stats()

    def __call__(self, names: dict[str, Counter] | None) -> Lexicon:
        """One whole lexicon for ``names`` (static part from the cache when there is one)."""
        if self.cache_dir is not None:
            try:
                static = static_cache.static_lexicon(self.cache_dir, self.freedict_dir,
                                                     self.parallel_dir)[1]
            except OSError:
                static = self.static_lexicon()
        else:
            static = self.static_lexicon()
        return corpus_part.merge(static, self.full_part(names or {}))
