"""Health, stats, the OpenAPI document, CORS and the error contract."""

import os
import re
from pathlib import Path

import pytest
from openapi_spec_validator import validate as validate_openapi

from index.ingest.documents import Document
from index.storage import rebuild
from service import create_app
from service.openapi import openapi_path
from service.schemas import StatsSchema
from conftest import assert_error, require

REAL_DICT = Path("/usr/share/dictd/freedict-nld-eng.index").exists()
AUTH = {"Authorization": "Bearer test-key"}
NL_TEXT = ("De gemeenteraad van Zwolle heeft dinsdag besloten een nieuwe fietsbrug over de "
           "IJssel te bouwen. De brug moet in 2025 klaar zijn en kost ruim twaalf miljoen euro.")


# -- stats ---------------------------------------------------------------------------


def test_stats(client, seed_index):
    require(REAL_DICT, "Debian FreeDict (dict-freedict-nld-eng)")
    response = client.get("/api/stats")
    assert response.status_code == 200
    body = response.get_json()
    assert StatsSchema().validate(body) == {}
    assert body["documents"] == {"nl": 4, "en": 1}
    assert {"curated", "dictionary"} <= set(body["lexicon_pairs"])
    assert body["lexicon_pairs"]["dictionary"] > 1000
    generation = (seed_index / "current").resolve()
    assert body["generation"] == generation.name
    on_disk = sum(os.path.getsize(os.path.join(d, f))
                  for d, _, files in os.walk(generation) for f in files)
    assert body["index_bytes"] == on_disk > 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["updated"])


def test_stats_follow_writes(write_client):
    before = write_client.get("/api/stats").get_json()
    response = write_client.post("/api/documents", headers=AUTH,
                                 json={"documents": [{"id": "s1", "text": NL_TEXT}]})
    assert response.status_code == 200
    after = write_client.get("/api/stats").get_json()
    assert after["documents"] == {"nl": 5, "en": 1}
    assert after["updated"] >= before["updated"]
    assert after["index_bytes"] != before["index_bytes"]


def test_stats_without_a_lexicon(tmp_path):
    doc = Document(id="a", language="nl", language_confidence=1.0, title="t", text=NL_TEXT,
                   original=NL_TEXT)
    rebuild(tmp_path / "index", [doc])
    body = create_app({"INDEX_DIR": str(tmp_path / "index")}).test_client().get(
        "/api/stats").get_json()
    assert body["lexicon_pairs"] is None
    assert body["documents"] == {"nl": 1, "en": 0}


# -- no index yet ------------------------------------------------------------------------


def test_without_an_index_reads_are_503_and_a_write_creates_it(tmp_path):
    app = create_app({"INDEX_DIR": str(tmp_path / "fresh"), "API_KEY": "test-key",
                      "FREEDICT_DIR": ""})
    client = app.test_client()
    body = assert_error(client.get("/api/health"), 503, "no_index")
    assert "tolk index" in body["message"]
    assert_error(client.get("/api/search?q=Zwolle"), 503, "no_index")
    assert_error(client.get("/api/suggest?q=zw"), 503, "no_index")
    response = client.post("/api/documents", headers=AUTH,
                           json={"documents": [{"id": "first", "text": NL_TEXT}]})
    assert response.status_code == 200, response.get_json()
    assert client.get("/api/health").get_json()["documents"] == {"nl": 1, "en": 0}
    hits = client.get("/api/search?q=Zwolle").get_json()["hits"]
    assert [h["id"] for h in hits] == ["first"]


# -- OpenAPI --------------------------------------------------------------------------------


