"""Cross-links users correct under ``/api/crosslinks``: list, add or reweight, block, remove.

The edits are a layer over whatever lexicon the index was built with
(``index.crosslink.user_links``): stored with the current generation under the
write lock and acknowledged by its commit point, so every worker's next search
uses them without a rebuild, and a rebuild keeps them. Writes need the admin
key like the document endpoints; reads follow the read keys like every other
read. A body whose fields are wrong is a 422 with the errors per field; an
edit that is not there, a 404.
"""

from __future__ import annotations

import base64
import binascii
import json

from flask import Blueprint, current_app, jsonify, request
from marshmallow import ValidationError

from index.crosslink import lookup as lexicon_lookup
from index.crosslink import user_links
from index.storage.generations import USER_LINKS_FILE

from .api import reader
from .auth import require_write_key
from .documents_api import refuse_writes_when_degraded
from .errors import ApiError
from .openapi import operation
from .requestbody import json_body
from .schemas import (CrosslinkDeletedSchema, CrosslinkEditInSchema, CrosslinkEditSchema,
                      CrosslinkListArgsSchema, CrosslinkListSchema, CrosslinkLookupArgsSchema,
                      CrosslinkLookupSchema, CrosslinkPairSchema, CrosslinkStoredSchema)

bp = Blueprint("crosslinks", __name__, url_prefix="/api/crosslinks")

PAIR_SHAPE = 'send {"nl": "Dutch word(s)", "en": "English word(s)"}'


def _invalid(message: str, errors: dict) -> ApiError:
    return ApiError(422, "invalid_crosslink", message, errors)


def _load_body(schema_class, shape: str) -> dict:
    body = json_body()
    if not isinstance(body, dict):
        raise _invalid(f"the body must be a JSON object: {shape}", {"_schema": [shape]})
    try:
        return schema_class().load(body)
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        field = next(iter(messages), "_schema")
        first = messages[field][0] if isinstance(messages[field], list) else messages[field]
        raise _invalid(f"the cross-link is invalid: {field}: {first}", messages) from None


def _stored_edits() -> dict:
    path = reader().generation / USER_LINKS_FILE
    try:
        return user_links.read_edits(path)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(503, "index_damaged",
                       f"{USER_LINKS_FILE} of the index is unreadable ({exc}); run `tolk "
                       "check`, restore the file or remove it (its edits are lost)") from None


def _encode_cursor(key: tuple[str, str]) -> str:
    raw = json.dumps(list(key), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw.decode("utf-8"))
        if isinstance(key, list) and len(key) == 2 and all(isinstance(k, str) for k in key):
            return key[0], key[1]
    except (binascii.Error, ValueError, UnicodeDecodeError):
        pass
    message = "cursor is not a `next_cursor` of this endpoint; start again without it"
    raise ApiError(400, "invalid_cursor", message, {"cursor": [message]})


def _user_error(exc: user_links.UserLinkError) -> ApiError:
    return _invalid(f"the cross-link is invalid: {exc.message}", exc.errors)


@bp.get("")
@operation(
    tag="crosslinks", summary="List the users' cross-link edits (cursor pagination)",
    description="Links added or reweighted and links blocked with `PUT /api/crosslinks`, "
                "ordered by Dutch term, then English term. `term` keeps the edits of one word "
                "(any form of it: it is analyzed) on either side, or on the side `lang` "
                "names; `kind` only links or only blocks. Pass `next_cursor` as `cursor` for "
                "the next page.",
    query=CrosslinkListArgsSchema, response=CrosslinkListSchema, errors=(400, 503))
def list_crosslinks():
    args = CrosslinkListArgsSchema().load(request.args.to_dict())
    after = _decode_cursor(args["cursor"]) if "cursor" in args else None
    wanted = user_links.matcher(args.get("term"), args["lang"], args["kind"])
    edits = [edit for _, edit in sorted(_stored_edits().items()) if wanted(edit)]
    total = len(edits)
    if after is not None:
        edits = [e for e in edits if (e["nl_term"], e["en_term"]) > after]
    page = edits[:args["limit"]]
    more = len(edits) > args["limit"]
    return jsonify(CrosslinkListSchema().dump({
        "crosslinks": [user_links.public(edit) for edit in page],
        "total": total,
        "next_cursor": _encode_cursor((page[-1]["nl_term"], page[-1]["en_term"]))
        if more else None,
    }))


