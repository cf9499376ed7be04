"""Slow, stalled and vanishing clients against a real gunicorn started like ``tolk serve``.

Loopback only. Every socket wait is bounded and the server is stopped by the
fixture, so a failing run ends by itself. Under the old sync workers the
slow-client test fails: its searches time out while the slow sockets are held.
"""

from __future__ import annotations

import json
import signal
import socket
import struct
import threading
import time

import psutil
import pytest

from conftest import copy_index

from harness import HOST, request  # scripts/reliability (conftest's path)

KEY = "serving-test-key"
HEADER_TIMEOUT = 3   # TOLK_HEADER_TIMEOUT for the server under test
BODY_TIMEOUT = 4     # TOLK_BODY_TIMEOUT
BODY_MIN_RATE = 500  # TOLK_BODY_MIN_RATE (the default)
SLACK = 3.0          # scheduling slack on a shared machine when checking a close


@pytest.fixture(autouse=True)
def no_sigpipe():
    """A write to a socket the server closed is an error here, not a killed test run.

    (``tolk``'s main, which the index fixtures run in process, restores SIGPIPE's
    default so that ``tolk search ... | head`` ends quietly.)
    """
    previous = signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    yield
    signal.signal(signal.SIGPIPE, previous)


@pytest.fixture(scope="module")
def served(seed_index, tmp_path_factory, module_gunicorn):
    """``tolk serve`` with 2 workers on a copy of the seeds; yields (port, master pid, log)."""
    tmp = tmp_path_factory.mktemp("serving")
    log_path = tmp / "gunicorn.log"
    server = module_gunicorn(copy_index(seed_index, tmp / "index"), serve=True, log=log_path,
                             env={"TOLK_API_KEY": KEY,
                                  "TOLK_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
                                  "TOLK_BODY_TIMEOUT": str(BODY_TIMEOUT),
                                  "TOLK_BODY_MIN_RATE": str(BODY_MIN_RATE)})
    return server.port, server.proc.pid, log_path


def workers_of(master_pid):
    return sorted(p.pid for p in psutil.Process(master_pid).children())


def search(port, q="Poetin"):
    """(seconds, status) of one search on a new connection; status None on any failure."""
    start = time.monotonic()
    try:
        status, _, body = request(port, "GET", f"/api/search?q={q}", timeout=5)
        ok = status if status == 200 and isinstance(body, dict) and "hits" in body else None
    except OSError:
        ok = None
    return time.monotonic() - start, ok


def read_answer(sock, timeout):
    """Everything the server sends until it closes (or ``timeout``); (bytes, closed)."""
    sock.settimeout(timeout)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return data, True
            data += chunk
    except socket.timeout:
        return data, False
    except ConnectionResetError:
        return data, True


class SlowClients:
    """Holds ``headers`` slow-header and ``bodies`` slow-body connections open.

    Each sends one header line (or a few body bytes) every ``interval`` seconds;
    when the server closes one, that is recorded (how long it was held, what it
    answered) and a new one takes its place, as an attacker would do.
    """

    def __init__(self, port, headers, bodies, interval=1.5):
        self.port, self.interval = port, interval
        self.kinds = ["header"] * headers + ["body"] * bodies
        self.closed = []  # (kind, seconds held, bytes answered)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.ready = threading.Event()

    def _open(self, kind):
        sock = socket.create_connection((HOST, self.port), timeout=5)
        if kind == "header":
            sock.sendall(b"GET /api/search?q=Poetin HTTP/1.1\r\nHost: x\r\n")
        else:
            sock.sendall(b"POST /api/documents HTTP/1.1\r\nHost: x\r\n"
                         b"Authorization: Bearer " + KEY.encode() + b"\r\n"
                         b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
                         b'{"documents": [')
        sock.setblocking(False)
        return {"kind": kind, "sock": sock, "opened": time.monotonic(), "answer": b""}

    def _close(self, conn):
        self.closed.append((conn["kind"], time.monotonic() - conn["opened"], conn["answer"]))
        conn["sock"].close()

    def _poke(self, conn):
        """Send the next trickle; False when the server has closed the connection."""
        sock = conn["sock"]
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return False
                conn["answer"] += chunk
        except BlockingIOError:
            pass
        except OSError:
            return False
        try:
            sock.send(b"X-Slow: 1\r\n" if conn["kind"] == "header" else b" ")
        except BlockingIOError:
            pass
        except OSError:
            return False
        return True

    def _run(self):
        conns = [self._open(kind) for kind in self.kinds]
        self.ready.set()
        try:
            while not self.stop.wait(self.interval / 6):
                for i, conn in enumerate(conns):
                    due = conn.get("poked", conn["opened"]) + self.interval
                    if time.monotonic() < due:
                        continue
                    conn["poked"] = time.monotonic()
                    if not self._poke(conn):
                        self._close(conn)
                        conns[i] = self._open(conn["kind"])
        finally:
            for conn in conns:
                conn["sock"].close()

    def __enter__(self):
        self.thread.start()
        assert self.ready.wait(30), "could not open the slow connections"
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(timeout=30)


