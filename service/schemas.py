"""Marshmallow schemas for every request and response of the API.

Request schemas validate (``load``); response schemas shape what is sent
(``dump``); both feed the OpenAPI document (``service/openapi.py``).
"""

from __future__ import annotations

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, post_dump, post_load, \
    validate, validates_schema

from index.fields import DATE_HELP as TIMESTAMP_HELP
from index.fields import date_key
from index.ingest.documents import DATE_RE, ID_RE, MAX_TEXT_CHARS, DocumentError, \
    declared_fields, raw_from_mapping
from index.search.filters import MAX_FILTER_CHARS
from index.storage import date_bounds

LANGUAGES = ["nl", "en"]
DATE_HELP = "YYYY-MM-DD or YYYY-MM"
ID_HELP = ("1-200 characters from letters, digits, '.', '_', ':' and '-', starting with a "
           "letter or digit")


def _date_field(description: str) -> fields.String:
    return fields.String(
        validate=validate.Regexp(DATE_RE, error=f"use {DATE_HELP}"),
        metadata={"description": description, "example": "2022-02"},
    )


# -- search -------------------------------------------------------------------

SORT_RE = r"^[a-z][a-z0-9_]{0,39}(:(asc|desc))?$(?!\n)"
FACETS_RE = r"^ *[a-z][a-z0-9_]{0,39}( *, *[a-z][a-z0-9_]{0,39}){0,19} *,? *$(?!\n)"
FILTER_HELP = ("only documents matching this filter on declared fields: field:value, "
               "field:\"quoted value\", field:(a OR b), ranges for number and date fields "
               "(priority:>=3, date:[2022-02-01 TO 2022-02-28], * for an open end), AND, OR, "
               "NOT, parentheses. Keyword values ignore case and accents. Built-in fields: "
               "id, language, date, month, source; declared by default: tags, section, "
               "author; more with TOLK_FIELDS.")


class SearchArgsSchema(Schema):
    """Query parameters of ``GET /api/search``."""

    class Meta:
        unknown = RAISE

    q = fields.String(required=True, validate=validate.Length(min=1),
                      metadata={"description": "the query: words, \"phrases\", AND/OR/NOT "
                                               "(capitals), -exclude, +require, parentheses, "
                                               "title:/body: prefixes",
                                "example": "Poetin troepen"})
    lang = fields.String(load_default="any", validate=validate.OneOf(["nl", "en", "any"]),
                         metadata={"description": "restrict the languages of returned documents "
                                                  "(the language facet still counts both)"})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100),
                           metadata={"description": "hits per page"})
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000),
                            metadata={"description": "hits to skip (paging)"})
    crosslingual = fields.Boolean(load_default=True,
                                  metadata={"description": "expand query words into the "
                                                           "other language"})
    date_from = _date_field("only documents dated on or after this day/month (inclusive; "
                            "undated documents are left out)")
    date_to = _date_field("only documents dated on or before this day/month (inclusive)")
    sort = fields.String(load_default="relevance",
                         validate=validate.Regexp(SORT_RE, error="use relevance or FIELD, "
                                                  "FIELD:asc, FIELD:desc (a date or number "
                                                  "field, e.g. date:asc)"),
                         metadata={"description": "relevance (best first), or a date or number "
                                                  "field, newest/largest first, with :asc for "
                                                  "oldest/smallest first: date, date:asc, "
                                                  "priority:desc. Documents without a value "
                                                  "come last.", "example": "date:asc"})
    filter = fields.String(validate=validate.Length(min=1, max=MAX_FILTER_CHARS),
                           metadata={"description": FILTER_HELP,
                                     "example": "source:NOS AND tags:oorlog"})
    facets = fields.String(validate=validate.Regexp(FACETS_RE, error="a comma-separated list "
                                                    "of field names, e.g. language,source,tags"),
                           metadata={"description": "facets to count, comma-separated: "
                                                    "language, month, source and keyword(s) "
                                                    "fields (default: language,month)",
                                     "example": "language,source,tags"})
    facet_size = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100),
                                metadata={"description": "values per keyword facet, most "
                                                         "frequent first"})
    typo = fields.Boolean(load_default=True,
                          metadata={"description": "also match words one or two typos away "
                                                   "from an unknown query word"})

    @validates_schema(skip_on_field_errors=True)
    def _dates_in_order(self, data, **kwargs):
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and date_bounds(start)[0] > date_bounds(end)[1]:
            raise ValidationError(f"date_from {start} is after date_to {end}", "date_from")

    @post_load
    def _facet_names(self, data, **kwargs):
        if "facets" in data:
            data["facets"] = tuple(n.strip() for n in data["facets"].split(",") if n.strip())
        return data


