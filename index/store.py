"""Store: the per-language Whoosh indexes on disk.

Layout of an index directory::

    INDEX_DIR/
      current -> generations/g-<time>-<rand>   (symlink, switched atomically)
      generations/g-.../nl/  en/              (one Whoosh index per language)
      generations/g-.../meta.json             (names seen, build info)
      generations/g-.../lexicon.json          (cross-link lexicon)
      write.lock                              (one writer at a time)

``rebuild`` writes a whole new generation and then replaces the ``current``
symlink with ``rename(2)``, so a crash mid-build leaves the previous
generation in use. ``update`` adds or replaces documents by id in the current
generation. Every write holds ``write.lock`` (waiting up to a timeout), so two
``tolk index`` processes never fight over Whoosh's own lock.

Commit point (``generations/g-.../commit.json``: the Whoosh TOC generation of
each language). Whoosh commits one index at a time and never fsyncs, so a
batch spanning both languages was visible half-way between the two commits,
and a crash could leave one language committed and the other not. A write
therefore goes in two phases:

1. each language's Whoosh writer commits a new TOC but keeps the files of the
   previous one (``PendingWriter`` in ``index.writers``: Whoosh's cleanup is deferred);
2. ``_publish`` fsyncs the index files and their directories, replaces
   ``commit.json`` atomically (write, fsync, ``rename(2)``, fsync directory),
   and only then removes the files no longer referenced.

Readers open exactly the TOCs named in ``commit.json``, so they see a whole
batch or none of it. A write returns (is acknowledged) only after step 2, so
an acknowledged document survives ``kill -9`` and power loss. The next writer
first removes TOCs beyond the commit point (what a killed writer left), so a
half-written batch is neither served nor built upon.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import re
import secrets
import shutil
import threading
import time
import uuid
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import whoosh.codec.base
from whoosh import index as whoosh_index
from whoosh.fields import ID, STORED, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC, FileIndex, LockError, clean_files
from whoosh.searching import Searcher

from .analysis import (_TOKEN_RE, LANGUAGES, PLAIN_TOKEN_PATTERN, _strip_apostrophe, analyzer_for,
                       spelling_analyzer)
from .documents import Document
from .writers import PendingMpWriter, PendingWriter, parallel_procs

CURRENT = "current"
GENERATIONS = "generations"
LOCK_FILE = "write.lock"
META_FILE = "meta.json"
LEXICON_FILE = "lexicon.json"
COMMIT_FILE = "commit.json"
WHOOSH_INDEX_NAME = "MAIN"  # Whoosh's default index name inside each language folder
DEFAULT_LOCK_TIMEOUT = 30.0


class StoreError(RuntimeError):
    """A problem with the index directory; the message says what to do."""


class IndexLockedError(StoreError):
    """Another process holds the write lock for longer than the timeout."""


class IndexMissingError(StoreError):
    """There is no index in the directory yet."""


def make_schema(language: str) -> Schema:
    """The Whoosh schema of one language's index."""
    analyzer = analyzer_for(language)
    return Schema(
        id=ID(stored=True, unique=True),
        language=ID(stored=True),
        title=TEXT(analyzer=analyzer, stored=True, phrase=True),
        body=TEXT(analyzer=analyzer, stored=True, phrase=True),
        date=ID(stored=True),
        # A month-only date ("2022-02") spans the whole month for range filters.
        date_start=ID(sortable=True),
        date_end=ID(),
        month=ID(stored=True, sortable=True),
        # Unstemmed, accent-folded words: completions and "did you mean".
        spell=TEXT(analyzer=spelling_analyzer(language), phrase=False),
        url=STORED,
        source=ID(stored=True),
        original=STORED,
        language_confidence=STORED,
        decisions=STORED,
    )


def document_fields(doc: Document) -> dict:
    """The Whoosh fields of a document."""
    return {
        "id": doc.id,
        "language": doc.language,
        "title": doc.title,
        "body": doc.text,
        "date": doc.date or "",
        "date_start": date_bounds(doc.date)[0],
        "date_end": date_bounds(doc.date)[1],
        "month": (doc.date or "")[:7],
        "spell": doc.title + "\n" + doc.text,
        "url": doc.url,
        "source": doc.source or "",
        "original": doc.original,
        "language_confidence": doc.language_confidence,
        "decisions": doc.decisions,
    }


