"""index.storage.reader.IndexReader.list_documents: id order over both languages, by cursor."""

import time

from index.storage import IndexReader, delete_ids, rebuild, update
from conftest import make_doc


def ids(docs):
    return [d["id"] for d in docs]


def test_merges_both_languages_in_id_order_and_skips_deleted(tmp_path):
    rebuild(tmp_path, [make_doc(i, "nl" if n % 3 else "en") for n, i in enumerate(
        ["k", "b", "x", "a", "m", "c", "z", "d"])])
    reader = IndexReader(tmp_path)
    assert ids(reader.list_documents("", 100)) == ["a", "b", "c", "d", "k", "m", "x", "z"]
    assert ids(reader.list_documents("c", 3)) == ["d", "k", "m"]
    assert ids(reader.list_documents("cc", 100)) == ["d", "k", "m", "x", "z"]
    assert ids(reader.list_documents("", 100, languages=["en"])) == ["a", "k", "z"]
    assert ids(reader.list_documents("b", 100, ids=["z", "a", "c", "nope"])) == ["c", "z"]
    assert delete_ids(tmp_path, ["m", "nope", "a"]) == ["m", "a"]
    update(tmp_path, [make_doc("k", "en")])  # moves k from one index to the other
    assert ids(reader.list_documents("", 100)) == ["b", "c", "d", "k", "x", "z"]


def test_a_deep_page_costs_what_the_first_one_does(tmp_path):
    """Paging by cursor seeks to the id; paging by offset would walk everything before it."""
    rebuild(tmp_path, [make_doc(f"d{n:05d}", "nl" if n % 2 else "en") for n in range(6000)])
    reader = IndexReader(tmp_path)

    def cost(after):
        best = float("inf")
        for _ in range(5):
            started = time.process_time()
            page = reader.list_documents(after, 20)
            best = min(best, time.process_time() - started)
        assert len(page) == 20
        return best

    first, deep = cost(""), cost("d05900")
    assert deep / first < 3


def _build_with_old_analysis(root, monkeypatch):
    """An index whose stored analyzer is an older one (stem rules version 1)."""
    from index import analysis

    monkeypatch.setattr(analysis.StemFilter, "RULES", 1)
    analysis.analyzer_for.cache_clear()
    try:
        rebuild(root, [make_doc("nl1", "nl"), make_doc("en1", "en")])
    finally:
        monkeypatch.undo()
        analysis.analyzer_for.cache_clear()


def test_index_built_with_another_analysis_is_not_served_and_says_reindex(tmp_path,
                                                                          monkeypatch, runner):
    from index.storage import reindex
    from index.storage.errors import IndexOutdatedError
    import pytest

    _build_with_old_analysis(tmp_path, monkeypatch)
    reader = IndexReader(tmp_path)
    with pytest.raises(IndexOutdatedError) as raised:
        reader.searchers()
    message = str(raised.value)
    assert "tolk reindex --index-dir" in message and "\n" not in message
    result = runner(["search", "--index-dir", str(tmp_path), "nl1"])
    assert result.exit_code != 0
    assert "tolk reindex" in result.stderr and result.stderr.count("\n") <= 1
    assert "Traceback" not in result.stderr
    check = runner(["check", "--index-dir", str(tmp_path)])
    assert check.exit_code != 0
    assert "OUTDATED" in check.output and "tolk reindex" in check.stderr
    reindex(tmp_path)  # reads the stored documents, whatever analysis they were built with
    reopened = IndexReader(tmp_path)
    assert reopened.searchers()["nl"].doc_count() == 1
    reopened.close()


def test_index_built_with_the_current_analysis_opens(tmp_path):
    rebuild(tmp_path, [make_doc("nl1", "nl")])
    reader = IndexReader(tmp_path)
    assert reader.searchers()["nl"].doc_count() == 1
    reader.close()


def test_api_answers_index_outdated_for_an_index_of_another_analysis(tmp_path, monkeypatch):
    from conftest import assert_error
    from service import create_app

    _build_with_old_analysis(tmp_path, monkeypatch)
    app = create_app({"INDEX_DIR": str(tmp_path), "API_KEY": "test-key"})
    app.config.update(TESTING=True)
    response = app.test_client().get("/api/search?q=nl1")
    body = assert_error(response, 503, "index_outdated")
    assert "tolk reindex" in body["message"]


def test_reindex_if_outdated_reindexes_only_an_outdated_index(tmp_path, monkeypatch, runner):
    from index.storage.generations import current_generation

    rebuild(tmp_path / "fresh", [make_doc("nl1", "nl")])
    before = current_generation(tmp_path / "fresh")
    result = runner(["reindex", "--if-outdated", "--index-dir", str(tmp_path / "fresh")])
    assert result.exit_code == 0 and "nothing to reindex" in result.output
    assert current_generation(tmp_path / "fresh") == before  # no new generation

    _build_with_old_analysis(tmp_path / "old", monkeypatch)
    result = runner(["reindex", "--if-outdated", "--quiet", "--index-dir",
                     str(tmp_path / "old")])
    assert result.exit_code == 0, result.stderr
    assert "another text analysis" in result.stderr
    reader = IndexReader(tmp_path / "old")
    assert reader.searchers()["nl"].doc_count() == 1  # opens: no longer outdated
    reader.close()


def test_every_commit_and_rebuild_is_seen_by_the_next_search(tmp_path, monkeypatch):
    # The commit point is read again only when commit.json is another file, and the link's
    # target resolved once per target: each write and each rebuild must still show at once,
    # and a search without a write must not read commit.json again.
    from index.storage import commit, reader as reader_module

    rebuild(tmp_path, [make_doc("a", "nl"), make_doc("b", "en")])
    reader = IndexReader(tmp_path)

    def count():
        return sum(s.doc_count() for s in reader.searchers().values())

    assert count() == 2
    for n in range(3):
        update(tmp_path, [make_doc(f"n{n}", "nl")])
        assert count() == 3 + n
    delete_ids(tmp_path, ["a"])
    assert count() == 4
    reads = []
    real = commit.read_commit_file
    monkeypatch.setattr(reader_module, "read_commit_point",
                        lambda generation: (reads.append(1), real(generation)["toc"])[1])
    for _ in range(5):
        assert count() == 4
    assert reads == []  # unchanged commit point: not read again
    update(tmp_path, [make_doc("z", "en")])
    assert count() == 5 and len(reads) == 1
    before = reader.generation
    rebuild(tmp_path, [make_doc("only", "nl")])  # a new generation behind `current`
    assert reader.generation != before and reader.get("only") is not None
