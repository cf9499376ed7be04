"""Posting arrays (``.tpa`` per segment): the same postings and scores as Whoosh's blocks."""

import random

import numpy as np
import pytest
from whoosh.codec.whoosh3 import W3Codec

from index.ingest.documents import Document
from index.scoring import vectorscore
from index.search import SearchRequest, search
from index.storage import IndexReader, delete, postingarrays, postings, rebuild, update
from index.storage import writes
from index.storage.checksums import referenced_files

WORDS = ("oorlog vrede leger troepen grens rusland oekraine poetin navo kiev moskou sancties "
         "regering minister president verkiezing economie handel gas olie prijs winter "
         "boeren stikstof water dijk zee").split()


def _docs(n: int, seed: int = 11, prefix: str = "d") -> list[Document]:
    rng = random.Random(seed)
    docs = []
    for i in range(n):
        # Zipf-like: some words in most documents, some in few; repeats give tf > 1.
        text = " ".join(WORDS[min(int(rng.paretovariate(0.8)) - 1, len(WORDS) - 1)]
                        for _ in range(rng.randint(1, 80)))
        docs.append(Document(id=f"{prefix}{i}", language="nl", language_confidence=1.0,
                             title=" ".join(rng.choice(WORDS) for _ in range(3)), text=text,
                             original=text, date=f"2022-{rng.randint(1, 12):02d}"))
    return docs


def _build(path, old_format: bool = False, monkeypatch=None):
    if old_format:
        monkeypatch.setattr(writes, "TolkCodec", lambda **kwargs: W3Codec())
    docs = _docs(400)
    rebuild(path, docs)
    update(path, docs[:30])  # a second segment, and deletions in the first
    delete(path, ["d7", "d99", "d250"])
    if old_format:
        monkeypatch.undo()
    return IndexReader(path)


@pytest.fixture(scope="module")
def new_index(tmp_path_factory):
    return _build(tmp_path_factory.mktemp("arrays") / "index")


def _segment_readers(index_reader):
    searcher = index_reader.searchers()["nl"]
    return [sub.reader() for sub, _ in searcher.leaf_searchers()]


def _all_terms(reader):
    for fieldname in reader.indexed_field_names():
        if not reader.schema[fieldname].scorable or fieldname == "spell":
            continue
        for btext in reader.lexicon(fieldname):
            yield fieldname, btext


def test_every_terms_arrays_equal_whooshs_decoded_blocks(new_index):
    readers = _segment_readers(new_index)
    assert len(readers) >= 2
    checked = 0
    for reader in readers:
        arrays = postingarrays.for_reader(reader)
        assert arrays is not None
        for fieldname, btext in _all_terms(reader):
            ids, weights = arrays.get(fieldname, btext)
            want_ids, want_weights = postings.decode(reader, fieldname, btext)
            assert np.array_equal(ids.astype(np.int64), want_ids)
            assert np.array_equal(weights.astype(np.float64), want_weights)  # bit for bit
            checked += 1
        assert arrays.get("body", b"no-such-term") is None
        assert arrays.get("id", b"d1") is None  # not scorable: not in the arrays
        assert arrays.get("spell", b"oorlog") is None  # left out by the store's codec
    assert checked > 100


def test_field_lengths_equal_whooshs_per_document_lengths(new_index):
    for reader in _segment_readers(new_index):
        size = reader.doc_count_all()
        for fieldname in ("title", "body", "spell", "no_such_field"):  # lengths: all fields
            want = [reader.doc_field_length(i, fieldname, 1) or 1 for i in range(size)]
            assert postingarrays.field_lengths(reader, fieldname, size).tolist() == want


def _queries(n: int) -> list[str]:
    rng = random.Random(5)
    out = []
    for _ in range(n):
        words = rng.sample(WORDS, rng.randint(1, 4))
        form = rng.choice(["or", "and", "not", "title", "phrase"])
        if form == "and":
            out.append(" AND ".join(words))
        elif form == "not" and len(words) > 1:
            out.append(" ".join(words[:-1]) + " -" + words[-1])
        elif form == "title":
            out.append(f"title:{words[0]} " + " ".join(words[1:]))
        elif form == "phrase" and len(words) > 1:
            out.append('"' + " ".join(words[:2]) + '" ' + " ".join(words[2:]))
        else:
            out.append(" ".join(words))
    return out


