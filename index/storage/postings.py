"""Decoding one term's posting list in one segment into NumPy arrays, block by block.

Whoosh's ``W3LeafMatcher`` stores postings in blocks (delta-encoded ids,
float weights, encoded values). Reading whole blocks and delta-decoding the
ids with ``numpy.cumsum`` gives the same numbers as stepping the matcher one
posting at a time, several times faster; inline posting lists (rare terms,
other matcher types) are stepped through.
"""

from __future__ import annotations

import numpy as np


def _matcher(reader, fieldname: str, btext: bytes):
    return reader._terms.matcher(fieldname, btext, reader.schema[fieldname].format,
                                 scorer=None)


def _pack(values: list) -> tuple:
    offsets = np.zeros(len(values) + 1, dtype=np.int64)
    np.cumsum([len(v) for v in values], out=offsets[1:])
    return offsets, np.frombuffer(b"".join(values), dtype=np.uint8)


def decode(reader, fieldname: str, btext: bytes, with_values: bool = False) -> tuple:
    """(docnums int64, weights float64) of a term, plus (value offsets, value bytes) if asked.

    The value of posting ``i`` is ``bytes(values[offsets[i]:offsets[i + 1]])``.
    """
    matcher = _matcher(reader, fieldname, btext)
    ids, weights, values = [], [], []
    if hasattr(matcher, "_read_data") and hasattr(matcher, "_next_block") \
            and not matcher._byteids:
        while not matcher._atend and matcher._blocklength:
            if matcher._data is None:
                matcher._read_data()
            ids.append(np.cumsum(np.asarray(matcher._data[0], dtype=np.int64)))
            matcher._read_weights()
            block_weights = matcher._weights
            if isinstance(block_weights, float) or block_weights is None:
                block_weights = [block_weights or 1.0] * matcher._blocklength
            weights.append(np.asarray(block_weights, dtype=np.float64))
            if with_values:
                matcher._read_values()
                values.extend(matcher._values)
            matcher._next_block()
        ids_array = np.concatenate(ids) if ids else np.empty(0, np.int64)
        weights_array = np.concatenate(weights) if weights else np.empty(0)
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            if with_values:
                values.append(matcher.value())
            matcher.next()
        ids_array = np.asarray(ids, dtype=np.int64)
        weights_array = np.asarray(weights, dtype=np.float64)
    if with_values:
        return (ids_array, weights_array) + _pack(values)
    return ids_array, weights_array


def candidate_values(reader, fieldname: str, btext: bytes, candidates: np.ndarray):
    """The posting values (encoded positions) of ``candidates`` (sorted docnums that all
    hold the term), in their order; only the blocks holding one are decompressed.

    None when the term's postings are not in blocks (inline, another format) or do not
    hold every candidate: the caller decodes the whole list instead.
    """
    matcher = _matcher(reader, fieldname, btext)
    if not (hasattr(matcher, "_read_data") and hasattr(matcher, "_next_block")) \
            or matcher._byteids:
        return None
    out: list = [None] * len(candidates)
    j, n = 0, len(candidates)
    while j < n and not matcher._atend and matcher._blocklength:
        if candidates[j] <= matcher._maxid:  # a block's header says its largest docnum
            if matcher._data is None:
                matcher._read_data()
            ids = np.cumsum(np.asarray(matcher._data[0], dtype=np.int64))
            matcher._read_values()
            values = matcher._values
            end = int(np.searchsorted(candidates, matcher._maxid, side="right"))
            rows = np.searchsorted(ids, candidates[j:end])
            for k, row in zip(range(j, end), rows.tolist()):
                if row >= len(ids) or ids[row] != candidates[k]:
                    return None
                out[k] = values[row]
            j = end
        matcher._next_block()
    return out if j == n else None
