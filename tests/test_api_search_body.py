"""POST /api/search (parameters in a JSON body) and page/hits_per_page paging."""

import pytest

from service.schemas import SearchResponseSchema
from conftest import assert_error


def get(client, **params):
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def post(client, body):
    response = client.post("/api/search", json=body)
    assert response.status_code == 200, response.get_json()
    assert SearchResponseSchema().validate(response.get_json()) == {}
    return response.get_json()


def comparable(body):
    return {k: v for k, v in body.items() if k != "took_ms"}


@pytest.mark.parametrize("params", [
    {"q": "Poetin"},
    {"q": "troepen", "lang": "nl", "limit": 2, "offset": 1},
    {"q": "Putin", "crosslingual": False, "sort": "date", "typo": False},
    {"q": "Poetin", "date_from": "2022-02", "date_to": "2022-02-28"},
])
def test_post_answers_exactly_like_get(client, params):
    as_query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in params.items()}
    assert comparable(post(client, params)) == comparable(get(client, **as_query))


def test_post_takes_a_query_too_long_for_a_url(client):
    words = " OR ".join(["Poetin", "Lavrov", "troepen"] * 40)
    assert len(words) > 400
    body = post(client, {"q": words[:500]})
    assert body["total"] >= 4


@pytest.mark.parametrize("body,field", [
    ({}, "q"), ({"q": ""}, "q"), ({"q": "x", "limit": 0}, "limit"),
    ({"q": "x", "lang": "fr"}, "lang"), ({"q": "x", "colour": "red"}, "colour"),
    ({"q": ["Poetin"]}, "q"), ({"q": "x", "page": 0}, "page"),
    (["Poetin"], "_schema"), ("Poetin", "_schema"),
])
def test_post_bad_bodies_are_400(client, body, field):
    error = assert_error(client.post("/api/search", json=body), 400)
    assert field in error["errors"]


def test_post_needs_json(client):
    assert_error(client.post("/api/search", data="q=Poetin",
                             content_type="application/x-www-form-urlencoded"), 415)
    assert_error(client.post("/api/search", data="{", content_type="application/json"), 400,
                 "invalid_json")
    assert_error(client.post("/api/search", json={"q": "("}), 400, "query_syntax")


def test_post_search_is_open_to_browsers(client):
    response = client.options("/api/search", headers={
        "Origin": "https://app.test", "Access-Control-Request-Method": "POST"})
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    response = client.post("/api/search", json={"q": "Poetin"},
                           headers={"Origin": "https://app.test"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


# -- page / hits_per_page ------------------------------------------------------------------


def test_pages_walk_the_same_hits_as_offsets(client):
    everything = [h["id"] for h in get(client, q="Poetin", limit=100)["hits"]]
    assert len(everything) == 5
    seen = []
    for number in (1, 2, 3):
        body = get(client, q="Poetin", page=number, hits_per_page=2)
        assert (body["page"], body["hits_per_page"], body["total_pages"]) == (number, 2, 3)
        seen += [h["id"] for h in body["hits"]]
    assert seen == everything
    beyond = get(client, q="Poetin", page=4, hits_per_page=2)
    assert beyond["hits"] == [] and beyond["total_pages"] == 3


def test_page_alone_uses_ten_hits_and_paging_fields_only_when_asked(client):
    body = get(client, q="Poetin", page=1)
    assert (body["hits_per_page"], body["total_pages"]) == (10, 1)
    assert get(client, q="Poetin", hits_per_page=3)["page"] == 1
    plain = get(client, q="Poetin")
    assert not {"page", "hits_per_page", "total_pages"} & set(plain)
    assert get(client, q="nothingmatchesthis", page=1, typo="false")["total_pages"] == 0


def test_paging_in_a_post_body(client):
    body = post(client, {"q": "Poetin", "page": 2, "hits_per_page": 2})
    assert body["page"] == 2 and len(body["hits"]) == 2


@pytest.mark.parametrize("params", [
    {"page": 1, "limit": 5}, {"hits_per_page": 5, "offset": 0},
    {"page": 2, "hits_per_page": 5, "limit": 5, "offset": 5},
])
def test_both_paging_styles_at_once_is_400(client, params):
    body = assert_error(client.get("/api/search", query_string={"q": "Poetin", **params}), 400)
    assert "not both" in str(body["errors"])


@pytest.mark.parametrize("params,field", [
    ({"page": 0}, "page"), ({"page": "x"}, "page"), ({"hits_per_page": 0}, "hits_per_page"),
    ({"hits_per_page": 101}, "hits_per_page"), ({"page": 102, "hits_per_page": 100}, "page"),
])
def test_bad_paging_is_400(client, params, field):
    body = assert_error(client.get("/api/search", query_string={"q": "Poetin", **params}), 400)
    assert field in body["errors"]


def test_deepest_page_is_reachable(client):
    body = get(client, q="Poetin", page=101, hits_per_page=100)  # offset 10,000
    assert body["hits"] == [] and body["total_pages"] == 1
