"""Facet counts for keyword fields, over all documents a search matches.

A keywords field has several values per document, which a Whoosh column cannot
hold; so per searcher (cached like the columns in ``index.search.collect``) the
field's postings become two NumPy arrays, document number and value code, one
entry per (document, value). Counting the values of the matched documents is
then one ``bincount`` over the entries whose document is in the match mask:
linear in the field's postings, whatever the number of distinct values.
Values are indexed folded (case and accents ignored); a facet shows the value
as one of its documents gave it.
"""

from __future__ import annotations

import numpy as np

from index.fields import keyword_fold


def _entries(searcher, name: str):
    """(docnums, codes, values, first docnum per code, code per value) of a field (cached)."""
    cache = searcher.__dict__.setdefault("_tolk_facets", {})
    if name not in cache:
        docs, codes, values, first = [], [], [], []
        code_of: dict[str, int] = {}
        if name in searcher.schema:
            for sub, offset in searcher.leaf_searchers():
                reader = sub.reader()
                if name not in reader.schema:
                    continue
                for term in reader.lexicon(name):
                    value = term.decode("utf-8") if isinstance(term, bytes) else term
                    if not value:
                        continue
                    ids = [d + offset for d in reader.postings(name, term).all_ids()
                           if not reader.is_deleted(d)]
                    if not ids:
                        continue
                    code = code_of.get(value)
                    if code is None:
                        code = code_of[value] = len(values)
                        values.append(value)
                        first.append(ids[0])
                    docs.extend(ids)
                    codes.extend([code] * len(ids))
        cache[name] = (np.asarray(docs, dtype=np.int64), np.asarray(codes, dtype=np.int64),
                       values, first, code_of)
    return cache[name]


def count(searcher, name: str, mask) -> dict[str, int]:
    """Matched documents per folded value of ``name``; ``mask``: bool per docnum."""
    docs, codes, values, _, _ = _entries(searcher, name)
    if not len(docs):
        return {}
    hit = mask[docs] if len(mask) else np.zeros(len(docs), dtype=bool)
    counts = np.bincount(codes[hit], minlength=len(values))
    return {values[code]: int(n) for code in np.flatnonzero(counts) for n in (counts[code],)}


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
