"""Marshmallow schemas for every request and response of the API.

Request schemas validate (``load``); response schemas shape what is sent
(``dump``); both feed the OpenAPI document (``service/openapi.py``).
"""

from __future__ import annotations

import functools

from marshmallow import INCLUDE, RAISE, Schema, ValidationError, fields, post_dump, post_load, \
    pre_load, validate, validates_schema

from index.fields import DATE_HELP as TIMESTAMP_HELP
from index.fields import date_key
from index.ingest.documents import DATE_RE, ID_RE, MAX_TEXT_CHARS, DocumentError, \
    declared_fields, raw_from_mapping
from index.search.filters import MAX_FILTER_CHARS
from index.storage import date_bounds

LANGUAGES = ["nl", "en"]
@functools.cache
def shared(schema_class: type[Schema]) -> Schema:
    """One instance of ``schema_class`` per process, for the per-request paths.

    A new marshmallow schema deep-copies its declared fields, and so does each
    nested schema it creates: building ``SearchResponseSchema`` with its hit,
    cross-link and facet schemas cost more than dumping ten hits with it
    (docs/notes/serve.md). Instances hold no per-call state (marshmallow 4 has
    no ``context``), so one serves every request and thread.
    """
    return schema_class()


DATE_HELP = "YYYY-MM-DD or YYYY-MM"
MAX_OFFSET = 10_000  # deepest hit reachable by paging
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
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET),
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
    mode = fields.String(validate=validate.OneOf(["lexical", "semantic", "hybrid"]),
                         metadata={"description": "lexical (BM25 with cross-links), semantic "
                                                  "(multilingual sentence vectors) or hybrid "
                                                  "(both, fused); default: hybrid when the "
                                                  "index holds vectors, else lexical",
                                   "example": "hybrid"})
    fusion = fields.String(load_default="rrf", validate=validate.OneOf(["rrf", "blend"]),
                           metadata={"description": "hybrid: reciprocal rank fusion (rrf) or "
                                                    "calibrated score blending (blend)"})
    explain = fields.Boolean(load_default=False,
                             metadata={"description": "each hit gets `explain`: rank, score and "
                                                      "contribution of the lexical and the "
                                                      "semantic part"})
    group = fields.String(load_default="none", validate=validate.OneOf(["none", "story"]),
                          metadata={"description": "story: hits reporting the same story "
                                                   "(translations, near-duplicates; cosine of "
                                                   "their vectors at or above the measured "
                                                   "threshold) collapse under the best-ranked "
                                                   "one, which lists them in `story`; "
                                                   "`limit`/`offset` then count groups, `total` "
                                                   "still counts articles. Needs the embedder "
                                                   "and an index with vectors (else 409)"})
    page = fields.Integer(validate=validate.Range(min=1, max=MAX_OFFSET + 1),
                          metadata={"description": "page number from 1 (instead of "
                                                   "`offset`; with `hits_per_page`)"})
    hits_per_page = fields.Integer(validate=validate.Range(min=1, max=100),
                                   metadata={"description": "hits per page (instead of "
                                                            "`limit`; default 10)"})

    @pre_load
    def _one_paging_style(self, data, **kwargs):
        if not hasattr(data, "keys"):
            return data
        pages = sorted({"page", "hits_per_page"} & set(data.keys()))
        slices = sorted({"limit", "offset"} & set(data.keys()))
        if pages and slices:
            raise ValidationError(
                f"use page/hits_per_page or limit/offset, not both (got {', '.join(pages)} "
                f"and {', '.join(slices)})", pages[0])
        return data

    @validates_schema(skip_on_field_errors=True)
    def _dates_in_order(self, data, **kwargs):
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and date_bounds(start)[0] > date_bounds(end)[1]:
            raise ValidationError(f"date_from {start} is after date_to {end}", "date_from")

    @validates_schema(skip_on_field_errors=True)
    def _page_in_reach(self, data, **kwargs):
        if "page" in data or "hits_per_page" in data:
            per_page = data.get("hits_per_page", 10)
            if (data.get("page", 1) - 1) * per_page > MAX_OFFSET:
                raise ValidationError(f"at {per_page} hits per page, page can be at most "
                                      f"{MAX_OFFSET // per_page + 1}", "page")

    @post_load
    def _pages_to_slices(self, data, **kwargs):
        """``page``/``hits_per_page`` become ``limit``/``offset``; ``paging`` remembers them."""
        page, per_page = data.pop("page", None), data.pop("hits_per_page", None)
        if page is not None or per_page is not None:
            per_page = per_page or 10
            page = page or 1
            data["limit"], data["offset"] = per_page, (page - 1) * per_page
            data["paging"] = {"page": page, "hits_per_page": per_page}
        return data

    @post_load
    def _facet_names(self, data, **kwargs):
        if "facets" in data:
            data["facets"] = tuple(n.strip() for n in data["facets"].split(",") if n.strip())
        return data