def test_slow_clients_do_not_starve_searches(served):
    port, master, _ = served
    pids = workers_of(master)
    latencies, failures = [], 0
    with SlowClients(port, headers=50, bodies=10) as slow:
        time.sleep(1.0)  # every slow socket has sent its first bytes
        end = time.monotonic() + 3 * BODY_TIMEOUT + 6
        lock = threading.Lock()

        def searcher():
            nonlocal failures
            while time.monotonic() < end:
                seconds, ok = search(port)
                with lock:
                    latencies.append(seconds)
                    failures += ok is None
                time.sleep(0.02)

        threads = [threading.Thread(target=searcher) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    latencies.sort()
    p99 = latencies[int(0.99 * (len(latencies) - 1))]
    print(f"slow clients: {len(latencies)} searches, {failures} failed, p99 {p99 * 1000:.0f} ms")
    assert failures == 0, f"{failures} of {len(latencies)} searches failed or timed out"
    assert len(latencies) >= 50
    assert p99 <= 1.0, f"p99 {p99:.3f} s over {len(latencies)} searches"

    # The slow sockets were held by the server only for a bounded time, then closed:
    # headers after TOLK_HEADER_TIMEOUT, bodies with a 408 JSON error after TOLK_BODY_TIMEOUT.
    headers = [(held, answer) for kind, held, answer in slow.closed if kind == "header"]
    bodies = [(held, answer) for kind, held, answer in slow.closed if kind == "body"]
    print(f"slow sockets closed after at most {max((h for h, _ in headers), default=0):.1f} s "
          f"(headers), {max((h for h, _ in bodies), default=0):.1f} s (bodies)")
    assert len(headers) >= 50 and len(bodies) >= 10, (len(headers), len(bodies))
    assert max(held for held, _ in headers) <= HEADER_TIMEOUT + SLACK
    assert max(held for held, _ in bodies) <= BODY_TIMEOUT + SLACK
    for _, answer in bodies:
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408 "), answer[:200]
        assert b"connection: close" in head.lower()
        error = json.loads(payload)
        assert error["code"] == "request_timeout" and error["status"] == 408
    assert workers_of(master) == pids  # nobody was killed by gunicorn's worker timeout


def test_body_at_a_fair_rate_outlasts_the_body_timeout(served):
    # A body that keeps coming at twice TOLK_BODY_MIN_RATE is not cut at TOLK_BODY_TIMEOUT.
    port, _, _ = served
    body = json.dumps({"documents": [{"id": "fair-1", "language": "nl", "text":
                       "De gemeenteraad van Zwolle besloot dinsdag een nieuwe brug te "
                       "bouwen over de IJssel. " * 80}]}).encode()
    rate = 2 * BODY_MIN_RATE
    assert len(body) / rate > BODY_TIMEOUT + 1
    sock = socket.create_connection((HOST, port), timeout=10)
    with sock:
        sock.sendall(b"POST /api/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                     + KEY.encode() + b"\r\nContent-Type: application/json\r\n"
                     + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode())
        step = rate // 4
        for start in range(0, len(body), step):
            sock.sendall(body[start:start + step])
            time.sleep(0.25)
        answer, closed = read_answer(sock, 30)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]
    status, _, doc = request(port, "GET", "/api/documents/fair-1")
    assert status == 200 and doc["id"] == "fair-1"


