"""The OpenSearch backend through the whole API, against osmem-server (an in-memory
emulator of the OpenSearch REST API, started here as a subprocess on a free port).

A small recording proxy sits between Tolk and the emulator: the tests assert the
requests Tolk sends (the structured query as DSL, both indexes, dfs, refresh) and can
make the "cluster" answer with an error. The emulator's relevance is not real (and it
cannot run Tolk's pattern tokenizer), so nothing here asserts a ranking, and hits are
asserted only for phrase queries, which the emulator matches with its own analysis.
"""

from __future__ import annotations

import base64
import http.client
import http.server
import json
import shutil
import subprocess
import threading
from urllib.parse import parse_qs, urlsplit

import pytest

from conftest import ROOT, assert_error, build_index, require

from harness import free_port  # scripts/reliability (conftest's path)

osmem_server = pytest.importorskip("osmem_server")
pytest.importorskip("opensearchpy")

from service import create_app  # noqa: E402

KEY = "test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}

DOCS = [
    {"id": "nl-1", "language": "nl", "date": "2022-02-24", "source": "NOS",
     "tags": ["Oorlog", "Rusland"],
     "text": "De NAVO overlegt. Russische troepen trekken Oekraïne binnen, zegt het kabinet."},
    {"id": "nl-2", "language": "nl", "date": "2022-03-02", "source": "NRC", "tags": ["Oorlog"],
     "text": "Het kabinet stuurt hulp. Russische troepen rukken op naar Kiev."},
    {"id": "en-1", "language": "en", "date": "2022-03-01", "source": "BBC", "tags": ["War"],
     "text": "NATO meets in Brussels. Russian troops advance on Kyiv, the cabinet says."},
]


class Recorder(http.server.BaseHTTPRequestHandler):
    """Forwards to the emulator; records each request; answers a queued fault instead."""

    protocol_version = "HTTP/1.1"
    upstream: tuple = ("127.0.0.1", 0)
    log: list = []
    faults: list = []  # (status, JSON body) answered instead of forwarding, oldest first

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        Recorder.log.append({"method": self.command, "path": url.path,
                             "params": {k: v[0] for k, v in parse_qs(url.query).items()},
                             "body": body,
                             "headers": {k.lower(): v for k, v in self.headers.items()}})
        if Recorder.faults:
            status, payload = Recorder.faults.pop(0)
            self._answer(status, json.dumps(payload).encode(), "application/json")
            return
        conn = http.client.HTTPConnection(*Recorder.upstream, timeout=30)
        try:
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("host", "connection")}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            response = conn.getresponse()
            data = response.read()
            self._answer(response.status, data, response.getheader("Content-Type") or "")
        finally:
            conn.close()

    def _answer(self, status, data: bytes, content_type: str):
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def cluster():
    """osmem-server on a free port, behind the recording proxy; yields the proxy URL."""
    server = osmem_server.OsmemServer.start(freeze=False)
    host, _, port = urlsplit(server.url).netloc.partition(":")
    Recorder.upstream = (host, int(port))
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{proxy.server_address[1]}"
    proxy.shutdown()
    proxy.server_close()
    server.close()


_counter = iter(range(10**6))


def os_app(cluster_url, tmp_path, **extra):
    app = create_app({"INDEX_DIR": str(tmp_path / "index"), "API_KEY": KEY, "FREEDICT_DIR": "",
                      "BACKEND": "opensearch", "OPENSEARCH_URL": cluster_url,
                      "OPENSEARCH_PREFIX": f"t{next(_counter)}-", **extra})
    app.config.update(TESTING=True)
    return app


@pytest.fixture(autouse=True)
def _no_faults_left():
    """A fault one test queued and did not use must not answer the next test's request."""
    Recorder.faults.clear()
    yield
    Recorder.faults.clear()


@pytest.fixture
def app(cluster, tmp_path):
    Recorder.log.clear()
    return os_app(cluster, tmp_path)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def filled(client):
    response = client.post("/api/documents", json={"documents": DOCS}, headers=AUTH)
    assert response.status_code == 200, response.get_json()
    Recorder.log.clear()
    return client


