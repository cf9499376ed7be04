"""Nested choice of the hybrid fusion settings (index/tuning.py): chosen without the fold it
is reported on, and ranking exactly as the service's fusion does."""

from __future__ import annotations

from index.search import hybrid
from index.tuning import defaults, fused_ids, nested


def test_fused_ids_rank_as_the_service_fusion_with_the_floor_applied():
    lexical = [("a", 9.0), ("b", 7.0), ("c", 1.0)]
    semantic = [("c", 0.8), ("d", 0.5), ("a", 0.15)]
    # ``a`` is below the 0.2 floor: only its lexical rank counts, as in a hybrid search
    kept = [item for item in semantic if item[1] >= 0.2]
    setting = defaults()
    service = [key for key, _, _ in hybrid.fuse(lexical, kept, "rrf", k=setting["k"],
                                                weight=setting["weight"])]
    assert fused_ids(lexical, semantic, **setting) == service
    assert fused_ids(lexical, semantic, **defaults())[0] == "c"  # in both lists
    # a heavy semantic weight puts the semantic-only ``d`` above the lexical-only ``b``
    assert fused_ids(lexical, semantic, k=60, floor=0.2, weight=3.0).index("d") < \
        fused_ids(lexical, semantic, k=60, floor=0.2, weight=3.0).index("b")
    assert fused_ids(lexical, semantic, k=60, floor=0.2, weight=1.0).index("d") > \
        fused_ids(lexical, semantic, k=60, floor=0.2, weight=1.0).index("b")


def test_fused_ids_equal_the_service_fusion_over_many_random_lists():
    import random

    rng = random.Random(3)
    for _ in range(300):
        pool = [f"d{i}" for i in range(40)]
        lexical = [(d, 10.0 - i) for i, d in enumerate(rng.sample(pool, rng.randint(0, 30)))]
        semantic = [(d, round(0.9 - i * 0.03, 4))
                    for i, d in enumerate(rng.sample(pool, rng.randint(0, 30)))]
        k, floor, weight = rng.choice((1, 5, 60)), rng.choice((-1.0, 0.2, 0.5)), \
            rng.choice((0.5, 1.0, 2.0))
        kept = [item for item in semantic if item[1] >= floor]
        service = [key for key, _, _ in hybrid.fuse(lexical, kept, "rrf", k=k, weight=weight)]
        assert fused_ids(lexical, semantic, k, floor, weight) == service


def _query(favours: str) -> tuple:
    """A query whose target ``t`` is first in one list and missing from the other."""
    if favours == "lexical":
        return ("t", [("t", 3.0), ("x", 2.0), ("y", 1.0)], [("z", 0.9), ("w", 0.5), ("v", 0.4)])
    return ("t", [("x", 3.0), ("y", 2.0), ("u", 1.0)], [("t", 0.9), ("z", 0.5), ("w", 0.4)])


def test_each_fold_is_ranked_with_settings_chosen_on_the_other_folds():
    """Folds 1-4 reward the semantic list, fold 0 the lexical one: fold 0's queries must be
    ranked with what the other folds prefer (and lose), never with what suits them."""
    folds = 5
    fold_of = {n: n % folds for n in range(50)}
    queries = {n: _query("lexical" if fold_of[n] == 0 else "semantic") for n in range(50)}
    grid = {"k": (60,), "floor": (-1.0,), "weight": (0.25, 4.0)}
    out = nested({"hybrid x en->nl": queries}, fold_of, folds, grid=grid)
    # every fold: a semantic-leaning setting (never the 0.25 that fold 0 alone would want)
    assert all(setting["weight"] > 1 for setting in out["per_fold"])
    run = out["runs"]["hybrid x en->nl"]
    # 40 queries first; fold 0's 10 ranked semantic-first: three semantic-only documents
    # above the target, 4th (in-sample tuning would have put them first: MRR 1.0)
    assert run["mrr"] == (40 * 1.0 + 10 * 0.25) / 50
    assert run["recall@10"] == 1.0
    assert out["all_folds"]["weight"] > 1
    assert run["queries"] == 50


def test_the_current_defaults_are_always_among_the_settings_tried():
    both = ("t", [("x", 3.0), ("y", 2.0), ("t", 1.0)], [("t", 0.9), ("z", 0.5)])
    queries = {n: both for n in range(10)}
    out = nested({"r": queries}, {n: n % 2 for n in range(10)}, 2,
                 grid={"k": (5,), "floor": (0.3,), "weight": (2.0,)})
    assert out["default"] == defaults()
    assert out["settings_tried"] == 2
    assert out["runs"]["r"]["default_mrr"] == 1.0  # t is in both lists: first


def test_sentence_long_queries_lean_on_the_vectors():
    assert hybrid.rrf_setting("storm") == (hybrid.RRF_K, hybrid.SEMANTIC_WEIGHT)
    assert hybrid.rrf_setting('"Kamer" AND (begroting OR zorg)') == (hybrid.RRF_K,
                                                                     hybrid.SEMANTIC_WEIGHT)
    long = "de politie zoekt nog steeds naar de gestolen auto"
    assert hybrid.rrf_setting(long) == (hybrid.LONG_RRF_K, hybrid.LONG_SEMANTIC_WEIGHT)
