"""What checksums and the damage checks cost a one-document write.

Builds an index of ``--docs`` small generated documents (FreeDict left out so the
lexicon is quick to rebuild), then times ``--writes`` one-document updates and, in
the same runs, the time spent in the checksum manifest (listing the commit point's
files, hashing the new ones) and in the pre-write check (a stat per file, a parse
of a changed JSON file). Half the writes bring a new capitalized name (the lexicon
is rewritten and hashed again), half do not. Medians; the share is what matters,
the machine is shared.

    .venv/bin/python bench/checksum_cost.py --docs 2000 --writes 40
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.ingest.documents import Document  # noqa: E402
from index.storage import commit, rebuild, update  # noqa: E402
from service.lexicon import lexicon_builder  # noqa: E402

WORDS = ("kabinet begroting defensie steun Oekraine dinsdag parlement stemming minister "
         "voorstel gemeente ziekenhuis onderwijs").split()


def make_doc(i: int, name: str = "") -> Document:
    text = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(60)) + f" {i}. {name}"
    return Document(id=f"d{i}", language="nl", language_confidence=1.0, title=text[:30],
                    text=text, original=text)


def timed(store: dict, key: str, fn):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            store[key] = store.get(key, 0.0) + time.perf_counter() - started
    return wrapper


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--writes", type=int, default=40)
    args = parser.parse_args()
    builder = lexicon_builder({"FREEDICT_DIR": ""})
    spent: dict = {}
    commit.build_manifest = timed(spent, "hash", commit.build_manifest)
    commit.referenced_files = timed(spent, "list", commit.referenced_files)
    commit.writable_problem = timed(spent, "check", commit.writable_problem)
    with tempfile.TemporaryDirectory(prefix="tolk-checksums-") as tmp:
        rebuild(tmp, [make_doc(i) for i in range(args.docs)], lexicon_builder=builder)
        rows = {"no new name": [], "new name": []}
        for w in range(args.writes):
            kind = "new name" if w % 2 else "no new name"
            name = f"Vandermolen{chr(97 + w % 26)}{w}" if w % 2 else ""
            spent.clear()
            started = time.perf_counter()
            update(tmp, [make_doc(args.docs + w, name)], lexicon_builder=builder)
            total = time.perf_counter() - started
            rows[kind].append((total, spent.get("hash", 0), spent.get("list", 0),
                               spent.get("check", 0)))
    print(f"{args.docs} documents, {args.writes} one-document writes (median ms):")
    for kind, values in rows.items():
        total, hashing, listing, check = (statistics.median(v[i] for v in values) * 1000
                                          for i in range(4))
        share = 100 * (hashing + listing + check) / total
        print(f"  {kind:12} write {total:7.2f}  manifest {hashing:5.2f}"
              f" (listing {listing:.2f})  pre-write check {check:5.2f}"
              f"  -> {share:4.1f} % of the write")
    return 0


if __name__ == "__main__":
    sys.exit(main())
