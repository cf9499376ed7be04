"""The vector store: one int8 unit vector per document, kept with each index generation.

Why this layout:

* Immutable segment files in ``<generation>/vectors/`` (``seg-<id>.i8``: the int8
  matrix then one float32 scale per row; ``seg-<id>.json``: doc ids, languages and
  a hash of the embedded text per row), like Whoosh segments. A write adds a
  segment for its batch and marks the rows it replaces or deletes as deleted; a
  merge rewrites everything into one segment when there are many segments or
  many deleted rows.
* Which segments (and deleted rows) are live is part of ``commit.json``
  (``"vectors"``), written in the same atomic rename as the Whoosh TOC numbers
  (``index.storage.commit.publish``): a reader sees a document and its vector
  together or neither; a killed writer's segment is named by no commit point and
  is removed by the next writer's roll-back. The files are in the checksum
  manifest, so ``tolk check`` and the open-time size checks cover them.
* int8 with a per-row scale: 512 dims cost 516 bytes a document (float16 would
  be 1 KB), and cosine error stays below 0.01.
* Search: up to ``EXACT_ROWS`` (5,000) live rows, an exact scan of the memory-mapped
  matrices. Above, converting every int8 row to float per query costs too much
  (170 ms at 100k on this machine under load), so a 64-dimension random projection
  of each row (float32, 256 bytes, made when a segment is first opened) is scanned
  with one BLAS product and the best ``RESCORE`` rows are scored exactly (a coarse
  pass with rescoring, as Elasticsearch, Qdrant and Weaviate do with quantized
  copies; sign bits were tried first: NumPy's popcount was slower than this
  product). 33 ms, recall@10 0.94 against the exact scan at 100k (``bench/
  hybrid_bench.py --scan-only``). The coarse copy is sorted by language (the
  scale folded in, 4 more bytes a row for the order): a one-language search
  multiplies only its language's rows, so a hybrid search of both languages
  costs one pass over the rows instead of two (docs/notes/hybrid.md). Segments
  are immutable, so an opened one is cached by name and a write opens only its
  new segment.

Read API (for search, similar articles and story grouping), from
``IndexReader.vectors()`` (None: the index has no vectors), thread-safe, read-only:
``VectorStore.nearest(vector, k, language=None, exclude=None) -> [(doc_id, cosine)]``
(best first; cosines exact, from the int8 rows), ``VectorStore.nearest_many(vectors, k,
...)`` (one scan for several vectors), ``VectorStore.vector_of(doc_id) -> np.ndarray |
None`` (float32, unit length), ``len(store)``, ``doc_id in store`` and ``store.model``
(embed a query with ``index.vectors.embedder.get(store.model)``).
"""

from __future__ import annotations

import hashlib
import heapq
import json
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.fsync import fsync_path, write_durably


FOLDER = "vectors"
MAX_SEGMENTS = 8  # more live segments than this: merge into one
MAX_DELETED_SHARE = 0.25  # more deleted rows than this share: merge
CHUNK_ROWS = 1024  # rows converted to float32 at a time (4 MB: 8192-row chunks page-faulted, 4x slower)
EXACT_ROWS = 5_000  # up to this many rows to score: exact scan; above: coarse scan + rescoring
RESCORE = 2000  # rows scored exactly after the coarse scan (at least RESCORE_PER_K x k)
RESCORE_PER_K = 20
PROJECTED = 64  # dimensions of the coarse copy
_OPENED: dict = {}  # (segment path, dims) -> _Segment; segments never change
_OPENED_MAX = 64  # the segments of one state are at most MAX_SEGMENTS + 1
LANGUAGE_CODES = {"nl": 0, "en": 1}


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=8).hexdigest()


@dataclass
class Batch:
    """Vectors computed for a batch of documents (before the write lock)."""

    model: str
    dims: int
    ids: list[str] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    hashes: list[str] = field(default_factory=list)
    vectors: np.ndarray | None = None  # float32 (n, dims), unit rows

    def __len__(self) -> int:
        return len(self.ids)


