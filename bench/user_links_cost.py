"""What the users' cross-link edits cost: storing one, a reader applying them, a lookup.

On a copy of an index (default: the seeds indexed into a temporary folder, full
lexicon), measures in the same run

* ``reload``: a reader loading the generation's lexicon (static part cached,
  corpus part joined) without edits -- what every document write already costs
  each worker: the baseline;
* ``apply N``: laying N edits over it (half links, half blocks of existing
  pairs), as each worker does once after an edit;
* ``store``: one edit stored under the write lock and published (no HTTP);
* ``links``: ``Lexicon.links`` for every Dutch term of the lexicon, with and
  without 1000 edits laid over it (the search-time cost).

Medians; the ratios are what matter, the machine is shared.

    .venv/bin/python bench/user_links_cost.py [--index-dir DIR] [--runs 15]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.crosslink import user_links  # noqa: E402
from index.storage.generations import LEXICON_FILE, current_generation  # noqa: E402
from service.cli import main as tolk  # noqa: E402
from service.lexicon import load_lexicon  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def edits_of(lexicon, n: int) -> dict:
    """n edits over real pairs: every other one a block, the rest reweights and new links."""
    edits = {}
    for i, (nl, en, weight, _, nl_s, en_s) in enumerate(lexicon.pairs()):
        if len(edits) >= n:
            break
        if i % 7:
            continue
        block = len(edits) % 2 == 0
        en_term = en if block or len(edits) % 4 == 1 else f"{en}x"  # some new pairs
        edits[(nl, en_term)] = {"nl_term": nl, "en_term": en_term, "nl": nl_s, "en": en_s,
                                "weight": None if block else 0.9, "block": block}
    return edits


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", help="an index to copy (default: the seeds, indexed)")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        index = Path(tmp) / "index"
        if args.index_dir:
            shutil.copytree(args.index_dir, index, symlinks=True,
                            ignore=shutil.ignore_patterns("write.lock"))
        else:
            assert tolk(["index", "--quiet", "--index-dir", str(index), str(ROOT / "seeds")]) == 0
        path = current_generation(index) / LEXICON_FILE
        base = load_lexicon(path)
        print(f"lexicon: {len(base)} pairs")
        reload_ms = median_ms(lambda: load_lexicon(path), args.runs)
        print(f"reload (baseline, what a document write costs a reader): {reload_ms:.2f} ms")
        for n in (10, 100, 1000):
            edits = edits_of(base, n)
            ms = median_ms(lambda: user_links.apply(base, edits), args.runs)
            print(f"apply {n:>5} edits: {ms:.2f} ms ({ms / reload_ms:.2f} x reload)")
        counter = iter(range(10 ** 6))

        def store():
            i = next(counter)
            edit = user_links.make_edit(f"woord{i}", f"word{i}", 0.8)
            user_links.store_edit(index, edit, 10)

        store_ms = median_ms(store, args.runs)
        print(f"store one edit (lock, file, publish): {store_ms:.2f} ms")
        edited = user_links.apply(base, edits_of(base, 1000))
        terms = sorted({nl for nl, *_ in base.pairs()})
        plain = median_ms(lambda: [base.links("nl", t) for t in terms], 5)
        with_edits = median_ms(lambda: [edited.links("nl", t) for t in terms], 5)
        print(f"links() of {len(terms)} Dutch terms: {plain:.1f} ms plain, {with_edits:.1f} ms "
              f"with 1000 edits ({with_edits / plain:.2f} x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
