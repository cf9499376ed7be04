"""POST /api/documents batches: on_error=skip, NDJSON bodies read as a stream, their limits."""

import io
import json

import pytest

from service import create_app
from service.batches import ndjson_lines
from service.schemas import BatchResultSchema
from conftest import assert_error

AUTH = {"Authorization": "Bearer test-key"}
NDJSON = {**AUTH, "Content-Type": "application/x-ndjson"}
NL_TEXT = ("De gemeenteraad van Zwolle heeft dinsdag besloten een nieuwe fietsbrug over de "
           "IJssel te bouwen. De brug moet in 2025 klaar zijn en kost ruim twaalf miljoen euro.")
EN_TEXT = ("The city council of Zwolle decided on Tuesday to build a new cycle bridge across "
           "the river IJssel. The bridge should be finished in 2025 and costs twelve million.")
GERMAN = ("Der Stadtrat hat am Dienstag beschlossen, eine neue Fahrradbrücke über den Fluss zu "
          "bauen. Die Brücke soll im Jahr 2025 fertig sein und kostet zwölf Millionen Euro, "
          "sagte der Bürgermeister der Stadt.")


def post(client, docs, query="", headers=AUTH):
    return client.post("/api/documents" + query, json={"documents": docs}, headers=headers)


def post_ndjson(client, lines, query="", **kwargs):
    body = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    return client.post("/api/documents" + query, data=body.encode("utf-8"), headers=NDJSON,
                       **kwargs)


def counts(client):
    return client.get("/api/health").get_json()["documents"]


# -- on_error=skip -----------------------------------------------------------------------


def test_skip_stores_the_good_documents_and_lists_each_refused_one(write_client):
    response = post(write_client, [
        {"id": "good-1", "text": NL_TEXT},
        {"id": "no-text"},
        {"id": "good-2", "text": EN_TEXT, "source": "BBC"},
        {"id": "de-1", "text": GERMAN},
        {"id": "good-1", "text": EN_TEXT},
        "not an object",
        {"id": "bad date", "text": NL_TEXT, "date": "2022-13", "colour": "red"},
    ], "?on_error=skip")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert BatchResultSchema().validate(body) == {}
    assert (body["indexed"], body["refused"]) == (2, 5)
    assert [d["id"] for d in body["documents"]] == ["good-1", "good-2"]
    items = body["items"]
    assert [item["index"] for item in items] == list(range(7))
    assert [item["status"] for item in items] == [
        "stored", "refused", "stored", "refused", "refused", "refused", "refused"]
    assert items[0]["errors"] == {} and items[0]["id"] == "good-1"
    assert "text" in items[1]["errors"] and items[1]["id"] == "no-text"
    assert "language" in items[3]["errors"]  # German: neither Dutch nor English
    assert "also item 0" in items[4]["errors"]["id"][0]
    assert items[5]["id"] is None and "_schema" in items[5]["errors"]
    assert items[6]["id"] is None  # an invalid id is not echoed as an id
    assert {"id", "date", "colour"} <= set(items[6]["errors"])
    # the first good-1 (Dutch) is what was stored, not the refused duplicate
    assert write_client.get("/api/documents/good-1").get_json()["language"] == "nl"
    assert write_client.get("/api/documents/good-2").get_json()["source"] == "BBC"
    assert write_client.get("/api/documents/de-1").status_code == 404
    assert counts(write_client) == {"nl": 5, "en": 2}


def test_skip_with_every_document_refused_is_422_and_stores_nothing(write_client):
    body = assert_error(post(write_client, [{"id": "de-1", "text": GERMAN}, {"id": "x"}],
                             "?on_error=skip"), 422, "invalid_document")
    assert set(body["errors"]["documents"]) == {"0", "1"}
    assert "nothing was stored" in body["message"]
    assert counts(write_client) == {"nl": 4, "en": 1}


