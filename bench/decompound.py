"""Dutch decompounding (``index/decompound.py``): split precision, FLORES per class, index cost.

    nice -n 5 .venv/bin/python bench/decompound.py [--flores DIR] [--json FILE]

1. Split precision by rule: 200 random words (fixed seed) of wordfreq's Dutch list
   with Zipf 3.0-4.5 and 7+ letters that the splitter splits; a split passes when
   the whole word and every part are in an independent word list (Debian's wdutch,
   /usr/share/dict/dutch). Also the share of such words split at all, and of words
   with Zipf 4.0-4.5 (frequent words, where a false split costs most).
2. FLORES (the `tolk eval` protocol, 5 folds, lexicons built once and shared by both
   runs) with TOLK_DECOMPOUND off and on; queries whose Dutch first sentence (the query
   for nl->*, the Dutch original of the English query for en->nl) holds a word the
   splitter splits form the "compounds" class: improved / worse / unchanged per run.
3. Index size and build time of the FLORES Dutch articles plus the seeds, off vs on
   (median of 3 builds each, alternating).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import decompound  # noqa: E402
from index.analysis import fold, iter_words  # noqa: E402
from index.crosslink import build_lexicon  # noqa: E402
from index.evaluation import _collection, flores_articles, run_flores  # noqa: E402
from index.storage import rebuild  # noqa: E402

WORDLIST = Path("/usr/share/dict/dutch")
SAMPLE = 200


def split_precision(seed: int = 0) -> dict:
    words = {fold(w.strip()) for w in WORDLIST.read_text("utf-8").splitlines()} \
        if WORDLIST.exists() else None
    vocab = decompound.vocabulary()
    mid = sorted(w for w, z in vocab.items() if 3.0 <= z < 4.5 and len(w) >= 7)
    frequent = [w for w in mid if decompound.zipf(w) >= 4.0]
    splits = [w for w in mid if decompound.split(w)]
    sample = random.Random(seed).sample(splits, min(SAMPLE, len(splits)))
    rows = [(w, decompound.split(w)) for w in sample]
    result = {"candidates": len(mid), "split": len(splits),
              "frequent_words": len(frequent),
              "frequent_split": sum(1 for w in frequent if decompound.split(w)),
              "sample": [[w, list(parts)] for w, parts in rows]}
    if words is not None:
        failed = [[w, list(p)] for w, p in rows
                  if w not in words or any(part not in words for part in p)]
        result["sample_passed"] = len(rows) - len(failed)
        result["sample_failed"] = failed
    return result


def compounds_in(text: str) -> list[str]:
    return [fold(raw) for raw, _, _ in iter_words(text) if decompound.split(fold(raw))]


def flores_classes(flores: Path) -> dict:
    cache: dict = {}

    def factory(names, exclude):
        key = frozenset(exclude)
        if key not in cache:
            cache[key] = build_lexicon(names=names, parallel_dir=flores,
                                       freedict_dir="/usr/share/dictd",
                                       exclude_parallel_lines=exclude)
        return cache[key]

    articles = flores_articles(flores)
    in_class = {}
    for n, article in enumerate(articles):
        in_class[n] = bool(compounds_in(article.sentences["nl"][0]))
    ranks: dict = {}
    totals: dict = {}
    for setting in ("off", "on"):
        decompound.configure(setting)
        totals[setting] = run_flores(
            flores, factory,
            on_query=lambda name, n, q, rr, s=setting: ranks.setdefault((s, name), {}).__setitem__(n, rr),
            progress=lambda msg, s=setting: print(f"[{s}] {msg}", file=sys.stderr))
    decompound.configure("on")
    table = {}
    for name in totals["on"]:
        if not ("nl" in name.split(" ")[0]):
            continue
        off, on = ranks[("off", name)], ranks[("on", name)]
        members = [n for n in on if in_class.get(n)]
        table[name] = {
            "mrr_off": round(totals["off"][name]["mrr"], 4),
            "mrr_on": round(totals["on"][name]["mrr"], 4),
            "class_queries": len(members),
            "class_mrr_off": round(sum(off[n] for n in members) / max(len(members), 1), 4),
            "class_mrr_on": round(sum(on[n] for n in members) / max(len(members), 1), 4),
            "improved": sum(1 for n in members if on[n] > off[n]),
            "worse": sum(1 for n in members if on[n] < off[n]),
            "first_both": sum(1 for n in members if on[n] == off[n] == 1.0),
            "missed_both": sum(1 for n in members if on[n] == off[n] < 1.0),
            "others_improved": sum(1 for n in on if not in_class.get(n) and on[n] > off[n]),
            "others_worse": sum(1 for n in on if not in_class.get(n) and on[n] < off[n]),
        }
    return {"totals": totals, "classes": table}


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def index_cost(flores: Path) -> dict:
    from service.cli import prepare_documents

    docs = _collection(flores_articles(flores), "nl")
    seeds, _ = prepare_documents([ROOT / "seeds"], progress=False)
    docs += seeds
    times = {"off": [], "on": []}
    sizes = {}
    for _ in range(3):
        for setting in ("off", "on"):
            decompound.configure(setting)
            with tempfile.TemporaryDirectory(prefix="tolk-decompound-") as tmp:
                started = time.perf_counter()
                rebuild(tmp, docs)
                times[setting].append(time.perf_counter() - started)
                sizes[setting] = _size(Path(tmp))
    decompound.configure("on")
    return {"documents": len(docs),
            "seconds_median": {k: round(statistics.median(v), 3) for k, v in times.items()},
            "bytes": sizes}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flores", default="/work/shared/data/flores200_devtest_nl_en")
    parser.add_argument("--json", help="write the full report here")
    parser.add_argument("--skip-flores", action="store_true")
    args = parser.parse_args()
    flores = Path(args.flores)
    decompound.vocabulary()  # load once, outside every timing
    report = {"precision": split_precision()}
    p = report["precision"]
    print(f"split: {p['split']} of {p['candidates']} words (Zipf 3-4.5, 7+ letters); "
          f"frequent (Zipf 4-4.5): {p['frequent_split']} of {p['frequent_words']}")
    if "sample_passed" in p:
        print(f"sample of {len(p['sample'])}: {p['sample_passed']} pass the wdutch rule; "
              f"failed: {p['sample_failed']}")
    report["index"] = index_cost(flores)
    print("index:", json.dumps(report["index"]))
    if not args.skip_flores:
        report["flores"] = flores_classes(flores)
        for name, row in report["flores"]["classes"].items():
            print(name, json.dumps(row))
    if args.json:
        Path(args.json).write_text(json.dumps(report, ensure_ascii=False, indent=1), "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
