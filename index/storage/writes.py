"""Writes: rebuild a generation, update or delete documents in the current one.

Every write holds the index directory's write lock, writes each language with a
``PendingWriter`` and is acknowledged only after ``publish`` has made the commit
point durable (see ``index.storage.commit``).
"""

from __future__ import annotations

import shutil
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from itertools import chain
from typing import Callable, Iterable, Iterator

from whoosh import index as whoosh_index
from whoosh.index import LockError

from index.analysis import LANGUAGES
from index.fields import active as active_fields
from index.ingest.documents import Document
from index.ingest.names import name_candidates
from index.storage.carryover import (carry_user_links, reprepare, stored_counts, stored_fields,
                                     stored_ids)
from index.storage.commit import (locked_write, publish, read_commit_file,
                                  roll_back_to_commit_point, switch_to)
from index.storage.errors import (FieldTypeError, IndexLockedError, IndexMissingError,
                                  StoreError)
from index.storage.generations import (LEXICON_CORPUS_FILE, LEXICON_FILE, META_FILE,
                                       current_generation, new_generation, read_meta, write_json)
from index.storage.lock import DEFAULT_LOCK_TIMEOUT, write_lock
from index.storage.postingarrays import TolkCodec
from index.storage.schema import document_fields, field_type, make_schema
from index.storage.writers import PendingMpWriter, PendingWriter, parallel_procs
from index.vectors.stage import embed_batch, open_store
from index.vectors.store import next_state


def _abandon(writer) -> None:
    """Give up a Whoosh writer after an error; always release its lock.

    A writer whose ``commit`` raised is neither committed nor closed and keeps
    Whoosh's ``MAIN_WRITELOCK``: every later write in this process would wait
    for it and fail with ``LockError``.
    """
    if writer.is_closed:  # committed or cancelled: its lock is released
        return
    try:
        writer.cancel()
    except Exception:  # noqa: BLE001 - half-finished state; the lock is what matters
        pass
    finally:
        lock = getattr(writer, "writelock", None)
        if lock is not None:
            try:
                lock.release()
            except Exception:  # noqa: BLE001 - already released
                pass


@contextmanager
def _open_writers():
    """A dict to put writers in; on any error every writer in it is abandoned."""
    writers: dict = {}
    try:
        yield writers
    except BaseException:
        for writer in writers.values():
            _abandon(writer)
        raise


def _commit_all(writers: dict) -> dict:
    """Commit every writer (not yet published); the new TOC generation per language."""
    tocs = {}
    for lang, writer in writers.items():
        writer.commit()
        tocs[lang] = writer.generation
    return tocs


def _new_writer(ix, procs: int = 0, **kwargs) -> PendingWriter:
    """A ``PendingWriter``, or with ``procs`` a ``PendingMpWriter`` with that many workers."""
    # Whoosh's segments + posting arrays; completions read "spell" through Whoosh's matchers.
    kwargs.setdefault("codec", TolkCodec(without=("spell",)))
    try:
        if procs:
            return PendingMpWriter(ix, procs=procs, **kwargs)
        return PendingWriter(ix, **kwargs)
    except LockError:
        raise IndexLockedError(f"the Whoosh index {ix.storage.folder} is locked by another "
                               "writer; try again in a moment") from None



@dataclass
class IndexReport:
    """What an index run did."""

    added: Counter = field(default_factory=Counter)  # per language
    removed: int = 0
    generation: str = ""
    lexicon_pairs: dict = field(default_factory=dict)
    seconds: float = 0.0
    carried_over: int = 0  # stored documents a rebuild indexed again
    dropped: int | None = 0  # stored documents a rebuild left out (None: could not count)
    kept_as_stored: list = field(default_factory=list)  # [(id, why not prepared again)]
    locked_seconds: float = 0.0  # how long an update held the write lock
    user_links: int = 0  # users' cross-link edits a rebuild carried over


# names per language -> object with .save(path); an incremental builder
# (index.crosslink.builder.IncrementalBuilder) also updates the corpus part per write.
LexiconBuilder = Callable[[dict], object]


def _write_documents(indexes: dict, docs: Iterable[Document], replace: bool,
                     progress: Callable[[Document], None] | None, report: IndexReport,
                     names: dict | None, batch: bool, procs: dict | None = None,
                     before_commit: Callable[[], None] | None = None) -> dict:
    """Write ``docs``; returns the new (not yet published) TOC generation per language.

    ``names``: per language, a Counter the documents' name candidates are added to
    (None: the caller counted them before taking the lock).

    ``procs``: worker processes per language for a batch (see ``index.writers``).
    ``before_commit``: called once every document is handed to the writers, before
    waiting for them (work that needs no documents overlaps the worker processes').
    """
    with _open_writers() as writers:
        for lang, ix in indexes.items():
            if batch:
                writers[lang] = _new_writer(ix, procs=(procs or {}).get(lang, 0), limitmb=128)
            else:
                writers[lang] = _new_writer(ix, timeout=DEFAULT_LOCK_TIMEOUT)
                _add_declared_fields(writers[lang], lang)
        for doc in docs:
            fields = document_fields(doc)
            if replace:
                for lang, writer in writers.items():
                    if lang != doc.language:
                        writer.delete_by_term("id", doc.id)
                writers[doc.language].update_document(**fields)
            else:
                writers[doc.language].add_document(**fields)
            if names is not None:
                names[doc.language].update(name_candidates(doc))
            report.added[doc.language] += 1
            if progress:
                progress(doc)
        if before_commit is not None:
            before_commit()
        return _commit_all(writers)


