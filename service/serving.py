"""How Tolk is served: gunicorn's gevent worker, with every client wait bounded.

Why this model (measured; README "Serving"): a sync worker reads a request with
blocking socket calls and no header-read timeout, so a handful of slow sockets
hold every worker. A gthread worker only waits 5 s for the *first* byte in the
pool; after that a slow header or body holds a thread for as long as the
client likes, so N slow sockets need N threads. Under gevent a connection is a
greenlet: a slow client holds a few KB of memory and nothing another request
needs. What is left to bound is time:

* headers: gunicorn's gevent worker reads a request's headers under
  ``gevent.Timeout(keepalive)``: a connection that has not delivered a full
  request head within ``TOLK_HEADER_TIMEOUT`` seconds is closed;
* body: ``BodyDeadline`` gives a body ``TOLK_BODY_TIMEOUT`` seconds plus one
  second per ``TOLK_BODY_MIN_RATE`` bytes received (Apache mod_reqtimeout's
  rule); past it the app answers 408 ``request_timeout`` JSON and the
  connection is closed;
* a peer that stops reading the answer: every socket operation times out after
  ``TOLK_BODY_TIMEOUT`` seconds;
* idle connections: none; a connection carries one request (``TolkWorker.handle_request``).

Searches are CPU-bound and run one at a time per worker, as under sync
workers; the write lock's sleep loop yields to other greenlets while it waits.
Threads are not patched (``TolkWorker.patch``): with ``threading.local`` per
greenlet, ``IndexReader`` opened a set of Whoosh searchers for every connection
(3-6x the time of a cached search, measured); unpatched, a worker keeps one set.
"""

from __future__ import annotations

import os
import time

import gevent
from gevent import monkey
from gevent import socket as gevent_socket
from gunicorn.workers.ggevent import GeventWorker
from werkzeug.exceptions import RequestTimeout

from service.settings import load_settings


class BodyTimeout(RequestTimeout):
    """A request body that did not arrive in time (408, connection closed)."""

    description = ("the request body did not arrive in time; send it at a steady rate "
                   "(the server closes the connection)")


class DeadlineInput:
    """``wsgi.input`` whose reads together must finish before a deadline.

    The deadline starts at ``timeout`` seconds after the headers and grows by one
    second for every ``min_rate`` bytes received, so a large body sent at a fair
    rate always fits and a trickle does not. gunicorn's ``read(n)`` blocks until
    it has ``n`` bytes, so a read is split into pieces a client at ``min_rate``
    delivers in half the time left: each piece extends the deadline before the
    next one is awaited.
    """

    MIN_PIECE, MAX_PIECE = 1024, 256 * 1024

    def __init__(self, stream, timeout: float, min_rate: float):
        self._stream = stream
        self._min_rate = min_rate
        self._deadline = time.monotonic() + timeout

    def _call(self, method, *args):
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            self._expired()
        timer = gevent.Timeout(remaining)
        timer.start()
        try:
            data = method(*args)
        except gevent.Timeout as exc:
            if exc is not timer:
                raise
            self._expired()
        except TimeoutError:  # the socket's own per-operation timeout
            self._expired()
        finally:
            timer.close()
        if self._min_rate > 0:
            self._deadline += len(data or b"") / self._min_rate
        return data

    def _piece(self) -> int:
        if self._min_rate <= 0:
            return self.MAX_PIECE
        half = (self._deadline - time.monotonic()) * self._min_rate / 2
        return int(min(self.MAX_PIECE, max(self.MIN_PIECE, half)))

    def _expired(self):
        raise BodyTimeout()

    def read(self, size=-1):
        size = -1 if size is None else size
        parts, got = [], 0
        while size < 0 or got < size:
            want = self._piece() if size < 0 else min(self._piece(), size - got)
            data = self._call(self._stream.read, want)
            if not data:
                break
            parts.append(data)
            got += len(data)
        return b"".join(parts)

    def readline(self, size=-1):
        return self._call(self._stream.readline, size)

    def readlines(self, hint=-1):
        return list(iter(self.readline, b""))

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def __iter__(self):
        return iter(self.readline, b"")