@bp.put("")
@operation(
    tag="crosslinks", summary="Add, reweight or block a cross-link",
    description="`{\"nl\": \"Federatieraad\", \"en\": \"Federation Council\", \"weight\": 0.9}` "
                "links the two (analyzed to index terms, so every form with the same stem "
                "is linked) with that weight, replacing the weight any other source gives "
                "the pair; `{\"nl\": \"kerk\", \"en\": \"kirk\", \"block\": true}` makes a "
                "pair stop applying. One edit per pair: a new one replaces it. The next "
                "search of every worker uses it; a rebuild keeps it. Matched links show "
                "`source: \"user\"` in a hit's `crosslinks`.",
    body=CrosslinkEditInSchema, response=CrosslinkStoredSchema, errors=(400, 413, 415, 422,
                                                                        503, 507))
@require_write_key
def put_crosslink():
    args = _load_body(CrosslinkEditInSchema, PAIR_SHAPE + ' (and "weight" or "block": true)')
    try:
        edit = user_links.make_edit(args["nl"], args["en"], args["weight"], args["block"])
    except user_links.UserLinkError as exc:
        raise _user_error(exc) from None
    config = current_app.config
    refuse_writes_when_degraded()
    edit, created = user_links.store_edit(config["INDEX_DIR"], edit, config["LOCK_TIMEOUT"])
    return jsonify(CrosslinkStoredSchema().dump({**user_links.public(edit),
                                                 "created": created}))


@bp.delete("")
@operation(
    tag="crosslinks", summary="Remove a user's cross-link edit",
    description="The pair as a JSON body `{\"nl\": ..., \"en\": ...}` or as query parameters "
                "`?nl=...&en=...`. Removing a link drops the user's link (a link the "
                "lexicon's own sources give comes back with their weight); removing a block "
                "lets the pair apply again. 404 when there is no edit of the pair.",
    query=CrosslinkPairSchema, body=CrosslinkPairSchema, body_required=False,
    response=CrosslinkDeletedSchema, errors=(400, 404, 415, 422, 503, 507))
@require_write_key
def delete_crosslink():
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding")
    if has_body:
        if request.args:
            raise _invalid("give the pair in the body or in the query, not both",
                           {"_schema": [PAIR_SHAPE]})
        args = _load_body(CrosslinkPairSchema, PAIR_SHAPE)
    else:
        try:
            args = CrosslinkPairSchema().load(request.args.to_dict())
        except ValidationError as exc:
            raise _invalid("name the pair: ?nl=...&en=... or " + PAIR_SHAPE,
                           exc.messages) from None
    try:
        key = user_links.pair_key(args["nl"], args["en"])
    except user_links.UserLinkError as exc:
        raise _user_error(exc) from None
    config = current_app.config
    refuse_writes_when_degraded()
    removed = user_links.remove_edit(config["INDEX_DIR"], key, config["LOCK_TIMEOUT"])
    if removed is None:
        raise ApiError(404, "not_found",
                       f"there is no user edit of {args['nl']!r} / {args['en']!r} (index terms "
                       f"{key[0]!r} / {key[1]!r}); GET /api/crosslinks lists the edits")
    return jsonify(CrosslinkDeletedSchema().dump({**user_links.public(removed),
                                                  "deleted": True}))


@bp.get("/lookup")
@operation(
    tag="crosslinks", summary="What a word links to, and why (user edits applied)",
    description="The word analyzed as Dutch and as English, with each link's weight, the "
                "source of that weight (`user` for an edit) and every source that gives the "
                "pair, as `tolk lexicon lookup` shows; `blocked` lists the word's blocked "
                "pairs.",
    query=CrosslinkLookupArgsSchema, response=CrosslinkLookupSchema, errors=(400, 503))
def lookup_crosslinks():
    args = CrosslinkLookupArgsSchema().load(request.args.to_dict())
    word = " ".join(args["word"].split())
    lexicon = reader().lexicon()
    rows = lexicon_lookup(lexicon, word) if lexicon is not None and word else []
    wanted = user_links.matcher(word, kind="block")
    blocked = [user_links.public(edit) for _, edit in sorted(_stored_edits().items())
               if wanted(edit)]
    return jsonify(CrosslinkLookupSchema().dump({"word": word, "links": rows,
                                                 "blocked": blocked}))
