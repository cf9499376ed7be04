"""Access keys: an admin key for writes, optional search-only keys for reads.

``TOLK_API_KEY`` is the admin key: writes need it (no key configured: writes
are off, 403 saying how to turn them on). ``TOLK_READ_KEYS`` (comma-separated)
are search-only keys: when any is set, every read endpoint except the health
checks and the OpenAPI document needs ``Authorization: Bearer`` with a read key
or the admin key, so a private corpus is not open to anyone; with none set,
reads are open. A missing or wrong key: 401 with ``WWW-Authenticate: Bearer``.
Keys are compared in constant time (every configured key is compared, so the
time does not tell which one nearly matched) and never logged.
"""

from __future__ import annotations

import hmac
from functools import wraps

from flask import current_app, request

from .errors import ApiError
from .settings import key_list

REALM = 'Bearer realm="tolk"'
# Reads that stay open with read keys: probes for load balancers and the API's own description.
OPEN_PATHS = ("/api/health", "/api/health/live", "/api/health/ready", "/api/openapi.json")


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "").strip()
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _matches(token: str, keys: list[str]) -> bool:
    found = False
    encoded = token.encode("utf-8")
    for key in keys:
        found |= hmac.compare_digest(encoded, key.encode("utf-8"))
    return found


def read_keys() -> list[str]:
    return key_list(current_app.config.get("READ_KEYS") or "")


def reads_protected() -> bool:
    return bool(read_keys())


def check_write_key() -> None:
    """Raise ApiError unless the request carries the configured bearer key."""
    key = current_app.config.get("API_KEY") or ""
    if not key:
        raise ApiError(403, "writes_disabled",
                       "writing is disabled on this server: start it with TOLK_API_KEY set to "
                       "a secret key, then send 'Authorization: Bearer <key>'")
    token = _bearer_token()
    if token is None:
        raise ApiError(401, "unauthorized",
                       "this endpoint needs the header 'Authorization: Bearer <key>' "
                       "(the server's TOLK_API_KEY)", headers={"WWW-Authenticate": REALM})
    if not token or not _matches(token, [key]):
        if token and _matches(token, read_keys()):
            raise ApiError(403, "forbidden",
                           "this key may only search; writes need the admin key (TOLK_API_KEY)")
        raise ApiError(401, "unauthorized",
                       "the key in 'Authorization: Bearer <key>' is not the server's key",
                       headers={"WWW-Authenticate": REALM + ', error="invalid_token"'})


def check_read_key() -> None:
    """With TOLK_READ_KEYS set, raise ApiError unless the request has a read or admin key."""
    keys = read_keys()
    if not keys:
        return
    admin = current_app.config.get("API_KEY") or ""
    token = _bearer_token()
    if token is None:
        raise ApiError(401, "unauthorized",
                       "reads on this server need the header 'Authorization: Bearer <key>' "
                       "with a search key (TOLK_READ_KEYS) or the admin key",
                       headers={"WWW-Authenticate": REALM})
    if not token or not _matches(token, keys + ([admin] if admin else [])):
        raise ApiError(401, "unauthorized",
                       "the key in 'Authorization: Bearer <key>' is not one of the server's keys",
                       headers={"WWW-Authenticate": REALM + ', error="invalid_token"'})


def register_read_protection(app) -> None:
    """Check read keys before every read under /api (writes check the admin key themselves)."""

    @app.before_request
    def protect_reads():
        if request.method not in ("GET", "HEAD") or not request.path.startswith("/api/"):
            return None
        if request.path.rstrip("/") in OPEN_PATHS:
            return None
        check_read_key()
        return None


def require_write_key(view):
    """Decorator for write endpoints; marks the view for the OpenAPI document."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        check_write_key()
        return view(*args, **kwargs)

    wrapped.tolk_requires_key = True
    return wrapped
