"""The documents API under a real gunicorn with several workers and concurrent clients:
no PATCH is lost to a concurrent one, and paging stays exact while others write."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import copy_index


KEY = "docs-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
NL = "Het kabinet bespreekt dinsdag de begroting voor defensie en de steun aan Oekraine {}."


@pytest.fixture(scope="module")
def server(seed_index, tmp_path_factory, module_gunicorn):
    tmp = tmp_path_factory.mktemp("gunicorn-docs")
    return module_gunicorn(copy_index(seed_index, tmp / "index"), workers=3, log_dir=tmp,
                           env={"TOLK_API_KEY": KEY, "TOLK_LOCK_TIMEOUT": "100"})


def post(server, ids):
    status, _, body = server.request("POST", "/api/documents", {"documents": [
        {"id": i, "text": NL.format(i), "language": "nl"} for i in ids]}, AUTH)
    assert status == 200, body


def test_concurrent_patches_of_one_document_are_all_kept(server):
    post(server, ["cp-1"])
    for round_ in range(3):
        patches = [{"source": f"bron-{round_}"}, {"url": f"https://x.test/{round_}"},
                   {"title": f"Titel {round_}"}, {"date": f"2023-0{round_ + 1}-15"}]
        with ThreadPoolExecutor(len(patches)) as pool:
            answers = list(pool.map(
                lambda p: server.request("PATCH", "/api/documents/cp-1", p, AUTH), patches))
        assert [status for status, _, _ in answers] == [200] * len(patches), answers
        status, _, doc = server.request("GET", "/api/documents/cp-1")
        assert status == 200
        assert (doc["source"], doc["url"], doc["title"], doc["date"]) == (
            f"bron-{round_}", f"https://x.test/{round_}", f"Titel {round_}",
            f"2023-0{round_ + 1}-15"), "a concurrent PATCH was lost"


def test_paging_while_others_write_lists_each_document_once(server):
    post(server, [f"pg-{i:03d}" for i in range(60)])
    stop = threading.Event()
    written = []

    def writer():
        n = 0
        while not stop.is_set():
            new = [f"pg-{n % 60:03d}-x{n}", f"a-pg-{n}", f"zz-pg-{n}"]
            post(server, new)
            written.extend(new)
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        listing, cursor = [], None
        while True:
            path = "/api/documents?limit=5" + (f"&cursor={cursor}" if cursor else "")
            status, _, body = server.request("GET", path)
            assert status == 200, body
            listing += [doc["id"] for doc in body["documents"]]
            cursor = body["next_cursor"]
            if cursor is None:
                break
    finally:
        stop.set()
        thread.join()
    assert written, "the writer wrote nothing while the pages were read"
    assert len(listing) == len(set(listing)) and listing == sorted(listing)
    assert {f"pg-{i:03d}" for i in range(60)} <= set(listing)