def _add_declared_fields(writer, language: str) -> None:
    """Fields declared since the index was built join its schema (old documents lack
    them until they are written again, e.g. by a rebuild)."""
    for declared in active_fields().extra:
        if declared.name not in writer.schema:
            writer.add_field(declared.name, field_type(declared, language))


def _check_field_types(meta: dict) -> None:
    problems = active_fields().check_index(meta.get("fields"))
    if problems:
        raise FieldTypeError("; ".join(problems))


def rebuild(root: str | Path, docs: Iterable[Document], *,
            lexicon_builder: LexiconBuilder | None = None,
            progress: Callable[[Document], None] | None = None,
            lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
            drop_missing: bool = False) -> IndexReport:
    """Build a new generation and switch to it atomically.

    The new generation holds ``docs`` and every document the current one holds,
    prepared again from its stored original (``index.storage.carryover``); a
    document in ``docs`` wins by id, and among ``docs`` the last one does.
    ``drop_missing``: only ``docs``; ``report.dropped`` counts the stored
    documents left out. The previous generation stays in use until the new one
    is complete, and the write lock is held throughout, so a write that comes
    during the rebuild waits and lands in the new generation.
    """
    root = Path(root)
    with write_lock(root, lock_timeout):
        return _rebuild_locked(root, docs, lexicon_builder, progress, drop_missing)


