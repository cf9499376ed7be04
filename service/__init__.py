"""Tolk's HTTP service: a thin Flask layer over the ``index`` engine.

Flask and the search code are imported inside ``create_app``: the ``tolk``
command (``service.cli``) lives in this package, and ``tolk index one.txt``
should not pay for loading the web layer (about a third of a second).
"""

from __future__ import annotations

from .settings import load_settings


def create_app(config: dict | None = None):
    """Application factory; ``config`` overrides settings read from the environment."""
    from flask import Flask

    from index.search import resultcache
    from index.storage import IndexReader, postingcache

    from .cors import register_cors
    from .errors import register_error_handlers
    from .headers import register_security_headers
    from .lexicon import load_lexicon

    app = Flask(__name__)
    settings = load_settings(config)
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_CONTENT_LENGTH"]
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    reader = IndexReader(settings["INDEX_DIR"])
    reader.set_lexicon_loader(load_lexicon)
    resultcache.configure(reader, settings["RESULT_CACHE"])
    postingcache.configure(settings["POSTING_CACHE_MB"])
    app.extensions["tolk_reader"] = reader

    register_error_handlers(app)
    register_cors(app)
    register_security_headers(app)
    from . import api, documents_api, page

    app.register_blueprint(api.bp)
    app.register_blueprint(documents_api.bp)
    app.register_blueprint(page.bp)
    return app