def _hits(index_reader, q):
    request = SearchRequest(q=q, crosslingual=False, typo=False, limit=50)
    result = search(index_reader, request, lexicon=None)  # a lexicon bypasses the result cache
    return result["total"], [(h["id"], h["score"]) for h in result["hits"]]


def test_scores_from_arrays_equal_scores_from_decoded_blocks(new_index, monkeypatch):
    queries = _queries(80)
    from_arrays = [_hits(new_index, q) for q in queries]
    monkeypatch.setattr(postingarrays, "for_reader", lambda reader: None)
    from index.storage import postingcache
    postingcache.CACHE.clear()
    decoded = [_hits(new_index, q) for q in queries]
    assert from_arrays == decoded
    assert sum(total > 0 for total, _ in from_arrays) > 60


def test_an_index_in_the_previous_format_is_read_and_scores_the_same(tmp_path, new_index,
                                                                       monkeypatch, caplog):
    old = _build(tmp_path / "old", old_format=True, monkeypatch=monkeypatch)
    with caplog.at_level("INFO", logger="index.storage.postingarrays"):
        assert all(postingarrays.for_reader(r) is None for r in _segment_readers(old))
    assert "written before posting arrays" in caplog.text and "tolk reindex" in caplog.text
    for q in _queries(40):
        assert _hits(old, q) == _hits(new_index, q)
    # Writing to it with this version adds segments with arrays next to the old ones.
    update(tmp_path / "old", _docs(5, seed=3, prefix="n"))
    mixed = IndexReader(tmp_path / "old")
    kinds = {postingarrays.for_reader(r) is None for r in _segment_readers(mixed)}
    assert kinds == {True, False}
    assert _hits(mixed, "oorlog")[0] > 0


def test_merged_segments_keep_their_arrays(tmp_path):
    path = tmp_path / "index"
    rebuild(path, _docs(50))
    for i in range(12):  # Whoosh merges small segments as they pile up
        update(path, _docs(3, seed=100 + i, prefix=f"u{i}-"))
    reader = IndexReader(path)
    readers = _segment_readers(reader)
    assert len(readers) < 13
    for segment_reader in readers:
        arrays = postingarrays.for_reader(segment_reader)
        assert arrays is not None
        for fieldname, btext in _all_terms(segment_reader):
            ids, weights = arrays.get(fieldname, btext)
            want_ids, want_weights = postings.decode(segment_reader, fieldname, btext)
            assert np.array_equal(ids.astype(np.int64), want_ids)
            assert np.array_equal(weights.astype(np.float64), want_weights)


def test_a_damaged_arrays_file_falls_back_to_whooshs_blocks(new_index, caplog):
    with pytest.raises(ValueError):
        postingarrays.PostingArrays(memoryview(b"TOLKPA01" + b"\0" * 60))  # no footer
    with pytest.raises(ValueError):
        postingarrays.PostingArrays(memoryview(b"\0" * 100))

    class Storage:
        def file_exists(self, name):
            return True

        def open_file(self, name):
            from whoosh.filedb.structfile import BufferFile
            return BufferFile(memoryview(b"TOLKPA01" + b"\0" * 60), name=name)

    reader = _segment_readers(new_index)[0]

    class Reader:
        _segment = reader._segment
        _storage = Storage()

    with caplog.at_level("WARNING"):
        assert postingarrays.for_reader(Reader()) is None
    assert "decoding its postings instead" in caplog.text


