"""Whoosh writers for the store: deferred cleanup, fast posting runs, parallel rebuilds.

* ``PendingWriter`` commits a new TOC but deletes nothing; ``index.storage``
  removes the previous TOC's files once ``commit.json`` names the new one
  (see the store's module docstring).
* ``ChunkedPostingPool`` is Whoosh's posting pool with sorted runs written and
  read in pickled chunks instead of one ``pickle`` call per posting; the
  external sort of postings was the largest single cost of indexing.
  By default (``BULK_POSTINGS``) the writers use ``index.storage.bulk``'s
  ``ArrayPostingPool`` instead: NumPy-sorted columns, written a term at a time
  (same files); ``ChunkedPostingPool`` stays as the comparison path.
* ``PendingMpWriter`` is Whoosh's multi-process writer with the same deferred
  cleanup: a worker process analyses and writes the segment, so the two
  languages of a rebuild are written in parallel. It forks, so the store uses
  it only to rebuild many documents (``parallel_procs``).
"""

from __future__ import annotations

import itertools
import os
import pickle
import queue
import threading

import whoosh.codec.base
import whoosh.multiproc
from whoosh.multiproc import MpWriter, SubWriterTask
from whoosh.index import TOC
from whoosh.writing import PostingPool, SegmentWriter

from index.storage import docterms
from index.storage.bulk import ArrayPostingPool, write_postings

RUN_CHUNK = 4096  # postings per pickled chunk of a run
PARALLEL_MIN_DOCS = 2000  # fewer documents in a language: forking does not pay
# Workers per language. One keeps one segment per language, as an in-process build
# does; two per language were within noise on 2 cores and leave more segments to search.
PARALLEL_PROCS = 1
PARALLEL_BATCH = 100  # documents per job file handed to a worker
# Postings pooled as NumPy-sorted columns and written a term at a time (index.storage.bulk);
# False: Whoosh's per-posting pool and writer (same files, slower; kept for comparison).
BULK_POSTINGS = True
# With BULK_POSTINGS: text fields analysed through per-word token tables (index.storage.docterms);
# False: Whoosh's add_document (same postings; kept for comparison).
BULK_ANALYSIS = True


class ChunkedPostingPool(PostingPool):
    """A posting pool whose runs hold pickled lists of postings (same order, same items)."""

    def _write_run(self, f, items):
        items = iter(items)
        try:
            while chunk := list(itertools.islice(items, RUN_CHUNK)):
                pickle.dump(chunk, f, pickle.HIGHEST_PROTOCOL)
        finally:
            f.close()

    def _read_run(self, path):
        f = self._open_run(path)
        try:
            while True:
                try:
                    chunk = pickle.load(f)
                except EOFError:
                    return
                yield from chunk
        finally:
            f.close()
            self._remove_run(path)


def _use_chunked_pool(writer: SegmentWriter) -> None:
    """Swap a new writer's (still empty) posting pool for ours.

    ``ArrayPostingPool`` (NumPy-sorted columns, written a term at a time) when
    ``BULK_POSTINGS`` is on, else the ``ChunkedPostingPool``.
    """
    pool = writer.pool
    cls = ArrayPostingPool if BULK_POSTINGS else ChunkedPostingPool
    writer.pool = cls(pool.tempstore, pool.segment, limitmb=pool.limit >> 20)


def _flush_segment(writer: SegmentWriter) -> None:
    """``SegmentWriter._flush_segment``, with an ``ArrayPostingPool`` written a term at a time."""
    if not isinstance(writer.pool, ArrayPostingPool):
        return SegmentWriter._flush_segment(writer)
    writer.perdocwriter.close()
    pdr = writer.per_document_reader() if writer.codec.length_stats else None
    try:
        write_postings(writer.fieldwriter, writer.schema, pdr, writer.docnum,
                       writer.pool.iter_terms())
        writer.fieldwriter.close()
    finally:
        if pdr:
            pdr.close()


class ChunkedSegmentWriter(SegmentWriter):
    """Whoosh's ``SegmentWriter`` with our posting pool (see ``_use_chunked_pool``).

    With ``BULK_POSTINGS`` its text fields are indexed through
    ``index.storage.docterms`` (one table lookup per word instead of Whoosh's
    token streams; the same postings, lengths and stored values).
    """

    _fast_fields = None  # docterms.FastFields of the schema, made on the first document

    def __init__(self, ix, **kwargs):
        super().__init__(ix, **kwargs)
        _use_chunked_pool(self)

    def add_document(self, **fields):
        if isinstance(self.pool, ArrayPostingPool) and BULK_ANALYSIS:
            return docterms.add_document(self, fields)
        return super().add_document(**fields)

    _flush_segment = _flush_segment


