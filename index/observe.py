"""Measurement points in the engine, without a metrics library in the engine.

The engine only says *what happened* (a search phase ended, a writer waited
for the lock); whoever wants numbers (the service's Prometheus metrics)
subscribes. Search phases are recorded per request through a context
variable, so concurrent requests in threads never mix their timings, and a
search nobody records costs one ``ContextVar.get``.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable

_phases: ContextVar[dict | None] = ContextVar("tolk_search_phases", default=None)

# Callables ``(seconds_waited, acquired)`` told about every write-lock wait.
lock_wait_listeners: list[Callable[[float, bool], None]] = []


@contextmanager
def recording_phases():
    """Collect the phase timings of the searches run inside: yields ``{phase: seconds}``."""
    timings: dict = {"_last": time.perf_counter()}
    token = _phases.set(timings)
    try:
        yield timings
    finally:
        _phases.reset(token)
        timings.pop("_last", None)


def mark(phase: str) -> None:
    """End ``phase``: the time since the previous mark (or the start) is added to it."""
    timings = _phases.get()
    if timings is None:
        return
    now = time.perf_counter()
    timings[phase] = timings.get(phase, 0.0) + now - timings["_last"]
    timings["_last"] = now


def lock_waited(seconds: float, acquired: bool) -> None:
    """Tell the listeners how long a writer waited for the write lock."""
    for listener in list(lock_wait_listeners):
        try:
            listener(seconds, acquired)
        except Exception:  # noqa: BLE001 - measuring must never break a write
            pass
