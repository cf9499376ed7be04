"""Hybrid ranking: BM25 (with cross-links) fused with vector similarity.

Why: a lexicon cannot hold paraphrase, compounds or idiom; a multilingual
sentence embedding can, but ranks exact names and rare terms worse than BM25.
Fusing both keeps what each is good at. Two fusions are offered and measured
on FLORES (``tolk eval --mode hybrid``, docs/notes/vectors.md):

* ``rrf``: reciprocal rank fusion, sum of ``1 / (RRF_K + rank)``; needs no
  calibration, as the scores of the two lists never meet;
* ``blend``: calibrated score blending, ``w * bm25 / max(bm25) + (1 - w) *
  (cos - floor) / (1 - floor)``, both parts on [0, 1] per query.

Semantic candidates come from the brute-force scan of the memory-mapped
vectors (``index.vectors.store``); filters (language, dates, fields) are
applied to them with the same masks as to lexical hits, fetching deeper
until enough candidates pass.
"""

from __future__ import annotations

import re

import numpy as np

FUSIONS = ("rrf", "blend")
DEFAULT_FUSION = "rrf"
RRF_K = 60
BLEND_WEIGHT = 0.5  # share of the lexical part in ``blend``
COSINE_FLOOR = 0.2  # cosines at or below this count as no similarity in ``blend``
FUSION_DEPTH = 100  # candidates taken from each list (at least the page's depth)

class SemanticError(Exception):
    """Semantic or hybrid search was asked for and cannot run here; ``code`` names why."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


_OPERATORS = re.compile(r'["():]|(?<!\S)[+\-]|\b(?:AND|OR|NOT)\b')


def semantic_text(q: str) -> str:
    """The query as text for the embedder: no quotes, groups, prefixes or operators."""
    return " ".join(_OPERATORS.sub(" ", q).split())


def semantic_candidates(store, vector, languages, k: int, accept) -> list[tuple]:
    """``[(cosine, lang, doc_id)]``, best first, at most ``k``, of documents ``accept``s.

    ``accept(lang, doc_id)``: the document's docnum if it passes the filters, else
    None. Fetches ``k`` per language, then deeper while filters reject.
    """
    out = []
    for lang in languages:
        want, seen = k, 0
        while True:
            found = store.nearest(vector, want, language=lang)
            for doc_id, cos in found[seen:]:
                docnum = accept(lang, doc_id)
                if docnum is not None:
                    out.append((cos, lang, doc_id, docnum))
                    if sum(1 for c in out if c[1] == lang) >= k:
                        break
            if sum(1 for c in out if c[1] == lang) >= k or len(found) < want:
                break
            seen, want = len(found), want * 4
    out.sort(key=lambda c: c[0], reverse=True)
    return out[:k]


def fuse(lexical: list[tuple], semantic: list[tuple], fusion: str = DEFAULT_FUSION) -> list:
    """Fused ranking of ``lexical`` ``[(key, bm25)]`` and ``semantic`` ``[(key, cosine)]``
    (each best first): ``[(key, score, parts)]`` best first; ``parts`` says what each list
    gave (rank, raw score, contribution) for ``explain``."""
    parts: dict = {}
    if fusion == "rrf":
        for name, ranked in (("lexical", lexical), ("semantic", semantic)):
            for rank, (key, raw) in enumerate(ranked, 1):
                parts.setdefault(key, {})[name] = {"rank": rank, "score": round(float(raw), 4),
                                                   "contribution": 1.0 / (RRF_K + rank)}
    elif fusion == "blend":
        top = max((float(s) for _, s in lexical), default=0.0) or 1.0
        for rank, (key, raw) in enumerate(lexical, 1):
            parts.setdefault(key, {})["lexical"] = {
                "rank": rank, "score": round(float(raw), 4),
                "contribution": BLEND_WEIGHT * float(raw) / top}
        for rank, (key, cos) in enumerate(semantic, 1):
            calibrated = max(0.0, (float(cos) - COSINE_FLOOR) / (1 - COSINE_FLOOR))
            parts.setdefault(key, {})["semantic"] = {
                "rank": rank, "score": round(float(cos), 4),
                "contribution": (1 - BLEND_WEIGHT) * calibrated}
    else:
        raise ValueError(f"unknown fusion {fusion!r}: use one of {', '.join(FUSIONS)}")
    fused = []
    for key, given in parts.items():
        score = sum(p["contribution"] for p in given.values())
        for p in given.values():
            p["contribution"] = round(p["contribution"], 6)
        fused.append((key, score, given))
    fused.sort(key=lambda item: item[1], reverse=True)
    return fused


def explain(mode: str, fusion: str, parts: dict) -> dict:
    """A hit's ``explain``: each part's rank, raw score and contribution (null: not found)."""
    return {"mode": mode, "fusion": fusion if mode == "hybrid" else None,
            "lexical": parts.get("lexical"), "semantic": parts.get("semantic")}


def as_float(vector) -> np.ndarray:
    return np.asarray(vector, dtype=np.float32)
