"""CORS: any web page may read ``/api``; browsers may write only from configured origins.

GET/HEAD responses (errors included) and OPTIONS preflights under ``/api/``
get ``Access-Control-Allow-Origin: *``. With read keys (``TOLK_READ_KEYS``)
a read preflight also allows the ``Authorization`` header, so a page holding
a search key can send it. Writes are meant for servers holding the admin key;
a browser app may write only from an origin listed in ``TOLK_CORS_ORIGINS``:
for such an origin the preflight allows POST/PUT/PATCH/DELETE with
``Authorization`` and the origin itself (not ``*``) is echoed. Preflights from
other origins allow only the read methods. POST on ``/api/search`` (a search
with a JSON body) is a read.
"""

from __future__ import annotations

from flask import Flask, current_app, request

from .settings import key_list

READ_METHODS = ("GET", "HEAD", "OPTIONS")
READ_POSTS = ("/api/search",)  # POST here reads: parameters in a JSON body
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _write_origin() -> str | None:
    """The request's Origin if it is configured for writes, else None."""
    origin = request.headers.get("Origin", "").strip()
    allowed = key_list(current_app.config.get("CORS_ORIGINS") or "")
    return origin if origin and origin.rstrip("/") in [a.rstrip("/") for a in allowed] \
        else None


def register_cors(app: Flask) -> None:
    @app.after_request
    def add_cors_headers(response):
        if not request.path.startswith("/api/"):
            return response
        read_post = request.path in READ_POSTS
        origin = _write_origin()
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.vary.add("Origin")
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = ", ".join(
                    READ_METHODS + WRITE_METHODS)
                response.headers["Access-Control-Allow-Headers"] = \
                    "Accept, Authorization, Content-Type, X-Request-ID"
                response.headers["Access-Control-Max-Age"] = "86400"
            response.headers["Access-Control-Expose-Headers"] = "X-Request-ID"
            return response
        if request.method not in READ_METHODS and not (read_post and request.method == "POST"):
            return response
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Expose-Headers"] = "X-Request-ID"
        if request.method == "OPTIONS":
            headers = ["Accept", "Content-Type", "X-Request-ID"]
            if current_app.config.get("READ_KEYS"):
                headers.insert(1, "Authorization")
            methods = READ_METHODS + (("POST",) if read_post else ())
            response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
            response.headers["Access-Control-Allow-Headers"] = ", ".join(headers)
            response.headers["Access-Control-Max-Age"] = "86400"
        return response
