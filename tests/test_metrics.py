"""Prometheus metrics scraped from a real multi-worker gunicorn, parsed with prometheus_client."""

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from prometheus_client.parser import text_string_to_metric_families

from conftest import AS_OPERATOR, copy_index

KEY = "metrics-admin-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
PHASES = ("parse", "expand", "score", "highlight")


def scrape(server, headers=None) -> dict:
    """{(sample name, sorted labels): value} of one /metrics answer."""
    status, text = server.get_text("/metrics", headers=headers)
    assert status == 200, text
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def server(seed_index, tmp_path_factory, module_gunicorn):
    folder = tmp_path_factory.mktemp("metrics")
    index_dir = copy_index(seed_index, folder / "index")
    return module_gunicorn(index_dir, log=folder / "gunicorn.log", workers=3,
                           env={"TOLK_API_KEY": KEY}, **AS_OPERATOR)


def test_requests_and_searches_are_summed_over_all_workers(server):
    before = scrape(server)

    def one(query):
        status, _, body = server.request("GET", "/api/search?q=" + query.replace(" ", "+"))
        assert status == 200
        return body["total"]

    def search_pids():
        return {line["pid"] for line in server.log_lines() if line.get("route") == "/api/search"}

    # Concurrent and distinct (none from the cache), in rounds until several workers have
    # answered: with gevent workers one worker may take a whole round.
    queries, totals = [], []
    for round_ in range(20):
        batch = [f"Poetin troepen {round_} {i}" for i in range(6)]
        with ThreadPoolExecutor(6) as pool:
            totals += list(pool.map(one, batch))
        queries += batch
        if len(queries) >= 30 and len(search_pids()) >= 2:
            break
    status, _, _ = server.request("GET", "/api/search")  # a 400
    assert status == 400
    after = scrape(server)
    lines = server.wait_for_lines(lambda lines: sum(
        line.get("route") == "/api/search" for line in lines) >= len(queries) + 1)
    pids = {line["pid"] for line in lines if line.get("route") == "/api/search"}
    assert len(pids) >= 2, "the requests should have reached several workers"

    def delta(name, **labels):
        return value(after, name, **labels) - value(before, name, **labels)

    route = {"method": "GET", "route": "/api/search"}
    assert delta("tolk_http_requests_total", status="200", **route) == len(queries)
    assert delta("tolk_http_requests_total", status="400", **route) == 1
    assert delta("tolk_http_request_duration_seconds_count", status="200", **route) \
        == len(queries)
    assert delta("tolk_http_request_duration_seconds_sum", status="200", **route) > 0
    assert delta("tolk_search_hits_count") == len(queries)
    assert delta("tolk_search_hits_sum") == sum(totals)
    for phase in PHASES:
        assert delta("tolk_search_phase_seconds_count", phase=phase) == len(queries), phase
        assert delta("tolk_search_phase_seconds_sum", phase=phase) > 0, phase


def test_index_gauges_describe_the_index(server):
    samples = scrape(server)
    _, _, stats = server.request("GET", "/api/stats")
    for language, count in stats["documents"].items():
        assert value(samples, "tolk_documents", language=language) == count
    assert value(samples, "tolk_index_up") == 1
    assert sum(v for (name, _), v in samples.items() if name == "tolk_lexicon_pairs") \
        == sum(stats["lexicon_pairs"].values())
    assert value(samples, "tolk_index_generation_age_seconds") >= 0


def test_cache_lookups_and_hit_ratio(server):
    for _ in range(6):
        assert server.request("GET", "/api/search?q=NAVO+Oekraine")[0] == 200
    samples = scrape(server)
    hits = value(samples, "tolk_cache_lookups_total", cache="result", result="hit")
    misses = value(samples, "tolk_cache_lookups_total", cache="result", result="miss")
    assert hits >= 3  # 6 requests over 3 workers: at most 3 misses for this query
    ratio = value(samples, "tolk_cache_hit_ratio", cache="result")
    assert ratio == pytest.approx(hits / (hits + misses))
    # The posting cache holds phrase positions (word postings are read as arrays): the same
    # phrase in 12 different requests (not result-cached) over 3 workers meets it again.
    for limit in range(1, 13):
        assert server.request("GET", f'/api/search?q="NAVO+Oekraine"&limit={limit}')[0] == 200
    samples = scrape(server)
    assert 0 < value(samples, "tolk_cache_hit_ratio", cache="posting") <= 1


def test_write_lock_waits_are_counted(server):
    before = scrape(server)
    doc = {"id": "metrics-1", "text": "De gemeenteraad van Zwolle besloot dinsdag een nieuwe "
                                      "fietsbrug over de IJssel te bouwen voor twaalf miljoen."}
    status, _, body = server.request("POST", "/api/documents", body={"documents": [doc]},
                                     headers=AUTH)
    assert status == 200, body
    after = scrape(server)
    count = ("tolk_write_lock_wait_seconds_count", (("outcome", "acquired"),))
    assert after.get(count, 0) - before.get(count, 0) == 1
    assert value(after, "tolk_documents", language="nl") \
        == value(before, "tolk_documents", language="nl") + 1


def test_counts_survive_a_worker_that_dies(server):
    before = scrape(server)
    pids = {line["pid"] for line in server.log_lines() if line.get("route") == "/api/search"}
    os.kill(sorted(pids)[0], signal.SIGKILL)  # gunicorn replaces it
    time.sleep(1.0)
    after = scrape(server)
    key = ("tolk_http_requests_total",
           (("method", "GET"), ("route", "/api/search"), ("status", "200")))
    assert after[key] == before[key]


def test_metrics_need_a_key_when_reads_do(seed_index, tmp_path, gunicorn):
    server = gunicorn(seed_index, log=tmp_path / "g.log", workers=1,
                      env={"TOLK_READ_KEYS": "scrape-key"}, **AS_OPERATOR)
    status, headers, body = server.request("GET", "/metrics")
    assert status == 401 and body["code"] == "unauthorized"
    assert headers["WWW-Authenticate"].startswith("Bearer")
    samples = scrape(server, {"Authorization": "Bearer scrape-key"})
    assert value(samples, "tolk_index_up") == 1


def test_metrics_off():
    from service import create_app

    app = create_app({"INDEX_DIR": "/nonexistent", "METRICS": "off"})
    response = app.test_client().get("/metrics")
    assert response.status_code == 404 and response.get_json()["code"] == "not_found"