def quantize(vectors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 rows -> (int8 rows, float32 scale per row); row ~= int8 * scale."""
    vectors = np.asarray(vectors, dtype=np.float32)
    peak = np.abs(vectors).max(axis=1) if len(vectors) else np.zeros(0, np.float32)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    q = np.clip(np.rint(vectors / scale[:, None]), -127, 127).astype(np.int8)
    return q, scale


def write_segment(generation: Path, ids, languages, hashes, q: np.ndarray,
                  scale: np.ndarray) -> dict:
    """Write one immutable segment (not yet live); its entry for the vector state."""
    folder = generation / FOLDER
    folder.mkdir(exist_ok=True)
    name = "seg-" + secrets.token_hex(8)
    write_durably(folder / f"{name}.i8", np.ascontiguousarray(q, np.int8).tobytes()
                   + np.ascontiguousarray(scale, np.float32).tobytes())
    write_durably(folder / f"{name}.json", json.dumps(
        {"ids": list(ids), "languages": list(languages), "hashes": list(hashes)},
        ensure_ascii=False).encode("utf-8"))
    fsync_path(folder)
    return {"name": name, "rows": len(ids), "deleted": []}


def segment_files(state: dict | None) -> list[str]:
    """Paths (relative to the generation) of every file the vector state needs."""
    names = []
    for seg in (state or {}).get("segments", []):
        names += [f"{FOLDER}/{seg['name']}.i8", f"{FOLDER}/{seg['name']}.json"]
    return names


def remove_unreferenced(generation: Path, state: dict | None) -> bool:
    """Remove vector files no commit point names (a killed or failed writer's); True if any."""
    folder = generation / FOLDER
    keep = {Path(p).name for p in segment_files(state)}
    removed = False
    try:
        entries = os.listdir(folder)
    except FileNotFoundError:
        return False
    for name in entries:
        if name not in keep:
            try:
                os.remove(folder / name)
            except FileNotFoundError:
                pass
            removed = True
    if removed:
        fsync_path(folder)
    return removed


class _Segment:
    def __init__(self, generation: Path, entry: dict, dims: int):
        self.name, self.rows = entry["name"], int(entry["rows"])
        base = generation / FOLDER / self.name
        meta = json.loads((base.with_suffix(".json")).read_text("utf-8"))
        self.ids: list[str] = meta["ids"]
        self._meta_path = base.with_suffix(".json")
        self._hashes: list[str] | None = None  # read when a write asks (not kept for search)
        self.languages = np.array([LANGUAGE_CODES.get(x, 255) for x in meta["languages"]],
                                  dtype=np.uint8)
        if len(self.ids) != self.rows:
            raise ValueError(f"{self.name}: {len(self.ids)} ids for {self.rows} rows")
        expected = self.rows * dims + self.rows * 4
        size = os.path.getsize(base.with_suffix(".i8"))
        if size != expected:
            raise ValueError(f"{self.name}.i8 has {size} bytes, {expected} expected")
        if self.rows:
            raw = np.memmap(base.with_suffix(".i8"), dtype=np.uint8, mode="r")
            self.matrix = raw[:self.rows * dims].view(np.int8).reshape(self.rows, dims)
            self.scale = raw[self.rows * dims:].view(np.float32)
        else:
            self.matrix = np.zeros((0, dims), np.int8)
            self.scale = np.zeros(0, np.float32)
        # The coarse copy holds the rows sorted by language (``order``: sorted position ->
        # row; ``spans``: language code -> its [start, end) there), so a one-language
        # scan multiplies only that language's rows; the row's scale is folded in.
        self.order = np.argsort(self.languages, kind="stable").astype(np.int32)
        codes = self.languages[self.order]
        self.spans = {int(c): (int(np.searchsorted(codes, c, "left")),
                               int(np.searchsorted(codes, c, "right")))
                      for c in np.unique(codes).tolist()}
        self.coarse = np.zeros((self.rows, PROJECTED), np.float32)
        del meta, codes
        for start in range(0, self.rows, CHUNK_ROWS):
            rows = self.order[start:start + CHUNK_ROWS]
            block = self.matrix[rows].astype(np.float32) * self.scale[rows, None]
            self.coarse[start:start + CHUNK_ROWS] = block @ _projection(dims)

    @property
    def hashes(self) -> list[str]:
        if self._hashes is None:
            meta = json.loads(self._meta_path.read_text("utf-8"))
            self._hashes = meta.get("hashes") or [""] * self.rows
        return self._hashes


_PROJECTIONS: dict = {}


def _projection(dims: int) -> np.ndarray:
    """The same fixed Gaussian ``dims x PROJECTED`` matrix in every process."""
    if dims not in _PROJECTIONS:
        rng = np.random.default_rng(20261130)
        _PROJECTIONS[dims] = (rng.standard_normal((dims, PROJECTED)) / np.sqrt(PROJECTED)
                              ).astype(np.float32)
    return _PROJECTIONS[dims]


def _open_segment(generation: Path, entry: dict, dims: int) -> tuple[_Segment, np.ndarray]:
    """The (cached) immutable segment and the live mask of this state's ``entry``."""
    key = (str(generation / FOLDER / entry["name"]), dims)
    seg = _OPENED.get(key)
    if seg is None or seg.rows != int(entry["rows"]):
        seg = _Segment(generation, entry, dims)
        if len(_OPENED) >= _OPENED_MAX:
            _OPENED.pop(next(iter(_OPENED)))
        _OPENED[key] = seg
    live = np.ones(seg.rows, dtype=bool)
    deleted = entry.get("deleted", [])
    if deleted:
        live[np.asarray(deleted, dtype=np.int64)] = False
    return seg, live


class VectorStore:
    """The live vectors of one commit point (read-only, memory-mapped)."""

    def __init__(self, generation: Path, state: dict):
        from index.vectors.embedder import single_thread
        single_thread()  # the scan's matrix products on one BLAS thread
        self.model: str = state["model"]
        self.dims: int = int(state["dims"])
        opened = [_open_segment(generation, e, self.dims) for e in state.get("segments", [])]
        keep = {(str(generation / FOLDER / e["name"]), self.dims) for e in state.get("segments", [])}
        for key in [key for key in _OPENED if key not in keep]:
            _OPENED.pop(key, None)  # replaced segments: their files may be gone (space freed)
        self.segments = [seg for seg, _ in opened]
        self.live = [live for _, live in opened]
        self._rows = sum(int(live.sum()) for live in self.live)
        self._where_map: dict[str, int] | None = None
        self._build_lock = threading.Lock()
        self._views: dict = {}  # (segment, language code) -> its coarse rows and live mask

    @property
    def _where(self) -> dict[str, int]:
        """id -> segment << 32 | row of the live rows; built on first use (``vector_of``):
        searching needs no id map, and at 100k documents it is ~200 bytes a document."""
        if self._where_map is None:
            with self._build_lock:
                if self._where_map is None:
                    where = {}
                    for s, seg in enumerate(self.segments):
                        ids = seg.ids
                        for row in np.flatnonzero(self.live[s]).tolist():
                            where[ids[row]] = (s << 32) | row
                    self._where_map = where
        return self._where_map

    def __len__(self) -> int:
        return self._rows

    def __contains__(self, doc_id: str) -> bool:
        return doc_id in self._where

    def nbytes(self) -> int:
        return sum(seg.matrix.nbytes + seg.scale.nbytes for seg in self.segments)

    def vector_of(self, doc_id: str) -> np.ndarray | None:
        """The stored (dequantized, unit length) vector of ``doc_id``, or None."""
        where = self._where.get(doc_id)
        if where is None:
            return None
        seg, row = self.segments[where >> 32], where & 0xFFFFFFFF
        v = seg.matrix[row].astype(np.float32) * seg.scale[row]
        return v / max(float(np.linalg.norm(v)), 1e-12)

    def language_of(self, doc_id: str) -> str:
        """The language stored with ``doc_id``'s vector ("" when it has none)."""
        where = self._where.get(doc_id)
        if where is None:
            return ""
        code = int(self.segments[where >> 32].languages[where & 0xFFFFFFFF])
        return next((lang for lang, c in LANGUAGE_CODES.items() if c == code), "")

    def hash_of(self, doc_id: str) -> str | None:
        where = self._where.get(doc_id)
        return None if where is None else self.segments[where >> 32].hashes[where & 0xFFFFFFFF]

    def _masks(self, language: str | None) -> list[np.ndarray]:
        code = LANGUAGE_CODES.get(language) if language else None
        return [live if code is None else live & (seg.languages == code)
                for seg, live in zip(self.segments, self.live)]

    def _code(self, language: str | None):
        return LANGUAGE_CODES.get(language) if language else None

    def _view(self, s: int, code) -> tuple[int, int, np.ndarray | None]:
        """Segment ``s``'s coarse rows of language ``code`` (None: all): ``(start, end,
        live)``, ``live`` the mask of live rows among them (None: all live). Cached: a
        store is one commit point's immutable state."""
        view = self._views.get((s, code))
        if view is None:
            seg = self.segments[s]
            start, end = (0, seg.rows) if code is None else seg.spans.get(code, (0, 0))
            live = self.live[s][seg.order[start:end]]
            view = (start, end, None if live.all() else live)
            self._views[(s, code)] = view
        return view

    def _count(self, code) -> int:
        """Live rows of language ``code`` (None: all)."""
        total = 0
        for s in range(len(self.segments)):
            start, end, live = self._view(s, code)
            total += end - start if live is None else int(live.sum())
        return total

    def scores(self, vector: np.ndarray, language: str | None = None, k: int | None = None):
        """(segment, rows, cosines) of the live rows (of ``language``), segment by segment:
        every row, or with ``k`` above ``EXACT_ROWS`` rows the ``RESCORE`` candidates of
        the coarse scan."""
        vector = np.asarray(vector, dtype=np.float32)
        code = self._code(language)
        if k is not None and self._count(code) > EXACT_ROWS:
            yield from self._rescored(vector, code, max(RESCORE, RESCORE_PER_K * k))
            return
        yield from self._exact(vector, self._masks(language))

    def _exact(self, queries: np.ndarray, masks):
        """(segment, rows, cosines) of every live row in ``masks``, CHUNK_ROWS at a time:
        ``queries`` is one vector (cosines per row) or a dims x n matrix (rows x n)."""
        for s, seg in enumerate(self.segments):
            mask = masks[s]
            for start in range(0, seg.rows, CHUNK_ROWS):
                part = mask[start:start + CHUNK_ROWS]
                if not part.any():
                    continue
                block = seg.matrix[start:start + CHUNK_ROWS].astype(np.float32)
                scale = seg.scale[start:start + CHUNK_ROWS]
                cos = block @ queries
                cos = cos * (scale if cos.ndim == 1 else scale[:, None])
                rows = np.flatnonzero(part)
                yield s, rows + start, cos[rows]

    def _coarse_pick(self, queries: np.ndarray, code, rescore: int) -> list[list]:
        """Per query vector (rows of ``queries``): ``[(segment, rows)]``, the ``rescore``
        live rows of language ``code`` the coarse scan ranks best over all segments (rows
        sorted, segment row numbers). One product per segment serves every query."""
        coarse_queries = queries @ _projection(self.dims)  # n x PROJECTED
        parts = []  # (segment, start of its span, approx scores: span rows x n)
        for s, seg in enumerate(self.segments):
            start, end, live = self._view(s, code)
            if end <= start or (live is not None and not live.any()):
                continue
            approx = seg.coarse[start:end] @ coarse_queries.T
            if live is not None:
                approx[~live] = -np.inf
            parts.append((s, start, approx))
        out = []
        for q in range(len(queries)):
            picked = []
            for s, start, approx in parts:
                column = approx[:, q]
                take = min(rescore, len(column))
                rows = (np.argpartition(-column, take - 1)[:take] if take < len(column)
                        else np.arange(len(column)))
                rows = rows[np.isfinite(column[rows])]
                picked.append((s, start, rows, column[rows]))
            if len(picked) > 1:  # the best ``rescore`` over all segments
                cut = np.sort(np.concatenate([a for *_, a in picked]))[::-1]
                floor = cut[min(rescore, len(cut)) - 1] if len(cut) else np.inf
                picked = [(s, start, rows[a >= floor], a[a >= floor])
                          for s, start, rows, a in picked]
            out.append([(s, np.sort(self.segments[s].order[start + rows]))
                        for s, start, rows, _ in picked if len(rows)])
        return out

    def _rescored(self, vector: np.ndarray, code, rescore: int):
        """Coarse scan (projected copies) over every segment, then exact cosines of the best."""
        for s, rows in self._coarse_pick(vector[None, :], code, rescore)[0]:
            seg = self.segments[s]
            cos = (seg.matrix[rows].astype(np.float32) @ vector) * seg.scale[rows]
            yield s, rows, cos

    def nearest(self, vector: np.ndarray, k: int, language: str | None = None,
                exclude=None) -> list[tuple[str, float]]:
        """The ``k`` documents most similar to ``vector``: ``[(doc_id, cosine)]``, best first.

        ``language``: only documents of that language; ``exclude``: ids left out.
        """
        if k <= 0:
            return []
        exclude = set(exclude or ())
        best: list[tuple[float, str]] = []
        want = k + len(exclude)
        for s, rows, cos in self.scores(vector, language, k=want):
            ids = self.segments[s].ids
            if len(rows) > want:
                top = np.argpartition(-cos, want - 1)[:want]
            else:
                top = np.arange(len(rows))
            for i in top:
                doc_id = ids[rows[i]]
                if doc_id in exclude:
                    continue
                item = (float(cos[i]), doc_id)
                if len(best) < k:
                    heapq.heappush(best, item)
                elif item > best[0]:
                    heapq.heapreplace(best, item)
        return [(doc_id, round(cos, 6)) for cos, doc_id in sorted(best, reverse=True)]


    def nearest_per_language(self, vector: np.ndarray, k: int,
                             languages) -> dict[str, list[tuple[str, float]]]:
        """``nearest(vector, k, language=lang)`` for each of ``languages``, from ONE scan of
        the rows (a per-language call converts every row once per language)."""
        vector = np.asarray(vector, dtype=np.float32)
        codes = {lang: LANGUAGE_CODES.get(lang, 255) for lang in languages}
        picked: dict[str, list] = {lang: [] for lang in languages}
        if self._count(None) > EXACT_ROWS:  # coarse path: each language scans its own rows
            return {lang: self.nearest(vector, k, language=lang) for lang in languages}
        for s, rows, cos in self.scores(vector, None):
            seg_langs = self.segments[s].languages[rows]
            for lang, code in codes.items():
                mine = np.flatnonzero(seg_langs == code)
                if len(mine) > k:
                    mine = mine[np.argpartition(-cos[mine], k - 1)[:k]]
                picked[lang].append((s, rows[mine], cos[mine]))
        out = {}
        for lang, parts in picked.items():
            ranked = [(float(c), self.segments[s].ids[r]) for s, rows, cos in parts
                      for c, r in zip(cos.tolist(), rows.tolist())]
            ranked.sort(reverse=True)
            out[lang] = [(doc_id, round(c, 6)) for c, doc_id in ranked[:k]]
        return out

    def nearest_many(self, vectors, k: int, language: str | None = None,
                     exclude=None) -> list[list[tuple[str, float]]]:
        """``nearest`` for several query vectors in one pass over the rows: one list per
        vector (same order). ``exclude``: per vector, ids left out (or None).

        The int8 rows are converted (exact path) or the coarse copy multiplied (above
        ``EXACT_ROWS``) once for all vectors, which is what a scan costs; only the
        rescoring of each vector's coarse candidates is per vector.
        """
        queries = np.asarray(vectors, dtype=np.float32).reshape(-1, self.dims)
        n = len(queries)
        excluded = [set(x or ()) for x in (exclude or [None] * n)]
        if k <= 0 or not n:
            return [[] for _ in range(n)]
        want = k + max((len(x) for x in excluded), default=0)
        masks = self._masks(language)
        found: list[list] = [[] for _ in range(n)]  # per query: (cosines, segment, rows)

        def keep(q: int, s: int, rows: np.ndarray, cos: np.ndarray) -> None:
            if len(rows) > want:
                top = np.argpartition(-cos, want - 1)[:want]
                rows, cos = rows[top], cos[top]
            found[q].append((cos, s, rows))

        if self._count(self._code(language)) > EXACT_ROWS:
            rescore = max(RESCORE, RESCORE_PER_K * want)
            for q, picked in enumerate(self._coarse_pick(queries, self._code(language), rescore)):
                for s, rows in picked:
                    seg = self.segments[s]
                    cos = (seg.matrix[rows].astype(np.float32) @ queries[q]) * seg.scale[rows]
                    keep(q, s, rows, cos)
        else:
            for s, rows, cos in self._exact(queries.T, masks):
                for q in range(n):
                    keep(q, s, rows, cos[:, q])
        out = []
        for q in range(n):
            ranked = []
            for cos, s, rows in found[q]:
                ids = self.segments[s].ids
                ranked += [(float(c), ids[r]) for c, r in zip(cos.tolist(), rows.tolist())]
            ranked.sort(reverse=True)
            best = [(doc_id, round(c, 6)) for c, doc_id in ranked
                    if doc_id not in excluded[q]][:k]
            out.append(best)
        return out


# -- writing: the next vector state from the current one -----------------------------------

def _locate(generation: Path, state: dict) -> dict[str, tuple[int, int]]:
    """doc id -> (segment index, row) of the live rows of ``state``."""
    where = {}
    for s, entry in enumerate(state.get("segments", [])):
        meta = json.loads((generation / FOLDER / f"{entry['name']}.json").read_text("utf-8"))
        deleted = set(entry.get("deleted", []))
        for row, doc_id in enumerate(meta["ids"]):
            if row not in deleted:
                where[doc_id] = (s, row)
    return where


def next_state(generation: Path, state: dict | None, batch: Batch | None,
               written_ids, deleted_ids=()) -> dict | None:
    """The vector state after a write, its new segment already on disk (not yet live).

    ``written_ids``: every document the write replaced or added (their old rows
    go, even when ``batch`` has no vector for them); ``deleted_ids``: removed
    documents. ``batch`` of another model than the stored one adds nothing
    (one model per generation; ``tolk reindex`` switches models).
    """
    gone = set(written_ids) | set(deleted_ids)
    if state is None and (batch is None or not len(batch)):
        return None
    if state is None:
        state = {"model": batch.model, "dims": batch.dims, "segments": []}
    state = {**state, "segments": [dict(e, deleted=list(e.get("deleted", [])))
                                   for e in state["segments"]]}
    if gone and state["segments"]:
        where = _locate(generation, state)
        for doc_id in gone:
            if doc_id in where:
                s, row = where[doc_id]
                state["segments"][s]["deleted"].append(row)
    state["segments"] = [e for e in state["segments"] if len(e["deleted"]) < e["rows"]]
    if batch is not None and len(batch) and batch.model == state["model"]:
        q, scale = quantize(batch.vectors)
        state["segments"].append(write_segment(generation, batch.ids, batch.languages,
                                               batch.hashes, q, scale))
    rows = sum(e["rows"] for e in state["segments"])
    deleted = sum(len(e["deleted"]) for e in state["segments"])
    if len(state["segments"]) > MAX_SEGMENTS or (rows and deleted > MAX_DELETED_SHARE * rows):
        state = merged(generation, state)
    for e in state["segments"]:
        e["deleted"].sort()
    return state


def merged(generation: Path, state: dict) -> dict:
    """``state`` rewritten as one segment of its live rows."""
    store = VectorStore(generation, state)
    ids, langs, hashes, qs, scales = [], [], [], [], []
    codes = {v: k for k, v in LANGUAGE_CODES.items()}
    for seg, live in zip(store.segments, store.live):
        rows = np.flatnonzero(live)
        ids += [seg.ids[r] for r in rows]
        seg_hashes = seg.hashes
        hashes += [seg_hashes[r] for r in rows]
        langs += [codes.get(int(seg.languages[r]), "") for r in rows]
        qs.append(np.asarray(seg.matrix[rows]))
        scales.append(np.asarray(seg.scale[rows]))
    q = np.concatenate(qs) if qs else np.zeros((0, store.dims), np.int8)
    scale = np.concatenate(scales) if scales else np.zeros(0, np.float32)
    entry = write_segment(generation, ids, langs, hashes, q, scale)
    return {"model": state["model"], "dims": state["dims"], "segments": [entry]}