class CrosslinkSchema(Schema):
    query = fields.String(required=True, metadata={"description": "the query word"})
    matched = fields.String(required=True, metadata={"description": "the word in the document"})
    source = fields.String(required=True, metadata={"description": "lexicon source of the link"})


class StorySiblingSchema(Schema):
    id = fields.String(required=True)
    lang = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    title = fields.String(required=True)
    score = fields.Float(required=True, metadata={"description": "the sibling's search score"})
    cosine = fields.Float(required=True, metadata={"description": "similarity to the head hit"})


class StorySchema(Schema):
    size = fields.Integer(required=True, metadata={"description": "hits in the story, the "
                                                                  "head included"})
    siblings = fields.List(fields.Nested(StorySiblingSchema), required=True,
                           metadata={"description": "the other hits of the story, in rank "
                                                    "order"})


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
    explain = fields.Dict(metadata={"description": "only with explain=true: mode, fusion, and "
                                                   "per part (lexical, semantic; null when that "
                                                   "part did not find the hit) its rank, raw "
                                                   "score (BM25 / cosine) and contribution to "
                                                   "`score`"})
    story = fields.Nested(StorySchema, metadata={"description": "only with group=story"})

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


class CorrectedSchema(Schema):
    query = fields.String(required=True, metadata={"description": "the query searched"})
    original = fields.String(required=True, metadata={"description": "the query as typed"})


class SearchResponseSchema(Schema):
    query = fields.String(required=True)
    query_language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    total = fields.Integer(required=True, metadata={"description": "hits in all pages"})
    hits = fields.List(fields.Nested(HitSchema), required=True)
    facets = fields.Nested(FacetsSchema, required=True)
    suggestion = fields.String(allow_none=True, required=True,
                               metadata={"description": "a corrected query (\"did you mean\") "
                                                        "when there are few hits, else null"})
    corrected = fields.Nested(CorrectedSchema, allow_none=True, required=True,
                              metadata={"description": "set when a word matched nothing and "
                                                       "the corrected query was searched "
                                                       "instead (turn off with typo=false)"})
    took_ms = fields.Float(required=True)
    mode = fields.String(metadata={"description": "the ranking used: lexical, semantic or "
                                                  "hybrid"})
    total_groups = fields.Integer(metadata={"description": "group=story: stories among the "
                                                          "hits grouped"})
    total_groups_exact = fields.Boolean(metadata={"description": "group=story: false when "
                                                                "more hits matched than were "
                                                                "grouped (at most 1000)"})
    story_threshold = fields.Float(metadata={"description": "group=story: the cosine at or "
                                                            "above which hits are one story"})
    page = fields.Integer(metadata={"description": "only when the request used `page` or "
                                                   "`hits_per_page`"})
    hits_per_page = fields.Integer(metadata={"description": "only with `page`/`hits_per_page`"})
    total_pages = fields.Integer(metadata={"description": "pages of `hits_per_page` hits "
                                                          "(only with `page`/`hits_per_page`)"})


# -- suggest --------------------------------------------------------------------


class SuggestArgsSchema(Schema):
    """Query parameters of ``GET /api/suggest``."""

    class Meta:
        unknown = RAISE

    q = fields.String(required=True, validate=validate.Length(min=1, max=100),
                      metadata={"description": "the query typed so far; its last word is "
                                               "completed", "example": "russian tr"})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=50))
    lang = fields.String(load_default="any", validate=validate.OneOf(["nl", "en", "any"]))


