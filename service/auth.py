"""Write access: a bearer key (setting ``API_KEY``, env ``TOLK_API_KEY``).

No key configured: writes are off (403, saying how to turn them on). A
missing or wrong key: 401 with ``WWW-Authenticate: Bearer``. Keys are
compared in constant time.
"""

from __future__ import annotations

import hmac
from functools import wraps

from flask import current_app, request

from .errors import ApiError

REALM = 'Bearer realm="tolk"'


def check_write_key() -> None:
    """Raise ApiError unless the request carries the configured bearer key."""
    key = current_app.config.get("API_KEY") or ""
    if not key:
        raise ApiError(403, "writes_disabled",
                       "writing is disabled on this server: start it with TOLK_API_KEY set to "
                       "a secret key, then send 'Authorization: Bearer <key>'")
    header = request.headers.get("Authorization", "")
    if not header.strip():
        raise ApiError(401, "unauthorized",
                       "this endpoint needs the header 'Authorization: Bearer <key>' "
                       "(the server's TOLK_API_KEY)", headers={"WWW-Authenticate": REALM})
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode("utf-8"), key.encode("utf-8")):
        raise ApiError(401, "unauthorized",
                       "the key in 'Authorization: Bearer <key>' is not the server's key",
                       headers={"WWW-Authenticate": REALM + ', error="invalid_token"'})


def require_write_key(view):
    """Decorator for write endpoints; marks the view for the OpenAPI document."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        check_write_key()
        return view(*args, **kwargs)

    wrapped.tolk_requires_key = True
    return wrapped
