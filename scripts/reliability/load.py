"""Loopback load test: capacity, 2x overload with mixed reads and writes, recovery.

    .venv/bin/python scripts/reliability/load.py [--workers 3] [--overload-seconds 60]

Steps (about 2 minutes with the defaults, all on 127.0.0.1):

1. index the seeds plus a few hundred generated news-like documents into a temporary
   directory and start gunicorn (``--workers``);
2. baseline: a light open-loop load (2 requests/s per worker) for 8 s;
3. capacity: closed loop, 2 clients per worker, 8 s: completed requests/s;
4. overload: open loop at ``--factor`` (2) x capacity for ``--overload-seconds``;
   at most ``--max-in-flight`` requests are outstanding, arrivals beyond that wait
   (counted as "delayed by the client") and the phase ends on time, so ``sent`` may be
   less than ``offered``;
5. recovery: the baseline load again; latency must come back near the baseline.

Mix: 80% search (varied queries and options), 10% suggest, 5% GET document, 5% POST
(a batch of one Dutch and one English document). Latency is from sending the request
to the full answer. Any non-2xx answer, connection error or timeout is an error.
Every acknowledged write is checked afterwards. Exit status 1 if there were errors,
a lost write, or no recovery (p50 after > max(3 x baseline p50, baseline p50 + 20 ms)).
Writes JSON results to ``--out`` (default: print only).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, Gunicorn  # noqa: E402

KEY = "load-test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
QUERIES = ["Poetin", "Putin troepen", "Oekraine", "NAVO", "sancties", "Luhansk", "Moskou",
           '"vrede handhaven"', "troops border", "Lavrov OR Blinken", "title:Poetin",
           "grens -NAVO", "Kiev", "Donbas", "parlement", "Russia", "Poetim", "gas prijs",
           "oefeningen Wit-Rusland", "Zelensky"]
SUGGEST = ["poe", "oek", "tro", "na", "ru", "sa", "ki", "gr"]
NL_SENT = ["Het Russische parlement heeft dinsdag ingestemd met de inzet van troepen.",
           "De NAVO roept Moskou op de troepen terug te trekken van de grens.",
           "Poetin erkent de onafhankelijkheid van Donetsk en Loegansk.",
           "De Europese Unie overlegt over nieuwe sancties tegen Rusland.",
           "In Kiev is het rustig, maar de spanning in het oosten neemt toe.",
           "De minister van Buitenlandse Zaken spreekt donderdag met zijn collega's."]
EN_SENT = ["Russian troops have been seen moving towards the border with Ukraine.",
           "NATO called on Moscow to withdraw its forces from the border region.",
           "Putin recognised the independence of Donetsk and Luhansk on Monday.",
           "The European Union is discussing new sanctions against Russia.",
           "Kyiv is calm, but tension in the east of the country is rising.",
           "The foreign minister will meet his counterparts on Thursday."]


def news(rng: random.Random, lang: str, i: int) -> dict:
    sents = NL_SENT if lang == "nl" else EN_SENT
    text = " ".join(rng.choice(sents) for _ in range(rng.randint(4, 12)))
    return {"id": f"load-{lang}-{i}", "text": text, "language": lang,
            "date": f"2022-0{rng.randint(1, 3)}-{rng.randint(10, 28)}"}


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies: list[float] = []
        self.errors: list[str] = []
        self.acked: list[str] = []
        self.by_kind: dict[str, int] = {}

    def add(self, kind, seconds, error=None, acked=()):
        with self.lock:
            self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
            if error:
                self.errors.append(f"{kind}: {error}")
            else:
                self.latencies.append(seconds)
                self.acked.extend(acked)


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def pick(p):
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    return {"n": len(values), "p50_ms": round(pick(50), 1), "p95_ms": round(pick(95), 1),
            "p99_ms": round(pick(99), 1), "max_ms": round(ordered[-1] * 1000, 1),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 1)}


class Load:
    def __init__(self, server: Gunicorn, seed: int = 7):
        self.server = server
        self.rng = random.Random(seed)
        self.rng_lock = threading.Lock()
        # Posted ids (load-LANG-N) start above the preloaded ones (0-299), so every
        # acknowledged write adds documents; on a slow machine the warm-up used to end
        # before N passed 299, and replaced documents showed up as "missing".
        self.counter = 1000

    def one(self, rec: Recorder) -> None:
        with self.rng_lock:
            r = self.rng.random()
            q = self.rng.choice(QUERIES)
            self.counter += 1
            n = self.counter
            extra = self.rng.choice(["", "&lang=nl", "&sort=date", "&crosslingual=false",
                                     "&offset=10", "&date_from=2022-02"])
            prefix = self.rng.choice(SUGGEST)
            docs = [news(self.rng, "nl", n), news(self.rng, "en", n)]
            get_id = f"load-{self.rng.choice(['nl', 'en'])}-{self.rng.randint(0, 299)}"
        if r < 0.80:
            kind, args = "search", ("GET", f"/api/search?q={quote(q)}{extra}")
        elif r < 0.90:
            kind, args = "suggest", ("GET", f"/api/suggest?q={prefix}")
        elif r < 0.95:
            kind, args = "get", ("GET", f"/api/documents/{get_id}")
        else:
            kind, args = "post", ("POST", "/api/documents")
        started = time.perf_counter()
        try:
            if kind == "post":
                status, _, body = self.server.request(*args, {"documents": docs}, AUTH,
                                                      timeout=120)
            else:
                status, _, body = self.server.request(*args, timeout=120)
        except OSError as exc:
            rec.add(kind, 0, error=repr(exc))
            return
        elapsed = time.perf_counter() - started
        if status != 200:
            rec.add(kind, elapsed, error=f"{status} {str(body)[:200]}")
        else:
            rec.add(kind, elapsed, acked=[d["id"] for d in docs] if kind == "post" else ())

    def closed_loop(self, clients: int, seconds: float) -> tuple[Recorder, float]:
        rec = Recorder()
        deadline = time.monotonic() + seconds

        def client():
            while time.monotonic() < deadline:
                self.one(rec)

        started = time.monotonic()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return rec, time.monotonic() - started

    def open_loop(self, rate: float, seconds: float, max_in_flight: int) -> dict:
        """Requests started at ``rate``/s; at most ``max_in_flight`` outstanding."""
        rec = Recorder()
        slots = threading.BoundedSemaphore(max_in_flight)
        delayed = 0
        started = time.monotonic()
        total = int(rate * seconds)

        def run():
            try:
                self.one(rec)
            finally:
                slots.release()

        deadline = started + seconds
        issued = 0
        with ThreadPoolExecutor(max_in_flight) as pool:
            for i in range(total):
                due = started + i / rate
                now = time.monotonic()
                if now >= deadline:
                    break  # the phase is bounded in time, not in requests
                if due > now:
                    time.sleep(due - now)
                if not slots.acquire(blocking=False):
                    delayed += 1
                    if not slots.acquire(timeout=max(0.0, deadline - time.monotonic())):
                        break
                pool.submit(run)
                issued += 1
        wall = time.monotonic() - started
        return {"offered_rps": round(rate, 1), "offered": total, "sent": issued,
                "completed_rps": round(len(rec.latencies) / wall, 1),
                "delayed_by_client": delayed, "errors": len(rec.errors),
                "error_samples": rec.errors[:5], "mix": rec.by_kind,
                "latency": percentiles(rec.latencies), "_rec": rec}


def build_index(index_dir: Path) -> None:
    subprocess.run([sys.executable, "-m", "service.cli", "index", "--quiet", "--index-dir",
                    str(index_dir), str(ROOT / "seeds")], cwd=ROOT, check=True)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--workers", type=int, default=3)
    p.add_argument("--factor", type=float, default=2.0)
    p.add_argument("--overload-seconds", type=float, default=60)
    p.add_argument("--phase-seconds", type=float, default=8)
    p.add_argument("--max-in-flight", type=int, default=64)
    p.add_argument("--out", type=Path)
    args = p.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="tolk-load-"))
    report: dict = {"workers": args.workers}
    server = None
    try:
        index_dir = tmp / "index"
        build_index(index_dir)
        server = Gunicorn(index_dir, workers=args.workers,
                          # FreeDict as in production (empty: the default place).
                          env={"TOLK_API_KEY": KEY, "TOLK_LOCK_TIMEOUT": "60",
                               "TOLK_FREEDICT_DIR": ""},
                          log_dir=tmp).start()
        rng = random.Random(1)
        for i in range(0, 300, 50):  # a few hundred documents to search in
            docs = [news(rng, lang, j) for j in range(i, i + 50) for lang in ("nl", "en")]
            status, _, body = server.request("POST", "/api/documents", {"documents": docs},
                                             AUTH, timeout=120)
            assert status == 200, body
        load = Load(server)
        load.closed_loop(args.workers, 3)  # warm-up: searchers, lexicon, caches
        _, _, health = server.request("GET", "/api/health")
        preloaded = sum(health["documents"].values())

        light = 2.0 * args.workers
        base = load.open_loop(light, args.phase_seconds, args.max_in_flight)
        rec, wall = load.closed_loop(2 * args.workers, args.phase_seconds)
        capacity = len(rec.latencies) / wall
        report["capacity"] = {"rps": round(capacity, 1), "clients": 2 * args.workers,
                              "errors": len(rec.errors), "latency": percentiles(rec.latencies)}
        print(f"baseline {light:.0f} rps: {base['latency']}", flush=True)
        print(f"capacity: {capacity:.1f} rps ({report['capacity']['latency']})", flush=True)
        over = load.open_loop(args.factor * capacity, args.overload_seconds,
                              args.max_in_flight)
        print(f"overload {over['offered_rps']} rps offered: completed {over['completed_rps']} "
              f"rps, errors {over['errors']}, {over['latency']}", flush=True)
        after = load.open_loop(light, args.phase_seconds, args.max_in_flight)
        print(f"recovery {light:.0f} rps: {after['latency']}", flush=True)

        acked = base["_rec"].acked + rec.acked + over["_rec"].acked + after["_rec"].acked
        # Every write has new ids: the counts must have grown by exactly the acknowledged
        # documents; and a sample is read back one by one.
        _, _, health = server.request("GET", "/api/health")
        stored = sum(health["documents"].values())
        expected = preloaded + len(acked)
        sample = random.Random(3).sample(acked, min(200, len(acked)))
        lost = [i for i in sample if server.request("GET", f"/api/documents/{i}")[0] != 200]
        if stored != expected:
            lost.append(f"{expected - stored} documents missing from the counts")
        for phase in (base, over, after):
            phase.pop("_rec")
        report.update(baseline=base, overload=over, recovery=after,
                      writes={"acknowledged_docs": len(acked), "stored_docs": stored,
                              "expected_docs": expected, "lost": lost[:10]})
        errors = (len(rec.errors) + base["errors"] + over["errors"] + after["errors"])
        b50, a50 = base["latency"]["p50_ms"], after["latency"]["p50_ms"]
        recovered = a50 <= max(3 * b50, b50 + 20)
        report["verdict"] = {"errors": errors, "lost_writes": len(lost),
                             "recovered": recovered}
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    ok = report["verdict"]["errors"] == 0 and not report["verdict"]["lost_writes"] \
        and report["verdict"]["recovered"]
    print("OK" if ok else "FAILED", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
