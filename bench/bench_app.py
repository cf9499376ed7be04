"""Tolk's real WSGI app plus an empty endpoint, for the HTTP floor.

    TOLK_INDEX_DIR=DIR .venv/bin/gunicorn -w 2 -b 127.0.0.1:PORT \
        --pythonpath bench "bench_app:create_app()"

``/bench/empty`` returns ``{}`` through the same Flask app, the same
gunicorn workers and the same JSON response path as ``/api/search``, so the
difference between the two is the cost of searching (and of the search
endpoint's validation and serialization). Nothing in ``service/`` changes; the
result cache is off so that every search is measured cold (see BENCHMARKS.md).
"""

from __future__ import annotations

from flask import jsonify

import service


def create_app():
    # No result cache: wrk cycles through the query list, and repeats would be cache hits.
    app = service.create_app({"RESULT_CACHE": 0})

    def empty():
        return jsonify({})

    def code():
        import index

        return jsonify({"index": index.__file__})

    app.add_url_rule("/bench/empty", "bench_empty", empty)
    app.add_url_rule("/bench/code", "bench_code", code)
    return app