class CrosslinkSchema(Schema):
    query = fields.String(required=True, metadata={"description": "the query word"})
    matched = fields.String(required=True, metadata={"description": "the word in the document"})
    source = fields.String(required=True, metadata={"description": "lexicon source of the link"})


class HitSchema(Schema):
    id = fields.String(required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    title = fields.String(required=True)
    date = fields.String(allow_none=True, required=True,
                         metadata={"description": "as given: " + TIMESTAMP_HELP})
    url = fields.String(allow_none=True, required=True)
    source = fields.String(allow_none=True, required=True)
    score = fields.Float(required=True)
    snippet = fields.String(required=True,
                            metadata={"description": "HTML-escaped text, matches in <mark>"})
    crosslinks = fields.List(fields.Nested(CrosslinkSchema), required=True,
                             metadata={"description": "query words that matched this document "
                                                      "through a translation"})

    @post_dump(pass_original=True)
    def _add_declared_values(self, data, original, **kwargs):
        return with_declared_fields(data, original)


def with_declared_fields(data: dict, original: dict) -> dict:
    """Declared field values (tags, section, TOLK_FIELDS...) join a hit or document."""
    for name, value in (original.get("fields") or {}).items():
        data.setdefault(name, value)
    return data


class FacetsSchema(Schema):
    """Counts per value; keyword facets asked for in ``facets`` come as more keys."""

    class Meta:
        unknown = INCLUDE

    language = fields.Dict(keys=fields.String(), values=fields.Integer(),
                           metadata={"description": "matching documents per language (both "
                                                    "languages, whatever `lang` is)"})
    month = fields.Dict(keys=fields.String(), values=fields.Integer(),
                        metadata={"description": "matching documents of the requested "
                                                 "languages per month (YYYY-MM), newest first"})

    @post_dump(pass_original=True)
    def _keyword_facets(self, data, original, **kwargs):
        for name, counts in original.items():
            data.setdefault(name, counts)
        return data


class SearchResponseSchema(Schema):
    query = fields.String(required=True)
    query_language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    total = fields.Integer(required=True, metadata={"description": "hits in all pages"})
    hits = fields.List(fields.Nested(HitSchema), required=True)
    facets = fields.Nested(FacetsSchema, required=True)
    suggestion = fields.String(allow_none=True, required=True,
                               metadata={"description": "a corrected query (\"did you mean\") "
                                                        "when there are few hits, else null"})
    took_ms = fields.Float(required=True)


# -- suggest --------------------------------------------------------------------


class SuggestArgsSchema(Schema):
    """Query parameters of ``GET /api/suggest``."""

    class Meta:
        unknown = RAISE

    q = fields.String(required=True, validate=validate.Length(min=1, max=100),
                      metadata={"description": "the prefix typed so far", "example": "poe"})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))
    lang = fields.String(load_default="any", validate=validate.OneOf(["nl", "en", "any"]))


class SuggestionSchema(Schema):
    text = fields.String(required=True, metadata={"description": "the word (lowercase, "
                                                                 "without accents)"})
    languages = fields.List(fields.String(validate=validate.OneOf(LANGUAGES)), required=True)
    count = fields.Integer(required=True, metadata={"description": "documents containing it"})


class SuggestResponseSchema(Schema):
    query = fields.String(required=True)
    suggestions = fields.List(fields.Nested(SuggestionSchema), required=True,
                              metadata={"description": "most frequent first"})
    took_ms = fields.Float(required=True)


# -- documents --------------------------------------------------------------------


def _valid_date(value: str) -> None:
    try:
        date_key(value)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None


