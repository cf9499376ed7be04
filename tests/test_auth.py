"""Keys: admin key for writes, optional search-only read keys, CORS for browser writes, page."""

import pytest

from conftest import assert_error
from service import create_app

ADMIN = "admin-key-123"
READER = "reader-key-456"


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def protected(writable_index):
    app = create_app({"INDEX_DIR": str(writable_index), "API_KEY": ADMIN,
                      "READ_KEYS": f"{READER}, other-reader", "FREEDICT_DIR": ""})
    return app.test_client()


READS = ["/api/search?q=Poetin", "/api/suggest?q=poe", "/api/stats",
         "/api/documents/000_bb9c2193cdca5199"]


def test_reads_are_open_without_read_keys(client):
    for path in READS[:3]:
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("path", READS)
def test_reads_need_a_read_or_admin_key_when_read_keys_are_set(protected, path):
    body = assert_error(protected.get(path), 401, "unauthorized")
    assert "TOLK_READ_KEYS" in body["message"]
    assert protected.get(path).headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(protected.get(path, headers=bearer("wrong")), 401, "unauthorized")
    assert_error(protected.get(path, headers={"Authorization": f"Basic {READER}"}), 401)
    for key in (READER, "other-reader", ADMIN):
        response = protected.get(path, headers=bearer(key))
        assert response.status_code in (200, 404), (path, key, response.get_data())


def test_a_read_key_cannot_write_and_the_admin_key_can(protected):
    doc = {"documents": [{"id": "auth-1", "text": "Het kabinet bespreekt dinsdag de begroting "
                                                  "voor defensie en de steun aan Oekraine."}]}
    body = assert_error(protected.post("/api/documents", json=doc, headers=bearer(READER)),
                        403, "forbidden")
    assert "admin" in body["message"]
    assert_error(protected.post("/api/documents", json=doc), 401)
    assert protected.post("/api/documents", json=doc, headers=bearer(ADMIN)).status_code == 200
    assert protected.get("/api/documents/auth-1", headers=bearer(READER)).status_code == 200


def test_health_openapi_and_preflight_stay_open(protected):
    for path in ("/api/health", "/api/health/live", "/api/health/ready", "/api/openapi.json"):
        assert protected.get(path).status_code == 200, path
    response = protected.options("/api/search", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization"})
    assert response.status_code == 200
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]


def test_keys_never_reach_an_error_message(protected):
    response = protected.get("/api/search?q=x", headers=bearer("almost-" + READER))
    assert READER not in response.get_data(as_text=True)


def test_page_is_off_when_reads_are_protected_unless_switched_on(seed_index):
    auto = create_app({"INDEX_DIR": str(seed_index), "READ_KEYS": READER}).test_client()
    response = auto.get("/?q=Poetin")
    assert response.status_code == 404 and "TOLK_PAGE" in response.get_data(as_text=True)
    on = create_app({"INDEX_DIR": str(seed_index), "READ_KEYS": READER,
                     "PAGE": "on"}).test_client()
    page = on.get("/?q=Poetin")
    assert page.status_code == 200 and READER not in page.get_data(as_text=True)
    off = create_app({"INDEX_DIR": str(seed_index), "PAGE": "off"}).test_client()
    assert off.get("/").status_code == 404
    assert create_app({"INDEX_DIR": str(seed_index)}).test_client().get("/").status_code == 200


def test_cors_allows_browser_writes_only_from_configured_origins(seed_index):
    app = create_app({"INDEX_DIR": str(seed_index), "API_KEY": ADMIN,
                      "CORS_ORIGINS": "https://admin.example"})
    client = app.test_client()
    allowed = client.options("/api/documents", headers={
        "Origin": "https://admin.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://admin.example"
    assert "POST" in allowed.headers["Access-Control-Allow-Methods"]
    assert "Authorization" in allowed.headers["Access-Control-Allow-Headers"]
    assert "Origin" in allowed.headers["Vary"]
    other = client.options("/api/documents", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert "POST" not in other.headers.get("Access-Control-Allow-Methods", "")
    # without configured origins, no origin may write
    plain = create_app({"INDEX_DIR": str(seed_index), "API_KEY": ADMIN}).test_client()
    preflight = plain.options("/api/documents", headers={
        "Origin": "https://admin.example", "Access-Control-Request-Method": "POST"})
    assert "POST" not in preflight.headers.get("Access-Control-Allow-Methods", "")
    assert "Authorization" not in preflight.headers.get("Access-Control-Allow-Headers", "")
