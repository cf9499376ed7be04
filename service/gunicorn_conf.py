"""gunicorn configuration and hooks for Tolk (``gunicorn -c python:service.gunicorn_conf``).

gunicorn runs Tolk in several worker processes; what has to happen once in
the master or around each worker lives here, each in a clearly named hook:

- the serving model (``service.serving.gunicorn_options``: gevent workers with
  bounded header, body and socket waits) is the same for ``tolk serve`` and the
  Docker image;

- settings are checked in the master before any worker starts, so a wrong
  setting ends the start with one line (the variable and what it accepts)
  instead of every worker failing to boot with a traceback;
- metrics: ``PROMETHEUS_MULTIPROC_DIR`` is set (a fresh folder) before the
  workers import prometheus_client, and a dead worker's live gauges are
  dropped (``child_exit``), so ``/metrics`` sums every worker;
- preload (``TOLK_PRELOAD``, ``service/preload.py``): the master loads the
  read-only tables (language model, word frequencies, sentence encoder,
  lexicon, code) once before forking, so workers start with them, shared;
- warm-up runs in each worker after the app is loaded and before it accepts
  a connection, so no user query pays for opening the searchers;
- log lines: gunicorn's own messages and the request lines come out as JSON
  (or text) through ``service/logs.py``, one line per request with duration,
  request id, route and worker pid.

Options given on the command line win over the values here.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time

# Before anything loads NumPy (the preload below): one BLAS thread, as each worker sets
# for itself anyway (index/vectors/embedder.py), so the master forks without threads.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

from gunicorn.glogging import Logger  # noqa: E402

from service.serving import gunicorn_options  # noqa: E402

# Every request gets one line (the logger class below decides its shape), at TOLK_LOG_LEVEL.
accesslog = "-"
errorlog = "-"
logger_class = "service.gunicorn_conf.TolkGunicornLogger"
loglevel = (os.environ.get("TOLK_LOG_LEVEL") or "info").strip().lower()

_MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
_created_metrics_dir: list[str] = []


def _settings_or_exit() -> dict:
    from service.settings import SettingError, load_settings

    try:
        return load_settings()
    except SettingError as exc:
        print(f"tolk: {exc}", file=sys.stderr, flush=True)
        sys.exit(2)


# The serving model: worker class, timeouts, limits (a bad setting: one line, exit 2).
globals().update(gunicorn_options(_settings_or_exit()))


def _prepare_metrics_dir() -> None:
    """A clean multiprocess folder for this server's lifetime (a stale one double-counts)."""
    folder = os.environ.get(_MULTIPROC_ENV)
    if not folder:
        folder = tempfile.mkdtemp(prefix="tolk-metrics-",
                                  dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        _created_metrics_dir.append(folder)
        os.environ[_MULTIPROC_ENV] = folder
        return
    os.makedirs(folder, exist_ok=True)
    for name in os.listdir(folder):
        if name.endswith(".db"):
            os.remove(os.path.join(folder, name))


def on_starting(server):
    """Master, before the first worker: check settings, prepare the metrics folder,
    preload the read-only tables the workers share."""
    settings = _settings_or_exit()
    _prepare_metrics_dir()
    if settings["PRELOAD"] == "on":
        from service.preload import preload

        done = preload(settings)
        server.log.info("preloaded for the workers in %.1f s: %s%s", done["total_seconds"],
                        ", ".join(f"{name} {sec:.1f} s" for name, sec in done["seconds"].items()),
                        f" (left to the workers: {', '.join(done['failed'])})"
                        if done["failed"] else "")


def post_worker_init(worker):
    """Worker, app loaded, before it accepts connections: warm up."""
    app = getattr(worker, "wsgi", None)
    while app is not None and not hasattr(app, "extensions") and hasattr(app, "app"):
        app = app.app  # unwrap middleware (the serving model's BodyDeadline)
    if app is None or not hasattr(app, "extensions"):
        return
    from service.health import warm_up

    warm_up(app)


def child_exit(server, worker):
    """Master, a worker has exited: drop its live gauges from the multiprocess files."""
    if not os.environ.get(_MULTIPROC_ENV):
        return
    try:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
    except Exception as exc:  # noqa: BLE001 - never turn a worker's exit into a traceback
        server.log.warning("could not drop the metrics of worker %s: %s", worker.pid, exc)


def on_exit(server):
    """Master, shutting down: remove the metrics folder it created."""
    for folder in _created_metrics_dir:
        shutil.rmtree(folder, ignore_errors=True)


class TolkGunicornLogger(Logger):
    """gunicorn's logger with Tolk's line format and a structured request line."""

    def setup(self, cfg):
        super().setup(cfg)
        from service.logs import formatter
        from service.settings import BY_NAME, SettingError

        setting = BY_NAME["LOG_FORMAT"]
        try:
            fmt = setting.parse(os.environ.get(setting.env) or setting.default)
        except SettingError:
            fmt = setting.default  # the master reports the bad setting itself
        self._tolk_format = fmt
        # Request lines are info: TOLK_LOG_LEVEL=warning (or error) leaves them out.
        self.access_log.setLevel(max(logging.INFO, self.loglevel))
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                handler.setFormatter(formatter(fmt))

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        from service.logs import access_fields

        status = getattr(resp, "status_code", None)
        if status is None:
            status = int(str(getattr(resp, "status", "0")).split(None, 1)[0] or 0)
        seconds = request_time.total_seconds() if hasattr(request_time, "total_seconds") \
            else float(request_time)
        fields = access_fields(environ, int(status), seconds, os.getpid())
        fields["bytes"] = getattr(resp, "sent", None)
        message = f"{fields['method']} {fields['path']} {fields['status']}"
        try:
            self.access_log.log(logging.INFO, message, extra={"fields": fields})
        except Exception:  # noqa: BLE001 - a log line must never fail a request
            self.error(f"could not write the request log line at {time.time()}")
