"""Filters on declared fields: ``source:NOS AND (tags:oorlog OR tags:"NAVO top")``.

Syntax (close to Typesense's and Lucene's, one form for each thing):

- ``field:value`` or ``field:"quoted value"`` (``\\"`` and ``\\\\`` escape inside quotes);
- ``field:(a OR b)`` (also AND) for several values of one field;
- ranges for number and date fields: ``priority:>=3``, ``>``, ``<``, ``<=``, and
  ``date:[2022-02-01 TO 2022-02-28]`` (inclusive; ``*`` for an open end);
- ``AND``, ``OR``, ``NOT`` (any case) and parentheses; AND binds tighter than OR.

The parser is a hand-written recursive descent over the characters: linear time,
no regular expressions over the input, depth and size bounded, so a hostile filter
costs no more than its length. Errors are ``FilterError`` with the position and,
for an unknown field, how to declare it. The tree is compiled per language
(``text`` fields use that language's analyzer) into a Whoosh query that
``index.search.pipeline`` uses as a filter; ``matching_ids`` lists what it matches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from whoosh import query as wq

from index.analysis import LANGUAGES, analyze, fold
from index.fields import (Field, Fields, active, date_range, keyword_fold, number_key,
                          parse_number)

MAX_FILTER_CHARS = 4000
MAX_DEPTH = 16
MAX_CONDITIONS = 200
OPERATORS = (">=", "<=", ">", "<")
STOP = set(" \t\r\n()[]")


class FilterError(ValueError):
    """A filter that cannot be used; ``message`` says where and what to do."""

    def __init__(self, message: str, position: int | None = None, param: str = "filter",
                 field: str | None = None):
        self.field = field  # an undeclared field the message is about
        if position is not None:
            message = f"{message} (at position {position})"
        super().__init__(message)
        self.message = message
        self.position = position
        self.param = param  # the request parameter at fault: filter, sort or facets


@dataclass(frozen=True)
class Condition:
    field: Field
    op: str  # "=", ">=", ">", "<=", "<", "range"
    value: str
    high: str | None = None  # the upper end of a range


@dataclass(frozen=True)
class BoolNode:
    op: str  # "and", "or", "not"
    children: tuple


class _Parser:
    def __init__(self, text: str, fields: Fields):
        self.text = text
        self.pos = 0
        self.fields = fields
        self.depth = 0
        self.conditions = 0

    # -- characters -------------------------------------------------------------

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def peek(self) -> str:
        self.skip_space()
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def word_at(self) -> str:
        """The bare word at the current position (not consumed)."""
        self.skip_space()
        end = self.pos
        while end < len(self.text) and self.text[end] not in STOP and self.text[end] != ":":
            end += 1
        return self.text[self.pos:end]

    def keyword(self, *names: str) -> str | None:
        word = self.word_at()
        if word.upper() in names:
            end = self.pos + len(word)
            if end < len(self.text) and self.text[end] == ":":
                return None  # a field called "and"
            self.pos = end
            return word.upper()
        return None

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            found = repr(self.text[self.pos]) if self.pos < len(self.text) else "the end"
            raise FilterError(f"expected {what}, found {found}", self.pos)
        self.pos += 1

    # -- grammar -------------------------------------------------------------------

    def parse(self):
        if not self.text.strip():
            raise FilterError("the filter is empty; write field:value, e.g. source:NOS")
        node = self.or_expr()
        if self.peek():
            raise FilterError(f"expected AND, OR or the end, found {self.text[self.pos]!r}; "
                              "join conditions with AND or OR", self.pos)
        return node

    def or_expr(self):
        children = [self.and_expr()]
        while self.keyword("OR"):
            children.append(self.and_expr())
        return children[0] if len(children) == 1 else BoolNode("or", tuple(children))

    def and_expr(self):
        children = [self.unary()]
        while self.keyword("AND"):
            children.append(self.unary())
        return children[0] if len(children) == 1 else BoolNode("and", tuple(children))

    def unary(self):
        if self.keyword("NOT"):
            return BoolNode("not", (self.unary(),))
        if self.peek() == "(":
            start = self.pos
            self.pos += 1
            self.enter(start)
            node = self.or_expr()
            self.expect(")", "')' to close the '(' at position " + str(start))
            self.depth -= 1
            return node
        return self.condition()

    def enter(self, start: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise FilterError(f"parentheses nested deeper than {MAX_DEPTH}", start)

    def condition(self):
        self.skip_space()
        start = self.pos
        name = self.word_at()
        if not name:
            found = repr(self.text[self.pos]) if self.pos < len(self.text) else "the end"
            raise FilterError(f"expected field:value, found {found}", self.pos)
        self.pos += len(name)
        if self.pos >= len(self.text) or self.text[self.pos] != ":":
            raise FilterError(f"expected ':' after {name!r}; write field:value, e.g. "
                              f"source:NOS", self.pos)
        self.pos += 1
        field = self.field(name, start)
        if self.pos < len(self.text) and self.text[self.pos] == "(":
            return self.value_group(field)
        return self.field_condition(field)

    def field(self, name: str, position: int) -> Field:
        field = self.fields.get(name.lower())
        if field is None:
            raise FilterError(self.fields.undeclared_message(name) + "; filterable fields: "
                              + ", ".join(self.fields.names()), position, field=name)
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise FilterError(f"more than {MAX_CONDITIONS} conditions", position)
        return field

    def value_group(self, field: Field):
        start = self.pos
        self.pos += 1
        self.enter(start)
        children = [self.field_condition(field)]
        op = None
        while True:
            word = self.keyword("OR", "AND")
            if word is None:
                break
            if op is not None and word != op:
                raise FilterError(f"mixing AND and OR inside {field.name}:( ... ); use "
                                  "separate groups", self.pos)
            op = word
            children.append(self.field_condition(field))
        self.expect(")", f"')' to close {field.name}:(")
        self.depth -= 1
        if len(children) == 1:
            return children[0]
        return BoolNode((op or "OR").lower(), tuple(children))

    def field_condition(self, field: Field) -> Condition:
        self.skip_space()
        position = self.pos
        if self.text.startswith("[", self.pos):
            return self.range(field)
        op = "="
        for candidate in OPERATORS:
            if self.text.startswith(candidate, self.pos):
                op = candidate
                self.pos += len(candidate)
                break
        value = self.value(field)
        if op != "=" and field.type not in ("number", "date"):
            raise FilterError(f"{op} needs a number or date field; {field.name!r} is "
                              f"{field.type}", position)
        return check(Condition(field, op, value), position)

    def range(self, field: Field) -> Condition:
        position = self.pos
        self.pos += 1
        if field.type not in ("number", "date"):
            raise FilterError(f"a range [a TO b] needs a number or date field; "
                              f"{field.name!r} is {field.type}", position)
        low = self.value(field)
        if not self.keyword("TO"):
            raise FilterError("expected TO in the range [a TO b]", self.pos)
        high = self.value(field)
        self.expect("]", "']' to close the range")
        return check(Condition(field, "range", low, high), position)

    def value(self, field: Field) -> str:
        self.skip_space()
        if self.text.startswith('"', self.pos):
            return self.quoted()
        start = self.pos
        while self.pos < len(self.text) and self.text[self.pos] not in STOP:
            self.pos += 1
        if start == self.pos:
            raise FilterError(f"expected a value for {field.name!r}", start)
        return self.text[start:self.pos]

    def quoted(self) -> str:
        start = self.pos
        self.pos += 1
        out = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if char == "\\" and self.pos + 1 < len(self.text):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            if char == '"':
                self.pos += 1
                return "".join(out)
            out.append(char)
            self.pos += 1
        raise FilterError("a quoted value is not closed; end it with \"", start)


def check(cond: Condition, position: int) -> Condition:
    """Validate a condition's values for its field type (400 with the position)."""
    values = [cond.value] if cond.high is None else [cond.value, cond.high]
    for value in values:
        if cond.op == "range" and value == "*":
            continue
        if not value.strip():
            raise FilterError(f"empty value for {cond.field.name!r}", position)
        try:
            if cond.field.type == "number":
                parse_number(value)
            elif cond.field.type == "date":
                date_range(value)
        except ValueError as exc:
            raise FilterError(f"{cond.field.name}: {value!r}: {exc}", position) from None
    if cond.field.name == "language" and fold(cond.value) not in LANGUAGES:
        raise FilterError(f"language: use nl or en, not {cond.value!r}", position)
    return cond


