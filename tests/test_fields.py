"""Declared fields (index.fields): the registry, documents carrying them, and filters,
facets and sorts on them through the API, the page, the CLI and a real gunicorn."""

from __future__ import annotations

import json
import re
import urllib.parse
from datetime import datetime, timezone
from pathlib import Path

import pytest

from conftest import assert_error, build_index, copy_index
from index.fields import (Fields, FieldsError, configure, date_key, load_fields, number_key,
                          parse_file)
from index.ingest.documents import DocumentError, raw_from_mapping
from harness import request as harness_request  # scripts/reliability (conftest's path)
from service import create_app

DECLARED = "priority:number,embargo:date,desk:keyword"
FEED = [
    {"id": "f-nl-1", "language": "nl", "source": "NOS", "tags": ["oorlog", "Oekraïne"],
     "priority": 3, "date": "2022-02-24T05:30:00+02:00", "desk": "Buitenland",
     "text": "Russische troepen trekken Oekraïne binnen, meldt het ministerie van Defensie."},
    {"id": "f-nl-2", "language": "nl", "source": "nos", "tags": ["politiek"], "priority": 1,
     "date": "2022-02-24T01:00:00+02:00",
     "text": "Het kabinet praat over de steun aan Oekraïne en de begroting voor Defensie."},
    {"id": "f-nl-3", "language": "nl", "source": "NRC", "tags": ["Oorlog"], "priority": 2,
     "date": "2022-02",
     "text": "Analyse: wat de oorlog in Oekraïne betekent voor de Nederlandse economie."},
    {"id": "f-en-1", "language": "en", "source": "BBC News", "tags": ["war", "NATO"],
     "priority": 5, "date": "2022-02-23", "embargo": "2022-02-23T18:00:00Z",
     "text": "NATO sends more troops to the border of Ukraine as the war begins."},
    {"id": "f-en-2", "language": "en", "priority": 4,
     "text": "Markets fall as the war in Ukraine pushes up the price of gas and grain."},
    {"id": "f-en-3", "language": "en", "source": "Reuters", "date": "2022-03-01T09:15:00Z",
     "text": "Ukraine asks the European Union for fast membership, officials said today."},
]
QUERY = "Oekraine OR Ukraine"


@pytest.fixture(autouse=True)
def default_fields_after():
    yield
    configure(Fields())  # other test files write with the default registry


@pytest.fixture(scope="module")
def feed_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("feed") / "feed.jsonl"
    path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in FEED), "utf-8")
    return path


@pytest.fixture(scope="module")
def fields_index(feed_file, tmp_path_factory) -> Path:
    return build_index(tmp_path_factory.mktemp("fields") / "index", feed_file,
                       env={"TOLK_FIELDS": DECLARED, "TOLK_FREEDICT_DIR": ""})


@pytest.fixture
def fclient(fields_index, tmp_path):
    index = copy_index(fields_index, tmp_path / "index")
    app = create_app({"INDEX_DIR": str(index), "API_KEY": "k", "FREEDICT_DIR": "",
                      "FIELDS": DECLARED})
    app.config.update(TESTING=True)
    return app.test_client()