class PendingWriter(ChunkedSegmentWriter):
    """A Whoosh writer whose commit writes the new TOC but deletes nothing.

    Whoosh's own commit removes the previous TOC and unreferenced segment files
    at once; until ``commit.json`` names the new TOC, readers still need them.
    ``index.storage._publish`` removes them after the switch.
    """

    def _commit_toc(self, segments):
        TOC(self.schema, segments, self.generation).write(self.storage, self.indexname)


class _OrphanSafeQueue:
    """The job queue as a worker sees it: waiting for work ends if the parent is gone.

    A worker inherits the parent's ``write.lock``; one left waiting after the
    parent was killed would hold the index lock for ever.
    """

    def __init__(self, jobs, parent_pid: int):
        self.jobs, self.parent_pid = jobs, parent_pid

    def get(self):
        while True:
            try:
                return self.jobs.get(timeout=1.0)
            except queue.Empty:
                if os.getppid() != self.parent_pid:
                    os._exit(1)


class _ChunkedSubWriterTask(SubWriterTask):
    def __init__(self, *args):
        super().__init__(*args)
        self.parent_pid = os.getpid()

    def run(self):
        # Runs in the forked worker only: Whoosh's task builds a plain SegmentWriter
        # from this module global, so the worker's own runs get the chunked pool.
        whoosh.multiproc.SegmentWriter = ChunkedSegmentWriter
        self.jobqueue = _OrphanSafeQueue(self.jobqueue, self.parent_pid)
        super().run()


class PendingMpWriter(MpWriter):
    """Whoosh's ``MpWriter`` (``multisegment=True``) with ``PendingWriter``'s commit.

    Each worker process writes its own segment. A worker that fails makes
    ``commit`` raise (Whoosh would commit without its documents), and
    ``cancel`` stops the workers instead of leaving them waiting for work.
    """

    def __init__(self, ix, procs: int = PARALLEL_PROCS, **kwargs):
        super().__init__(ix, procs=procs, batchsize=PARALLEL_BATCH, multisegment=True, **kwargs)
        _use_chunked_pool(self)

    _commit_toc = PendingWriter._commit_toc
    _flush_segment = _flush_segment

    def _new_task(self):
        task = _ChunkedSubWriterTask(self.storage, self.indexname, self.jobqueue,
                                     self.resultqueue, self.subargs, self.multisegment)
        self.tasks.append(task)
        task.start()
        return task

    def _enqueue(self):
        # Whoosh's, except that waiting for room in the job queue checks that the
        # workers are alive: with all of them dead, Whoosh would wait forever.
        filename = f"{whoosh.codec.base.random_name()}.doclist"  # index.storage's
        with self.temp_storage().create_file(filename).raw_file() as f:
            for item in self.docbuffer:
                pickle.dump(item, f, pickle.HIGHEST_PROTOCOL)
        if len(self.tasks) < self.procs:
            self._new_task()
        while True:
            try:
                self.jobqueue.put((filename, len(self.docbuffer)), timeout=1.0)
                break
            except queue.Full:
                self._check_workers()
        self.docbuffer = []

    def _check_workers(self) -> None:
        failed = [task.exitcode for task in self.tasks if task.exitcode not in (None, 0)]
        if failed:
            raise RuntimeError(f"{len(failed)} indexing worker process(es) failed "
                               f"(exit codes {failed}); nothing was published")

    def commit(self, *args, **kwargs):
        self._check_workers()
        super().commit(*args, **kwargs)
        self._check_workers()  # the workers have exited now

    def cancel(self):
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.terminate()
                task.join()
        finally:
            SegmentWriter.cancel(self)


def parallel_procs(doc_count: int) -> int:
    """Worker processes for writing ``doc_count`` documents to one index (0: write in-process)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    # Forking a process that runs other threads (a web server's) can copy a lock
    # another thread holds into the child, where nobody releases it.
    if doc_count < PARALLEL_MIN_DOCS or (cpus or 1) < 2 or threading.active_count() > 1:
        return 0
    return min(PARALLEL_PROCS, cpus)
