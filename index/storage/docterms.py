"""A document's postings without Whoosh's token streams: one table lookup per word.

Whoosh indexes a text field by pushing every word through the analyzer's
chain of generators (a ``Token`` object mutated by five filters), then
groups the tokens per term in ``Format.word_values``; that was half of a
rebuild. Tolk's analyzers (``index.analysis``) are local to a word: what a
raw token of the tokenizer's pattern becomes (its terms, their positions
relative to it, how many positions it takes after stopwords are dropped)
does not depend on its neighbours. So :class:`TokenTable` runs the real
analyzer once per distinct raw token and keeps the answer; a document is
``findall`` of the pattern plus one dict lookup per word. The same analyzer
objects make the table, so the terms, positions, frequencies, weights and
field lengths are Whoosh's; ``tests/test_docterms.py`` builds segments both
ways and compares them term by term and byte for byte.

A field takes this path only when its analyzer is made of the word-local
pieces listed in ``_LOCAL`` (the tokenizer and filters of ``index.analysis``)
and its format is Whoosh's ``Positions`` or ``Frequency``; an ``ID`` field
(``IDTokenizer``, ``Existence``) is its value as one term. Anything else
(keyword lists, an unknown analyzer, a list value) goes through
``field.index`` as before.
"""

from __future__ import annotations

import re
from collections import Counter
from pickle import dumps

from whoosh.analysis import CompositeAnalyzer, IDTokenizer
from whoosh.formats import Existence, Frequency, Positions
from whoosh.system import pack_uint
from whoosh.writing import SegmentWriter

from index import decompound
from index.analysis import (PLAIN_TOKEN_PATTERN, CACHED_WORD_CHARS, DecompoundFilter,
                            NewsTokenizer, NormalizeFilter, StemFilter, StopFilter, _TOKEN_RE)
from index.normalize import normalize_text

_LOCAL = (NewsTokenizer, NormalizeFilter, StopFilter, DecompoundFilter, StemFilter)
_WORDS = re.compile(PLAIN_TOKEN_PATTERN, _TOKEN_RE.flags)  # whole tokens, one C-level pass
# A word that is its own token, cannot be a stopword, split or stemmed: its position after
# a raw token says how many positions the raw token takes (see TokenTable._compute).
_SENTINEL = " 0"
TABLE_WORDS = 100_000  # distinct raw tokens remembered per analyzer (words of <= 64 chars)
# Bytes one remembered token costs (key, entry, dict slot); a writer's pool gives up as
# much of its memory limit (ArrayPostingPool), so a build peaks no higher than before.
ENTRY_BYTES = 200
_cached_entries = 0


def table_bytes() -> int:
    """Estimated memory of this process's token tables."""
    return _cached_entries * ENTRY_BYTES


class NotLocal(Exception):
    """The analyzer did something the table cannot reproduce (e.g. a token boost)."""


class TokenTable:
    """Raw token -> (((term, relative position), ...), positions taken) for one analyzer;
    a token that is one term at its own position maps to the term (a str)."""

    def __init__(self, analyzer):
        self.analyzer = analyzer
        self._cache: dict = {}

    def _compute(self, raw: str):
        # The analyzer sees the raw token followed by the sentinel: every token but the
        # last is the raw token's; the last one's position is how many positions the raw
        # token keeps after stopwords are dropped (the shift later words get).
        out = []
        for t in self.analyzer(raw + _SENTINEL, positions=True, mode="index"):
            if t.boost != 1.0:
                raise NotLocal(f"token boost {t.boost}")
            out.append((t.text, t.pos))
        if not out or out[-1] != ("0", out[-1][1]):
            raise NotLocal(f"sentinel not last after {raw!r}")
        entry = (tuple(out[:-1]), out[-1][1])
        if entry[1] == 1 and len(entry[0]) == 1 and entry[0][0][1] == 0:
            entry = entry[0][0][0]  # one term at the word's own position: the term itself
        if len(raw) <= CACHED_WORD_CHARS and len(self._cache) < TABLE_WORDS:
            global _cached_entries
            self._cache[raw] = entry
            _cached_entries += 1
        return entry

    def positions(self, value: str) -> dict:
        """term -> [position, ...] (ascending) of ``value``, as the analyzer gives them."""
        poses: dict = {}
        base = 0
        get = self._cache.get
        for raw in _WORDS.findall(normalize_text(value)):
            entry = get(raw)
            if entry is None:
                entry = self._compute(raw)
            if type(entry) is str:  # most words: one term, one position
                p = poses.get(entry)
                if p is None:
                    poses[entry] = [base]
                else:
                    p.append(base)
                base += 1
                continue
            terms, taken = entry
            for term, offset in terms:
                p = poses.get(term)
                if p is None:
                    poses[term] = [base + offset]
                else:
                    p.append(base + offset)
            base += taken
        return poses

    def counts(self, value: str) -> dict:
        """term -> frequency in ``value``."""
        counts: dict = {}
        seen = counts.get
        get = self._cache.get
        for raw, n in Counter(_WORDS.findall(normalize_text(value))).items():
            entry = get(raw)
            if entry is None:
                entry = self._compute(raw)
            if type(entry) is str:
                counts[entry] = seen(entry, 0) + n
                continue
            for term, _ in entry[0]:
                counts[term] = seen(term, 0) + n
        return counts


# One table per distinct analyzer (by equality: every write in a server opens the index, and
# its schema's analyzers are new, equal objects) and decompounding setting; ``_by_id`` finds
# the table of an analyzer object seen recently without comparing (bounded, so old
# schemas' analyzers are not kept alive for ever).
_tables: list = []  # [(analyzer, decompound on, table)]
_by_id: dict = {}  # (id(analyzer), decompound on) -> (analyzer, table)
_BY_ID_MAX = 64


