"""Documents under ``/api/documents``: add (batches), list, read, replace, patch, delete.

Writes need the bearer key (``service/auth.py``) and go through the backend
(``index.backends``; for Whoosh ``index.storage.update``/``delete_ids``, which hold
the index's write lock, so writes from several workers take turns); every worker's
next search sees them.

``POST /api/documents`` takes ``{"documents": [ {...}, ... ]}`` or NDJSON (one
document a line, ``service/batches.py``). By default it is all or nothing: if
any document is invalid (400) or cannot be indexed (422), the answer lists the
problems per item and nothing is stored; ``on_error=skip`` stores the good ones
and lists the refused ones. ``GET /api/documents`` pages by id with an opaque
cursor (the last id seen), so writes between pages never repeat or shift others.
"""

from __future__ import annotations

import base64
import binascii

from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError

from index.fields import stored_values
from index.analysis import LANGUAGES
from index.ingest.documents import ID_RE, Document, DocumentError, RawDocument, prepare, \
    validate_id
from index.ingest.patch import merge_patch, stored_raw
from index.storage import IndexMissingError

from .api import backend
from .auth import require_write_key
from .batches import NDJSON_TYPES, Item, item_errors, json_items, ndjson_items, refusals
from .errors import ApiError
from .languages import language_options
from .openapi import operation
from .requestbody import json_body
from .schemas import (BatchArgsSchema, BatchResultSchema, DeletedManySchema, DeletedSchema,
                      DeleteManyArgsSchema, DeleteManyBodySchema, DocumentBatchSchema,
                      DocumentListArgsSchema, DocumentListSchema, DocumentPatchSchema,
                      DocumentReplaceSchema, DocumentResultSchema, PatchedDocumentSchema,
                      StoredDocumentSchema, split_ids)

bp = Blueprint("documents", __name__, url_prefix="/api/documents")

BATCH_SHAPE = 'send {"documents": [{"id": ..., "text": ...}, ...]}'


def checked_id(doc_id: str) -> str:
    try:
        return validate_id(doc_id)
    except DocumentError as exc:
        raise ApiError(400, "invalid_id", exc.message, exc.errors) from None


def prepare_all(raws: list[RawDocument]) -> list[Document]:
    """Clean and detect every document; one failure fails the batch (422, per item)."""
    docs, errors = [], {}
    languages = _languages()
    for i, raw in enumerate(raws):
        try:
            docs.append(prepare(raw, languages))
        except DocumentError as exc:
            errors[i] = item_errors(exc)
    if errors:
        raise ApiError(422, "invalid_document",
                       f"{len(errors)} of {len(raws)} documents cannot be indexed; nothing was "
                       "stored", {"documents": errors})
    return docs


def _languages():
    """Language detection options; the embedded index's vocabulary is evidence too."""
    return language_options(current_app.config, backend().reader)


def refuse_writes_when_degraded() -> None:
    """503 while the reader serves a previous generation: a write would go where no one reads.

    The current generation failed its checks; writing into it (or into the
    previous one, which a rebuild would then discard) would lose the write.
    """
    try:
        status = backend().status()
    except IndexMissingError:
        return  # the first write creates the index
    if status["degraded"]:
        raise ApiError(503, "index_degraded",
                       f"writes are refused: the current index generation is damaged and "
                       f"{status['generation']} is served read-only ({status['reason']}); "
                       "run `tolk check`, then `tolk index --rebuild` or "
                       "`tolk check --restore-previous`", {"index": status})


def store(docs: list[Document]) -> None:
    refuse_writes_when_degraded()
    backend().write(docs)


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


def _batch_records(body) -> list:
    """The ``documents`` list of a JSON batch body; 400/413 for a wrong shape or size."""
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
    return items


def _batch_answer(items, refused: int = 0):
    docs = [item.document for item in items if item.document is not None]
    return jsonify(BatchResultSchema().dump({
        "indexed": len(docs), "refused": refused, "documents": docs,
        "items": [item.outcome() for item in items]}))


def _stored_items(docs: list[Document]) -> list[Item]:
    return [Item(index=i, id=doc.id, document=doc) for i, doc in enumerate(docs)]


