"""Liveness, readiness and warm-up: health answers that tell the truth.

``/api/health/live`` says only that the process answers: an orchestrator
restarts a process that is not live, and an empty deployment (no index yet) is
live, and says how to index. ``/api/health/ready`` says that this worker can
serve searches: the index opens, the lexicon loads and a real probe search
(past the result cache) succeeds; otherwise 503 with the reason, so a load
balancer or Docker's HEALTHCHECK stops sending users to it.

Warm-up loads what the first query would otherwise load (searchers, lexicon,
analyzers and stemmers, the scoring and suggestion code paths, a few posting
lists) before the worker takes requests (gunicorn's ``post_worker_init`` in
``service/gunicorn_conf.py``), or lazily on the first readiness probe; so the
first user query is as fast as the tenth.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from flask import Blueprint, current_app, jsonify

from index.search import SearchRequest, search
from index.search.suggest import complete

from .errors import ApiError
from .logs import event
from .openapi import operation
from .schemas import LiveSchema, ReadySchema

bp = Blueprint("health", __name__, url_prefix="/api/health")
log = logging.getLogger("tolk.health")

# Probe queries: Dutch and English words, a phrase, a typo (did-you-mean path), a prefix.
WARM_QUERIES = ("de regering en het nieuws", "the government and the news",
                '"het kabinet"', "nieuwss")
PROBE_QUERY = "nieuws news"
_warm_lock = threading.Lock()


def _reader(app=None):
    return (app or current_app).extensions["tolk_reader"]


def _engine(app=None):
    """The backend when it is not the embedded index (OpenSearch), else None."""
    engine = (app or current_app).extensions.get("tolk_backend")
    return engine if engine is not None and not engine.embedded else None


def _index_status(reader) -> dict | None:
    """The reader's own status (generation, degraded flag) when it offers one."""
    status = getattr(reader, "status", None)
    if not callable(status):
        return None
    try:
        value = status()
    except Exception as exc:  # noqa: BLE001
        return {"degraded": True, "reason": str(exc)}
    return value if isinstance(value, dict) else getattr(value, "__dict__", None)


def probe(reader) -> dict:
    """Open the index and run one real search (not from the result cache); raise on failure."""
    counts = reader.counts()
    lexicon = reader.lexicon()
    result = search(reader, SearchRequest(q=PROBE_QUERY, limit=1, mode="lexical"),
                    lexicon=lexicon)
    return {"documents": counts, "probe_hits": result["total"],
            "lexicon_pairs": len(lexicon) if lexicon is not None else 0}


def warm_up(app) -> dict:
    """Load everything the first query needs; returns what it did (never raises)."""
    state = app.extensions.setdefault("tolk_warm", {"done": False})
    with _warm_lock:
        if state.get("done"):
            return state
        started = time.perf_counter()
        reader = _reader(app)
        try:
            with app.app_context():
                from index.crosslink.evidence import warm_up as warm_frequencies

                warm_frequencies()  # sense weighting's word frequencies (index/search/senses.py)
                lexicon = reader.lexicon()
                for query in WARM_QUERIES:
                    search(reader, SearchRequest(q=query, limit=10), lexicon=lexicon)
                    search(reader, SearchRequest(q=query, limit=10, lang="nl", sort="date",
                                                 date_from="2000-01"), lexicon=lexicon)
                complete(reader.searchers(), "ne", 5, "any")
            from .preload import inherited

            state.update(done=True, error=None, preloaded=inherited())
        except Exception as exc:  # noqa: BLE001 - a missing index is reported by /ready
            state.update(done=False, error=str(exc))
        state["seconds"] = round(time.perf_counter() - started, 3)
        if state["done"]:
            event(log, "warm-up done", seconds=state["seconds"], pid=os.getpid(),
                  preloaded=",".join(state["preloaded"]) or "nothing")
        else:
            event(log, "warm-up skipped", logging.DEBUG, pid=os.getpid(),
                  error=state.get("error"))
        return state


@bp.get("/live")
@operation(tag="service", summary="Liveness: the process answers",
           description="200 whenever the process runs, also without an index; `ready` and "
                       "`message` say whether it can serve searches and, if not, what to do.",
           response=LiveSchema)
def live():
    reader = _reader()
    body = {"status": "live", "pid": os.getpid(), "ready": True, "message": "serving"}
    if _engine() is not None:  # the cluster's state is /ready's business
        return jsonify(LiveSchema().dump(body))
    try:
        reader.generation
    except Exception as exc:  # noqa: BLE001 - live must answer whatever the index does
        body.update(ready=False, message=str(exc))
    return jsonify(LiveSchema().dump(body))


@bp.get("/ready")
@operation(tag="service", summary="Readiness: the index opens and a probe search succeeds",
           description="Warms the worker up on the first call. 503 with the reason when "
                       "there is no index yet, the index or its lexicon cannot be read, or "
                       "the probe search fails.",
           response=ReadySchema, errors=(503,))
def ready():
    app = current_app._get_current_object()
    engine = _engine(app)
    if engine is not None:
        return _ready_on(engine)
    reader = _reader(app)
    warm = warm_up(app)
    started = time.perf_counter()
    try:
        found = probe(reader)
    except Exception as exc:  # noqa: BLE001 - every failure is a reason, never a 500
        raise ApiError(503, "not_ready", f"not ready: {exc}",
                       {"index": [str(exc)]}, headers={"Retry-After": "5"}) from None
    status = _index_status(reader)
    if status and status.get("degraded"):
        reason = status.get("reason") or "the index is degraded"
        raise ApiError(503, "not_ready", f"not ready: {reason}", {"index": [reason]},
                       headers={"Retry-After": "5"})
    return jsonify(ReadySchema().dump({
        "status": "ready", "pid": os.getpid(), **found,
        "probe_ms": round((time.perf_counter() - started) * 1000, 2),
        "warmup_seconds": warm.get("seconds"), "preloaded": warm.get("preloaded", [])}))


def _ready_on(engine):
    """Readiness on a non-embedded backend: the cluster answers a real probe search."""
    started = time.perf_counter()
    try:
        found = engine.health()
    except Exception as exc:  # noqa: BLE001 - every failure is a reason, never a 500
        message = getattr(exc, "message", None) or str(exc)
        raise ApiError(503, "not_ready", f"not ready: {message}", {"index": [message]},
                       headers={"Retry-After": "5"}) from None
    return jsonify(ReadySchema().dump({
        "status": "ready", "pid": os.getpid(), **found,
        "probe_ms": round((time.perf_counter() - started) * 1000, 2), "warmup_seconds": None}))
