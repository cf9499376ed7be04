"""Index settings and mappings per language, and documents in OpenSearch's shape.

A document's ``_source`` holds the stored fields exactly as the Whoosh index
returns them (so the API answers the same), plus index-only keys that make
Tolk's filters work unchanged: ``date_start``/``date_end`` (the span a date
stands for) and ``x_<name>`` for each declared field, holding the value Whoosh
indexes (keywords folded, numbers and dates as order-preserving strings; see
``index.storage.schema.index_value``). So ``index.search.filters``' keys and
ranges translate one to one into ``term``/``range`` on keyword fields.
"""

from __future__ import annotations

from index.analysis import LANGUAGES
from index.fields import Fields, keyword_fold
from index.storage.schema import date_bounds, index_value

DEFAULT_PREFIX = "tolk-"
INDEX_ONLY = ("date_start", "date_end", "source_key", "spell")
EXTRA_PREFIX = "x_"


# Tolk reads and writes a language through its alias (``tolk-nl``), which points at a
# versioned index (``tolk-nl-v1``): a reindex on a cluster (new analysis) builds
# ``tolk-nl-v2`` beside it and switches the alias in one ``POST /_aliases``.
FIRST_VERSION = 1


def index_name(prefix: str, language: str) -> str:
    """The alias Tolk reads and writes (an older plain index of that name works too)."""
    return f"{prefix}{language}"


def versioned_name(prefix: str, language: str, version: int = FIRST_VERSION) -> str:
    """The concrete index behind the alias: ``tolk-nl-v1``."""
    return f"{index_name(prefix, language)}-v{version}"


def analysis(language: str, snowball_names: dict | None = None) -> dict:
    """The generated analysis block (``analysis.analysis_settings``, its regexes
    already portable: ``\\x{XXXX}`` escapes), plus the completion analyzer.
    ``snowball_names``: PyStemmer algorithm -> the cluster's Snowball name
    (``analysis.choose_snowball``); default: Lucene 8/9's names."""
    from index.backends.opensearch.analysis import analysis_settings

    block = analysis_settings(language, snowball_names)
    block.setdefault("analyzer", {})["tolk_spell"] = {
        "type": "custom", "tokenizer": "standard", "filter": ["lowercase", "asciifolding"]}
    return block


def analyzer_names(language: str) -> tuple[str, str]:
    from index.backends.opensearch.analysis import ANALYZERS, SEARCH_ANALYZERS

    return ANALYZERS[language], SEARCH_ANALYZERS[language]


def mappings(language: str, fields: Fields) -> dict:
    """The mappings of one language index, from Tolk's declared fields."""
    index_analyzer, search_analyzer = analyzer_names(language)
    text = {"type": "text", "analyzer": index_analyzer, "search_analyzer": search_analyzer}
    # title and body also feed "spell" (folded words for completions), not kept in _source
    spelled = {**text, "copy_to": ["spell"]}
    keyword = {"type": "keyword"}
    stored = {"type": "keyword", "index": False, "doc_values": False}
    properties = {
        "id": keyword, "language": keyword, "title": spelled, "body": spelled,
        "date": keyword, "date_start": keyword, "date_end": keyword, "month": keyword,
        "url": stored, "source": stored, "source_key": keyword,
        "original": {"type": "text", "index": False},
        "language_confidence": {"type": "float", "index": False},
        "decisions": {"type": "object", "enabled": False},
        "fields": {"type": "object", "enabled": False},
        "spell": {"type": "text", "analyzer": "tolk_spell", "fielddata": True},
    }
    for field in fields.extra:
        properties[EXTRA_PREFIX + field.name] = text if field.type == "text" else keyword
    return {"dynamic": "strict", "properties": properties}


def index_body(language: str, fields: Fields, shards: int = 1, replicas: int = 1,
               snowball_names: dict | None = None, alias: str | None = None) -> dict:
    """``PUT /<index>`` body: settings (analysis generated from Tolk's), mappings, and
    ``alias`` pointing at the new index when given."""
    body = {"settings": {"index": {"number_of_shards": shards, "number_of_replicas": replicas,
                                   "analysis": analysis(language, snowball_names)}},
            "mappings": mappings(language, fields)}
    if alias:
        body["aliases"] = {alias: {}}
    return body


def template_body(prefix: str, language: str, fields: Fields) -> dict:
    """``PUT /_index_template/<name>`` body for an operator's cluster."""
    # Settings and mappings for every version of the index, but not the alias: a new
    # version must join the alias only when it is loaded (one POST /_aliases), never on
    # creation, or reads would see both versions and writes fail.
    body = index_body(language, fields)
    return {"index_patterns": [f"{index_name(prefix, language)}-v*"], "priority": 100,
            "template": body, "_meta": {"created_by": "tolk export --opensearch"}}


def source(doc, fields: Fields) -> dict:
    """The ``_source`` of an ``index.ingest.documents.Document``."""
    start, end = date_bounds(doc.date)
    out = {
        "id": doc.id, "language": doc.language, "title": doc.title, "body": doc.text,
        "date": doc.date or "", "date_start": start, "date_end": end,
        "month": (doc.date or "")[:7], "url": doc.url, "source": doc.source or "",
        "source_key": keyword_fold(doc.source or ""), "original": doc.original,
        "language_confidence": doc.language_confidence, "decisions": doc.decisions,
        "fields": dict(doc.fields),
    }
    out.update(_extra(doc.fields, fields))
    return out


def source_from_stored(stored: dict, fields: Fields) -> dict:
    """The ``_source`` of a document as the Whoosh index stores it (for the export)."""
    start, end = date_bounds(stored.get("date") or None)
    values = stored.get("fields") or {}
    out = {
        "id": stored["id"], "language": stored["language"], "title": stored.get("title", ""),
        "body": stored.get("body", ""), "date": stored.get("date") or "",
        "date_start": start, "date_end": end, "month": (stored.get("date") or "")[:7],
        "url": stored.get("url"), "source": stored.get("source") or "",
        "source_key": keyword_fold(stored.get("source") or ""),
        "original": stored.get("original", ""),
        "language_confidence": stored.get("language_confidence"),
        "decisions": stored.get("decisions") or [], "fields": dict(values),
    }
    out.update(_extra(values, fields))
    return out


def _extra(values: dict, fields: Fields) -> dict:
    out = {}
    for name, value in values.items():
        field = fields.get(name)
        if field is not None and not field.builtin and value not in (None, "", []):
            indexed = index_value(field, value)
            if field.type == "keywords":
                indexed = [keyword_fold(v) for v in value]
            out[EXTRA_PREFIX + name] = indexed
    return out


def stored(source_doc: dict) -> dict:
    """The stored fields (as the Whoosh index returns them) of a ``_source``."""
    return {k: v for k, v in source_doc.items() if k not in INDEX_ONLY
            and not k.startswith(EXTRA_PREFIX)}


def languages() -> tuple:
    return LANGUAGES
