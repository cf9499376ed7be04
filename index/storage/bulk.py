"""Bulk posting writing: a segment's postings sorted with NumPy and written a term at a time.

Whoosh's writer puts every posting through Python twice: its pool sorts
``(field, term, docnum, weight, positions)`` tuples (pickled runs, a heap
merge), then ``FieldWriter.add_postings`` walks them one by one, looking up
the document's field length and appending to the block buffers per posting.
That was most of a rebuild after analysis.

``ArrayPostingPool`` keeps the postings as columns (term id, docnum, weight,
positions bytes); a run is ordered by one ``np.lexsort`` over (term rank,
docnum), spilled to a temp file when it outgrows the pool's memory limit, and
runs are merged per term, not per posting. ``write_postings`` then fills the
codec's block buffers with whole slices (Whoosh's block size, the same
statistics per block) and the field lengths come from one array per field.
The files written are the same codec's (``TolkCodec``: Whoosh's ``.trm`` /
``.pst`` plus the ``.tpa`` arrays), byte for byte what the per-posting path
writes, so readers, merges, the commit point and checksums do not change.
It relies on private attributes of Whoosh 2.7's ``W3PostingsWriter`` and of
``ArrayFieldWriter``; the tests compare both paths' segment files.
"""

from __future__ import annotations

import heapq
import pickle
import struct
from array import array
from itertools import repeat

import zlib

import numpy as np
from whoosh.codec.whoosh3 import (WHOOSH3_HEADER_MAGIC, W3FieldWriter, W3PostingsWriter,
                                  W3TermInfo)
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.system import pack_int, pack_long, pack_ushort
from whoosh.util.numeric import length_to_byte
from whoosh.writing import PostingPool

from index.storage import docterms
from index.storage.postingarrays import ArrayFieldWriter

# Bytes one pooled posting costs besides its positions (columns 20, list slot 8, bytes
# object 33, term table share) plus the copies sorting a run makes; with it a writer's
# peak stays near the old pool's for the same memory limit (bench/index_speed.py).
_POSTING_BYTES = 112
RUN_PIECE = 65536  # postings per pickled piece of a spilled run (whole terms)


def _uint32s(values) -> array:
    out = array("I")
    out.frombytes(np.ascontiguousarray(values, dtype=np.uint32).tobytes())
    return out


def _float32s(values) -> array:
    out = array("f")
    out.frombytes(np.ascontiguousarray(values, dtype=np.float32).tobytes())
    return out


