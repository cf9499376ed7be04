"""The OpenAPI 3 document, generated from the routes and their marshmallow schemas.

Each API view carries its description (``@operation``); :func:`build_spec`
walks the app's URL map, so a route without one is visibly missing from the
document (a test checks that none is).
"""

from __future__ import annotations

import re
from importlib import metadata

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Flask

from index.ingest.documents import ID_RE

from .schemas import ErrorSchema

ERROR_DESCRIPTIONS = {
    400: "invalid parameters, body or query syntax (`errors` says which)",
    401: "missing or wrong `Authorization: Bearer <key>`",
    403: "writes are disabled: the server has no TOLK_API_KEY",
    404: "no such document (or no such user cross-link edit)",
    413: "request body or batch too large",
    409: "a field is declared with another type than the index holds (rebuild the index), "
         "or semantic/hybrid search was asked for where it cannot run (`code` says why: "
         "semantic_off, vectors_missing, vectors_mismatch)",
    415: "the body is not `Content-Type: application/json` (or NDJSON where accepted)",
    422: "a document cannot be indexed (nothing left after cleaning, not Dutch or English), "
         "or a cross-link edit is invalid (`errors` per field)",
    503: "no index yet, the index is busy with another write (retry), or damaged "
         "(`tolk check`)",
    507: "the disk holding the index is full; nothing was stored (free space, retry)",
}
_RULE_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")
_SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def operation(*, summary: str, description: str = "", tag: str, query=None, body=None,
              response=None, response_description: str = "OK", errors=(),
              response_content_type: str = "application/json", body_required: bool = True,
              body_types: dict | None = None):
    """Describe an API view for the OpenAPI document.

    ``query``/``body``/``response`` are marshmallow schema classes;
    ``errors`` the 4xx/5xx statuses the view can answer besides 401/403
    (added for views marked by ``require_write_key``); ``body_types`` maps
    further request media types to their (plain OpenAPI) schemas.
    """

    def wrap(view):
        view.tolk_operation = {
            "summary": summary, "description": description, "tag": tag, "query": query,
            "body": body, "response": response, "response_description": response_description,
            "errors": tuple(errors), "content_type": response_content_type,
            "body_required": body_required, "body_types": dict(body_types or {}),
        }
        return view

    return wrap


def openapi_path(rule: str) -> str:
    """``/api/documents/<doc_id>`` -> ``/api/documents/{doc_id}``."""
    return _RULE_ARG.sub(r"{\1}", rule)


def _operation_dict(endpoint: str, view, rule, method: str) -> dict:
    meta = view.tolk_operation
    needs_key = getattr(view, "tolk_requires_key", False)
    parameters = [{
        "in": "path", "name": name, "required": True,
        "description": "document id",
        "schema": {"type": "string", "pattern": ID_RE.pattern},
    } for name in sorted(rule.arguments)]
    if meta["query"] is not None:
        parameters.append({"in": "query", "schema": meta["query"]})
    content = {"schema": meta["response"]} if meta["response"] is not None else {
        "schema": {"type": "object"}}
    responses = {"200": {"description": meta["response_description"],
                         "content": {meta["content_type"]: content}}}
    statuses = set(meta["errors"]) | ({401, 403} if needs_key else set())
    for status in sorted(statuses):
        responses[str(status)] = {
            "description": ERROR_DESCRIPTIONS[status],
            "content": {"application/json": {"schema": ErrorSchema}},
        }
    op = {
        "operationId": endpoint.replace(".", "_") + (
            f"_{method.lower()}" if len(rule.methods - _SKIPPED_METHODS) > 1 else ""),
        "summary": meta["summary"],
        "tags": [meta["tag"]],
        "parameters": parameters,
        "responses": responses,
    }
    if meta["description"]:
        op["description"] = meta["description"]
    if meta["body"] is not None:
        content = {"application/json": {"schema": meta["body"]}}
        content.update({media: {"schema": schema} for media, schema in meta["body_types"].items()})
        op["requestBody"] = {"required": meta["body_required"], "content": content}
    if needs_key:
        op["security"] = [{"bearerAuth": []}]
    return op


def _version() -> str:
    try:
        return metadata.version("tolk")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def build_spec(app: Flask) -> dict:
    """The OpenAPI document of every described route under ``/api``."""
    spec = APISpec(
        title="Tolk",
        version=_version(),
        openapi_version="3.0.3",
        plugins=[MarshmallowPlugin()],
        info={"description": "Full-text search over Dutch and English news, with cross-lingual "
                             "term links. Reads are open (CORS `*`) unless the server sets "
                             "TOLK_READ_KEYS: then reads other than health need "
                             "`Authorization: Bearer <key>` (401 without). Writes need "
                             "`Authorization: Bearer <TOLK_API_KEY>`. Every error is "
                             "`{code, status, message, errors}`."},
    )
    spec.components.schema("Error", schema=ErrorSchema)
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith("/api/"):
            continue
        view = app.view_functions[rule.endpoint]
        if not hasattr(view, "tolk_operation"):
            continue
        for method in sorted((rule.methods or set()) - _SKIPPED_METHODS):
            paths.setdefault(openapi_path(rule.rule), {})[method.lower()] = _operation_dict(
                rule.endpoint, view, rule, method)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def get_spec(app: Flask) -> dict:
    """The document, built once per app."""
    spec = app.extensions.get("tolk_openapi")
    if spec is None:
        spec = app.extensions["tolk_openapi"] = build_spec(app)
    return spec
