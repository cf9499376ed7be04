"""GET /api/search: filters, sorting, facets, query syntax, typos, suggestions."""

import pytest
from marshmallow import ValidationError

from index.search.query import QuerySyntaxError
from service.api import run_search
from service.errors import ApiError
from service.schemas import ErrorSchema, SearchResponseSchema

LAVROV = "003_c249c87eef07bc69"  # Dutch, dated 2022-02-10, "Lavrov" only in the body
ENGLISH = "004_7f49537567ae0b10"  # English, undated
MONTH_DATED = {"000_bb9c2193cdca5199", "001_5be120304dc1211d", "002_250d72ced0d8850f"}


def search(client, **params):
    response = client.get("/api/search", query_string={"limit": 100, **params})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert SearchResponseSchema().validate(body) == {}
    return body


def ids(body):
    return {hit["id"] for hit in body["hits"]}


def error(client, **params):
    response = client.get("/api/search", query_string=params)
    assert response.status_code == 400
    body = response.get_json()
    assert ErrorSchema().validate(body) == {}
    return body


def test_response_has_month_facet_suggestion_and_timing(client):
    body = search(client, q="Rusland")
    assert body["facets"]["month"] == {"2022-02": 4}
    assert body["facets"]["language"] == {"nl": 4, "en": 1}
    assert body["suggestion"] is None
    assert isinstance(body["took_ms"], float) and body["took_ms"] >= 0


def test_month_facet_counts_only_requested_languages(client):
    assert search(client, q="Donetsk", lang="en")["facets"]["month"] == {}
    assert sum(search(client, q="Donetsk", lang="nl")["facets"]["month"].values()) >= 1


# -- dates -----------------------------------------------------------------------


def test_date_from_keeps_documents_overlapping_the_range(client):
    body = search(client, q="Rusland", date_from="2022-02-10")
    assert ids(body) == MONTH_DATED | {LAVROV}  # undated English document left out
    body = search(client, q="Rusland", date_from="2022-02-11")
    assert ids(body) == MONTH_DATED  # a month-dated document spans the whole month
    assert body["total"] == 3 and body["facets"]["language"] == {"nl": 3, "en": 0}


def test_date_to_and_month_bounds(client):
    assert search(client, q="Rusland", date_to="2022-01")["total"] == 0
    assert ids(search(client, q="Rusland", date_from="2022-02", date_to="2022-02")) == \
        MONTH_DATED | {LAVROV}
    assert ids(search(client, q="Rusland", date_from="2022-02-10", date_to="2022-02-10")) == \
        MONTH_DATED | {LAVROV}
    assert search(client, q="Rusland", date_from="2022-03")["total"] == 0


@pytest.mark.parametrize("field", ["date_from", "date_to"])
@pytest.mark.parametrize("value", ["2022", "2022-2", "2022-13", "2022-02-32", "22-02-01",
                                   "2022/02/01", "yesterday", "2022-02-01T10:00"])
def test_malformed_dates_are_400(client, field, value):
    body = error(client, q="Rusland", **{field: value})
    assert body["code"] == "invalid_request"
    assert "YYYY-MM" in body["errors"][field][0]


def test_date_from_after_date_to_is_400(client):
    body = error(client, q="Rusland", date_from="2022-03", date_to="2022-02-28")
    assert "after" in body["errors"]["date_from"][0]
    # the same month on both sides, or a day inside the month, is fine
    search(client, q="Rusland", date_from="2022-02-15", date_to="2022-02")


# -- sorting -------------------------------------------------------------------------


def test_sort_must_be_known(client):
    assert "sort" in error(client, q="Rusland", sort="newest")["errors"]


def test_sort_by_date_puts_newest_first_and_undated_last(client):
    body = search(client, q="Rusland", sort="date")
    order = [hit["id"] for hit in body["hits"]]
    assert order[0] == LAVROV and order[-1] == ENGLISH
    assert set(order[1:-1]) == MONTH_DATED
    relevance = search(client, q="Rusland")
    assert relevance["total"] == body["total"]
    assert [h["id"] for h in relevance["hits"]] != order
    assert all(hit["score"] > 0 for hit in body["hits"])


# -- query syntax -----------------------------------------------------------------------


def test_boolean_operators(client):
    assert ids(search(client, q="Poetin AND Lavrov")) == {LAVROV, "001_5be120304dc1211d"}
    both = ids(search(client, q="Poetin OR Lavrov"))
    without = ids(search(client, q="Poetin NOT Lavrov"))
    assert LAVROV in both and LAVROV not in without
    assert without == both - ids(search(client, q="Lavrov"))
    assert ids(search(client, q="Poetin -Lavrov")) == without