@bp.post("")
@operation(
    tag="documents", summary="Add or replace documents (batch; all or nothing, or skip bad ones)",
    description='Body: `{"documents": [...]}` (`application/json`), or NDJSON '
                "(`application/x-ndjson`: one document a line, read as a stream; empty lines "
                "are ignored), with 1 to TOLK_MAX_BATCH_DOCS (default 1000) documents, each "
                "with the fields of a `.jsonl` input line. A document whose id exists is "
                "replaced. `on_error=fail` (default): if any document is invalid (400) or "
                "cannot be indexed (422), `errors.documents` (NDJSON: `errors.lines`) maps item "
                "index (line number) to messages and nothing is stored. `on_error=skip`: the "
                "good documents are stored (200) and `items` lists every item as `stored` or "
                "`refused` with its errors; 422 only when every document is refused.",
    query=BatchArgsSchema, body=DocumentBatchSchema, response=BatchResultSchema,
    body_types={"application/x-ndjson": {"type": "string",
                                         "description": "one document (JSON object) a line"}},
    errors=(400, 409, 413, 415, 422, 503, 507))
@require_write_key
def post_documents():
    args = BatchArgsSchema().load(request.args.to_dict())
    skip = args["on_error"] == "skip"
    ndjson = request.mimetype in NDJSON_TYPES
    if not ndjson and not request.is_json:
        raise ApiError(415, "unsupported_media_type",
                       "send the documents as JSON ('Content-Type: application/json') or as "
                       "NDJSON, one document a line ('Content-Type: application/x-ndjson')")
    if ndjson:
        items = ndjson_items(request.stream, current_app.config["MAX_BATCH_DOCS"],
                             _languages())
    else:
        body = json_body()
        if not skip:  # all or nothing, exactly as before on_error existed
            _batch_records(body)
            raws = DocumentBatchSchema().load(body)["documents"]
            _reject_duplicates(raws)
            docs = prepare_all(raws)
            store(docs)
            return _batch_answer(_stored_items(docs))
        records = _batch_records(body)
        if not isinstance(records, list) or not records or set(body) != {"documents"}:
            DocumentBatchSchema().load(body)  # raises the usual 400 for the envelope
            raise ApiError(400, "invalid_request", BATCH_SHAPE, {"_schema": [BATCH_SHAPE]})
        items = json_items(records, _languages())
    refused = [item for item in items if item.failure]
    if refused and (not skip or len(refused) == len(items)):
        invalid = [item for item in refused if item.failure == 400]
        if not skip and invalid:  # as for JSON: shape errors first (400), then 422
            raise ApiError(400, "invalid_request",
                           f"{len(invalid)} of {len(items)} documents are invalid; nothing was "
                           "stored", refusals(invalid, ndjson))
        raise ApiError(422, "invalid_document",
                       f"{len(refused)} of {len(items)} documents cannot be indexed; nothing "
                       "was stored", refusals(refused, ndjson))
    docs = [item.document for item in items if item.document is not None]
    store(docs)
    return _batch_answer(items, refused=len(refused))