class ArrayPostingPool(PostingPool):
    """Whoosh's posting pool interface; postings kept as columns and sorted with NumPy."""

    def __init__(self, tempstore, segment, limitmb=128, **kwargs):
        super().__init__(tempstore, segment, limitmb=limitmb, **kwargs)
        self._reset()

    def _reset(self):
        self._term_ids: dict = {}  # (fieldname, btext) -> term id (``add``)
        self._field_terms: dict = {}  # fieldname -> {term: term id} (``add_terms``)
        self._keys: list = []  # term id -> (fieldname, btext); a key may have two ids
        self._tids = array("I")
        self._docs = array("q")
        self._weights = array("d")
        self._values: list = []
        self.currentsize = 0

    def add(self, item):
        fieldname, btext, docnum, weight, vbytes = item
        key = (fieldname, btext)
        tid = self._term_ids.get(key)
        if tid is None:
            tid = self._term_ids[key] = len(self._keys)
            self._keys.append(key)
            self.fieldnames.add(fieldname)
        self._tids.append(tid)
        self._docs.append(docnum)
        self._weights.append(weight)
        vbytes = vbytes or b""
        self._values.append(vbytes)
        self.currentsize += _POSTING_BYTES + len(vbytes)
        if self.currentsize > self.limit:
            self.save()

    def add_terms(self, fieldname: str, terms: list, docnum: int, weights: list,
                  values: list) -> None:
        """One document's postings of one field: ``terms`` (str), their weights and values.

        The same postings as ``add`` of each ``(fieldname, term as UTF-8, docnum,
        weight, value)``, without a tuple per posting (``index.storage.docterms``).
        """
        ids = self._field_terms.get(fieldname)
        if ids is None:
            ids = self._field_terms[fieldname] = {}
            self.fieldnames.add(fieldname)
        keys = self._keys
        for term in [t for t in terms if t not in ids]:
            ids[term] = len(keys)
            keys.append((fieldname, term.encode("utf-8")))
        n = len(terms)
        self._tids.extend(map(ids.__getitem__, terms))
        self._docs.extend(repeat(docnum, n))
        self._weights.extend(weights)
        self._values.extend(values)
        self.currentsize += _POSTING_BYTES * n + sum(map(len, values))
        # The token tables that made these postings share the writer's memory limit
        # (at most half of it), so the pool spills a little earlier as they grow.
        if self.currentsize > self.limit - min(docterms.table_bytes(), self.limit // 2):
            self.save()

    def _sorted_run(self):
        """The current postings as [(field, term)], counts, docnums, weights, values; sorted."""
        keys = self._keys
        order_of_terms = sorted(range(len(keys)), key=keys.__getitem__)
        ordered_keys = [keys[i] for i in order_of_terms]
        # A term added by both ``add`` and ``add_terms`` has two ids: one rank for both.
        new = np.ones(len(keys), dtype=np.int64)
        if len(keys) > 1:
            new[1:] = [a != b for a, b in zip(ordered_keys, ordered_keys[1:])]
        rank = np.empty(len(keys), dtype=np.int64)
        rank[order_of_terms] = np.cumsum(new) - 1
        unique_keys = ([k for k, first in zip(ordered_keys, new.tolist()) if first]
                       if len(keys) and not new.all() else ordered_keys)
        tids = np.frombuffer(self._tids, dtype=np.uint32)
        docs = np.frombuffer(self._docs, dtype=np.int64)
        ranks = rank[tids]
        order = np.lexsort((docs, ranks))
        counts = np.bincount(ranks, minlength=len(unique_keys))
        values = self._values
        ordered = []  # in pieces: one list of Python ints per posting would cost 36 bytes each
        for start in range(0, len(order), RUN_PIECE):
            ordered.extend(map(values.__getitem__, order[start:start + RUN_PIECE].tolist()))
        run = (unique_keys, counts, docs[order],
               np.frombuffer(self._weights, dtype=np.float64)[order], ordered)
        self._reset()
        return run

    def save(self):
        if not self._tids:
            return
        keys, counts, docs, weights, values = self._sorted_run()
        path, f = self._new_run()
        try:  # in pieces of whole terms, so merging holds one piece per run in memory
            ends = np.cumsum(counts)
            t = 0
            while t < len(keys):
                start = int(ends[t - 1]) if t else 0
                u = max(t + 1, int(np.searchsorted(ends, start + RUN_PIECE, side="right")))
                end = int(ends[u - 1])
                pickle.dump((keys[t:u], counts[t:u], docs[start:end], weights[start:end],
                             values[start:end]), f, pickle.HIGHEST_PROTOCOL)
                t = u
        finally:
            f.close()
        self.runs.append(path)

    def _read_run_pieces(self, path):
        f = self._open_run(path)
        try:
            while True:
                try:
                    yield pickle.load(f)
                except EOFError:
                    return
        finally:
            f.close()
            self._remove_run(path)

    @classmethod
    def _terms_of(cls, pieces, source: int):
        for keys, counts, docs, weights, values in pieces:
            ends = np.cumsum(counts).tolist()
            start = 0
            for key, end in zip(keys, ends):
                yield key, source, docs[start:end], weights[start:end], values[start:end]
                start = end

    def iter_terms(self):
        """(fieldname, btext, docnums, weights, values) per term, in Whoosh's order."""
        runs = [self._read_run_pieces(path) for path in self.runs]
        self.runs = []
        if self._tids:
            runs.append([self._sorted_run()])
        if len(runs) == 1:
            for (fieldname, btext), _, docs, weights, values in self._terms_of(runs[0], 0):
                yield fieldname, btext, docs, weights, values
            return
        merged = heapq.merge(*(self._terms_of(run, i) for i, run in enumerate(runs)),
                             key=lambda t: t[0])
        pending = None
        for key, _, docs, weights, values in merged:
            if pending is not None and pending[0] == key:
                pending[1].append(docs)
                pending[2].append(weights)
                pending[3].extend(values)
                continue
            if pending is not None:
                yield self._joined(*pending)
            pending = (key, [docs], [weights], list(values))
        if pending is not None:
            yield self._joined(*pending)

    @staticmethod
    def _joined(key, docs, weights, values):
        if len(docs) == 1:
            return key[0], key[1], docs[0], weights[0], values
        # Runs are saved in the order postings came, and a term's postings come in
        # docnum order (documents, or a merged reader's terms): then no sort is needed.
        in_order = all(int(a[-1]) < int(b[0]) for a, b in zip(docs, docs[1:]))
        docs, weights = np.concatenate(docs), np.concatenate(weights)
        if in_order:
            return key[0], key[1], docs, weights, values
        order = np.argsort(docs, kind="stable")
        return key[0], key[1], docs[order], weights[order], [values[i] for i in order.tolist()]

    def iter_postings(self):
        for fieldname, btext, docs, weights, values in self.iter_terms():
            for docnum, weight, vbytes in zip(docs.tolist(), weights.tolist(), values):
                yield fieldname, btext, docnum, weight, vbytes

    def items(self, maxfiles=None):  # SortingPool.items; runs merge a term at a time
        return self.iter_postings()

    def cleanup(self):
        for path in self.runs:
            try:
                self._remove_run(path)
            except OSError:
                pass
        self.runs = []
        self._reset()


def _field_lengths(lengths, fieldname: str, doccount: int) -> np.ndarray:
    if lengths is None or doccount == 0:
        return np.zeros(max(doccount, 1), dtype=np.int64)
    dfl = lengths.doc_field_length
    # None where the segment has no length column for the field (a declared field no
    # document of the segment has): Whoosh's own writer counts that as 0.
    return np.fromiter((dfl(d, fieldname) or 0 for d in range(doccount)), dtype=np.int64,
                       count=doccount)


def write_postings(fieldwriter, schema, lengths, doccount: int, terms) -> None:
    """Write ``terms`` (``ArrayPostingPool.iter_terms``) through ``fieldwriter``.

    The same calls and block contents as ``FieldWriter.add_postings`` fed the
    same postings one at a time.
    """
    lastfn = None
    field_lengths = None
    direct = None
    for fieldname, btext, docs, weights, values in terms:
        if fieldname != lastfn:
            if lastfn is not None:
                fieldwriter.finish_field()
            fieldwriter.start_field(fieldname, schema[fieldname])
            field_lengths = _field_lengths(lengths, fieldname, doccount)
            direct = _TermWriter.for_field(fieldwriter, field_lengths)
            lastfn = fieldname
        if len(docs) and docs[0] == -1:  # Whoosh's spelling marker: no posting
            keep = docs != -1
            docs, weights = docs[keep], weights[keep]
            values = [v for v, k in zip(values, keep.tolist()) if k]
            if not len(docs):
                continue
        if direct is not None and len(docs) <= direct.limit:
            direct.write(btext, docs.tolist(), weights.tolist(), values)
            continue
        fieldwriter.start_term(btext)
        _add_term(fieldwriter, docs, weights, values, field_lengths[docs])
        fieldwriter.finish_term()
        if direct is not None:
            direct.forget()  # Whoosh's calls wrote: ask the files again
    if lastfn is not None:
        fieldwriter.finish_field()


_LENGTHS = struct.Struct("!ii")  # HashWriter's key/value length prefix
_TERMINFO = W3TermInfo._struct  # flags, weight, df, min/max length byte, max weight, ids


class _TermWriter:
    """Writes a field's terms of at most one block directly, as ``start_term``, ``add``
    per posting and ``finish_term`` write them: ``W3PostingsWriter._write_block(last=True)``,
    the term info row (``W3TermInfo.to_bytes`` into ``OrderedHashWriter.add``) and
    TolkCodec's arrays, from plain lists instead of a call per posting. File offsets
    are counted, not asked (``tell()`` of a buffered file is a system call).

    Only for Whoosh 2.7's W3 writers (whose private attributes it fills in), integer
    ids, no inlining (``for_field``); anything else goes through the writer's calls.
    """

    @classmethod
    def for_field(cls, fieldwriter, field_lengths):
        pw = fieldwriter._postwriter
        if (type(fieldwriter) not in (W3FieldWriter, ArrayFieldWriter)
                or type(pw) is not W3PostingsWriter or pw._byteids or pw._inlinelimit > 1
                or type(fieldwriter._tindex) is not OrderedHashWriter):
            return None
        return cls(fieldwriter, field_lengths)

    def __init__(self, fieldwriter, field_lengths):
        pw = fieldwriter._postwriter
        self.fieldwriter = fieldwriter
        self.limit = pw._blocklimit
        self.postfile = pw._postfile
        self.tindex = fieldwriter._tindex
        self.prefix = pack_ushort(fieldwriter._fieldid)
        self.comp = pw._compression
        fixed = fieldwriter._format.fixed_value_size()
        self.values_kind = ("tuple" if fixed is None or fixed < 0 else
                            "none" if fixed == 0 else "join")
        self.arrays = bool(getattr(fieldwriter, "_with_arrays", False))  # TolkCodec's .tpa
        self.lengths = field_lengths.tolist()
        self.forget()

    def forget(self):
        self.post = None

    def write(self, btext: bytes, ids: list, weights: list, values: list) -> None:
        if self.post is None:
            self.post = self.postfile.tell()
            self.terms = self.tindex.dbfile.tell()
        n = len(ids)
        w32 = array("f", weights)  # what the block keeps
        first = ids[0]
        if n == 1:
            length = self.lengths[first]
            minlength = length or None
            maxlength = max(0, length)
            maxweight = max(0, weights[0])
            deltas = (first,)
            w = w32[0]
            mini_weights = None if w == 1.0 else w
            total = 0 + w
        else:
            lengths = self.lengths
            lens = [lengths[d] for d in ids]
            nonzero = [x for x in lens if x]
            minlength = min(nonzero) if nonzero else None
            maxlength = max(0, max(lens))
            maxweight = max(0, max(weights))
            deltas = [first]
            deltas.extend([b - a for a, b in zip(ids, ids[1:])])
            deltas = tuple(deltas)
            wl = w32.tolist()
            if w32.count(1.0) == n:
                mini_weights = None
            elif w32.count(wl[0]) == n:
                mini_weights = wl[0]
            else:
                mini_weights = tuple(wl)
            total = sum(wl)
        kind = self.values_kind
        if kind == "none":
            mini_values = None
        else:
            kept = [v for v in values if v]
            mini_values = tuple(kept) if kind == "tuple" else b"".join(kept)
        databytes = pickle.dumps((deltas, mini_weights, mini_values), 2)
        comp = self.comp
        if comp:
            databytes = zlib.compress(databytes, comp)
        last = ids[-1]
        minbyte = length_to_byte(minlength)
        maxbyte = length_to_byte(maxlength)
        infobytes = pickle.dumps((n, last, maxweight, comp, minbyte, maxbyte), 2)
        postfile = self.postfile
        start = self.post
        postfile.write(WHOOSH3_HEADER_MAGIC)
        postfile.write(pack_int(-(len(infobytes) + len(databytes))))
        postfile.write(infobytes)
        postfile.write(databytes)
        extent = 8 + len(infobytes) + len(databytes)  # magic, length, info, data
        self.post = start + extent
        # W3TermInfo after add_block + set_extent, to_bytes (min length None -> byte 0)
        value = (_TERMINFO.pack(False, total, n, minbyte, maxbyte, max(0, maxweight), first,
                                last)
                 + pack_long(start) + pack_int(extent))
        # OrderedHashWriter.add, with the position counted
        tindex = self.tindex
        key = self.prefix + btext
        if key <= tindex.lastkey:
            raise ValueError(f"Keys must increase: {tindex.lastkey!r}..{key!r}")
        pos = self.terms
        tindex.index.append(pos)
        dbfile = tindex.dbfile
        dbfile.write(_LENGTHS.pack(len(key), len(value)))
        dbfile.write(key)
        dbfile.write(value)
        h = tindex.hashfn(key)
        tindex.buckets[h & 255].append((h, pos))
        tindex.lastkey = key
        self.terms = pos + 8 + len(key) + len(value)
        if self.arrays:
            fw = self.fieldwriter
            fw._keys.append(fw._prefix + btext)
            fw._starts.append(fw._tpa_pos)
            fw._counts.append(n)
            fw._tpa.write(array("I", ids).tobytes())
            fw._tpa.write(w32.tobytes())
            fw._tpa_pos += 8 * n


def _add_term(fieldwriter, docs, weights, values, lens) -> None:
    """Fill the posting writer's blocks as ``add_posting`` would, a block at a time."""
    pw = fieldwriter._postwriter
    limit = pw._blocklimit
    n = len(docs)
    for start in range(0, n, limit):
        if start:
            pw._write_block()
            pw._new_block()
        end = min(start + limit, n)
        chunk_w = weights[start:end]
        chunk_l = lens[start:end]
        pw._ids = _uint32s(docs[start:end])
        pw._weights = _float32s(chunk_w)
        pw._values = [v for v in values[start:end] if v]
        pw._maxweight = max(0, float(chunk_w.max()))
        nonzero = chunk_l[chunk_l != 0]
        pw._minlength = int(nonzero.min()) if len(nonzero) else None
        pw._maxlength = max(0, int(chunk_l.max()))
    if getattr(fieldwriter, "_with_arrays", False):  # TolkCodec's .tpa arrays
        fieldwriter._ids = _uint32s(docs)
        fieldwriter._weights = _float32s(weights)
