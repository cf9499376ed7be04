"""The JSON API through Flask's test client (a real index of the seeds on disk)."""

import pytest

from service.schemas import SearchResponseSchema
from conftest import assert_error



def test_health_counts_documents(client):
    response = client.get("/api/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["documents"] == {"nl": 4, "en": 1}
    assert body["index"]["degraded"] is False and body["index"]["reason"] is None
    assert body["index"]["generation"] == body["index"]["current"]


def test_search_response_shape(client):
    response = client.get("/api/search?q=Poetin")
    assert response.status_code == 200
    body = response.get_json()
    assert SearchResponseSchema().validate(body) == {}
    assert body["query"] == "Poetin"
    assert body["query_language"] == "nl"
    assert body["total"] == len(body["hits"]) >= 4
    assert set(body["facets"]["language"]) == {"nl", "en"}
    for hit in body["hits"]:
        assert "<mark>" in hit["snippet"]
        assert set(hit) >= {"id", "language", "title", "date", "url", "score", "snippet"}


def test_dutch_query_finds_dutch_and_english_query_finds_english(client):
    nl = client.get("/api/search?q=troepen&crosslingual=false").get_json()
    assert nl["hits"] and {h["language"] for h in nl["hits"]} == {"nl"}
    en = client.get("/api/search?q=troops&crosslingual=false").get_json()
    assert en["hits"] and {h["language"] for h in en["hits"]} == {"en"}
    assert en["query_language"] == "en"


def test_shared_surface_form_finds_both_languages(client):
    body = client.get("/api/search?q=Donetsk&crosslingual=false").get_json()
    assert {h["language"] for h in body["hits"]} == {"nl", "en"}


def test_lang_restricts_hits_but_facets_count_both(client):
    body = client.get("/api/search?q=Donetsk&lang=en").get_json()
    assert {h["language"] for h in body["hits"]} == {"en"}
    assert body["total"] == body["facets"]["language"]["en"]
    assert body["facets"]["language"]["nl"] >= 1


def test_pagination_is_consistent(client):
    full = client.get("/api/search?q=Rusland&limit=10").get_json()
    assert full["total"] >= 3
    pages = [client.get(f"/api/search?q=Rusland&limit=1&offset={i}").get_json()
             for i in range(full["total"])]
    assert [p["hits"][0]["id"] for p in pages] == [h["id"] for h in full["hits"]]
    beyond = client.get(f"/api/search?q=Rusland&offset={full['total']}").get_json()
    assert beyond["hits"] == [] and beyond["total"] == full["total"]


def test_phrase_query(client):
    body = client.get('/api/search?q="vrede te handhaven"').get_json()
    assert [h["id"] for h in body["hits"]] == ["000_bb9c2193cdca5199"]
    assert "<mark>vrede</mark>" in body["hits"][0]["snippet"]


@pytest.mark.parametrize("query,status,code", [
    ("", 400, "invalid_request"),
    ("q=", 400, "invalid_request"),
    ("q=%20%20", 400, "invalid_request"),
    ("q=Poetin&lang=de", 400, "invalid_request"),
    ("q=Poetin&limit=0", 400, "invalid_request"),
    ("q=Poetin&limit=101", 400, "invalid_request"),
    ("q=Poetin&offset=-1", 400, "invalid_request"),
    ("q=Poetin&limit=ten", 400, "invalid_request"),
    ("q=Poetin&colour=red", 400, "invalid_request"),
    ("q=Poetin&crosslingual=maybe", 400, "invalid_request"),
    ('q="Poetin', 400, "query_syntax"),
    ("q=(Poetin", 400, "query_syntax"),
    ("q=" + "a" * 501, 400, "query_too_long"),
])
def test_bad_search_requests_get_json_errors(client, query, status, code):
    body = assert_error(client.get("/api/search?" + query), status, code)
    assert body["message"]


def test_missing_q_names_the_field(client):
    body = assert_error(client.get("/api/search"), 400)
    assert "q" in body["errors"]


def test_unknown_api_route_and_method_are_json(client):
    assert_error(client.get("/api/nope"), 404, "not_found")
    assert_error(client.delete("/api/search?q=x"), 405)