def date_bounds(date: str | None) -> tuple[str, str]:
    """First and last day a date stands for: ``2022-02`` -> (2022-02-01, 2022-02-31)."""
    if not date:
        return "", ""
    if len(date) == 7:
        return date + "-01", date + "-31"
    return date, date


# The tokenizer's pattern, each token with the non-word gap before it: a token is
# sentence-initial if it is the paragraph's first or its gap holds a sentence break.
_GAP_TOKEN_RE = re.compile(r"(\W*)(" + PLAIN_TOKEN_PATTERN + ")", _TOKEN_RE.flags)
_SENTENCE_BREAK_RE = re.compile("[.!?:\u201c\"]")


def name_candidates(doc: Document) -> Counter:
    """Capitalized words that are not sentence-initial: candidate names for cross-linking."""
    names = Counter()
    for paragraph in (doc.title, *doc.text.split("\n")):
        # (gap before the token, token) pairs: one C-level pass instead of a match object
        # per token (this ran for every document on the indexer's critical path).
        pairs = _GAP_TOKEN_RE.findall(paragraph)
        for gap, token in pairs[1:]:
            if token[0].isupper() and not _SENTENCE_BREAK_RE.search(gap):
                names[_strip_apostrophe(token)] += 1
    return names


@contextmanager
def write_lock(root: Path, timeout: float = DEFAULT_LOCK_TIMEOUT):
    """Hold the index directory's write lock, waiting up to ``timeout`` seconds."""
    root.mkdir(parents=True, exist_ok=True)
    fd = os.open(root / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise IndexLockedError(
                        f"another process is writing to {root} and did not finish within "
                        f"{timeout:.0f} s; wait for it to finish (or raise --lock-timeout) "
                        "and run the command again"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)


def current_generation(root: Path) -> Path | None:
    """The generation directory ``current`` points to, or None."""
    link = root / CURRENT
    try:
        target = os.readlink(link)
    except FileNotFoundError:
        return None
    except OSError:
        return None
    return (root / target).resolve()


def _new_generation(root: Path) -> Path:
    name = time.strftime("g-%Y%m%dT%H%M%S-") + uuid.uuid4().hex[:8]
    path = root / GENERATIONS / name
    path.mkdir(parents=True)
    return path


def _fsync_path(path: Path) -> None:
    """fsync a file or a directory (a directory: the names in it)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _switch_current(root: Path, generation: Path) -> None:
    _fsync_path(generation.parent)  # the new generation's own directory entry first
    tmp = root / f".current-{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(generation, root), tmp)
    os.replace(tmp, root / CURRENT)
    _fsync_path(root)


def _remove_old_generations(root: Path, keep: Path) -> None:
    for path in (root / GENERATIONS).iterdir():
        if path.resolve() != keep.resolve():
            shutil.rmtree(path, ignore_errors=True)


def read_meta(generation: Path) -> dict:
    try:
        return json.loads((generation / META_FILE).read_text("utf-8"))
    except FileNotFoundError:
        return {}


def _write_json(path: Path, data) -> None:
    """Replace ``path`` atomically and durably (fsync file, rename, fsync directory)."""
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    _fsync_path(path.parent)


# -- commit point: both languages switch together, durably -------------------------


def _segment_name(size: int = 28) -> str:
    """Whoosh's ``random_name`` for segment ids, from the OS instead of the global ``random``.

    Whoosh draws segment ids from the module-level ``random``; anything that seeds
    it (Hypothesis does, per example) makes two writers pick the same id and the
    second commit fail on ``create_compound_file``'s assertion.
    """
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(size))


whoosh.codec.base.random_name = _segment_name


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


def read_commit_point(generation: Path) -> dict | None:
    """The published Whoosh TOC generation per language, or None (index without one)."""
    try:
        data = json.loads((generation / COMMIT_FILE).read_text("utf-8"))
    except FileNotFoundError:
        return None
    except ValueError as exc:  # not with the atomic write; if it ever happens, say what to do
        raise StoreError(f"{generation / COMMIT_FILE} is unreadable ({exc}); rebuild the index "
                         "with `tolk index --rebuild`") from None
    return {lang: int(data["toc"][lang]) for lang in LANGUAGES}


_TOC_RE = TOC._pattern(WHOOSH_INDEX_NAME)  # _MAIN_<n>.toc
_TEMP_TOC_RE = re.compile(rf"^_{WHOOSH_INDEX_NAME}_[0-9]+\.toc\..+$")  # before its rename


def _roll_back_to_commit_point(generation: Path) -> None:
    """Forget what a killed writer committed beyond ``commit.json`` (write lock held).

    Whoosh opens the highest TOC, so TOCs beyond the commit point (a batch that
    was never acknowledged) are removed, and so are temporary TOC files; their
    segment files are unreferenced and go at the next ``_publish``. An index
    without a commit point (built before there was one) gets one for its
    latest state.
    """
    point = read_commit_point(generation)
    if point is None:
        latest = {}
        for lang in LANGUAGES:
            tocs = [int(m.group(1)) for m in map(_TOC_RE.match, os.listdir(generation / lang))
                    if m]
            latest[lang] = max(tocs, default=0)
        _write_json(generation / COMMIT_FILE, {"toc": latest})
        return
    for lang in LANGUAGES:
        folder = generation / lang
        removed = False
        for name in os.listdir(folder):
            m = _TOC_RE.match(name)
            if (m and int(m.group(1)) > point[lang]) or _TEMP_TOC_RE.match(name):
                os.remove(folder / name)
                removed = True
        if removed:
            _fsync_path(folder)


def _publish(generation: Path, tocs: dict) -> None:
    """Make the committed TOCs durable, name them in ``commit.json``, then clean up.

    ``tocs``: the new TOC generation per language written by ``PendingWriter``s.
    """
    point = {**(read_commit_point(generation) or {}), **tocs}
    for lang in LANGUAGES:
        folder = generation / lang
        for name in os.listdir(folder):
            if not name.endswith("WRITELOCK") and (folder / name).is_file():
                _fsync_path(folder / name)  # files synced before have nothing dirty: cheap
        _fsync_path(folder)
    lexicon = generation / LEXICON_FILE  # saved by index.crosslink without an fsync
    if lexicon.exists():
        _fsync_path(lexicon)
    _write_json(generation / COMMIT_FILE, {"toc": point})
    # Only now may the previous TOCs and their segments go. A reader that read the
    # old commit point a moment ago and misses a file retries (IndexReader.searchers).
    for lang in LANGUAGES:
        storage = FileStorage(str(generation / lang))
        toc = TOC.read(storage, WHOOSH_INDEX_NAME, point[lang])
        clean_files(storage, WHOOSH_INDEX_NAME, point[lang], toc.segments)


def _open_searcher(ix, toc_generation: int) -> Searcher:
    """A searcher on exactly this TOC generation of ``ix`` (not the latest)."""
    toc = TOC.read(ix.storage, ix.indexname, toc_generation)
    reader = FileIndex._reader(ix.storage, toc.schema, toc.segments, toc.generation)
    return Searcher(reader, fromindex=ix)


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
    generation = _new_generation(root)
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
        _publish(generation, tocs)
    except BaseException:
        shutil.rmtree(generation, ignore_errors=True)
        raise
    _switch_current(root, generation)
    _remove_old_generations(root, generation)
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
    }
    if lexicon_builder is not None:
        lexicon = lexicon_builder(names)
        lexicon.save(generation / LEXICON_FILE)
        report.lexicon_pairs = lexicon.stats()
    _write_json(generation / META_FILE, meta)


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
        _roll_back_to_commit_point(generation)
        indexes = {lang: whoosh_index.open_dir(str(generation / lang)) for lang in LANGUAGES}
        meta = read_meta(generation)
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
        _publish(generation, tocs)  # the acknowledgement: from here on the batch is durable
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
        _roll_back_to_commit_point(generation)
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
        _write_json(generation / META_FILE, meta)
        _publish(generation, tocs)
    return deleted


class IndexReader:
    """Read access to the current generation, for one process.

    Indexes are opened once and reopened only when ``current`` switches to a
    new generation. Each thread gets its own Whoosh searchers, refreshed on
    every ``searchers()`` call so a write by another process is seen at once.
    """

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self._lock = threading.Lock()
        self._generation: Path | None = None
        self._indexes: dict = {}
        self._lexicon = None
        self._local = threading.local()
        self._lexicon_loader: Callable[[Path], object] | None = None

    def set_lexicon_loader(self, loader: Callable[[Path], object]) -> None:
        self._lexicon_loader = loader

    def _ensure_open(self) -> Path:
        generation = current_generation(self.root)
        if generation is None:
            raise IndexMissingError(
                f"no index in {self.root}; build one with `tolk index --index-dir {self.root} PATH`"
            )
        if generation != self._generation:
            with self._lock:
                if generation != self._generation:
                    self._indexes = {lang: whoosh_index.open_dir(str(generation / lang))
                                     for lang in LANGUAGES}
                    self._lexicon = None
                    self._generation = generation
        return generation

    @property
    def generation(self) -> Path:
        return self._ensure_open()

    def searchers(self) -> dict:
        """This thread's searchers per language, on the published commit point.

        Both languages come from one ``commit.json`` (see the module docstring),
        so a batch is seen whole or not at all. A searcher is reopened, not
        ``refresh()``-ed, after a commit: Whoosh's refresh reuses segment readers
        by segment id, so it keeps serving documents deleted since and, after a
        merge, counts some twice. A file removed by a writer's cleanup between
        reading the commit point and opening it means a newer point is
        published: read it again.
        """
        for attempt in range(50):
            generation = self._ensure_open()
            try:
                return self._searchers_at(generation, read_commit_point(generation))
            except FileNotFoundError:
                if attempt == 49:
                    raise
                time.sleep(0.002 * (attempt + 1))
        raise AssertionError("unreachable")

    def _searchers_at(self, generation: Path, point: dict | None) -> dict:
        local = self._local
        searchers = getattr(local, "searchers", None) or {}
        commits = getattr(local, "commits", None) or {}
        if getattr(local, "generation", None) != generation:
            for searcher in searchers.values():
                searcher.close()
            searchers, commits = {}, {}
            local.searchers, local.commits, local.generation = {}, {}, None
        wanted = {lang: point[lang] if point else ix.latest_generation()
                  for lang, ix in self._indexes.items()}
        opened = {}
        try:
            for lang, ix in self._indexes.items():
                if lang not in searchers or commits.get(lang) != wanted[lang]:
                    opened[lang] = _open_searcher(ix, wanted[lang])
        except BaseException:
            for searcher in opened.values():
                searcher.close()
            raise
        for lang in opened:
            if lang in searchers:
                searchers[lang].close()
        searchers = {**searchers, **opened}
        local.searchers, local.commits, local.generation = searchers, wanted, generation
        return searchers

    def lexicon(self):
        """The cross-link lexicon of the current generation (None if there is none)."""
        generation = self._ensure_open()
        path = generation / LEXICON_FILE
        key = (generation, path.stat().st_mtime_ns if path.exists() else None)
        if getattr(self, "_lexicon_key", None) != key:
            with self._lock:
                if self._lexicon_loader is not None and path.exists():
                    self._lexicon = self._lexicon_loader(path)
                else:
                    self._lexicon = None
                self._lexicon_key = key
        return self._lexicon

    def counts(self) -> dict:
        """Documents per language."""
        return {lang: s.doc_count() for lang, s in self.searchers().items()}

    def meta(self) -> dict:
        return read_meta(self._ensure_open())

    def get(self, doc_id: str) -> dict | None:
        """The stored fields of a document, or None."""
        for s in self.searchers().values():
            fields = s.document(id=doc_id)
            if fields is not None:
                return fields
        return None

    def close(self) -> None:
        for s in getattr(self._local, "searchers", {}).values():
            s.close()
        self._local = threading.local()
