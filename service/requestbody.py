"""Request bodies: JSON read whole and checked, for every endpoint that takes one.

One place decides what a bad body answers (415 wrong type, 413 too large,
400 empty, not JSON, nested too deeply or holding a lone surrogate), so the
document endpoints and ``POST /api/search`` answer the same way.
"""

from __future__ import annotations

import json

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from .errors import ApiError


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
    surrogate = lone_surrogate(body)
    if surrogate is not None:
        raise ApiError(400, "invalid_json",
                       "the body contains a lone UTF-16 surrogate escape "
                       f"({surrogate!r}), which is not text; send valid Unicode",
                       {"_schema": ["unpaired surrogate in a JSON string"]})
    return body


def lone_surrogate(value) -> str | None:
    """The first unpaired UTF-16 surrogate in a parsed JSON value, or None.

    Such a string is not Unicode text: stored, it made every later answer that
    contained it fail to encode. Walked with a stack: the value may be nested deeply.
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
                return item[exc.start]
    return None
