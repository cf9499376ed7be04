"""Sense weighting on FLORES: cross-linked MRR with and without it, per query.

Builds the two FLORES indexes and the per-fold lexicons once (as ``tolk eval``
does: the parallel links of a fold are never learned from its own test
articles), then runs every cross-linked query twice, with
``index.search.senses`` off and on, and prints MRR per direction and the
"senses" class: the queries in which sense weighting changed the weight of a
translation that occurs in the target index, split into improved / worse /
unchanged, fixed (target moved up to rank 1) and still missed (not rank 1).

    nice -n 5 .venv/bin/python scripts/senses_eval.py \
        --flores /work/shared/data/flores200_devtest_nl_en --json /tmp/senses.json

``--compare wordvec`` keeps sense weighting on and toggles only the sentence
encoder's evidence (``index.crosslink.wordvec``).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from index.crosslink import wordvec
from index.evaluation import (flores_articles, flores_folds, flores_lexicon_factory, plain_query,
                              reciprocal_rank)
from index.search import SearchRequest, pipeline, search, senses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flores", required=True)
    parser.add_argument("--freedict", default="/usr/share/dictd")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--json", help="write per-query ranks here")
    parser.add_argument("--compare", choices=("senses", "wordvec"), default="senses",
                        help="what is off and on: all sense weighting, or only the sentence "
                             "encoder's evidence (TOLK_WORDVEC; the rest stays on)")
    args = parser.parse_args()
    if args.compare == "wordvec":
        wordvec.configure("on")  # the lexicons get the cosines; queries toggle their use
    articles = flores_articles(args.flores)
    recorded: list = []
    original = pipeline.reweigh_senses

    def recording(compilers, searchers, lexicon):
        changes = original(compilers, searchers, lexicon)
        recorded.extend(changes)
        return changes

    pipeline.reweigh_senses = recording
    report = {}
    # As ``tolk eval``: never the shipped links, which were learned from the test articles too.
    fold_lexicon = flores_lexicon_factory(args.flores, args.freedict)
    with tempfile.TemporaryDirectory(prefix="tolk-senses-") as tmp:
        readers, fold_of, lexicons = flores_folds(
            articles, tmp, args.folds, fold_lexicon,
            lambda message: print(message, file=sys.stderr))
        for source, target in (("en", "nl"), ("nl", "en")):
            rows = []
            took = {False: [], True: []}
            for n, article in enumerate(articles):
                if len(article.sentences[target]) < 2:
                    continue
                q = plain_query(article.sentences[source][0])
                ranks, rrs = {}, {}
                for enabled in (False, True):
                    if args.compare == "wordvec":
                        senses.USE_WORDVEC = enabled
                    else:
                        senses.ENABLED = enabled
                    recorded.clear()
                    started = time.perf_counter()
                    result = search(readers[target], SearchRequest(
                        q=q, lang=target, limit=100, crosslingual=True, typo=False),
                        lexicon=lexicons[fold_of[n]])
                    took[enabled].append(time.perf_counter() - started)
                    ranked = [h["id"] for h in result["hits"]]
                    rr = reciprocal_rank(ranked, f"a{n:03d}")
                    ranks[enabled] = round(1 / rr) if rr else None
                    rrs[enabled] = rr
                    changes = list(recorded)
                reader = readers[target].searchers()[target].reader()
                matters = [c for c in changes
                           if reader.doc_frequency("body", c[1]) > 0]
                rows.append({"n": n, "q": q, "off": ranks[False], "on": ranks[True],
                             "rr_off": rrs[False], "rr_on": rrs[True],
                             "changes": [list(c) for c in matters]})
            name = f"{source}->{target}"
            off = sum(r["rr_off"] for r in rows) / len(rows)
            on = sum(r["rr_on"] for r in rows) / len(rows)
            touched = [r for r in rows if r["changes"]]
            better = [r for r in touched if r["rr_on"] > r["rr_off"]]
            worse = [r for r in touched if r["rr_on"] < r["rr_off"]]
            kinds = Counter(c[4] for r in touched for c in r["changes"])
            summary = {
                "queries": len(rows), "mrr_off": round(off, 4), "mrr_on": round(on, 4),
                "touched": len(touched), "improved": len(better), "worse": len(worse),
                "unchanged": len(touched) - len(better) - len(worse),
                "fixed": sum(1 for r in better if r["on"] == 1),
                "still_missed": sum(1 for r in touched if r["on"] != 1),
                "changes_by_kind": dict(kinds),
                "median_ms_off": round(1000 * statistics.median(took[False]), 2),
                "median_ms_on": round(1000 * statistics.median(took[True]), 2)}
            report[name] = {"summary": summary, "rows": rows}
            print(name, json.dumps(summary))
        for reader in readers.values():
            reader.close()
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
