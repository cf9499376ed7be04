"""Tolk's structured query as OpenSearch's query DSL, for one multi-index search.

One synonym set (a query word in one language: its own terms and its cross-links,
weighted) becomes, per field, a ``dis_max`` of ``term`` clauses boosted by the
term's weight times the field's boost: a document scores by the best of the
set's terms, as one word. Phrases become ``match_phrase``. Each language's
clause tree is tied to its language (``filter`` on ``language``), and the search
goes to both indexes at once with ``search_type=dfs_query_then_fetch``, so term
statistics (IDF) are gathered over both indexes before scoring: Dutch and English
scores on one scale, as Tolk's own IDF merge does for Whoosh.

Facets are aggregations computed before ``post_filter`` (the ``lang`` choice),
so the language facet still counts both languages, like the Whoosh backend.
"""

from __future__ import annotations

from index.analysis import analyze
from index.backends.base import BoolClause, PhraseClause, StructuredQuery, SynonymSet
from index.backends.opensearch.mapping import EXTRA_PREFIX
from index.fields import date_range, keyword_fold
# _keys: the index keys of a number/date value, exactly as the Whoosh filters use them
from index.search.filters import BoolNode, _keys
# snippets as long as Tolk's, and as far into a long text
from index.search.highlight import FRAGMENT_CHARS, MAX_ANALYZED_CHARS

SEARCH_TYPE = "dfs_query_then_fetch"
MONTHS_MAX = 1000  # month buckets (every month, as the Whoosh backend gives)


def synonym_set(clause: SynonymSet, boosts: dict) -> dict:
    per_field = []
    for name in clause.fields:
        terms = [{"term": {name: {"value": term, "boost": round(weight, 4)}}}
                 for term, weight in sorted(clause.terms.items())]
        per_field.append({"dis_max": {"queries": terms, "boost": boosts.get(name, 1.0)}})
    if len(per_field) == 1:
        return per_field[0]
    return {"bool": {"should": per_field, "minimum_should_match": 1}}


def phrase(clause: PhraseClause, boosts: dict) -> dict:
    queries = [{"match_phrase": {name: {"query": clause.text, "boost": boosts.get(name, 1.0)}}}
               for name in clause.fields]
    return queries[0] if len(queries) == 1 else \
        {"bool": {"should": queries, "minimum_should_match": 1}}


def clause_dsl(clause, boosts: dict) -> dict:
    if isinstance(clause, SynonymSet):
        return synonym_set(clause, boosts)
    if isinstance(clause, PhraseClause):
        return phrase(clause, boosts)
    if isinstance(clause, BoolClause):
        body: dict = {}
        if clause.must:
            body["must"] = [clause_dsl(c, boosts) for c in clause.must]
        if clause.should:
            body["should"] = [clause_dsl(c, boosts) for c in clause.should]
            if not clause.must:
                body["minimum_should_match"] = 1
        if clause.must_not:
            body["must_not"] = [clause_dsl(c, boosts) for c in clause.must_not]
            if not clause.must and not clause.should:
                body["must"] = [{"match_all": {}}]
        return {"bool": body}
    raise TypeError(f"unknown clause {clause!r}")


# -- filters (index.search.filters trees) ----------------------------------------------

def _range(name: str, low=None, high=None, low_excl=False, high_excl=False) -> dict:
    bounds = {}
    if low is not None:
        bounds["gt" if low_excl else "gte"] = low
    if high is not None:
        bounds["lt" if high_excl else "lte"] = high
    return {"range": {name: bounds}}


def _builtin_date(node) -> dict:
    if node.op == "range":
        low = None if node.value == "*" else date_range(node.value)[0]
        high = None if node.high == "*" else date_range(node.high)[1]
        op = "="
    else:
        (low, high), op = date_range(node.value), node.op
    if op == "=":
        return {"bool": {"filter": [_range("date_start", high=high), _range("date_end", low=low)]}}
    return {">=": lambda: _range("date_end", low=low),
            ">": lambda: _range("date_end", low=high, low_excl=True),
            "<=": lambda: _range("date_start", high=high),
            "<": lambda: _range("date_start", high=low, high_excl=True)}[op]()