def parse_filter(text: str, fields: Fields | None = None):
    """The filter's tree (``Condition`` and ``BoolNode``); ``FilterError`` if invalid."""
    if len(text) > MAX_FILTER_CHARS:
        raise FilterError(f"the filter is longer than {MAX_FILTER_CHARS} characters")
    return _Parser(text, fields or active()).parse()


# -- to Whoosh -----------------------------------------------------------------------


def compile_filter(tree, fields: Fields | None = None, language: str = "en",
                   schema=None):
    """A Whoosh query for one language's index (``tree`` or filter text).

    ``schema``: that index's Whoosh schema; a declared field it lacks (declared after
    the index was written) matches nothing instead of failing.
    """
    if isinstance(tree, str):
        tree = parse_filter(tree, fields)
    return _compile(tree, language, schema)


def _compile(node, language, schema):
    if isinstance(node, BoolNode):
        children = [_compile(child, language, schema) for child in node.children]
        if node.op == "not":
            return wq.Not(children[0])
        return wq.And(children) if node.op == "and" else wq.Or(children)
    field = node.field
    if schema is not None and field.name not in schema and field.name != "date":
        return wq.NullQuery
    if field.name == "date":
        return _builtin_date(node)
    if field.type in ("keyword", "keywords"):
        if field.name in ("id", "month"):
            return wq.Term(field.name, node.value)
        if field.name == "source":  # indexes written before sources were folded: as given
            return wq.Or([wq.Term("source", keyword_fold(node.value)),
                          wq.Term("source", node.value)])
        return wq.Term(field.name, keyword_fold(node.value))
    if field.type == "text":
        terms = analyze(language, node.value)
        if not terms:
            return wq.NullQuery
        return wq.Term(field.name, terms[0]) if len(terms) == 1 else \
            wq.Phrase(field.name, terms)
    if node.op == "range":
        low = None if node.value == "*" else _keys(field, node.value)[0]
        high = None if node.high == "*" else _keys(field, node.high)[1]
        return _term_range(field.name, low, high)
    low, high = _keys(field, node.value)
    return {
        "=": lambda: _term_range(field.name, low, high),
        ">=": lambda: _term_range(field.name, low, None),
        ">": lambda: _term_range(field.name, high, None, start_excl=True),
        "<=": lambda: _term_range(field.name, None, high),
        "<": lambda: _term_range(field.name, None, low, end_excl=True),
    }[node.op]()