class BodyDeadline:
    """WSGI middleware: the request body must arrive within its deadline (408 if not).

    The connection is closed after the answer, as after every answer
    (``TolkWorker.handle_request``); the rest of that body is never read.
    """

    def __init__(self, app, timeout: float, min_rate: float):
        self.app, self.timeout, self.min_rate = app, timeout, min_rate

    def __call__(self, environ, start_response):
        if "wsgi.input" in environ:
            environ["wsgi.input"] = DeadlineInput(environ["wsgi.input"], self.timeout,
                                                  self.min_rate)
        return self.app(environ, start_response)


class TolkWorker(GeventWorker):
    """gunicorn's gevent worker with a body deadline and per-operation socket timeouts."""

    def patch(self):
        # Everything but threads: ``threading.local`` stays per OS thread, so the
        # worker's greenlets share one set of Whoosh searchers (IndexReader) instead
        # of opening a set per connection. Safe because request code never yields
        # while it holds a searcher or a threading lock: the only waits are socket
        # I/O (in gunicorn, outside the app) and the sleeps of the write-lock loop
        # and of ``IndexReader.searchers()``'s retry, which hold neither.
        monkey.patch_all(thread=False)
        self.sockets = [gevent_socket.socket(s.FAMILY, gevent_socket.SOCK_STREAM,
                                             fileno=s.sock.detach()) for s in self.sockets]

    def load_wsgi(self):
        super().load_wsgi()
        settings = load_settings()
        # At least a second: a socket timeout of 0 would make every read non-blocking.
        self.io_timeout = max(1.0, float(settings["BODY_TIMEOUT"]))
        self.wsgi = BodyDeadline(self.wsgi, self.io_timeout, float(settings["BODY_MIN_RATE"]))

    def handle_request(self, listener_name, req, sock, addr):
        # One request per connection, as under sync workers. A kept-alive connection
        # stays on the worker that accepted it while the other may idle; with
        # CPU-bound searches that made p99 4-5x worse at 4 connections (measured,
        # bench/serving_bench.py). A new connection goes to whichever worker is free.
        req.must_close = True
        super().handle_request(listener_name, req, sock, addr)

    def handle(self, listener, client, addr):
        # GeventWorker makes the socket blocking without a timeout; a peer that
        # stops reading our answer would keep this greenlet forever.
        client.settimeout(self.io_timeout)
        super(GeventWorker, self).handle(listener, client, addr)


def gunicorn_options(settings: dict | None = None) -> dict:
    """gunicorn settings for Tolk, used by ``tolk serve`` and the Docker image.

    ``service/gunicorn_conf.py`` exposes them as a gunicorn config file; the bind
    address and the worker count stay with the caller (``--bind``/``--workers``,
    or gunicorn's ``PORT``/``WEB_CONCURRENCY`` defaults in the image).
    """
    settings = settings or load_settings()
    return {
        "worker_class": "service.serving.TolkWorker",
        # Connections per worker: slow clients each hold one, so there is room.
        "worker_connections": 1000,
        # A request's headers must arrive within this many seconds (gevent worker:
        # a total, not per read); the connection is closed after each answer.
        "keepalive": max(1, int(settings["HEADER_TIMEOUT"])),
        # A write may wait LOCK_TIMEOUT for another writer and then rebuild the
        # lexicon: the worker timeout must be longer than that.
        "timeout": int(settings["LOCK_TIMEOUT"]) + 60,
        # gunicorn's default request line limit (4094) is below a
        # TOLK_MAX_QUERY_CHARS query in percent-encoded UTF-8; past it gunicorn
        # answers its own non-JSON 400.
        "limit_request_line": 8190,
        "accesslog": "-",
        # gunicorn 25+'s runtime control socket is one path per user: a second server on
        # the machine would take it over. Tolk does not use it.
        "control_socket_disable": True,
        # The heartbeat file on a RAM disk: a disk-backed /tmp can stall it.
        **({"worker_tmp_dir": "/dev/shm"} if os.path.isdir("/dev/shm") else {}),
    }
