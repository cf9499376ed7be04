"""Vectorized scoring: whole posting lists scored at once with NumPy.

Most queries compile to synonym sets (``SynonymQuery``) and phrases
(``index.scoring.vectorphrase``) combined with Or / And / AndMaybe / AndNot. For
those, every segment is scored as dense arrays (one slot per document): a
synonym set adds its members' weighted term frequencies into one array and
applies BM25 to it in one step; Or adds, And masks. This gives the same
scores, bit for bit, as the per-document matcher loop (``index.search.collect``),
which remains the path for anything else (NOT, other weightings). Postings
are NumPy views of the segment's posting-array file (``index.storage.postingarrays``);
a segment written before it has its Whoosh blocks decoded, cached per segment
(``index.storage.postingcache``).
"""

from __future__ import annotations

import numpy as np
from whoosh import query as wq

from index.storage import postingarrays, postingcache, postings

from index.scoring import vectorphrase
from index.scoring.bm25 import B, K1
from index.scoring.synonyms import SynonymQuery


def supports(query, weighting=None) -> bool:
    """True if ``query`` is made of synonym sets and Or/And/AndMaybe/AndNot only.

    With the searcher's ``weighting`` given, plain phrases count too (see
    ``index.scoring.vectorphrase``).
    """
    if isinstance(query, SynonymQuery):
        return True
    if isinstance(query, (wq.Or, wq.And)) and type(query) in (wq.Or, wq.And):
        return all(supports(child, weighting) for child in query.subqueries)
    if isinstance(query, (wq.AndMaybe, wq.AndNot)):
        return supports(query.a, weighting) and supports(query.b, weighting)
    return weighting is not None and vectorphrase.supports(query, weighting)


def _cache(reader) -> dict:
    return reader.__dict__.setdefault("_tolk_vectors", {})


def _field_lengths(reader, fieldname: str, size: int, seg) -> np.ndarray:
    cache = _cache(reader)
    key = ("lengths", fieldname)
    if key not in cache:
        # Whoosh keeps field lengths as one byte per document in a column, read as one array.
        cache[key] = postingarrays.field_lengths(reader, fieldname, size)
    return cache[key]


def _live(reader, size: int) -> np.ndarray | None:
    cache = _cache(reader)
    if "live" not in cache:
        live = None
        if reader.has_deletions():
            live = np.ones(size, dtype=bool)
            live[[d for d in range(size) if reader.is_deleted(d)]] = False
        cache["live"] = live
    return cache["live"]


def _postings(reader, fieldname: str, text: str, seg=None):
    """(docnums, term frequencies) of one term in one segment, as arrays.

    From the segment's posting arrays when it has them (no decoding, no copy but
    the float64 weights), else decoded from Whoosh's blocks (cached by segment).
    """
    arrays = postingarrays.for_reader(reader)
    if arrays is not None:
        found = arrays.get(fieldname, reader._text_to_bytes(fieldname, text))
        # A damaged file must not index outside the segment: its blocks are decoded instead.
        if found is not None:
            ids, weights = found
            if not len(ids) or int(ids.max()) < reader.doc_count_all():
                return ids, weights.astype(np.float64)
    return postingcache.CACHE.get_or_compute(seg and (seg, fieldname, text),
                                             lambda: _decode(reader, fieldname, text))


def _decode(reader, fieldname: str, text: str):
    return postings.decode(reader, fieldname, reader._text_to_bytes(fieldname, text))


def _leaf_tf(reader, query: SynonymQuery, size: int, seg) -> np.ndarray:
    """Each document's weighted term frequency of the synonym set."""
    tf = np.zeros(size, dtype=np.float64)
    for text, weight in query.terms_weights.items():
        if " " in text:  # a phrase member: its phrase frequency
            ids, tfs = vectorphrase.phrase_frequencies(reader, query.fieldname, text.split(), seg)
        elif (query.fieldname, text) not in reader:
            continue
        else:
            ids, tfs = _postings(reader, query.fieldname, text, seg)
        tf[ids] += weight * tfs
    return tf


