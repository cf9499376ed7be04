"""The JSON API under ``/api``."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from index.search import SearchRequest, search

from .errors import ApiError
from .schemas import HealthSchema, SearchArgsSchema, SearchResponseSchema

bp = Blueprint("api", __name__, url_prefix="/api")


def reader():
    return current_app.extensions["tolk_reader"]


def run_search(args: dict) -> dict:
    """Validate search arguments and run the one search function (API and page)."""
    params = SearchArgsSchema().load(args)
    if len(params["q"]) > current_app.config["MAX_QUERY_CHARS"]:
        limit = current_app.config["MAX_QUERY_CHARS"]
        raise ApiError(400, "query_too_long", f"the query is longer than {limit} characters",
                       {"q": [f"at most {limit} characters"]})
    if not params["q"].strip():
        raise ApiError(400, "invalid_request", "the query is empty",
                       {"q": ["give a non-empty query"]})
    return search(reader(), SearchRequest(**params))


@bp.get("/search")
def search_endpoint():
    result = run_search(request.args.to_dict())
    return jsonify(SearchResponseSchema().dump(result))


@bp.get("/health")
def health():
    counts = reader().counts()
    return jsonify(HealthSchema().dump({"status": "ok", "documents": counts}))
