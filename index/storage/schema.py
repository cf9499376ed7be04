"""The Whoosh schema of one language's index, and a document's fields in it.

Declared fields (``index.fields``) get one indexed Whoosh field each, named as
declared: keywords folded (case- and accent-insensitive filters and facets),
numbers and dates as order-preserving strings in a sortable column (one column
serves range filters and sorting). Whoosh fills a column from the stored value,
so the values as given are stored apart, all in the ``fields`` stored field.
"""

from __future__ import annotations

import re

from whoosh.fields import ID, IDLIST, STORED, TEXT, Schema

from index.analysis import analyzer_for, spelling_analyzer
from index.fields import Field, Fields, active, date_key, keyword_fold, number_key
from index.ingest.documents import Document

VALUE_SEPARATOR = "\x1f"  # between the values of a keywords field (control chars are refused)


def make_schema(language: str, fields: Fields | None = None) -> Schema:
    """The Whoosh schema of one language's index."""
    analyzer = analyzer_for(language)
    schema = Schema(
        id=ID(stored=True, unique=True),
        language=ID(stored=True),
        title=TEXT(analyzer=analyzer, stored=True, phrase=True),
        body=TEXT(analyzer=analyzer, stored=True, phrase=True),
        date=ID(stored=True),
        # A month-only date ("2022-02") spans the whole month for range filters;
        # a timestamp is one instant (UTC, see index.fields.date_key).
        date_start=ID(sortable=True),
        date_end=ID(),
        month=ID(stored=True, sortable=True),
        # Unstemmed, accent-folded words: completions and "did you mean".
        spell=TEXT(analyzer=spelling_analyzer(language), phrase=False),
        url=STORED,
        source=ID(stored=True),  # indexed folded, stored as given
        original=STORED,
        language_confidence=STORED,
        decisions=STORED,
        fields=STORED,  # declared field values as given
    )
    for field in (fields or active()).extra:
        schema.add(field.name, field_type(field, language))
    return schema


def field_type(field: Field, language: str):
    """The Whoosh field type of a declared field."""
    if field.type == "keyword":
        return ID()
    if field.type == "keywords":
        return IDLIST(expression=re.compile(f"[^{VALUE_SEPARATOR}]+"))
    if field.type in ("number", "date"):
        return ID(sortable=True)
    return TEXT(analyzer=analyzer_for(language), phrase=True)


def index_value(field: Field, value):
    """What Whoosh indexes for a declared field's value (see the module docstring)."""
    if field.type == "keyword":
        return keyword_fold(value)
    if field.type == "keywords":
        return VALUE_SEPARATOR.join(keyword_fold(v) for v in value)
    if field.type == "number":
        return number_key(value)
    if field.type == "date":
        return date_key(value)
    return value


def document_fields(doc: Document, fields: Fields | None = None) -> dict:
    """The Whoosh fields of a document."""
    fields = fields or active()
    start, end = date_bounds(doc.date)
    values = {
        "id": doc.id,
        "language": doc.language,
        "title": doc.title,
        "body": doc.text,
        "date": doc.date or "",
        "date_start": start,
        "date_end": end,
        "month": (doc.date or "")[:7],
        "spell": doc.title + "\n" + doc.text,
        "url": doc.url,
        "source": keyword_fold(doc.source or ""),
        "_stored_source": doc.source or "",
        "original": doc.original,
        "language_confidence": doc.language_confidence,
        "decisions": doc.decisions,
        "fields": dict(doc.fields),
    }
    for name, value in doc.fields.items():
        field = fields.get(name)
        if field is not None and not field.builtin and value not in (None, "", []):
            values[name] = index_value(field, value)
    return values


def date_bounds(date: str | None) -> tuple[str, str]:
    """First and last key a date stands for: ``2022-02`` -> (2022-02-01, 2022-02-31).

    A timestamp stands for one instant, its UTC key (``index.fields.date_key``).
    """
    if not date:
        return "", ""
    if len(date) == 7:
        return date + "-01", date + "-31"
    if len(date) == 10:
        return date, date
    key = date_key(date)
    return key, key
