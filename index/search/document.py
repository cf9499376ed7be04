"""One stored document, with the matches of a query marked in its whole text.

The document page (``/doc/<id>?q=...``) shows an article reached from a search.
Its matches must be the ones the search found, so the query is expanded here
exactly as :func:`index.search.pipeline.search` expands it (the same compiler,
cross-link lexicon and typo terms), and the terms of the document's language
are looked up token by token as the snippet highlighter does.

The work per request is bounded: the text is shown whole, but only its first
MAX_ANALYZED_CHARS characters (the highlighter's own limit) are read for
matches; ``DocumentView.marked_chars`` says where marking stopped, so the page
can say so. A 2 MB document is escaped once, never re-analyzed whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

from index.analysis import LANGUAGES
from index.search.expansion import OWN, TYPO, add_typo_terms
from index.search.highlight import (CHUNK_CHARS, MAX_ANALYZED_CHARS, TokenMatch, _cut,
                                    _scan, clean_surface, title_end)
from index.search.pipeline import _Compiler, detect_query_language
from index.search.query import parse_query


@dataclass
class DocumentView:
    """A stored document and the query's matches in it."""

    fields: dict
    title_html: str
    paragraphs: list[str]  # HTML-escaped paragraphs of the cleaned text (without a
    # leading copy of the title), with <mark>
    matches: int = 0  # marked tokens in title and text
    marked_chars: int = 0  # text[:marked_chars] was read for matches
    crosslinks: list[dict] = field(default_factory=list)
    query_language: str | None = None

    @property
    def text(self) -> str:
        return self.fields.get("body", "")

    @property
    def partly_marked(self) -> bool:
        return self.marked_chars < len(self.text)


def query_terms(reader, q: str, language: str, crosslingual: bool = True,
                typo: bool = True):
    """(index terms of ``language`` the search for ``q`` matches, the compiler, query
    language). Raises ``QuerySyntaxError`` for a query that cannot be parsed."""
    node = parse_query(q)
    searchers = reader.searchers()
    lexicon = reader.lexicon() if crosslingual else None
    query_language = detect_query_language(node, searchers)
    compilers = {lang: _Compiler(lang, query_language, lexicon, crosslingual)
                 for lang in LANGUAGES}
    for compiler in compilers.values():
        compiler.compile(node)
    if typo:
        add_typo_terms([e for c in compilers.values() for e in c.expansions],
                       {lang: s.reader() for lang, s in searchers.items()})
    compiler = compilers[language]
    terms = set(compiler.phrase_terms)
    for expansion in compiler.expansions:
        terms.update(expansion.terms)
    return terms, compiler, query_language


def all_matches(language: str, text: str, terms,
                max_chars: int = MAX_ANALYZED_CHARS) -> tuple[list[TokenMatch], int]:
    """Every match in ``text[:max_chars]`` (cut between tokens), read in chunks; and the
    offset where reading stopped."""
    if not terms or not text:
        return [], len(text)
    limit = min(len(text), max_chars)
    if limit < len(text):
        limit = _cut(text, limit)
    found, start = [], 0
    while start < limit:
        end = limit if limit - start <= CHUNK_CHARS else _cut(text, start + CHUNK_CHARS)
        found += _scan(language, text, terms, start, end)
        start = end
    return found, limit


def marked_html(text: str, matches: list[TokenMatch]) -> str:
    """``text`` HTML-escaped, each match wrapped in ``<mark>``."""
    parts, pos = [], 0
    for m in matches:
        if m.start < pos:
            continue
        parts.append(escape(text[pos:m.start], quote=False))
        parts.append("<mark>" + escape(text[m.start:m.end], quote=False) + "</mark>")
        pos = m.end
    parts.append(escape(text[pos:], quote=False))
    return "".join(parts)


def _paragraphs(html: str) -> list[str]:
    """Blank-line separated paragraphs (a <mark> never holds a newline)."""
    return [p.strip() for p in html.replace("\r\n", "\n").split("\n\n") if p.strip()]


def highlight_document(reader, doc_id: str, q: str | None = None, *,
                       crosslingual: bool = True, typo: bool = True,
                       max_chars: int = MAX_ANALYZED_CHARS) -> DocumentView | None:
    """The document ``doc_id`` with the matches of ``q`` marked; None if there is none.

    Raises ``QuerySyntaxError`` for a query that cannot be parsed.
    """
    fields = reader.get(doc_id)
    if fields is None:
        return None
    language = fields["language"]
    title, text = fields.get("title", ""), fields.get("body", "")
    skip = title_end(text, title)  # the heading shows the title: the text starts after it
    shown = text[skip:]
    if not q or not q.strip():
        return DocumentView(fields, escape(title, quote=False),
                            _paragraphs(escape(shown, quote=False)), marked_chars=len(text))
    terms, compiler, query_language = query_terms(reader, q, language, crosslingual, typo)
    title_matches, _ = all_matches(language, title, terms)
    body_matches, marked = all_matches(language, shown, terms, max_chars)
    surfaces = {m.term: clean_surface(language, m.surface, m.term)
                for m in title_matches + body_matches}
    crosslinks, seen = [], set()
    for expansion in compiler.expansions:
        for term, (_, source, _) in expansion.terms.items():
            key = (expansion.word.text, term)
            if source in (OWN, TYPO) or term not in surfaces or key in seen:
                continue
            seen.add(key)
            crosslinks.append({"query": expansion.word.text, "matched": surfaces[term],
                               "source": source})
    return DocumentView(fields, marked_html(title, title_matches),
                        _paragraphs(marked_html(shown, body_matches)),
                        matches=len(title_matches) + len(body_matches),
                        marked_chars=skip + marked,
                        crosslinks=crosslinks, query_language=query_language)

