"""The read side of the JSON API under ``/api``: search, suggest, health, stats, OpenAPI.

The document endpoints (``/api/documents``) are in ``service/documents_api.py``.
"""

from __future__ import annotations

import math
import time

from flask import Blueprint, current_app, jsonify, request

from index.observe import recording_phases
from index.search import SearchRequest
from index.search.filters import FilterError
from index.search.grouping import StoryError
from index.search.hybrid import SemanticError
from index.storage import StoreError

from .errors import ApiError
from .metrics import observe_search
from .openapi import get_spec, operation
from .requestbody import json_body
from .schemas import (HealthSchema, SearchArgsSchema, SearchResponseSchema, StatsSchema,
                      SuggestArgsSchema, SuggestResponseSchema, shared)

bp = Blueprint("api", __name__, url_prefix="/api")


def reader():
    return current_app.extensions["tolk_reader"]


def backend():
    """The search engine behind the API (``index.backends``, TOLK_BACKEND)."""
    return current_app.extensions["tolk_backend"]


def run_search(args: dict) -> dict:
    """Validate search arguments and run the one search function (API and page).

    ``args`` are query parameters as strings (or already typed values);
    raises ``marshmallow.ValidationError``, ``ApiError`` or
    ``index.search.query.QuerySyntaxError`` on bad input (a filter, sort or facet
    that cannot be used is an ``ApiError`` 400 ``invalid_filter``/``_sort``/``_facets``).
    """
    params = shared(SearchArgsSchema).load(args)
    if len(params["q"]) > current_app.config["MAX_QUERY_CHARS"]:
        limit = current_app.config["MAX_QUERY_CHARS"]
        raise ApiError(400, "query_too_long", f"the query is longer than {limit} characters",
                       {"q": [f"at most {limit} characters"]})
    if not params["q"].strip():
        raise ApiError(400, "invalid_request", "the query is empty",
                       {"q": ["give a non-empty query"]})
    paging = params.pop("paging", None)
    engine = backend()
    # group=story: the engine's grouped_search (400 invalid_group where it cannot group).
    run = engine.grouped_search if params.pop("group", "none") == "story" else engine.search
    try:
        with recording_phases() as timings:
            result = run(SearchRequest(**params), current_app.extensions["tolk_fields"])
    except FilterError as exc:
        raise ApiError(400, f"invalid_{exc.param}", exc.message, {exc.param: [exc.message]}) \
            from None
    except SemanticError as exc:
        param = "group" if isinstance(exc, StoryError) else "mode"
        raise ApiError(409, exc.code, exc.message, {param: [exc.message]}) from None
    observe_search(timings, result)
    if paging is not None:  # asked for by page: say where in the pages this is
        counted = result.get("total_groups", result["total"])  # group=story: groups
        result = {**result, **paging,
                  "total_pages": math.ceil(counted / paging["hits_per_page"])}
    return result


@bp.get("/search")
@operation(
    tag="search", summary="Search Dutch and English documents",
    description="Ranked hits from both languages with highlighted snippets, cross-links, "
                "facets (by language and month, or the fields named in `facets`), and a "
                "\"did you mean\" suggestion when there are few hits. `filter` restricts the "
                "hits on declared fields (`source:NOS AND tags:oorlog`); `sort` orders by a "
                "date or number field.",
    query=SearchArgsSchema, response=SearchResponseSchema, errors=(400, 409, 503))
def search_endpoint():  # group=story: Backend.grouped_search
    result = run_search(request.args.to_dict())
    return jsonify(shared(SearchResponseSchema).dump(result))


@bp.post("/search")
@operation(
    tag="search", summary="Search with the parameters in a JSON body",
    description="The same parameters and answer as `GET /api/search`, sent as a JSON object "
                "(for long queries and filters that do not fit a URL).",
    body=SearchArgsSchema, response=SearchResponseSchema, errors=(400, 409, 413, 415, 503))
def search_post_endpoint():
    body = json_body()
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_request",
                       'the body must be a JSON object such as {"q": "Poetin", "limit": 10}',
                       {"_schema": ["send one JSON object"]})
    return jsonify(shared(SearchResponseSchema).dump(run_search(body)))


@bp.get("/suggest")
@operation(
    tag="search", summary="Complete the last word of a query (search-as-you-type)",
    description="Completions of the last word of `q` (case and accents ignored), from both "
                "languages unless `lang` says otherwise: words that occur together with the "
                "earlier words of `q` first, then the most frequent. Each has the folded "
                "`text`, the `display` form the documents use and the whole `query`.",
    query=SuggestArgsSchema, response=SuggestResponseSchema, errors=(400, 503))
def suggest_endpoint():
    params = shared(SuggestArgsSchema).load(request.args.to_dict())
    started = time.perf_counter()
    suggestions = backend().suggest(params["q"], params["limit"], params["lang"])
    return jsonify(shared(SuggestResponseSchema).dump({
        "query": params["q"], "suggestions": suggestions,
        "took_ms": round((time.perf_counter() - started) * 1000, 2)}))


@bp.get("/health")
@operation(tag="service", summary="Is the service up, and how many documents it has",
           response=HealthSchema, errors=(503,))
def health():
    # As truthful as /api/health/ready: a real probe search, so an index whose searches
    # fail (a truncated lexicon) is not reported healthy. A damaged current generation
    # with a healthy previous one is "degraded" (still 200: searches are answered).
    engine = backend()
    try:
        counts = engine.health()["documents"]
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - every failure is a reason, never a 500
        raise ApiError(503, "not_ready", f"not ready: {exc}", {"index": [str(exc)]}) from None
    status = engine.status()
    return jsonify(HealthSchema().dump({"status": "degraded" if status["degraded"] else "ok",
                                        "documents": counts, "index": status}))


@bp.get("/stats")
@operation(tag="service", summary="Index statistics",
           description="Documents per language, cross-link lexicon pairs per source, size of "
                       "the current index generation and the time of the last write.",
           response=StatsSchema, errors=(503,))
def stats():
    return jsonify(StatsSchema().dump(backend().stats()))


@bp.get("/openapi.json")
@operation(tag="service", summary="This API's OpenAPI 3 document",
           response_description="the OpenAPI document")
def openapi_document():
    return jsonify(get_spec(current_app))
