"""Security: the write key, no path from input into the file system, escaping, limits."""

from __future__ import annotations

import inspect
import json
import os
import shutil
import urllib.parse
from pathlib import Path

import pytest

from service import auth, create_app

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.xdist_group("reliability")

KEY = "s3cret-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
ERROR_KEYS = {"code", "status", "message", "errors"}
NL = ("Het kabinet bespreekt dinsdag de begroting voor defensie en de steun aan Oekraine. "
      "De Tweede Kamer wil meer geld voor de krijgsmacht.")


@pytest.fixture
def sec_app(writable_index):
    app = create_app({"INDEX_DIR": str(writable_index), "API_KEY": KEY, "FREEDICT_DIR": "",
                      "MAX_CONTENT_LENGTH": 64 * 1024, "MAX_BATCH_DOCS": 10,
                      "MAX_QUERY_CHARS": 200})
    app.config.update(PROPAGATE_EXCEPTIONS=False)
    return app


@pytest.fixture
def sec_client(sec_app):
    return sec_app.test_client()


def is_error(response, status=None):
    assert response.status_code < 500
    if status is not None:
        assert response.status_code == status, response.data[:300]
    if response.request.path.startswith("/api/"):
        assert set(response.json) == ERROR_KEYS
    return response


# -- the write key --------------------------------------------------------------------------


def test_key_comparison_is_constant_time():
    source = inspect.getsource(auth._matches)
    assert "hmac.compare_digest" in source and "==" not in source
    for check in (auth.check_write_key, auth.check_read_key):  # every key goes through it
        assert "_matches(" in inspect.getsource(check) and "==" not in inspect.getsource(check)


