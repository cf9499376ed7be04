"""Vectorized phrases: Whoosh's ``Phrase`` (adjacent, in order) scored with NumPy.

The documents holding every word of a phrase are found by intersecting
decoded posting arrays; positions are decoded and checked only for those
candidates. Scores are what Whoosh's phrase matcher gives: the sum of each
word's BM25F score (Whoosh's own IDF and average field length, from the
top-level searcher), summed in Whoosh's binary-tree order, times the boost.
"""

from __future__ import annotations

import numpy as np
from whoosh.scoring import BM25F

from index.storage import postingcache
from index.storage import postings as postings_module

_WEIGHTING = BM25F()  # what Whoosh's Searcher uses when none is given


def supports(query, weighting) -> bool:
    """True for a plain Whoosh ``Phrase`` that this module scores exactly as Whoosh does."""
    from whoosh import query as wq

    return (type(query) is wq.Phrase and query.slop == 1 and type(weighting) is BM25F
            and weighting.B == _WEIGHTING.B and weighting.K1 == _WEIGHTING.K1
            and not weighting._field_B)


def _tree_sum(parts: list):
    """Sum like ``make_binary_tree(IntersectionMatcher, ...)`` adds its children's scores."""
    if len(parts) == 1:
        return parts[0]
    half = len(parts) // 2
    return _tree_sum(parts[:half]) + _tree_sum(parts[half:])


def phrase_scores(sub, reader, query, size: int, lengths, seg):
    """(scores, mask) of ``query`` (a ``Phrase``) over one segment's document numbers."""
    scores = np.zeros(size, dtype=np.float64)
    mask = np.zeros(size, dtype=bool)
    fieldname = query.fieldname
    if fieldname not in reader.schema:
        return scores, mask
    field = reader.schema[fieldname]
    postings = []
    for word in query.words:
        try:
            btext = field.to_bytes(word)
        except ValueError:
            return scores, mask
        if (fieldname, btext) not in reader:
            return scores, mask
        postings.append((btext, postingcache.CACHE.get_or_compute(
            seg and (seg, "phrase", fieldname, btext),
            lambda btext=btext: postings_module.decode(reader, fieldname, btext, True))))
    candidates = postings[0][1][0]
    for _, (ids, *_rest) in postings[1:]:
        candidates = np.intersect1d(candidates, ids, assume_unique=True)
    if not len(candidates):
        return scores, mask
    rows = [np.searchsorted(ids, candidates) for _, (ids, *_rest) in postings]
    decode = field.format.decoder("positions")
    found = np.zeros(len(candidates), dtype=bool)
    for k in range(len(candidates)):
        starts = None
        for i, (_, (_, _, offsets, values)) in enumerate(postings):
            row = rows[i][k]
            shifted = {p - i for p in decode(values[offsets[row]:offsets[row + 1]].tobytes())}
            starts = shifted if starts is None else starts & shifted
            if not starts:
                break
        found[k] = bool(starts)
    hits = candidates[found]
    if not len(hits):
        return scores, mask
    parent = sub.get_parent()
    avgfl = parent.avg_field_length(fieldname) or 1
    B, K1 = _WEIGHTING.B, _WEIGHTING.K1
    fl = lengths[hits]
    parts = []
    for i, (btext, (_, weights, _, _)) in enumerate(postings):
        idf = parent.idf(fieldname, btext)
        tf = weights[rows[i][found]]
        parts.append(idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl))))
    total = _tree_sum(parts)
    if query.boost != 1.0:
        total = total * query.boost
    scores[hits] = total
    mask[hits] = True
    return scores, mask


def phrase_frequencies(reader, fieldname: str, words: list[str], seg=None):
    """(docnums, phrase frequencies) of the adjacent words ``words`` in one segment.

    A phrase member of a synonym set (``index.scoring.synonyms``) counts, per
    document, how often its words occur at consecutive positions: that count is
    its term frequency. Empty arrays when a word is missing or the field keeps
    no positions.
    """
    empty = (np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))
    if fieldname not in reader.schema or not words:
        return empty
    field = reader.schema[fieldname]
    if not field.format.supports("positions"):
        return empty
    postings = []
    for word in words:
        btext = field.to_bytes(word)
        if (fieldname, btext) not in reader:
            return empty
        postings.append(postingcache.CACHE.get_or_compute(
            seg and (seg, "phrase", fieldname, btext),
            lambda btext=btext: postings_module.decode(reader, fieldname, btext, True)))
    candidates = postings[0][0]
    for ids, *_rest in postings[1:]:
        candidates = np.intersect1d(candidates, ids, assume_unique=True)
    if not len(candidates):
        return empty
    rows = [np.searchsorted(ids, candidates) for ids, *_rest in postings]
    decode = field.format.decoder("positions")
    counts = np.zeros(len(candidates), dtype=np.float64)
    for k in range(len(candidates)):
        starts = None
        for i, (_, _, offsets, values) in enumerate(postings):
            row = rows[i][k]
            shifted = {p - i for p in decode(values[offsets[row]:offsets[row + 1]].tobytes())}
            starts = shifted if starts is None else starts & shifted
            if not starts:
                break
        counts[k] = len(starts) if starts else 0
    found = counts > 0
    return candidates[found].astype(np.int64), counts[found]
