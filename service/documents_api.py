"""Documents under ``/api/documents``: add, read, replace, delete.

Writes need the bearer key (``service/auth.py``) and go through
``index.storage.update``/``delete``, which hold the index's write lock, so
writes from several workers take turns; every worker's next search sees them.

``POST /api/documents`` takes ``{"documents": [ {...}, ... ]}`` and is all or
nothing: if any document is invalid (400) or cannot be indexed (422), the
answer lists the problems per item index and nothing is stored.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from index.fields import stored_values
from index.ingest.documents import Document, DocumentError, RawDocument, prepare, validate_id
from index.storage import delete, update

from .api import reader
from .auth import require_write_key
from .errors import ApiError
from .lexicon import lexicon_builder
from .openapi import operation
from .schemas import (BatchResultSchema, DeletedSchema, DocumentBatchSchema,
                      DocumentReplaceSchema, DocumentResultSchema, StoredDocumentSchema)

bp = Blueprint("documents", __name__, url_prefix="/api/documents")

BATCH_SHAPE = 'send {"documents": [{"id": ..., "text": ...}, ...]}'


def json_body():
    """The request body parsed as JSON; 415/400/413 errors say what to send."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type",
                       "send the body as JSON with the header 'Content-Type: application/json'")
    data = request.get_data(cache=False)  # raises 413 beyond MAX_CONTENT_LENGTH
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if request.content_length is None and limit is not None and len(data) >= limit:
        # A chunked body (no Content-Length) is cut off at the limit without an error;
        # parsing the cut-off part answered 400 "not valid JSON" instead of 413.
        raise RequestEntityTooLarge()
    if not data.strip():
        raise ApiError(400, "invalid_json", "the request body is empty; send a JSON document")
    try:
        body = json.loads(data)
    except RecursionError:
        raise ApiError(400, "invalid_json", "the JSON body is nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from None
    _reject_lone_surrogates(body)
    return body


def _reject_lone_surrogates(value) -> None:
    """400 for a string with an unpaired UTF-16 surrogate (JSON ``"\\ud800"``).

    Such a string is not Unicode text: stored, it made every later answer that
    contained it fail to encode (500 on search, the document and the page).
    Walked with a stack, not recursion: the body may be nested deeply.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ApiError(400, "invalid_json",
                               "the body contains a lone UTF-16 surrogate escape "
                               f"({item[exc.start]!r}), which is not text; send valid Unicode",
                               {"_schema": ["unpaired surrogate in a JSON string"]}) from None


def checked_id(doc_id: str) -> str:
    try:
        return validate_id(doc_id)
    except DocumentError as exc:
        raise ApiError(400, "invalid_id", exc.message, exc.errors) from None


def prepare_all(raws: list[RawDocument]) -> list[Document]:
    """Clean and detect every document; one failure fails the batch (422, per item)."""
    docs, errors = [], {}
    for i, raw in enumerate(raws):
        try:
            docs.append(prepare(raw))
        except DocumentError as exc:
            errors[i] = _item_errors(exc)
    if errors:
        raise ApiError(422, "invalid_document",
                       f"{len(errors)} of {len(raws)} documents cannot be indexed; nothing was "
                       "stored", {"documents": errors})
    return docs


def _item_errors(exc: DocumentError) -> dict:
    messages = {name: list(msgs) for name, msgs in exc.errors.items()}
    if exc.message not in (m for msgs in messages.values() for m in msgs):
        messages.setdefault("_schema", []).append(exc.message)
    return messages


def store(docs: list[Document]) -> None:
    config = current_app.config
    update(config["INDEX_DIR"], docs, lexicon_builder=lexicon_builder(config),
           lock_timeout=config["LOCK_TIMEOUT"])


def _reject_duplicates(raws: list[RawDocument]) -> None:
    first: dict[str, int] = {}
    errors = {}
    for i, raw in enumerate(raws):
        if raw.id in first:
            errors[i] = {"id": [f"{raw.id!r} is also item {first[raw.id]}; send each id once"]}
        else:
            first[raw.id] = i
    if errors:
        raise ValidationError({"documents": errors})


@bp.post("")
@operation(
    tag="documents", summary="Add or replace documents (batch, all or nothing)",
    description='Body: `{"documents": [...]}` with 1 to TOLK_MAX_BATCH_DOCS (default 1000) '
                "documents, each with the fields of a `.jsonl` input line. A document whose id "
                "exists is replaced. Answers what cleaning and language detection decided. If "
                "any document is invalid (400) or cannot be indexed (422), `errors.documents` "
                "maps item index to messages and nothing is stored.",
    body=DocumentBatchSchema, response=BatchResultSchema,
    errors=(400, 409, 413, 415, 422, 503))
@require_write_key
def post_documents():
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", f"the body must be a JSON object: {BATCH_SHAPE}",
                       {"_schema": [BATCH_SHAPE]})
    items = body.get("documents")
    most = current_app.config["MAX_BATCH_DOCS"]
    if isinstance(items, list) and len(items) > most:
        raise ApiError(413, "too_many_documents",
                       f"{len(items)} documents in one request; send at most {most} "
                       "(TOLK_MAX_BATCH_DOCS) per request",
                       {"documents": [f"at most {most} documents"]})
    raws = DocumentBatchSchema().load(body)["documents"]
    _reject_duplicates(raws)
    docs = prepare_all(raws)
    store(docs)
    return jsonify(BatchResultSchema().dump({"indexed": len(docs), "documents": docs}))


@bp.get("/<doc_id>")
@operation(tag="documents", summary="A stored document",
           description="Stored fields, the cleaned text and the original text unchanged.",
           response=StoredDocumentSchema, errors=(400, 404, 503))
def get_document(doc_id):
    checked_id(doc_id)
    fields = reader().get(doc_id)
    if fields is None:
        raise ApiError(404, "not_found", f"no document with id {doc_id!r}")
    return jsonify(StoredDocumentSchema().dump({
        "id": fields["id"],
        "language": fields["language"],
        "language_confidence": fields.get("language_confidence"),
        "title": fields.get("title", ""),
        "date": fields.get("date") or None,
        "url": fields.get("url"),
        "source": fields.get("source") or None,
        "text": fields.get("body", ""),
        "original": fields.get("original", ""),
        "decisions": fields.get("decisions") or [],
        "fields": stored_values(fields),
    }))


@bp.put("/<doc_id>")
@operation(
    tag="documents", summary="Add or replace one document",
    description="Body: one document; `id` may be left out, and if given must equal the id in "
                "the URL. The stored document is replaced as a whole.",
    body=DocumentReplaceSchema, response=DocumentResultSchema,
    errors=(400, 409, 413, 415, 422, 503))
@require_write_key
def put_document(doc_id):
    checked_id(doc_id)
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", "the body must be one JSON object (a document)",
                       {"_schema": ["send one JSON object"]})
    if "id" in body and body["id"] != doc_id:
        raise ApiError(400, "id_mismatch",
                       f"the id in the body ({body['id']!r}) is not the id in the URL "
                       f"({doc_id!r}); leave it out or make them equal",
                       {"id": ["must equal the id in the URL"]})
    raw = DocumentReplaceSchema().load({**body, "id": doc_id})
    try:
        doc = prepare(raw)
    except DocumentError as exc:
        raise ApiError(422, "invalid_document", f"{doc_id}: {exc.message}; nothing was stored",
                       exc.errors) from None
    store([doc])
    return jsonify(DocumentResultSchema().dump(doc))


@bp.delete("/<doc_id>")
@operation(tag="documents", summary="Delete a document",
           response=DeletedSchema, errors=(400, 404, 503))
@require_write_key
def delete_document(doc_id):
    checked_id(doc_id)
    config = current_app.config
    if not delete(config["INDEX_DIR"], [doc_id], lock_timeout=config["LOCK_TIMEOUT"]):
        raise ApiError(404, "not_found", f"no document with id {doc_id!r}")
    return jsonify(DeletedSchema().dump({"id": doc_id, "deleted": True}))
