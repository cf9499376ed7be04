"""OpenSearch's answer as Tolk's search answer: hits, snippets, facets.

The hit and facet shapes are the Whoosh backend's (``index.search.pipeline``), so
``/api/search`` answers the same whichever engine is behind it. The snippet is
OpenSearch's highlighter output (``<mark>``, HTML-escaped); the cross-links a hit
matched are Tolk's (which synonym-set terms its text holds, found with Tolk's own
analyzer: an engine knows terms, not which lexicon source brought them).
"""

from __future__ import annotations

from html import escape

from index.backends.base import StructuredQuery
from index.fields import hit_record
from index.search.expansion import OWN, TYPO
from index.search.highlight import FRAGMENT_CHARS, clean_surface, find_matches


def _crosslinks(language: str, fields: dict, query: StructuredQuery) -> list[dict]:
    sets = query.synonym_sets(language)
    terms = {t for s in sets for t, src in s.sources.items() if src not in (OWN, TYPO)}
    if not terms:
        return []
    found = find_matches(language, fields.get("title", ""), terms) + \
        find_matches(language, fields.get("body", ""), terms)
    matched = {m.term: clean_surface(language, m.surface, m.term) for m in found}
    out, seen = [], set()
    for s in sets:
        for term, src in s.sources.items():
            if src in (OWN, TYPO) or term not in matched or (s.word, term) in seen:
                continue
            seen.add((s.word, term))
            out.append({"query": s.word, "matched": matched[term], "source": src})
    return out


def hit(raw: dict, query: StructuredQuery) -> dict:
    fields = raw.get("_source") or {}
    language = fields.get("language", "")
    fragments = (raw.get("highlight") or {}).get("body") or []
    body = fields.get("body", "")
    snippet = fragments[0] if fragments else escape(body[:FRAGMENT_CHARS], quote=False)
    score = raw.get("_score")
    return hit_record(fields, doc_id=fields.get("id", raw.get("_id")), language=language,
                      score=score if score is not None else 0.0, snippet=snippet,
                      crosslinks=_crosslinks(language, fields, query))


def _buckets(agg: dict | None) -> dict:
    return {str(b.get("key_as_string", b["key"])): b["doc_count"]
            for b in (agg or {}).get("buckets", [])}


def facets(aggregations: dict, query: StructuredQuery, languages) -> dict:
    out = {}
    wanted = aggregations.get("wanted") or {}
    for name in query.facets:
        if name == "language":
            counts = _buckets(aggregations.get("language"))
            out[name] = {lang: counts.get(lang, 0) for lang in languages}
        elif name == "month":
            out[name] = dict(sorted(((k, v) for k, v in _buckets(wanted.get("month")).items()
                                     if k), reverse=True))
        else:
            out[name] = _buckets(wanted.get(name))
    return out


def answer(response: dict, query: StructuredQuery, languages, took_ms: float) -> dict:
    """Tolk's search answer for an OpenSearch ``_search`` response."""
    hits = response.get("hits") or {}
    total = hits.get("total")
    total = total.get("value", 0) if isinstance(total, dict) else int(total or 0)
    return {
        "query": query.text,
        "query_language": query.query_language,
        "total": total,
        "hits": [hit(raw, query) for raw in hits.get("hits", [])],
        "facets": facets(response.get("aggregations") or {}, query, languages),
        "suggestion": None,
        "corrected": None,
        "took_ms": took_ms,
    }
