"""Hybrid fusion parameters chosen inside the evaluation's folds (nested selection).

Why: RRF's constant, the semantic list's weight and the similarity floor decide
how BM25 and vectors mix, and FLORES is the only held-out cross-lingual test
there is. Picking them on all of FLORES and reporting FLORES would report a
number tuned on its own test articles. So, as with the parallel-text lexicon,
the choice is made per fold: for each fold, the setting with the best mean MRR
(over the four directions) on the OTHER folds' queries is applied to this
fold's queries, and only those held-out reciprocal ranks are reported.

The fused rankings are recomputed from each query's two lists (lexical and
semantic, 100 deep, fetched once by ``run_flores``) with RRF's formula as
``index.search.hybrid.fuse`` computes it (same sums, same tie order; without
fuse's explain records, ~10x faster over a few hundred settings: a test holds
the two equal), and ``tolk eval --tune`` prints the current defaults recomputed
this way next to the online hybrid run's MRR.
"""

from __future__ import annotations

import itertools

from index.search import hybrid

GRID = {
    "k": (5, 10, 20, 40, 60, 100),
    "floor": (-1.0, 0.1, 0.15, 0.2, 0.25, 0.3),
    "weight": (0.5, 0.75, 1.0, 1.5, 2.0, 3.0),
}


def defaults() -> dict:
    """The service's setting for sentence-long queries (FLORES' are 7+ words)."""
    return {"k": hybrid.LONG_RRF_K, "floor": hybrid.MIN_COSINE,
            "weight": hybrid.LONG_SEMANTIC_WEIGHT}


def fused_ids(lexical: list, semantic: list, k: float, floor: float, weight: float) -> list:
    """Document ids in the order the service's RRF ranks them: ``lexical``
    ``[(id, score)]`` and ``semantic`` ``[(id, cosine)]`` best first; semantic
    candidates below ``floor`` are left out, as the hybrid search does."""
    scores: dict = {}
    for rank, (doc, _) in enumerate(lexical, 1):
        scores[doc] = 1.0 / (k + rank)
    rank = 0
    for doc, cos in semantic:
        if cos >= floor:
            rank += 1
            scores[doc] = scores.get(doc, 0.0) + weight / (k + rank)
    return sorted(scores, key=scores.__getitem__, reverse=True)


def _rr(ranked: list, target: str, depth: int) -> float:
    ranked = ranked[:depth]
    return 1.0 / (ranked.index(target) + 1) if target in ranked else 0.0


def nested(lists: dict, fold_of: dict, folds: int, depth: int = 100,
           grid: dict | None = None) -> dict:
    """Nested selection over ``lists`` ``{run: {article: (target, lexical, semantic)}}``.

    Returns ``{"runs": {run: {"mrr", "recall@10", "default_mrr", "queries"}},
    "per_fold": [setting chosen without fold f], "all_folds": setting best on every
    query (what a new default would be), "default": the current setting}``.
    """
    grid = grid or GRID
    settings = [dict(zip(grid, values)) for values in itertools.product(*grid.values())]
    base = defaults()
    if base not in settings:
        settings.append(base)
    # reciprocal rank and top-10 hit of every query under every setting
    rr: list[dict] = []
    for setting in settings:
        table = {}
        for run, queries in lists.items():
            for n, (target, lexical, semantic) in queries.items():
                ranked = fused_ids(lexical, semantic, **setting)
                table[(run, n)] = (_rr(ranked, target, depth), target in ranked[:10])
        rr.append(table)
    runs = sorted(lists)

    def mean_mrr(table: dict, keep) -> float:
        """Mean over runs of each run's MRR on the queries ``keep(n)`` accepts."""
        per_run = []
        for run in runs:
            values = [table[(run, n)][0] for n in lists[run] if keep(n)]
            if values:
                per_run.append(sum(values) / len(values))
        return sum(per_run) / len(per_run) if per_run else 0.0

    def best(keep) -> int:
        scores = [mean_mrr(table, keep) for table in rr]
        top = max(scores)
        # ties: the setting nearest the current default (fewest changed values)
        tied = [i for i, s in enumerate(scores) if s >= top - 1e-12]
        return min(tied, key=lambda i: sum(settings[i][p] != base[p] for p in base))

    chosen = [best(lambda n, f=f: fold_of[n] != f) for f in range(folds)]
    out_runs = {}
    default_index = settings.index(base)
    for run in runs:
        held = [rr[chosen[fold_of[n]]][(run, n)] for n in lists[run]]
        plain = [rr[default_index][(run, n)] for n in lists[run]]
        count = len(held)
        out_runs[run] = {"queries": count,
                         "mrr": round(sum(r for r, _ in held) / count, 4),
                         "recall@10": round(sum(h for _, h in held) / count, 4),
                         "default_mrr": round(sum(r for r, _ in plain) / count, 4)}
    everything = best(lambda n: True)
    return {"runs": out_runs, "per_fold": [settings[i] for i in chosen],
            "all_folds": settings[everything],
            "all_folds_mrr": round(mean_mrr(rr[everything], lambda n: True), 4),
            "default": base, "default_mrr": round(mean_mrr(rr[default_index], lambda n: True), 4),
            "settings_tried": len(settings)}
