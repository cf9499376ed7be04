"""Search: parse, expand, search both language indexes, merge, highlight, facet.

One function, :func:`search`, serves the CLI, the JSON API and the page.

1. The query string is parsed (``index.search.query``).
2. Each word becomes, per target language, ONE synonym set
   (``index.search.expansion``, scored by ``index.scoring.synonyms``).
3. Each synonym set gets an IDF computed over both indexes together, so the
   BM25 scores of the Dutch and the English index are on one scale.
4. Both indexes are searched (``filter`` on declared fields, ``index.search.filters``,
   restricts the documents), hits merged by score (or a date/number field), and each
   hit gets a highlighted snippet and the cross-links that matched it. Facets:
   language and month by default, or the keyword fields asked for.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass, replace

from whoosh import query as wq

from index.analysis import LANGUAGES, analyze, fold, is_stopword
from index.observe import mark
from index.fields import Fields, active as active_fields, hit_record
from index.search import compounds, facets as keyword_facets
from index.search.collect import DATE_COLUMN, _column, collect, sort_key
from index.search.filters import (FilterError, date_filter, filter_mask, parse_filter,
                                  query_mask)
from index.search.expansion import (OWN, TYPO, Expansion, add_prefix_cognates, add_typo_terms,
                                    expand_word,
                                    sentence_initial,
                                    span_links)
from index.search.senses import reweigh as reweigh_senses
from index.search.highlight import clean_surface, find_matches, snippet, title_end
from index.search.resultcache import cache_for, index_state, request_key
from index.search.query import And, Group, Not, Or, Phrase, Word, iter_words, parse_query
from index.scoring.bm25 import idf
from index.search.suggest import correct_query, did_you_mean
from index.scoring.synonyms import SynonymQuery
from index.search import hybrid

FIELD_BOOSTS = {"title": 1.5, "body": 1.0}
FEW_HITS = 3  # below this many hits, offer a "did you mean" suggestion


@dataclass
class SearchRequest:
    """What to search for; mirrors the API parameters."""

    q: str
    lang: str = "any"  # result languages: "nl", "en" or "any"
    limit: int = 10
    offset: int = 0
    crosslingual: bool = True
    date_from: str | None = None  # YYYY-MM-DD or YYYY-MM, inclusive
    date_to: str | None = None
    sort: str = "relevance"  # or FIELD[:asc|desc] for a date/number field ("date": newest first)
    typo: bool = True
    filter: str | None = None  # on declared fields: source:NOS AND tags:oorlog
    facets: tuple | None = None  # field names; None: language and month
    facet_size: int = 10  # values per facet (most frequent first)
    mode: str | None = None  # lexical, semantic, hybrid; None: hybrid if the index has vectors
    fusion: str = "rrf"  # hybrid: rrf or blend (index.search.hybrid)
    explain: bool = False  # each hit says what the lexical and the semantic part gave


class _Compiler:
    """Turns a query tree into a Whoosh query for one language's index."""

    def __init__(self, language, query_language, lexicon, crosslingual, spans=None,
                 initial=frozenset()):
        self.spans = spans
        self.initial = initial  # ids of sentence-initial capitalized words
        self.language = language
        self.query_language = query_language
        self.lexicon = lexicon
        self.crosslingual = crosslingual
        self.leaves: list[SynonymQuery] = []
        self.expansions: list[Expansion] = []
        self.phrase_terms: set[str] = set()
        self._words: dict[int, Word] = {}

    def compile(self, node):
        if isinstance(node, Word):
            return self.word(node)
        if isinstance(node, Phrase):
            return self.phrase(node)
        if isinstance(node, Group):
            should = self._all(node.should)
            must = self._all(node.must)
            must_not = self._all(node.must_not)
            if must:
                positive = wq.And(must)
                if should:
                    positive = wq.AndMaybe(positive, wq.Or(should))
            elif should:
                positive = wq.Or(should)
            else:
                return None
            return wq.AndNot(positive, wq.Or(must_not)) if must_not else positive
        if isinstance(node, (And, Or)):
            children = self._all(node.children)
            if not children:
                return None
            return wq.And(children) if isinstance(node, And) else wq.Or(children)
        if isinstance(node, Not):
            child = self.compile(node.child)
            return wq.Not(child) if child is not None else None
        raise TypeError(f"unknown query node {node!r}")

    def _all(self, nodes):
        return [q for q in map(self.compile, nodes) if q is not None]

    def word(self, node: Word):
        whole = self._word(node)
        if whole is None:
            return None
        # A Dutch compound also matches all of its parts (index.search.compounds).
        parts = [self._word(part, compounds.PART_BOOST) for part in compounds.parts_for(
            node, self.language, self.query_language, self.expansions[-1])]
        if not parts or None in parts:
            return whole
        return wq.Or([whole, wq.And(parts)])

    def _word(self, node: Word, boost: float = 1.0):
        expansion = expand_word(node, self.language, self.query_language, self.lexicon,
                                self.crosslingual, self.spans, id(node) in self.initial)
        if expansion is None:
            return None
        self.expansions.append(expansion)
        fields = [node.field] if node.field else list(FIELD_BOOSTS)
        queries = []
        for name in fields:
            leaf = SynonymQuery(name, expansion.weights(), boost=FIELD_BOOSTS[name] * boost,
                                key=(id(node), name))
            leaf.expansion = expansion
            self.leaves.append(leaf)
            queries.append(leaf)
        return queries[0] if len(queries) == 1 else wq.Or(queries)

    def phrase(self, node: Phrase):
        terms = analyze(self.language, node.text)
        if not terms:
            return None
        if len(terms) == 1:
            word = self._words.setdefault(id(node), Word(node.text, node.field, node.start,
                                                          node.end))
            return self.word(word)
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