def search(client, **params):
    response = client.get("/api/search?" + urllib.parse.urlencode({"q": QUERY, **params}))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def instant(value):
    key = date_key(value)
    if "T" not in key:
        key += "T00:00:00Z"
    return datetime.strptime(key, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


# -- the registry ----------------------------------------------------------------------


def test_defaults_and_declared_fields():
    fields = load_fields("desk:keyword, priority:number,embargo:date,summary:text")
    assert {"source", "tags", "section", "author", "desk", "priority"} <= set(fields.names())
    assert fields["tags"].type == "keywords" and fields["tags"].facet
    assert fields["priority"].sort and not fields["priority"].facet
    assert fields["summary"].type == "text" and not fields["summary"].sort


@pytest.mark.parametrize("env, expected", [
    ("desk", "'desk' has no type"),
    ("desk:string", "field 'desk' has type 'string'"),
    ("Desk:keyword", "field name 'Desk' is not valid"),
    ("title:keyword", "field 'title' is built in"),
    ("desk:keyword,desk:number", "field 'desk' is declared twice"),
])
def test_bad_declarations_name_the_field(env, expected):
    with pytest.raises(FieldsError) as info:
        load_fields(env)
    assert expected in str(info.value)


def test_fields_file_in_json_and_toml(tmp_path):
    (tmp_path / "f.json").write_text(json.dumps({"fields": [
        {"name": "desk", "type": "keyword", "help": "the news desk"},
        {"name": "priority", "type": "number", "sort": False}]}))
    (tmp_path / "f.toml").write_text('[fields.desk]\ntype = "keyword"\n\n'
                                     '[fields.embargo]\ntype = "date"\nsort = true\n')
    declared = {f.name: f for f in parse_file(tmp_path / "f.json")}
    assert declared["desk"].help == "the news desk" and not declared["priority"].sort
    assert {f.name: f.type for f in parse_file(tmp_path / "f.toml")} == {
        "desk": "keyword", "embargo": "date"}
    (tmp_path / "bad.toml").write_text('[fields.desk]\ntype = "keyword"\nfacet = "yes"\n')
    with pytest.raises(FieldsError, match="'desk': facet must be true or false"):
        parse_file(tmp_path / "bad.toml")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(FieldsError, match="not valid JSON"):
        parse_file(tmp_path / "broken.json")


def test_a_bad_declaration_stops_the_app_and_the_cli(runner):
    with pytest.raises(FieldsError, match="priority"):
        create_app({"FIELDS": "priority:integer"})
    result = runner(["search", "x"], env={"TOLK_FIELDS": "priority:integer"})
    assert result.exit_code == 2 and "priority" in result.stderr and "TOLK_FIELDS" in result.stderr


def test_number_keys_sort_like_the_numbers():
    import random
    rng = random.Random(3)
    numbers = [0, -0.5, 1, -1, 2.5, 1e-9, -1e12, 10 ** 15, 3] + [
        rng.uniform(-1e6, 1e6) for _ in range(200)]
    assert sorted(numbers, key=number_key) == sorted(numbers)


def test_date_keys_order_timestamps_by_instant():
    values = ["2022-02-24T05:30:00+02:00", "2022-02-24T01:00:00+02:00", "2022-02-24T02:00Z",
              "2022-02-23T23:30:00-01:00", "2022-02-24T03:31:00.5+00:00", "2022-02-24"]
    by_key = sorted(values, key=date_key)
    assert by_key == sorted(values, key=lambda v: (instant(v), "T" in v))


# -- documents carrying fields -----------------------------------------------------------


def test_undeclared_and_mistyped_fields_are_refused_with_how_to_fix():
    fields = load_fields("priority:number")
    with pytest.raises(DocumentError) as info:
        raw_from_mapping({"id": "a", "text": "x", "desk": "b", "priority": "abc",
                          "tags": [1], "date": "2022-02-24T25:00:00Z"}, fields=fields)
    errors = info.value.errors
    assert 'TOLK_FIELDS="desk:keyword"' in errors["desk"][0]
    assert "number field 'priority'" in errors["priority"][0]
    assert "must be a string" in errors["tags"][0]
    assert "timestamp" in errors["date"][0]
    raw = raw_from_mapping({"id": "a", "text": "x", "tags": "one", "priority": "2.5"},
                           fields=fields)
    assert raw.fields == {"tags": ["one"], "priority": 2.5}


def test_post_with_an_undeclared_field_names_it(write_client):
    body = assert_error(write_client.post(
        "/api/documents", json={"documents": [{"id": "x1", "text": "Het kabinet valt.",
                                               "desk": "binnenland"}]},
        headers={"Authorization": "Bearer test-key"}), 400, "invalid_request")
    assert "desk" in body["message"] and "TOLK_FIELDS" in body["message"]
    assert "TOLK_FIELDS" in body["errors"]["documents"]["0"]["desk"][0]


def test_put_with_a_mistyped_number_names_field_and_document(fclient):
    body = assert_error(fclient.put("/api/documents/f-x", json={
        "text": "Het kabinet valt over de begroting.", "priority": "hoog"},
        headers={"Authorization": "Bearer k"}), 400, "invalid_request")
    assert "priority" in body["message"] and "hoog" in body["message"]


# -- search: filters, facets, sorts --------------------------------------------------------


def test_hits_and_get_return_declared_fields_as_given(fclient):
    result = search(fclient, filter="desk:buitenland")
    [hit] = result["hits"]
    assert hit["id"] == "f-nl-1" and hit["source"] == "NOS"
    assert hit["tags"] == ["oorlog", "Oekraïne"] and hit["priority"] == 3
    assert hit["desk"] == "Buitenland" and hit["date"] == "2022-02-24T05:30:00+02:00"
    stored = fclient.get("/api/documents/f-en-1").get_json()
    assert stored["embargo"] == "2022-02-23T18:00:00Z" and stored["tags"] == ["war", "NATO"]
    assert stored["source"] == "BBC News" and stored["priority"] == 5


def test_filters_combine_with_lang_and_dates(fclient):
    everything = search(fclient, limit=50)
    assert everything["total"] == len(FEED)
    nos = search(fclient, filter="source:nos AND tags:oorlog")
    assert [h["id"] for h in nos["hits"]] == ["f-nl-1"]
    wars = search(fclient, filter="tags:(oorlog OR war)", lang="en")
    assert [h["id"] for h in wars["hits"]] == ["f-en-1"]
    assert wars["facets"]["language"] == {"nl": 2, "en": 1}
    dated = search(fclient, filter="priority:>=2", date_from="2022-02-24")
    assert sorted(h["id"] for h in dated["hits"]) == ["f-nl-1", "f-nl-3"]


def test_keyword_facets_count_what_their_filter_finds(fclient):
    result = search(fclient, facets="language,source,tags", facet_size=3)
    facets = result["facets"]
    assert set(facets) == {"language", "source", "tags"}
    assert len(facets["tags"]) == 3
    assert list(facets["tags"].values()) == sorted(facets["tags"].values(), reverse=True)
    for name in ("source", "tags"):
        for value, count in facets[name].items():
            quoted = '"' + value.replace('"', '\\"') + '"'
            assert search(fclient, filter=f"{name}:{quoted}")["total"] == count, (name, value)
    assert facets["source"]["NOS"] == 2  # "NOS" and "nos" are one source


def test_default_facets_stay_language_and_month(fclient):
    assert set(search(fclient)["facets"]) == {"language", "month"}


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sort_by_date_orders_by_the_instant_and_undated_last(fclient, direction):
    hits = search(fclient, sort=f"date:{direction}", limit=50)["hits"]
    dated = [instant(h["date"]) for h in hits if h["date"]]
    assert dated == sorted(dated, reverse=direction == "desc") and len(dated) == 5
    assert hits[-1]["date"] is None
    if direction == "asc":  # 23:00 UTC on the 23rd comes before 03:30 UTC on the 24th
        order = [h["id"] for h in hits]
        assert order.index("f-nl-2") < order.index("f-nl-1")


def test_sort_date_alone_is_newest_first(fclient):
    assert search(fclient, sort="date")["hits"] == search(fclient, sort="date:desc")["hits"]


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sort_by_a_number_field(fclient, direction):
    hits = search(fclient, sort=f"priority:{direction}", limit=50)["hits"]
    values = [h["priority"] for h in hits if "priority" in h]
    assert values == sorted(values, reverse=direction == "desc") and len(values) == 5
    assert "priority" not in hits[-1]


@pytest.mark.parametrize("params, code, words", [
    ({"filter": "colour:red"}, "invalid_filter", ["colour", "TOLK_FIELDS"]),
    ({"filter": "source:nos tags:x"}, "invalid_filter", ["position 11", "AND or OR"]),
    ({"filter": "priority:>=high"}, "invalid_filter", ["priority", "number"]),
    ({"sort": "source"}, "invalid_sort", ["source", "priority"]),
    ({"sort": "colour:asc"}, "invalid_sort", ["colour", "TOLK_FIELDS"]),
    ({"sort": "date:up"}, "invalid_request", ["sort"]),
    ({"facets": "priority"}, "invalid_facets", ["priority", "tags"]),
    ({"facets": "language,colour"}, "invalid_facets", ["colour", "TOLK_FIELDS"]),
    ({"facet_size": "0"}, "invalid_request", ["facet_size"]),
])
def test_bad_filter_sort_or_facets_is_a_400_that_says_why(fclient, params, code, words):
    body = assert_error(fclient.get("/api/search?" + urllib.parse.urlencode(
        {"q": QUERY, **params})), 400, code)
    text = body["message"] + json.dumps(body["errors"])
    for word in words:
        assert word in text


def test_a_field_declared_later_is_added_and_filled_by_new_documents(fields_index, tmp_path):
    index = copy_index(fields_index, tmp_path / "index")
    app = create_app({"INDEX_DIR": str(index), "API_KEY": "k", "FREEDICT_DIR": "",
                      "FIELDS": DECLARED + ",urgency:keyword"})
    client = app.test_client()
    assert search(client, filter="urgency:high")["total"] == 0  # nothing has it yet
    response = client.post("/api/documents", headers={"Authorization": "Bearer k"}, json={
        "documents": [{"id": "late-1", "language": "en", "urgency": "High",
                       "text": "Ukraine receives new air defence systems from Germany."}]})
    assert response.status_code == 200, response.get_json()
    assert [h["id"] for h in search(client, filter="urgency:high")["hits"]] == ["late-1"]
    assert search(client)["total"] == len(FEED) + 1


def test_a_field_no_longer_declared_stays_stored_but_is_not_filterable(fields_index, tmp_path):
    app = create_app({"INDEX_DIR": str(fields_index), "FIELDS": "priority:number"})
    client = app.test_client()
    body = assert_error(client.get("/api/search?q=x&filter=desk:buitenland"), 400,
                        "invalid_filter")
    assert "'desk' is stored in this index but no longer declared" in body["message"]
    assert "desk:keyword to TOLK_FIELDS" in body["message"]
    body = assert_error(client.get("/api/search?q=x&facets=desk"), 400, "invalid_facets")
    assert "no longer declared" in body["message"]
    assert client.get("/api/documents/f-nl-1").get_json()["desk"] == "Buitenland"


def test_changing_a_field_type_asks_for_a_rebuild(fields_index, tmp_path):
    index = copy_index(fields_index, tmp_path / "index")
    app = create_app({"INDEX_DIR": str(index), "API_KEY": "k", "FREEDICT_DIR": "",
                      "FIELDS": "priority:keyword"})
    body = assert_error(app.test_client().put(
        "/api/documents/p1", headers={"Authorization": "Bearer k"},
        json={"text": "Ukraine asks for help.", "language": "en", "priority": "high"}),
        409, "field_type_conflict")
    assert "priority" in body["message"] and "--rebuild" in body["message"]


# -- the page and the CLI ------------------------------------------------------------------


def test_page_shows_source_checkboxes_that_filter(fields_index):
    app = create_app({"INDEX_DIR": str(fields_index), "FIELDS": DECLARED})
    client = app.test_client()
    html = client.get("/?q=" + urllib.parse.quote(QUERY)).get_data(as_text=True)
    assert 'name="source" value="NOS"' in html and 'value="BBC News"' in html
    filtered = client.get("/?" + urllib.parse.urlencode(
        [("q", QUERY), ("source", "BBC News"), ("source", "NRC")])).get_data(as_text=True)
    assert 'data-id="f-en-1"' in filtered and 'data-id="f-nl-3"' in filtered
    assert 'data-id="f-nl-1"' not in filtered
    assert 'value="BBC News" checked' in filtered
    nos = client.get("/?ui=en&q=Oekraine&source=NOS").get_data(as_text=True)
    assert ('<time datetime="2022-02-24T05:30:00+02:00">February 24, 2022 05:30 UTC+02:00'
            '</time>') in nos
    assert re.search(r'name="source" value="NOS"\s*>', filtered)  # unchecked, still offered


def test_page_shows_a_bad_filter_inline(fields_index):
    app = create_app({"INDEX_DIR": str(fields_index), "FIELDS": DECLARED})
    response = app.test_client().get("/?q=Ukraine&filter=colour:red")
    assert response.status_code == 400 and "colour" in response.get_data(as_text=True)


def test_cli_search_with_filter_facets_and_sort(runner, fields_index):
    env = {"TOLK_FIELDS": DECLARED}
    result = runner(["search", QUERY, "--index-dir", fields_index, "--filter",
                     "tags:oorlog OR tags:war", "--facets", "source,tags", "--sort",
                     "priority:asc"], env=env)
    assert result.exit_code == 0, result.stderr
    ids = [line.split()[2] for line in result.output.splitlines() if line[:3].strip().rstrip(
        ".").isdigit()]
    assert ids == ["f-nl-3", "f-nl-1", "f-en-1"]  # priority 2, 3, 5
    assert "source: BBC News (1), NOS (1), NRC (1)" in result.output  # ties: by value
    bad = runner(["search", QUERY, "--index-dir", fields_index, "--filter", "colour:x"],
                 env=env)
    assert bad.exit_code == 2 and "colour" in bad.stderr and "TOLK_FIELDS" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1


# -- through a real gunicorn -----------------------------------------------------------------


@pytest.fixture(scope="module")
def fields_server(fields_index, tmp_path_factory, module_gunicorn):
    index = copy_index(fields_index, tmp_path_factory.mktemp("fields-http") / "index")
    return module_gunicorn(index, config=None, env={  # plain gunicorn, not Tolk's config
        "TOLK_API_KEY": "k", "TOLK_FREEDICT_DIR": "",
        "TOLK_FIELDS": DECLARED + ",summary:text"}).port


def http(port, method, path, body=None):
    headers = {"Authorization": "Bearer k"} if method != "GET" else None
    status, _, parsed = harness_request(port, method, path, body, headers, timeout=60)
    return status, parsed


def test_fields_over_http(fields_server):
    port = fields_server
    status, body = http(port, "POST", "/api/documents", {"documents": [
        {"id": "h-1", "language": "en", "source": "AP", "tags": ["war"], "priority": 7,
         "date": "2022-02-25T06:00:00-05:00", "summary": "Troops cross the river",
         "text": "Ukraine says troops crossed the river near Kyiv overnight."}]})
    assert status == 200, body
    q = urllib.parse.urlencode({"q": QUERY, "filter": "tags:war AND summary:troop",
                                "facets": "source,tags", "sort": "date:asc"})
    for _ in range(6):  # both workers see the write
        status, body = http(port, "GET", "/api/search?" + q)
        assert status == 200 and [h["id"] for h in body["hits"]] == ["h-1"]
        assert body["facets"]["source"] == {"AP": 1} and body["hits"][0]["priority"] == 7
    status, body = http(port, "GET", "/api/search?" + urllib.parse.urlencode(
        {"q": QUERY, "sort": "priority:desc", "limit": 2}))
    assert [h["id"] for h in body["hits"]] == ["h-1", "f-en-1"]
    status, body = http(port, "GET", "/api/search?q=x&filter=" + urllib.parse.quote("desk:(a"))
    assert status == 400 and body["code"] == "invalid_filter" and "position" in body["message"]
    status, body = http(port, "POST", "/api/documents", {"documents": [
        {"id": "h-2", "text": "Het kabinet valt.", "newsroom": "x"}]})
    assert status == 400 and "newsroom" in body["message"] and "TOLK_FIELDS" in body["message"]


def test_facets_follow_writes_and_deletes(fclient):
    auth = {"Authorization": "Bearer k"}
    before = search(fclient, facets="source,tags")["facets"]
    assert fclient.put("/api/documents/w-1", headers=auth, json={
        "language": "en", "source": "AP", "tags": ["war", "Aid"],
        "text": "Ukraine receives aid from the AP member states, officials said."}
    ).status_code == 200
    after = search(fclient, facets="source,tags")["facets"]
    assert after["source"]["AP"] == 1 and after["tags"]["war"] == before["tags"]["war"] + 1
    assert fclient.delete("/api/documents/f-en-1", headers=auth).status_code == 200
    gone = search(fclient, facets="source,tags", facet_size=100)["facets"]
    assert "BBC News" not in gone["source"] and gone["tags"]["war"] == before["tags"]["war"]
    assert "NATO" not in gone["tags"]
