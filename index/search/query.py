"""Query syntax: parse a user's query string into a small syntax tree.

Syntax (like Elasticsearch's ``query_string``, kept small):

* words: ``Poetin troepen`` (juxtaposed words rank documents that match any
  of them, more matches rank higher)
* phrases: ``"vrede handhaven"``
* operators in capitals: ``AND``, ``OR``, ``NOT``; ``-word`` excludes,
  ``+word`` requires; parentheses group
* field prefixes: ``title:Poetin``, ``title:"Minsk akkoorden"`` (fields:
  ``title``, ``body``)

Lowercase ``and``/``or``/``not`` are ordinary words. A syntax error raises
:class:`QuerySyntaxError` with a message that says what is wrong and where.

Words and phrases are normalized like documents (:func:`index.normalize.normalize_text`:
NFC, invisibles removed) after lexing, so ``Oekrai\u0308ne`` is ``Oekraïne`` and
``Poe\u200btin`` is ``Poetin``, while positions still point into the string
the user typed (``did you mean`` rewrites that string). The lexer makes one
left-to-right pass; the parser's recursion is bounded by MAX_DEPTH.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from index.normalize import normalize_text

FIELDS = ("title", "body")
FIELD_ALIASES = {"title": "title", "body": "body", "text": "body"}
MAX_DEPTH = 20


class QuerySyntaxError(ValueError):
    """The query string cannot be parsed; ``position`` is a 0-based offset."""

    def __init__(self, message: str, position: int):
        super().__init__(f"{message} (at character {position + 1})")
        self.message = message
        self.position = position


@dataclass
class Word:
    text: str
    field: str | None = None
    start: int = 0
    end: int = 0


@dataclass
class Phrase:
    words: list[str]
    text: str
    field: str | None = None
    start: int = 0
    end: int = 0


@dataclass
class Group:
    """Juxtaposed clauses: ``should`` rank, ``must`` are required, ``must_not`` excluded."""

    should: list = field(default_factory=list)
    must: list = field(default_factory=list)
    must_not: list = field(default_factory=list)


@dataclass
class And:
    children: list


@dataclass
class Or:
    children: list


@dataclass
class Not:
    child: object


_LEX_RE = re.compile(
    r'(?P<space>\s+)'
    r'|(?P<lparen>\()|(?P<rparen>\))'
    r'|(?P<quote>")'
    r'|(?P<field>[A-Za-z]+):(?=\S)'
    r'|(?P<op>(?:AND|OR|NOT)(?=[\s()"]|$))'
    r'|(?P<prefix>[+\-](?=[^\s+\-]))'
    r'|(?P<word>[^\s()"]+)'
)


@dataclass
class _Tok:
    kind: str
    text: str
    pos: int
    end: int  # offset after the token in the query as typed


def _lex(query: str) -> list[_Tok]:
    tokens = []
    pos = 0
    while pos < len(query):
        match = _LEX_RE.match(query, pos)
        kind = match.lastgroup
        if kind == "quote":
            end = query.find('"', pos + 1)
            if end < 0:
                raise QuerySyntaxError("unclosed quote: add the closing \"", pos)
            tokens.append(_Tok("phrase", normalize_text(query[pos + 1:end]), pos, end + 1))
            pos = end + 1
            continue
        if kind == "word":
            text = normalize_text(match.group())
            if text:  # a word of invisible characters only is no word
                tokens.append(_Tok(kind, text, pos, match.end()))
        elif kind != "space":
            text = match.group(kind) if kind == "field" else match.group()
            tokens.append(_Tok(kind, text, pos, match.end()))
        pos = match.end()
    return tokens


class _Parser:
    def __init__(self, query: str):
        self.query = query
        self.tokens = _lex(query)
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def parse(self):
        if not self.tokens:
            raise QuerySyntaxError("the query is empty", 0)
        node = self.or_expr()
        tok = self.peek()
        if tok is not None:
            if tok.kind == "rparen":
                raise QuerySyntaxError("unmatched ')': remove it or add a '('", tok.pos)
            raise QuerySyntaxError(f"unexpected {tok.text!r}", tok.pos)
        return node

    def or_expr(self):
        children = [self.and_expr()]
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text == "OR":
            self.take()
            children.append(self.and_expr(after=tok))
        return children[0] if len(children) == 1 else Or(children)

    def and_expr(self, after: _Tok | None = None):
        children = [self.group(after)]
        while (tok := self.peek()) is not None and tok.kind == "op" and tok.text == "AND":
            self.take()
            children.append(self.group(after=tok))
        return children[0] if len(children) == 1 else And(children)

    def group(self, after: _Tok | None = None):
        group = Group()
        while (tok := self.peek()) is not None and not (
            tok.kind == "rparen" or (tok.kind == "op" and tok.text in ("AND", "OR"))
        ):
            if tok.kind == "op" and tok.text == "NOT":
                self.take()
                group.must_not.append(self.primary(after=tok))
            elif tok.kind == "prefix":
                self.take()
                target = group.must_not if tok.text == "-" else group.must
                target.append(self.primary(after=tok))
            else:
                group.should.append(self.primary())
        if not (group.should or group.must or group.must_not):
            if after is not None:
                raise QuerySyntaxError(f"{after.text!r} needs a term after it", after.pos)
            tok = self.peek()
            where = tok.pos if tok is not None else len(self.query)
            raise QuerySyntaxError("expected a word or phrase", where)
        if not (group.should or group.must):
            pos = after.pos if after is not None else 0
            raise QuerySyntaxError(
                "a query cannot only exclude: add a word to search for", pos)
        if len(group.should) == 1 and not group.must and not group.must_not:
            return group.should[0]
        return group

    def primary(self, after: _Tok | None = None, fieldname: str | None = None):
        tok = self.peek()
        if tok is None or tok.kind in ("rparen", "op"):
            if after is not None:
                raise QuerySyntaxError(f"{after.text!r} needs a term after it", after.pos)
            where = tok.pos if tok is not None else len(self.query)
            raise QuerySyntaxError("expected a word or phrase", where)
        self.take()
        if tok.kind == "lparen":
            if fieldname is not None:
                raise QuerySyntaxError("a field prefix takes a word or a phrase, not a group",
                                       tok.pos)
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QuerySyntaxError(f"more than {MAX_DEPTH} nested parentheses", tok.pos)
            if (nxt := self.peek()) is not None and nxt.kind == "rparen":
                raise QuerySyntaxError("empty parentheses", tok.pos)
            node = self.or_expr()
            close = self.peek()
            if close is None or close.kind != "rparen":
                raise QuerySyntaxError("unclosed '(': add the closing ')'", tok.pos)
            self.take()
            self.depth -= 1
            return node
        if tok.kind == "field":
            if fieldname is not None:
                raise QuerySyntaxError("a field prefix takes a word or a phrase, not another "
                                       "field prefix", tok.pos)
            name = FIELD_ALIASES.get(tok.text.lower())
            if name is None:
                raise QuerySyntaxError(
                    f"unknown field {tok.text!r}: use one of {', '.join(FIELDS)}", tok.pos)
            return self.primary(after=tok, fieldname=name)
        if tok.kind == "phrase":
            words = tok.text.split()
            if not words:
                raise QuerySyntaxError("empty phrase", tok.pos)
            return Phrase(words, tok.text, fieldname, tok.pos, tok.end)
        if tok.kind == "prefix":
            raise QuerySyntaxError(f"{tok.text!r} cannot follow another operator", tok.pos)
        return Word(tok.text, fieldname, tok.pos, tok.end)


def parse_query(query: str):
    """Parse ``query`` into a tree of Word, Phrase, Group, And, Or and Not nodes."""
    return _Parser(query).parse()


def iter_words(node):
    """Every Word node of a tree, in query order (phrases excluded)."""
    if isinstance(node, Word):
        yield node
    elif isinstance(node, Group):
        for child in (*node.should, *node.must, *node.must_not):
            yield from iter_words(child)
    elif isinstance(node, (And, Or)):
        for child in node.children:
            yield from iter_words(child)
    elif isinstance(node, Not):
        yield from iter_words(node.child)


def positive_texts(node) -> list[str]:
    """Words and phrase words that count for ranking (not excluded ones)."""
    if isinstance(node, Word):
        return [node.text]
    if isinstance(node, Phrase):
        return list(node.words)
    if isinstance(node, Group):
        return [t for child in (*node.should, *node.must) for t in positive_texts(child)]
    if isinstance(node, (And, Or)):
        return [t for child in node.children for t in positive_texts(child)]
    return []