def test_field_prefix(client):
    assert LAVROV in ids(search(client, q="Lavrov"))
    assert search(client, q="title:Lavrov")["total"] == 0
    assert ids(search(client, q="title:Poetin")) == {"000_bb9c2193cdca5199", ENGLISH}


@pytest.mark.parametrize("q,says", [
    ("Poetin AND", "'AND' needs a term after it"),
    ('"Poetin troepen', "unclosed quote"),
    ("(Poetin", "unclosed '('"),
    ("Poetin)", "unmatched ')'"),
    ("()", "empty parentheses"),
    ("title:(Poetin Lavrov)", "field prefix"),
])
def test_syntax_errors_say_what_and_where(client, q, says):
    body = error(client, q=q)
    assert body["code"] == "query_syntax"
    assert says in body["message"] and "at character" in body["message"]
    assert body["errors"]["q"]


# -- typos, suggestions, cross-links -------------------------------------------------------


def test_typo_tolerance_can_be_switched_off(client):
    assert search(client, q="Poetim")["total"] >= 4
    body = search(client, q="Poetim", typo="false")
    assert body["total"] == 0
    assert body["suggestion"] == "poetin"


def _ids(body):
    return sorted(hit["id"] for hit in body["hits"])


def test_corrected_query_is_searched_like_a_typed_one(client):
    typed = search(client, q="Poetin", limit=50)
    body = search(client, q="Poetim", limit=50)
    assert body["corrected"] == {"query": "Poetin", "original": "Poetim"}
    assert body["query"] == "Poetim"
    assert body["total"] == typed["total"] and _ids(body) == _ids(typed)
    assert body["facets"]["language"] == typed["facets"]["language"]  # cross-links too
    assert typed["corrected"] is None
    assert search(client, q="Poetim", typo="false")["corrected"] is None


def test_correction_keeps_known_words_and_operators(client):
    body = search(client, q="Poetim OR Lavrov")
    assert body["corrected"]["query"] == "Poetin OR Lavrov"
    assert _ids(body) == _ids(search(client, q="Poetin OR Lavrov", limit=50)) or \
        body["total"] == search(client, q="Poetin OR Lavrov")["total"]
    assert search(client, q="Lavrov")["corrected"] is None
    assert search(client, q="xqzwvk")["corrected"] is None  # nothing near: no correction
    # an excluded word is not corrected (that would change what is left out)
    assert search(client, q="Lavrov -Poetim")["corrected"] is None
    assert search(client, q="Lavrov NOT Poetim")["corrected"] is None
    assert search(client, q="POETIM")["corrected"]["query"] == "POETIN"


def test_did_you_mean_keeps_the_rest_of_the_query(client):
    body = search(client, q='Lavrof "Verenigd Koninkrijk"', typo="false")
    assert body["total"] < 3
    assert body["suggestion"] == 'lavrov "Verenigd Koninkrijk"'


def test_no_suggestion_for_known_words(client):
    assert search(client, q="Lavrov")["suggestion"] is None


def test_typo_must_be_a_boolean(client):
    assert "typo" in error(client, q="Poetin", typo="sometimes")["errors"]


def test_crosslinks_name_the_translation_that_matched(client):
    body = search(client, q="Putin")
    dutch = [hit for hit in body["hits"] if hit["language"] == "nl"]
    assert dutch
    for hit in dutch:
        link = next(c for c in hit["crosslinks"] if c["query"] == "Putin")
        assert link["matched"] == "Poetin" and link["source"]
    assert all(not hit["crosslinks"] for hit in search(client, q="Putin",
                                                       crosslingual="false")["hits"])


# -- run_search, the page's entry point ------------------------------------------------------


def test_run_search_contract(app):
    with app.test_request_context():
        result = run_search({"q": "Poetin", "lang": "nl", "offset": "1"})
        assert result["query"] == "Poetin"
        assert {hit["language"] for hit in result["hits"]} == {"nl"}
        assert len(result["hits"]) == result["total"] - 1
        with pytest.raises(ValidationError):
            run_search({"q": "Poetin", "lang": "fr"})
        with pytest.raises(ValidationError):
            run_search({"q": "Poetin", "date_from": "2022-03", "date_to": "2022-02"})
        with pytest.raises(QuerySyntaxError):
            run_search({"q": "(Poetin"})
        with pytest.raises(ApiError):
            run_search({"q": "   "})


def test_head_request(client):
    response = client.head("/api/search?q=Poetin")
    assert response.status_code == 200 and response.data == b""
