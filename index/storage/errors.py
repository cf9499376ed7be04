"""The storage layer's errors: each message says what the operator should do next."""

from __future__ import annotations


class StoreError(RuntimeError):
    """A problem with the index directory; the message says what to do."""


class IndexLockedError(StoreError):
    """Another process holds the write lock for longer than the timeout."""


class IndexMissingError(StoreError):
    """There is no index in the directory yet."""


class FieldTypeError(StoreError):
    """A field is declared with another type than the index holds it as."""
