"""Collecting hits: the top-k by score, the exact total and the month facet in one pass.

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

MONTH_COLUMN = "month"
DATE_COLUMN = "date_start"


@dataclass
class Collected:
    total: int = 0
    top: list = field(default_factory=list)  # [(score, docnum)], best first
    months: dict = field(default_factory=dict)


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


def collect(searcher, query, limit: int | None, allow=None, months: bool = False,
            by_date: bool = False) -> Collected:
    """Run ``query`` on ``searcher``; keep the ``limit`` best (all if None).

    ``allow``: a set of global document numbers a hit must be in (a filter).
    ``by_date``: order by ``date_start`` (newest first), then score.
    """
    if vectorscore.supports(query, searcher.weighting):
        return _collect_vectorized(searcher, query, limit, allow, months, by_date)
    context = searcher.context()
    month_of = _column(searcher, MONTH_COLUMN) if months else None
    date_of = _column(searcher, DATE_COLUMN) if by_date else None
    counts: dict[str, int] = {}
    heap: list = []
    hits: list = []
    total = 0
    keep_all = limit is None or by_date
    for sub, offset in searcher.leaf_searchers():
        matcher = query.matcher(sub, context)
        while matcher.is_active():
            docnum = matcher.id() + offset
            if allow is None or docnum in allow:
                total += 1
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
        if by_date:
            hits.sort(key=lambda h: (date_of[h[1]] or "0000", h[0], -h[1]), reverse=True)
        else:
            hits.sort(key=lambda h: (h[0], -h[1]), reverse=True)
        top = hits if limit is None else hits[:limit]
    else:
        top = [(score, -neg) for score, neg in sorted(heap, reverse=True)]
    return Collected(total, top, counts)


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


def _collect_vectorized(searcher, query, limit, allow, months, by_date) -> Collected:
    scores, mask = vectorscore.score_all(searcher, query)
    if allow is not None:
        allowed = np.zeros(len(mask), dtype=bool)
        if allow:
            allowed[np.fromiter(allow, dtype=np.int64, count=len(allow))] = True
        mask &= allowed
    docnums = np.flatnonzero(mask)
    counts: dict[str, int] = {}
    if months and len(docnums):
        codes, labels = _column_codes(searcher, MONTH_COLUMN)
        for code, count in enumerate(np.bincount(codes[docnums], minlength=len(labels))):
            if count and labels[code]:
                counts[labels[code]] = int(count)
    hit_scores = scores[docnums]
    if by_date:
        codes, _ = _column_codes(searcher, DATE_COLUMN)  # labels sorted: codes order by date
        order = np.lexsort((docnums, -hit_scores, -codes[docnums]))
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
    return Collected(int(len(docnums)), top, counts)
