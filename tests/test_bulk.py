"""Bulk posting writing (index.storage.bulk) writes the same segments as Whoosh's path."""

import random
from pathlib import Path

import pytest
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage

import index.storage.bulk as bulk
import index.storage.writers as writers
from index.ingest.documents import Document
from index.search import SearchRequest, search
from index.storage import IndexReader, rebuild, update

WORDS = ("oorlog vrede regering minister verkiezing grens fiets stad land water zee "
         "war peace government minister election border bicycle city country water sea").split()


def corpus(n, seed=11):
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        lang = "nl" if i % 2 else "en"
        # Zipf-like draws: some words in most documents (postings span several blocks).
        text = " ".join(WORDS[min(int(rng.paretovariate(1.0)) - 1, len(WORDS) - 1)]
                        if rng.random() < 0.7 else f"w{rng.randrange(400)}"
                        for _ in range(rng.randrange(1, 80)))
        docs.append(Document(id=f"d{i}", language=lang, language_confidence=1.0,
                             title=" ".join(rng.choice(WORDS) for _ in range(4)), text=text,
                             original=text, date=f"2023-0{1 + i % 9}-02"))
    return docs


def segment_parts(root: Path) -> dict:
    """Every part of every segment file, keyed by language and part name without the segment id."""
    parts = {}
    for seg in sorted(root.rglob("*.seg")):
        store = CompoundStorage(FileStorage(str(seg.parent)).open_file(seg.name), use_mmap=False)
        for name in store._dir:
            key = (seg.parent.name, name.split(".", 1)[1])
            assert key not in parts
            parts[key] = store.open_file(name).read()
    return parts


QUERIES = WORDS + [f"w{i}" for i in range(0, 400, 13)] + [
    "oorlog vrede", '"stad land"', "minister OR fiets", "war AND peace", "sea -city",
    "title:minister", "bicycle election border"]


def answers(root):
    reader = IndexReader(root)
    try:
        out = {}
        for q in QUERIES:
            res = search(reader, SearchRequest(q=q, lang="any", limit=100))
            out[q] = (res["total"], [(h["id"], h["score"]) for h in res["hits"]])
        return out
    finally:
        reader.close()


def build(root, docs, monkeypatch, on: bool):
    monkeypatch.setattr(writers, "BULK_POSTINGS", on)
    return rebuild(root, docs)


