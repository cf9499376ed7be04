import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from index.ingest.documents import Document
from index.storage import (IndexLockedError, IndexMissingError, IndexReader, current_generation,
                         delete, rebuild, update, write_lock)

ROOT = Path(__file__).resolve().parent.parent


def doc(doc_id, text, language="nl", title=None):
    return Document(id=doc_id, language=language, language_confidence=1.0,
                    title=title or text[:30], text=text, original=text)


def ids(reader):
    out = set()
    for s in reader.searchers().values():
        out.update(f["id"] for f in s.all_stored_fields())
    return out


def test_rebuild_then_read(tmp_path):
    report = rebuild(tmp_path, [doc("a", "Poetin stuurt troepen"),
                                doc("b", "Putin sends troops", "en")])
    assert dict(report.added) == {"nl": 1, "en": 1}
    reader = IndexReader(tmp_path)
    assert reader.counts() == {"nl": 1, "en": 1}
    assert reader.get("b")["body"] == "Putin sends troops"
    assert reader.get("b")["original"] == "Putin sends troops"
    assert reader.get("missing") is None


def test_update_replaces_by_id_and_keeps_the_rest(tmp_path):
    rebuild(tmp_path, [doc("a", "eerste versie"), doc("b", "blijft staan")])
    reader = IndexReader(tmp_path)
    update(tmp_path, [doc("a", "tweede versie"), doc("c", "nieuw document")])
    assert ids(reader) == {"a", "b", "c"}
    assert reader.get("a")["body"] == "tweede versie"
    assert reader.counts()["nl"] == 3


def test_update_moves_a_document_that_changes_language(tmp_path):
    rebuild(tmp_path, [doc("a", "Nederlandse tekst")])
    update(tmp_path, [doc("a", "English text now", "en")])
    reader = IndexReader(tmp_path)
    assert reader.counts() == {"nl": 0, "en": 1}


def test_update_without_index_creates_one(tmp_path):
    update(tmp_path / "new", [doc("a", "tekst")])
    assert IndexReader(tmp_path / "new").counts()["nl"] == 1


def test_delete(tmp_path):
    rebuild(tmp_path, [doc("a", "een"), doc("b", "two", "en")])
    assert delete(tmp_path, ["b", "zzz"]) == 1
    assert ids(IndexReader(tmp_path)) == {"a"}


def test_reader_without_index_says_what_to_do(tmp_path):
    with pytest.raises(IndexMissingError, match="tolk index"):
        IndexReader(tmp_path).counts()


def test_reader_follows_a_rebuild_switch(tmp_path):
    rebuild(tmp_path, [doc("a", "oud")])
    reader = IndexReader(tmp_path)
    assert ids(reader) == {"a"}
    first = reader.generation
    rebuild(tmp_path, [doc("b", "nieuw")], drop_missing=True)
    assert ids(reader) == {"b"}
    rebuild(tmp_path, [doc("c", "nieuwer")], drop_missing=True)
    assert ids(reader) == {"c"}
    # The replaced generation stays as `previous`; older ones are cleaned up after the switch.
    kept = sorted(p.name for p in (tmp_path / "generations").iterdir())
    assert len(kept) == 2 and first.name not in kept
    assert (tmp_path / "previous").resolve().name in kept


SLOW_REBUILD = textwrap.dedent("""
    import sys, time
    from index.ingest.documents import Document
    from index.storage import rebuild
    def docs():
        for i in range(100000):
            yield Document(id=f"n{i}", language="nl", language_confidence=1.0, title="t",
                           text=f"nieuwe tekst {i}", original="x")
    def slow(doc):
        if doc.id == "n50":
            print("started", flush=True)
        time.sleep(0.001)
    rebuild(sys.argv[1], docs(), progress=slow)
""")


