"""Prometheus metrics at ``/metrics``, correct under several gunicorn workers.

Each worker is its own process with its own counters, and a scrape reaches
one of them; so, under gunicorn, counters and histograms live in
prometheus_client's multiprocess files (``PROMETHEUS_MULTIPROC_DIR``, set and
cleaned by ``service/gunicorn_conf.py``) and a scrape sums every worker's.
Facts about the index (documents, generation age, lexicon size) belong to the
data on disk, not to a worker: the scraping worker reads them fresh at scrape
time. Cache hit ratios are computed at scrape time from the summed counters.
Without ``PROMETHEUS_MULTIPROC_DIR`` (one process: tests, the Flask dev server)
the default registry is used.
"""

from __future__ import annotations

import os
import threading
import time

from flask import Blueprint, Response, current_app, g, request
from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter,
                               Histogram, generate_latest)
from prometheus_client.core import GaugeMetricFamily

from index import observe
from index.storage import postingcache
from index.search.resultcache import cache_for

bp = Blueprint("metrics", __name__)

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
PHASE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                 0.5, 1, 2.5)
HIT_BUCKETS = (0, 1, 3, 10, 30, 100, 300, 1000, 3000, 10000, 100000)

REQUESTS = Counter("tolk_http_requests", "HTTP requests answered, by route and status.",
                   ["method", "route", "status"])
LATENCY = Histogram("tolk_http_request_duration_seconds",
                    "Time from the request reaching the app to the response, by route and status.",
                    ["method", "route", "status"], buckets=LATENCY_BUCKETS)
PHASES = Histogram("tolk_search_phase_seconds",
                   "Search time by phase: parse (query and searchers), expand (language, "
                   "cross-links, typos, IDF), score (matching, top-k, facets), highlight "
                   "(snippets, did-you-mean), cache (answered from the result cache).",
                   ["phase"], buckets=PHASE_BUCKETS)
HITS = Histogram("tolk_search_hits", "Total hits per search query.", buckets=HIT_BUCKETS)
LOCK_WAIT = Histogram("tolk_write_lock_wait_seconds",
                      "Time a writer waited for the index write lock, by outcome.",
                      ["outcome"], buckets=LATENCY_BUCKETS)
CACHE_LOOKUPS = Counter("tolk_cache_lookups", "Cache lookups by cache and result (hit, miss).",
                        ["cache", "result"])


def _lock_listener(seconds: float, acquired: bool) -> None:
    LOCK_WAIT.labels("acquired" if acquired else "timeout").observe(seconds)


if _lock_listener not in observe.lock_wait_listeners:
    observe.lock_wait_listeners.append(_lock_listener)


class _CacheSync:
    """Carries the caches' own hit/miss counts into the (multiprocess) counters."""

    def __init__(self):
        self.seen: dict = {}
        self._lock = threading.Lock()  # threaded workers sync from several threads

    def sync(self, name: str, cache) -> None:
        if cache is None:
            return
        with self._lock:
            for result, attribute in (("hit", "hits"), ("miss", "misses")):
                now = getattr(cache, attribute, 0)
                key = (name, result, id(cache))
                delta = now - self.seen.get(key, 0)
                if delta > 0:
                    CACHE_LOOKUPS.labels(name, result).inc(delta)
                self.seen[key] = now


_caches = _CacheSync()


def enabled() -> bool:
    return current_app.config.get("METRICS", "on") == "on"


def observe_search(timings: dict, result: dict | None) -> None:
    """Record one search's phase timings and hit count (from ``observe.recording_phases``)."""
    for phase, seconds in timings.items():
        if not phase.startswith("_"):
            PHASES.labels(phase).observe(seconds)
    if result is not None:
        HITS.observe(result.get("total", 0))


def register_request_metrics(app) -> None:
    @app.after_request
    def count_request(response):
        if not enabled():
            return response
        started = g.get("request_started")
        rule = request.url_rule
        route = rule.rule if rule is not None else "unmatched"
        status = str(response.status_code)
        REQUESTS.labels(request.method, route, status).inc()
        if started is not None:
            LATENCY.labels(request.method, route, status).observe(
                time.perf_counter() - started)
        reader = app.extensions.get("tolk_reader")
        if reader is not None:
            _caches.sync("result", cache_for(reader))
        _caches.sync("posting", postingcache.CACHE)
        return response