class DocumentInSchema(Schema):
    """One document to index: the fields of a ``.jsonl`` input line."""

    class Meta:
        unknown = INCLUDE  # declared fields; raw_from_mapping refuses undeclared ones

    id = fields.String(required=True, validate=validate.Regexp(ID_RE, error=ID_HELP),
                       metadata={"description": ID_HELP, "example": "nos-2022-0217"})
    text = fields.String(required=True, validate=validate.Length(min=1, max=MAX_TEXT_CHARS),
                         metadata={"description": "the text as written; cleaned before "
                                                  "indexing, stored unchanged"})
    title = fields.String(allow_none=True,
                          metadata={"description": "default: the headline or first sentence"})
    language = fields.String(allow_none=True, validate=validate.OneOf(LANGUAGES),
                             metadata={"description": "default: detected"})
    date = fields.String(allow_none=True, validate=_valid_date,
                         metadata={"description": f"{TIMESTAMP_HELP}; the time is kept and "
                                                  "sort=date orders by the instant; default: "
                                                  "a date found in the text",
                                   "example": "2022-02-24T05:30:00+02:00"})
    url = fields.String(allow_none=True)
    source = fields.String(allow_none=True, metadata={"description": "a keyword: filter and "
                                                                     "facet with source"})
    tags = fields.Raw(allow_none=True, metadata={"description": "declared by default (type "
                                                                "keywords): a list of strings",
                                                 "example": ["oorlog", "NAVO"]})
    section = fields.Raw(allow_none=True, metadata={"description": "declared by default "
                                                                      "(keyword)"})
    author = fields.Raw(allow_none=True, metadata={"description": "declared by default "
                                                                     "(keyword)"})

    @validates_schema(pass_original=True, skip_on_field_errors=False)
    def _declared(self, data, original, **kwargs):
        if not isinstance(original, dict):
            return
        errors = declared_fields({k: v for k, v in original.items()
                                  if k not in self.fields})[1]
        if errors:
            raise ValidationError(errors)

    @validates_schema(skip_on_field_errors=True)
    def _engine_rules(self, data, **kwargs):
        try:
            raw_from_mapping(data)
        except DocumentError as exc:
            raise ValidationError(exc.errors) from None

    @post_load
    def _to_raw(self, data, **kwargs):
        return raw_from_mapping(data, origin="api")


class DocumentReplaceSchema(DocumentInSchema):
    """The body of ``PUT /api/documents/{doc_id}``: ``id`` may be left out."""

    id = fields.String(validate=validate.Regexp(ID_RE, error=ID_HELP),
                       metadata={"description": "optional; must equal the id in the URL"})


class DocumentBatchSchema(Schema):
    """The body of ``POST /api/documents``."""

    class Meta:
        unknown = RAISE

    documents = fields.List(fields.Nested(DocumentInSchema), required=True,
                            validate=validate.Length(min=1),
                            metadata={"description": "documents to add or replace (by id); "
                                                     "all or nothing"})


class DocumentResultSchema(Schema):
    """What indexing decided for one document."""

    id = fields.String(required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    language_confidence = fields.Float(required=True,
                                       metadata={"description": "1.0 when given"})
    title = fields.String(required=True)
    date = fields.String(allow_none=True, required=True)
    decisions = fields.List(fields.String(), required=True,
                            metadata={"description": "what cleaning and detection did"})


class BatchResultSchema(Schema):
    indexed = fields.Integer(required=True)
    documents = fields.List(fields.Nested(DocumentResultSchema), required=True)


class StoredDocumentSchema(DocumentResultSchema):
    """A stored document, as ``GET /api/documents/{doc_id}`` answers it."""

    url = fields.String(allow_none=True, required=True)
    source = fields.String(allow_none=True, required=True)
    text = fields.String(required=True, metadata={"description": "the cleaned, indexed text"})
    original = fields.String(required=True,
                             metadata={"description": "the text exactly as it was given"})

    @post_dump(pass_original=True)
    def _add_declared_values(self, data, original, **kwargs):
        return with_declared_fields(data, original)


class DeletedSchema(Schema):
    id = fields.String(required=True)
    deleted = fields.Boolean(required=True)


# -- service ----------------------------------------------------------------------


class HealthSchema(Schema):
    status = fields.String(required=True)
    documents = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class StatsSchema(Schema):
    documents = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                            metadata={"description": "documents per language"})
    lexicon_pairs = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True,
                                required=True,
                                metadata={"description": "cross-link pairs per lexicon source "
                                                         "(null: no lexicon)"})
    index_bytes = fields.Integer(required=True,
                                 metadata={"description": "size of the current generation"})
    generation = fields.String(required=True)
    updated = fields.String(allow_none=True, required=True,
                            metadata={"description": "last write (UTC, ISO 8601)"})


class ErrorSchema(Schema):
    code = fields.String(required=True, metadata={"description": "stable machine-readable code"})
    status = fields.Integer(required=True)
    message = fields.String(required=True, metadata={"description": "what is wrong, for humans"})
    errors = fields.Dict(required=True,
                         metadata={"description": "field (or item index) -> messages"})
