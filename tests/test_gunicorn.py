"""The service under a real gunicorn process with several workers."""

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import copy_index
from harness import request as harness_request  # scripts/reliability (conftest's path)


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@pytest.fixture(scope="module")
def server(seed_index, module_gunicorn):
    return module_gunicorn(seed_index, serve=True).base_url  # as `tolk serve` starts it


def test_health_and_search_over_http(server):
    status, body = get(server + "/api/health")
    assert status == 200 and body["documents"] == {"nl": 4, "en": 1}
    status, body = get(server + "/api/search?q=Poetin")
    assert status == 200 and body["total"] >= 4


def test_many_requests_across_workers_all_succeed(server):
    for i in range(40):
        status, body = get(server + f"/api/search?q=Oekraine&offset={i % 3}")
        assert status == 200


def test_errors_are_json_over_http(server):
    status, body = get(server + "/api/search")
    assert status == 400 and body["code"] == "invalid_request"


def test_longest_allowed_query_in_four_byte_utf8_reaches_the_app(server):
    # 500 characters (TOLK_MAX_QUERY_CHARS) of 4-byte UTF-8 are 6,000 bytes percent-encoded,
    # past gunicorn's default request line limit, which would answer a non-JSON 400.
    words = ("\U0001F600" * 4 + " ") * 99 + "\U0001F600" * 5
    assert len(words) == 500
    status, body = get(server + "/api/search?q=" + urllib.parse.quote(words))
    assert status == 200 and body["total"] == 0
    status, body = get(server + "/api/search?q=" + urllib.parse.quote(words + "x"))
    assert status == 400 and body["code"] == "query_too_long"


# -- writes under several workers -----------------------------------------------------
#
# Each request's worker is read from gunicorn's access log (%(p)s is the pid of
# the worker that answered), so the tests know that a document written through
# one worker was read through others, without a debug endpoint.

KEY = "gunicorn-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
WORKERS = 3
NL_TEXT = ("De gemeenteraad van Zwolle heeft dinsdag besloten een nieuwe fietsbrug over de "
           "IJssel te bouwen. De brug moet in 2025 klaar zijn en kost ruim twaalf miljoen euro.")
EN_TEXT = ("The city council of Zwolle decided on Tuesday to build a new cycle bridge across "
           "the river IJssel. The bridge should be finished in 2025 and costs twelve million.")


class Server:
    def __init__(self, base, port, log):
        self.base, self.port, self.log = base, port, log
        self.counter = 0
        self.sent = {}  # method -> requests answered
        self._sent_lock = threading.Lock()

    def request(self, method, path, body=None, headers=None, raw=None):
        """(status, headers, JSON body) of one request on a new connection."""
        status, response_headers, parsed = harness_request(self.port, method, path, body,
                                                           headers, raw, timeout=120)
        if isinstance(parsed, bytes):
            raise AssertionError(f"{method} {path} answered non-JSON: {parsed[:200]!r}")
        with self._sent_lock:
            self.sent[method] = self.sent.get(method, 0) + 1
        return status, response_headers, parsed

    def tagged(self, path):
        """``path`` made unique (a distinct ``limit``) so its log line can be found."""
        self.counter += 1
        return f"{path}&limit={self.counter % 100 + 1}&offset={self.counter // 100}"

    def log_lines(self):
        """(worker pid, method, path with query, status) per answered request, in order.

        The request lines are Tolk's JSON access lines (``service/logs.py``).
        """
        lines = []
        for line in Path(self.log).read_text().splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue  # a line still being written
            if entry.get("logger") != "gunicorn.access":
                continue
            lines.append((str(entry["pid"]), entry["method"], entry["path"], str(entry["status"])))
        return lines

    def workers_of_method(self, method):
        """Worker pid of every answered request with this method, in order."""
        deadline = time.monotonic() + 10
        while True:
            pids = [pid for pid, m, _, _ in self.log_lines() if m == method]
            if len(pids) >= self.sent.get(method, 0) or time.monotonic() > deadline:
                return pids
            time.sleep(0.1)

    def workers_of(self, paths):
        """Worker pid that answered each of these (unique) request paths."""
        wanted = set(paths)
        deadline = time.monotonic() + 10  # a worker logs just after it answered
        while True:
            pids = {full: pid for pid, _, full, _ in self.log_lines() if full in wanted}
            if set(pids) == wanted or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert set(pids) == wanted, "requests missing from the access log"
        return pids


@pytest.fixture(scope="module")
def write_server(seed_index, tmp_path_factory, module_gunicorn):
    tmp = tmp_path_factory.mktemp("gunicorn-write")
    log = tmp / "access.log"
    gunicorn = module_gunicorn(
        copy_index(seed_index, tmp / "index"), workers=WORKERS, log=tmp / "error.log",
        args=["--access-logfile", str(log)],
        env={"TOLK_API_KEY": KEY, "TOLK_LOCK_TIMEOUT": "100", "TOLK_MAX_CONTENT_LENGTH": "4000"})
    server = Server(gunicorn.base_url, gunicorn.port, log)
    deadline = time.monotonic() + 60
    while True:  # until every worker has answered
        with ThreadPoolExecutor(WORKERS * 2) as pool:
            list(pool.map(lambda _: server.request("GET", "/api/health"), range(WORKERS * 4)))
        if len({pid for pid, *_ in server.log_lines()}) == WORKERS:
            return server
        if time.monotonic() > deadline:
            raise RuntimeError("not every worker answered: " + gunicorn.output()[-3000:])
        time.sleep(0.2)


