"""Highlighting: pick the best fragment of a text and mark the matched terms.

The text is re-analyzed with its language's analyzer, so a match is exactly
a token whose index term is one of the query's terms (``troepen`` is marked
for the term ``troep``). Output is HTML-escaped text with ``<mark>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
import re

from index.analysis import _TOKEN_RE, PLAIN_TOKEN_PATTERN, word_terms

FRAGMENT_CHARS = 240
_PLAIN_TOKEN_RE = re.compile(PLAIN_TOKEN_PATTERN, _TOKEN_RE.flags)


@dataclass
class TokenMatch:
    term: str
    surface: str
    start: int
    end: int


def find_matches(language: str, text: str, terms) -> list[TokenMatch]:
    """Tokens of ``text`` whose index terms include one of ``terms``."""
    if not terms:
        return []
    matched = {}  # each distinct token of the text analyzed once
    for raw in set(_PLAIN_TOKEN_RE.findall(text)):
        hit = word_terms(language, raw) & terms
        if hit:
            matched[raw] = min(hit)
    if not matched:
        return []
    found = []
    for match in _TOKEN_RE.finditer(text):
        raw = match.group()
        if raw in matched:
            found.append(TokenMatch(matched[raw], raw, match.start(), match.end()))
    return found


def _best_window(text: str, matches: list[TokenMatch], size: int) -> tuple[int, int]:
    if not matches:
        return 0, min(len(text), size)
    best, best_score = 0, -1
    j = 0
    for i, m in enumerate(matches):
        while j < len(matches) and matches[j].end - m.start <= size:
            j += 1
        window = matches[i:j]
        score = len({w.term for w in window}) * 10 + len(window)
        if score > best_score:
            best, best_score = i, score
    start = matches[best].start
    # Start at a sentence or word boundary shortly before the first match.
    lead = text.rfind(". ", max(0, start - 80), start)
    start = lead + 2 if lead >= 0 else max(0, text.rfind(" ", 0, max(0, start - 30)) + 1)
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        if space > start:
            end = space
    return start, end


def snippet(text: str, matches: list[TokenMatch], size: int = FRAGMENT_CHARS) -> str:
    """An HTML-escaped fragment of ``text`` around the matches, with ``<mark>`` tags."""
    start, end = _best_window(text, matches, size)
    parts = []
    pos = start
    for m in matches:
        if m.start < pos or m.end > end:
            continue
        parts.append(escape(text[pos:m.start], quote=False))
        parts.append("<mark>" + escape(text[m.start:m.end], quote=False) + "</mark>")
        pos = m.end
    parts.append(escape(text[pos:end], quote=False))
    body = "".join(parts).replace("\n\n", " ").replace("\n", " ")
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(text) else ""
    return prefix + body.strip() + suffix
