"""Documents API: add, read, replace, patch, delete (one or many); the bearer key;
all-or-nothing batches. Skipping batches and NDJSON: test_api_batches.py; listing:
test_api_documents_list.py."""

import json
from pathlib import Path

import pytest

from service import create_app
from service.schemas import (BatchResultSchema, DeletedManySchema, PatchedDocumentSchema,
                             StoredDocumentSchema)
from conftest import assert_error, require

REAL_DICT = Path("/usr/share/dictd/freedict-nld-eng.index").exists()
AUTH = {"Authorization": "Bearer test-key"}
NL_TEXT = ("De gemeenteraad van Zwolle heeft dinsdag besloten een nieuwe fietsbrug over de "
           "IJssel te bouwen. De brug moet in 2025 klaar zijn en kost ruim twaalf miljoen euro.")
EN_TEXT = ("The city council of Zwolle decided on Tuesday to build a new cycle bridge across "
           "the river IJssel. The bridge should be finished in 2025 and costs twelve million.")


def post(client, docs, headers=AUTH):
    return client.post("/api/documents", json={"documents": docs}, headers=headers)


def search_ids(client, q, **params):
    body = client.get("/api/search", query_string={"q": q, "limit": 100, **params}).get_json()
    return [hit["id"] for hit in body["hits"]]


def test_post_documents_indexes_and_reports_decisions(write_client):
    response = post(write_client, [
        {"id": "zwolle-nl", "text": NL_TEXT, "url": "https://example.org/a", "source": "rtv"},
        {"id": "zwolle-en", "text": EN_TEXT, "title": "Zwolle bridge", "language": "en",
         "date": "2023-05-02"},
    ])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert BatchResultSchema().validate(body) == {}
    assert body["indexed"] == 2
    nl, en = body["documents"]
    assert nl["id"] == "zwolle-nl" and nl["language"] == "nl"
    assert 0.5 < nl["language_confidence"] <= 1.0
    assert any("detected" in d for d in nl["decisions"])
    assert nl["title"].startswith("De gemeenteraad")
    assert en == {"id": "zwolle-en", "language": "en", "language_confidence": 1.0,
                  "title": "Zwolle bridge", "date": "2023-05-02",
                  "decisions": ["language en (given)", "title given", "date given"]}
    assert sorted(search_ids(write_client, "Zwolle")) == ["zwolle-en", "zwolle-nl"]
    assert write_client.get("/api/health").get_json()["documents"] == {"nl": 5, "en": 2}


def test_get_document_returns_original_and_cleaned_text(write_client):
    original = ("Buitenland\n\nFietsbrug Zwolle\n\n" + NL_TEXT
                + "\n\nMeld een taalfout\n\n  Lees ook: meer nieuws  \n")
    assert post(write_client, [{"id": "orig:1", "text": original, "source": "rtv"}]
                ).status_code == 200
    response = write_client.get("/api/documents/orig:1")
    assert response.status_code == 200
    doc = response.get_json()
    assert StoredDocumentSchema().validate(doc) == {}
    assert doc["original"] == original  # byte for byte, whitespace included
    assert doc["text"] != original and "gemeenteraad" in doc["text"]
    assert doc["source"] == "rtv" and doc["url"] is None and doc["language"] == "nl"
    assert doc["decisions"]


def test_get_seed_document_and_missing_one(client):
    doc = client.get("/api/documents/004_7f49537567ae0b10").get_json()
    assert doc["language"] == "en" and "Putin" in doc["original"]
    assert doc["date"] is None
    body = assert_error(client.get("/api/documents/no-such-doc"), 404, "not_found")
    assert "no-such-doc" in body["message"]