def many(server, paths, threads=8):
    """GET every path concurrently (so every worker gets some); [(path, status, body)]."""
    with ThreadPoolExecutor(threads) as pool:
        results = list(pool.map(lambda p: server.request("GET", p), paths))
    return [(path, status, body) for path, (status, _, body) in zip(paths, results)]


def search_paths(server, q, n=60, extra=""):
    return [server.tagged(f"/api/search?q={q}{extra}") for _ in range(n)]


def test_write_through_one_worker_is_seen_by_all(write_server):
    # Every worker first opens its searchers on the index without the document.
    before = many(write_server, search_paths(write_server, "Zwolle"))
    assert all(status == 200 and body["total"] == 0 for _, status, body in before)
    assert len(set(write_server.workers_of([p for p, _, _ in before]).values())) == WORKERS

    status, _, body = write_server.request(
        "POST", "/api/documents", {"documents": [{"id": "gz-1", "text": NL_TEXT}]}, AUTH)
    assert status == 200, body
    writer = write_server.workers_of_method("POST")[-1]

    after = many(write_server, search_paths(write_server, "Zwolle"))
    assert all(status == 200 for _, status, _ in after)
    assert [body["total"] for _, _, body in after] == [1] * len(after)
    assert all(body["hits"][0]["id"] == "gz-1" for _, _, body in after if body["hits"])
    readers = set(write_server.workers_of([p for p, _, _ in after]).values())
    assert len(readers) >= 2 and readers - {writer}


def test_replace_and_delete_are_seen_by_all(write_server):
    status, _, body = write_server.request(
        "POST", "/api/documents", {"documents": [{"id": "gz-2", "text": NL_TEXT}]}, AUTH)
    assert status == 200, body
    status, _, body = write_server.request("PUT", "/api/documents/gz-2",
                                           {"text": EN_TEXT, "language": "en"}, AUTH)
    assert status == 200 and body["language"] == "en"
    gets = many(write_server, ["/api/documents/gz-2"] * 30)
    assert {(status, body["original"]) for _, status, body in gets} == {(200, EN_TEXT)}
    found = many(write_server, search_paths(write_server, "gemeenteraad",
                                            extra="&crosslingual=false"))
    assert all("gz-2" not in {h["id"] for h in body["hits"]} for _, _, body in found)

    status, _, body = write_server.request("DELETE", "/api/documents/gz-2", headers=AUTH)
    assert status == 200 and body == {"id": "gz-2", "deleted": True}
    gets = many(write_server, [write_server.tagged("/api/search?q=bridge") for _ in range(40)])
    assert all("gz-2" not in {h["id"] for h in body["hits"]} for _, _, body in gets)
    assert len(set(write_server.workers_of([p for p, _, _ in gets]).values())) >= 2
    status, _, body = write_server.request("GET", "/api/documents/gz-2")
    assert status == 404 and body["code"] == "not_found"


def test_concurrent_writes_from_several_workers_all_land(write_server):
    _, _, health = write_server.request("GET", "/api/health")
    start = health["documents"]["nl"]
    ids = [f"gc-{i}" for i in range(6)]

    def post(doc_id):
        return write_server.request("POST", "/api/documents",
                                    {"documents": [{"id": doc_id, "text": NL_TEXT}]}, AUTH)

    with ThreadPoolExecutor(len(ids)) as pool:
        results = list(pool.map(post, ids))
    assert [status for status, _, _ in results] == [200] * len(ids), results
    writers = write_server.workers_of_method("POST")
    assert len(set(writers[-len(ids):])) >= 2  # the writes came through several workers
    counts = many(write_server, ["/api/health"] * 30)
    assert {body["documents"]["nl"] for _, _, body in counts} == {start + len(ids)}
    for doc_id in ids:
        status, _, body = write_server.request("GET", f"/api/documents/{doc_id}")
        assert status == 200 and body["original"] == NL_TEXT


def test_auth_and_limits_over_http(write_server):
    doc = {"documents": [{"id": "gx", "text": NL_TEXT}]}
    status, headers, body = write_server.request("POST", "/api/documents", doc)
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    status, _, body = write_server.request("POST", "/api/documents", doc,
                                           {"Authorization": "Bearer nope"})
    assert status == 401 and body["code"] == "unauthorized"
    status, _, body = write_server.request(
        "POST", "/api/documents", {"documents": [{"id": "big", "text": "woord " * 1000}]},
        AUTH)
    assert status == 413 and body["code"] == "too_large"
    status, _, body = write_server.request("POST", "/api/documents", raw=b"{oops", headers={
        **AUTH, "Content-Type": "application/json"})
    assert status == 400 and body["code"] == "invalid_json"
    status, headers, _ = write_server.request("GET", "/api/search?q=Poetin",
                                              headers={"Origin": "https://app.example"})
    assert status == 200 and headers["Access-Control-Allow-Origin"] == "*"
    assert write_server.request("GET", "/api/documents/gx")[0] == 404
