"""Search: parse, expand, search both language indexes, merge, highlight, facet.

One function, :func:`search`, serves the CLI, the JSON API and the page.

1. The query string is parsed (``index.query``).
2. Each word becomes, per target language, ONE synonym set: its own analysis
   in that language plus, when cross-lingual search is on, the terms the
   lexicon links it to (``index.synonyms``).
3. Each synonym set gets an IDF computed over both indexes together, so the
   BM25 scores of the Dutch and the English index are on one scale.
4. Both indexes are searched, hits merged by score, and each hit gets a
   highlighted snippet and the cross-links that matched it.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from whoosh import query as wq

from .analysis import LANGUAGES, analyze, fold, is_stopword
from .highlight import find_matches, snippet
from .query import And, Group, Not, Or, Phrase, Word, iter_words, parse_query
from .scoring import idf
from .synonyms import SynonymQuery

FIELD_BOOSTS = {"title": 1.5, "body": 1.0}
OWN = "query"  # the source name of a query word's own analysis


@dataclass
class SearchRequest:
    """What to search for; mirrors the API parameters."""

    q: str
    lang: str = "any"  # result languages: "nl", "en" or "any"
    limit: int = 10
    offset: int = 0
    crosslingual: bool = True


@dataclass
class Expansion:
    """The terms one query word stands for in one language's index."""

    word: Word
    language: str
    terms: dict = field(default_factory=dict)  # term -> (weight, source, surface)

    def weights(self) -> dict[str, float]:
        return {term: weight for term, (weight, _, _) in self.terms.items()}


def expand_word(word: Word, language: str, query_language: str, lexicon,
                crosslingual: bool) -> Expansion | None:
    """The synonym set of ``word`` in ``language``'s index, or None for a stopword."""
    text = word.text
    acronym = len(text) > 1 and text.isupper()
    if not acronym and is_stopword(query_language, text):
        return None
    expansion = Expansion(word, language)
    for term in analyze(language, text):
        expansion.terms[term] = (1.0, OWN, text)
    if crosslingual and lexicon is not None:
        for source_language in LANGUAGES:
            if source_language == language:
                continue
            for term in analyze(source_language, text):
                for link in lexicon.links(source_language, term):
                    if " " in link.term:
                        continue  # multi-word names are matched as phrases (not yet)
                    known = expansion.terms.get(link.term)
                    if known is None or known[0] < link.weight:
                        expansion.terms[link.term] = (link.weight, link.source, link.surface)
    return expansion if expansion.terms else None


class _Compiler:
    """Turns a query tree into a Whoosh query for one language's index."""

    def __init__(self, language, query_language, lexicon, crosslingual):
        self.language = language
        self.query_language = query_language
        self.lexicon = lexicon
        self.crosslingual = crosslingual
        self.leaves: list[SynonymQuery] = []
        self.expansions: list[Expansion] = []
        self.phrase_terms: set[str] = set()

    def compile(self, node):
        if isinstance(node, Word):
            return self.word(node)
        if isinstance(node, Phrase):
            return self.phrase(node)
        if isinstance(node, Group):
            should = [q for q in map(self.compile, node.should) if q is not None]
            must = [q for q in map(self.compile, node.must) if q is not None]
            must_not = [q for q in map(self.compile, node.must_not) if q is not None]
            if must:
                positive = wq.And(must)
                if should:
                    positive = wq.AndMaybe(positive, wq.Or(should))
            elif should:
                positive = wq.Or(should)
            else:
                return None
            if must_not:
                positive = wq.AndNot(positive, wq.Or(must_not))
            return positive
        if isinstance(node, And):
            children = [q for q in map(self.compile, node.children) if q is not None]
            return wq.And(children) if children else None
        if isinstance(node, Or):
            children = [q for q in map(self.compile, node.children) if q is not None]
            return wq.Or(children) if children else None
        if isinstance(node, Not):
            child = self.compile(node.child)
            return wq.Not(child) if child is not None else None
        raise TypeError(f"unknown query node {node!r}")

    def word(self, node: Word):
        expansion = expand_word(node, self.language, self.query_language, self.lexicon,
                                self.crosslingual)
        if expansion is None:
            return None
        self.expansions.append(expansion)
        fields = [node.field] if node.field else list(FIELD_BOOSTS)
        queries = []
        for name in fields:
            leaf = SynonymQuery(name, expansion.weights(), boost=FIELD_BOOSTS[name],
                                key=(id(node), name))
            self.leaves.append(leaf)
            queries.append(leaf)
        return queries[0] if len(queries) == 1 else wq.Or(queries)

    def phrase(self, node: Phrase):
        terms = analyze(self.language, node.text)
        if not terms:
            return None
        if len(terms) == 1:
            return self.word(Word(node.text, node.field, node.start, node.end))
        self.phrase_terms.update(terms)
        fields = [node.field] if node.field else list(FIELD_BOOSTS)
        queries = [wq.Phrase(name, terms, boost=FIELD_BOOSTS[name]) for name in fields]
        return queries[0] if len(queries) == 1 else wq.Or(queries)