def prefix_of(client) -> str:
    return client.application.config["OPENSEARCH_PREFIX"]


def sent(method: str, path_part: str) -> list[dict]:
    return [r for r in Recorder.log if r["method"] == method and path_part in r["path"]]


# -- documents --------------------------------------------------------------------------

def test_write_creates_both_indexes_and_bulks_with_wait_for(client):
    response = client.post("/api/documents", json={"documents": DOCS}, headers=AUTH)
    assert response.status_code == 200, response.get_json()
    prefix = prefix_of(client)
    created = {r["path"]: json.loads(r["body"]) for r in sent("PUT", prefix)}
    # versioned indexes behind the aliases Tolk uses (a reindex switches the alias)
    assert set(created) == {f"/{prefix}nl-v1", f"/{prefix}en-v1"}
    for lang in ("nl", "en"):
        body = created[f"/{prefix}{lang}-v1"]
        assert body["aliases"] == {f"{prefix}{lang}": {}}
        analysis = body["settings"]["index"]["analysis"]
        assert f"tolk_{lang}" in analysis["analyzer"]  # the generated analysis
        props = body["mappings"]["properties"]
        assert props["body"]["analyzer"] == f"tolk_{lang}"
        assert props["x_tags"] == {"type": "keyword"}  # a declared field
    bulk = sent("POST", "/_bulk")
    assert len(bulk) == 1 and bulk[0]["params"]["refresh"] == "wait_for"
    lines = [json.loads(line) for line in bulk[0]["body"].decode().splitlines()]
    indexed = [(line["index"]["_index"], line["index"]["_id"]) for line in lines
               if "index" in line]
    assert indexed == [(f"{prefix}nl", "nl-1"), (f"{prefix}nl", "nl-2"), (f"{prefix}en", "en-1")]
    # an id lives in one language index: the other one's copy is deleted in the same request
    assert {"delete": {"_index": f"{prefix}en", "_id": "nl-1"}} in lines