def test_a_trickled_chunked_body_gets_408_and_a_close(served):
    # Transfer-Encoding: chunked has no length to plan for; the same deadline applies.
    port, _, _ = served
    sock = socket.create_connection((HOST, port), timeout=10)
    with sock:
        sock.sendall(b"POST /api/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                     + KEY.encode() + b"\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        start = time.monotonic()
        answer = b""
        for _ in range(int(BODY_TIMEOUT + SLACK) * 2):
            try:
                sock.sendall(b"1\r\n \r\n")
            except OSError:
                break
            more, closed = read_answer(sock, 0.5)
            answer += more
            if closed:
                break
        held = time.monotonic() - start
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408 "), answer[:300]
    assert json.loads(payload)["code"] == "request_timeout"
    assert BODY_TIMEOUT - 0.5 <= held <= BODY_TIMEOUT + SLACK


def test_a_client_that_stops_reading_the_answer_is_dropped(served):
    # An answer of ~10 MB (a 1.9 M-character document of mostly 4-byte characters, original
    # and cleaned), more than loopback's kernel buffers hold (at most 4 MB + 4 KB here), to a
    # client that never reads: a send waits in vain and the connection is dropped after
    # TOLK_BODY_TIMEOUT, while searches go on.
    port, master, _ = served
    text = ("De brug over de IJssel " + "\U0001F309" * 40 + " ") * 30000
    doc = {"documents": [{"id": "big-answer", "text": text, "language": "nl"}]}
    status, _, body = request(port, "POST", "/api/documents", headers={
        "Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        raw=json.dumps(doc, ensure_ascii=False).encode(), timeout=120)
    assert status == 200, body
    pids = workers_of(master)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    with sock:
        sock.connect((HOST, port))
        sock.sendall(b"GET /api/documents/big-answer HTTP/1.1\r\nHost: x\r\n\r\n")
        for _ in range(5):
            assert search(port)[1] == 200
        time.sleep(BODY_TIMEOUT + SLACK)
        answer, closed = read_answer(sock, 5)
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:")))
    assert closed and len(payload) < length, (len(payload), length)
    assert workers_of(master) == pids
    assert search(port)[1] == 200


def test_a_connection_is_closed_after_its_answer(served):
    # No idle kept-alive connections to hold: one request per connection, as under sync
    # workers, so each new connection goes to whichever worker is free.
    port, _, _ = served
    sock = socket.create_connection((HOST, port), timeout=10)
    with sock:
        sock.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n")
        start = time.monotonic()
        answer, closed = read_answer(sock, HEADER_TIMEOUT + 10)
    head = answer.partition(b"\r\n\r\n")[0].lower()
    assert head.startswith(b"http/1.1 200 ") and b"connection: close" in head
    assert closed, "the connection stayed open after the answer"
    assert time.monotonic() - start <= SLACK


def _reset(sock):
    """Close with a TCP reset (SO_LINGER 0), as a crashed client or a dropped route."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_vanishing_clients_leave_the_server_healthy(served):
    port, master, log_path = served
    pids = workers_of(master)
    log_start = log_path.stat().st_size
    post_head = (b"POST /api/documents HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                 + KEY.encode() + b"\r\nContent-Type: application/json\r\n"
                 b"Content-Length: 5000\r\n\r\n")
    search_request = b"GET /api/search?q=Poetin HTTP/1.1\r\nHost: x\r\n\r\n"
    partial = [
        b"GET /api/search?q=Poe",                      # mid request line
        b"GET /api/search?q=Poetin HTTP/1.1\r\nHo",    # mid headers
        post_head,                                     # headers, no body
        post_head + b'{"documents": [{"id": "van',     # mid body
        search_request,                                # whole request, answer never read
        search_request * 20,                           # pipelined, never read
    ]
    for _ in range(3):
        for data in partial:
            for close in (lambda s: s.close(), _reset):
                sock = socket.create_connection((HOST, port), timeout=5)
                sock.sendall(data)
                time.sleep(0.05)
                close(sock)
    time.sleep(1.0)
    for _ in range(20):
        seconds, ok = search(port)
        assert ok == 200
    status, _, health = request(port, "GET", "/api/health")
    assert status == 200
    status, _, body = request(port, "GET", "/api/documents/van")
    assert status == 404  # no half-sent document was stored
    assert workers_of(master) == pids
    log = log_path.read_bytes()[log_start:].decode(errors="replace")
    assert "Traceback" not in log and "[ERROR]" not in log, log[-3000:]