def reindex(root: str | Path, *, lexicon_builder: LexiconBuilder | None = None,
            progress: Callable[[Document], None] | None = None,
            lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> IndexReport:
    """Prepare and analyze every stored document again into a new generation.

    For after a change of cleaning, language detection, analyzers or lexicon
    sources; the same guarantees as ``rebuild`` (which it is, with no new documents).
    """
    root = Path(root)
    with write_lock(root, lock_timeout):
        if current_generation(root) is None:
            raise IndexMissingError(f"no index in {root} to reindex; build one with "
                                    f"`tolk index --index-dir {root} PATH`")
        return _rebuild_locked(root, [], lexicon_builder, progress)


def _rebuild_locked(root: Path, docs, lexicon_builder, progress,
                    drop_missing: bool = False) -> IndexReport:
    started = time.monotonic()
    report = IndexReport()
    docs = _last_wins(docs)
    previous = current_generation(root)
    stream: Iterable[Document] = docs
    expected = Counter(doc.language for doc in docs)
    if previous is not None:
        given = {doc.id for doc in docs}
        if drop_missing:
            try:
                report.dropped = len(stored_ids(previous) - given)
            except Exception:  # noqa: BLE001 - a broken index is what --drop-missing replaces
                report.dropped = None
        else:
            expected.update(_readable_counts(previous))
            stream = chain(docs, _carried_over(previous, given, report))
    generation = new_generation(root)
    try:
        if previous is not None:  # first: an unreadable file stops the rebuild at once
            report.user_links = carry_user_links(previous, generation, drop_missing)
        indexes = {}
        for lang in LANGUAGES:
            (generation / lang).mkdir()
            indexes[lang] = whoosh_index.create_in(str(generation / lang), make_schema(lang))
        names = {lang: Counter() for lang in LANGUAGES}
        procs = {lang: parallel_procs(expected[lang]) for lang in LANGUAGES}
        written: list[Document] = []
        static: dict = {}

        def static_lexicon():  # needs no names: loaded while the writer processes work
            if _incremental(lexicon_builder):
                static["lexicon"] = lexicon_builder.write_static(generation / LEXICON_FILE)

        tocs = _write_documents(indexes, _collected(stream, written), replace=False,
                                progress=progress, report=report, names=names, batch=True,
                                procs=procs, before_commit=static_lexicon)
        _finish_generation(generation, names, lexicon_builder, report, static.get("lexicon"))
        vectors = _rebuilt_vectors(previous, generation, written)
        del written
        publish(generation, tocs, vectors=vectors)
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    switch_to(root, generation)  # the replaced generation stays as `previous`
    report.generation = generation.name
    report.seconds = time.monotonic() - started
    return report


def _collected(docs: Iterable[Document], into: list) -> Iterator[Document]:
    for doc in docs:
        into.append(doc)
        yield doc


def _current_vectors(generation: Path | None):
    """The vector state and store of ``generation``'s commit point ((None, None): none)."""
    if generation is None or not generation.is_dir():
        return None, None
    try:
        state = (read_commit_file(generation) or {}).get("vectors")
    except Exception:  # noqa: BLE001 - a damaged commit point: nothing to reuse
        return None, None
    return state, open_store(generation, state)


def _rebuilt_vectors(previous: Path | None, generation: Path, docs: list) -> dict | None:
    """The new generation's vector state: one segment; unchanged vectors are reused."""
    batch = embed_batch(docs, previous=_current_vectors(previous)[1])
    return next_state(generation, None, batch, ())


def _readable_counts(generation: Path) -> Counter:
    """Stored documents per language; a StoreError that says what to do if unreadable."""
    try:
        return stored_counts(generation)
    except Exception as exc:  # noqa: BLE001 - say what to do instead of a traceback
        raise StoreError(
            f"the current index in {generation} cannot be read ({exc.__class__.__name__}: "
            f"{exc}), so its documents cannot be carried over; rebuild from your files only "
            "with `tolk index --rebuild --drop-missing PATHS` (documents not in PATHS are "
            "removed)") from None


def _carried_over(generation: Path, given: set, report: IndexReport) -> Iterator[Document]:
    """The documents of ``generation`` not in ``given``, prepared again."""
    for fields in stored_fields(generation):
        if fields["id"] in given:
            continue
        doc, problem = reprepare(fields)
        if problem is not None:
            report.kept_as_stored.append((doc.id, problem))
        report.carried_over += 1
        yield doc


def _last_wins(docs: Iterable[Document]) -> list[Document]:
    by_id: dict[str, Document] = {}
    for doc in docs:
        by_id.pop(doc.id, None)
        by_id[doc.id] = doc
    return list(by_id.values())


def _incremental(lexicon_builder) -> bool:
    """A builder that keeps the lexicon as a static part and a corpus part
    (``index.crosslink.builder``); others build one whole lexicon per call."""
    return hasattr(lexicon_builder, "updated_part")


def _finish_generation(generation: Path, names: dict, lexicon_builder, report: IndexReport,
                       static=None):
    """A new generation's meta and lexicon (static part + corpus part from all names).

    ``static``: what ``lexicon_builder.write_static`` returned, when already called.
    """
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    meta = {
        "created": read_meta(generation).get("created", now),
        "updated": now,
        "names": {lang: dict(counter) for lang, counter in names.items()},
        # Declared fields and their types when last written (an index keeps a field
        # whose declaration was removed; its values stay stored).
        "fields": {**read_meta(generation).get("fields", {}), **active_fields().types()},
    }
    if _incremental(lexicon_builder):
        if static is None:
            static = lexicon_builder.write_static(generation / LEXICON_FILE)
        part = lexicon_builder.full_part(names)
        write_json(generation / LEXICON_CORPUS_FILE, part)
        report.lexicon_pairs = lexicon_builder.pair_counts(static, part)
    elif lexicon_builder is not None:
        lexicon = lexicon_builder(names)
        lexicon.save(generation / LEXICON_FILE)
        report.lexicon_pairs = lexicon.stats()
    write_json(generation / META_FILE, meta)


def _update_lexicon(generation: Path, meta: dict, names: dict, batch: dict,
                    lexicon_builder) -> None:
    """After a write: the names, and the corpus part for the keys of the batch's names.

    Written durably (``write_json``) before ``publish``, so the links of an
    acknowledged write are there after a crash. Costs the batch's names, not
    the lexicon's size; without an incremental builder (or on a generation
    that has no lexicon yet) the whole lexicon is built as before.
    """
    meta = {**meta, "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "names": {lang: dict(counter) for lang, counter in names.items()}}
    if lexicon_builder is None:
        pass
    elif not (generation / LEXICON_FILE).exists():
        _finish_generation(generation, names, lexicon_builder, IndexReport())
        return
    elif _incremental(lexicon_builder):
        if any(batch.values()):
            part = lexicon_builder.read_part(generation / LEXICON_CORPUS_FILE)
            if part is None:  # a generation from before the corpus part: make it whole once
                part = lexicon_builder.full_part(names)
            else:
                part = lexicon_builder.updated_part(generation, part, names, batch)
            write_json(generation / LEXICON_CORPUS_FILE, part)
    elif any(set(batch[lang]) - set(meta.get("names", {}).get(lang, {})) for lang in batch):
        lexicon = lexicon_builder(names)  # a whole-lexicon builder: only for new names
        lexicon.save(generation / LEXICON_FILE)
    write_json(generation / META_FILE, meta)


def update(root: str | Path, docs: Iterable[Document], *,
           lexicon_builder: LexiconBuilder | None = None,
           progress: Callable[[Document], None] | None = None,
           lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> IndexReport:
    """Add or replace documents by id in the current generation.

    Creates the index first if there is none. Documents not named are kept.
    """
    docs = _last_wins(docs)  # prepared before the lock is taken, not while holding it
    return update_computed(root, lambda: docs, lexicon_builder=lexicon_builder,
                           progress=progress, lock_timeout=lock_timeout, precomputed=docs)


def update_computed(root: str | Path, compute: Callable[[], Iterable[Document]], *,
                    lexicon_builder: LexiconBuilder | None = None,
                    progress: Callable[[Document], None] | None = None,
                    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
                    precomputed: list[Document] | None = None) -> IndexReport:
    """``update`` with the documents made by ``compute()`` while the write lock is held.

    For read-modify-write (merging a patch into a stored document): no other
    write can land between what ``compute`` read and what is written.
    ``precomputed``: the documents, when known before the lock (``update``), so
    their name candidates are found before it is taken.
    """
    root = Path(root)
    started = time.monotonic()
    report = IndexReport()
    # Name candidates are found before the lock is taken where the documents are known:
    # only Whoosh's own writing, the lexicon's corpus part and the commit happen while
    # other writers wait.
    batch = _name_batch(precomputed) if precomputed is not None else None
    # The embedding stage, too (vectors still held by the index are reused).
    embedded = (embed_batch(precomputed, _current_vectors(current_generation(root))[1])
                if precomputed is not None else None)
    with locked_write(root, lock_timeout):  # a failed write leaves nothing behind
        locked = time.monotonic()
        docs = precomputed if precomputed is not None else _last_wins(compute())
        if batch is None:
            batch = _name_batch(docs)
        generation = current_generation(root)
        if generation is None:
            return _rebuild_locked(root, docs, lexicon_builder, progress)
        roll_back_to_commit_point(generation)
        state, store = _current_vectors(generation)
        if precomputed is None:
            embedded = embed_batch(docs, store)
        indexes = {lang: whoosh_index.open_dir(str(generation / lang)) for lang in LANGUAGES}
        meta = read_meta(generation)
        _check_field_types(meta)
        tocs = _write_documents(indexes, docs, replace=True, progress=progress, report=report,
                                names=None, batch=False)
        if report.added:
            names = {lang: Counter(meta.get("names", {}).get(lang, {})) + batch[lang]
                     for lang in LANGUAGES}
            _update_lexicon(generation, meta, names, batch, lexicon_builder)
        vectors = next_state(generation, state, embedded, [doc.id for doc in docs])
        publish(generation, tocs, vectors=vectors)  # the acknowledgement: durable from here
        report.locked_seconds = time.monotonic() - locked
    report.generation = generation.name
    report.seconds = time.monotonic() - started
    return report


def _name_batch(docs: Iterable[Document]) -> dict:
    """Name candidates per language of a batch."""
    batch = {lang: Counter() for lang in LANGUAGES}
    for doc in docs:
        batch[doc.language].update(name_candidates(doc))
    return batch


def delete(root: str | Path, doc_ids: Iterable[str], *,
           lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> int:
    """Delete documents by id from every language; returns how many were deleted."""
    return len(delete_ids(root, doc_ids, lock_timeout=lock_timeout))


def delete_ids(root: str | Path, doc_ids: Iterable[str], *,
               lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> list[str]:
    """Delete documents by id from every language; returns the ids that existed.

    Which ids were found is decided under the write lock, so a caller can say
    exactly which ones were not there, whatever other writers do meanwhile.
    """
    root = Path(root)
    doc_ids = list(dict.fromkeys(doc_ids))
    deleted: list[str] = []
    with locked_write(root, lock_timeout):  # a failed write leaves nothing behind
        generation = current_generation(root)
        if generation is None:
            raise IndexMissingError(f"no index in {root}; build one with `tolk index PATH`")
        roll_back_to_commit_point(generation)
        with _open_writers() as writers:
            found: set[str] = set()
            for lang in LANGUAGES:
                ix = whoosh_index.open_dir(str(generation / lang))
                writers[lang] = _new_writer(ix, timeout=DEFAULT_LOCK_TIMEOUT)
                for doc_id in doc_ids:
                    if writers[lang].delete_by_term("id", doc_id):
                        found.add(doc_id)
            deleted = [doc_id for doc_id in doc_ids if doc_id in found]
            if not deleted:
                for writer in writers.values():
                    writer.cancel()
                return []
            tocs = _commit_all(writers)
        meta = read_meta(generation)
        meta["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        write_json(generation / META_FILE, meta)
        state = (read_commit_file(generation) or {}).get("vectors")
        publish(generation, tocs, vectors=next_state(generation, state, None, (), deleted))
    return deleted
