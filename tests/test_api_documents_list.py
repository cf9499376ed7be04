"""GET /api/documents: listing by id with cursor pagination, stable under writes; filters."""

import pytest

from service.schemas import DocumentListSchema
from conftest import assert_error

AUTH = {"Authorization": "Bearer test-key"}
SEED_IDS = ["000_bb9c2193cdca5199", "001_5be120304dc1211d", "002_250d72ced0d8850f",
            "003_c249c87eef07bc69", "004_7f49537567ae0b10"]
NL = "Het kabinet bespreekt dinsdag de begroting voor defensie en de steun aan Oekraine {}."
EN = "The cabinet discusses the defence budget and support for Ukraine on Tuesday {}."


def add(client, *ids, lang="nl"):
    docs = [{"id": i, "text": (NL if lang == "nl" else EN).format(i), "language": lang}
            for i in ids]
    response = client.post("/api/documents", json={"documents": docs}, headers=AUTH)
    assert response.status_code == 200, response.get_json()


def remove(client, *ids):
    response = client.delete("/api/documents", json={"ids": list(ids)}, headers=AUTH)
    assert response.status_code == 200, response.get_json()


def page(client, **params):
    response = client.get("/api/documents", query_string=params)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert DocumentListSchema().validate(body) == {}
    return body


def walk(client, limit, between=None, **params):
    """Every id over all pages; ``between(page_number)`` runs after each page."""
    seen, cursor, number = [], None, 0
    while True:
        extra = {"cursor": cursor} if cursor else {}
        body = page(client, limit=limit, **params, **extra)
        assert len(body["documents"]) <= limit
        seen += [doc["id"] for doc in body["documents"]]
        cursor = body["next_cursor"]
        number += 1
        if between:
            between(number)
        if cursor is None:
            return seen


def test_lists_the_seeds_in_id_order_with_their_fields(client):
    body = page(client)
    assert [doc["id"] for doc in body["documents"]] == SEED_IDS
    assert body["total"] == 5 and body["next_cursor"] is None
    english = body["documents"][-1]
    assert english["language"] == "en" and english["title"].startswith("After")
    assert set(english) == {"id", "language", "language_confidence", "title", "date", "url",
                            "source"}


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_pages_cover_everything_once(client, limit):
    assert walk(client, limit) == SEED_IDS


def test_both_languages_interleave_by_id(write_client):
    add(write_client, "b-nl", "d-nl", "f-nl")
    add(write_client, "a-en", "c-en", "e-en", lang="en")
    ids = walk(write_client, 2)
    assert ids == sorted(SEED_IDS + ["a-en", "b-nl", "c-en", "d-nl", "e-en", "f-nl"])
    assert walk(write_client, 2, lang="en") == ["004_7f49537567ae0b10", "a-en", "c-en", "e-en"]
    assert page(write_client, lang="nl", limit=100)["total"] == 7


def test_writes_between_pages_neither_repeat_nor_shift_documents(write_client):
    ids = [f"doc-{i:03d}" for i in range(40)]
    add(write_client, *ids[::2])
    add(write_client, *ids[1::2], lang="en")
    listing, cursor, pages, deleted = [], None, 0, []
    while True:
        body = page(write_client, limit=7, **({"cursor": cursor} if cursor else {}))
        listing += [doc["id"] for doc in body["documents"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
        pages += 1
        # between two pages: new ids before and after the cursor; a seen and an unseen
        # document replaced in the other language (moves between the two indexes); an
        # unseen one deleted
        add(write_client, f"a-new-{pages}", f"z-new-{pages}")
        unseen = [i for i in ids if i > listing[-1] and i not in deleted]
        for doc_id in (listing[-1], unseen[0]) if unseen else (listing[-1],):
            was = write_client.get(f"/api/documents/{doc_id}").get_json()["language"]
            add(write_client, doc_id, lang="en" if was == "nl" else "nl")
        if len(unseen) > 1:
            remove(write_client, unseen[-1])
            deleted.append(unseen[-1])

    assert pages >= 5 and deleted
    assert len(listing) == len(set(listing)), "a document was listed twice"
    assert listing == sorted(listing)
    there_all_along = set(SEED_IDS + ids) - set(deleted)
    assert there_all_along <= set(listing), "a document that was there all along was skipped"
    assert not set(deleted) & set(listing)
    assert {f"z-new-{n}" for n in range(1, pages + 1)} <= set(listing)  # after the cursor
    assert not any(i.startswith("a-new-") for i in listing)  # before it: next walk


def test_ids_filter(client):
    body = page(client, ids=f"{SEED_IDS[4]},nope,{SEED_IDS[1]},{SEED_IDS[1]}")
    assert [doc["id"] for doc in body["documents"]] == [SEED_IDS[1], SEED_IDS[4]]
    assert body["total"] == 2
    assert walk(client, 1, ids=",".join(SEED_IDS[:3])) == SEED_IDS[:3]
    assert page(client, ids=",".join(SEED_IDS), lang="en")["total"] == 1


@pytest.mark.parametrize("params,field", [
    ({"limit": 0}, "limit"), ({"limit": 101}, "limit"), ({"limit": "x"}, "limit"),
    ({"cursor": "not-a-cursor"}, "cursor"), ({"cursor": "MTpfX18vLi4"}, "cursor"),
    ({"ids": ","}, "ids"), ({"ids": "a b"}, "ids"), ({"ids": "../x"}, "ids"),
    ({"ids": ",".join(f"i{n}" for n in range(1001))}, "ids"),
    ({"lang": "de"}, "lang"), ({"colour": "red"}, "colour"),
])
def test_bad_listing_parameters_are_400(client, params, field):
    body = assert_error(client.get("/api/documents", query_string=params), 400)
    assert field in body["errors"]


def test_cursor_is_opaque_but_stable(client):
    first = page(client, limit=2)
    again = page(client, limit=2)
    assert first["next_cursor"] == again["next_cursor"]
    second = page(client, limit=2, cursor=first["next_cursor"])
    assert [doc["id"] for doc in second["documents"]] == SEED_IDS[2:4]
    assert SEED_IDS[1] not in first["next_cursor"]  # not the bare id


def test_deleted_documents_are_not_listed(write_client):
    add(write_client, "del-a", "del-b", "del-c")
    remove(write_client, "del-b")
    ids = walk(write_client, 1)
    assert "del-b" not in ids and {"del-a", "del-c"} <= set(ids)
    assert page(write_client, ids="del-b")["documents"] == []


def test_listing_without_an_index_is_503(tmp_path):
    from service import create_app

    client = create_app({"INDEX_DIR": str(tmp_path / "none")}).test_client()
    assert_error(client.get("/api/documents"), 503, "no_index")