@pytest.mark.parametrize("method, path, body", [
    ("POST", "/api/documents", {"documents": [{"id": "k-1", "text": NL}]}),
    ("PUT", "/api/documents/k-1", {"text": NL}),
    ("DELETE", "/api/documents/nos-1", None),
])
def test_every_write_needs_the_exact_key(sec_client, method, path, body):
    for header in (None, "", "Bearer", "Bearer ", "Basic " + KEY, "Bearer " + KEY[:-1],
                   "Bearer " + KEY + "x", "Bearer " + KEY.upper(), "Token " + KEY,
                   "Bearer " + KEY[:-1] + "\u00e9"):
        headers = {} if header is None else {"Authorization": header}
        response = sec_client.open(path, method=method, json=body, headers=headers)
        is_error(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert sec_client.open(path, method=method, json=body, headers=AUTH).status_code in (200,
                                                                                          404)


def test_no_key_configured_means_no_writes(writable_index):
    client = create_app({"INDEX_DIR": str(writable_index), "API_KEY": ""}).test_client()
    for header in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer anything"}):
        response = client.post("/api/documents", json={"documents": [{"id": "a", "text": NL}]},
                               headers=header)
        is_error(response, 403)


# -- no path from input into the file system ------------------------------------------------

TRAVERSAL_IDS = ["../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
                 "%252e%252e%252f", "/etc/passwd", "%2fetc%2fpasswd", "..", ".", "a/../../b",
                 "..\\..\\windows\\win.ini", "a%00b", "a%00.txt", "%00", "..%c0%af..%c0%afetc",
                 "~root", "$HOME", "a%0ab", "a%0d%0aSet-Cookie:x=1", "%2e%2e", "-rf"]
# Legal ids that are also names in the index directory: stored as ids, files untouched.
FILE_NAME_IDS = ["current", "generations", "write.lock", "commit.json", "meta.json",
                 "MAIN_WRITELOCK", "MAIN_1.toc", "nl", "en"]


def snapshot(root: Path) -> dict:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*") if not p.is_symlink() and p.is_file()}


@pytest.mark.parametrize("doc_id", TRAVERSAL_IDS)
def test_document_ids_never_reach_the_file_system(sec_client, tmp_path, doc_id):
    before = snapshot(tmp_path)
    for method in ("GET", "PUT", "DELETE"):
        body = {"text": NL} if method == "PUT" else None
        response = sec_client.open(f"/api/documents/{doc_id}", method=method, json=body,
                                   headers=AUTH)
        assert response.status_code in (400, 404, 405), (method, doc_id, response.status_code)
        if response.status_code != 405:
            is_error(response)
    raw = urllib.parse.unquote(doc_id)
    response = sec_client.post("/api/documents", json={"documents": [{"id": raw, "text": NL}]},
                               headers=AUTH)
    assert response.status_code == 400, (raw, response.status_code)
    is_error(response)
    assert snapshot(tmp_path) == before  # nothing written or replaced anywhere
    assert not (tmp_path / "etc").exists()


@pytest.mark.parametrize("doc_id", FILE_NAME_IDS)
def test_ids_named_like_index_files_are_just_ids(sec_client, writable_index, doc_id):
    link = os.readlink(writable_index / "current")
    generation = writable_index / link
    sec_client.put("/api/documents/warm-up", json={"text": NL}, headers=AUTH)  # first write
    top = {p.name for p in writable_index.iterdir()}
    inside = sorted(p.name for p in generation.iterdir())
    response = sec_client.put(f"/api/documents/{doc_id}", json={"text": NL}, headers=AUTH)
    assert response.status_code == 200
    got = sec_client.get(f"/api/documents/{doc_id}")
    assert got.status_code == 200 and got.json["original"] == NL
    assert os.readlink(writable_index / "current") == link
    assert (writable_index / "write.lock").stat().st_size == 0
    # No file appeared, went or was named after the id, at the top or in the generation.
    assert {p.name for p in writable_index.iterdir()} == top
    assert sorted(p.name for p in generation.iterdir()) == inside
    assert sec_client.delete(f"/api/documents/{doc_id}", headers=AUTH).status_code == 200


def test_an_id_with_a_trailing_newline_is_rejected(sec_client):
    response = sec_client.put("/api/documents/abc%0A", json={"text": NL}, headers=AUTH)
    assert response.status_code == 400
    assert sec_client.get("/api/documents/abc").status_code == 404


@pytest.mark.parametrize("path", [
    "/api/search?q=Poetin&lang=../../etc/passwd", "/api/search?q=../../etc/passwd",
    "/api/suggest?q=../../etc/passwd", "/api/search?q=Poetin&index_dir=/etc",
    "/?q=Poetin&ui=../../etc/passwd", "/?q=Poetin&lang=/etc/passwd",
    "/static/../../../etc/passwd", "/static/%2e%2e/%2e%2e/service/auth.py",
    "/static/..%2f..%2fservice%2fauth.py", "/api/../../etc/passwd",
    "/api/documents/%2e%2e%2f%2e%2e%2fconftest.py",
])
def test_parameters_and_paths_never_serve_files(sec_client, path):
    response = sec_client.get(path)
    assert response.status_code < 500
    assert b"root:" not in response.data and b"hmac" not in response.data


# -- escaping on the page ------------------------------------------------------------------

SCRIPT = "<script>alert('x')</script>"


def test_page_and_api_escape_documents_and_queries(sec_client):
    doc = {"id": "xss-1", "title": f"Titel {SCRIPT} \"><img src=x onerror=alert(1)>",
           "text": f"{NL} {SCRIPT} <b>vet</b> <img src=x onerror=alert(2)>",
           "source": SCRIPT, "url": "javascript:alert(3)", "language": "nl"}
    response = sec_client.post("/api/documents", json={"documents": [doc]}, headers=AUTH)
    assert response.status_code == 200, response.json
    for q in ("begroting", "script", "alert", SCRIPT, f'"{SCRIPT}"', "<b>vet</b>", "onerror"):
        page = sec_client.get("/", query_string={"q": q})
        html = page.data.decode()
        assert page.status_code in (200, 400)
        assert "<script>alert" not in html and "<img src=x" not in html, q
        assert "<b>vet" not in html
        assert 'href="javascript:' not in html
    html = sec_client.get("/", query_string={"q": "begroting"}).data.decode()
    assert "xss-1" in html or "Titel" in html  # the document is on the page, escaped
    assert "&lt;script&gt;" in html
    api = sec_client.get("/api/search", query_string={"q": "begroting vet"}).json
    snippets = " ".join(h["snippet"] for h in api["hits"])
    assert "<script>" not in snippets and "<img" not in snippets and "<b>" not in snippets
    # A query that is a syntax error is shown back escaped too.
    page = sec_client.get("/", query_string={"q": f'"{SCRIPT}'})
    assert "<script>alert" not in page.data.decode()


# -- limits ----------------------------------------------------------------------------------


def test_limits_in_process(sec_client):
    big = {"documents": [{"id": "big", "text": "woord " * 20_000}]}
    response = is_error(sec_client.post("/api/documents", json=big, headers=AUTH), 413)
    assert response.json["code"] == "too_large" and "TOLK_MAX_CONTENT_LENGTH" in \
        response.json["message"]
    many = {"documents": [{"id": f"m{i}", "text": NL} for i in range(11)]}
    response = is_error(sec_client.post("/api/documents", json=many, headers=AUTH), 413)
    assert response.json["code"] == "too_many_documents"
    response = is_error(sec_client.get("/api/search", query_string={"q": "a" * 201}), 400)
    assert response.json["code"] == "query_too_long"
    response = is_error(sec_client.get("/api/suggest", query_string={"q": "a" * 101}), 400)
    page = sec_client.get("/", query_string={"q": "a" * 201})
    assert page.status_code == 400


def test_limits_over_gunicorn(seed_index, tmp_path, gunicorn):
    index_dir = tmp_path / "index"
    shutil.copytree(seed_index, index_dir, symlinks=True,
                    ignore=shutil.ignore_patterns("write.lock"))
    server = gunicorn(index_dir, workers=2, env={
        "TOLK_API_KEY": KEY, "TOLK_MAX_CONTENT_LENGTH": "65536", "TOLK_MAX_BATCH_DOCS": "10"},
        log_dir=tmp_path)
    status, _, body = server.request("POST", "/api/documents", raw=b"x" * 200_000,
                                     headers={**AUTH, "Content-Type": "application/json"})
    assert status == 413 and body["code"] == "too_large"
    # No Content-Length: a chunked body is cut off at the limit as well.
    import http.client
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    conn.putrequest("POST", "/api/documents")
    for name, value in {**AUTH, "Content-Type": "application/json",
                        "Transfer-Encoding": "chunked"}.items():
        conn.putheader(name, value)
    conn.endheaders()
    chunk = b"[" * 8192
    try:
        for _ in range(16):
            conn.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        conn.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server may answer and close before reading it all
    response = conn.getresponse()
    payload = json.loads(response.read())
    conn.close()
    assert response.status == 413 and set(payload) == ERROR_KEYS, payload
    status, _, body = server.request(
        "POST", "/api/documents",
        {"documents": [{"id": f"m{i}", "text": NL} for i in range(11)]}, AUTH)
    assert status == 413 and body["code"] == "too_many_documents"
    status, _, body = server.request("GET", "/api/search?q=" + "a" * 600)
    assert status == 400 and body["code"] == "query_too_long"
    # The longest accepted query (500 characters) fits gunicorn's request line even
    # in 3-byte UTF-8, percent-encoded (9 bytes a character: 4.5 kB)...
    status, _, _ = server.request(
        "GET", "/api/search?q=" + urllib.parse.quote("\u20ac" * 400))
    assert status in (200, 400)
