"""Documents: read raw input, clean it, detect its language.

Input is ``.txt`` files (one document each, id = file name without the
extension) and ``.jsonl`` files (one JSON object a line with ``id`` and
``text``, optional ``title``, ``language``, ``date``, ``url``, ``source`` and any
field declared in ``index.fields``, such as ``tags``).
``prepare`` turns one raw record into a :class:`Document`; the original text
is kept unchanged next to the cleaned text.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from index.fields import Fields, active, date_key
from index.ingest.cleaning import clean_text
from index.ingest.language import (LanguageError, LanguageOptions, detect_language,
                                   given_language_warning)

# `(?!\n)` because Python's `$` also matches before a final newline ("abc\n" is no id);
# the patterns stay valid ECMAScript, as the OpenAPI document publishes them.
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:\-]{0,199}$(?!\n)")
DATE_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$(?!\n)")
OPTIONAL_FIELDS = ("title", "language", "date", "url", "source")
MAX_TEXT_CHARS = 2_000_000
# Decisions that record a value the user gave; ``raw_from_stored`` reads them back so a
# rebuild re-prepares a stored document from what the user gave, not from what Tolk decided.
TITLE_GIVEN = "title given"
DATE_GIVEN = "date given"
LANGUAGE_GIVEN = "language {} (given)"


class DocumentError(ValueError):
    """A record that cannot become a document; ``errors`` maps field -> messages."""

    def __init__(self, message: str, errors: dict | None = None, doc_id: str | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        self.doc_id = doc_id


@dataclass
class RawDocument:
    """One record as the user gave it, before cleaning."""

    id: str
    text: str
    title: str | None = None
    language: str | None = None
    date: str | None = None
    url: str | None = None
    source: str | None = None
    origin: str = ""  # where it came from: "path" or "path:line"
    fields: dict = field(default_factory=dict)  # declared fields (index.fields), validated


@dataclass
class Document:
    """A cleaned document, ready to index."""

    id: str
    language: str
    language_confidence: float
    title: str
    text: str  # cleaned body, paragraphs separated by a blank line
    original: str  # exactly what the user gave
    date: str | None = None
    url: str | None = None
    source: str | None = None
    decisions: list[str] = field(default_factory=list)  # what cleaning/detection decided
    fields: dict = field(default_factory=dict)  # declared fields (index.fields)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Skipped:
    """A record or file that was not indexed, and why."""

    origin: str
    reason: str
    doc_id: str | None = None


def validate_id(doc_id) -> str:
    """Return ``doc_id`` if it is a safe document id, else raise DocumentError."""
    if not isinstance(doc_id, str) or not ID_RE.match(doc_id):
        raise DocumentError(
            "invalid id: use 1-200 characters from letters, digits, '.', '_', ':' and '-', "
            "starting with a letter or digit",
            {"id": ["invalid document id"]},
        )
    return doc_id


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def declared_fields(record: dict, fields: Fields | None = None) -> tuple[dict, dict]:
    """The declared fields of a record, validated: (values, errors per field name).

    A field that is not declared is an error that says how to declare it.
    """
    fields = fields or active()
    values, errors = {}, {}
    for name in sorted(set(record) - {"id", "text", *OPTIONAL_FIELDS}):
        field = fields.get(name)
        if field is None or field.builtin:
            errors[name] = [fields.undeclared_message(name)]
        elif record[name] is not None:
            try:
                values[name] = field.parse(record[name])
            except ValueError as exc:
                errors[name] = [f"{field.type} field {name!r}: {exc}"]
    return values, errors


def raw_from_mapping(record: dict, origin: str = "", fields: Fields | None = None) -> RawDocument:
    """Validate a JSON object (from .jsonl or the API) into a RawDocument.

    ``fields``: the declared fields (default: the process's, ``index.fields.active``).
    """
    fields = fields or active()
    if not isinstance(record, dict):
        raise DocumentError("a document must be a JSON object", {"_schema": ["not an object"]})
    errors: dict[str, list[str]] = {}
    doc_id = record.get("id")
    try:
        validate_id(doc_id)
    except DocumentError as exc:
        errors.update(exc.errors)
    text = record.get("text")
    if not isinstance(text, str) or not text.strip():
        errors["text"] = ["text is required and must be a non-empty string"]
    elif len(text) > MAX_TEXT_CHARS:
        errors["text"] = [f"text is longer than {MAX_TEXT_CHARS} characters"]
    for name in OPTIONAL_FIELDS:
        value = record.get(name)
        if value is not None and not isinstance(value, str):
            errors[name] = ["must be a string"]
    for name in ("id", "text", *OPTIONAL_FIELDS):
        if isinstance(record.get(name), str) and not _encodable(record[name]):
            errors[name] = ["contains an unpaired UTF-16 surrogate (\\ud800-\\udfff)"]
    if isinstance(record.get("language"), str) and record["language"] not in ("nl", "en"):
        errors["language"] = ["must be 'nl' or 'en'"]
    if isinstance(record.get("date"), str):
        try:
            date_key(record["date"])
        except ValueError as exc:
            errors["date"] = [str(exc)]
    declared, field_errors = declared_fields(record, fields)
    errors.update(field_errors)
    if errors:
        raise DocumentError("invalid document", errors,
                            doc_id=doc_id if isinstance(doc_id, str) else None)
    return RawDocument(
        id=doc_id, text=text, origin=origin, fields=declared,
        **{name: record.get(name) for name in OPTIONAL_FIELDS},
    )


def read_paths(paths: Iterable[str | os.PathLike]) -> Iterator[RawDocument | Skipped]:
    """Yield raw documents (or skips with a reason) from files and folders.

    Folders are walked recursively in sorted order; only ``.txt`` and
    ``.jsonl`` files are read.
    """
    for path in paths:
        path = Path(path)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file()
                           and p.suffix in (".txt", ".jsonl"))
            for file in files:
                yield from _read_file(file)
        elif path.is_file():
            if path.suffix not in (".txt", ".jsonl"):
                yield Skipped(str(path), "not a .txt or .jsonl file")
            else:
                yield from _read_file(path)
        else:
            yield Skipped(str(path), "no such file or folder")


def _read_file(path: Path) -> Iterator[RawDocument | Skipped]:
    try:
        data = path.read_bytes()
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield Skipped(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})")
        return
    except OSError as exc:
        yield Skipped(str(path), f"cannot read: {exc.strerror}")
        return
    if path.suffix == ".txt":
        if not content.strip():
            yield Skipped(str(path), "empty file", doc_id=path.stem)
            return
        try:
            validate_id(path.stem)
        except DocumentError as exc:
            yield Skipped(str(path), exc.message)
            return
        yield RawDocument(id=path.stem, text=content, origin=str(path))
        return
    for lineno, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        origin = f"{path}:{lineno}"
        try:
            record = json.loads(line)
            yield raw_from_mapping(record, origin)
        except json.JSONDecodeError as exc:
            yield Skipped(origin, f"invalid JSON: {exc.msg} at column {exc.colno}")
        except DocumentError as exc:
            details = "; ".join(f"{k}: {', '.join(v)}" for k, v in exc.errors.items())
            yield Skipped(origin, f"{exc.message} ({details})", doc_id=exc.doc_id)


def prepare(raw: RawDocument, languages: LanguageOptions | None = None) -> Document:
    """Clean a raw document and decide its language, title and date.

    Values the user gave (title, language, date) win over what is detected; a
    given language that a long text clearly contradicts adds a warning to the
    decisions. ``languages`` carries the index vocabulary and the default
    language for undecidable text (``TOLK_DEFAULT_LANGUAGE``).
    Raises DocumentError when the text is empty after cleaning, has no words,
    or is reliably in neither Dutch nor English.
    """
    cleaned = clean_text(raw.text)
    decisions = [f"dropped {d.reason}: {d.text[:60]!r}" for d in cleaned.dropped]
    if not cleaned.text.strip():
        raise DocumentError("nothing left to index after cleaning", {"text": ["no content"]},
                            doc_id=raw.id)
    if raw.language:
        language, confidence = raw.language, 1.0
        decisions.append(LANGUAGE_GIVEN.format(language))
        warning = given_language_warning(cleaned.text, language, languages)
        if warning:
            decisions.append(warning)
    else:
        try:
            detection = detect_language(cleaned.text, languages)
        except LanguageError as exc:
            raise DocumentError(str(exc), {"language": [str(exc)]}, doc_id=raw.id) from exc
        language, confidence = detection.language, detection.confidence
        decisions += [detection.describe(), detection.explain()]
    title = raw.title or cleaned.title
    if raw.title:
        decisions.append(TITLE_GIVEN)
    elif cleaned.title:
        decisions.append(f"title from {cleaned.title_source}")
    date = raw.date or cleaned.date
    if raw.date:
        decisions.append(DATE_GIVEN)
    elif cleaned.date:
        decisions.append(f"date {cleaned.date} found in text")
    return Document(
        id=raw.id, language=language, language_confidence=round(confidence, 4),
        title=title or "", text=cleaned.text, original=raw.text, date=date,
        url=raw.url, source=raw.source, decisions=decisions, fields=dict(raw.fields),
    )


def raw_from_stored(fields: dict) -> RawDocument:
    """The record the user gave, back from a stored document's fields.

    The original text is stored unchanged; title, date and language count as
    given only where the stored decisions say so (otherwise they were detected
    and are detected again); url and source are always the user's.
    """
    decisions = fields.get("decisions") or []
    language = fields.get("language")
    return RawDocument(
        id=fields["id"], text=fields.get("original") or "",
        title=fields.get("title") or None if TITLE_GIVEN in decisions else None,
        language=language if LANGUAGE_GIVEN.format(language) in decisions else None,
        date=fields.get("date") or None if DATE_GIVEN in decisions else None,
        url=fields.get("url") or None, source=fields.get("source") or None,
        origin=f"index:{fields['id']}",
    )


def document_from_stored(fields: dict) -> Document:
    """A stored document exactly as it was indexed (when it cannot be prepared again)."""
    return Document(
        id=fields["id"], language=fields["language"],
        language_confidence=fields.get("language_confidence") or 0.0,
        title=fields.get("title") or "", text=fields.get("body") or "",
        original=fields.get("original") or "", date=fields.get("date") or None,
        url=fields.get("url") or None, source=fields.get("source") or None,
        decisions=list(fields.get("decisions") or []),
    )