def test_default_stays_all_or_nothing(write_client):
    docs = [{"id": "good-1", "text": NL_TEXT}, {"id": "de-1", "text": GERMAN}]
    for query in ("", "?on_error=fail"):
        body = assert_error(post(write_client, docs, query), 422, "invalid_document")
        assert list(body["errors"]["documents"]) == ["1"]
    assert write_client.get("/api/documents/good-1").status_code == 404
    body = post(write_client, docs[:1]).get_json()
    assert body["indexed"] == 1 and body["refused"] == 0
    assert body["items"] == [{"index": 0, "id": "good-1", "status": "stored", "errors": {}}]


@pytest.mark.parametrize("query", ["?on_error=ignore", "?on_error=", "?colour=red"])
def test_unknown_batch_options_are_400(write_client, query):
    body = assert_error(post(write_client, [{"id": "x", "text": NL_TEXT}], query), 400)
    assert body["errors"]
    assert write_client.get("/api/documents/x").status_code == 404


@pytest.mark.parametrize("payload", [
    {"documents": []}, {"documents": "x"}, [{"id": "x", "text": NL_TEXT}],
    {"documents": [{"id": "x", "text": NL_TEXT}], "extra": 1},
])
def test_skip_still_refuses_a_wrong_envelope(write_client, payload):
    assert_error(write_client.post("/api/documents?on_error=skip", json=payload, headers=AUTH),
                 400, "invalid_request")


def test_skip_respects_the_batch_size_limit(writable_index):
    client = create_app({"INDEX_DIR": str(writable_index), "API_KEY": "test-key",
                         "FREEDICT_DIR": "", "MAX_BATCH_DOCS": 2}).test_client()
    docs = [{"id": f"n{i}", "text": NL_TEXT} for i in range(3)]
    assert_error(post(client, docs, "?on_error=skip"), 413, "too_many_documents")
    assert_error(post_ndjson(client, docs, "?on_error=skip"), 413, "too_many_documents")
    assert client.get("/api/documents/n0").status_code == 404
    assert post_ndjson(client, docs[:2] + ["", "  "]).status_code == 200  # blank lines: free


# -- NDJSON --------------------------------------------------------------------------------


def test_ndjson_batch_is_stored_like_a_json_one(write_client):
    response = post_ndjson(write_client, [
        {"id": "nd-1", "text": NL_TEXT, "source": "NOS"},
        "",
        "   ",
        {"id": "nd-2", "text": EN_TEXT, "date": "2023-05-02"},
    ])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert BatchResultSchema().validate(body) == {}
    assert body["indexed"] == 2
    assert [(i["index"], i["line"], i["id"]) for i in body["items"]] == [
        (0, 1, "nd-1"), (1, 4, "nd-2")]
    assert write_client.get("/api/documents/nd-2").get_json()["date"] == "2023-05-02"
    assert write_client.get("/api/documents/nd-1").get_json()["source"] == "NOS"


def test_ndjson_errors_name_the_line(write_client):
    lines = [
        {"id": "nd-1", "text": NL_TEXT},
        "",
        "{not json",
        {"id": "nd-3", "text": NL_TEXT, "language": "de"},
        '["an", "array"]',
        {"id": "nd-1", "text": EN_TEXT},
        {"id": "nd-6", "text": GERMAN},
    ]
    body = assert_error(post_ndjson(write_client, lines), 400, "invalid_request")
    errors = body["errors"]["lines"]
    assert set(errors) == {"3", "4", "5", "6"}  # shape errors first, as for JSON
    assert "not valid JSON" in errors["3"]["_schema"][0]
    assert "language" in errors["4"]
    assert "also line 1" in errors["6"]["id"][0]
    assert write_client.get("/api/documents/nd-1").status_code == 404

    body = post_ndjson(write_client, lines, "?on_error=skip").get_json()
    assert body["indexed"] == 1
    refused = {item["line"]: item for item in body["items"] if item["status"] == "refused"}
    assert set(refused) == {3, 4, 5, 6, 7}
    assert "language" in refused[7]["errors"]
    assert refused[4]["id"] == "nd-3" and refused[3]["id"] is None


def test_ndjson_only_unindexable_lines_is_422_by_line(write_client):
    body = assert_error(post_ndjson(write_client, [{"id": "nd-1", "text": NL_TEXT}, "",
                                                   {"id": "de", "text": GERMAN}]),
                        422, "invalid_document")
    assert list(body["errors"]["lines"]) == ["3"]


