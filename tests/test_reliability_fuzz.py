"""Fuzzing the API: no 5xx, every error is the JSON payload {code, status, message, errors}.

1. Schemathesis generates valid and invalid requests for every operation of
   ``/api/openapi.json`` (in-process WSGI, bounded examples per operation), with
   the write key, on a private copy of the seed index, and checks the answers
   against the document (status codes, content types, response schemas).
2. Hypothesis and hand-written cases cover what a schema cannot describe:
   invalid UTF-8 in query strings and bodies, huge and deeply nested JSON, very
   long queries, query-syntax garbage, unknown parameters, odd methods.

``TOLK_FUZZ_EXAMPLES`` raises the examples per operation for a longer run.
"""

from __future__ import annotations

import json
import os

import pytest
import schemathesis
from schemathesis import GenerationMode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance,
                                               negative_data_rejection,
                                               response_schema_conformance,
                                               status_code_conformance)

from service import create_app

pytestmark = pytest.mark.xdist_group("reliability")

KEY = "fuzz-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
EXAMPLES = int(os.environ.get("TOLK_FUZZ_EXAMPLES", "30"))
ERROR_KEYS = {"code", "status", "message", "errors"}
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
    suppress_health_check=list(HealthCheck))


def fuzz_app(index_dir, **config):
    app = create_app({"INDEX_DIR": str(index_dir), "API_KEY": KEY, "FREEDICT_DIR": "",
                      "MAX_CONTENT_LENGTH": 256 * 1024, "MAX_BATCH_DOCS": 20, **config})
    app.config.update(TESTING=False, PROPAGATE_EXCEPTIONS=False)  # as in production
    return app


def assert_error_payload(status: int, content_type: str, body: bytes) -> None:
    """An error answer of the API: JSON {code, status, message, errors}, never a 5xx."""
    assert status < 500, f"server error {status}: {body[:500]!r}"
    if status < 400:
        return
    assert content_type.startswith("application/json"), (status, content_type, body[:200])
    payload = json.loads(body)
    assert set(payload) == ERROR_KEYS, payload
    assert payload["status"] == status
    assert isinstance(payload["code"], str) and payload["code"]
    assert isinstance(payload["message"], str) and payload["message"]
    assert isinstance(payload["errors"], dict)


# -- 1. schemathesis over the OpenAPI document ------------------------------------------


def _operations():
    """(method, path, mode) for every operation of the OpenAPI document (no index needed):
    valid inputs, and invalid ones where the operation takes any."""
    from service.openapi import build_spec

    spec = build_spec(create_app({"INDEX_DIR": "/nonexistent"}))
    cases = []
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            cases.append(pytest.param(method.upper(), path, GenerationMode.POSITIVE,
                                      id=f"{method.upper()} {path} positive"))
            if op.get("parameters") or op.get("requestBody"):
                cases.append(pytest.param(method.upper(), path, GenerationMode.NEGATIVE,
                                          id=f"{method.upper()} {path} negative"))
    return cases


@pytest.mark.parametrize("method, path, mode", _operations())
def test_every_operation_of_the_openapi_document(writable_index, method, path, mode):
    app = fuzz_app(writable_index)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operation = schema[path][method]
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_schema_conformance]
    if mode is GenerationMode.NEGATIVE:
        checks.append(negative_data_rejection)

    @given(case=operation.as_strategy(generation_mode=mode))
    @FUZZ_SETTINGS
    def run(case):
        response = case.call(headers=AUTH)
        assert_error_payload(response.status_code,
                             (response.headers.get("content-type") or [""])[0],
                             response.content)
        case.validate_response(response, checks=checks)

    run()


# -- 2. what a schema cannot say ----------------------------------------------------------


@pytest.fixture
def fuzz_client(writable_index):
    return fuzz_app(writable_index).test_client()


def check(response) -> None:
    assert_error_payload(response.status_code, response.content_type or "", response.data)


READ_PATHS = ["/api/search", "/api/suggest", "/api/health", "/api/stats",
              "/api/documents/nos-1", "/api/openapi.json"]


@pytest.mark.parametrize("path", READ_PATHS)
@pytest.mark.parametrize("query", [
    b"q=%ff%fe", b"q=\xff\xfe", b"q=%ed%a0%80", b"q=Poetin&lang=%c0%af", b"%ff=1",
    b"q=a&\xff\xfe=%ff", b"q=%00", b"q=a%00b", b"q=%", b"q=%zz", b"q=" + b"%e2%80%ae" * 50,
])
def test_invalid_utf8_and_percent_garbage_in_query_strings(fuzz_client, path, query):
    # WSGI carries the raw bytes of the query string as latin-1 text.
    check(fuzz_client.get(path, query_string=query.decode("latin-1")))