def _encode_cursor(doc_id: str) -> str:
    return base64.urlsafe_b64encode(f"1:{doc_id}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError):
        text = ""
    version, _, doc_id = text.partition(":")
    if version != "1" or not ID_RE.match(doc_id):
        raise ApiError(400, "invalid_cursor",
                       "the cursor is not one this server gave out; pass `next_cursor` of the "
                       "previous page unchanged, or leave it out to start from the first page",
                       {"cursor": ["not a valid cursor"]})
    return doc_id


def listed(fields: dict) -> dict:
    """A document's stored fields as a listing shows them."""
    return {
        "id": fields["id"],
        "language": fields["language"],
        "language_confidence": fields.get("language_confidence") or 0.0,
        "title": fields.get("title", ""),
        "date": fields.get("date") or None,
        "url": fields.get("url"),
        "source": fields.get("source") or None,
    }


@bp.get("")
@operation(
    tag="documents", summary="List stored documents (by id, cursor pagination)",
    description="Documents ordered by id, `limit` a page. Pass `next_cursor` of the answer as "
                "`cursor` for the next page (null: last page). The cursor holds the last id "
                "seen, so documents added or deleted between pages never make others repeat "
                "or go missing. `ids` lists only those documents (unknown ids are left out); "
                "`filter` only the documents it matches (the filter syntax of /api/search).",
    query=DocumentListArgsSchema, response=DocumentListSchema, errors=(400, 503))
def list_documents():
    args = DocumentListArgsSchema().load(request.args.to_dict())
    after = _decode_cursor(args["cursor"]) if "cursor" in args else ""
    languages = LANGUAGES if args["lang"] == "any" else [args["lang"]]
    ids = split_ids(args["ids"], 1000) if "ids" in args else None
    index = backend()
    if "filter" in args:  # the ids the filter matches (and of those given, if any)
        matched = {doc_id for doc_id, _ in index.matching_ids(
            args["filter"], current_app.extensions["tolk_fields"])}
        ids = sorted(matched if ids is None else matched & set(ids))
    page = index.list_documents(after, args["limit"] + 1, languages=languages, ids=ids)
    more = len(page) > args["limit"]
    page = page[:args["limit"]]
    if ids is None:
        counts = index.counts()
        total = sum(counts[lang] for lang in languages)
    else:
        total = len(index.list_documents("", len(ids), languages=languages, ids=ids))
    return jsonify(DocumentListSchema().dump({
        "documents": [listed(fields) for fields in page],
        "total": total,
        "next_cursor": _encode_cursor(page[-1]["id"]) if more else None,
    }))


def _filtered_ids(text: str) -> list[str]:
    """Every stored id the filter matches (400 for a bad filter)."""
    return [doc_id for doc_id, _ in backend().matching_ids(
        text, current_app.extensions["tolk_fields"])]


def _ids_to_delete() -> list[str]:
    """Ids from ``?ids=a,b``, ``?filter=...`` or a JSON body ``{"ids": [...]}`` or
    ``{"filter": "..."}`` (one of them)."""
    args = DeleteManyArgsSchema().load(request.args.to_dict())
    most = current_app.config["MAX_BATCH_DOCS"]
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding")
    if len(args) > 1 or (args and has_body):
        raise ApiError(400, "invalid_request",
                       "say which documents to delete in one way: ?ids=a,b, ?filter=..., or a "
                       'body {"ids": [...]} or {"filter": "..."}',
                       {"ids": ["ids or a filter, in the query or the body: one of them"]})
    if "ids" in args:
        return split_ids(args["ids"], most)
    if "filter" in args:
        return _filtered_ids(args["filter"])
    if not has_body:
        raise ApiError(400, "invalid_request",
                       'say which documents to delete: ?ids=a,b, ?filter=... or a body '
                       '{"ids": ["a", "b"]}',
                       {"ids": ["required"]})
    body = json_body()
    if isinstance(body, dict) and isinstance(body.get("ids"), list) and len(body["ids"]) > most:
        raise ApiError(413, "too_many_documents",
                       f"{len(body['ids'])} ids in one request; send at most {most} "
                       "(TOLK_MAX_BATCH_DOCS)", {"ids": [f"at most {most} ids"]})
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", 'the body must be {"ids": ["a", "b"]}',
                       {"_schema": ['send {"ids": [...]}']})
    loaded = DeleteManyBodySchema().load(body)
    return loaded["ids"] if "ids" in loaded else _filtered_ids(loaded["filter"])


@bp.delete("")
@operation(
    tag="documents", summary="Delete documents by id or by filter",
    description='Ids in the query (`?ids=a,b`) or in a JSON body `{"ids": ["a", "b"]}`, at '
                "most TOLK_MAX_BATCH_DOCS; or every document a filter matches (`?filter=...` "
                'or `{"filter": "..."}`, the filter syntax of /api/search; documents written '
                "while the delete runs are not included). Answers how many were deleted and "
                "which ids were not stored (not an error).",
    query=DeleteManyArgsSchema, body=DeleteManyBodySchema, body_required=False,
    response=DeletedManySchema, errors=(400, 413, 415, 503, 507))
@require_write_key
def delete_documents():
    ids = list(dict.fromkeys(_ids_to_delete()))
    refuse_writes_when_degraded()
    deleted = backend().delete(ids)
    gone = set(deleted)
    return jsonify(DeletedManySchema().dump({
        "deleted": len(deleted), "ids": deleted,
        "not_found": [doc_id for doc_id in ids if doc_id not in gone]}))


@bp.get("/<doc_id>")
@operation(tag="documents", summary="A stored document",
           description="Stored fields, the cleaned text and the original text unchanged.",
           response=StoredDocumentSchema, errors=(400, 404, 503))
