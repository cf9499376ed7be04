"""Measure the lexicon: coverage of Dutch seed words, build time, JSON size, load time.

    python -m index.crosslink.report [--seeds seeds] [--parallel DIR] [--freedict DIR]

Coverage: each of the 37 Dutch seed words below (chosen from the seed
documents, FACTS.md "Measured coverage of 37 Dutch seed words") counts as
linked when a link of its analyzed term reaches one of the English words
accepted for it. Reported per source alone, all sources together, and all
sources without the curated table. Multi-word targets (``feder council``)
are counted separately because the search does not use them yet.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from index.analysis import analyze
from index.crosslink import build_lexicon
from index.crosslink.lexicon import Lexicon

# Dutch seed word -> English words that are a correct link (any one counts).
SEED_WORDS: dict[str, list[str]] = {
    "Poetin": ["Putin"],
    "Oekraïne": ["Ukraine"],
    "NAVO": ["NATO"],
    "Wit-Rusland": ["Belarus"],
    "Moskou": ["Moscow"],
    "Kiev": ["Kyiv", "Kiev"],
    "Krim": ["Crimea"],
    "troepen": ["troops"],
    "sancties": ["sanctions"],
    "oefeningen": ["exercises", "drills"],
    "grens": ["border", "frontier"],
    "wapenstilstand": ["ceasefire", "truce", "armistice"],
    "Federatieraad": ["Federation Council", "council"],
    "Loegansk": ["Luhansk", "Lugansk"],
    "Konasjenkov": ["Konashenkov"],
    "Sergej": ["Sergei", "Sergey"],
    "vredesakkoorden": ["peace agreements", "peace accords", "accords", "agreements"],
    "buitenlandse zaken": ["foreign affairs"],
    "bondskanselier": ["chancellor"],
    "satellietfoto's": ["satellite images", "satellite photos", "photos", "images"],
    "gevechtshelikopters": ["helicopters", "attack helicopters"],
    "soevereiniteit": ["sovereignty"],
    "vredesmissie": ["peacekeeping", "peace mission", "mission"],
    "Rusland": ["Russia"],
    "Verenigd Koninkrijk": ["United Kingdom", "UK"],
    "VS": ["US", "USA", "United States"],
    "militairen": ["soldiers", "troops", "military"],
    "regering": ["government"],
    "leger": ["army"],
    "invasie": ["invasion"],
    "terugtrekking": ["withdrawal", "retreat", "pullback"],
    "spanningen": ["tensions"],
    "Duitse": ["German"],
    "dreiging": ["threat"],
    "vrede": ["peace"],
    "rebellen": ["rebels"],
    "ministerie": ["ministry"],
}


def _accepted(words: list[str]) -> set[str]:
    return {" ".join(analyze("en", w)) for w in words}


def coverage(lexicon: Lexicon, seed_words: dict[str, list[str]] = SEED_WORDS) -> dict:
    """Which seed words link to an accepted English term (single-word or multi-word)."""
    single, multi, missing, details = [], [], [], {}
    for word, english in seed_words.items():
        accepted = _accepted(english)
        term = " ".join(analyze("nl", word))
        links = lexicon.links("nl", term, limit=None)
        hits = [link for link in links if link.term in accepted]
        details[word] = {"term": term, "hits": [(l.term, l.weight, l.source) for l in hits],
                         "top": [(l.term, l.weight, l.source) for l in links[:3]]}
        if any(" " not in link.term for link in hits):
            single.append(word)
        elif hits:
            multi.append(word)
        else:
            missing.append(word)
    return {"words": len(seed_words), "linked": len(single) + len(multi),
            "single_word": len(single), "multi_word_only": multi, "missing": missing,
            "details": details}


def seed_names(seeds_dir: Path) -> dict[str, Counter]:
    """Capitalized, not sentence-initial tokens of the seed files, per detected language."""
    from index.analysis import _TOKEN_RE, _strip_apostrophe

    names = {"nl": Counter(), "en": Counter()}
    for path in sorted(seeds_dir.glob("*.txt")):
        text = path.read_text("utf-8")
        words = [m.group() for m in _TOKEN_RE.finditer(text.lower())]
        dutch = sum(w in ("de", "het", "een", "van") for w in words)
        english = sum(w in ("the", "a", "of", "and") for w in words)
        lang = "nl" if dutch >= english else "en"
        for paragraph in text.split("\n"):
            prev_end = None
            for match in _TOKEN_RE.finditer(paragraph):
                word = _strip_apostrophe(match.group())
                before = paragraph[prev_end:match.start()] if prev_end is not None else ""
                start = prev_end is None or any(c in before for c in ".!?:\u201c\"")
                prev_end = match.end()
                if word[:1].isupper() and not start and not word.isdigit():
                    names[lang][word] += 1
    return names


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", default="seeds")
    parser.add_argument("--parallel", default=os.environ.get(
        "TOLK_PARALLEL_DIR", "../shared/data/flores200_devtest_nl_en"))
    parser.add_argument("--freedict", default="/usr/share/dictd")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    names = seed_names(Path(args.seeds)) if Path(args.seeds).is_dir() else None
    parallel = args.parallel if args.parallel and Path(args.parallel).is_dir() else None

    report: dict = {"per_source": {}}
    for source in ("curated", "names", "transliteration", "dictionary", "parallel"):
        lexicon = build_lexicon(names, parallel, args.freedict, sources=[source])
        result = coverage(lexicon)
        report["per_source"][source] = {"linked": result["linked"],
                                        "single_word": result["single_word"],
                                        "pairs": len(lexicon)}
    lexicon = build_lexicon(names, parallel, args.freedict,
                            sources=["names", "transliteration", "dictionary", "parallel"])
    result = coverage(lexicon)
    report["without_curated"] = {"linked": result["linked"], "single_word": result["single_word"],
                                 "missing": result["missing"]}

    started = time.perf_counter()
    lexicon = build_lexicon(names, parallel, args.freedict)
    build_seconds = time.perf_counter() - started
    result = coverage(lexicon)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "lexicon.json"
        started = time.perf_counter()
        lexicon.save(path)
        save_seconds = time.perf_counter() - started
        size = path.stat().st_size
        started = time.perf_counter()
        loaded = Lexicon.load(path)
        load_seconds = time.perf_counter() - started
        assert len(loaded) == len(lexicon)
    report.update({
        "all_sources": {k: v for k, v in result.items() if k != "details"},
        "details": result["details"],
        "build_seconds": round(build_seconds, 2),
        "source_seconds": lexicon.info.get("seconds"),
        "warnings": lexicon.info.get("warnings"),
        "pairs": len(lexicon),
        "pairs_per_source": lexicon.stats(),
        "json_bytes": size,
        "save_seconds": round(save_seconds, 3),
        "load_seconds": round(load_seconds, 3),
    })
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    all_ = report["all_sources"]
    print(f"Seed words linked: {all_['linked']}/{all_['words']} "
          f"({all_['single_word']} through single-word terms); "
          f"without curated: {report['without_curated']['linked']}")
    print(f"  multi-word only: {', '.join(all_['multi_word_only']) or '-'}")
    print(f"  missing: {', '.join(all_['missing']) or '-'}")
    print(f"  missing without curated: {', '.join(report['without_curated']['missing']) or '-'}")
    for source, row in report["per_source"].items():
        print(f"  {source:16} alone: {row['linked']:2} linked, {row['pairs']} pairs")
    print(f"Build: {report['build_seconds']} s {report['source_seconds']}")
    print(f"Pairs: {report['pairs']} {report['pairs_per_source']}")
    print(f"JSON: {size / 1e6:.2f} MB, save {report['save_seconds']} s, "
          f"load {report['load_seconds']} s")
    if report["warnings"]:
        print("Warnings:", *report["warnings"], sep="\n  ")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
