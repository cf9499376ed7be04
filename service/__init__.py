"""Tolk's HTTP service: a thin Flask layer over the ``index`` engine.

The web layer (Flask, the search code, metrics) is imported inside ``create_app``:
the ``tolk`` CLI imports this package for its settings and lexicon helpers and
should not pay for loading the web layer (``tolk index one.txt`` stays fast).
"""

from __future__ import annotations

from .settings import SettingError, load_settings


def create_app(config: dict | None = None):
    """Application factory; ``config`` overrides settings read from the environment.

    Raises ``service.settings.SettingError`` (one line naming the variable) for a
    setting it does not accept.
    """
    from flask import Flask

    from index import decompound, fields as declared_fields
    from index.crosslink import wordvec
    from index.search import resultcache, senses
    from index.storage import IndexReader, postingcache
    from index.vectors import embedder as vector_embedder

    from .auth import register_read_protection
    from .cors import register_cors
    from .errors import register_error_handlers
    from .headers import register_security_headers
    from .languages import prepare_language_detection
    from .lexicon import load_lexicon
    from .logs import configure as configure_logging, register_request_ids

    app = Flask(__name__)
    settings = load_settings(config)
    prepare_language_detection(settings)
    app.config.update(settings)
    app.config["MAX_CONTENT_LENGTH"] = settings["MAX_CONTENT_LENGTH"]
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    configure_logging(settings["LOG_FORMAT"], settings["LOG_LEVEL"])

    fields = declared_fields.load_fields(settings["FIELDS"], settings["FIELDS_FILE"])
    declared_fields.configure(fields)  # FieldsError (a bad declaration) stops the start
    app.extensions["tolk_fields"] = fields

    try:
        vector_embedder.configure(settings["EMBEDDER"])  # loaded by a worker on first use
    except ValueError as exc:
        raise SettingError(str(exc)) from None
    wordvec.configure(settings["WORDVEC"])  # before any lexicon is built or read
    reader = IndexReader(settings["INDEX_DIR"])
    reader.set_lexicon_loader(load_lexicon)
    resultcache.configure(reader, settings["RESULT_CACHE"])
    postingcache.configure(settings["POSTING_CACHE_MB"])
    decompound.configure(settings["DECOMPOUND"])
    senses.configure(settings["SENSES"])
    app.extensions["tolk_reader"] = reader
    from index.backends import open_backend

    # The engine behind the API (TOLK_BACKEND); reads app.config as it is at each call.
    app.extensions["tolk_backend"] = open_backend(app.config, reader=reader)

    register_request_ids(app)
    register_error_handlers(app)
    register_read_protection(app)
    register_page_switch(app)
    register_cors(app)
    register_security_headers(app)
    from . import (api, crosslinks_api, docpage, documents_api, health, metrics, page,
                   similar_api)

    metrics.register_request_metrics(app)
    app.register_blueprint(api.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(documents_api.bp)
    app.register_blueprint(crosslinks_api.bp)
    app.register_blueprint(similar_api.bp)
    app.register_blueprint(page.bp)
    app.register_blueprint(docpage.bp)
    app.register_blueprint(metrics.bp)
    return app



def page_enabled(app) -> bool:
    """TOLK_PAGE: on, off, or auto (on unless read keys protect the corpus)."""
    from .auth import reads_protected

    mode = app.config.get("PAGE", "auto")
    return mode == "on" or (mode == "auto" and not reads_protected())


def register_page_switch(app) -> None:
    from flask import request

    from .errors import ApiError

    @app.before_request
    def page_switch():
        if request.blueprint in ("page", "docpage") and not page_enabled(app):
            raise ApiError(404, "not_found",
                           "the search page is off on this server (TOLK_PAGE, or reads "
                           "protected by TOLK_READ_KEYS); use the API with a key")