def get_document(doc_id):
    checked_id(doc_id)
    fields = backend().get(doc_id)
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


def _object_body_for(doc_id: str, what: str) -> dict:
    """The JSON object body of a PUT or PATCH of ``doc_id``; 400 if it is not one, or if
    it names another id."""
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request", f"the body must be one JSON object ({what})",
                       {"_schema": ["send one JSON object"]})
    if "id" in body and body["id"] != doc_id:
        raise ApiError(400, "id_mismatch",
                       f"the id in the body ({body['id']!r}) is not the id in the URL "
                       f"({doc_id!r}); leave it out or make them equal",
                       {"id": ["must equal the id in the URL"]})
    return body


@bp.put("/<doc_id>")
@operation(
    tag="documents", summary="Add or replace one document",
    description="Body: one document; `id` may be left out, and if given must equal the id in "
                "the URL. The stored document is replaced as a whole.",
    body=DocumentReplaceSchema, response=DocumentResultSchema,
    errors=(400, 409, 413, 415, 422, 503, 507))
@require_write_key
def put_document(doc_id):
    checked_id(doc_id)
    body = _object_body_for(doc_id, "a document")
    raw = DocumentReplaceSchema().load({**body, "id": doc_id})
    try:
        doc = prepare(raw, _languages())
    except DocumentError as exc:
        raise ApiError(422, "invalid_document", f"{doc_id}: {exc.message}; nothing was stored",
                       exc.errors) from None
    store([doc])
    return jsonify(DocumentResultSchema().dump(doc))


@bp.delete("/<doc_id>")
@operation(tag="documents", summary="Delete a document",
           response=DeletedSchema, errors=(400, 404, 503, 507))
@require_write_key
def delete_document(doc_id):
    checked_id(doc_id)
    refuse_writes_when_degraded()
    if not backend().delete([doc_id]):
        raise ApiError(404, "not_found", f"no document with id {doc_id!r}")
    return jsonify(DeletedSchema().dump({"id": doc_id, "deleted": True}))


@bp.patch("/<doc_id>")
@operation(
    tag="documents", summary="Change some fields of a document (JSON merge patch)",
    description="Body: the fields to change (`text`, `title`, `language`, `date`, `url`, "
                "`source`); `null` removes a value (title, date and language fall back to what "
                "Tolk extracts or detects). Only what changed is analysed again: a new `text` "
                "is cleaned and its language detected, other fields are merged into the "
                "stored document as they are (`reanalyzed` says which steps ran). Content "
                "type `application/json` or `application/merge-patch+json`.",
    body=DocumentPatchSchema, response=PatchedDocumentSchema,
    body_types={"application/merge-patch+json": DocumentPatchSchema},
    errors=(400, 404, 409, 413, 415, 422, 503, 507))
@require_write_key
def patch_document(doc_id):
    checked_id(doc_id)
    body = _object_body_for(doc_id, "the fields to change")
    patch = DocumentPatchSchema().load(body)
    patch.pop("id", None)
    seen, patched = _patched(doc_id, patch)  # the slow part (a new text), outside the lock
    if patch:
        refuse_writes_when_degraded()

        def compute():
            # Under the write lock: if another write changed the document since, merge
            # into what is stored now, so no concurrent change is lost.
            nonlocal patched
            _, again = _patched(doc_id, patch, unless=seen)
            if again is not None:
                patched = again
            return [patched.document]

        backend().write_computed(compute)
    doc = patched.document
    return jsonify(PatchedDocumentSchema().dump({**doc.to_dict(), "reanalyzed":
                                                 patched.reanalyzed}))


def _patched(doc_id: str, patch: dict, unless: RawDocument | None = None):
    """(the stored document as given, the patch merged into it); 404/422 ApiErrors.

    With ``unless``: None instead of a merge when the stored document is still that one.
    """
    stored = backend().get(doc_id)
    if stored is None:
        raise ApiError(404, "not_found", f"no document with id {doc_id!r}; create it with "
                                         "PUT or POST first")
    raw = stored_raw(stored)
    if unless is not None and raw == unless:
        return raw, None
    try:
        return raw, merge_patch(stored, patch, _languages())
    except DocumentError as exc:
        raise ApiError(422, "invalid_document", f"{doc_id}: {exc.message}; nothing was changed",
                       exc.errors) from None
