"""Log lines for operators: one JSON object a line (or plain text), requests included.

Everything Tolk logs goes through Python's ``logging`` under the ``tolk``
logger, formatted here, so the service, gunicorn's own messages and the CLI's
indexing events come out in one shape (``TOLK_LOG_FORMAT=json|text``,
``TOLK_LOG_LEVEL``). The request line is written by gunicorn's logger class
(``service/gunicorn_conf.py``), which sees every response with its duration;
the app only hands it the request id and the route through the WSGI environ.
Secrets never reach a line: the Authorization header is not logged and query
parameters that look like credentials are masked.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode

REQUEST_ID_HEADER = "X-Request-ID"
ENV_REQUEST_ID = "tolk.request_id"
ENV_ROUTE = "tolk.route"
# A client's id is echoed only if it is short and plain (it goes into log lines and headers).
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
SECRET_PARAMS = {"key", "api_key", "apikey", "token", "access_token", "password", "secret",
                 "auth", "authorization"}


def request_id_from(header: str | None) -> str:
    """The client's ``X-Request-ID`` if it is usable, else a new random id."""
    if header and _CLIENT_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def safe_path(path: str, query: str = "") -> str:
    """``path?query`` with the values of credential-like parameters masked."""
    if not query:
        return path
    pairs = parse_qsl(query, keep_blank_values=True)
    masked = [(k, "***" if k.lower() in SECRET_PARAMS else v) for k, v in pairs]
    return path + "?" + urlencode(masked, safe="*")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and the record's ``fields``."""

    def format(self, record: logging.LogRecord) -> str:
        line = {"time": _timestamp(record.created), "level": record.levelname.lower(),
                "logger": record.name, "message": record.getMessage()}
        line.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger message key=value ...``: the same content, for people."""

    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None) or {}
        extra = " ".join(f"{k}={v}" for k, v in fields.items())
        line = (f"{_timestamp(record.created)} {record.levelname.lower():7} {record.name}: "
                f"{record.getMessage()}" + (f" {extra}" if extra else ""))
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


def _timestamp(created: float) -> str:
    return datetime.fromtimestamp(created, timezone.utc).isoformat(timespec="milliseconds") \
        .replace("+00:00", "Z")


def formatter(fmt: str) -> logging.Formatter:
    return JsonFormatter() if fmt == "json" else TextFormatter()


_HANDLER_MARK = "_tolk_handler"


def configure(fmt: str = "json", level: str = "info", stream=None) -> logging.Logger:
    """Send the ``tolk`` logger (and the engine's ``index`` logger) to ``stream`` (stderr)."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(fmt))
    setattr(handler, _HANDLER_MARK, True)
    for name in ("tolk", "index"):
        logger = logging.getLogger(name)
        for old in [h for h in logger.handlers if getattr(h, _HANDLER_MARK, False)]:
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(level.upper())
        # Records still propagate: the root logger has no handler in gunicorn or the CLI
        # (no duplicates), and a host that configures logging (pytest's caplog) sees them.
    return logging.getLogger("tolk")


def event(logger: logging.Logger, message: str, level: int = logging.INFO, **fields) -> None:
    """Log ``message`` with structured ``fields`` (JSON keys, or key=value in text)."""
    logger.log(level, message, extra={"fields": fields})


def access_fields(environ: dict, status: int, duration_s: float, pid: int) -> dict:
    """The fields of one request's log line (no headers, no secrets)."""
    return {
        "method": environ.get("REQUEST_METHOD", ""),
        "path": safe_path(environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")),
        "route": environ.get(ENV_ROUTE),
        "status": status,
        "duration_ms": round(duration_s * 1000, 2),
        "request_id": environ.get(ENV_REQUEST_ID),
        "remote": environ.get("REMOTE_ADDR"),
        "pid": pid,
    }


def register_request_ids(app) -> None:
    """Give every request an id (the client's ``X-Request-ID`` or a new one), echoed back."""
    from flask import g, request

    @app.before_request
    def assign_request_id():
        g.request_id = request_id_from(request.headers.get(REQUEST_ID_HEADER))
        g.request_started = time.perf_counter()
        request.environ[ENV_REQUEST_ID] = g.request_id
        rule = request.url_rule
        request.environ[ENV_ROUTE] = rule.rule if rule is not None else "unmatched"

    @app.after_request
    def echo_request_id(response):
        rid = g.get("request_id")
        if rid is None:  # a request that failed before before_request ran
            rid = request_id_from(request.headers.get(REQUEST_ID_HEADER))
            request.environ[ENV_REQUEST_ID] = rid
        response.headers[REQUEST_ID_HEADER] = rid
        return response