@pytest.fixture
def small_runs(monkeypatch):
    """Pools spill a sorted run every few hundred postings."""
    init = bulk.ArrayPostingPool.__init__

    def small(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.limit = 20_000

    monkeypatch.setattr(bulk, "RUN_PIECE", 50)

    monkeypatch.setattr(bulk.ArrayPostingPool, "__init__", small)


@pytest.mark.parametrize("spill", [False, True])
def test_bulk_segments_are_byte_identical_and_answer_the_same(tmp_path, monkeypatch, request,
                                                              spill):
    docs = corpus(400)
    build(tmp_path / "whoosh", docs, monkeypatch, on=False)
    if spill:
        request.getfixturevalue("small_runs")
    build(tmp_path / "bulk", docs, monkeypatch, on=True)
    expected, got = segment_parts(tmp_path / "whoosh"), segment_parts(tmp_path / "bulk")
    assert {ext for _, ext in expected} >= {"pst", "trm", "tpa", "_stored.col"}
    assert got == expected
    assert answers(tmp_path / "bulk") == answers(tmp_path / "whoosh")


def test_spilled_runs_are_merged_per_term_and_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(bulk, "RUN_PIECE", 7)  # runs read back in many small pieces
    storage = FileStorage(str(tmp_path)).create()
    pool = bulk.ArrayPostingPool(storage, None, limitmb=1)
    pool.limit = 3_000  # a run every ~60 postings
    rng = random.Random(5)
    items = sorted({("body" if rng.random() < 0.8 else "title", f"t{rng.randrange(60)}".encode(),
                     d, float(rng.randrange(1, 4)), bytes([rng.randrange(1, 255)]) * 3)
                    for d in range(300) for _ in range(rng.randrange(1, 6))},
                   key=lambda item: item[2])  # added in document order, as a writer does
    items = list({(f, t, d): (f, t, d, w, v) for f, t, d, w, v in items}.values())
    for item in items:
        pool.add(item)
    assert len(pool.runs) > 5
    assert list(pool.iter_postings()) == sorted(items)
    assert list(tmp_path.iterdir()) == []  # every run read and removed


def test_cancelled_pool_leaves_no_runs(tmp_path):
    storage = FileStorage(str(tmp_path)).create()
    pool = bulk.ArrayPostingPool(storage, None, limitmb=1)
    pool.limit = 500
    for d in range(100):
        pool.add(("body", b"x", d, 1.0, b"\x01\x02"))
    assert pool.runs
    pool.cleanup()
    assert list(tmp_path.iterdir()) == []


def test_bulk_in_worker_processes_then_updates_and_merges(tmp_path, monkeypatch):
    docs = corpus(300, seed=3)
    build(tmp_path / "whoosh", docs, monkeypatch, on=False)
    monkeypatch.setattr(writers, "PARALLEL_MIN_DOCS", 1)
    monkeypatch.setattr(writers, "PARALLEL_BATCH", 16)
    monkeypatch.setattr(writers.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(writers.threading, "active_count", lambda: 1)  # pytest-xdist's threads
    build(tmp_path / "bulk", docs, monkeypatch, on=True)
    assert segment_parts(tmp_path / "bulk") == segment_parts(tmp_path / "whoosh")
    # Updates add segments; Whoosh's merge policy merges them through the same bulk writer.
    monkeypatch.setattr(writers, "PARALLEL_MIN_DOCS", 10**9)
    extra = corpus(60, seed=4)
    for root in ("whoosh", "bulk"):
        monkeypatch.setattr(writers, "BULK_POSTINGS", root == "bulk")
        for i in range(0, 60, 6):
            update(tmp_path / root, [Document(**{**vars(d), "id": f"u{i}-{d.id}"})
                                     for d in extra[i:i + 6]])
    reader = IndexReader(tmp_path / "bulk")
    try:
        assert reader.counts() == {"nl": 180, "en": 180}
    finally:
        reader.close()
    assert answers(tmp_path / "bulk") == answers(tmp_path / "whoosh")


KILLED_MID_WRITE = """
import sys, time
import index.storage.bulk as bulk
import index.storage.writers as writers
from tests.test_bulk import corpus
from index.storage import rebuild

writers.PARALLEL_MIN_DOCS = 10**9  # in process: the kill hits the writer itself
init = bulk.ArrayPostingPool.__init__
def small(self, *args, **kwargs):
    init(self, *args, **kwargs)
    self.limit = 20_000  # spilled runs on disk when the kill comes
bulk.ArrayPostingPool.__init__ = small
write_term = bulk._TermWriter.write  # the path of terms of up to one block
def slow(*args):
    write_term(*args)
    print("writing", flush=True)
    time.sleep(60)
bulk._TermWriter.write = slow
rebuild(sys.argv[1], corpus(200))
"""


def test_kill_9_while_writing_postings_keeps_the_previous_index(tmp_path):
    import signal
    import subprocess
    import sys

    from index.storage.generations import current_generation

    root = tmp_path / "ix"
    rebuild(root, corpus(20, seed=9))
    before = current_generation(root)
    proc = subprocess.Popen([sys.executable, "-c", KILLED_MID_WRITE, str(root)],
                            stdout=subprocess.PIPE, text=True,
                            cwd=Path(__file__).resolve().parent.parent)
    try:
        assert proc.stdout.readline().strip() == "writing"
        assert list(root.rglob("*.run"))  # spilled runs were on disk mid-write
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert current_generation(root) == before
    reader = IndexReader(root)
    try:
        assert reader.counts() == {"nl": 10, "en": 10}
    finally:
        reader.close()
    report = rebuild(root, corpus(30, seed=8), drop_missing=True)
    assert dict(report.added) == {"nl": 15, "en": 15}
    assert not list(root.rglob("*.run"))  # the half-written generation was cleared
    assert len(list((root / "generations").iterdir())) == 2  # current and previous