class SuggestionSchema(Schema):
    text = fields.String(required=True, metadata={"description": "the word (lowercase, "
                                                                 "without accents)"})
    languages = fields.List(fields.String(validate=validate.OneOf(LANGUAGES)), required=True)
    count = fields.Integer(required=True, metadata={"description": "documents containing it"})
    display = fields.String(metadata={"description": "the word as the documents write it "
                                                     "(Oekraïne)"})
    query = fields.String(metadata={"description": "the whole query with the last word "
                                                   "completed"})


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
            # Declared (and undeclared) fields were reported by ``_declared`` already.
            errors = {name: messages for name, messages in exc.errors.items()
                      if name in self.fields or name not in data}
            if errors:
                raise ValidationError(errors) from None

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
                                                     "all or nothing unless on_error=skip"})


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


class BatchArgsSchema(Schema):
    """Query parameters of ``POST /api/documents``."""

    class Meta:
        unknown = RAISE

    on_error = fields.String(
        load_default="fail", validate=validate.OneOf(["fail", "skip"]),
        metadata={"description": "fail: all or nothing (any bad document refuses the batch); "
                                 "skip: store the good documents and list each refused one "
                                 "with its reasons (422 only when every one is refused)"})


class BatchItemSchema(Schema):
    """The outcome of one item of a batch."""

    index = fields.Integer(required=True, metadata={"description": "position in the batch, "
                                                                   "from 0"})
    line = fields.Integer(metadata={"description": "line number in an NDJSON body, from 1"})
    id = fields.String(allow_none=True, required=True,
                       metadata={"description": "null when the item has no valid id"})
    status = fields.String(required=True, validate=validate.OneOf(["stored", "refused"]))
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         required=True,
                         metadata={"description": "field -> messages (empty when stored)"})


class BatchResultSchema(Schema):
    indexed = fields.Integer(required=True, metadata={"description": "documents stored"})
    refused = fields.Integer(required=True, metadata={"description": "documents refused "
                                                                     "(on_error=skip)"})
    documents = fields.List(fields.Nested(DocumentResultSchema), required=True,
                            metadata={"description": "what was decided for each stored "
                                                     "document, in batch order"})
    items = fields.List(fields.Nested(BatchItemSchema), required=True,
                        metadata={"description": "every item of the batch, in order"})


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


def _ids_field(description: str) -> fields.String:
    return fields.String(validate=validate.Length(min=1),
                         metadata={"description": description, "example": "nos-1,bbc-1"})


def split_ids(value: str, most: int) -> list[str]:
    """``"a,b"`` -> ``["a", "b"]``, each a valid id, at most ``most``; ValidationError else."""
    ids = [part.strip() for part in value.split(",") if part.strip()]
    if not ids:
        raise ValidationError({"ids": ["give one or more ids separated by commas"]})
    if len(ids) > most:
        raise ValidationError({"ids": [f"at most {most} ids"]})
    bad = [i for i in ids if not ID_RE.match(i)]
    if bad:
        raise ValidationError({"ids": [f"invalid id {bad[0][:80]!r}: {ID_HELP}"]})
    return ids


class DocumentListArgsSchema(Schema):
    """Query parameters of ``GET /api/documents``."""

    class Meta:
        unknown = RAISE

    # At most 100: a listed document's stored fields are read whole (texts included).
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100),
                           metadata={"description": "documents per page"})
    cursor = fields.String(validate=validate.Length(min=1, max=400),
                           metadata={"description": "`next_cursor` of the previous page"})
    ids = _ids_field("only these ids (comma-separated, at most 1000)")
    lang = fields.String(load_default="any", validate=validate.OneOf(["nl", "en", "any"]),
                         metadata={"description": "only documents in this language"})
    filter = fields.String(validate=validate.Length(min=1, max=MAX_FILTER_CHARS),
                           metadata={"description": "only documents this filter matches "
                                                    "(the filter syntax of /api/search)"})


