"""The storage layer's errors: each message says what the operator should do next."""

from __future__ import annotations


class StoreError(RuntimeError):
    """A problem with the index directory; the message says what to do."""


class IndexLockedError(StoreError):
    """Another process holds the write lock for longer than the timeout."""


class IndexMissingError(StoreError):
    """There is no index in the directory yet."""


class CorruptIndexError(StoreError):
    """A generation's files are damaged (truncated, unreadable, missing)."""


class IndexUnavailableError(StoreError):
    """No generation in the directory can be opened; the message lists why for each."""


class FieldTypeError(StoreError):
    """A field is declared with another type than the index holds it as."""


class AnalyzerMismatchError(CorruptIndexError):
    """A generation was built with another text analysis (stemmer, overrides) than this
    code uses: queries would be analyzed differently from its documents."""


class IndexOutdatedError(StoreError):
    """Every generation was built with another text analysis; ``tolk reindex`` fixes it."""
