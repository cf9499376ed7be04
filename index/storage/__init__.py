"""Storage: the per-language Whoosh indexes on disk.

Layout of an index directory::

    INDEX_DIR/
      current -> generations/g-<time>-<rand>   (symlink, switched atomically)
      previous -> generations/g-...           (the generation a rebuild replaced: the fallback)
      generations/g-.../nl/  en/              (one Whoosh index per language)
      generations/g-.../commit.json           (commit point: TOC per language, file checksums)
      generations/g-.../meta.json             (names seen, build info)
      generations/g-.../lexicon.json          (cross-link lexicon: static part, a hard link
                                               to cache/lexicon-static-<key>.json)
      generations/g-.../lexicon-corpus.json   (its corpus part, updated by each write)
      cache/                                  (static lexicon per source version)
      write.lock                              (one writer at a time)

``rebuild`` writes a whole new generation (the given documents and the stored
ones, prepared again from their originals) and then replaces the ``current``
symlink with ``rename(2)``, so a crash mid-build leaves the previous
generation in use. ``update`` adds or replaces documents by id in the current
generation. Every write holds ``write.lock`` (waiting up to a timeout), so two
``tolk index`` processes never fight over Whoosh's own lock.
Modules: ``generations`` (the ``current`` and ``previous`` links), ``lock``
(``write.lock``), ``commit`` (the two-phase commit point), ``checksums`` (of every
file, recorded at commit), ``health`` (the open-time checks, ``tolk check``),
``schema``, ``writes`` (rebuild, reindex, update, delete), ``carryover`` (stored
documents prepared again for a rebuild), ``reader`` (``IndexReader``), ``writers``
(Whoosh writers that defer cleanup; parallel writers), ``postings`` and
``postingcache`` (NumPy decoding).
"""

import index.storage.bufferfile  # noqa: F401 - no copy of each segment file on open
from index.storage.commit import COMMIT_FILE, WHOOSH_INDEX_NAME, read_commit_point
from index.storage.errors import IndexLockedError, IndexMissingError, StoreError
from index.storage.generations import (CURRENT, GENERATIONS, LEXICON_FILE, META_FILE,
                                       current_generation, read_meta)
from index.storage.lock import DEFAULT_LOCK_TIMEOUT, LOCK_FILE, write_lock
from index.storage.reader import IndexReader
from index.storage.schema import date_bounds, document_fields, make_schema
from index.storage.writes import (IndexReport, LexiconBuilder, delete, delete_ids, rebuild,
                                  reindex, update, update_computed)

__all__ = [
    "COMMIT_FILE", "CURRENT", "DEFAULT_LOCK_TIMEOUT", "GENERATIONS", "LEXICON_FILE", "LOCK_FILE",
    "META_FILE", "WHOOSH_INDEX_NAME", "IndexLockedError", "IndexMissingError", "IndexReader",
    "IndexReport", "LexiconBuilder", "StoreError", "current_generation", "date_bounds", "delete",
    "delete_ids", "document_fields", "make_schema", "read_commit_point", "read_meta", "rebuild",
    "reindex", "update", "update_computed",
    "write_lock",
]