class ListedDocumentSchema(Schema):
    """A stored document in a listing (no texts: ``GET /api/documents/{id}`` has them)."""

    id = fields.String(required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    language_confidence = fields.Float(required=True)
    title = fields.String(required=True)
    date = fields.String(allow_none=True, required=True)
    url = fields.String(allow_none=True, required=True)
    source = fields.String(allow_none=True, required=True)


class DocumentListSchema(Schema):
    documents = fields.List(fields.Nested(ListedDocumentSchema), required=True,
                            metadata={"description": "ordered by id"})
    total = fields.Integer(required=True,
                           metadata={"description": "documents matching the request, all "
                                                    "pages"})
    next_cursor = fields.String(allow_none=True, required=True,
                                metadata={"description": "pass as `cursor` for the next page; "
                                                         "null on the last page"})


class DeleteManyArgsSchema(Schema):
    """Query parameters of ``DELETE /api/documents``."""

    class Meta:
        unknown = RAISE

    ids = _ids_field("ids to delete (comma-separated), instead of a body")
    filter = fields.String(validate=validate.Length(min=1, max=MAX_FILTER_CHARS),
                           metadata={"description": "delete every document this filter matches "
                                                    "(the filter syntax of /api/search), "
                                                    "instead of ids"})


class DeleteManyBodySchema(Schema):
    """The (optional) body of ``DELETE /api/documents``."""

    class Meta:
        unknown = RAISE

    ids = fields.List(fields.String(validate=validate.Regexp(ID_RE, error=ID_HELP)),
                      validate=validate.Length(min=1),
                      metadata={"description": "ids to delete"})
    filter = fields.String(validate=validate.Length(min=1, max=MAX_FILTER_CHARS),
                           metadata={"description": "delete every document this filter "
                                                    "matches, instead of ids"})

    @validates_schema
    def _ids_or_filter(self, data, **kwargs):
        if ("ids" in data) == ("filter" in data):
            raise ValidationError("give either ids or a filter", "ids")


class DeletedManySchema(Schema):
    deleted = fields.Integer(required=True, metadata={"description": "documents deleted"})
    ids = fields.List(fields.String(), required=True, metadata={"description": "ids deleted"})
    not_found = fields.List(fields.String(), required=True,
                            metadata={"description": "ids that were not stored"})


class DocumentPatchSchema(Schema):
    """The body of ``PATCH /api/documents/{doc_id}`` (JSON merge patch)."""

    class Meta:
        unknown = RAISE

    id = fields.String(validate=validate.Regexp(ID_RE, error=ID_HELP),
                       metadata={"description": "optional; must equal the id in the URL"})
    text = fields.String(validate=validate.Length(min=1, max=MAX_TEXT_CHARS),
                         metadata={"description": "a new text: cleaned and its language "
                                                  "detected again"})
    title = fields.String(allow_none=True,
                          metadata={"description": "null: back to the extracted title"})
    language = fields.String(allow_none=True, validate=validate.OneOf(LANGUAGES),
                             metadata={"description": "null: detect it"})
    date = fields.String(allow_none=True,
                         validate=validate.Regexp(DATE_RE, error=f"use {DATE_HELP}"),
                         metadata={"description": f"{DATE_HELP}; null: the date found in the "
                                                  "text, if any"})
    url = fields.String(allow_none=True, metadata={"description": "null removes it"})
    source = fields.String(allow_none=True, metadata={"description": "null removes it"})

    @validates_schema(skip_on_field_errors=True)
    def _text_not_blank(self, data, **kwargs):
        if "text" in data and not data["text"].strip():
            raise ValidationError("text must not be blank", "text")


class PatchedDocumentSchema(StoredDocumentSchema):
    reanalyzed = fields.List(fields.String(validate=validate.OneOf(["cleaning", "language"])),
                             required=True,
                             metadata={"description": "analysis steps run again for this "
                                                      "patch (none when only metadata "
                                                      "changed)"})


# -- service ----------------------------------------------------------------------


class IndexStatusSchema(Schema):
    generation = fields.String(required=True, metadata={"description": "the generation served"})
    current = fields.String(allow_none=True, required=True,
                            metadata={"description": "the generation `current` points to"})
    degraded = fields.Boolean(required=True, metadata={
        "description": "true: the current generation failed its checks and an older one is "
                       "served read-only (writes answer 503)"})
    reason = fields.String(allow_none=True, required=True,
                           metadata={"description": "why the current generation is not served"})


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"description": "`ok` or `degraded`"})
    documents = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    index = fields.Nested(IndexStatusSchema, required=True)


class LiveSchema(Schema):
    status = fields.String(required=True, metadata={"description": "always `live`"})
    pid = fields.Integer(required=True, metadata={"description": "the answering worker"})
    ready = fields.Boolean(required=True,
                           metadata={"description": "whether an index is there to search"})
    message = fields.String(required=True,
                            metadata={"description": "`serving`, or what to do (how to index)"})