@pytest.fixture
def spec(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_openapi_document_is_valid(spec):
    validate_openapi(spec)
    assert spec["openapi"].startswith("3.")


def test_every_api_route_and_method_is_documented(app, spec):
    routes = [(openapi_path(rule.rule), method.lower())
              for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/")
              for method in rule.methods - {"HEAD", "OPTIONS"}]
    assert len(routes) >= 9
    missing = [r for r in routes if r[1] not in spec["paths"].get(r[0], {})]
    assert missing == []
    documented = [(path, method) for path, ops in spec["paths"].items() for method in ops]
    assert sorted(documented) == sorted(routes)


def test_openapi_describes_parameters_bodies_errors_and_security(spec):
    search = spec["paths"]["/api/search"]["get"]
    params = {p["name"]: p for p in search["parameters"]}
    assert {"q", "lang", "crosslingual", "date_from", "date_to", "sort", "limit", "offset",
            "typo", "page", "hits_per_page", "filter", "facets", "facet_size",
            "mode", "fusion", "explain", "group"} == set(params)
    assert params["q"]["required"] is True
    assert params["group"]["schema"]["enum"] == ["none", "story"]
    similar = spec["paths"]["/api/documents/{doc_id}/similar"]["get"]
    assert {"400", "404", "409"} <= set(similar["responses"])
    assert {p["name"] for p in similar["parameters"] if p["in"] == "query"} == {"lang", "limit"}
    assert params["limit"]["schema"]["maximum"] == 100
    assert re.match(params["sort"]["schema"]["pattern"], "date:asc")
    assert not re.match(params["sort"]["schema"]["pattern"], "date:up")
    assert search["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Error"}
    schemas = spec["components"]["schemas"]
    assert {"code", "status", "message", "errors"} <= set(schemas["Error"]["properties"])
    assert {"suggestion", "took_ms", "facets", "hits"} <= set(
        schemas["SearchResponse"]["properties"])
    assert "month" in schemas["Facets"]["properties"]
    post = spec["paths"]["/api/documents"]["post"]
    assert post["security"] == [{"bearerAuth": []}]
    assert {"401", "403", "413", "415", "422"} <= set(post["responses"])
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/DocumentBatch"}
    assert set(schemas["DocumentIn"]["required"]) == {"id", "text"}
    assert "security" not in spec["paths"]["/api/documents/{doc_id}"]["get"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    for path, ops in spec["paths"].items():
        for op in ops.values():
            refs = re.findall(r"#/components/schemas/(\w+)", str(op))
            assert set(refs) <= set(schemas), path


# -- CORS ------------------------------------------------------------------------------------


def test_reads_allow_any_origin(client):
    for url in ["/api/search?q=Poetin", "/api/suggest?q=po", "/api/health", "/api/stats",
                "/api/documents/000_bb9c2193cdca5199", "/api/search?q=(", "/api/nope"]:
        response = client.get(url, headers={"Origin": "https://app.example"})
        assert response.headers["Access-Control-Allow-Origin"] == "*", url


def test_preflight(client):
    response = client.options("/api/search", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "GET"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]
    assert int(response.headers["Access-Control-Max-Age"]) > 0


def test_no_cors_headers_outside_the_api(client):
    assert "Access-Control-Allow-Origin" not in client.get("/").headers


# -- errors -------------------------------------------------------------------------------------


def test_not_found_and_method_not_allowed_are_json(client):
    assert_error(client.get("/api/nope"), 404, "not_found")
    response = client.post("/api/documents/x", json={})
    assert_error(response, 405, "method_not_allowed")
    assert {"GET", "PUT", "PATCH", "DELETE"} <= {
        m.strip() for m in response.headers["Allow"].split(",")}
    assert_error(client.put("/api/documents"), 405)


def test_unexpected_errors_are_json_without_details(client, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(client.application.extensions["tolk_backend"], "search", explode)
    body = assert_error(client.get("/api/search?q=Poetin"), 500, "internal_error")
    assert "secret" not in body["message"]


def test_query_length_limit_is_a_setting(seed_index):
    client = create_app({"INDEX_DIR": str(seed_index), "MAX_QUERY_CHARS": 10}).test_client()
    assert client.get("/api/search?q=Poetin").status_code == 200
    body = assert_error(client.get("/api/search?q=Poetin+Lavrov"), 400, "query_too_long")
    assert "10 characters" in body["message"]


def test_settings_come_from_the_environment(monkeypatch, seed_index):
    monkeypatch.setenv("TOLK_INDEX_DIR", str(seed_index))
    monkeypatch.setenv("TOLK_MAX_BATCH_DOCS", "7")
    monkeypatch.setenv("TOLK_MAX_CONTENT_LENGTH", "12345")
    app = create_app()
    assert app.config["MAX_BATCH_DOCS"] == 7
    assert app.config["MAX_CONTENT_LENGTH"] == 12345
    assert app.test_client().get("/api/health").status_code == 200
