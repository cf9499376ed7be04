"""Tolk's HTTP service: a thin Flask layer over the ``index`` engine."""

from __future__ import annotations

from flask import Flask

from index import fields as declared_fields
from index.storage import postingcache

from index.search import resultcache
from index.storage import IndexReader

from .cors import register_cors
from .errors import register_error_handlers
from .headers import register_security_headers
from .lexicon import load_lexicon
from .settings import load_settings


def create_app(config: dict | None = None) -> Flask:
    """Application factory; ``config`` overrides settings read from the environment."""
    app = Flask(__name__)
    settings = load_settings(config)
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_CONTENT_LENGTH"]
    app.json.ensure_ascii = False
    app.json.sort_keys = False

    fields = declared_fields.load_fields(settings["FIELDS"], settings["FIELDS_FILE"])
    declared_fields.configure(fields)  # FieldsError (a bad declaration) stops the start
    app.extensions["tolk_fields"] = fields

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
