"""What filters, keyword facets and field sorts cost next to a plain search.

Builds a synthetic index (half Dutch, half English; every document has a source
out of 40, 1-4 tags out of 2,000 and a priority), then times the same queries
plain and with ``filter``, ``facets=language,source,tags``, ``sort=priority`` and
``sort=date:asc``. Medians of repeated runs after one warm-up run, as ratios to
the plain search in the same run (the result cache is off). The first search per
index also pays for building the facet arrays; that is reported apart.

    .venv/bin/python bench/fields_bench.py --sizes 2000,20000
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from index.fields import configure, load_fields  # noqa: E402
from index.ingest.documents import Document  # noqa: E402
from index.search import SearchRequest, search  # noqa: E402
from index.search import resultcache  # noqa: E402
from index.storage import IndexReader, rebuild, update  # noqa: E402

WORDS = {
    "nl": "kabinet begroting defensie oorlog troepen grens steun minister regering economie "
          "gemeente rechter politie school water energie prijs markt bedrijf".split(),
    "en": "cabinet budget defence war troops border support minister government economy "
          "council court police school water energy price market company".split(),
}
QUERIES = ["oorlog", "troops", "kabinet begroting", "energy OR prijs", "steun", "market"]


def make_docs(n: int, seed: int = 7) -> list[Document]:
    rng = random.Random(seed)
    tags = [f"tag{i}" for i in range(2000)]
    docs = []
    for i in range(n):
        lang = "nl" if i % 2 == 0 else "en"
        text = " ".join(rng.choice(WORDS[lang]) for _ in range(60)) + "."
        day = f"2022-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        docs.append(Document(
            id=f"d{i}", language=lang, language_confidence=1.0, title=text[:50], text=text,
            original=text, source=f"Source {rng.randint(0, 39)}",
            date=f"{day}T{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:00+01:00",
            fields={"tags": rng.sample(tags, rng.randint(1, 4)),
                    "priority": rng.randint(1, 9)}))
    return docs


def timed(reader, fields, n_runs: int, **extra) -> float:
    runs = []
    for _ in range(n_runs):
        started = time.perf_counter()
        for q in QUERIES:
            search(reader, SearchRequest(q=q, crosslingual=False, **extra), lexicon=None,
                   fields=fields)
        runs.append(time.perf_counter() - started)
    return statistics.median(runs) / len(QUERIES) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    fields = load_fields("priority:number")
    configure(fields)
    variants = {
        "plain": {},
        "filter source AND tags": {"filter": 'source:"Source 3" OR tags:(tag1 OR tag2)'},
        "filter NOT source": {"filter": 'NOT source:"Source 3"'},
        "facets language,source,tags": {"facets": ("language", "source", "tags")},
        "sort priority:desc": {"sort": "priority:desc"},
        "sort date:asc": {"sort": "date:asc"},
    }
    print("| documents | variant | ms per query (median) | vs plain |")
    print("|---|---|---|---|")
    for size in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp) / "index"
            rebuild(root, make_docs(size))
            reader = IndexReader(root)
            resultcache.configure(reader, 0)
            started = time.perf_counter()
            search(reader, SearchRequest(q="oorlog", facets=("source", "tags")), lexicon=None,
                   fields=fields)
            first = (time.perf_counter() - started) * 1000
            timed(reader, fields, 1)  # warm up
            base = timed(reader, fields, args.runs)
            for name, extra in variants.items():
                ms = base if name == "plain" else timed(reader, fields, args.runs, **extra)
                print(f"| {size:,} | {name} | {ms:.1f} | {ms / base:.2f} |")
            print(f"| {size:,} | first search with facets (builds the arrays) | {first:.1f} | |")
            update(root, make_docs(1, seed=size)[:1])  # a write: one new small segment
            started = time.perf_counter()
            search(reader, SearchRequest(q="oorlog", facets=("source", "tags")), lexicon=None,
                   fields=fields)
            print(f"| {size:,} | first search with facets after a one-document write | "
                  f"{(time.perf_counter() - started) * 1000:.1f} | |")
            reader.close()


if __name__ == "__main__":
    main()
