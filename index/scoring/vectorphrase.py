"""Vectorized phrases: Whoosh's ``Phrase`` (adjacent, in order) scored with NumPy.

The documents holding every word of a phrase are found by intersecting the
words' posting arrays (``index.storage.postingarrays``); positions are read only
from the posting blocks that hold one of those candidates, and checked only for
them (a segment without arrays has its words' whole lists decoded, as before). Scores are what Whoosh's phrase matcher gives: the sum of each
word's BM25F score (Whoosh's own IDF and average field length, from the
top-level searcher), summed in Whoosh's binary-tree order, times the boost.
"""

from __future__ import annotations

import numpy as np
from whoosh.scoring import BM25F

from index.storage import postingarrays, postingcache
from index.storage import postings as postings_module

_WEIGHTING = BM25F()  # what Whoosh's Searcher uses when none is given
# Postings per Whoosh block (W3Codec's blocklimit); only used to choose between reading
# the candidates' blocks and decoding (and caching) a word's whole list.
_BLOCK_POSTINGS = 128


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


def _from_arrays(reader, fieldname: str, btext: bytes):
    """(docnums int64, weights float64) of a term from the segment's posting arrays, or
    None (a segment without them, a damaged file: the caller decodes Whoosh's blocks)."""
    arrays = postingarrays.for_reader(reader)
    found = arrays.get(fieldname, btext) if arrays is not None else None
    if found is None:
        return None
    ids, weights = found
    if len(ids) and int(ids.max()) >= reader.doc_count_all():
        return None
    return ids.astype(np.int64), weights.astype(np.float64)


def _word_postings(reader, field, fieldname: str, words, seg):
    """Per word ``(btext, ids, weights, values_at)`` and the documents holding every word
    (sorted), or None when a word is missing. ``values_at(candidates)`` gives the word's
    encoded positions in those documents, in their order.

    From the posting arrays, positions are read from the blocks holding a candidate only
    (``postings.candidate_values``) when those are at most half the word's blocks; a word
    whose list is cached, or most of whose blocks hold a candidate, or a segment without
    arrays, has its whole list decoded with its positions (cached per segment).
    """
    postings = []
    for word in words:
        try:
            btext = field.to_bytes(word)
        except ValueError:
            return None
        if (fieldname, btext) not in reader:
            return None
        postings.append((btext, _from_arrays(reader, fieldname, btext)))
    if any(got is None for _, got in postings):
        return _decoded_postings(reader, fieldname, [b for b, _ in postings], seg)
    out = []
    for btext, (ids, weights) in postings:
        def values_at(candidates, ids=ids, btext=btext):
            rows = np.searchsorted(ids, candidates)
            whole = postingcache.CACHE.get(seg and (seg, "phrase", fieldname, btext))
            if whole is None:
                blocks = -(-len(ids) // _BLOCK_POSTINGS)
                if 2 * len(np.unique(rows // _BLOCK_POSTINGS)) <= blocks:  # few blocks
                    found = postings_module.candidate_values(reader, fieldname, btext,
                                                             candidates)
                    if found is not None:
                        return found
                # Most blocks (a frequent pair), or not in blocks: the whole list, cached.
                whole = _decoded(reader, fieldname, btext, seg)
            _, _, offsets, values = whole
            return [values[offsets[r]:offsets[r + 1]].tobytes() for r in rows]
        out.append((btext, ids, weights, values_at))
    return out, _intersection([ids for _, ids, _, _ in out])


def _decoded(reader, fieldname: str, btext: bytes, seg):
    return postingcache.CACHE.get_or_compute(
        seg and (seg, "phrase", fieldname, btext),
        lambda: postings_module.decode(reader, fieldname, btext, True))


def _decoded_postings(reader, fieldname: str, btexts, seg):
    out = []
    for btext in btexts:
        ids, weights, offsets, values = _decoded(reader, fieldname, btext, seg)

        def values_at(candidates, ids=ids, offsets=offsets, values=values):
            rows = np.searchsorted(ids, candidates)
            return [values[offsets[r]:offsets[r + 1]].tobytes() for r in rows]
        out.append((btext, ids, weights, values_at))
    return out, _intersection([ids for _, ids, _, _ in out])


def _intersection(id_lists):
    candidates = id_lists[0]
    for ids in id_lists[1:]:
        candidates = np.intersect1d(candidates, ids, assume_unique=True)
    return candidates


def _phrase_counts(field, postings, candidates) -> np.ndarray:
    """How often the words stand at consecutive positions in each candidate document."""
    decode = field.format.decoder("positions")
    encoded = [values_at(candidates) for _, _, _, values_at in postings]
    counts = np.zeros(len(candidates), dtype=np.float64)
    for k in range(len(candidates)):
        starts = None
        for i, values in enumerate(encoded):
            shifted = {p - i for p in decode(values[k])}
            starts = shifted if starts is None else starts & shifted
            if not starts:
                break
        counts[k] = len(starts) if starts else 0
    return counts


def phrase_scores(sub, reader, query, size: int, lengths, seg):
    """(scores, mask) of ``query`` (a ``Phrase``) over one segment's document numbers."""
    scores = np.zeros(size, dtype=np.float64)
    mask = np.zeros(size, dtype=bool)
    fieldname = query.fieldname
    if fieldname not in reader.schema:
        return scores, mask
    field = reader.schema[fieldname]
    got = _word_postings(reader, field, fieldname, query.words, seg)
    if got is None:
        return scores, mask
    postings, candidates = got
    if not len(candidates):
        return scores, mask
    rows = [np.searchsorted(ids, candidates) for _, ids, _, _ in postings]
    found = _phrase_counts(field, postings, candidates) > 0
    hits = candidates[found]
    if not len(hits):
        return scores, mask
    parent = sub.get_parent()
    avgfl = parent.avg_field_length(fieldname) or 1
    B, K1 = _WEIGHTING.B, _WEIGHTING.K1
    fl = lengths[hits]
    parts = []
    for i, (btext, _, weights, _) in enumerate(postings):
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
    got = _word_postings(reader, field, fieldname, words, seg)
    if got is None:
        return empty
    postings, candidates = got
    if not len(candidates):
        return empty
    counts = _phrase_counts(field, postings, candidates)
    found = counts > 0
    return candidates[found].astype(np.int64), counts[found]
