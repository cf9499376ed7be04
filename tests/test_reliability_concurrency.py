"""Concurrency: writes from several workers and clients all land; reads never fail and see
a batch whole or not at all (also a batch spanning both language indexes)."""

from __future__ import annotations

import multiprocessing
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from index.ingest.documents import Document
from index.storage import IndexReader, rebuild, update, write_lock
from service import create_app

ROOT = Path(__file__).resolve().parent.parent

from conftest import EN, NL, make_doc  # noqa: E402

pytestmark = pytest.mark.xdist_group("reliability")

def batch(k: int) -> list[Document]:
    """3 Dutch + 2 English documents: the batch spans both language indexes."""
    return [make_doc(f"b{k}-{j}", "nl" if j < 3 else "en") for j in range(5)]


def _write_batches(root: str, n: int) -> None:
    for k in range(n):
        update(root, batch(k))


def consistent(counts: dict, base: dict) -> bool:
    """Whole batches only: 3 new Dutch for every 2 new English documents."""
    nl, en = counts["nl"] - base["nl"], counts["en"] - base["en"]
    return nl % 3 == 0 and en % 2 == 0 and nl // 3 == en // 2


def test_readers_never_see_part_of_a_batch_across_languages(tmp_path):
    root = tmp_path / "index"
    rebuild(root, [make_doc("base-nl", "nl"), make_doc("base-en", "en")])
    base = {"nl": 1, "en": 1}
    writer = multiprocessing.get_context("spawn").Process(
        target=_write_batches, args=(str(root), 40))
    checks, partial, errors = [0], [], []
    stop = threading.Event()

    def read():
        reader = IndexReader(root)
        while not stop.is_set():
            try:
                counts = reader.counts()
                checks[0] += 1
                if not consistent(counts, base):
                    partial.append(counts)
            except Exception as exc:  # noqa: BLE001 - any failure of a read is the finding
                errors.append(repr(exc))

    threads = [threading.Thread(target=read) for _ in range(3)]
    writer.start()
    for t in threads:
        t.start()
    writer.join(timeout=120)
    stop.set()
    for t in threads:
        t.join()
    assert writer.exitcode == 0
    assert not errors, errors[:3]
    assert not partial, f"{len(partial)} of {checks[0]} reads saw part of a batch: {partial[:3]}"
    assert checks[0] > 100
    assert IndexReader(root).counts() == {"nl": 1 + 40 * 3, "en": 1 + 40 * 2}
    print(f"{checks[0]} reads during 40 two-language batches, none partial")


def test_a_waiting_write_gets_503_index_busy_only_after_the_lock_timeout(writable_index):
    app = create_app({"INDEX_DIR": str(writable_index), "API_KEY": "k", "FREEDICT_DIR": "",
                      "LOCK_TIMEOUT": 1.5})
    client = app.test_client()
    doc = {"documents": [{"id": "busy-1", "text": NL.format("busy"), "language": "nl"}]}
    with write_lock(writable_index):
        started = time.monotonic()
        response = client.post("/api/documents", json=doc,
                               headers={"Authorization": "Bearer k"})
        waited = time.monotonic() - started
    assert response.status_code == 503 and response.json["code"] == "index_busy"
    assert response.headers["Retry-After"] and set(response.json) == {
        "code", "status", "message", "errors"}
    assert waited >= 1.5
    # Reads do not wait for the write lock: answered while it is held (a read that waited
    # for it would only get it after this block, or answer 503 after LOCK_TIMEOUT).
    with write_lock(writable_index):
        assert client.get("/api/search?q=Poetin").status_code == 200
    assert client.post("/api/documents", json=doc,
                       headers={"Authorization": "Bearer k"}).status_code == 200


def test_many_clients_writing_through_several_workers_all_land(writable_index, tmp_path, gunicorn):
    index_dir = writable_index
    key = "concurrency-key"
    auth = {"Authorization": f"Bearer {key}"}
    server = gunicorn(index_dir, workers=3, env={"TOLK_API_KEY": key,
                                                 "TOLK_LOCK_TIMEOUT": "60"},
                      log_dir=tmp_path)
    _, _, health = server.request("GET", "/api/health")
    base = health["documents"]
    clients, per_client = 8, 4
    stop = threading.Event()
    reads, bad_reads, partial = [0], [], []

    def write(c):
        statuses = []
        for n in range(per_client):
            docs = [{"id": f"w{c}-{n}-{j}", "text": (NL if j < 3 else EN).format(
                f"w{c}-{n}-{j}"), "language": "nl" if j < 3 else "en"} for j in range(5)]
            status, _, body = server.request("POST", "/api/documents",
                                             {"documents": docs}, auth, timeout=120)
            statuses.append((status, None if status == 200 else body))
        return statuses

    def read():
        while not stop.is_set():
            status, _, body = server.request("GET", "/api/health")
            status2, _, body2 = server.request("GET", "/api/search?q=begroting&limit=1")
            reads[0] += 2
            if status != 200 or status2 != 200:
                bad_reads.append((status, status2, body, body2))
            elif not consistent(body["documents"], base):
                partial.append(body["documents"])

    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in readers:
        t.start()
    with ThreadPoolExecutor(clients) as pool:
        results = [s for statuses in pool.map(write, range(clients)) for s in statuses]
    stop.set()
    for t in readers:
        t.join()
    assert [s for s, _ in results] == [200] * clients * per_client, \
        [r for r in results if r[0] != 200][:3]
    assert not bad_reads, bad_reads[:3]
    assert not partial, partial[:3]
    _, _, health = server.request("GET", "/api/health")
    assert health["documents"] == {"nl": base["nl"] + clients * per_client * 3,
                                   "en": base["en"] + clients * per_client * 2}
    for c in range(clients):
        for n in range(per_client):
            assert server.request("GET", f"/api/documents/w{c}-{n}-4")[0] == 200
    print(f"{clients * per_client} concurrent batches through 3 workers all landed; "
          f"{reads[0]} reads meanwhile, none failed or partial")
