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
from typing import Callable, Iterable

from whoosh import index as whoosh_index
from whoosh.index import LockError

from index.analysis import LANGUAGES
from index.fields import active as active_fields
from index.ingest.documents import Document
from index.ingest.names import name_candidates
from index.storage.commit import publish, roll_back_to_commit_point
from index.storage.errors import FieldTypeError, IndexLockedError, IndexMissingError
from index.storage.generations import (LEXICON_FILE, META_FILE, current_generation, new_generation,
                                       read_meta, remove_old_generations, switch_current,
                                       write_json)
from index.storage.lock import DEFAULT_LOCK_TIMEOUT, write_lock
from index.storage.schema import document_fields, field_type, make_schema
from index.storage.writers import PendingMpWriter, PendingWriter, parallel_procs


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


LexiconBuilder = Callable[[dict], object]  # names per language -> object with .save(path)


def _write_documents(indexes: dict, docs: Iterable[Document], replace: bool,
                     progress: Callable[[Document], None] | None, report: IndexReport,
                     names: dict, batch: bool, procs: dict | None = None) -> dict:
    """Write ``docs``; returns the new (not yet published) TOC generation per language.

    ``procs``: worker processes per language for a batch (see ``index.writers``).
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
            names[doc.language].update(name_candidates(doc))
            report.added[doc.language] += 1
            if progress:
                progress(doc)
        return _commit_all(writers)


def _add_declared_fields(writer, language: str) -> None:
    """Fields declared since the index was built join its schema (old documents lack
    them until they are written again, e.g. by a rebuild)."""
    for field in active_fields().extra:
        if field.name not in writer.schema:
            writer.add_field(field.name, field_type(field, language))


def _check_field_types(meta: dict) -> None:
    problems = active_fields().check_index(meta.get("fields"))
    if problems:
        raise FieldTypeError("; ".join(problems))


def rebuild(root: str | Path, docs: Iterable[Document], *,
            lexicon_builder: LexiconBuilder | None = None,
            progress: Callable[[Document], None] | None = None,
            lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> IndexReport:
    """Build a new generation from ``docs`` and switch to it atomically.

    Documents with the same id: the last one wins. The previous generation
    stays in use until the new one is complete.
    """
    root = Path(root)
    with write_lock(root, lock_timeout):
        return _rebuild_locked(root, docs, lexicon_builder, progress)


def _rebuild_locked(root: Path, docs, lexicon_builder, progress) -> IndexReport:
    started = time.monotonic()
    report = IndexReport()
    generation = new_generation(root)
    try:
        indexes = {}
        for lang in LANGUAGES:
            (generation / lang).mkdir()
            indexes[lang] = whoosh_index.create_in(str(generation / lang), make_schema(lang))
        names = {lang: Counter() for lang in LANGUAGES}
        docs = _last_wins(docs)
        per_language = Counter(doc.language for doc in docs)
        procs = {lang: parallel_procs(per_language[lang]) for lang in LANGUAGES}
        tocs = _write_documents(indexes, docs, replace=False, progress=progress,
                                report=report, names=names, batch=True, procs=procs)
        _finish_generation(generation, names, lexicon_builder, report)
        publish(generation, tocs)
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    switch_current(root, generation)
    remove_old_generations(root, generation)
    report.generation = generation.name
    report.seconds = time.monotonic() - started
    return report


def _last_wins(docs: Iterable[Document]) -> list[Document]:
    by_id: dict[str, Document] = {}
    for doc in docs:
        by_id.pop(doc.id, None)
        by_id[doc.id] = doc
    return list(by_id.values())


def _finish_generation(generation: Path, names: dict, lexicon_builder, report: IndexReport):
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    meta = {
        "created": read_meta(generation).get("created", now),
        "updated": now,
        "names": {lang: dict(counter) for lang, counter in names.items()},
        # Declared fields and their types when last written (an index keeps a field
        # whose declaration was removed; its values stay stored).
        "fields": {**read_meta(generation).get("fields", {}), **active_fields().types()},
    }
    if lexicon_builder is not None:
        lexicon = lexicon_builder(names)
        lexicon.save(generation / LEXICON_FILE)
        report.lexicon_pairs = lexicon.stats()
    write_json(generation / META_FILE, meta)


def update(root: str | Path, docs: Iterable[Document], *,
           lexicon_builder: LexiconBuilder | None = None,
           progress: Callable[[Document], None] | None = None,
           lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> IndexReport:
    """Add or replace documents by id in the current generation.

    Creates the index first if there is none. Documents not named are kept.
    """
    root = Path(root)
    docs = _last_wins(docs)
    started = time.monotonic()
    report = IndexReport()
    with write_lock(root, lock_timeout):
        generation = current_generation(root)
        if generation is None:
            return _rebuild_locked(root, docs, lexicon_builder, progress)
        roll_back_to_commit_point(generation)
        indexes = {lang: whoosh_index.open_dir(str(generation / lang)) for lang in LANGUAGES}
        meta = read_meta(generation)
        _check_field_types(meta)
        names = {lang: Counter(meta.get("names", {}).get(lang, {})) for lang in LANGUAGES}
        tocs = _write_documents(indexes, docs, replace=True, progress=progress, report=report,
                                names=names, batch=False)
        if report.added:
            known = {lang: set(meta.get("names", {}).get(lang, {})) for lang in LANGUAGES}
            new_names = any(set(names[lang]) - known[lang] for lang in LANGUAGES)
            # Only the corpus names feed the lexicon; without new ones it stays as it is.
            builder = lexicon_builder if new_names or not (generation / LEXICON_FILE).exists() \
                else None
            _finish_generation(generation, names, builder, report)
        publish(generation, tocs)  # the acknowledgement: from here on the batch is durable
    report.generation = generation.name
    report.seconds = time.monotonic() - started
    return report


def delete(root: str | Path, doc_ids: Iterable[str], *,
           lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> int:
    """Delete documents by id from every language; returns how many were deleted."""
    root = Path(root)
    doc_ids = list(doc_ids)
    deleted = 0
    with write_lock(root, lock_timeout):
        generation = current_generation(root)
        if generation is None:
            raise IndexMissingError(f"no index in {root}; build one with `tolk index PATH`")
        roll_back_to_commit_point(generation)
        with _open_writers() as writers:
            for lang in LANGUAGES:
                ix = whoosh_index.open_dir(str(generation / lang))
                writers[lang] = _new_writer(ix, timeout=DEFAULT_LOCK_TIMEOUT)
                for doc_id in doc_ids:
                    deleted += writers[lang].delete_by_term("id", doc_id)
            if not deleted:
                for writer in writers.values():
                    writer.cancel()
                return 0
            tocs = _commit_all(writers)
        meta = read_meta(generation)
        meta["updated"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        write_json(generation / META_FILE, meta)
        publish(generation, tocs)
    return deleted