def _searched_words(node):
    """The Word nodes a hit must or may match: excluded words (``-x``, ``NOT x``) are left
    out, as correcting them would change what the query leaves out."""
    if isinstance(node, Word):
        yield node
    elif isinstance(node, Group):
        for child in (*node.should, *node.must):
            yield from _searched_words(child)
    elif isinstance(node, (And, Or)):
        for child in node.children:
            yield from _searched_words(child)


def _corrected_query(q: str, node, compilers: dict, searchers: dict) -> str | None:
    """``q`` with every word that matches nothing in either index (own terms, cross-links
    and cognates all absent) replaced by its likeliest correction, or None."""
    groups: dict[int, list[Expansion]] = {}
    for compiler in compilers.values():
        for expansion in compiler.expansions:
            groups.setdefault(id(expansion.word), []).append(expansion)
    typed = {id(word) for word in _searched_words(node)}  # not -excluded or "phrase" words
    unmatched = []
    for key, group in groups.items():
        if key not in typed:
            continue
        if not any(searchers[e.language].reader().doc_frequency(name, term)
                   for e in group for term in e.terms for name in FIELD_BOOSTS):
            unmatched.append(group[0].word)
    return correct_query(q, unmatched, searchers) if unmatched else None


def _span_links(q: str, node, lexicon) -> dict:
    """Lexicon keys of several words among runs of adjacent query words
    (``prime minister`` -> premier), see ``expansion.span_links``."""
    if lexicon is None:
        return {}
    words = sorted(_searched_words(node), key=lambda w: w.start)
    spans: dict = {}
    run: list = []
    for word in words + [None]:
        if word is not None and run and q[run[-1].end:word.start].strip() == "" \
                and word.field == run[-1].field:
            run.append(word)
            continue
        if len(run) > 1:
            for key, links in span_links(run, lexicon).items():
                spans.setdefault(key, []).extend(links)
        run = [word] if word is not None else []
    return spans


def _add_prefix_cognates(compilers, searchers) -> None:
    """Cognates read from the other language's index for words that match nothing
    there (``expansion.add_prefix_cognates``)."""
    readers = {lang: s.reader() for lang, s in searchers.items()}
    for compiler in compilers.values():
        if compiler.language == compiler.query_language or not compiler.expansions:
            continue
        add_prefix_cognates(compiler.expansions, readers)
        for leaf in compiler.leaves:
            leaf.terms_weights = leaf.expansion.weights()


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


def resolve_sort(sort: str, fields: Fields) -> tuple[str, bool] | None:
    """``relevance`` -> None; ``FIELD[:asc|desc]`` -> (column, descending); FilterError."""
    if sort in ("", "relevance"):
        return None
    name, _, direction = sort.partition(":")
    direction = direction or "desc"
    field = fields.get(name)
    if field is None or not field.sort:
        raise FilterError(f"cannot sort by {name!r}: use relevance or one of "
                          + ", ".join(f + "[:asc|:desc]" for f in fields.names("sort"))
                          + (f"; {fields.undeclared_message(name)}" if field is None else ""),
                          param="sort", field=name if field is None else None)
    if direction not in ("asc", "desc"):
        raise FilterError(f"sort direction {direction!r}: use {name}:asc or {name}:desc",
                          param="sort")
    return (DATE_COLUMN if name == "date" else name), direction == "desc"


def resolve_facets(names, fields: Fields) -> tuple:
    """The facets asked for, validated (FilterError names the wrong one)."""
    if names is None:
        return ("language", "month")
    for name in names:
        field = fields.get(name)
        if field is None or not field.facet:
            raise FilterError(f"no facet {name!r}: use " + ", ".join(fields.names("facet"))
                              + (f"; {fields.undeclared_message(name)}" if field is None
                                 else ""), param="facets",
                              field=name if field is None else None)
    return tuple(dict.fromkeys(names))