def filter_dsl(node, language: str = "en") -> dict:
    """One filter tree (``index.search.filters.parse_filter``) as a query clause."""
    if isinstance(node, BoolNode):
        children = [filter_dsl(child, language) for child in node.children]
        if node.op == "not":
            return {"bool": {"must_not": children}}
        return {"bool": {"filter" if node.op == "and" else "should": children,
                         **({"minimum_should_match": 1} if node.op == "or" else {})}}
    field = node.field
    if field.name == "date":
        return _builtin_date(node)
    if field.name in ("id", "month"):
        return {"term": {field.name: node.value}}
    if field.name in ("language", "source"):
        return {"term": {"source_key" if field.name == "source" else "language":
                         keyword_fold(node.value)}}
    name = EXTRA_PREFIX + field.name
    if field.type in ("keyword", "keywords"):
        return {"term": {name: keyword_fold(node.value)}}
    if field.type == "text":
        terms = analyze(language, node.value)
        return {"match_phrase": {name: node.value}} if terms else {"match_none": {}}
    if node.op == "range":
        low = None if node.value == "*" else _keys(field, node.value)[0]
        high = None if node.high == "*" else _keys(field, node.high)[1]
        return _range(name, low, high)
    low, high = _keys(field, node.value)
    return {"=": lambda: _range(name, low, high), ">=": lambda: _range(name, low=low),
            ">": lambda: _range(name, low=high, low_excl=True),
            "<=": lambda: _range(name, high=high),
            "<": lambda: _range(name, high=low, high_excl=True)}[node.op]()


def date_span(date_from: str | None, date_to: str | None) -> list[dict]:
    out = []
    if date_to:
        out.append(_range("date_start", high=date_range(date_to)[1]))
    if date_from:
        out.append(_range("date_end", low=date_range(date_from)[0]))
    return out


def facet_field(name: str) -> str:
    return {"language": "language", "month": "month", "source": "source_key"}.get(
        name, EXTRA_PREFIX + name)


def sort_field(column: str) -> str:
    return "date_start" if column in ("date", "date_start") else EXTRA_PREFIX + column


# -- the request ------------------------------------------------------------------------

def search_body(query: StructuredQuery) -> dict:
    """The ``_search`` body for both language indexes."""
    per_language = []
    for language, clause in query.clauses.items():
        if clause is None:
            continue
        per_language.append({"bool": {"filter": [{"term": {"language": language}}],
                                      "must": [clause_dsl(clause, query.field_boosts)]}})
    filters = date_span(query.date_from, query.date_to)
    if query.filter is not None:
        filters.append(filter_dsl(query.filter))
    wanted = list(query.languages)
    aggs = {}
    wanted_aggs = {}
    for name in query.facets:
        if name == "language":
            aggs["language"] = {"terms": {"field": "language", "size": 10}}
        elif name == "month":
            wanted_aggs["month"] = {"terms": {"field": "month", "size": MONTHS_MAX,
                                              "exclude": [""]}}
        else:
            wanted_aggs[name] = {"terms": {"field": facet_field(name),
                                           "size": query.facet_size}}
    if wanted_aggs:
        aggs["wanted"] = {"filter": {"terms": {"language": wanted}}, "aggs": wanted_aggs}
    body = {
        "query": {"bool": {"should": per_language or [{"match_none": {}}],
                           "minimum_should_match": 1, "filter": filters}},
        "post_filter": {"terms": {"language": wanted}},
        "from": query.offset, "size": query.limit,
        "track_total_hits": True,
        "_source": {"excludes": ["original", "date_start", "date_end",
                                 "source_key", EXTRA_PREFIX + "*"]},
        # max_analyzer_offset: like Tolk's own highlighter, a very long text is read only so
        # far for marks (without it OpenSearch refuses to highlight past 1,000,000 chars)
        "highlight": {"encoder": "html", "pre_tags": ["<mark>"], "post_tags": ["</mark>"],
                      "max_analyzer_offset": MAX_ANALYZED_CHARS,
                      "fields": {"body": {"fragment_size": FRAGMENT_CHARS,
                                          "number_of_fragments": 1, "no_match_size":
                                          FRAGMENT_CHARS}}},
        "aggs": aggs,
    }
    if query.sort is not None:
        column, descending = query.sort
        body["sort"] = [{sort_field(column): {"order": "desc" if descending else "asc",
                                              "missing": "_last"}}, "_score"]
    return body


def search_params() -> dict:
    return {"search_type": SEARCH_TYPE, "ignore_unavailable": "true"}