def test_killed_rebuild_leaves_previous_index_searchable(tmp_path):
    rebuild(tmp_path, [doc("keep", "dit blijft vindbaar")])
    before = current_generation(tmp_path)
    proc = subprocess.Popen([sys.executable, "-c", SLOW_REBUILD, str(tmp_path)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout.readline().strip() == "started"
    time.sleep(0.3)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert current_generation(tmp_path) == before
    reader = IndexReader(tmp_path)
    assert ids(reader) == {"keep"}
    # The next build succeeds and clears the half-written generation.
    rebuild(tmp_path, [doc("next", "volgende")], drop_missing=True)
    assert ids(IndexReader(tmp_path)) == {"next"}
    # (the replaced generation stays as `previous`)
    assert sorted(p.name for p in (tmp_path / "generations").iterdir()) == sorted(
        [current_generation(tmp_path).name, before.name])


HOLD_LOCK = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from index.storage import write_lock
    with write_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def test_writer_waits_for_the_lock_then_gives_a_clear_error(tmp_path):
    rebuild(tmp_path, [doc("a", "tekst")])
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp_path), "3"],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(IndexLockedError, match="another process is writing"):
            update(tmp_path, [doc("b", "tekst")], lock_timeout=0.5)
        assert time.monotonic() - started >= 0.5
        # With a longer timeout the writer waits for the holder and succeeds.
        update(tmp_path, [doc("c", "tekst")], lock_timeout=20)
        assert ids(IndexReader(tmp_path)) == {"a", "c"}
    finally:
        holder.kill()
        holder.wait()


def test_two_index_processes_at_once_both_finish(tmp_path):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    for i in range(20):
        (tmp_path / "one" / f"one{i}.jsonl").write_text(
            f'{{"id": "one{i}", "text": "Dit is een Nederlandse tekst nummer {i}.", '
            f'"language": "nl"}}\n')
        (tmp_path / "two" / f"two{i}.jsonl").write_text(
            f'{{"id": "two{i}", "text": "This is English text number {i}.", '
            f'"language": "en"}}\n')
    index_dir = tmp_path / "index"
    # A lock timeout well above one run's length (the first builds the lexicon cache): the
    # test is that they take turns, not how fast.
    procs = [subprocess.Popen([sys.executable, "-m", "service.cli", "index", "--quiet",
                               "--lock-timeout", "110", "--index-dir", str(index_dir),
                               str(tmp_path / name)],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
             for name in ("one", "two")]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert IndexReader(index_dir).counts() == {"nl": 20, "en": 20}


def test_write_lock_is_reentrant_across_sequential_uses(tmp_path):
    with write_lock(tmp_path, timeout=0.1):
        pass
    with write_lock(tmp_path, timeout=0.1):
        pass
    assert (tmp_path / "write.lock").exists()


def test_long_lived_reader_sees_deletes_and_replacements(tmp_path):
    """Whoosh's Searcher.refresh() would keep serving deleted documents here."""
    rebuild(tmp_path, [doc(f"d{i}", f"tekst {i}") for i in range(3)])
    reader = IndexReader(tmp_path)
    assert reader.counts()["nl"] == 3
    for round_ in range(5):
        update(tmp_path, [doc("d0", f"versie {round_}"), doc(f"x{round_}", "extra")])
        assert reader.get("d0")["body"] == f"versie {round_}"
        assert reader.counts()["nl"] == 3 + round_ + 1
    delete(tmp_path, ["d1"])
    assert reader.get("d1") is None
    assert "d1" not in ids(reader)
    assert reader.counts()["nl"] == 7


def test_name_candidates_are_capitalized_words_not_at_a_sentence_start():
    from collections import Counter

    from index.ingest.names import name_candidates

    text = ("De president Poetin sprak met Jean-Claude Juncker. Daarna vertrok Poetin's "
            "delegatie naar Kiev: Moskou zweeg.\nLoegansk ligt bij “Donetsk” en 12.5Abc "
            "in Wit-Rusland! Maar niet hier")
    doc = Document(id="n", language="nl", language_confidence=1.0,
                   title="Overleg in Minsk", text=text, original=text)
    assert name_candidates(doc) == Counter({
        "Poetin": 2, "Jean-Claude": 1, "Juncker": 1, "Kiev": 1, "Minsk": 1, "Abc": 1,
        "Wit-Rusland": 1})