def test_ndjson_odd_lines(write_client):
    lines = [b"\xef\xbb\xbf" + json.dumps({"id": "bom", "text": NL_TEXT}).encode(),  # BOM
             json.dumps({"id": "crlf", "text": NL_TEXT}).encode() + b"\r",
             b'{"id": "latin1", "text": "caf\xe9"}',
             json.dumps({"id": "sur", "text": "a\ud800b"}).encode(),
             b"[" * 100_000,
             b"." * 100_000]
    response = write_client.post("/api/documents?on_error=skip", data=b"\n".join(lines),
                                 headers=NDJSON)
    assert response.status_code == 200, response.get_json()
    items = response.get_json()["items"]
    assert [item["status"] for item in items] == ["stored", "stored"] + ["refused"] * 4
    assert "not UTF-8" in items[2]["errors"]["_schema"][0]
    assert "surrogate" in items[3]["errors"]["_schema"][0]
    assert "nested too deeply" in items[4]["errors"]["_schema"][0] or \
        "not valid JSON" in items[4]["errors"]["_schema"][0]
    assert "not valid JSON" in items[5]["errors"]["_schema"][0]


@pytest.mark.parametrize("data", [b"", b"\n\n  \n"])
def test_ndjson_without_documents_is_400(write_client, data):
    body = assert_error(write_client.post("/api/documents", data=data, headers=NDJSON), 400)
    assert "no documents" in body["message"]


def test_ndjson_body_over_the_size_limit_is_413(writable_index):
    client = create_app({"INDEX_DIR": str(writable_index), "API_KEY": "test-key",
                         "FREEDICT_DIR": "", "MAX_CONTENT_LENGTH": 2000}).test_client()
    lines = [{"id": f"n{i}", "text": NL_TEXT} for i in range(12)]
    assert_error(post_ndjson(client, lines), 413, "too_large")
    assert client.get("/api/documents/n0").status_code == 404


def test_wrong_content_type_names_both_formats(write_client):
    body = assert_error(write_client.post("/api/documents", data="x", headers=AUTH,
                                          content_type="text/plain"), 415)
    assert "application/json" in body["message"] and "application/x-ndjson" in body["message"]


class Trickle(io.RawIOBase):
    """A stream that hands out at most ``step`` bytes a read, like a slow network."""

    def __init__(self, data: bytes, step: int):
        self.data, self.step, self.pos = data, step, 0

    def readable(self):
        return True

    def read(self, size=-1):
        chunk = self.data[self.pos:self.pos + self.step]
        self.pos += len(chunk)
        return chunk


@pytest.mark.parametrize("step", [1, 7, 65536])
def test_ndjson_lines_split_wherever_the_chunks_end(step):
    data = b'{"a": 1}\n\n{"b": "x\\ny"}\r\n   \nlast'
    assert list(ndjson_lines(Trickle(data, step))) == [
        (1, b'{"a": 1}'), (3, b'{"b": "x\\ny"}\r'), (5, b"last")]


def test_a_long_line_in_small_chunks_is_scanned_once():
    """Same 8 MB line, 4 KB chunks vs 1 MB chunks: scanning each chunk once costs about the
    same either way; rescanning the unfinished line per chunk would be ~250 times slower."""
    import time

    data = b'{"t": "' + b"." * 8_000_000 + b'"}\n'

    def cost(step):
        best = float("inf")
        for _ in range(3):
            started = time.process_time()
            assert len(list(ndjson_lines(Trickle(data, step)))) == 1
            best = min(best, time.process_time() - started)
        return best

    assert cost(4096) / cost(1 << 20) < 10


# -- over a real gunicorn ----------------------------------------------------------------

KEY = "batch-key"
LIMIT = 1_000_000  # TOLK_MAX_CONTENT_LENGTH of the server below
GUNICORN_AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def batch_server(seed_index, tmp_path_factory, module_gunicorn):
    from conftest import copy_index

    tmp = tmp_path_factory.mktemp("gunicorn-batches")
    return module_gunicorn(copy_index(seed_index, tmp / "index"), workers=2, log_dir=tmp, env={
        "TOLK_API_KEY": KEY, "TOLK_MAX_CONTENT_LENGTH": str(LIMIT),
        "TOLK_MAX_BATCH_DOCS": "30"})


