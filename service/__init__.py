"""Tolk's HTTP service: a thin Flask layer over the ``index`` engine."""

from __future__ import annotations

from flask import Flask

from index.storage import postingcache

from index.search import resultcache
from index.storage import IndexReader

from .cors import register_cors
from .errors import register_error_handlers
from .headers import register_security_headers
from .lexicon import load_lexicon
from .languages import prepare_language_detection
from .settings import load_settings


def create_app(config: dict | None = None) -> Flask:
    """Application factory; ``config`` overrides settings read from the environment."""
    app = Flask(__name__)
    settings = load_settings(config)
    prepare_language_detection(settings)  # a wrong TOLK_DEFAULT_LANGUAGE stops the start
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