class IndexCollector:
    """Index facts read at scrape time: documents, generation age, lexicon size, ratios."""

    def __init__(self, reader, summed=None):
        self.reader = reader
        self.summed = summed or []  # metric families already collected (for the ratios)

    def collect(self):
        documents = GaugeMetricFamily("tolk_documents", "Documents in the index by language.",
                                      labels=["language"])
        up = GaugeMetricFamily("tolk_index_up", "1 if the index opens, 0 if not.")
        try:
            counts = self.reader.counts()
            generation = self.reader.generation
        except Exception:  # noqa: BLE001 - a broken index is reported, not raised
            up.add_metric([], 0)
            yield up
            yield from self._ratios()
            return
        up.add_metric([], 1)
        yield up
        for language, count in sorted(counts.items()):
            documents.add_metric([language], count)
        yield documents
        age = GaugeMetricFamily("tolk_index_generation_age_seconds",
                                "Seconds since the index was last written (its commit point).")
        age.add_metric([], max(0.0, time.time() - _last_write(generation)))
        yield age
        lexicon = GaugeMetricFamily("tolk_lexicon_pairs",
                                    "Cross-link lexicon pairs by source.", labels=["source"])
        try:
            pairs = self.reader.lexicon()
            stats = pairs.stats() if pairs is not None else {}
        except Exception:  # noqa: BLE001
            stats = {}
        for source, count in sorted(stats.items()):
            lexicon.add_metric([source], count)
        yield lexicon
        yield from self._ratios()

    def _ratios(self):
        counts: dict = {}
        for family in self.summed:
            if family.name != "tolk_cache_lookups":
                continue
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    key = (sample.labels["cache"], sample.labels["result"])
                    counts[key] = counts.get(key, 0) + sample.value
        ratio = GaugeMetricFamily("tolk_cache_hit_ratio",
                                  "Hits / lookups since start, by cache (all workers).",
                                  labels=["cache"])
        for cache in ("result", "posting"):
            hits, misses = counts.get((cache, "hit"), 0), counts.get((cache, "miss"), 0)
            if hits + misses:
                ratio.add_metric([cache], hits / (hits + misses))
        yield ratio


def _last_write(generation) -> float:
    for name in ("commit.json", "meta.json"):
        path = generation / name
        if path.exists():
            return path.stat().st_mtime
    return generation.stat().st_mtime


def render() -> bytes:
    """The text exposition of every metric: all workers' (multiprocess) plus the index's."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    summed = list(registry.collect())
    scrape = CollectorRegistry()
    scrape.register(_Fixed(summed))
    engine = current_app.extensions.get("tolk_backend")
    if engine is not None and not engine.embedded:
        scrape.register(BackendCollector(engine))
    else:
        scrape.register(IndexCollector(current_app.extensions["tolk_reader"], summed))
    return generate_latest(scrape)


class BackendCollector:
    """Documents and reachability of a cluster backend (OpenSearch), read at scrape time."""

    def __init__(self, engine):
        self.engine = engine

    def collect(self):
        up = GaugeMetricFamily("tolk_index_up", "1 if the index opens, 0 if not.")
        try:
            counts = self.engine.counts()
        except Exception:  # noqa: BLE001 - a cluster that is down is reported, not raised
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        documents = GaugeMetricFamily("tolk_documents", "Documents in the index by language.",
                                      labels=["language"])
        for language, count in sorted(counts.items()):
            documents.add_metric([language], count)
        yield documents


class _Fixed:
    def __init__(self, families):
        self.families = families

    def collect(self):
        return self.families


@bp.get("/metrics")
def metrics_endpoint():
    if not enabled():
        from .errors import ApiError
        raise ApiError(404, "not_found", "metrics are off on this server (TOLK_METRICS=off)")
    from .auth import check_read_key
    check_read_key()
    return Response(render(), mimetype=CONTENT_TYPE_LATEST.split(";")[0],
                    headers={"Content-Type": CONTENT_TYPE_LATEST})
