"""Marshmallow schemas for every request and response of the API."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


class SearchArgsSchema(Schema):
    """Query parameters of ``GET /api/search``."""

    class Meta:
        unknown = RAISE

    q = fields.String(required=True, validate=validate.Length(min=1),
                      metadata={"description": "the query; supports \"phrases\", AND/OR/NOT, "
                                               "-exclude, title: prefix"})
    lang = fields.String(load_default="any", validate=validate.OneOf(["nl", "en", "any"]),
                         metadata={"description": "restrict the languages of returned documents"})
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000))
    crosslingual = fields.Boolean(load_default=True,
                                  metadata={"description": "expand query words into the "
                                                           "other language"})


class CrosslinkSchema(Schema):
    query = fields.String(required=True, metadata={"description": "the query word"})
    matched = fields.String(required=True, metadata={"description": "the word in the document"})
    source = fields.String(required=True, metadata={"description": "lexicon source of the link"})


class HitSchema(Schema):
    id = fields.String(required=True)
    language = fields.String(required=True, validate=validate.OneOf(["nl", "en"]))
    title = fields.String(required=True)
    date = fields.String(allow_none=True, required=True)
    url = fields.String(allow_none=True, required=True)
    score = fields.Float(required=True)
    snippet = fields.String(required=True,
                            metadata={"description": "HTML-escaped text, matches in <mark>"})
    crosslinks = fields.List(fields.Nested(CrosslinkSchema), required=True)


class FacetsSchema(Schema):
    language = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class SearchResponseSchema(Schema):
    query = fields.String(required=True)
    query_language = fields.String(required=True, validate=validate.OneOf(["nl", "en"]))
    total = fields.Integer(required=True)
    hits = fields.List(fields.Nested(HitSchema), required=True)
    facets = fields.Nested(FacetsSchema, required=True)
    took_ms = fields.Float()


class HealthSchema(Schema):
    status = fields.String(required=True)
    documents = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)


class ErrorSchema(Schema):
    code = fields.String(required=True)
    status = fields.Integer(required=True)
    message = fields.String(required=True)
    errors = fields.Dict(required=True)