def test_damaged_arrays_never_index_outside_the_segment(new_index, monkeypatch):
    readers = _segment_readers(new_index)
    name = readers[0]._segment.make_filename(postingarrays.EXT)
    f = readers[0]._storage.open_file(name)
    data = bytearray(f.get(0, readers[0]._storage.file_length(name)))
    with pytest.raises(ValueError):
        postingarrays.PostingArrays(memoryview(bytes(data[:-3])))  # truncated
    # Flip every document number to a huge one; the tables stay consistent.
    arrays = postingarrays.PostingArrays(memoryview(bytes(data)))
    for i in range(len(arrays)):
        start, count = int(arrays._starts[i]), int(arrays._counts[i])
        data[start:start + 4 * count] = b"\xff" * (4 * count)
    damaged = postingarrays.PostingArrays(memoryview(bytes(data)))
    queries = _queries(20)
    want = [_hits(new_index, q) for q in queries]
    monkeypatch.setattr(postingarrays, "for_reader", lambda reader: damaged)
    assert [_hits(new_index, q) for q in queries] == want


def test_the_arrays_are_inside_the_segment_files_the_checksum_manifest_covers(new_index):
    from index.storage import current_generation, read_commit_point

    generation = current_generation(new_index.root)
    point = read_commit_point(generation)
    manifest = set(referenced_files(generation, point, "MAIN"))
    for reader in _segment_readers(new_index):
        name = reader._segment.make_filename(postingarrays.EXT)
        assert reader._storage.file_exists(name)
        on_disk = f"nl/{reader._segment.make_filename('.seg')}"
        assert on_disk in manifest or f"nl/{name}" in manifest


def test_kill_9_mid_write_leaves_only_segments_whose_arrays_match_their_postings(tmp_path):
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    from index.storage import current_generation
    from index.storage.health import check_generation
    from test_reliability_durability import INDEXER, ROOT, make_doc

    root = tmp_path / "index"
    rebuild(root, [make_doc("base-nl", "nl"), make_doc("base-en", "en")])
    rng = random.Random(18)
    for tag in ("k1", "k2", "k3"):
        proc = subprocess.Popen([sys.executable, "-c", INDEXER, str(root), tag,
                                 str(Path(ROOT) / "tests")], cwd=ROOT, stdout=subprocess.PIPE,
                                text=True)
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.3, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        report = check_generation(current_generation(root))
        assert report["problems"] == [] and report["opens"]
        reader = IndexReader(root)
        for searcher in reader.searchers().values():
            for sub, _ in searcher.leaf_searchers():
                segment_reader = sub.reader()
                arrays = postingarrays.for_reader(segment_reader)
                assert arrays is not None
                for fieldname, btext in _all_terms(segment_reader):
                    ids, weights = arrays.get(fieldname, btext)
                    want_ids, want_weights = postings.decode(segment_reader, fieldname, btext)
                    assert np.array_equal(ids.astype(np.int64), want_ids)
                    assert np.array_equal(weights.astype(np.float64), want_weights)
        reader.close()
        update(root, [make_doc(f"{tag}-after", "en")])  # the next write works


def test_phrase_positions_are_read_only_from_blocks_holding_a_candidate(new_index, monkeypatch):
    from whoosh.codec import whoosh3

    reader = max(_segment_readers(new_index), key=lambda r: r.doc_count_all())
    btext = b"oorlog"
    ids, _, offsets, values = postings.decode(reader, "body", btext, True)
    assert len(ids) > 3 * 128  # several posting blocks
    reads = []
    real = whoosh3.W3LeafMatcher._read_data
    monkeypatch.setattr(whoosh3.W3LeafMatcher, "_read_data",
                        lambda self: (reads.append(1), real(self))[1])
    rng = random.Random(3)
    for picked in (sorted(rng.sample(range(len(ids)), 40)), list(range(5)), [len(ids) - 1]):
        reads.clear()
        candidates = ids[picked]
        got = postings.candidate_values(reader, "body", btext, candidates)
        assert got == [values[offsets[r]:offsets[r + 1]].tobytes() for r in picked]
        blocks = len({r // 128 for r in picked})
        assert len(reads) == blocks  # the other blocks: header only
    # a docnum without the term: not silently skipped
    missing = np.setdiff1d(np.arange(reader.doc_count_all()), ids)[:1]
    assert postings.candidate_values(reader, "body", btext, missing) is None