def table_for(analyzer) -> TokenTable | None:
    """The token table of ``analyzer``, or None when it is not made of word-local pieces."""
    enabled = decompound.enabled()
    key = (id(analyzer), enabled)
    hit = _by_id.get(key)
    if hit is not None and hit[0] is analyzer:
        return hit[1]
    if not (isinstance(analyzer, CompositeAnalyzer) and analyzer.items
            and all(type(item) in _LOCAL for item in analyzer.items)
            and isinstance(analyzer.items[0], NewsTokenizer)):
        return None
    table = next((t for a, on, t in _tables if on == enabled and a == analyzer), None)
    if table is None:
        table = TokenTable(analyzer)
        _tables.append((analyzer, enabled, table))
    if len(_by_id) >= _BY_ID_MAX:
        _by_id.clear()
    _by_id[key] = (analyzer, table)
    return table


def _encode_positions(poslist: list) -> bytes:
    """Whoosh's ``Positions.encode``: the count, then the pickled deltas."""
    if len(poslist) == 1:
        deltas = poslist
    else:
        deltas = [poslist[0]]
        deltas.extend(b - a for a, b in zip(poslist, poslist[1:]))
    return pack_uint(len(deltas)) + dumps(deltas, 2)


def fast_kind(field) -> str | None:
    """"positions" / "frequency" for a text field this module can index, "id" for an
    untokenized one (Whoosh's ``ID``), else None."""
    fmt = getattr(field, "format", None)
    if not field.indexed or getattr(field, "vector", None) or field.separate_spelling():
        return None
    if type(fmt) is Existence and type(getattr(field, "analyzer", None)) is IDTokenizer:
        return "id"  # the whole value is the one term (IDs, keywords, dates)
    if type(fmt) is Positions:
        kind = "positions"
    elif type(fmt) is Frequency:
        kind = "frequency"
    else:
        return None
    return kind if table_for(getattr(field, "analyzer", None)) is not None else None


def field_postings(field, kind: str, value: str):
    """(terms, weights, values, length) of one text field value, as ``field.index`` and
    ``SegmentWriter.add_document`` compute them (field boost applied by the caller)."""
    fb = field.format.field_boost
    if kind == "id":  # Existence.word_values of IDTokenizer's one token
        return [value], [fb], [b""], 1
    table = table_for(field.analyzer)
    if kind == "positions":
        poses = table.positions(value)
        terms = list(poses)
        lists = list(poses.values())
        freqs = list(map(len, lists))
        values = list(map(_encode_positions, lists))
    else:
        counts = table.counts(value)
        terms = list(counts)
        freqs = list(counts.values())
        values = list(map(pack_uint, freqs))
    weights = [float(f) * fb for f in freqs]
    return terms, weights, values, sum(freqs)


class FastFields:
    """Which fields of a writer's schema take the table path (computed once per writer)."""

    def __init__(self, schema):
        self.schema = schema
        self.kinds = {name: fast_kind(field) for name, field in schema.items()}
        # Separate spelling words and term vectors: Whoosh's own method does the document.
        self.whoosh_only = any(field.separate_spelling() or getattr(field, "vector", None)
                               for _, field in schema.items())


def add_document(writer, fields: dict) -> None:
    """``SegmentWriter.add_document`` with text fields indexed through token tables.

    The same postings (added to the pool a field at a time), stored values,
    field lengths and column values as Whoosh's method, in the same order.
    """
    writer._check_state()
    perdocwriter = writer.perdocwriter
    schema = writer.schema
    docnum = writer.docnum
    fast = writer._fast_fields
    if fast is None or fast.schema is not schema:  # a field was added to the schema
        fast = writer._fast_fields = FastFields(schema)
    if fast.whoosh_only:
        return SegmentWriter.add_document(writer, **fields)
    kinds = fast.kinds
    pool = writer.pool
    docboost = writer._doc_boost(fields)
    fieldnames = sorted(name for name in fields if not name.startswith("_"))
    writer._check_fields(schema, fieldnames)

    # Analysed before anything is added, so a field the table cannot do falls back whole.
    analysed = {}
    for fieldname in fieldnames:
        value = fields[fieldname]
        kind = kinds.get(fieldname)
        if kind is not None and type(value) is str:
            try:
                analysed[fieldname] = field_postings(schema[fieldname], kind, value)
            except NotLocal:
                pass

    perdocwriter.start_doc(docnum)
    try:
        for fieldname in fieldnames:
            value = fields.get(fieldname)
            if value is None:
                continue
            field = schema[fieldname]
            length = 0
            if field.indexed:
                fieldboost = writer._field_boost(fields, fieldname, docboost)
                done = analysed.get(fieldname)
                if done is not None:
                    terms, weights, values, freq_total = done
                    if fieldboost != 1.0:
                        weights = [w * fieldboost for w in weights]
                    if field.scorable:
                        length = freq_total
                    pool.add_terms(fieldname, terms, docnum, weights, values)
                else:
                    scorable = field.scorable
                    for tbytes, freq, weight, vbytes in field.index(value):
                        weight *= fieldboost
                        if scorable:
                            length += freq
                        pool.add((fieldname, tbytes, docnum, weight, vbytes))
            customval = fields.get(f"_stored_{fieldname}", value)
            perdocwriter.add_field(fieldname, field, customval if field.stored else None,
                                   length)
            column = field.column_type
            if column and customval is not None:
                perdocwriter.add_column_value(fieldname, column, field.to_column_value(customval))
    except Exception:
        perdocwriter.cancel_doc()
        raise
    perdocwriter.finish_doc()
    writer._added = True
    writer.docnum += 1


__all__ = ["NotLocal", "TokenTable", "add_document", "field_postings", "table_for"]
