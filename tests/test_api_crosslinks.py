"""Cross-links users correct at run time: ``/api/crosslinks``, ``tolk lexicon add|block|remove|
edits``, stored with the index (commit point, rebuilds, kill -9) and applied by every worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import ROOT, assert_error, copy_index
from index.crosslink import user_links
from index.storage.commit import read_commit_file
from index.storage.generations import USER_LINKS_FILE, current_generation
from service import create_app

KEY = "test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
KERK = "De oude kerk in het centrum van Zwolle wordt dit jaar gerestaureerd door de gemeente."
FED = "De Federatieraad van Rusland stemde dinsdag in met het nieuwe verdrag over de grens."
DOCS = [{"id": "kerk-1", "language": "nl", "text": KERK},
        {"id": "fed-1", "language": "nl", "text": FED}]


@pytest.fixture
def xclient(write_client):
    """A client on a private index holding the two Dutch documents above."""
    response = write_client.post("/api/documents", json={"documents": DOCS}, headers=AUTH)
    assert response.status_code == 200, response.get_data(as_text=True)
    return write_client


def hits(client, q: str) -> dict:
    """``{id: crosslinks}`` of a search for ``q``."""
    body = client.get("/api/search", query_string={"q": q, "limit": 20}).get_json()
    return {hit["id"]: hit["crosslinks"] for hit in body["hits"]}


def put(client, body, headers=AUTH):
    return client.put("/api/crosslinks", json=body, headers=headers)


def links(client, word: str) -> dict:
    """``{(from, term, target): row}`` of the lookup of ``word``."""
    body = client.get("/api/crosslinks/lookup", query_string={"word": word}).get_json()
    return {(row["from"], row["term"], row["target"]): row for row in body["links"]}


# -- applied without a rebuild ---------------------------------------------------------


def test_an_added_link_finds_the_document_at_once_with_source_user(xclient):
    assert "fed-1" not in hits(xclient, "senate")
    response = put(xclient, {"nl": "Federatieraad", "en": "senate", "weight": 0.9})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["nl_term"], body["en_term"], body["weight"], body["block"], body["created"]) \
        == ("federatieraad", "senat", 0.9, False, True)
    found = hits(xclient, "senate")
    assert found["fed-1"] == [{"query": "senate", "matched": "Federatieraad",
                               "source": "user"}]


def test_a_block_removes_a_dictionary_link_from_expansions_and_hits(xclient):
    assert hits(xclient, "kirk")["kerk-1"][0]["source"] not in ("user", None)
    assert ("en", "kirk", "kerk") in links(xclient, "kirk")
    response = put(xclient, {"nl": "kerk", "en": "kirk", "block": True})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["weight"] is None
    assert "kerk-1" not in hits(xclient, "kirk")
    assert ("en", "kirk", "kerk") not in links(xclient, "kirk")
    # Every form that analyzes to the same term is blocked: "kerken" is kerk.
    assert ("nl", "kerk", "kirk") not in links(xclient, "kerken")
    body = xclient.get("/api/crosslinks/lookup", query_string={"word": "kerken"}).get_json()
    assert [(b["nl_term"], b["en_term"]) for b in body["blocked"]] == [("kerk", "kirk")]
    # The other links of the word stay.
    assert hits(xclient, "church")["kerk-1"][0]["source"] not in ("user", None)
    # Removing the block lets the dictionary's link apply again.
    response = xclient.delete("/api/crosslinks", json={"nl": "kerk", "en": "kirk"},
                              headers=AUTH)
    assert response.status_code == 200 and response.get_json()["deleted"] is True
    assert hits(xclient, "kirk")["kerk-1"][0]["source"] not in ("user", None)


def test_a_reweight_replaces_the_weight_and_keeps_the_other_sources(xclient):
    before = links(xclient, "kerk")[("nl", "kerk", "church")]
    assert before["source"] not in ("user", None) and before["weight"] < 0.9
    assert put(xclient, {"nl": "Kerk", "en": "churches", "weight": 0.95}).status_code == 200
    row = links(xclient, "kerk")[("nl", "kerk", "church")]
    assert (row["weight"], row["source"]) == (0.95, "user")
    assert "user" in row["sources"] and len(set(row["sources"])) >= 2  # the others stay
    ranked = [key[2] for key in links(xclient, "kerk") if key[:2] == ("nl", "kerk")]
    assert ranked[0] == "church"  # best first
    assert hits(xclient, "church")["kerk-1"][0]["source"] == "user"
    # The same pair again replaces the edit (one edit per pair).
    body = put(xclient, {"nl": "kerken", "en": "church", "weight": 0.5}).get_json()
    assert (body["created"], body["weight"]) == (False, 0.5)
    assert links(xclient, "kerk")[("nl", "kerk", "church")]["weight"] == 0.5
    # Deleting the edit gives the pair its dictionary weight back.
    response = xclient.delete("/api/crosslinks", query_string={"nl": "kerk", "en": "church"},
                              headers=AUTH)
    assert response.status_code == 200
    assert links(xclient, "kerk")[("nl", "kerk", "church")] == before


def test_a_link_turned_into_a_block_and_back(xclient):
    put(xclient, {"nl": "Federatieraad", "en": "senate", "weight": 0.8})
    put(xclient, {"nl": "Federatieraad", "en": "senate", "block": True})
    assert "fed-1" not in hits(xclient, "senate")
    put(xclient, {"nl": "Federatieraad", "en": "senate"})
    assert hits(xclient, "senate")["fed-1"][0]["source"] == "user"
    assert links(xclient, "senate")[("en", "senat", "federatieraad")]["weight"] == 1.0


# -- listing -----------------------------------------------------------------------------


def test_list_pages_with_a_cursor_and_filters_by_term_language_and_kind(xclient):
    pairs = [("kerk", "chapel"), ("kerk", "kirk"), ("oorlog", "war"), ("vrede", "peace"),
             ("Federatieraad", "Federation Council")]
    for nl, en in pairs:
        body = {"nl": nl, "en": en, "block": True} if en == "kirk" else {"nl": nl, "en": en}
        assert put(xclient, body).status_code == 200
    seen, cursor = [], None
    for _ in range(10):
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = xclient.get("/api/crosslinks", query_string=query).get_json()
        assert body["total"] == 5
        seen += [(e["nl_term"], e["en_term"]) for e in body["crosslinks"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == 5
    listed = xclient.get("/api/crosslinks", query_string={"term": "kerken"}).get_json()
    assert [e["en"] for e in listed["crosslinks"]] == ["chapel", "kirk"]
    assert xclient.get("/api/crosslinks", query_string={"term": "kerk", "lang": "en"}
                       ).get_json()["total"] == 0
    blocks = xclient.get("/api/crosslinks", query_string={"kind": "block"}).get_json()
    assert [(e["nl"], e["en"], e["block"]) for e in blocks["crosslinks"]] == [
        ("kerk", "kirk", True)]
    council = xclient.get("/api/crosslinks", query_string={"term": "council"}).get_json()
    assert [e["nl"] for e in council["crosslinks"]] == ["Federatieraad"]


# -- errors -----------------------------------------------------------------------------


@pytest.mark.parametrize("body, field", [
    ({"en": "church"}, "nl"),
    ({"nl": "kerk", "en": ""}, "en"),
    ({"nl": "kerk", "en": "church", "weight": 0}, "weight"),
    ({"nl": "kerk", "en": "church", "weight": 1.5}, "weight"),
    ({"nl": "kerk", "en": "church", "weight": "veel"}, "weight"),
    ({"nl": "kerk", "en": "church", "weight": 0.5, "block": True}, "weight"),
    ({"nl": "kerk", "en": "church", "colour": "red"}, "colour"),
    ({"nl": "de", "en": "church"}, "nl"),  # a stopword: no index term
    ({"nl": "kerk", "en": "." * 150}, "en"),  # no letters
    ({"nl": "kerk", "en": "x" * 201}, "en"),
    ({"nl": "kerk", "en": "one two three four five six seven"}, "en"),
    ({"nl": ["kerk"], "en": "church"}, "nl"),
])
def test_an_invalid_edit_is_a_422_naming_the_field(xclient, body, field):
    error = assert_error(put(xclient, body), 422, "invalid_crosslink")
    assert field in error["errors"], error


def test_invisible_characters_and_nfd_are_the_same_pair(xclient):
    body = put(xclient, {"nl": "ke\u200brk", "en": "chu\u0301rch", "weight": 0.7}).get_json()
    assert body["nl"] == "kerk" and body["nl_term"] == "kerk"
    again = put(xclient, {"nl": "kerk", "en": "chúrch", "weight": 0.6}).get_json()
    assert again["created"] is False


def test_keys_not_found_and_bad_bodies(xclient, writable_index):
    assert_error(put(xclient, {"nl": "kerk", "en": "church"}, headers={}), 401)
    assert_error(put(xclient, {"nl": "kerk", "en": "church"},
                     headers={"Authorization": "Bearer wrong"}), 401)
    assert_error(xclient.delete("/api/crosslinks", json={"nl": "kerk", "en": "church"}), 401)
    error = assert_error(xclient.delete("/api/crosslinks", json={"nl": "kerk", "en": "church"},
                                        headers=AUTH), 404, "not_found")
    assert "GET /api/crosslinks" in error["message"]
    assert_error(xclient.delete("/api/crosslinks", headers=AUTH), 422, "invalid_crosslink")
    assert_error(xclient.delete("/api/crosslinks", query_string={"nl": "kerk"},
                                json={"nl": "kerk", "en": "church"}, headers=AUTH), 422)
    assert_error(xclient.put("/api/crosslinks", data="nl=kerk", headers=AUTH), 415)
    assert_error(xclient.put("/api/crosslinks", data="{", headers=AUTH,
                             content_type="application/json"), 400, "invalid_json")
    assert_error(put(xclient, ["kerk", "church"]), 422, "invalid_crosslink")
    assert_error(xclient.get("/api/crosslinks", query_string={"cursor": "%%%"}), 400,
                 "invalid_cursor")
    assert_error(xclient.get("/api/crosslinks", query_string={"limit": 0}), 400)
    assert_error(xclient.get("/api/crosslinks/lookup"), 400)
    # Writes off (no admin key): 403; a read key may read but not write.
    app = create_app({"INDEX_DIR": str(writable_index), "API_KEY": "",
                      "READ_KEYS": "reader"})
    client = app.test_client()
    assert_error(client.put("/api/crosslinks", json={"nl": "kerk", "en": "church"},
                            headers={"Authorization": "Bearer reader"}), 403)
    assert_error(client.get("/api/crosslinks"), 401)
    assert client.get("/api/crosslinks", headers={"Authorization": "Bearer reader"}
                      ).status_code == 200


def test_openapi_describes_the_crosslink_routes(client):
    spec = client.get("/api/openapi.json").get_json()
    assert set(spec["paths"]["/api/crosslinks"]) == {"get", "put", "delete"}
    put_op = spec["paths"]["/api/crosslinks"]["put"]
    assert {"401", "403", "422"} <= set(put_op["responses"])
    assert put_op["security"] == [{"bearerAuth": []}]
    assert "get" in spec["paths"]["/api/crosslinks/lookup"]


# -- stored with the index ----------------------------------------------------------------


def test_an_edit_is_named_in_the_commit_point_and_checks_clean(xclient, writable_index, runner):
    put(xclient, {"nl": "Federatieraad", "en": "senate", "weight": 0.9})
    generation = current_generation(writable_index)
    commit = read_commit_file(generation)
    entry = commit["files"][USER_LINKS_FILE]
    assert entry["size"] == (generation / USER_LINKS_FILE).stat().st_size
    result = runner(["check", "--index-dir", writable_index])
    assert result.exit_code == 0, result.output + result.stderr


def test_edits_are_carried_over_by_a_rebuild_and_a_reindex(xclient, writable_index, runner):
    put(xclient, {"nl": "Federatieraad", "en": "senate", "weight": 0.9})
    put(xclient, {"nl": "kerk", "en": "kirk", "block": True})
    before = current_generation(writable_index)
    result = runner(["reindex", "--index-dir", writable_index, "--quiet"],
                    env={"TOLK_FREEDICT_DIR": ""})
    assert result.exit_code == 0, result.stderr
    assert current_generation(writable_index) != before
    assert "cross-link edits kept: 2" in result.output
    app = create_app({"INDEX_DIR": str(writable_index), "API_KEY": KEY})
    client = app.test_client()
    assert hits(client, "senate")["fed-1"][0]["source"] == "user"
    assert "kerk-1" not in hits(client, "kirk")
    result = runner(["index", "--rebuild", "--quiet", "--index-dir", writable_index,
                     ROOT / "seeds"], env={"TOLK_FREEDICT_DIR": ""})
    assert result.exit_code == 0, result.stderr
    edits = user_links.read_edits(current_generation(writable_index) / USER_LINKS_FILE)
    assert sorted(edits) == [("federatieraad", "senat"), ("kerk", "kirk")]


def test_an_unreadable_edits_file_stops_a_rebuild_with_what_to_do(xclient, writable_index,
                                                                   runner):
    put(xclient, {"nl": "kerk", "en": "kirk", "block": True})
    (current_generation(writable_index) / USER_LINKS_FILE).write_text('{"edits": [', "utf-8")
    before = current_generation(writable_index)
    result = runner(["reindex", "--index-dir", writable_index, "--quiet"],
                    env={"TOLK_FREEDICT_DIR": ""})
    assert result.exit_code == 2
    assert "cross-link edits" in result.stderr and "restore it" in result.stderr
    assert "Traceback" not in result.stderr
    assert current_generation(writable_index) == before


def test_a_truncated_edits_file_is_a_503_naming_it_never_a_500(xclient, writable_index,
                                                                 runner):
    put(xclient, {"nl": "kerk", "en": "kirk", "block": True})
    path = current_generation(writable_index) / USER_LINKS_FILE
    path.write_bytes(path.read_bytes()[:20])
    client = create_app({"INDEX_DIR": str(writable_index), "API_KEY": KEY}).test_client()
    error = assert_error(client.get("/api/search", query_string={"q": "kirk"}), 503)
    assert USER_LINKS_FILE in error["message"]
    assert_error(put(client, {"nl": "kerk", "en": "church"}), 503)
    result = runner(["check", "--index-dir", writable_index])
    assert result.exit_code != 0 and USER_LINKS_FILE in result.output + result.stderr


KILLER = textwrap.dedent("""
    import os, signal, sys
    import index.storage.commit as commit
    from index.crosslink import user_links

    def killed(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    if sys.argv[2] == "before-publish":
        commit.publish = killed
    edit = user_links.make_edit("Federatieraad", "senate", 0.7)
    user_links.store_edit(sys.argv[1], edit, 10)
    os.kill(os.getpid(), signal.SIGKILL)  # after the acknowledgement, before anything else
""")


def _killed_edit(index_dir: Path, when: str) -> None:
    proc = subprocess.run([sys.executable, "-c", KILLER, str(index_dir), when], cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
                          timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()


@pytest.mark.parametrize("when", ["before-publish", "after-publish"])
def test_kill9_between_the_phases_leaves_a_healthy_index_and_keeps_acknowledged_edits(
        xclient, writable_index, runner, when):
    assert put(xclient, {"nl": "kerk", "en": "kirk", "block": True}).status_code == 200
    _killed_edit(writable_index, when)
    # Whatever the moment, the index opens and checks clean, and the acknowledged edit is kept.
    result = runner(["check", "--index-dir", writable_index])
    assert result.exit_code == 0, result.output + result.stderr
    client = create_app({"INDEX_DIR": str(writable_index), "API_KEY": KEY,
                         "FREEDICT_DIR": ""}).test_client()
    assert client.get("/api/health/ready").status_code == 200
    assert "kerk-1" not in hits(client, "kirk")
    if when == "after-publish":  # acknowledged: never lost
        assert hits(client, "senate")["fed-1"][0]["source"] == "user"
    # The next edit goes through and is published.
    assert put(client, {"nl": "vrede", "en": "peace"}).status_code == 200
    edits = user_links.read_edits(current_generation(writable_index) / USER_LINKS_FILE)
    assert ("vrede", "peac") in edits and ("kerk", "kirk") in edits
    assert runner(["check", "--index-dir", writable_index]).exit_code == 0


# -- the CLI -------------------------------------------------------------------------------


def test_cli_add_block_remove_edits_and_lookup(xclient, writable_index, runner):
    index = ["--index-dir", writable_index]
    result = runner(["lexicon", "add", "Federatieraad", "senate", "--weight", "0.8", *index])
    assert result.exit_code == 0 and "searches use it now" in result.output
    assert runner(["lexicon", "block", "kerk", "kirk", *index]).exit_code == 0
    assert hits(xclient, "senate")["fed-1"][0]["source"] == "user"  # the server sees it
    assert "kerk-1" not in hits(xclient, "kirk")
    listed = runner(["lexicon", "edits", "--json", *index])
    assert [(e["nl_term"], e["en_term"], e["weight"], e["block"])
            for e in json.loads(listed.output)] == [("federatieraad", "senat", 0.8, False),
                                                      ("kerk", "kirk", None, True)]
    lookup = runner(["lexicon", "lookup", "kerken", *index])
    assert "blocked by a user: nl 'kerk' -- en 'kirk'" in lookup.output
    assert "'kirk'" not in lookup.output.split("blocked by a user")[0]
    lookup = runner(["lexicon", "lookup", "Federatieraad", *index])
    assert "'senat'" in lookup.output and "from user" in lookup.output
    assert runner(["lexicon", "remove", "kerk", "kirk", *index]).exit_code == 0
    assert hits(xclient, "kirk")["kerk-1"][0]["source"] not in ("user", None)


@pytest.mark.parametrize("argv, expected", [
    (["lexicon", "add", "kerk", "church", "--weight", "2"], "weight must be greater than 0"),
    (["lexicon", "add", "de", "the"], "no index term"),
    (["lexicon", "remove", "kerk", "church"], "`tolk lexicon edits` lists them"),
])
def test_cli_errors_are_one_line_with_what_to_do(writable_index, runner, argv, expected):
    result = runner([*argv, "--index-dir", writable_index])
    assert result.exit_code == 2
    assert expected in result.stderr and result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_cli_without_an_index_says_how_to_build_one(tmp_path, runner):
    result = runner(["lexicon", "add", "kerk", "church", "--index-dir", tmp_path / "none"])
    assert result.exit_code == 2 and "tolk index --index-dir" in result.stderr
    assert not (tmp_path / "none").exists()


# -- every gunicorn worker applies an edit --------------------------------------------------


def test_every_gunicorn_worker_applies_an_edit_at_its_next_search(seed_index, tmp_path,
                                                                  gunicorn):
    workers = 3
    server = gunicorn(copy_index(seed_index, tmp_path / "index"), workers=workers,
                      log_dir=tmp_path, env={"TOLK_API_KEY": KEY})
    status, _, body = server.request("POST", "/api/documents", {"documents": DOCS}, AUTH)
    assert status == 200, body

    def search(q):
        status, _, body = server.request("GET", f"/api/search?q={q}")
        assert status == 200, body
        return {hit["id"]: hit["crosslinks"] for hit in body["hits"]}

    def ready_pairs():
        """{pid: lexicon pairs} of the workers, asked until every worker answered."""
        seen = {}
        with ThreadPoolExecutor(6) as pool:
            for _ in range(40):
                for status, _, body in pool.map(
                        lambda _: server.request("GET", "/api/health/ready"), range(6)):
                    assert status == 200, body
                    seen[body["pid"]] = body["lexicon_pairs"]
                if len(seen) == workers:
                    return seen
        pytest.skip("not every worker answered")  # the OS balanced them unevenly

    # Every worker has loaded the lexicon before the edit.
    before = ready_pairs()
    assert len(set(before.values())) == 1
    with ThreadPoolExecutor(6) as pool:
        assert all("kerk-1" in found for found in pool.map(search, ["kirk"] * 24))
    pairs = next(iter(before.values()))
    status, _, body = server.request("PUT", "/api/crosslinks",
                                     {"nl": "Federatieraad", "en": "senate"}, AUTH)
    assert status == 200, body
    # A new pair: every worker's next request uses a lexicon with one pair more.
    assert set(ready_pairs().values()) == {pairs + 1}
    with ThreadPoolExecutor(6) as pool:
        added = list(pool.map(search, ["senate"] * 24))
    assert all(found.get("fed-1") == [{"query": "senate", "matched": "Federatieraad",
                                       "source": "user"}] for found in added)
    status, _, body = server.request("PUT", "/api/crosslinks",
                                     {"nl": "kerk", "en": "kirk", "block": True}, AUTH)
    assert status == 200, body
    assert set(ready_pairs().values()) == {pairs}  # the blocked pair is gone everywhere
    with ThreadPoolExecutor(6) as pool:
        blocked = list(pool.map(search, ["kirk"] * 24))
    assert all("kerk-1" not in found for found in blocked)
    # Edits sent at once to different workers take turns on the write lock: all are kept.
    words = [f"woord{i}" for i in range(12)]
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda w: server.request(
            "PUT", "/api/crosslinks", {"nl": w, "en": "word", "weight": 0.5}, AUTH), words))
    assert [status for status, _, _ in answers] == [200] * len(words), answers
    status, _, body = server.request("GET", "/api/crosslinks?term=word&lang=en")
    assert status == 200 and body["total"] == len(words), body
