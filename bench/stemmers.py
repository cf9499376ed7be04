"""Compare the Dutch Snowball stemmers on the FreeDict nld-eng headwords.

For ``dutch`` (Kraaij-Pohlmann) and ``dutch_porter`` (the older Porter-style
algorithm, Lucene's and OpenSearch's Snowball "Dutch"), each with Tolk's folding
and stem overrides:

* collision groups: stems shared by two or more distinct headwords; a group is
  counted as *harmful* when its headwords share no English translation (the
  stemmer merges unrelated meanings: wijziging/wijs, gebied/bieden);
* inflection reach: of the regular inflected forms of each headword (plurals,
  adjective -e, verb -t/-de/-te/ge-..-d), how many stem to the headword's stem.

Usage: ``python bench/stemmers.py [FREEDICT_DIR] [--examples N]``.
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict

import Stemmer

from index.analysis import fold, load_stem_overrides
from index.crosslink.dictionary import DEFAULT_DIR, read_dictd
from index.crosslink.inflection import dutch_forms

ALGORITHMS = ("dutch", "dutch_porter")
_WORD = re.compile(r"^[a-z]+$")


def headword_translations(freedict_dir: str) -> dict[str, set[str]]:
    entries = read_dictd(f"{freedict_dir}/freedict-nld-eng.index",
                         f"{freedict_dir}/freedict-nld-eng.dict.dz")
    out: dict[str, set[str]] = defaultdict(set)
    for entry in entries:
        head = fold(entry.headword)
        if not _WORD.match(head) or not entry.headword[:1].islower():
            continue
        for sense in entry.senses:
            out[head].update(fold(item) for item in sense)
    return dict(out)


def measure(algorithm: str, words: dict[str, set[str]], examples: int) -> dict:
    stemmer = Stemmer.Stemmer(algorithm)
    overrides = load_stem_overrides("nl")

    def stem(w: str) -> str:
        return overrides.get(w) or stemmer.stemWord(w)

    groups: dict[str, list[str]] = defaultdict(list)
    for word in words:
        groups[stem(word)].append(word)
    colliding = {s: ws for s, ws in groups.items() if len(ws) > 1}
    harmful = {}
    for s, ws in colliding.items():
        # harmful: some two headwords of the group share no translation at all
        if any(not (words[a] & words[b]) for i, a in enumerate(ws) for b in ws[i + 1:]):
            harmful[s] = ws
    reached = total = 0
    for word in words:
        target = stem(word)
        for form in dutch_forms(word):
            total += 1
            reached += stem(form) == target
    return {
        "algorithm": algorithm,
        "headwords": len(words),
        "stems": len(groups),
        "collision_groups": len(colliding),
        "headwords_in_collisions": sum(len(ws) for ws in colliding.values()),
        "harmful_groups": len(harmful),
        "headwords_in_harmful": sum(len(ws) for ws in harmful.values()),
        "forms": total,
        "forms_reaching_stem": reached,
        "examples": sorted(harmful.items(), key=lambda kv: -len(kv[1]))[:examples],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("freedict_dir", nargs="?", default=DEFAULT_DIR)
    parser.add_argument("--examples", type=int, default=8)
    args = parser.parse_args()
    words = headword_translations(args.freedict_dir)
    print("| stemmer | headwords | stems | collision groups (headwords) | harmful groups "
          "(headwords) | inflected forms reaching the headword's stem |")
    print("|---|---|---|---|---|---|")
    results = [measure(a, words, args.examples) for a in ALGORITHMS]
    for r in results:
        print(f"| {r['algorithm']} | {r['headwords']} | {r['stems']} | {r['collision_groups']} "
              f"({r['headwords_in_collisions']}) | {r['harmful_groups']} "
              f"({r['headwords_in_harmful']}) | {r['forms_reaching_stem']}/{r['forms']} "
              f"({r['forms_reaching_stem'] / max(r['forms'], 1):.1%}) |")
    for r in results:
        print(f"\n{r['algorithm']} harmful examples:")
        for s, ws in r["examples"]:
            print(f"  {s}: {', '.join(sorted(ws)[:8])}")


if __name__ == "__main__":
    main()
