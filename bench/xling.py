"""Cross-lingual misses on FLORES: what the translated query reaches, what it misses, and why.

Builds the two FLORES indexes and the per-fold lexicons once (as ``tolk eval``:
a fold's parallel links never come from its own test articles), runs the
monolingual and cross-linked runs, and for every query that ranks its article
worse cross-lingually than monolingually looks at the *useful* terms: the
target-language terms of the article's own first sentence (the monolingual
query) that the target article contains. Each useful term is either reached by
the translated query (some synonym set holds it) or missed, and a miss gets
one cause:

* ``no link``: no word of the query links to it at all, split by the likely carrier: a
  query word spelled like it (``cognate/name``), an unlinked compound of 10+ letters
  (``compound``), or neither (``sense/paraphrase``: a missing sense, or a free translation);
* ``beyond limit``: a query word links to it, but not among its best links;
* ``inflection``: a Dutch term that links to it shares its first 5+ letters with a
  query word's stem (the word's form did not reach the headword);

Reached terms are also counted by how they were reached (weight below 0.5:
``weak``) and the noise of the translated query (terms of its sets that the
target article lacks, summed document frequency).

    nice -n 5 .venv/bin/python bench/xling.py --flores /work/shared/data/flores200_devtest_nl_en \
        --direction nl-en --json /tmp/xling.json

``--runs`` chooses the runs (``mono,cross`` by default); the same harness is
how the variants in docs/notes/xling.md were compared (the same indexes and
lexicons, one process).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from index.analysis import analyze, fold, iter_words
from index.evaluation import (flores_articles, flores_folds, flores_lexicon_factory, plain_query,
                              reciprocal_rank)
from index.search import SearchRequest, pipeline, search


class Recorder:
    """Keeps the compilers of the last search (after sense weighting)."""

    def __init__(self):
        self.compilers = None
        self.original = pipeline._set_global_idf

    def __call__(self, compilers, searchers):
        self.compilers = compilers
        return self.original(compilers, searchers)


def run(readers, articles, source, target, lexicons, fold_of, recorder=None, depth=100):
    ranks, sets = {}, {}
    rr = 0.0
    count = 0
    for n, article in enumerate(articles):
        if len(article.sentences[target]) < 2:
            continue
        q = plain_query(article.sentences[source][0])
        lexicon = lexicons.get(fold_of[n]) if lexicons else None
        result = search(readers[target], SearchRequest(q=q, lang=target, limit=depth,
                                                       crosslingual=lexicon is not None,
                                                       typo=False, mode="lexical"),
                        lexicon=lexicon)
        ranked = [h["id"] for h in result["hits"]]
        target_id = f"a{n:03d}"
        ranks[n] = ranked.index(target_id) + 1 if target_id in ranked else 0
        rr += reciprocal_rank(ranked, target_id)
        count += 1
        if recorder is not None and recorder.compilers is not None:
            sets[n] = [(e.word.text, dict(e.terms))
                       for e in recorder.compilers[target].expansions]
    return rr / count, ranks, sets


def worse(cross: int, mono: int) -> bool:
    return bool(mono) and (not cross or cross > mono)


def analyse(n, article, source, target, sets, lexicon, reader, doc_terms):
    """Useful terms of article ``n``: reached / missed, with a cause per miss."""
    useful = [t for t in dict.fromkeys(analyze(target, article.sentences[target][0]))
              if t in doc_terms]
    reached = {}
    for word, terms in sets:
        for term, (weight, src, _) in terms.items():
            for part in term.split():
                if part not in reached or reached[part][0] < weight:
                    reached[part] = (weight, src, word)
    words = [w for w, _, _ in iter_words(article.sentences[source][0])]
    stems = {w: analyze(source, w) for w in words}
    linked = {w: [link for s in st for link in lexicon.links(source, s, limit=None)]
              for w, st in stems.items()}
    out = []
    for term in useful:
        if term in reached:
            weight, src, word = reached[term]
            out.append(("reached", "weak" if weight < 0.5 else "strong", src, term, word, weight))
            continue
        cause = None
        for w, links in linked.items():
            if any(link.term.split()[0] == term or term in link.term.split() for link in links):
                cause = ("beyond limit", w)
                break
        if cause is None:
            # A term of the source language that links to it, spelled like a query word's stem.
            for link in lexicon.links(target, term, limit=None):
                for w, st in stems.items():
                    if any(len(s) >= 5 and link.term[:5] == s[:5] and link.term != s
                           for s in st):
                        cause = ("inflection", w)
                        break
                if cause:
                    break
        if cause is None:
            unlinked = [w for w, links in linked.items() if not links and stems[w]]
            # Which kind of word probably carried it: one spelled like it (a cognate or a
            # name spelled another way), a long compound, or none (a sense or paraphrase).
            kind = "no link: sense/paraphrase"
            if any(fold(w).lower()[:4] == term[:4] for w in words if not w[:1].isdigit()):
                kind = "no link: cognate/name"
            elif any(len(w) >= 10 and w.isalpha() for w in unlinked):
                kind = "no link: compound"
            cause = (kind, ",".join(unlinked) if unlinked else "")
        out.append(("missed", cause[0], "", term, cause[1], 0.0))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flores", required=True)
    parser.add_argument("--freedict", default="/usr/share/dictd")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--direction", choices=("nl-en", "en-nl"), default="nl-en")
    parser.add_argument("--json")
    parser.add_argument("--baseline", action="store_true",
                        help="without this branch's additions (hyphen parts, prefix cognates, "
                             "derived links, shipped cosines): the 'before' of the cause table")
    args = parser.parse_args()
    if args.baseline:
        from index.crosslink import wordvec
        from index.search import expansion

        expansion._add_hyphen_parts = lambda *a, **k: None
        pipeline._add_prefix_cognates = lambda *a, **k: None
        expansion.DERIVED_WEIGHT = 0
        wordvec.configure("off")
    source, target = args.direction.split("-")
    articles = flores_articles(args.flores)
    recorder = Recorder()
    pipeline._set_global_idf = recorder
    with tempfile.TemporaryDirectory(prefix="tolk-xling-") as tmp:
        started = time.perf_counter()
        readers, fold_of, lexicons = flores_folds(
            articles, tmp, args.folds, flores_lexicon_factory(args.flores, args.freedict))
        print(f"lexicons {time.perf_counter() - started:.1f}s", file=sys.stderr)
        mono_mrr, mono, _ = run(readers, articles, target, target, None, fold_of)
        cross_mrr, cross, sets = run(readers, articles, source, target, lexicons, fold_of,
                                     recorder)
        print(f"{target}->{target} {mono_mrr:.4f}  {source}->{target} x {cross_mrr:.4f} "
              f"({cross_mrr / mono_mrr:.1%})")
        reader = None
        misses = [n for n in cross if worse(cross[n], mono.get(n, 0))]
        causes, reach, per_query = Counter(), Counter(), []
        missed_words = Counter()
        for n in misses:
            doc_terms = set(analyze(target, " ".join(articles[n].sentences[target][1:])))
            rows = analyse(n, articles[n], source, target, sets[n], lexicons[fold_of[n]],
                           reader, doc_terms)
            for kind, cause, src, term, word, weight in rows:
                if kind == "reached":
                    reach[cause] += 1
                else:
                    causes[cause] += 1
                    if cause.startswith("no link"):
                        missed_words[term] += 1
            per_query.append({"article": n, "mono": mono[n], "cross": cross[n],
                              "query": articles[n].sentences[source][0],
                              "reference": articles[n].sentences[target][0],
                              "terms": rows})
        total = sum(reach.values()) + sum(causes.values())
        print(f"misses: {len(misses)}; useful terms {total}")
        for k, v in reach.most_common():
            print(f"  reached {k:14s} {v:5d} {v / total:6.1%}")
        for k, v in causes.most_common():
            print(f"  missed  {k:14s} {v:5d} {v / total:6.1%}")
        print("most missed (no link):", missed_words.most_common(40))
        if args.json:
            Path(args.json).write_text(json.dumps(per_query, ensure_ascii=False, indent=1))
        for r in readers.values():
            r.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
