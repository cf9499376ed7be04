"""Search latency with 2 M-character documents on the result page, before and after.

    .venv/bin/python bench/big_documents.py                  # this checkout only
    .venv/bin/python bench/big_documents.py --before main    # a revision vs this checkout
    .venv/bin/python bench/big_documents.py --code /tmp/old  # one checkout (used by --before)

Builds (once, with this checkout, in ``bench/out/big-docs/``) an index of
``--big`` documents of 2,000,000 characters (half Dutch, half English) and a
few normal news-sized ones, all made of the seed articles' sentences, each
paragraph numbered so cleaning keeps it. Every query is a word that all big
documents of its language contain, and the page (limit 20) holds every hit,
so each search highlights the big documents. Searches run in-process through
``index.search.pipeline.search`` with the result cache off; p50/p90 of
``--passes`` passes over the queries are printed per checkout. ``--before``
exports the revision with ``git archive`` and runs it in its own process,
on the same index, in the same minute.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out" / "big-docs"
BIG_CHARS = 2_000_000
NORMAL_DOCS = 9  # plus the 5 seeds: 14 normal documents, so a page of 20 holds every hit


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())) if len(s) > 40]


def _pools() -> dict[str, list[str]]:
    pools: dict[str, list[str]] = {"nl": [], "en": []}
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        text = path.read_text("utf-8")
        english = len(re.findall(r"\b(?:the|and|of)\b", text)) > len(re.findall(r"\b(?:de|het|en)\b", text))
        pools["en" if english else "nl"].extend(_sentences(text))
    return pools


def _document(pool: list[str], chars: int, rng: random.Random) -> str:
    paragraphs, size, n = [], 0, 0
    while size < chars:
        n += 1
        paragraph = f"({n}) " + " ".join(rng.sample(pool, min(4, len(pool))))
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(paragraphs)[:chars]


def build(big: int) -> tuple[Path, list[dict]]:
    """The index (built once per --big) and the queries, each with its language."""
    index_dir = OUT / f"index-{big}"
    queries_file = OUT / f"queries-{big}.json"
    if index_dir.exists() and queries_file.exists():
        return index_dir, json.loads(queries_file.read_text())
    rng = random.Random(42)
    pools = _pools()
    OUT.mkdir(parents=True, exist_ok=True)
    source = OUT / f"docs-{big}.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for i in range(big):
            lang = "nl" if i % 2 == 0 else "en"
            out.write(json.dumps({"id": f"big-{i}", "language": lang,
                                  "text": _document(pools[lang], BIG_CHARS, rng)}) + "\n")
        for i in range(NORMAL_DOCS):
            lang = "nl" if i % 2 == 0 else "en"
            out.write(json.dumps({"id": f"news-{i}", "language": lang,
                                  "text": _document(pools[lang], rng.randint(1500, 5000), rng)})
                      + "\n")
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "service.cli", "index", "--quiet", "--index-dir",
                    str(index_dir), str(source), str(ROOT / "seeds")], check=True, cwd=ROOT,
                   env={"PATH": "/usr/bin:/bin", "TOLK_FREEDICT_DIR": ""})
    print(f"built {index_dir} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    queries = []
    for lang, pool in pools.items():
        words = sorted({w for s in pool for w in re.findall(r"[^\W\d_]{6,}", s)})
        for word in rng.sample(words, 15):
            queries.append({"q": word, "lang": lang})
    queries_file.write_text(json.dumps(queries))
    return index_dir, queries


def measure(code: str, index_dir: Path, queries: list[dict], passes: int) -> dict:
    """Run the queries with ``index/`` imported from ``code``; times in ms."""
    sys.path.insert(0, code)
    import index
    from index.search import SearchRequest, search
    from index.storage import IndexReader
    from service.lexicon import load_lexicon

    reader = IndexReader(index_dir)
    reader.set_lexicon_loader(load_lexicon)
    try:
        from index.search import resultcache
        resultcache.configure(reader, 0)
    except (ImportError, AttributeError):
        pass
    for spec in queries[:3]:  # warm-up: lexicon, stemmers, stored-field files
        search(reader, SearchRequest(q=spec["q"], limit=20))
    times, big_hits = [], []
    for _ in range(passes):
        for spec in queries:
            started = time.perf_counter()
            result = search(reader, SearchRequest(q=spec["q"], limit=20))
            times.append((time.perf_counter() - started) * 1000)
            big_hits.append(sum(hit["id"].startswith("big-") for hit in result["hits"]))
    times.sort()
    return {"code": str(Path(index.__file__).parent.parent), "n": len(times), "p50": round(statistics.median(times), 2),
            "p90": round(times[int(0.9 * (len(times) - 1))], 2),
            "big_hits_per_page": round(statistics.mean(big_hits), 2)}


def _export(revision: str) -> str:
    target = tempfile.mkdtemp(prefix="tolk-before-")
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", target], input=archive, check=True)
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--big", type=int, default=6, help="2 M-character documents (default 6)")
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--before", help="a git revision to compare with this checkout")
    parser.add_argument("--code", help="measure this checkout only and print JSON")
    parser.add_argument("--json", help="write the results here")
    args = parser.parse_args()
    index_dir, queries = build(args.big)
    if args.code:
        print(json.dumps(measure(args.code, index_dir, queries, args.passes)))
        return
    codes = ([("before " + args.before, _export(args.before))] if args.before else []) \
        + [("after (this checkout)", str(ROOT))]
    results = {}
    for name, code in codes:  # each in its own process: its own imports and caches
        out = subprocess.run([sys.executable, __file__, "--code", code, "--big", str(args.big),
                              "--passes", str(args.passes)],
                             check=True, capture_output=True, text=True, cwd=code).stdout
        results[name] = json.loads(out.strip().splitlines()[-1])
        r = results[name]
        print(f"{name:28s} searches {r['n']:4d}  p50 {r['p50']:8.2f} ms  p90 {r['p90']:8.2f} ms"
              f"  big documents per page {r['big_hits_per_page']}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