@pytest.mark.parametrize("body", [
    b"\xff\xfe\xfd", b'{"documents": [{"id": "a", "text": "\xff\xfe"}]}',
    b'{"documents": [{"id": "a\xc0\xaf", "text": "tekst"}]}', b"\xef\xbb\xbf{}",
    b'{"documents": [{"id": "a", "text": "\\ud800"}]}', b"\x00" * 100,
    b'{"documents": [{"id": "a", "text": "x", "text": 1}]}', b"[]", b"null", b"1e999999",
    b'"documents"', b'{"documents": {}}', b'{"documents": [1, null, [], "x"]}',
    b'{"documents": [{"id": null, "text": null}]}', b'{"documents": [], "extra": 1}',
])
@pytest.mark.parametrize("method, path", [("POST", "/api/documents"),
                                          ("PUT", "/api/documents/fuzz-1")])
def test_invalid_utf8_and_odd_json_bodies(fuzz_client, method, path, body):
    check(fuzz_client.open(path, method=method, data=body, headers={
        **AUTH, "Content-Type": "application/json"}))


@pytest.mark.parametrize("method, path", [("POST", "/api/documents"),
                                          ("PUT", "/api/documents/fuzz-1")])
@pytest.mark.parametrize("depth", [100, 1000, 50_000])
def test_deeply_nested_json(fuzz_client, method, path, depth):
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth,
                 '{"documents": ' + "[" * depth + "]" * depth + "}"):
        check(fuzz_client.open(path, method=method, data=body, headers={
            **AUTH, "Content-Type": "application/json"}))


def test_huge_bodies_and_batches_get_413(fuzz_client):
    big = json.dumps({"documents": [{"id": "big", "text": "woord " * 60_000}]})
    response = fuzz_client.post("/api/documents", data=big,
                                headers={**AUTH, "Content-Type": "application/json"})
    check(response)
    assert response.status_code == 413 and response.json["code"] == "too_large"
    many = {"documents": [{"id": f"d{i}", "text": "tekst"} for i in range(21)]}
    response = fuzz_client.post("/api/documents", json=many, headers=AUTH)
    check(response)
    assert response.status_code == 413 and response.json["code"] == "too_many_documents"
    # (A chunked body without Content-Length is tested over gunicorn, which terminates
    # the input stream: test_reliability_security.py.)


