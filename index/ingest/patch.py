"""Merge a partial update (JSON merge patch) into a stored document.

A patch that leaves the text alone must not pay for, or change the outcome of,
cleaning and language detection: the stored cleaned text, language and
decisions are kept and only what the patch touches is redone. What the user
gave (title, date, language) is told apart from what Tolk extracted by the
decisions ``prepare`` stored ("title given", "language nl (given)"), so
removing a given value (``null``) falls back to the extracted one, as if it had
never been given. A new text is prepared from scratch, with the given values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index.ingest.cleaning import clean_text
from index.fields import stored_values
from index.ingest.documents import Document, DocumentError, RawDocument, prepare
from index.ingest.language import LanguageError, detect_language

PATCHABLE = ("text", "title", "language", "date", "url", "source")


@dataclass
class Patched:
    """The merged document and which analysis steps were run again."""

    document: Document
    reanalyzed: list[str] = field(default_factory=list)  # "cleaning", "language"


def given_values(stored: dict) -> dict:
    """Title, date and language as the user gave them (None where Tolk extracted them)."""
    decisions = stored.get("decisions") or []
    language = stored.get("language")
    return {
        "title": stored.get("title") if "title given" in decisions else None,
        "date": (stored.get("date") or None) if "date given" in decisions else None,
        "language": language if f"language {language} (given)" in decisions else None,
    }


def stored_raw(stored: dict) -> RawDocument:
    """The raw document as it was given, from a document's stored fields."""
    return RawDocument(id=stored["id"], text=stored.get("original", ""),
                       url=stored.get("url"), source=stored.get("source") or None,
                       fields=stored_values(stored), **given_values(stored))


def _replace_decision(decisions: list[str], prefix: str, new: str | None) -> list[str]:
    """``decisions`` with the one starting with ``prefix`` replaced (or dropped, or added)."""
    out, placed = [], False
    for decision in decisions:
        if decision.startswith(prefix):
            if new is not None and not placed:
                out.append(new)
            placed = True
        else:
            out.append(decision)
    if new is not None and not placed:
        out.append(new)
    return out


def merge_patch(stored: dict, patch: dict, languages=None) -> Patched:
    """The document ``stored`` (its stored fields) with ``patch`` merged in.

    ``patch`` holds validated values for some of :data:`PATCHABLE`; ``None``
    removes an optional value. Raises DocumentError like ``prepare``; ``languages``:
    the ``LanguageOptions`` a new text is detected with.
    """
    raw = stored_raw(stored)
    for name, value in patch.items():
        setattr(raw, name, value)
    if "text" in patch and patch["text"] != stored.get("original"):
        return Patched(prepare(raw, languages), ["cleaning", "language"])

    given = given_values(stored)
    decisions = list(stored.get("decisions") or [])
    doc = Document(
        id=stored["id"], language=stored["language"],
        language_confidence=stored.get("language_confidence") or 1.0,
        title=stored.get("title", ""), text=stored.get("body", ""), original=raw.text,
        date=stored.get("date") or None, url=raw.url, source=raw.source, decisions=decisions,
        fields=dict(raw.fields))
    reanalyzed: list[str] = []
    cleaned = None

    def extracted():
        nonlocal cleaned
        if cleaned is None:
            cleaned = clean_text(raw.text)
            reanalyzed.append("cleaning")
        return cleaned

    if "title" in patch and patch["title"] != given["title"]:
        if patch["title"]:
            doc.title, decision = patch["title"], "title given"
        else:
            found = extracted()
            doc.title = found.title or ""
            decision = f"title from {found.title_source}" if found.title else None
        doc.decisions = _replace_decision(doc.decisions, "title ", decision)
    if "date" in patch and patch["date"] != given["date"]:
        if patch["date"]:
            doc.date, decision = patch["date"], "date given"
        else:
            found = extracted()
            doc.date = found.date
            decision = f"date {found.date} found in text" if found.date else None
        doc.decisions = _replace_decision(doc.decisions, "date ", decision)
    if "language" in patch and patch["language"] != given["language"]:
        if patch["language"]:
            doc.language, doc.language_confidence = patch["language"], 1.0
            decision = f"language {doc.language} (given)"
        else:
            try:
                detection = detect_language(doc.text, languages)
            except LanguageError as exc:
                raise DocumentError(str(exc), {"language": [str(exc)]}, doc_id=doc.id) from exc
            doc.language = detection.language
            doc.language_confidence = round(detection.confidence, 4)
            decision = detection.describe()
            reanalyzed.append("language")
        # (also drops the old "language evidence" line: it starts with "language ")
        doc.decisions = _replace_decision(doc.decisions, "language ", decision)
        if not patch["language"]:
            doc.decisions.append(detection.explain())
    return Patched(doc, reanalyzed)
