"""One error type and one error payload: ``{code, status, message, errors}``.

API routes (``/api/...``) always answer JSON; other routes get a small HTML
page. No traceback ever reaches a client.
"""

from __future__ import annotations

import errno
import logging

from flask import Flask, current_app, jsonify, render_template, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from index.ingest.documents import DocumentError
from index.search.filters import FilterError
from index.search.query import QuerySyntaxError
from index.backends.base import BackendRequestError, BackendUnavailable
from index.storage import IndexLockedError, IndexMissingError, StoreError
from index.storage.errors import (CorruptIndexError, FieldTypeError, IndexOutdatedError,
                                  IndexUnavailableError)

log = logging.getLogger("tolk")

# Response headers of an HTTPException that describe the error and are worth keeping.
_KEPT_HEADERS = ("Allow", "Retry-After", "WWW-Authenticate")


# A write that meets these is refused with a status that says so, not a 500.
DISK_FULL = (errno.ENOSPC, errno.EDQUOT)
NO_PERMISSION = (errno.EACCES, errno.EPERM, errno.EROFS)


def os_reason(exc: OSError) -> str:
    """``No space left on device`` (the OS's words), without a path or traceback."""
    return exc.strerror or errno.errorcode.get(exc.errno or 0, "I/O error")


class ApiError(Exception):
    """An error with an HTTP status, a stable machine code and a human message."""

    def __init__(self, status: int, code: str, message: str, errors: dict | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or {}
        self.headers = headers or {}

    def payload(self) -> dict:
        return {"code": self.code, "status": self.status, "message": self.message,
                "errors": self.errors}


def _from_http_exception(exc: HTTPException) -> ApiError:
    if isinstance(exc, RequestEntityTooLarge):
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return ApiError(413, "too_large",
                        f"the request body is larger than {limit} bytes "
                        "(the server's TOLK_MAX_CONTENT_LENGTH); send fewer or smaller documents")
    code = (exc.name or "error").lower().replace(" ", "_")
    headers = {k: v for k, v in exc.get_headers() if k in _KEPT_HEADERS}
    return ApiError(exc.code or 500, code, exc.description or exc.name, headers=headers)


def _first_problem(messages) -> str:
    """``: documents.0.desk: unknown field ...`` -- the first message, with its path."""
    path = []
    for _ in range(10):
        if isinstance(messages, dict) and messages:
            key = next(iter(messages))
            path.append(str(key))
            messages = messages[key]
        elif isinstance(messages, list) and messages:
            messages = messages[0]
        else:
            break
    if not isinstance(messages, str):
        return ""
    return f": {'.'.join(path)}: {messages}" if path else f": {messages}"


def _from_exception(exc: Exception) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return ApiError(400, "invalid_request",
                        "the request has invalid parameters" + _first_problem(messages), messages)
    if isinstance(exc, QuerySyntaxError):
        return ApiError(400, "query_syntax", f"query syntax error: {exc}",
                        {"q": [str(exc)]})
    if isinstance(exc, FilterError):
        return ApiError(400, f"invalid_{exc.param}", exc.message, {exc.param: [exc.message]})
    if isinstance(exc, FieldTypeError):
        return ApiError(409, "field_type_conflict", str(exc))
    if isinstance(exc, DocumentError):
        return ApiError(422, "invalid_document", exc.message, exc.errors)
    if isinstance(exc, IndexLockedError):
        return ApiError(503, "index_busy", str(exc), headers={"Retry-After": "5"})
    if isinstance(exc, IndexMissingError):
        return ApiError(503, "no_index", str(exc))
    if isinstance(exc, IndexOutdatedError):
        return ApiError(503, "index_outdated", str(exc))
    if isinstance(exc, IndexUnavailableError):
        return ApiError(503, "index_unavailable", str(exc), headers={"Retry-After": "10"})
    if isinstance(exc, CorruptIndexError):
        return ApiError(503, "index_damaged", str(exc))
    if isinstance(exc, StoreError):
        return ApiError(503, "store_error", str(exc))
    if isinstance(exc, BackendUnavailable):
        log.error("backend unavailable on %s %s: %s %s", request.method, request.path,
                  exc.message, exc.detail)
        return ApiError(503, "backend_unavailable", exc.message, headers={"Retry-After": "5"})
    if isinstance(exc, BackendRequestError):
        return ApiError(exc.status, exc.code, exc.message, exc.errors)
    if isinstance(exc, OSError) and exc.errno in DISK_FULL:
        log.error("disk full on %s %s: %s", request.method, request.path, exc)
        return ApiError(507, "insufficient_storage",
                        "the disk holding the index is full (" + os_reason(exc) + "); nothing "
                        "was stored and the index is unchanged. Free space on the volume of "
                        "TOLK_INDEX_DIR and send the request again")
    if isinstance(exc, OSError) and exc.errno in NO_PERMISSION:
        log.error("no permission on %s %s: %s", request.method, request.path, exc)
        return ApiError(503, "index_not_writable",
                        "the server may not read or write its index files "
                        f"({os_reason(exc)}); nothing was stored. The index directory must "
                        "belong to the user the server runs as (in the Docker image: "
                        "chown -R 10001 /data)")
    if isinstance(exc, HTTPException):
        return _from_http_exception(exc)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return ApiError(500, "internal_error", "internal error; the server log has the details")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in ("/api", "/metrics")


def register_error_handlers(app: Flask) -> None:
    """Render every error as the JSON payload (API) or a small HTML page."""

    @app.errorhandler(Exception)
    def handle(exc):
        error = _from_exception(exc)
        if wants_json():
            response = jsonify(error.payload())
        else:
            response = app.response_class(
                render_template("error.html", error=error), mimetype="text/html")
        response.status_code = error.status
        response.headers.update(error.headers)
        return response
