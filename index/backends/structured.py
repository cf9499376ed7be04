"""Build the structured query (``base.StructuredQuery``) from a search request.

The same parse and expansion the Whoosh pipeline uses (``index.search.query``,
``index.search.expansion``), so an engine that is not Whoosh searches for exactly
the synonym sets Tolk would: per target language, every word becomes one set of
analysed terms with weights from the lexicon. Kept apart from the pipeline so an
engine needs no Whoosh reader to get its query.
"""

from __future__ import annotations

import math

from index.analysis import LANGUAGES, analyze, fold, is_stopword
from index.backends.base import BoolClause, PhraseClause, StructuredQuery, SynonymSet
from index.search.expansion import expand_word
from index.search.query import And, Group, Not, Or, Phrase, Word, iter_words, parse_query

FIELDS = ("title", "body")


def detect_language(node, doc_freq=None, doc_count=None) -> str:
    """The query's language from stopwords and, given ``doc_freq(lang, term)``, the
    vocabulary of each language's index (the pipeline's rule, engine-neutral)."""
    words = [fold(w) for w in node.words] if isinstance(node, Phrase) else \
        [fold(w.text) for w in iter_words(node)]
    scores = {}
    for lang in LANGUAGES:
        n = max((doc_count(lang) if doc_count else 1), 1)
        score = 0.0
        for word in words:
            if is_stopword(lang, word):
                score += 2.0
                continue
            if doc_freq is None:
                continue
            for term in analyze(lang, word):
                df = doc_freq(lang, term)
                score += math.log1p(df) / math.log1p(n) if df else 0.0
        scores[lang] = score
    if scores["nl"] == scores["en"]:
        return "en"
    return max(scores, key=scores.get)


class _Builder:
    def __init__(self, language, query_language, lexicon, crosslingual):
        self.language, self.query_language = language, query_language
        self.lexicon, self.crosslingual = lexicon, crosslingual

    def build(self, node):
        if isinstance(node, Word):
            expansion = expand_word(node, self.language, self.query_language, self.lexicon,
                                    self.crosslingual)
            if expansion is None:
                return None
            return SynonymSet(word=node.text, language=self.language,
                              terms=expansion.weights(),
                              sources={t: src for t, (_, src, _) in expansion.terms.items()},
                              fields=(node.field,) if node.field else FIELDS)
        if isinstance(node, Phrase):
            terms = analyze(self.language, node.text)
            if not terms:
                return None
            if len(terms) == 1:
                return self.build(Word(node.text, node.field, node.start, node.end))
            return PhraseClause(node.text, self.language,
                                (node.field,) if node.field else FIELDS)
        if isinstance(node, Group):
            must, should, must_not = (self._all(node.must), self._all(node.should),
                                      self._all(node.must_not))
            if not must and not should:
                return None
            return BoolClause(must, should, must_not)
        if isinstance(node, And):
            children = self._all(node.children)
            return BoolClause(must=children) if children else None
        if isinstance(node, Or):
            children = self._all(node.children)
            return BoolClause(should=children) if children else None
        if isinstance(node, Not):
            child = self.build(node.child)
            return BoolClause(must_not=(child,)) if child is not None else None
        raise TypeError(f"unknown query node {node!r}")

    def _all(self, nodes) -> tuple:
        return tuple(c for c in map(self.build, nodes) if c is not None)


def build_query(request, lexicon, *, filter_tree=None, sort=None, facets=("language", "month"),
                doc_freq=None, doc_count=None) -> StructuredQuery:
    """The structured query of ``request`` (an ``index.search.SearchRequest``)."""
    node = parse_query(request.q)
    query_language = detect_language(node, doc_freq, doc_count)
    lexicon = lexicon if request.crosslingual else None
    clauses = {lang: _Builder(lang, query_language, lexicon, request.crosslingual).build(node)
               for lang in LANGUAGES}
    return StructuredQuery(
        text=request.q, query_language=query_language, clauses=clauses,
        languages=LANGUAGES if request.lang == "any" else (request.lang,),
        limit=request.limit, offset=request.offset, sort=sort, filter=filter_tree,
        date_from=request.date_from, date_to=request.date_to, facets=tuple(facets),
        facet_size=request.facet_size)