def _top(counts: dict, size: int) -> dict:
    """The ``size`` most frequent values, ties by value (without sorting them all)."""
    if len(counts) > size:
        kth = heapq.nlargest(size, counts.values())[-1]
        items = [(-n, value) for value, n in counts.items() if n >= kth]
    else:
        items = [(-n, value) for value, n in counts.items()]
    items.sort()
    return {value: -n for n, value in items[:size]}


def _hit(fields: dict, score: float, compiler: _Compiler) -> dict:
    language = fields["language"]
    terms = set(compiler.phrase_terms)
    for expansion in compiler.expansions:
        terms.update(expansion.terms)
    body = fields.get("body", "")
    body_matches = find_matches(language, body, terms)
    title_matches = find_matches(language, fields.get("title", ""), terms)
    matched = {m.term: clean_surface(language, m.surface, m.term)
               for m in title_matches + body_matches}
    crosslinks = []
    seen = set()
    for expansion in compiler.expansions:
        for term, (_, source, _) in expansion.terms.items():
            if source in (OWN, TYPO) or term not in matched:
                continue
            key = (expansion.word.text, term)
            if key not in seen:
                seen.add(key)
                crosslinks.append({"query": expansion.word.text, "matched": matched[term],
                                   "source": source})
    return hit_record(fields, doc_id=fields["id"], language=language, score=score,
                      snippet=snippet(body, body_matches,
                                      skip=title_end(body, fields.get("title", ""))),
                      crosslinks=crosslinks)


def _facets(names, language, month, counts, size, searchers) -> dict:
    """The facets asked for; keyword values (indexed folded) shown as a document gave them."""
    out = {}
    for name in names:
        if name == "language":
            out[name] = language
        elif name == "month":
            out[name] = dict(sorted(month.items(), reverse=True))  # every month, as before
        else:
            out[name] = {}
            for value, n in _top(counts[name], size).items():
                labels = (keyword_facets.label(s, name, value) for s in searchers)
                out[name][next((x for x in labels if x != value), value)] = n
    return out


_FROM_INDEX = object()


def search(reader, request: SearchRequest, lexicon=_FROM_INDEX,
           fields: Fields | None = None) -> dict:
    """Search both language indexes of ``reader`` (an ``IndexReader``).

    ``lexicon`` overrides the cross-link lexicon stored with the index (the
    evaluation uses this to test lexicons learned without the test queries).
    ``fields``: the declared fields (default: the process's).
    Raises ``QuerySyntaxError`` for a query that cannot be parsed, ``FilterError``
    for a filter, sort or facet that cannot be used.
    """
    started = time.perf_counter()
    node = parse_query(request.q)
    fields = fields or active_fields()
    try:
        plan = (parse_filter(request.filter, fields) if request.filter else None,
                resolve_sort(request.sort, fields), resolve_facets(request.facets, fields))
    except FilterError as exc:
        recorded = reader.meta().get("fields", {}) if exc.field else {}
        if exc.field in recorded:
            raise FilterError(
                f"field {exc.field!r} is stored in this index but no longer declared; add "
                f"{exc.field}:{recorded[exc.field]} to TOLK_FIELDS (or TOLK_FIELDS_FILE) to "
                "filter, facet or sort on it", exc.position, exc.param, exc.field) from None
        raise
    searchers = reader.searchers()
    mark("parse")
    cache = key = None
    if lexicon is _FROM_INDEX:
        lexicon = reader.lexicon()
        cache = cache_for(reader)
    if not request.crosslingual:
        lexicon = None
    if cache is not None:
        state = index_state(searchers, lexicon)
        key = (request_key(request), state) if state is not None else None
        cached = cache.get(key) if key is not None else None
        if cached is not None:
            mark("cache")
            cached["took_ms"] = round((time.perf_counter() - started) * 1000, 2)
            return cached
    request, semantic = hybrid.plan(reader, request)  # after the cache: embeds the query
    mark("embed")
    result = _search(node, searchers, request, lexicon, started, plan, semantic)
    if key is not None:
        cache.put(key, result)
    return result