def test_put_replaces_a_document_as_a_whole(write_client):
    assert post(write_client, [{"id": "brug", "text": NL_TEXT, "url": "https://x.test/"}]
                ).status_code == 200
    response = write_client.put("/api/documents/brug", headers=AUTH,
                                json={"text": EN_TEXT, "language": "en"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["language"] == "en"
    doc = write_client.get("/api/documents/brug").get_json()
    assert doc["original"] == EN_TEXT and doc["url"] is None  # not merged with the old one
    assert search_ids(write_client, "gemeenteraad") == []
    assert search_ids(write_client, "Zwolle", crosslingual="false") == ["brug"]
    assert write_client.get("/api/health").get_json()["documents"] == {"nl": 4, "en": 2}


def test_put_creates_and_accepts_a_matching_id(write_client):
    response = write_client.put("/api/documents/new-1", headers=AUTH,
                                json={"id": "new-1", "text": NL_TEXT})
    assert response.status_code == 200
    assert write_client.get("/api/documents/new-1").status_code == 200


def test_put_with_another_id_in_the_body_is_refused(write_client):
    body = assert_error(write_client.put("/api/documents/a-1", headers=AUTH,
                                         json={"id": "b-2", "text": NL_TEXT}),
                        400, "id_mismatch")
    assert "id" in body["errors"]
    assert write_client.get("/api/documents/a-1").status_code == 404
    assert write_client.get("/api/documents/b-2").status_code == 404


def test_delete_document(write_client):
    seed = "003_c249c87eef07bc69"
    assert seed in search_ids(write_client, "Lavrov")
    response = write_client.delete(f"/api/documents/{seed}", headers=AUTH)
    assert response.status_code == 200
    assert response.get_json() == {"id": seed, "deleted": True}
    assert seed not in search_ids(write_client, "Lavrov")
    assert_error(write_client.get(f"/api/documents/{seed}"), 404)
    assert_error(write_client.delete(f"/api/documents/{seed}", headers=AUTH), 404, "not_found")
    assert write_client.get("/api/health").get_json()["documents"] == {"nl": 3, "en": 1}


def test_counts_and_hits_stay_exact_over_many_writes(write_client):
    """Enough commits for Whoosh to merge segments; replaced and deleted documents vanish."""
    for i in range(7):
        assert post(write_client, [{"id": f"z{i}", "text": NL_TEXT}]).status_code == 200
        assert write_client.get("/api/health").get_json()["documents"]["nl"] == 5 + i
    assert write_client.put("/api/documents/z0", headers=AUTH,
                            json={"text": NL_TEXT, "title": "Nieuw"}).status_code == 200
    assert write_client.delete("/api/documents/z1", headers=AUTH).status_code == 200
    assert write_client.get("/api/health").get_json()["documents"] == {"nl": 10, "en": 1}
    body = write_client.get("/api/search?q=Zwolle&limit=100").get_json()
    assert body["total"] == 6
    assert sorted(h["id"] for h in body["hits"]) == ["z0", "z2", "z3", "z4", "z5", "z6"]
    assert write_client.get("/api/documents/z0").get_json()["title"] == "Nieuw"


# -- delete many -------------------------------------------------------------------


SEEDS = ["000_bb9c2193cdca5199", "001_5be120304dc1211d", "004_7f49537567ae0b10"]


def test_delete_many_by_body_says_which_ids_were_not_found(write_client):
    response = write_client.delete("/api/documents", headers=AUTH,
                                   json={"ids": [SEEDS[0], "nope", SEEDS[2], SEEDS[0]]})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert DeletedManySchema().validate(body) == {}
    assert body == {"deleted": 2, "ids": [SEEDS[0], SEEDS[2]], "not_found": ["nope"]}
    assert write_client.get("/api/health").get_json()["documents"] == {"nl": 3, "en": 0}
    assert SEEDS[0] not in search_ids(write_client, "Poetin")
    again = write_client.delete("/api/documents", headers=AUTH, json={"ids": [SEEDS[0]]})
    assert again.get_json() == {"deleted": 0, "ids": [], "not_found": [SEEDS[0]]}


def test_delete_many_by_query(write_client):
    response = write_client.delete(f"/api/documents?ids={SEEDS[1]},{SEEDS[2]}", headers=AUTH)
    assert response.get_json() == {"deleted": 2, "ids": SEEDS[1:], "not_found": []}
    assert write_client.get("/api/health").get_json()["documents"] == {"nl": 3, "en": 0}


@pytest.mark.parametrize("query,payload,status", [
    ("", None, 400),  # neither
    (f"?ids={SEEDS[0]}", {"ids": [SEEDS[1]]}, 400),  # both
    ("", {"ids": []}, 400),
    ("", {"ids": "a,b"}, 400),
    ("", {"ids": ["../etc"]}, 400),
    ("", {"ids": ["a"], "filter": "x"}, 400),
    ("", ["a"], 400),
    ("?ids=", None, 400),
    ("?ids=a%20b", None, 400),
    ("", {"ids": [f"i{n}" for n in range(1001)]}, 413),
])
def test_bad_delete_many_requests(write_client, query, payload, status):
    response = write_client.delete("/api/documents" + query, headers=AUTH, json=payload)
    assert_error(response, status)
    assert write_client.get("/api/health").get_json()["documents"] == {"nl": 4, "en": 1}


# -- patch -----------------------------------------------------------------------------


def patch(client, doc_id, body, **kwargs):
    return client.patch(f"/api/documents/{doc_id}", json=body, headers=AUTH, **kwargs)


def test_patch_merges_metadata_without_reanalysis(write_client):
    assert post(write_client, [{"id": "p1", "text": NL_TEXT, "url": "https://x.test/1"}]
                ).status_code == 200
    before = write_client.get("/api/documents/p1").get_json()
    response = patch(write_client, "p1", {"source": "NOS", "date": "2023-05-02"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert PatchedDocumentSchema().validate(body) == {}
    assert body["reanalyzed"] == []
    after = write_client.get("/api/documents/p1").get_json()
    assert (after["source"], after["date"], after["url"]) == ("NOS", "2023-05-02",
                                                              "https://x.test/1")
    for unchanged in ("language", "language_confidence", "title", "text", "original"):
        assert after[unchanged] == before[unchanged]
    assert "date given" in after["decisions"]
    assert search_ids(write_client, "Zwolle", date_from="2023-05") == ["p1"]


def test_patch_null_removes_and_falls_back_to_what_was_extracted(write_client):
    text = "Fietsbrug in Zwolle\n\n" + NL_TEXT
    assert post(write_client, [{"id": "p2", "text": text, "title": "Eigen titel",
                                "language": "nl", "url": "https://x.test/2",
                                "source": "rtv"}]).status_code == 200
    body = patch(write_client, "p2", {"title": None, "url": None, "source": None,
                                      "language": None}).get_json()
    assert body["title"] == "Fietsbrug in Zwolle"  # the headline, as if never given
    assert body["url"] is None and body["source"] is None
    assert body["language"] == "nl"
    assert any(d.startswith("language nl (detected") for d in body["decisions"])
    assert sorted(body["reanalyzed"]) == ["cleaning", "language"]
    assert not any(d in body["decisions"] for d in ("title given", "language nl (given)"))
    stored = write_client.get("/api/documents/p2").get_json()
    assert (stored["title"], stored["url"], stored["source"]) == ("Fietsbrug in Zwolle",
                                                                  None, None)


def test_patch_language_moves_the_document_between_indexes(write_client):
    assert post(write_client, [{"id": "p3", "text": NL_TEXT}]).status_code == 200
    body = patch(write_client, "p3", {"language": "en"}).get_json()
    assert body["language"] == "en" and body["reanalyzed"] == []
    assert write_client.get("/api/health").get_json()["documents"] == {"nl": 4, "en": 2}
    assert search_ids(write_client, "gemeenteraad", lang="en", crosslingual="false") == ["p3"]


def test_patch_text_reanalyzes_and_keeps_what_was_given(write_client):
    assert post(write_client, [{"id": "p4", "text": NL_TEXT, "title": "Brug",
                                "source": "rtv"}]).status_code == 200
    body = patch(write_client, "p4", {"text": EN_TEXT}).get_json()
    assert body["language"] == "en" and body["original"] == EN_TEXT
    assert body["title"] == "Brug" and body["source"] == "rtv"
    assert body["reanalyzed"] == ["cleaning", "language"]
    assert search_ids(write_client, "bridge", crosslingual="false") == ["p4"]
    assert search_ids(write_client, "gemeenteraad", crosslingual="false") == []


def test_patch_accepts_merge_patch_content_type_and_matching_id(write_client):
    response = write_client.patch("/api/documents/004_7f49537567ae0b10", headers=AUTH,
                                  data=json.dumps({"id": "004_7f49537567ae0b10",
                                                   "source": "BBC"}),
                                  content_type="application/merge-patch+json")
    assert response.status_code == 200, response.get_json()
    assert write_client.get("/api/documents/004_7f49537567ae0b10").get_json()["source"] == "BBC"


def test_empty_patch_changes_nothing(write_client):
    before = write_client.get("/api/documents/004_7f49537567ae0b10").get_json()
    body = patch(write_client, "004_7f49537567ae0b10", {}).get_json()
    assert body["reanalyzed"] == [] and body["title"] == before["title"]
    assert write_client.get("/api/documents/004_7f49537567ae0b10").get_json() == before


@pytest.mark.parametrize("payload,status,field", [
    ({"text": None}, 400, "text"),
    ({"text": "   "}, 400, "text"),
    ({"language": "de"}, 400, "language"),
    ({"date": "2022-13"}, 400, "date"),
    ({"colour": "red"}, 400, "colour"),
    ({"id": "other"}, 400, "id"),
    ({"title": 5}, 400, "title"),
    (["source"], 400, "_schema"),
    ({"text": "Der Stadtrat hat am Dienstag beschlossen, eine neue Fahrradbrücke über den "
              "Fluss zu bauen, sagte der Bürgermeister der Stadt am Abend."}, 422, "language"),
])
def test_bad_patches_change_nothing(write_client, payload, status, field):
    before = write_client.get("/api/documents/004_7f49537567ae0b10").get_json()
    body = assert_error(patch(write_client, "004_7f49537567ae0b10", payload), status)
    assert field in body["errors"]
    assert write_client.get("/api/documents/004_7f49537567ae0b10").get_json() == before


def test_patch_of_a_missing_document_is_404(write_client):
    assert_error(patch(write_client, "no-such", {"source": "x"}), 404, "not_found")
    assert_error(patch(write_client, "a b", {"source": "x"}), 400, "invalid_id")


# -- all or nothing ----------------------------------------------------------------


def test_batch_with_one_invalid_document_stores_nothing(write_client):
    docs = [{"id": "ok-1", "text": NL_TEXT},
            {"id": "../etc/passwd", "text": NL_TEXT},
            {"id": "ok-2", "text": "", "language": "de", "date": "2022-13", "colour": "red"}]
    body = assert_error(post(write_client, docs), 400, "invalid_request")
    items = body["errors"]["documents"]
    assert set(items) == {"1", "2"}
    assert "id" in items["1"]
    assert set(items["2"]) == {"text", "language", "date", "colour"}
    assert write_client.get("/api/documents/ok-1").status_code == 404
    assert write_client.get("/api/health").get_json()["documents"] == {"nl": 4, "en": 1}


def test_batch_with_an_unindexable_document_stores_nothing(write_client):
    german = ("Der Stadtrat hat am Dienstag beschlossen, eine neue Fahrradbrücke über den "
              "Fluss zu bauen. Die Brücke soll im Jahr 2025 fertig sein und kostet zwölf "
              "Millionen Euro, sagte der Bürgermeister der Stadt.")
    body = assert_error(post(write_client, [{"id": "ok-1", "text": NL_TEXT},
                                            {"id": "de-1", "text": german}]),
                        422, "invalid_document")
    assert list(body["errors"]["documents"]) == ["1"]
    assert "nothing was stored" in body["message"]
    assert write_client.get("/api/documents/ok-1").status_code == 404


def test_duplicate_ids_in_a_batch_are_refused(write_client):
    body = assert_error(post(write_client, [{"id": "d", "text": NL_TEXT},
                                            {"id": "d", "text": EN_TEXT}]), 400)
    assert "also item 0" in body["errors"]["documents"]["1"]["id"][0]


@pytest.mark.parametrize("payload,code", [
    ([{"id": "x", "text": NL_TEXT}], "invalid_request"),  # a bare array
    ({"id": "x", "text": NL_TEXT}, "invalid_request"),  # a bare document
    ({"documents": []}, "invalid_request"),
    ({"documents": "x"}, "invalid_request"),
    ({"documents": [{"id": "x", "text": NL_TEXT}], "extra": 1}, "invalid_request"),
    ({"documents": [{"id": "x", "text": 42}]}, "invalid_request"),
    ({"documents": [{"id": "x", "text": "   "}]}, "invalid_request"),
])
def test_bad_batch_shapes(write_client, payload, code):
    assert_error(write_client.post("/api/documents", json=payload, headers=AUTH), 400, code)


def test_batch_size_limit(writable_index):
    app = create_app({"INDEX_DIR": str(writable_index), "API_KEY": "test-key",
                      "FREEDICT_DIR": "", "MAX_BATCH_DOCS": 3})
    client = app.test_client()
    docs = [{"id": f"n{i}", "text": NL_TEXT} for i in range(4)]
    body = assert_error(post(client, docs), 413, "too_many_documents")
    assert "at most 3" in body["message"]
    assert post(client, docs[:3]).status_code == 200


def test_request_body_size_limit(writable_index):
    app = create_app({"INDEX_DIR": str(writable_index), "API_KEY": "test-key",
                      "MAX_CONTENT_LENGTH": 1000})
    client = app.test_client()
    body = assert_error(post(client, [{"id": "big", "text": "woord " * 500}]), 413, "too_large")
    assert "1000 bytes" in body["message"]


def test_invalid_json_and_wrong_content_type(write_client):
    body = assert_error(write_client.post("/api/documents", data='{"documents": [',
                                          content_type="application/json", headers=AUTH),
                        400, "invalid_json")
    assert "not valid JSON" in body["message"]
    assert_error(write_client.post("/api/documents", data=b"\xff\xfe{", headers=AUTH,
                                   content_type="application/json"), 400, "invalid_json")
    assert_error(write_client.post("/api/documents", data="", headers=AUTH,
                                   content_type="application/json"), 400, "invalid_json")
    assert_error(write_client.post("/api/documents", data="[" * 100_000, headers=AUTH,
                                   content_type="application/json"), 400, "invalid_json")
    body = assert_error(write_client.post("/api/documents", headers=AUTH,
                                          data=json.dumps({"documents": []}),
                                          content_type="text/plain"),
                        415, "unsupported_media_type")
    assert "application/json" in body["message"]
    assert_error(write_client.put("/api/documents/x", headers=AUTH, data="id=x&text=y",
                                  content_type="application/x-www-form-urlencoded"), 415)


@pytest.mark.parametrize("doc_id", ["..", ".hidden", "a/b", "a b", "x" * 201, "é"])
def test_unsafe_ids_are_refused_in_urls(write_client, doc_id):
    for response in (write_client.get(f"/api/documents/{doc_id}"),
                     write_client.put(f"/api/documents/{doc_id}", headers=AUTH,
                                      json={"text": NL_TEXT}),
                     write_client.delete(f"/api/documents/{doc_id}", headers=AUTH)):
        assert response.status_code in (400, 404)  # "a/b" never reaches the route
        assert response.is_json
    assert write_client.get("/api/health").get_json()["documents"] == {"nl": 4, "en": 1}


def test_invalid_id_in_url_says_why(write_client):
    body = assert_error(write_client.get("/api/documents/.hidden"), 400, "invalid_id")
    assert "letters, digits" in body["message"]


# -- the key ---------------------------------------------------------------------


WRITES = [
    ("post", "/api/documents", {"documents": [{"id": "k1", "text": NL_TEXT}]}),
    ("put", "/api/documents/k1", {"text": NL_TEXT}),
    ("delete", "/api/documents/000_bb9c2193cdca5199", None),
    ("delete", "/api/documents", {"ids": ["000_bb9c2193cdca5199"]}),
    ("patch", "/api/documents/000_bb9c2193cdca5199", {"source": "NOS"}),
    ("post", "/api/documents?on_error=skip", {"documents": [{"id": "k1", "text": NL_TEXT}]}),
]


@pytest.mark.parametrize("method,url,payload", WRITES)
@pytest.mark.parametrize("header", [None, "Bearer wrong-key", "Basic dGVzdC1rZXk=",
                                    "Bearer test-key-and-more", "test-key", "Bearer"])
def test_writes_need_the_right_key(write_client, method, url, payload, header):
    headers = {"Authorization": header} if header else {}
    response = getattr(write_client, method)(url, json=payload, headers=headers)
    body = assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in body["message"]
    assert write_client.get("/api/health").get_json()["documents"] == {"nl": 4, "en": 1}


@pytest.mark.parametrize("method,url,payload", WRITES)
def test_writes_are_off_without_a_configured_key(writable_index, method, url, payload):
    client = create_app({"INDEX_DIR": str(writable_index), "API_KEY": ""}).test_client()
    response = getattr(client, method)(url, json=payload, headers=AUTH)
    body = assert_error(response, 403, "writes_disabled")
    assert "TOLK_API_KEY" in body["message"]
    assert client.get("/api/health").get_json()["documents"] == {"nl": 4, "en": 1}


def test_key_comes_from_the_environment(writable_index, monkeypatch):
    monkeypatch.setenv("TOLK_API_KEY", "from-env")
    client = create_app({"INDEX_DIR": str(writable_index), "FREEDICT_DIR": ""}).test_client()
    assert post(client, [{"id": "e1", "text": NL_TEXT}]).status_code == 401
    response = post(client, [{"id": "e1", "text": NL_TEXT}],
                    headers={"Authorization": "bearer from-env"})
    assert response.status_code == 200


def test_key_is_checked_before_the_body(write_client):
    response = write_client.post("/api/documents", data="not json",
                                 content_type="application/json")
    assert_error(response, 401)


def test_writes_are_not_offered_to_browsers(client):
    response = client.options("/api/documents/x", headers={
        "Origin": "https://elsewhere.test", "Access-Control-Request-Method": "DELETE"})
    assert "DELETE" not in response.headers.get("Access-Control-Allow-Methods", "")
    response = client.post("/api/documents", json={}, headers={"Origin": "https://x.test"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_write_uses_the_full_lexicon_builder(writable_index):
    """Without FREEDICT_DIR overridden, a write rebuilds the lexicon from every source."""
    require(REAL_DICT, "Debian FreeDict (dict-freedict-nld-eng)")
    app = create_app({"INDEX_DIR": str(writable_index), "API_KEY": "test-key"})
    client = app.test_client()
    before = client.get("/api/stats").get_json()["lexicon_pairs"]
    assert post(client, [{"id": "lex-1", "text": EN_TEXT + " Oleksandr Koval said so."}]
                ).status_code == 200
    after = client.get("/api/stats").get_json()["lexicon_pairs"]
    assert set(after) == set(before) and after["dictionary"] > 1000
    # a cross-lingual search still links Dutch and English after the write
    ids = search_ids(client, "brug")
    assert "lex-1" in ids


@pytest.mark.parametrize("change", [{"source": "NOS"}, {"text": NL_TEXT + " Nog een zin."}],
                         ids=["metadata", "text"])
def test_patch_keeps_declared_fields(write_client, change):
    """A PATCH of other fields keeps the document's tags and section (and their filters)."""
    assert post(write_client, [{"id": "p9", "text": NL_TEXT, "tags": ["brug", "Zwolle"],
                                "section": "regio"}]).status_code == 200
    assert patch(write_client, "p9", change).status_code == 200
    after = write_client.get("/api/documents/p9").get_json()
    assert (after["tags"], after["section"]) == (["brug", "Zwolle"], "regio")
    found = write_client.get("/api/search", query_string={
        "q": "Zwolle", "filter": "tags:brug AND section:regio"}).get_json()
    assert [hit["id"] for hit in found["hits"]] == ["p9"]


# -- filters on the documents API -----------------------------------------------------------


def _tagged(client):
    docs = [{"id": f"f{i}", "text": NL_TEXT, "tags": ["brug"] if i % 2 else ["weg"],
             "source": "NOS" if i < 3 else "RTV"} for i in range(6)]
    assert post(client, docs).status_code == 200


def test_list_documents_by_filter(write_client):
    _tagged(write_client)
    body = write_client.get("/api/documents", query_string={
        "filter": "tags:brug AND source:NOS", "limit": 1}).get_json()
    assert body["total"] == 1 and [d["id"] for d in body["documents"]] == ["f1"]
    body = write_client.get("/api/documents", query_string={"filter": "tags:brug",
                                                              "limit": 2}).get_json()
    assert body["total"] == 3 and [d["id"] for d in body["documents"]] == ["f1", "f3"]
    after = write_client.get("/api/documents", query_string={
        "filter": "tags:brug", "limit": 2, "cursor": body["next_cursor"]}).get_json()
    assert [d["id"] for d in after["documents"]] == ["f5"] and after["next_cursor"] is None
    both = write_client.get("/api/documents", query_string={
        "filter": "tags:brug", "ids": "f1,f2,f5"}).get_json()
    assert [d["id"] for d in both["documents"]] == ["f1", "f5"]


@pytest.mark.parametrize("where", ["query", "body"])
def test_delete_documents_by_filter(write_client, where):
    _tagged(write_client)
    if where == "query":
        response = write_client.delete("/api/documents", headers=AUTH,
                                       query_string={"filter": "source:RTV AND NOT tags:brug"})
    else:
        response = write_client.delete("/api/documents", headers=AUTH,
                                       json={"filter": "source:RTV AND NOT tags:brug"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["ids"] == ["f4"]
    left = write_client.get("/api/documents", query_string={"filter": "source:RTV"}).get_json()
    assert [d["id"] for d in left["documents"]] == ["f3", "f5"]


@pytest.mark.parametrize("query, payload, status", [
    ({"filter": "nosuchfield:x"}, None, 400),
    ({"filter": "tags:(a OR"}, None, 400),
    ({"filter": "tags:a", "ids": "f1"}, None, 400),
    ({"filter": "tags:a"}, {"ids": ["f1"]}, 400),
    ({}, {"ids": ["f1"], "filter": "tags:a"}, 400),
    ({}, {"filter": ""}, 400),
])
def test_bad_filter_deletes(write_client, query, payload, status):
    _tagged(write_client)
    response = write_client.delete("/api/documents", headers=AUTH, query_string=query,
                                   json=payload)
    assert_error(response, status)
    assert write_client.get("/api/documents", query_string={"limit": 100}).get_json()[
        "total"] == 5 + 6


def test_list_with_a_bad_filter_is_400(write_client):
    response = write_client.get("/api/documents", query_string={"filter": "desk:x"})
    assert_error(response, 400)
    assert "TOLK_FIELDS" in response.get_json()["message"]
