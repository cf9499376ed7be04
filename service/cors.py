"""CORS for the read side of the API: any web page may read ``/api``.

GET/HEAD responses (errors included) and OPTIONS preflights under ``/api/``
get ``Access-Control-Allow-Origin: *``. Writes are meant for servers holding
the API key, not for browsers, so preflights allow only the read methods.
"""

from __future__ import annotations

from flask import Flask, request

READ_METHODS = ("GET", "HEAD", "OPTIONS")


def register_cors(app: Flask) -> None:
    @app.after_request
    def add_cors_headers(response):
        if not request.path.startswith("/api/") or request.method not in READ_METHODS:
            return response
        response.headers["Access-Control-Allow-Origin"] = "*"
        if request.method == "OPTIONS":
            response.headers["Access-Control-Allow-Methods"] = ", ".join(READ_METHODS)
            response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
            response.headers["Access-Control-Max-Age"] = "86400"
        return response
