"""The Whoosh schema of one language's index, and a document's fields in it."""

from __future__ import annotations

from whoosh.fields import ID, STORED, TEXT, Schema

from index.analysis import analyzer_for, spelling_analyzer
from index.ingest.documents import Document


def make_schema(language: str) -> Schema:
    """The Whoosh schema of one language's index."""
    analyzer = analyzer_for(language)
    return Schema(
        id=ID(stored=True, unique=True),
        language=ID(stored=True),
        title=TEXT(analyzer=analyzer, stored=True, phrase=True),
        body=TEXT(analyzer=analyzer, stored=True, phrase=True),
        date=ID(stored=True),
        # A month-only date ("2022-02") spans the whole month for range filters.
        date_start=ID(sortable=True),
        date_end=ID(),
        month=ID(stored=True, sortable=True),
        # Unstemmed, accent-folded words: completions and "did you mean".
        spell=TEXT(analyzer=spelling_analyzer(language), phrase=False),
        url=STORED,
        source=ID(stored=True),
        original=STORED,
        language_confidence=STORED,
        decisions=STORED,
    )


def document_fields(doc: Document) -> dict:
    """The Whoosh fields of a document."""
    return {
        "id": doc.id,
        "language": doc.language,
        "title": doc.title,
        "body": doc.text,
        "date": doc.date or "",
        "date_start": date_bounds(doc.date)[0],
        "date_end": date_bounds(doc.date)[1],
        "month": (doc.date or "")[:7],
        "spell": doc.title + "\n" + doc.text,
        "url": doc.url,
        "source": doc.source or "",
        "original": doc.original,
        "language_confidence": doc.language_confidence,
        "decisions": doc.decisions,
    }


def date_bounds(date: str | None) -> tuple[str, str]:
    """First and last day a date stands for: ``2022-02`` -> (2022-02-01, 2022-02-31)."""
    if not date:
        return "", ""
    if len(date) == 7:
        return date + "-01", date + "-31"
    return date, date