def _search(node, searchers: dict, request: SearchRequest, lexicon, started: float,
            plan: tuple, semantic=None) -> dict:
    filter_tree, sort, facet_names = plan
    query_language = detect_query_language(node, searchers)
    mark("language")
    spans = _span_links(request.q, node, lexicon) if request.crosslingual else None
    initial = sentence_initial(request.q, _searched_words(node)) if spans is not None else set()
    compilers = {lang: _Compiler(lang, query_language, lexicon, request.crosslingual, spans,
                                 initial)
                 for lang in LANGUAGES}
    queries = {lang: compilers[lang].compile(node) for lang in LANGUAGES}
    if request.mode == "semantic":
        queries = {lang: None for lang in LANGUAGES}  # no lexical part at all
    elif request.typo:
        corrected = _corrected_query(request.q, node, compilers, searchers)
        if corrected is not None:
            # Search the correction exactly as if it had been typed (cross-links and all).
            retyped = replace(request, q=corrected, typo=False)
            result = _search(parse_query(corrected), searchers, retyped, lexicon, started, plan,
                             semantic)
            result["query"] = request.q
            result["corrected"] = {"query": corrected, "original": request.q}
            return result
        add_typo_terms([e for c in compilers.values() for e in c.expansions],
                       {lang: s.reader() for lang, s in searchers.items()})
        for compiler in compilers.values():
            for leaf in compiler.leaves:
                leaf.terms_weights = leaf.expansion.weights()
    if request.crosslingual and lexicon is not None:
        _add_prefix_cognates(compilers, searchers)
        reweigh_senses(compilers, searchers, lexicon)
    _set_global_idf(compilers, searchers)
    mark("expand")

    wanted = LANGUAGES if request.lang == "any" else (request.lang,)
    depth = request.offset + request.limit
    page_depth = depth
    if request.mode in ("semantic", "hybrid"):
        depth = max(depth, hybrid.FUSION_DEPTH)  # the lists the fusion ranks
    dates = date_filter(request.date_from, request.date_to)
    masks: dict = {}
    keyword_names = tuple(n for n in facet_names if n not in ("language", "month"))
    language_facet = {lang: 0 for lang in LANGUAGES}
    month_facet: dict[str, int] = {}
    counts: dict[str, dict] = {name: {} for name in keyword_names}
    candidates = []
    matched_masks: dict = {}  # hybrid: which documents the lexical part matched
    for lang in LANGUAGES:
        q = queries[lang]
        if q is None:
            continue
        searcher = searchers[lang]
        allow = query_mask(searcher, dates) if dates is not None else None
        if filter_tree is not None:
            matched = filter_mask(searcher, filter_tree, lang)
            allow = matched if allow is None else allow & matched
        masks[lang] = allow
        found = collect(searcher, q, depth if lang in wanted else 0, allow=allow,
                        months=lang in wanted and "month" in facet_names, sort=sort,
                        facet_fields=keyword_names if lang in wanted else ())
        language_facet[lang] = found.total
        matched_masks[lang] = found.matched
        for month, count in found.months.items():
            month_facet[month] = month_facet.get(month, 0) + count
        for name, values in found.facets.items():
            merged = counts[name]
            if not merged:
                counts[name] = values
                continue
            get = merged.get
            for value, count in values.items():
                merged[value] = get(value, 0) + count
        candidates.extend((score, lang, docnum) for score, docnum in found.top)
    explained: dict = {}
    if request.mode in ("semantic", "hybrid"):
        lexical_totals = dict(language_facet)
        candidates, extra = hybrid.fused(request, semantic, searchers, wanted, candidates,
                                          dates, filter_tree, masks, depth, explained,
                                          queries, lexical_totals, matched_masks)
        # The total and every facet count the same set: lexical matches + the semantic
        # candidates the lexical query does not match (hybrid.py says why).
        hybrid.extra_facets(extra, searchers, facet_names, keyword_names, language_facet,
                            month_facet, counts)
        depth = page_depth
    if sort is not None:
        values = {lang: _column(searchers[lang], sort[0]) for lang in wanted}
        candidates.sort(key=lambda c: sort_key(values[c[1]][c[2]], c[0], 0, sort[1]))
    else:
        candidates.sort(key=lambda c: c[0], reverse=True)
    mark("score")
    page = [(score, lang, searchers[lang].stored_fields(docnum))
            for score, lang, docnum in candidates[request.offset:depth]]
    total = sum(language_facet[lang] for lang in wanted)
    mark("stored")
    suggestion = None
    if total < FEW_HITS:
        suggestion = did_you_mean(request.q, node, searchers)
        mark("suggest")
    hits = [_hit(fields, score, compilers[lang]) for score, lang, fields in page]
    if request.explain:
        for rank, (hit, (_, lang, _)) in enumerate(zip(hits, page), request.offset + 1):
            hit["explain"] = explained.get((lang, hit["id"])) or hybrid.explain(
                request.mode or "lexical", request.fusion,
                {"lexical": {"rank": rank, "score": hit["score"], "contribution": hit["score"]}})
    mark("highlight")
    facets = _facets(facet_names, language_facet, month_facet, counts, request.facet_size,
                     [searchers[lang] for lang in wanted])
    mark("facets")
    return {
        "query": request.q,
        "query_language": query_language,
        "total": total,
        "hits": hits,
        "facets": facets,
        "suggestion": suggestion,
        "corrected": None,
        "took_ms": round((time.perf_counter() - started) * 1000, 2),
        "mode": request.mode or "lexical",
    }