def _cluster(url: str, method: str, path: str, body=None):
    """One request straight to the cluster (not through Tolk)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request(method, path, body=None if body is None else json.dumps(body),
                 headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, json.loads(data) if data else None


def test_a_switch_of_alias_moves_tolk_to_another_index(filled, cluster):
    """What a reindex on a cluster ends with: the alias points at a new index, Tolk follows."""
    from index.backends.opensearch import mapping
    from index.fields import active as active_fields

    prefix = prefix_of(filled)
    status, aliases = _cluster(cluster, "GET", f"/_alias/{prefix}nl")
    assert status == 200 and set(aliases) == {f"{prefix}nl-v1"}
    assert filled.get("/api/documents/nl-1").status_code == 200
    new = mapping.versioned_name(prefix, "nl", 2)
    status, _ = _cluster(cluster, "PUT", f"/{new}", mapping.index_body("nl", active_fields()))
    assert status == 200

    def switch(old, to):
        status, answer = _cluster(cluster, "POST", "/_aliases", {"actions": [
            {"remove": {"index": old, "alias": f"{prefix}nl"}},
            {"add": {"index": to, "alias": f"{prefix}nl"}}]})
        assert status == 200, answer

    switch(f"{prefix}nl-v1", new)  # the new index is empty: Tolk sees no Dutch document
    assert filled.get("/api/documents/nl-1").status_code == 404
    assert filled.get("/api/stats").get_json()["documents"]["nl"] == 0
    switch(new, f"{prefix}nl-v1")
    assert filled.get("/api/documents/nl-1").status_code == 200
    assert filled.get("/api/stats").get_json()["documents"] == {"nl": 2, "en": 1}


def test_read_your_writes_list_and_delete(filled):
    doc = filled.get("/api/documents/nl-1").get_json()
    assert doc["language"] == "nl" and doc["source"] == "NOS"
    assert doc["tags"] == ["Oorlog", "Rusland"]  # as given, not folded
    assert doc["original"].startswith("De NAVO") and doc["text"].startswith("De NAVO")

    first = filled.get("/api/documents?limit=2").get_json()
    assert [d["id"] for d in first["documents"]] == ["en-1", "nl-1"]
    assert first["total"] == 3 and first["next_cursor"]
    rest = filled.get(f"/api/documents?limit=2&cursor={first['next_cursor']}").get_json()
    assert [d["id"] for d in rest["documents"]] == ["nl-2"] and rest["next_cursor"] is None
    only_nl = filled.get("/api/documents?lang=nl").get_json()
    assert [d["id"] for d in only_nl["documents"]] == ["nl-1", "nl-2"]

    assert filled.delete("/api/documents/nl-2", headers=AUTH).get_json() == \
        {"id": "nl-2", "deleted": True}
    assert_error(filled.get("/api/documents/nl-2"), 404, "not_found")
    assert_error(filled.delete("/api/documents/nl-2", headers=AUTH), 404, "not_found")
    many = filled.delete("/api/documents?ids=nl-1,gone", headers=AUTH).get_json()
    assert many == {"deleted": 1, "ids": ["nl-1"], "not_found": ["gone"]}
    assert filled.get("/api/stats").get_json()["documents"] == {"nl": 0, "en": 1}


def test_language_change_moves_the_document(filled):
    response = filled.put("/api/documents/nl-2", headers=AUTH, json={
        "text": "The cabinet sends aid. Russian troops move on Kyiv.", "language": "en"})
    assert response.status_code == 200, response.get_json()
    assert filled.get("/api/documents/nl-2").get_json()["language"] == "en"
    assert filled.get("/api/stats").get_json()["documents"] == {"nl": 1, "en": 2}


def test_patch_and_delete_by_filter(filled):
    response = filled.patch("/api/documents/en-1", headers=AUTH, json={"source": "Reuters"})
    assert response.status_code == 200, response.get_json()
    assert filled.get("/api/documents/en-1").get_json()["source"] == "Reuters"
    listed = filled.get("/api/documents?filter=tags:oorlog").get_json()
    assert [d["id"] for d in listed["documents"]] == ["nl-1", "nl-2"]
    gone = filled.delete("/api/documents?filter=source:reuters", headers=AUTH).get_json()
    assert gone["ids"] == ["en-1"]


def test_invalid_documents_never_reach_the_cluster(client):
    response = client.post("/api/documents", headers=AUTH,
                           json={"documents": [{"id": "bad id!", "text": "x"}]})
    assert_error(response, 400)
    assert not sent("POST", "/_bulk")


# -- search -----------------------------------------------------------------------------

def _search_request() -> dict:
    searches = sent("POST", "/_search")
    assert searches, Recorder.log
    return searches[-1]


def test_search_sends_synonym_sets_to_both_indexes_with_dfs(filled):
    prefix = prefix_of(filled)
    response = filled.get("/api/search?q=NAVO+troepen")
    assert response.status_code == 200, response.get_json()
    request = _search_request()
    assert request["path"] == f"/{prefix}nl,{prefix}en/_search"
    assert request["params"]["search_type"] == "dfs_query_then_fetch"
    body = json.loads(request["body"])
    per_language = body["query"]["bool"]["should"]
    assert body["query"]["bool"]["minimum_should_match"] == 1
    languages = [c["bool"]["filter"][0]["term"]["language"] for c in per_language]
    assert languages == ["nl", "en"]

    def term_sets(clause):
        """Each synonym set of a language clause: {field: {term: boost}}."""
        words = clause["bool"]["must"][0]["bool"]["should"]
        out = []
        for word in words:
            fields = {}
            for per_field in word["bool"]["should"]:
                queries = per_field["dis_max"]["queries"]
                (name,) = {next(iter(q["term"])) for q in queries}
                fields[name] = ({t for q in queries for t in [q["term"][name]["value"]]},
                                per_field["dis_max"]["boost"])
            out.append(fields)
        return out

    nl_sets, en_sets = (term_sets(c) for c in per_language)
    assert [s["body"][0] for s in nl_sets][0] == {"navo"}
    assert "nato" in en_sets[0]["body"][0]  # NAVO's cross-link (curated) in the English index
    assert en_sets[0]["title"][1] > en_sets[0]["body"][1]  # title boosted over body
    assert nl_sets[1]["body"][0] == {"troep"}  # analysed by Tolk (stemmed)
    assert body["post_filter"] == {"terms": {"language": ["nl", "en"]}}
    assert body["track_total_hits"] is True
    assert body["highlight"]["pre_tags"] == ["<mark>"]


def test_phrases_exclusions_filters_and_sort_translate(filled):
    response = filled.get('/api/search?q="Russische+troepen"+-Kiev&filter=source:NOS+OR+'
                          'tags:oorlog&sort=date:asc&date_from=2022-02')
    assert response.status_code == 200, response.get_json()
    body = json.loads(_search_request()["body"])
    nl = body["query"]["bool"]["should"][0]["bool"]["must"][0]["bool"]
    phrase = nl["should"][0]["bool"]["should"][0]
    assert phrase == {"match_phrase": {"title": {"query": "Russische troepen", "boost": 1.5}}}
    excluded = nl["must_not"][0]["bool"]["should"][1]["dis_max"]["queries"]
    assert {"term": {"body": {"value": "kiev", "boost": 1.0}}} in excluded
    filters = body["query"]["bool"]["filter"]
    assert {"range": {"date_end": {"gte": "2022-02-01"}}} in filters
    assert {"bool": {"should": [{"term": {"source_key": "nos"}}, {"term": {"x_tags": "oorlog"}}],
                     "minimum_should_match": 1}} in filters
    assert body["sort"][0] == {"date_start": {"order": "asc", "missing": "_last"}}


def test_hits_snippets_and_facets_are_mapped(filled):
    # a phrase: the emulator matches it with its own analysis (term queries need Tolk's)
    result = filled.get('/api/search?q="Russische+troepen"&facets=language,month,source,tags'
                        ).get_json()
    assert result["total"] == 2
    assert {h["id"] for h in result["hits"]} == {"nl-1", "nl-2"}
    hit = next(h for h in result["hits"] if h["id"] == "nl-1")
    assert hit["language"] == "nl" and hit["source"] == "NOS" and hit["date"] == "2022-02-24"
    assert hit["tags"] == ["Oorlog", "Rusland"]
    assert "<mark>" in hit["snippet"]  # OpenSearch's highlighter
    assert isinstance(hit["score"], float)
    facets = result["facets"]
    assert facets["language"] == {"nl": 2, "en": 0}
    assert facets["month"] == {"2022-03": 1, "2022-02": 1}
    assert facets["source"] == {"nos": 1, "nrc": 1}
    assert facets["tags"] == {"oorlog": 2, "rusland": 1}

    only_en = filled.get('/api/search?q="Russische+troepen"&lang=en').get_json()
    assert only_en["total"] == 0 and only_en["hits"] == []
    assert only_en["facets"]["language"] == {"nl": 2, "en": 0}  # counts both, as Whoosh does


def test_paging_is_passed_through(filled):
    filled.get('/api/search?q="Russische+troepen"&limit=1&offset=1')
    body = json.loads(_search_request()["body"])
    assert (body["from"], body["size"]) == (1, 1)


def test_bad_filters_sorts_and_facets_are_400_before_the_cluster(filled):
    assert_error(filled.get("/api/search?q=x&filter=nope:1"), 400, "invalid_filter")
    assert_error(filled.get("/api/search?q=x&sort=title"), 400, "invalid_sort")
    assert_error(filled.get("/api/search?q=x&facets=nope"), 400, "invalid_facets")
    assert_error(filled.get("/api/search?q=a+AND+(b"), 400, "query_syntax")
    assert not sent("POST", "/_search")


def test_stats_and_health(filled):
    stats = filled.get("/api/stats").get_json()
    assert stats["backend"] == "opensearch"
    assert stats["documents"] == {"nl": 2, "en": 1}
    assert stats["lexicon_pairs"]["curated"] > 0
    health = filled.get("/api/health")
    assert health.status_code == 200 and health.get_json()["documents"] == {"nl": 2, "en": 1}


def test_suggest_answers_in_the_api_shape(filled):
    response = filled.get("/api/suggest?q=russische+tr")
    assert response.status_code == 200
    body = json.loads(_search_request()["body"])
    assert body["query"] == {"prefix": {"spell": "tr"}}
    assert response.get_json()["query"] == "russische tr"


# -- errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("status,code", [(500, "backend_unavailable"), (503, "backend_unavailable"),
                                         (429, "backend_unavailable"),
                                         (401, "backend_unavailable"),
                                         (400, "backend_rejected")])
def test_cluster_errors_map_to_json_errors(filled, status, code):
    fault = (status, {"error": {"type": "x", "reason": "the reason",
                                "root_cause": [{"reason": "the reason"}]}, "status": status})
    retried = status in (502, 503, 504)  # the client retries these once, nothing else
    Recorder.faults.extend([fault] * (2 if retried else 1))
    body = assert_error(filled.get("/api/search?q=NAVO"), 503 if status != 400 else 400, code)
    assert Recorder.faults == []  # each queued fault answered one request, none left over
    assert "Traceback" not in json.dumps(body)
    if status == 400:
        assert "the reason" in body["message"]
    if status == 401:
        assert "TOLK_OPENSEARCH_USER" in body["message"]


def test_partly_failed_bulk_is_refused_not_half_reported(filled):
    prefix = prefix_of(filled)
    Recorder.faults.append((200, {"errors": True, "took": 1, "items": [
        {"delete": {"_index": f"{prefix}en", "_id": "x", "status": 404}},
        {"index": {"_index": f"{prefix}nl", "_id": "x", "status": 400, "error": {
            "type": "mapper_parsing_exception", "reason": "failed to parse"}}}]}))
    body = assert_error(filled.put("/api/documents/x", headers=AUTH,
                                   json={"text": "Het kabinet overlegt.", "language": "nl"}),
                        400, "backend_rejected")
    assert "failed to parse" in body["message"]


def test_cluster_down_is_503_for_every_endpoint(tmp_path):
    app = os_app(f"http://127.0.0.1:{free_port()}", tmp_path, OPENSEARCH_TIMEOUT=2.0)
    client = app.test_client()
    for response in (client.get("/api/search?q=NAVO"), client.get("/api/documents/a"),
                     client.get("/api/documents"), client.get("/api/stats"),
                     client.get("/api/health"), client.get("/api/suggest?q=na"),
                     client.put("/api/documents/a", headers=AUTH,
                                json={"text": "Het kabinet overlegt.", "language": "nl"}),
                     client.delete("/api/documents/a", headers=AUTH)):
        body = assert_error(response, 503)
        assert "TOLK_OPENSEARCH_URL" in body["message"]
        if body["code"] != "not_ready":  # /api/health says not_ready, with the reason
            assert body["code"] == "backend_unavailable"
            assert response.headers["Retry-After"] == "5"


def test_credentials_are_sent_as_basic_auth(cluster, tmp_path):
    Recorder.log.clear()
    client = os_app(cluster, tmp_path, OPENSEARCH_USER="tolk",
                    OPENSEARCH_PASSWORD="s3cret").test_client()
    assert client.get("/api/stats").status_code == 200
    expected = "Basic " + base64.b64encode(b"tolk:s3cret").decode()
    assert Recorder.log and all(r["headers"].get("authorization") == expected
                                for r in Recorder.log)


def test_unknown_backend_setting_stops_the_start(tmp_path):
    from service.settings import SettingError

    with pytest.raises(SettingError, match="TOLK_BACKEND"):
        create_app({"INDEX_DIR": str(tmp_path), "BACKEND": "solr"})


# -- under gunicorn ---------------------------------------------------------------------

def test_under_gunicorn_writes_are_seen_by_every_worker(cluster, tmp_path, gunicorn):
    server = gunicorn(tmp_path / "index", workers=2, log_dir=tmp_path, env={
        "TOLK_API_KEY": KEY, "TOLK_BACKEND": "opensearch", "TOLK_OPENSEARCH_URL": cluster,
        "TOLK_OPENSEARCH_PREFIX": f"g{next(_counter)}-"})
    status, _, body = server.request("POST", "/api/documents", {"documents": DOCS}, AUTH)
    assert status == 200, body
    for _ in range(6):  # several connections: both workers answer
        status, _, body = server.request("GET", "/api/documents/en-1")
        assert status == 200 and body["source"] == "BBC"
        status, _, body = server.request("GET", "/api/search?q=%22Russian+troops%22")
        assert status == 200 and "en-1" in [h["id"] for h in body["hits"]]


# -- export -----------------------------------------------------------------------------

def test_export_loads_into_a_cluster_with_its_readme_commands(cluster, tmp_path, runner):
    require(shutil.which("curl") is not None, "curl")
    index_dir = build_index(tmp_path / "index", ROOT / "seeds")
    out = tmp_path / "export"
    result = runner(["export", "--opensearch", out, "--index-dir", index_dir, "--prefix", "ex-"])
    assert result.exit_code == 0, result.stderr
    assert "README.txt" in result.output
    files = sorted(p.name for p in out.iterdir())
    assert {"template-nl.json", "template-en.json", "index-nl.json", "index-en.json",
            "README.txt"} <= set(files)
    assert any(name.startswith("bulk-nl-") for name in files)

    # run the README's steps 1 (templates) and 2 (the _bulk loop) as written
    readme = (out / "README.txt").read_text()
    steps = readme[readme.index("  # 1."):readme.index("  # 3.")]
    assert "_index_template/ex-nl" in steps
    script = f"set -e\ncd {out}\nURL={cluster}\n{steps}"
    done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "failed" not in done.stdout, done.stdout + done.stderr

    client = os_app(cluster, tmp_path, INDEX_DIR=str(index_dir), OPENSEARCH_PREFIX="ex-"
                    ).test_client()
    from index.storage import IndexReader
    from service.lexicon import load_lexicon

    reader = IndexReader(index_dir)
    stats = client.get("/api/stats").get_json()
    assert stats["documents"] == reader.counts()
    # the exported index's lexicon expands queries (FREEDICT_DIR is empty for the app)
    reader.set_lexicon_loader(load_lexicon)
    assert stats["lexicon_pairs"] == reader.lexicon().stats()
    some = reader.list_documents("", 1, languages=["nl"])[0]
    got = client.get(f"/api/documents/{some['id']}").get_json()
    assert got["text"] == some["body"] and got["original"] == some["original"]


def test_live_and_ready_ask_the_cluster(filled, tmp_path):
    assert filled.get("/api/health/live").get_json()["ready"] is True
    ready = filled.get("/api/health/ready")
    assert ready.status_code == 200, ready.get_json()
    assert ready.get_json()["documents"] == {"nl": 2, "en": 1}
    down = os_app(f"http://127.0.0.1:{free_port()}", tmp_path, OPENSEARCH_TIMEOUT=2.0)
    body = assert_error(down.test_client().get("/api/health/ready"), 503, "not_ready")
    assert "TOLK_OPENSEARCH_URL" in body["message"]


def test_search_page_and_document_page(filled):
    page = filled.get('/?q="Russische+troepen"')
    assert page.status_code == 200 and "nl-1" in page.get_data(as_text=True)
    doc = filled.get("/doc/nl-1?q=NAVO")
    assert doc.status_code == 200 and "Russische troepen" in doc.get_data(as_text=True)
    assert filled.get("/doc/nope").status_code == 404


def test_metrics_report_the_cluster(filled, tmp_path):
    text = filled.get("/metrics").get_data(as_text=True)
    assert "tolk_index_up 1.0" in text
    assert 'tolk_documents{language="nl"} 2.0' in text
    down = os_app(f"http://127.0.0.1:{free_port()}", tmp_path, OPENSEARCH_TIMEOUT=2.0)
    text = down.test_client().get("/metrics").get_data(as_text=True)
    assert "tolk_index_up 0.0" in text


def test_big_batches_are_split_and_long_texts_highlighted(client, monkeypatch):
    from index.backends.opensearch import backend as os_backend

    monkeypatch.setattr(os_backend, "BULK_BYTES", 30_000)
    words = "Het kabinet overlegt over de steun aan Oekraïne en de NAVO. " * 400  # ~24 kB
    docs = [{"id": f"long-{i}", "language": "nl", "text": words + f"Slot {i}."}
            for i in range(3)]
    response = client.post("/api/documents", json={"documents": docs}, headers=AUTH)
    assert response.status_code == 200, response.get_json()
    bulks = sent("POST", "/_bulk")
    assert len(bulks) == 3 and all(len(b["body"]) < 2 * 30_000 for b in bulks)
    assert client.get("/api/stats").get_json()["documents"]["nl"] == 3
    result = client.get('/api/search?q="kabinet+overlegt"').get_json()
    assert result["total"] == 3
    body = json.loads(_search_request()["body"])
    assert body["highlight"]["max_analyzer_offset"] == 200_000
    assert all(len(h["snippet"]) < 1000 for h in result["hits"])


def test_the_snowball_name_is_chosen_by_asking_the_cluster(client):
    response = client.put("/api/documents/a", headers=AUTH,
                          json={"text": "Het kabinet overlegt.", "language": "nl"})
    assert response.status_code == 200, response.get_json()
    probes = [json.loads(r["body"]) for r in sent("POST", "/_analyze")]
    asked = {p["filter"][0]["language"] for p in probes}
    assert "English" in asked and asked & {"Dutch", "Kp", "Dutch_porter"}
    created = {r["path"]: json.loads(r["body"]) for r in sent("PUT", prefix_of(client))}
    for body in created.values():
        filters = body["settings"]["index"]["analysis"]["filter"]
        names = {f["language"] for f in filters.values() if f.get("type") == "snowball"}
        assert names and names <= asked  # a name the cluster accepted


def test_a_patch_is_computed_again_when_the_document_changed_meanwhile(filled):
    """write_computed reads, computes and writes only if nothing changed since (if_seq_no);
    here another write lands between the read and the write of the first attempt."""
    from dataclasses import replace

    from index.ingest.patch import stored_raw

    engine = filled.application.extensions["tolk_backend"]
    runs = []

    def compute():
        stored = engine.get("nl-1")
        runs.append(stored["source"])
        if len(runs) == 1:  # another request (another thread) writes the document now
            answers = []
            writer = threading.Thread(target=lambda: answers.append(filled.patch(
                "/api/documents/nl-1", headers=AUTH, json={"source": "ANP"}).status_code))
            writer.start()
            writer.join()
            assert answers == [200]
        raw = stored_raw(stored)
        with filled.application.app_context():
            from service.documents_api import _languages
            from index.ingest.documents import prepare

            doc = prepare(replace(raw, url="https://example.test/1"), _languages())
        return [doc]

    with filled.application.test_request_context():
        engine.write_computed(compute)
    assert runs == ["NOS", "ANP"]  # computed again on the newer document
    stored = filled.get("/api/documents/nl-1").get_json()
    assert stored["source"] == "ANP" and stored["url"] == "https://example.test/1"
    bulk = json.loads(sent("POST", "/_bulk")[-1]["body"].decode().splitlines()[-2])
    assert "if_seq_no" in bulk["index"] and "if_primary_term" in bulk["index"]
