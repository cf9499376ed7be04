"""Collecting hits: the top-k by score (or a column), the exact total and facets in one pass.

Whoosh's own collectors keep every hit once a facet is asked for and spend
most of a query's time in per-document bookkeeping. Tolk's synonym-set
scoring cannot skip documents anyway (no block-max bounds), so one pass
does all three jobs: with NumPy over whole posting lists for the queries
``index.scoring.vectorscore`` supports (words and phrases), else a tight loop over
the matcher.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from index.scoring import vectorscore
from index.search import facets as keyword_facets

MONTH_COLUMN = "month"
DATE_COLUMN = "date_start"


@dataclass
class Collected:
    total: int = 0
    top: list = field(default_factory=list)  # [(score, docnum)], best first
    months: dict = field(default_factory=dict)
    facets: dict = field(default_factory=dict)  # field -> {folded value: count}
    matched: object = None  # NumPy bool mask of the matched documents, when known


def _column(searcher, name: str) -> list:
    """All values of a sortable column, by global document number (cached per searcher)."""
    cache = searcher.__dict__.setdefault("_tolk_columns", {})
    if name not in cache:
        values = []
        for sub, _ in searcher.leaf_searchers():
            reader = sub.reader()
            if reader.has_column(name):
                values.extend(reader.column_reader(name))
            else:
                values.extend([""] * reader.doc_count_all())
        cache[name] = [v.decode("utf-8") if isinstance(v, bytes) else v for v in values]
    return cache[name]


def sort_key(value: str, score: float, docnum: int, descending: bool) -> tuple:
    """Order by a column value (documents without one last), then score, then docnum."""
    if descending:
        return (value == "", _Reverse(value), -score, docnum)
    return (value == "", value, -score, docnum)


class _Reverse(str):
    __slots__ = ()

    def __lt__(self, other):
        return str.__gt__(self, other)

    def __gt__(self, other):
        return str.__lt__(self, other)


def collect(searcher, query, limit: int | None, allow=None, months: bool = False,
            by_date: bool = False, sort: tuple[str, bool] | None = None,
            facet_fields=()) -> Collected:
    """Run ``query`` on ``searcher``; keep the ``limit`` best (all if None).

    ``allow``: a set of global document numbers a hit must be in, or a NumPy bool
    mask by document number (a filter).
    ``sort``: (column, descending): order by a sortable column (documents without a
    value last), then score; ``by_date`` is ``(date_start, True)``, newest first.
    ``facet_fields``: keyword fields to count the matched documents' values of.
    """
    if by_date and sort is None:
        sort = (DATE_COLUMN, True)
    if vectorscore.supports(query, searcher.weighting):
        if limit == 0 and not months and not facet_fields:  # a count: no scores needed
            mask = _allowed(vectorscore.match_all(searcher, query), allow)
            return Collected(int(np.count_nonzero(mask)), [], {}, {}, matched=mask)
        return _collect_vectorized(searcher, query, limit, allow, months, sort, facet_fields)
    context = searcher.context()
    month_of = _column(searcher, MONTH_COLUMN) if months else None
    value_of = _column(searcher, sort[0]) if sort else None
    counts: dict[str, int] = {}
    heap: list = []
    hits: list = []
    matched: list = []
    total = 0
    keep_all = limit is None or sort is not None
    if isinstance(allow, np.ndarray):
        allowed = allow.__getitem__  # a mask
    elif allow is not None:
        allowed = allow.__contains__
    for sub, offset in searcher.leaf_searchers():
        matcher = query.matcher(sub, context)
        while matcher.is_active():
            docnum = matcher.id() + offset
            if allow is None or allowed(docnum):
                total += 1
                if facet_fields:
                    matched.append(docnum)
                score = matcher.score()
                if keep_all:
                    hits.append((score, docnum))
                elif len(heap) < limit:
                    heapq.heappush(heap, (score, -docnum))
                elif limit and score > heap[0][0]:
                    heapq.heapreplace(heap, (score, -docnum))
                if month_of is not None:
                    month = month_of[docnum]
                    if month:
                        counts[month] = counts.get(month, 0) + 1
            matcher.next()
    if keep_all:
        if sort is not None:
            hits.sort(key=lambda h: sort_key(value_of[h[1]], h[0], h[1], sort[1]))
        else:
            hits.sort(key=lambda h: (h[0], -h[1]), reverse=True)
        top = hits if limit is None else hits[:limit]
    else:
        top = [(score, -neg) for score, neg in sorted(heap, reverse=True)]
    facets = {}
    if facet_fields:
        mask = np.zeros(searcher.doc_count_all(), dtype=bool)
        mask[np.asarray(matched, dtype=np.int64)] = True
        facets = {name: keyword_facets.count(searcher, name, mask) for name in facet_fields}
    return Collected(total, top, counts, facets)


def _column_codes(searcher, name: str):
    """A column as integer codes per document plus the code -> value list (cached)."""
    cache = searcher.__dict__.setdefault("_tolk_codes", {})
    if name not in cache:
        values = _column(searcher, name)
        labels = sorted(set(values))
        index = {label: i for i, label in enumerate(labels)}
        cache[name] = (np.fromiter((index[v] for v in values), dtype=np.int64,
                                   count=len(values)), labels)
    return cache[name]


def _allowed(mask, allow):
    """``mask`` restricted to ``allow`` (a mask or a set of document numbers, or None)."""
    if isinstance(allow, np.ndarray):
        mask &= allow[:len(mask)]
    elif allow is not None:
        allowed = np.zeros(len(mask), dtype=bool)
        if allow:
            allowed[np.fromiter(allow, dtype=np.int64, count=len(allow))] = True
        mask &= allowed
    return mask


def _collect_vectorized(searcher, query, limit, allow, months, sort, facet_fields) -> Collected:
    scores, mask = vectorscore.score_all(searcher, query)
    mask = _allowed(mask, allow)
    docnums = np.flatnonzero(mask)
    counts: dict[str, int] = {}
    if months and len(docnums):
        codes, labels = _column_codes(searcher, MONTH_COLUMN)
        for code, count in enumerate(np.bincount(codes[docnums], minlength=len(labels))):
            if count and labels[code]:
                counts[labels[code]] = int(count)
    facets = {name: keyword_facets.count(searcher, name, mask) for name in facet_fields}
    hit_scores = scores[docnums]
    if sort is not None:
        codes, labels = _column_codes(searcher, sort[0])  # labels sorted: codes keep order
        hit_codes = codes[docnums]
        missing = bool(labels) and labels[0] == ""  # code 0: no value; always last
        if sort[1]:
            key = -hit_codes
            if missing:
                key = np.where(hit_codes == 0, 1, key)
        else:
            key = np.where(hit_codes == 0, len(labels), hit_codes) if missing else hit_codes
        order = np.lexsort((docnums, -hit_scores, key))
    elif limit is not None and limit < len(docnums):
        if limit == 0:
            order = np.empty(0, dtype=np.int64)
        else:
            # Every hit scoring at least the k-th best, so ties are broken by docnum.
            kth = -np.partition(-hit_scores, limit - 1)[limit - 1]
            part = np.flatnonzero(hit_scores >= kth)
            order = part[np.lexsort((docnums[part], -hit_scores[part]))]
    else:
        order = np.lexsort((docnums, -hit_scores))
    if limit is not None:
        order = order[:limit]
    top = [(float(hit_scores[i]), int(docnums[i])) for i in order]
    return Collected(int(len(docnums)), top, counts, facets, matched=mask)
