"""One error type and one error payload: ``{code, status, message, errors}``.

API routes (``/api/...``) always answer JSON; other routes get a small HTML
page. No traceback ever reaches a client.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from index.documents import DocumentError
from index.query import QuerySyntaxError
from index.store import IndexLockedError, IndexMissingError, StoreError

log = logging.getLogger("tolk")


class ApiError(Exception):
    """An error with an HTTP status, a stable machine code and a human message."""

    def __init__(self, status: int, code: str, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors or {}

    def payload(self) -> dict:
        return {"code": self.code, "status": self.status, "message": self.message,
                "errors": self.errors}


def _from_exception(exc: Exception) -> ApiError:
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        return ApiError(400, "invalid_request", "the request has invalid parameters", messages)
    if isinstance(exc, QuerySyntaxError):
        return ApiError(400, "query_syntax", f"query syntax error: {exc}",
                        {"q": [str(exc)]})
    if isinstance(exc, DocumentError):
        return ApiError(422, "invalid_document", exc.message, exc.errors)
    if isinstance(exc, IndexLockedError):
        return ApiError(503, "index_busy", str(exc))
    if isinstance(exc, IndexMissingError):
        return ApiError(503, "no_index", str(exc))
    if isinstance(exc, StoreError):
        return ApiError(503, "store_error", str(exc))
    if isinstance(exc, HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return ApiError(exc.code or 500, code, exc.description or exc.name)
    log.exception("unhandled error on %s %s", request.method, request.path)
    return ApiError(500, "internal_error", "internal error; the server log has the details")


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/api"


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
        return response