def _keys(field: Field, value: str) -> tuple[str, str]:
    if field.type == "number":
        key = number_key(parse_number(value))
        return key, key
    return date_range(value)


def _term_range(name, low, high, start_excl=False, end_excl=False):
    # "0" and "~" bracket every key (hex digits, ISO dates) but not the empty value
    # of a document without one.
    return wq.TermRange(name, low if low is not None else "0", high if high is not None else "~",
                        startexcl=start_excl and low is not None,
                        endexcl=end_excl and high is not None)


def _builtin_date(node: Condition):
    """The built-in date covers [date_start, date_end]: filters test the overlap."""
    if node.op == "range":
        low = None if node.value == "*" else date_range(node.value)[0]
        high = None if node.high == "*" else date_range(node.high)[1]
        node_op = "overlap"
    else:
        low, high = date_range(node.value)
        node_op = node.op
    if node_op in ("=", "overlap"):
        return wq.And([_term_range("date_start", None, high), _term_range("date_end", low, None)])
    if node_op == ">=":
        return _term_range("date_end", low, None)
    if node_op == ">":
        return _term_range("date_end", high, None, start_excl=True)
    if node_op == "<=":
        return _term_range("date_start", None, high)
    return _term_range("date_start", None, low, end_excl=True)


def date_filter(date_from: str | None, date_to: str | None):
    """``date_from``/``date_to`` of a search: documents whose date overlaps the span."""
    clauses = []
    if date_to:
        clauses.append(_term_range("date_start", None, date_range(date_to)[1]))
    if date_from:
        clauses.append(_term_range("date_end", date_range(date_from)[0], None))
    return wq.And(clauses) if clauses else None


def filter_mask(searcher, tree, language: str) -> np.ndarray:
    """A bool per document number of ``searcher``: does ``tree`` match it?

    Each condition's documents come from Whoosh (positive queries only, which
    read postings); AND, OR and NOT are NumPy operations on the masks, so
    ``NOT source:x`` costs one pass over an array instead of Whoosh's per-document
    loop. Deleted documents may be set (NOT): search intersects the mask with
    what its query matches, ``matching_docnums`` drops them.
    """
    size = searcher.doc_count_all()

    def walk(node):
        if isinstance(node, BoolNode):
            masks = [walk(child) for child in node.children]
            if node.op == "not":
                return ~masks[0]
            out = masks[0]
            for mask in masks[1:]:
                out = out & mask if node.op == "and" else out | mask
            return out
        return query_mask(searcher, _compile(node, language, searcher.schema), size)

    return walk(tree)


def query_mask(searcher, query, size: int | None = None) -> np.ndarray:
    """A bool per document number: does the (positive) Whoosh ``query`` match it?"""
    mask = np.zeros(searcher.doc_count_all() if size is None else size, dtype=bool)
    docnums = np.fromiter(searcher.docs_for_query(query), dtype=np.int64)
    mask[docnums] = True
    return mask


def matching_docnums(searcher, tree, language: str) -> list[int]:
    """Document numbers of ``searcher`` (one language, live documents) ``tree`` matches."""
    reader = searcher.reader()
    return [int(d) for d in np.flatnonzero(filter_mask(searcher, tree, language))
            if not reader.is_deleted(int(d))]


def matching_ids(reader, text: str, fields: Fields | None = None) -> list[tuple[str, str]]:
    """(id, language) of every document the filter ``text`` matches, sorted by id.

    ``reader`` is an ``index.storage.IndexReader``; raises ``FilterError``.
    """
    tree = parse_filter(text, fields)
    found = []
    for language, searcher in reader.searchers().items():
        for docnum in matching_docnums(searcher, tree, language):
            found.append((searcher.stored_fields(docnum)["id"], language))
    return sorted(found)
