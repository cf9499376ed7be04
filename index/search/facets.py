"""Facet counts for keyword fields, over all documents a search matches.

A keywords field has several values per document, which a Whoosh column cannot
hold; so a field's postings become two NumPy arrays, document number and value
code, one entry per (document, value). Counting the values of the matched
documents is then one ``bincount`` over the entries whose document is in the
match mask: linear in the field's postings, whatever the number of distinct values.

Reading postings is the slow part, so it is done once per segment and field and
cached by segment id (a segment's postings never change; a deleted document is
never in a match mask, so deletions need no bookkeeping). After a write only the
new small segment is read; each searcher joins the cached segments under one
code space. Values are indexed folded (case and accents ignored); a facet shows
the value as one of its documents gave it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from index.fields import keyword_fold

MAX_CACHED_SEGMENTS = 256  # (segment, field) entries kept per process
_segments: OrderedDict = OrderedDict()
_lock = threading.Lock()


def _segment_entries(reader, name: str):
    """(local docnums, local codes, values, first local docnum per code) of one segment."""
    key = None
    segment = reader.segment() if hasattr(reader, "segment") else None
    if segment is not None:
        key = (segment.segment_id(), id(type(segment)), name)
        with _lock:
            if key in _segments:
                _segments.move_to_end(key)
                return _segments[key]
    docs, codes, values, first = [], [], [], []
    if name in reader.schema:
        for term in reader.lexicon(name):
            value = term.decode("utf-8") if isinstance(term, bytes) else term
            if not value:
                continue
            ids = list(reader.postings(name, term).all_ids())
            if not ids:
                continue
            codes.extend([len(values)] * len(ids))
            values.append(value)
            first.append(ids[0])
            docs.extend(ids)
    entries = (np.asarray(docs, dtype=np.int64), np.asarray(codes, dtype=np.int64), values,
               first)
    if key is not None:
        with _lock:
            _segments[key] = entries
            while len(_segments) > MAX_CACHED_SEGMENTS:
                _segments.popitem(last=False)
    return entries


def _entries(searcher, name: str):
    """(docnums, codes, values, first docnum per code, code per value) of a field (cached)."""
    cache = searcher.__dict__.setdefault("_tolk_facets", {})
    if name not in cache:
        docs, codes, first, values = [], [], [], []
        code_of: dict[str, int] = {}
        for sub, offset in searcher.leaf_searchers():
            local_docs, local_codes, local_values, local_first = \
                _segment_entries(sub.reader(), name)
            mapping = np.empty(len(local_values), dtype=np.int64)
            for i, value in enumerate(local_values):
                code = code_of.get(value)
                if code is None:
                    code = code_of[value] = len(values)
                    values.append(value)
                    first.append(local_first[i] + offset)
                mapping[i] = code
            docs.append(local_docs + offset)
            codes.append(mapping[local_codes])
        labels = np.empty(len(values), dtype=object)
        labels[:] = values
        cache[name] = (np.concatenate(docs) if docs else np.empty(0, dtype=np.int64),
                       np.concatenate(codes) if codes else np.empty(0, dtype=np.int64),
                       labels, first, code_of)
    return cache[name]


def count(searcher, name: str, mask) -> dict[str, int]:
    """Matched documents per folded value of ``name``; ``mask``: bool per docnum."""
    docs, codes, values, _, _ = _entries(searcher, name)
    if not len(docs):
        return {}
    hit = mask[docs] if len(mask) else np.zeros(len(docs), dtype=bool)
    counts = np.bincount(codes[hit], minlength=len(values))
    present = np.flatnonzero(counts)
    return dict(zip(values[present].tolist(), counts[present].tolist()))


def label(searcher, name: str, value: str) -> str:
    """The value as one of its documents gave it (values are indexed folded)."""
    _, _, _, first, code_of = _entries(searcher, name)
    if value not in code_of:
        return value
    labels = searcher.__dict__.setdefault("_tolk_facet_labels", {})
    key = (name, value)
    if key not in labels:
        stored = searcher.stored_fields(first[code_of[value]])
        given = stored.get(name) if name == "source" else (stored.get("fields") or {}).get(name)
        labels[key] = next((item for item in (given if isinstance(given, list) else [given])
                            if isinstance(item, str) and keyword_fold(item) == value), value)
    return labels[key]