def detect_query_language(node, searchers) -> str:
    """Guess the language of the query from stopwords and index vocabularies."""
    words = [fold(w.text) for w in iter_words(node)]
    if isinstance(node, Phrase):
        words = [fold(w) for w in node.words]
    scores = {}
    for lang in LANGUAGES:
        reader = searchers[lang].reader()
        n = max(reader.doc_count(), 1)
        score = 0.0
        for word in words:
            if is_stopword(lang, word):
                score += 2.0
                continue
            for term in analyze(lang, word):
                df = reader.doc_frequency("body", term)
                score += math.log1p(df) / math.log1p(n) if df else 0.0
        scores[lang] = score
    if scores["nl"] == scores["en"]:
        return "en"
    return max(scores, key=scores.get)


def _set_global_idf(compilers, searchers) -> None:
    """Give every synonym set an IDF computed over both indexes together."""
    total_docs = sum(s.doc_count() for s in searchers.values())
    doc_freqs: dict = {}
    for compiler in compilers.values():
        reader = searchers[compiler.language].reader()
        for leaf in compiler.leaves:
            doc_freqs[leaf.key] = doc_freqs.get(leaf.key, 0) + leaf.doc_freq(reader)
    for compiler in compilers.values():
        for leaf in compiler.leaves:
            leaf.idf = idf(doc_freqs[leaf.key], max(total_docs, 1))


def _hit(fields: dict, score: float, compiler: _Compiler) -> dict:
    language = fields["language"]
    terms = set(compiler.phrase_terms)
    for expansion in compiler.expansions:
        terms.update(expansion.terms)
    body_matches = find_matches(language, fields.get("body", ""), terms)
    title_matches = find_matches(language, fields.get("title", ""), terms)
    matched = {m.term: m.surface for m in title_matches + body_matches}
    crosslinks = []
    seen = set()
    for expansion in compiler.expansions:
        for term, (_, source, _) in expansion.terms.items():
            if source == OWN or term not in matched:
                continue
            key = (expansion.word.text, term)
            if key not in seen:
                seen.add(key)
                crosslinks.append({"query": expansion.word.text, "matched": matched[term],
                                   "source": source})
    return {
        "id": fields["id"],
        "language": language,
        "title": fields.get("title", ""),
        "date": fields.get("date") or None,
        "url": fields.get("url"),
        "score": round(float(score), 4),
        "snippet": snippet(fields.get("body", ""), body_matches),
        "crosslinks": crosslinks,
    }


def search(reader, request: SearchRequest) -> dict:
    """Search both language indexes of ``reader`` (an ``IndexReader``).

    Raises ``QuerySyntaxError`` for a query that cannot be parsed.
    """
    started = time.perf_counter()
    node = parse_query(request.q)
    searchers = reader.searchers()
    query_language = detect_query_language(node, searchers)
    lexicon = reader.lexicon() if request.crosslingual else None
    compilers = {}
    queries = {}
    for lang in LANGUAGES:
        compiler = _Compiler(lang, query_language, lexicon, request.crosslingual)
        queries[lang] = compiler.compile(node)
        compilers[lang] = compiler
    _set_global_idf(compilers, searchers)

    wanted = LANGUAGES if request.lang == "any" else (request.lang,)
    depth = request.offset + request.limit
    facets = {lang: 0 for lang in LANGUAGES}
    candidates = []
    for lang in LANGUAGES:
        q = queries[lang]
        if q is None:
            continue
        results = searchers[lang].search(q, limit=max(depth, 1) if lang in wanted else 1)
        facets[lang] = len(results)
        if lang in wanted:
            candidates.extend((hit.score, lang, hit.docnum, hit.fields()) for hit in results)
    candidates.sort(key=lambda c: (-c[0], c[3]["id"]))
    page = candidates[request.offset:depth]
    hits = [_hit(fields, score, compilers[lang]) for score, lang, _, fields in page]
    return {
        "query": request.q,
        "query_language": query_language,
        "total": sum(facets[lang] for lang in wanted),
        "hits": hits,
        "facets": {"language": facets},
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
    }
