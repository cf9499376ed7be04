"""Carry-over: the documents a generation holds, prepared again for the next one.

A rebuild used to index only the files it was given, so every document written
over HTTP since the last build was gone after it, without a word. Every
document's original text is stored, and its decisions say which of title,
date and language the user gave (``index.ingest.documents.raw_from_stored``),
so a rebuild re-prepares each stored document from what the user gave: new
cleaning and language detection apply, the user's own values still win. A
stored document that can no longer be prepared (cleaning now leaves nothing,
say) is carried over exactly as it was stored, and the report says so.

Read under the write lock, from the published commit point: a write that is
acknowledged before the rebuild takes the lock is carried over; one that
comes later waits for the lock and lands in the new generation.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Iterator

from whoosh import index as whoosh_index

from index.analysis import LANGUAGES
from index.ingest.documents import (Document, DocumentError, document_from_stored, prepare,
                                    raw_from_stored)
from index.storage.commit import open_searcher, read_commit_point
from index.storage.errors import StoreError
from index.storage.generations import USER_LINKS_FILE, write_json


def stored_fields(generation: Path) -> Iterator[dict]:
    """The stored fields of every live document of ``generation``, language by language."""
    point = read_commit_point(generation)
    for lang in LANGUAGES:
        ix = whoosh_index.open_dir(str(generation / lang))
        searcher = open_searcher(ix, point[lang]) if point else ix.searcher()
        try:
            yield from searcher.reader().all_stored_fields()
        finally:
            searcher.close()


def stored_ids(generation: Path) -> set[str]:
    return {fields["id"] for fields in stored_fields(generation)}


def stored_counts(generation: Path) -> Counter:
    """Live documents per language in ``generation``."""
    point = read_commit_point(generation)
    counts = Counter()
    for lang in LANGUAGES:
        ix = whoosh_index.open_dir(str(generation / lang))
        searcher = open_searcher(ix, point[lang]) if point else ix.searcher()
        try:
            counts[lang] = searcher.doc_count()
        finally:
            searcher.close()
    return counts


def reprepare(fields: dict) -> tuple[Document, str | None]:
    """A stored document prepared again from what the user gave.

    Returns the document and None, or the document as stored and the reason it
    could not be prepared again.
    """
    raw = raw_from_stored(fields)
    if not raw.text.strip():
        return document_from_stored(fields), "no original text stored"
    try:
        return prepare(raw), None
    except DocumentError as exc:
        return document_from_stored(fields), exc.message


def carry_user_links(previous: Path, generation: Path, drop_unreadable: bool = False) -> int:
    """Copy the users' cross-link edits (``index.crosslink.user_links``) into ``generation``.

    They are corrections of the lexicon, not derived from the documents, so a
    rebuild keeps them as they are (written durably before the new generation
    is published). An unreadable file stops the rebuild with what to do, unless
    ``drop_unreadable`` (``--drop-missing``, for a broken index). Returns the
    number of edits carried over.
    """
    try:
        data = json.loads((previous / USER_LINKS_FILE).read_text("utf-8"))
        edits = data["edits"] if isinstance(data, dict) else None
        if not isinstance(edits, list):
            raise ValueError("no list of edits")
    except FileNotFoundError:
        return 0
    except (ValueError, KeyError, UnicodeDecodeError) as exc:
        if drop_unreadable:
            return 0
        raise StoreError(f"{previous / USER_LINKS_FILE} (the users' cross-link edits) is "
                         f"unreadable ({exc}), so it cannot be carried over; restore it, or "
                         "remove it to rebuild without those edits") from None
    write_json(generation / USER_LINKS_FILE, data)
    return len(edits)
