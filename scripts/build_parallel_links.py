"""Regenerate ``index/data/parallel_links.tsv``: the links learned from FLORES, shipped with Tolk.

Learns from every article of the FLORES-200 devtest Dutch/English files (a
folder with ``nld_Latn.devtest`` and ``eng_Latn.devtest``) and lists the
FreeDict pairs the text contradicts. Run it after a change to the analyzers
(stemmer, stem overrides) or to the learner, then commit the file:

    .venv/bin/python scripts/build_parallel_links.py --flores /path/to/flores200_devtest_nl_en

``tolk eval`` never reads this file: it learns per fold from the folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from index.crosslink import dictionary, parallel


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flores", required=True,
                        help="folder with nld_Latn.devtest and eng_Latn.devtest")
    parser.add_argument("--freedict", default=dictionary.DEFAULT_DIR,
                        help="FreeDict dictd folder (default %(default)s)")
    parser.add_argument("--out", default=str(parallel.SHIPPED_PATH),
                        help="file to write (default: the package's)")
    args = parser.parse_args(argv)
    folder = Path(args.flores)
    missing = [name for name in parallel.FILES if not (folder / name).is_file()]
    if missing:
        print(f"error: {folder} has no {', '.join(missing)}; pass the FLORES-200 devtest folder "
              "with --flores", file=sys.stderr)
        return 2
    warnings: list[str] = []
    pairs = list(dictionary.dictionary_pairs(args.freedict, warnings))
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    counts = parallel.write_shipped(args.out, folder, pairs)
    print(f"wrote {args.out}: {counts['learned']} learned pairs, {counts['unattested']} "
          f"unattested dictionary pairs, from {counts['sentences']} sentence pairs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