@pytest.mark.parametrize("length", [501, 5000, 200_000])
def test_very_long_queries_are_400_query_too_long(fuzz_client, length):
    for path in ("/api/search", "/api/suggest"):
        response = fuzz_client.get(path, query_string={"q": "Poetin " * (length // 7 + 1)})
        check(response)
        assert response.status_code == 400
    response = fuzz_client.get("/api/search", query_string={"q": "a" * length})
    assert response.json["code"] == "query_too_long"


SYNTAX = ['"', "(", ")", "AND", "OR", "NOT", "-", "+", "title:", "body:", ":", "*", "?", "~",
          "^", "\\", "[", "]", "{", "}", "TO", " ", "Poetin", "troepen", "é", "\u202e",
          "\u0000", "\ufeff", "𝕏", "\U0001f600", "'", "’", "&", "|", "!", "/", "0", "2022"]


@given(st.lists(st.sampled_from(SYNTAX), max_size=25).map("".join)
       | st.text(max_size=60))
@settings(max_examples=max(EXAMPLES * 10, 200), deadline=None, database=None,
          derandomize=True, suppress_health_check=list(HealthCheck))
def test_query_syntax_garbage_never_fails(fuzz_client, q):
    for params in ({"q": q}, {"q": q, "crosslingual": "false", "sort": "date"},
                   {"q": q, "typo": "false", "lang": "en"}):
        check(fuzz_client.get("/api/search", query_string=params))
    check(fuzz_client.get("/api/suggest", query_string={"q": q}))


def test_unknown_and_repeated_parameters(fuzz_client):
    for query in ("q=Poetin&foo=bar", "q=Poetin&limit=5&limit=abc", "q=Poetin&offset=-1",
                  "q=Poetin&limit=1e9", "q=Poetin&date_from=2022-13-45",
                  "q=Poetin&date_from=2022-03&date_to=2022-02", "q=Poetin&crosslingual=maybe",
                  "q=Poetin&lang=de", "q=Poetin&sort=random", "q=&q=Poetin", "q=%20%20"):
        response = fuzz_client.get("/api/search?" + query)
        check(response)
        assert response.status_code in (200, 400), query
    response = fuzz_client.get("/api/search?q=Poetin&foo=bar")
    assert response.status_code == 400 and "foo" in response.json["errors"]


@pytest.mark.parametrize("method", ["PATCH", "TRACE", "PROPFIND", "OPTIONS", "HEAD"])
def test_odd_methods(fuzz_client, method):
    for path in ("/api/documents", "/api/documents/nos-1", "/api/search?q=a", "/api/nope"):
        response = fuzz_client.open(path, method=method, headers={"Origin": "https://x.example"})
        assert response.status_code < 500
        if method != "HEAD":
            check(response)


def test_odd_content_types_and_auth_headers(fuzz_client):
    doc = json.dumps({"documents": [{"id": "ct-1", "text": "Een Nederlandse tekst."}]})
    for content_type in ("text/plain", "application/x-www-form-urlencoded",
                         "multipart/form-data; boundary=x", "application/json; charset=latin-1",
                         "application/json; charset=\xff", ""):
        check(fuzz_client.post("/api/documents", data=doc,
                               headers={**AUTH, "Content-Type": content_type}))
    for header in ("Bearer", "Bearer ", "Basic Zm9vOmJhcg==", "Bearer \u00e9\u00e9",
                   "bearer " + KEY + "x", "Bearer " + "k" * 100_000, "\x00"):
        response = fuzz_client.post("/api/documents", data=doc, headers={
            "Authorization": header, "Content-Type": "application/json"})
        check(response)
        assert response.status_code == 401


NL_TEXT = ("Het kabinet bespreekt dinsdag de begroting voor defensie en de steun aan Oekraine. "
           "De Tweede Kamer wil meer geld voor de krijgsmacht en voor de wederopbouw. ")
EN_TEXT = ("The cabinet discusses the defence budget and support for Ukraine on Tuesday. "
           "Parliament wants more money for the armed forces and for reconstruction. ")


@pytest.mark.parametrize("field", ["text", "title", "source", "url", "id", "date", "extra"])
def test_lone_surrogates_in_json_are_rejected_not_stored(fuzz_client, field):
    """Found while fuzzing: "\\ud800" in a title or source was a 500 on write; in the text
    it was stored, and then every search, GET and page showing it answered 500."""
    doc = {"id": f"sur-{field}", "text": NL_TEXT}
    doc[field] = doc.get(field, "x") + "\ud800 \udfff"
    body = json.dumps({"documents": [doc]})  # ensure_ascii: the escapes go over the wire
    assert "\\ud800" in body
    response = fuzz_client.post("/api/documents", data=body,
                                headers={**AUTH, "Content-Type": "application/json"})
    check(response)
    assert response.status_code == 400
    put = fuzz_client.put("/api/documents/sur-put", data=json.dumps({"text": NL_TEXT + "\udc00"}),
                          headers={**AUTH, "Content-Type": "application/json"})
    check(put)
    assert put.status_code == 400 and put.json["code"] == "invalid_json"
    for path in ("/api/search?q=begroting", "/api/search?q=Oekraine", "/?q=Oekraine"):
        assert fuzz_client.get(path).status_code == 200


ODD_TEXT = st.text(max_size=40) | st.sampled_from([
    "<script>alert(1)</script>", "\x00", "\u202e", "../../etc/passwd", "%2e%2e/", "\ufeff",
    "a" * 5000, "\n\n\n", "title:", '"', "\U0001f600" * 20])


@given(doc=st.fixed_dictionaries(
    {"id": st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,30}", fullmatch=True),
     "text": st.tuples(st.sampled_from([NL_TEXT, EN_TEXT]), ODD_TEXT).map("".join)},
    optional={"title": st.none() | ODD_TEXT, "source": st.none() | ODD_TEXT,
              "url": st.none() | ODD_TEXT, "language": st.sampled_from(["nl", "en", None]),
              "date": st.sampled_from(["2022-02", "2022-02-31", "9999-12-31", "0000-01",
                                       None])}))
@settings(max_examples=max(EXAMPLES, 30), deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_odd_documents_that_get_stored_never_break_reads(fuzz_client, doc):
    """Documents with odd titles, sources, URLs and dates that are accepted and stored:
    the document, searches that find it and the page all still answer."""
    response = fuzz_client.post("/api/documents", json={"documents": [doc]}, headers=AUTH)
    check(response)
    if response.status_code != 200:
        return
    got = fuzz_client.get(f"/api/documents/{doc['id']}")
    check(got)
    assert got.status_code == 200 and got.json["original"] == doc["text"]
    for q in ("begroting", "budget", "Oekraine", doc["id"], (doc.get("title") or "x")[:100]):
        check(fuzz_client.get("/api/search", query_string={"q": q, "sort": "date"}))
        page = fuzz_client.get("/", query_string={"q": q})
        assert page.status_code < 500
        assert b"<script>alert" not in page.data
