"""CORS for the read side of the API: any web page may read ``/api``.

GET/HEAD responses (errors included) and OPTIONS preflights under ``/api/``
get ``Access-Control-Allow-Origin: *``. Writes are meant for servers holding
the API key, not for browsers, so preflights allow only the read methods, plus
POST on ``/api/search`` (a search with a JSON body is a read).
"""

from __future__ import annotations

from flask import Flask, request

READ_METHODS = ("GET", "HEAD", "OPTIONS")
READ_POSTS = ("/api/search",)  # POST here reads: parameters in a JSON body


def register_cors(app: Flask) -> None:
    @app.after_request
    def add_cors_headers(response):
        if not request.path.startswith("/api/"):
            return response
        read_post = request.path in READ_POSTS
        if request.method not in READ_METHODS and not (read_post and request.method == "POST"):
            return response
        response.headers["Access-Control-Allow-Origin"] = "*"
        if request.method == "OPTIONS":
            methods = READ_METHODS + (("POST",) if read_post else ())
            response.headers["Access-Control-Allow-Methods"] = ", ".join(methods)
            response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type"
            response.headers["Access-Control-Max-Age"] = "86400"
        return response
