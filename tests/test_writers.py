"""Faster indexing keeps the index the same: fold's ASCII path, chunked posting runs,
parallel rebuilds."""

import random
import unicodedata

import pytest
from whoosh.filedb.filestore import FileStorage

import index.storage.writers as writers
from index.analysis import fold
from index.ingest.documents import Document
from index.search import SearchRequest, search
from index.storage import IndexReader, rebuild, update


def slow_fold(text):
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@pytest.mark.parametrize("text", ["Oekraïne", "ĳs", "Ångström", "PUTIN", "foto's", "x²", "ǅemal",
                                  "straße", "İstanbul", "abc123", "", "naïve-café"])
def test_fold_fast_path_equals_the_full_fold(text):
    assert fold(text) == slow_fold(text)


def test_fold_fast_path_on_every_ascii_character():
    text = "".join(map(chr, range(128)))
    assert fold(text) == slow_fold(text)


def test_chunked_pool_returns_the_items_sorted_after_spilling(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "RUN_CHUNK", 7)
    storage = FileStorage(str(tmp_path)).create()
    pool = writers.ChunkedPostingPool(storage, None, limitmb=1)
    pool.limit = 2_000  # spill a run every ~15 postings
    rng = random.Random(3)
    items = [("body", f"w{rng.randrange(50)}".encode(), rng.randrange(100), 1.0, b"\x01")
             for _ in range(500)]
    for item in items:
        pool.add(item)
    pool.save()
    assert len(pool.runs) > 20
    assert list(pool.items(maxfiles=4)) == sorted(items)  # reduce_to merges runs into runs
    assert list(tmp_path.iterdir()) == []  # runs removed once read


WORDS = ("oorlog vrede regering minister verkiezing grens fiets stad land water "
         "war peace government minister election border bicycle city country water").split()


def corpus(n):
    rng = random.Random(7)
    docs = []
    for i in range(n):
        lang = "nl" if i % 2 else "en"
        text = " ".join(rng.choice(WORDS) for _ in range(40)) + f" Amsterdam Oekraïne nr{i}"
        docs.append(Document(id=f"d{i}", language=lang, language_confidence=1.0,
                             title=" ".join(rng.choice(WORDS) for _ in range(5)), text=text,
                             original=text, date=f"2022-0{1 + i % 9}-01"))
    return docs


def results(root):
    reader = IndexReader(root)
    out = {"counts": reader.counts()}
    for q in ("oorlog", "election border", '"stad land"', "minister OR fiets", "oekraine"):
        res = search(reader, SearchRequest(q=q, lang="any", limit=50))
        out[q] = (res["total"], [(h["id"], round(h["score"], 9)) for h in res["hits"]])
    out["stored"] = {d.id: reader.get(d.id) for d in corpus(60)[::7]}
    reader.close()
    return out


def segments(root, lang):
    reader = IndexReader(root)
    try:
        return len(reader.searchers()[lang].reader().leaf_readers())
    finally:
        reader.close()


def test_parallel_rebuild_gives_the_same_index(tmp_path, monkeypatch):
    docs = corpus(60)
    monkeypatch.setattr(writers, "PARALLEL_MIN_DOCS", 10**9)
    rebuild(tmp_path / "serial", docs)
    monkeypatch.setattr(writers, "PARALLEL_MIN_DOCS", 1)
    monkeypatch.setattr(writers, "PARALLEL_BATCH", 4)
    monkeypatch.setattr(writers.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(writers.threading, "active_count", lambda: 1)  # pytest-xdist's threads
    started = []
    new_task = writers.PendingMpWriter._new_task
    monkeypatch.setattr(writers.PendingMpWriter, "_new_task",
                        lambda self: started.append(1) or new_task(self))
    report = rebuild(tmp_path / "parallel", docs)
    assert len(started) == 2  # one worker per language
    assert dict(report.added) == {"nl": 30, "en": 30}
    assert segments(tmp_path / "serial", "nl") == 1
    assert segments(tmp_path / "parallel", "nl") == 1  # one worker per language
    assert results(tmp_path / "parallel") == results(tmp_path / "serial")
    # The parallel index is a normal one afterwards: updates and their commit point work.
    update(tmp_path / "parallel", [Document(id="d1", language="nl", language_confidence=1.0,
                                            title="nieuw", text="fiets", original="fiets")])
    reader = IndexReader(tmp_path / "parallel")
    assert reader.get("d1")["body"] == "fiets"
    assert reader.counts() == {"nl": 30, "en": 30}


def test_a_failed_worker_fails_the_rebuild_and_keeps_the_previous_index(tmp_path, monkeypatch):
    rebuild(tmp_path, corpus(4))
    monkeypatch.setattr(writers, "PARALLEL_MIN_DOCS", 1)
    monkeypatch.setattr(writers.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(writers.threading, "active_count", lambda: 1)

    def broken(self, *args, **kwargs):  # runs in the forked worker, which analyses
        raise RuntimeError("analysis failed")

    # The worker's add_document (not the tokenizer: words the process has analysed before
    # come from its token tables without calling it)
    monkeypatch.setattr(writers.ChunkedSegmentWriter, "add_document", broken)
    with pytest.raises(RuntimeError, match="worker process"):
        rebuild(tmp_path, corpus(40))
    monkeypatch.undo()
    assert IndexReader(tmp_path).counts() == {"nl": 2, "en": 2}


def test_parallel_procs_threshold(monkeypatch):
    monkeypatch.setattr(writers.threading, "active_count", lambda: 1)
    monkeypatch.setattr(writers.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert writers.parallel_procs(writers.PARALLEL_MIN_DOCS - 1) == 0
    assert writers.parallel_procs(writers.PARALLEL_MIN_DOCS) == 1
    monkeypatch.setattr(writers.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert writers.parallel_procs(10**6) == 0


def test_no_parallel_writers_in_a_threaded_process(monkeypatch):
    monkeypatch.setattr(writers.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    monkeypatch.setattr(writers.threading, "active_count", lambda: 1)
    assert writers.parallel_procs(10**6) == 1
    monkeypatch.setattr(writers.threading, "active_count", lambda: 3)
    assert writers.parallel_procs(10**6) == 0


def test_scores_do_not_depend_on_how_the_index_is_split_into_segments(tmp_path):
    # BM25's average field length is the index's, not a segment's (as in Whoosh's BM25F),
    # so an index grown by updates ranks exactly like one built in one go.
    docs = corpus(60)
    rebuild(tmp_path / "one", docs)
    rebuild(tmp_path / "split", docs[:24])
    update(tmp_path / "split", docs[24:])
    assert segments(tmp_path / "one", "nl") == 1
    assert segments(tmp_path / "split", "nl") == 2
    assert results(tmp_path / "split") == results(tmp_path / "one")