class ReadySchema(Schema):
    status = fields.String(required=True, metadata={"description": "always `ready`"})
    pid = fields.Integer(required=True)
    documents = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    probe_hits = fields.Integer(required=True)
    probe_ms = fields.Float(required=True, metadata={"description": "the probe search's time"})
    lexicon_pairs = fields.Integer(required=True)
    warmup_seconds = fields.Float(allow_none=True,
                                  metadata={"description": "this worker's warm-up time"})
    preloaded = fields.List(fields.String(), metadata={
        "description": "what this worker found loaded by the gunicorn master instead of "
                       "loading it (TOLK_PRELOAD): `lexicon`, `embedder`"})


class StatsSchema(Schema):
    backend = fields.String(metadata={"description": "the search engine: whoosh or opensearch"})
    documents = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                            metadata={"description": "documents per language"})
    lexicon_pairs = fields.Dict(keys=fields.String(), values=fields.Integer(), allow_none=True,
                                required=True,
                                metadata={"description": "cross-link pairs per lexicon source "
                                                         "(null: no lexicon)"})
    index_bytes = fields.Integer(required=True,
                                 metadata={"description": "size of the current generation"})
    generation = fields.String(required=True, metadata={"description": "the generation served"})
    current_generation = fields.String(allow_none=True, required=True)
    degraded = fields.Boolean(required=True, metadata={
        "description": "true: an older generation is served (see `degraded_reason`)"})
    degraded_reason = fields.String(allow_none=True, required=True)
    updated = fields.String(allow_none=True, required=True,
                            metadata={"description": "last write (UTC, ISO 8601)"})


class ErrorSchema(Schema):
    code = fields.String(required=True, metadata={"description": "stable machine-readable code"})
    status = fields.Integer(required=True)
    message = fields.String(required=True, metadata={"description": "what is wrong, for humans"})
    errors = fields.Dict(required=True,
                         metadata={"description": "field (or item index) -> messages"})


# -- cross-links users correct (``/api/crosslinks``, ``service/crosslinks_api.py``) ---------

CROSSLINK_WORDS_HELP = ("a word or phrase as written (at most 200 characters); it is analyzed "
                        "with Tolk's analyzer of the language, so every form with the same "
                        "stem is linked")


class CrosslinkEditInSchema(Schema):
    """Body of ``PUT /api/crosslinks``: add or reweight a link, or block one."""

    class Meta:
        unknown = RAISE

    nl = fields.String(required=True, validate=validate.Length(min=1, max=200),
                       metadata={"description": "Dutch side: " + CROSSLINK_WORDS_HELP})
    en = fields.String(required=True, validate=validate.Length(min=1, max=200),
                       metadata={"description": "English side: " + CROSSLINK_WORDS_HELP})
    weight = fields.Float(allow_none=True, load_default=None,
                          validate=validate.Range(min=0, max=1, min_inclusive=False),
                          metadata={"description": "confidence, greater than 0 and at most 1 "
                                                   "(default 1.0, like a curated link); not "
                                                   "with `block`"})
    block = fields.Boolean(load_default=False,
                           metadata={"description": "true: the pair stops applying, whatever "
                                                    "source gives it"})


class CrosslinkPairSchema(Schema):
    """The pair of ``DELETE /api/crosslinks`` (JSON body or query parameters)."""

    class Meta:
        unknown = RAISE

    nl = fields.String(required=True, validate=validate.Length(min=1, max=200),
                       metadata={"description": "Dutch side, as in the edit"})
    en = fields.String(required=True, validate=validate.Length(min=1, max=200),
                       metadata={"description": "English side, as in the edit"})


class CrosslinkListArgsSchema(Schema):
    """Query parameters of ``GET /api/crosslinks``."""

    class Meta:
        unknown = RAISE

    term = fields.String(validate=validate.Length(min=1, max=200),
                         metadata={"description": "only edits of this word (analyzed: any "
                                                  "form of it) on either side, or on `lang`'s"})
    lang = fields.String(load_default="any", validate=validate.OneOf(["nl", "en", "any"]),
                         metadata={"description": "the side `term` is matched on"})
    kind = fields.String(load_default="any", validate=validate.OneOf(["link", "block", "any"]),
                         metadata={"description": "only links or only blocks"})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500),
                           metadata={"description": "edits per page"})
    cursor = fields.String(validate=validate.Length(min=1, max=1000),
                           metadata={"description": "`next_cursor` of the previous page"})