def open_chunked(port, path, content_type="application/x-ndjson"):
    """A connection with the headers of a chunked POST sent; send pieces with ``send_chunk``."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.putrequest("POST", path)
    for name, value in {**GUNICORN_AUTH, "Content-Type": content_type,
                        "Transfer-Encoding": "chunked"}.items():
        conn.putheader(name, value)
    conn.endheaders()
    return conn


def send_chunk(conn, data: bytes) -> None:
    conn.send(b"%x\r\n%s\r\n" % (len(data), data))


def answer(conn):
    response = conn.getresponse()
    payload = json.loads(response.read())
    conn.close()
    return response.status, payload


def test_chunked_ndjson_with_lines_cut_across_chunks_over_gunicorn(batch_server):
    lines = [json.dumps({"id": f"g-{i}", "text": NL_TEXT if i % 2 else EN_TEXT})
             for i in range(6)]
    lines[3] = json.dumps({"id": "g-3", "text": GERMAN})
    body = ("\n\n".join(lines) + "\n").encode()
    conn = open_chunked(batch_server.port, "/api/documents?on_error=skip")
    for start in range(0, len(body), 97):  # pieces that end in the middle of lines
        send_chunk(conn, body[start:start + 97])
    conn.send(b"0\r\n\r\n")
    status, payload = answer(conn)
    assert status == 200, payload
    assert payload["indexed"] == 5 and payload["refused"] == 1
    assert [(i["line"], i["status"]) for i in payload["items"]] == [
        (1, "stored"), (3, "stored"), (5, "stored"), (7, "refused"), (9, "stored"),
        (11, "stored")]
    for i in (0, 1, 2, 4, 5):
        status, _, doc = batch_server.request("GET", f"/api/documents/g-{i}")
        assert status == 200 and doc["language"] == ("nl" if i % 2 else "en")
    assert batch_server.request("GET", "/api/documents/g-3")[0] == 404


def test_chunked_ndjson_over_the_body_limit_is_413_over_gunicorn(batch_server):
    conn = open_chunked(batch_server.port, "/api/documents")
    lines = [(json.dumps({"id": f"big-{i}", "text": (NL_TEXT + " ") * 300}) + "\n").encode()
             for i in range(25)]
    assert sum(map(len, lines)) > LIMIT
    try:
        for line in lines:
            send_chunk(conn, line)
        conn.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server may answer and close before reading it all
    status, payload = answer(conn)
    assert status == 413 and payload["code"] == "too_large", payload
    assert batch_server.request("GET", "/api/documents/big-0")[0] == 404


def test_ndjson_is_read_as_it_arrives_over_gunicorn(batch_server):
    """The 31st line is refused (TOLK_MAX_BATCH_DOCS=30) while the body is still open: the
    server reads line by line instead of waiting for the whole body."""
    conn = open_chunked(batch_server.port, "/api/documents")
    for i in range(31):
        send_chunk(conn, (json.dumps({"id": f"s-{i}", "text": "x"}) + "\n").encode())
    send_chunk(conn, b"\n" * 100_000)  # blank lines: more than one read of the server
    status, payload = answer(conn)  # no terminating chunk was sent
    assert status == 413 and payload["code"] == "too_many_documents", payload


def test_skip_over_gunicorn(batch_server):
    status, _, body = batch_server.request(
        "POST", "/api/documents?on_error=skip",
        {"documents": [{"id": "gs-1", "text": NL_TEXT}, {"id": "gs-2", "text": GERMAN}]},
        GUNICORN_AUTH)
    assert status == 200 and body["indexed"] == 1 and body["refused"] == 1, body
    assert body["items"][1]["status"] == "refused" and "language" in body["items"][1]["errors"]
    status, _, body = batch_server.request(
        "POST", "/api/documents?on_error=skip", {"documents": [{"id": "gs-3", "text": GERMAN}]},
        GUNICORN_AUTH)
    assert status == 422 and body["code"] == "invalid_document"