def _leaf(reader, query: SynonymQuery, size: int, avg_length: float, seg):
    tf = _leaf_tf(reader, query, size, seg)
    mask = tf > 0
    lengths = _field_lengths(reader, query.fieldname, size, seg)
    norm = 1.0 - B + B * (lengths / avg_length if avg_length > 0 else 1.0)
    # The operations in the order of ``scoring.bm25`` times the boost, so scores are identical.
    scores = np.where(mask, query.boost * (query.idf * tf * (K1 + 1.0) / (tf + K1 * norm)), 0.0)
    return scores, mask


def _evaluate(reader, query, size: int, avg_lengths: dict, seg=None, sub=None):
    if isinstance(query, SynonymQuery):
        return _leaf(reader, query, size, avg_lengths[query.fieldname], seg)
    if isinstance(query, wq.Phrase):
        lengths = (_field_lengths(reader, query.fieldname, size, seg)
                   if query.fieldname in reader.schema else None)
        return vectorphrase.phrase_scores(sub, reader, query, size, lengths, seg)
    if isinstance(query, wq.AndMaybe):
        required, mask = _evaluate(reader, query.a, size, avg_lengths, seg, sub)
        optional, _ = _evaluate(reader, query.b, size, avg_lengths, seg, sub)
        return np.where(mask, required + optional, 0.0), mask
    if isinstance(query, wq.AndNot):
        positive, mask = _evaluate(reader, query.a, size, avg_lengths, seg, sub)
        _, negative = _evaluate(reader, query.b, size, avg_lengths, seg, sub)
        mask = mask & ~negative
        return np.where(mask, positive, 0.0), mask
    parts = [_evaluate(reader, child, size, avg_lengths, seg, sub) for child in query.subqueries]
    scores = np.sum([p[0] for p in parts], axis=0)
    if isinstance(query, wq.And):
        mask = np.logical_and.reduce([p[1] for p in parts])
        scores = np.where(mask, scores, 0.0)
    else:
        mask = np.logical_or.reduce([p[1] for p in parts])
    return scores, mask


def _matches(reader, query, size: int, avg_lengths: dict, seg=None, sub=None) -> np.ndarray:
    """The mask of ``_evaluate`` without its scores (a count needs no BM25)."""
    if isinstance(query, SynonymQuery):
        return _leaf_tf(reader, query, size, seg) > 0
    if isinstance(query, wq.Phrase):
        return _evaluate(reader, query, size, avg_lengths, seg, sub)[1]
    if isinstance(query, wq.AndMaybe):
        return _matches(reader, query.a, size, avg_lengths, seg, sub)
    if isinstance(query, wq.AndNot):
        return (_matches(reader, query.a, size, avg_lengths, seg, sub)
                & ~_matches(reader, query.b, size, avg_lengths, seg, sub))
    masks = [_matches(reader, child, size, avg_lengths, seg, sub) for child in query.subqueries]
    if isinstance(query, wq.And):
        return np.logical_and.reduce(masks)
    return np.logical_or.reduce(masks)


def match_all(searcher, query) -> np.ndarray:
    """The mask of ``score_all`` alone: which documents match (for a count)."""
    return _over_segments(searcher, query, scored=False)[1]


def score_all(searcher, query):
    """(scores, mask) over the searcher's global document numbers."""
    return _over_segments(searcher, query, scored=True)


def _over_segments(searcher, query, scored: bool):
    all_scores, all_masks = [], []
    folder = postingcache.index_folder(searcher)
    # The whole index's averages, as SynonymQuery.matcher uses.
    avg_lengths = {name: searcher.avg_field_length(name) or 1.0 for name in ("title", "body")}
    for sub, _ in searcher.leaf_searchers():
        reader = sub.reader()
        size = reader.doc_count_all()
        seg = postingcache.segment_key(folder, reader)
        if scored:
            scores, mask = _evaluate(reader, query, size, avg_lengths, seg, sub)
        else:
            scores, mask = None, _matches(reader, query, size, avg_lengths, seg, sub)
        live = _live(reader, size)
        if live is not None:
            mask = mask & live
        all_scores.append(scores)
        all_masks.append(mask)
    if not all_masks:
        return np.empty(0), np.empty(0, dtype=bool)
    return (np.concatenate(all_scores) if scored else None), np.concatenate(all_masks)
