"""Batches of ``POST /api/documents``: each item checked on its own, NDJSON read as a stream.

A feed sends many documents at once and some will be bad. Every item goes
through the same steps (an object, the schema, a new id in this batch, cleaning
and language) and ends as a prepared Document or as its errors, so one path
serves both policies: ``on_error=fail`` (all or nothing) and ``on_error=skip``
(store the good ones, report the rest). An NDJSON body is read from the request
stream in chunks and split into lines here, so the raw body is never held whole;
Werkzeug's limited stream enforces TOLK_MAX_CONTENT_LENGTH while reading (a
chunked body over it is a 413, not a silently cut batch), and the line count is
checked as lines arrive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import IO, Iterator

from marshmallow import ValidationError

from index.ingest.documents import ID_RE, Document, DocumentError, prepare

from .errors import ApiError
from .requestbody import lone_surrogate
from .schemas import DocumentInSchema

NDJSON_TYPES = ("application/x-ndjson", "application/jsonl")
INVALID, UNINDEXABLE = 400, 422  # how an item failed: its shape, or cleaning/language
_CHUNK = 64 * 1024


@dataclass
class Item:
    """One item of a batch and what became of it."""

    index: int
    line: int | None = None
    id: str | None = None
    document: Document | None = None
    errors: dict = field(default_factory=dict)
    failure: int = 0  # INVALID or UNINDEXABLE when refused

    def outcome(self) -> dict:
        out = {"index": self.index, "id": self.id,
               "status": "stored" if self.document is not None else "refused",
               "errors": self.errors}
        if self.line is not None:
            out["line"] = self.line
        return out


def item_errors(exc: DocumentError) -> dict:
    """A DocumentError as field -> messages, its message kept."""
    messages = {name: list(msgs) for name, msgs in exc.errors.items()}
    if exc.message not in (m for msgs in messages.values() for m in msgs):
        messages.setdefault("_schema", []).append(exc.message)
    return messages


def _flat(messages) -> dict:
    """Marshmallow messages as field -> list of strings (nested ones joined)."""
    if not isinstance(messages, dict):
        return {"_schema": [str(m) for m in messages] if isinstance(messages, list)
                else [str(messages)]}
    return {str(name): [str(m) for m in msgs] if isinstance(msgs, list) else [str(msgs)]
            for name, msgs in messages.items()}


class ItemChecker:
    """Turns raw items into prepared documents or errors; remembers ids seen."""

    def __init__(self, languages=None):
        self.schema = DocumentInSchema()
        self.languages = languages  # LanguageOptions for prepare (default language, vocabulary)
        self.first: dict[str, int] = {}

    def refuse(self, item: Item, failure: int, errors: dict) -> Item:
        item.failure, item.errors = failure, errors
        return item

    def check(self, record, index: int, line: int | None = None) -> Item:
        item = Item(index=index, line=line)
        if isinstance(record, dict) and isinstance(record.get("id"), str) \
                and ID_RE.match(record["id"]):
            item.id = record["id"]
        if not isinstance(record, dict):
            return self.refuse(item, INVALID, {"_schema": ["a document must be a JSON object "
                                                           "with id and text"]})
        surrogate = lone_surrogate(record)
        if surrogate is not None:
            return self.refuse(item, INVALID, {"_schema": [
                f"contains a lone UTF-16 surrogate escape ({surrogate!r}), which is not "
                "text; send valid Unicode"]})
        try:
            raw = self.schema.load(record)
        except ValidationError as exc:
            return self.refuse(item, INVALID, _flat(exc.messages))
        if raw.id in self.first:
            where = "line" if line is not None else "item"
            return self.refuse(item, INVALID, {"id": [
                f"{raw.id!r} is also {where} {self.first[raw.id]}; send each id once"]})
        self.first[raw.id] = line if line is not None else index
        try:
            item.document = prepare(raw, self.languages)
        except DocumentError as exc:
            return self.refuse(item, UNINDEXABLE, item_errors(exc))
        return item


def ndjson_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """(line number from 1, bytes) of every non-blank line of ``stream``, read in chunks.

    Each chunk is scanned once for newlines; only the unfinished line is kept.
    """
    pending = bytearray()
    scanned = 0
    number = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        pending += chunk
        start = 0
        while True:
            end = pending.find(b"\n", max(start, scanned))
            if end < 0:
                break
            number += 1
            line = bytes(pending[start:end])
            if line.strip():
                yield number, line
            start = end + 1
        del pending[:start]
        scanned = len(pending)
    if pending.strip():
        yield number + 1, bytes(pending)


def parse_line(line: bytes, number: int):
    """A line's JSON value; ApiError-free: returns (value, None) or (None, message)."""
    try:
        text = line.decode("utf-8-sig" if number == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 ({exc.reason} at byte {exc.start})"
    try:
        return json.loads(text), None
    except RecursionError:
        return None, "the JSON is nested too deeply"
    except ValueError as exc:
        return None, f"not valid JSON: {exc}"


def ndjson_items(stream: IO[bytes], most: int, languages=None) -> list[Item]:
    """Check every line of an NDJSON body; 413 beyond ``most`` documents, 400 for none."""
    checker = ItemChecker(languages)
    items: list[Item] = []
    for number, line in ndjson_lines(stream):
        if len(items) >= most:
            raise ApiError(413, "too_many_documents",
                           f"more than {most} documents (lines) in one request; send at most "
                           f"{most} (TOLK_MAX_BATCH_DOCS) per request",
                           {"lines": [f"at most {most} non-empty lines"]})
        value, problem = parse_line(line, number)
        if problem is not None:
            items.append(checker.refuse(Item(index=len(items), line=number), INVALID,
                                        {"_schema": [problem]}))
        else:
            items.append(checker.check(value, len(items), number))
    if not items:
        raise ApiError(400, "invalid_request",
                       "the NDJSON body has no documents; send one JSON object a line",
                       {"_schema": ["no documents"]})
    return items


def json_items(records: list, languages=None) -> list[Item]:
    checker = ItemChecker(languages)
    return [checker.check(record, i) for i, record in enumerate(records)]


def refusals(items: list[Item], ndjson: bool) -> dict:
    """``errors`` of a refused batch: item index (or NDJSON line) -> messages."""
    if ndjson:
        return {"lines": {str(item.line): item.errors for item in items if item.failure}}
    return {"documents": {str(item.index): item.errors for item in items if item.failure}}
