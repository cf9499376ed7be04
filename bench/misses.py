"""Per-class table of FLORES cross-lingual misses, before vs after a change.

A miss is a query whose document ranks worse cross-lingually than the same
article's query does monolingually (``tolk eval --misses FILE`` writes them).
Each miss is put in classes (``index.evaluation.miss_classes``: phrase,
inflection, other) and the table says, per direction and class, how many misses
of BEFORE are fixed in AFTER, how many remain, and how many are new.

Usage: ``python bench/misses.py BEFORE.tsv AFTER.tsv [--flores DIR]``.
"""

from __future__ import annotations

import argparse

from index.crosslink import build_lexicon
from index.crosslink.dictionary import DEFAULT_DIR
from index.evaluation import flores_articles, miss_table, read_misses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--flores", default="/work/shared/data/flores200_devtest_nl_en")
    parser.add_argument("--freedict", default=DEFAULT_DIR)
    args = parser.parse_args()
    articles = flores_articles(args.flores)
    # Classes are read from the lexicon of the AFTER code (the dictionary and names:
    # what a class of words would need, independent of parallel text).
    lexicon = build_lexicon(freedict_dir=args.freedict, parallel_dir=None)
    rows = miss_table(read_misses(args.before), read_misses(args.after), articles, lexicon)
    print("| direction | class | misses before | fixed | still missed | new misses |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['direction']} | {r['class']} | {r['missed_before']} | {r['fixed']} | "
              f"{r['still_missed']} | {r['new_misses']} |")


if __name__ == "__main__":
    main()