class CrosslinkEditSchema(Schema):
    """One user edit."""

    nl = fields.String(required=True, metadata={"description": "Dutch words as given"})
    en = fields.String(required=True, metadata={"description": "English words as given"})
    nl_term = fields.String(required=True, metadata={"description": "Dutch index term(s)"})
    en_term = fields.String(required=True, metadata={"description": "English index term(s)"})
    weight = fields.Float(allow_none=True, required=True,
                          metadata={"description": "the link's weight; null for a block"})
    block = fields.Boolean(required=True)
    updated = fields.String(allow_none=True, required=True,
                            metadata={"description": "UTC, ISO 8601"})


class CrosslinkStoredSchema(CrosslinkEditSchema):
    created = fields.Boolean(required=True,
                             metadata={"description": "false: an edit of this pair was replaced"})


class CrosslinkDeletedSchema(CrosslinkEditSchema):
    deleted = fields.Boolean(required=True)


class CrosslinkListSchema(Schema):
    crosslinks = fields.List(fields.Nested(CrosslinkEditSchema), required=True,
                             metadata={"description": "ordered by Dutch, then English term"})
    total = fields.Integer(required=True, metadata={"description": "edits matching, all pages"})
    next_cursor = fields.String(allow_none=True, required=True,
                                metadata={"description": "pass as `cursor` for the next page; "
                                                         "null on the last page"})


class CrosslinkLookupArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    word = fields.String(required=True, validate=validate.Length(min=1, max=200),
                         metadata={"description": "a word or phrase, looked up as Dutch and as "
                                                  "English"})


class CrosslinkLookupRowSchema(Schema):
    from_ = fields.String(required=True, data_key="from", attribute="from",
                          metadata={"description": "language the word was analyzed in"})
    term = fields.String(required=True, metadata={"description": "its index term"})
    to = fields.String(required=True)
    target = fields.String(required=True, metadata={"description": "linked index term"})
    surface = fields.String(required=True, metadata={"description": "readable target"})
    weight = fields.Float(required=True)
    source = fields.String(required=True, metadata={"description": "source of the weight "
                                                                   "(`user`: an edit)"})
    sources = fields.List(fields.String(), required=True,
                          metadata={"description": "every source that gives the pair"})


class CrosslinkLookupSchema(Schema):
    word = fields.String(required=True)
    links = fields.List(fields.Nested(CrosslinkLookupRowSchema), required=True,
                        metadata={"description": "what the word links to, user edits applied "
                                                 "(as `tolk lexicon lookup`)"})
    blocked = fields.List(fields.Nested(CrosslinkEditSchema), required=True,
                          metadata={"description": "blocked pairs of the word"})


# -- similar articles -------------------------------------------------------------


class SimilarArgsSchema(Schema):
    """Query parameters of ``GET /api/documents/{doc_id}/similar``."""

    class Meta:
        unknown = RAISE

    lang = fields.String(load_default="any", validate=validate.OneOf(["nl", "en", "any"]),
                         metadata={"description": "only articles in this language (a Dutch "
                                                  "article with lang=en: its English "
                                                  "counterparts); any: both, by cosine"})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))


class SimilarHitSchema(Schema):
    id = fields.String(required=True)
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    title = fields.String(required=True)
    date = fields.String(allow_none=True, required=True)
    url = fields.String(allow_none=True, required=True)
    source = fields.String(allow_none=True, required=True)
    score = fields.Float(required=True, metadata={"description": "cosine similarity (-1..1)"})
    same_story = fields.Boolean(required=True,
                                metadata={"description": "score at or above story_threshold"})


class SimilarResponseSchema(Schema):
    id = fields.String(required=True, metadata={"description": "the document asked about"})
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES))
    lang = fields.String(required=True, metadata={"description": "the language filter used"})
    model = fields.String(required=True, metadata={"description": "the embedder of the vectors"})
    story_threshold = fields.Float(allow_none=True, required=True,
                                   metadata={"description": "cosine at or above which two "
                                                            "articles are the same story"})
    hits = fields.List(fields.Nested(SimilarHitSchema), required=True,
                       metadata={"description": "most similar first"})
    took_ms = fields.Float(required=True)
