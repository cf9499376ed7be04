"""``GET /api/documents/{id}/similar``: the most similar articles, in both languages.

Kept apart from ``documents_api`` (writes and listings): this view only reads the
vectors (``index.search.similar``). ``lang`` filters the answer to one language
(a Dutch article with ``lang=en``: only its English counterparts), as ``lang``
filters search hits; without it both languages are ranked together by cosine.
Each answer says whether a hit is the same story (cosine at or above the
measured threshold), so a client can show "same story in English" links.
"""

from __future__ import annotations

import time

from flask import Blueprint, jsonify, request

from index.search.grouping import checked_store
from index.search.hybrid import SemanticError
from index.search.similar import SimilarError, similar, story_threshold

from .api import reader
from .documents_api import checked_id
from .errors import ApiError
from .openapi import operation
from .schemas import SimilarArgsSchema, SimilarResponseSchema

bp = Blueprint("similar", __name__, url_prefix="/api/documents")


@bp.get("/<doc_id>/similar")
@operation(
    tag="documents", summary="Articles similar to a document, in both languages",
    description="The documents whose vectors are nearest to this document's (cosine), best "
                "first, itself left out. `lang=en` on a Dutch article gives only its English "
                "counterparts. `same_story` marks hits at or above the story threshold "
                "(the one `group=story` uses). Needs the embedder and an index with vectors: "
                "409 `semantic_off`, `vectors_missing`, `vectors_mismatch` or `no_vector` "
                "(the document was stored while the embedder was off).",
    query=SimilarArgsSchema, response=SimilarResponseSchema, errors=(400, 404, 409, 503))
def similar_documents(doc_id):
    started = time.perf_counter()
    checked_id(doc_id)
    params = SimilarArgsSchema().load(request.args.to_dict())
    index = reader()
    fields = index.get(doc_id)
    if fields is None:
        raise ApiError(404, "not_found", f"no document with id {doc_id!r}")
    try:
        store = checked_store(index)
        lang = None if params["lang"] == "any" else params["lang"]
        found = similar(store, doc_id, params["limit"], lang)
    except SemanticError as exc:
        raise ApiError(409, exc.code, exc.message, {"id": [exc.message]}) from None
    except SimilarError as exc:
        raise ApiError(exc.status, exc.code, exc.message, {"id": [exc.message]}) from None
    threshold = story_threshold(store.model)
    hits = []
    for other_id, language, cos in found:
        other = index.get(other_id)
        if other is None:  # deleted after the vectors were read
            continue
        hits.append({"id": other_id, "language": other.get("language") or language,
                     "title": other.get("title", ""), "date": other.get("date") or None,
                     "url": other.get("url"), "source": other.get("source") or None,
                     "score": round(float(cos), 4),
                     "same_story": threshold is not None and cos >= threshold})
    return jsonify(SimilarResponseSchema().dump({
        "id": doc_id, "language": fields["language"], "lang": params["lang"],
        "model": store.model, "story_threshold": threshold, "hits": hits,
        "took_ms": round((time.perf_counter() - started) * 1000, 2)}))
