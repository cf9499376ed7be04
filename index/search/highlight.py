"""Highlighting: pick the best fragment of a text and mark the matched terms.

The text is re-analyzed with its language's analyzer, so a match is exactly
a token whose index term is one of the query's terms (``troepen`` is marked
for the term ``troep``). Output is HTML-escaped text with ``<mark>``.

Work per hit is bounded whatever the document size. A text of up to
WHOLE_TEXT_CHARS (nearly every news article) is read whole, as before, and
gets the best window over all its matches. A longer one is read in chunks
of CHUNK_CHARS, and reading stops at the first chunk that holds a match
(plus one fragment's worth after it, so a window can span the cut). Like Elasticsearch's
``index.highlight.max_analyzed_offset``, nothing beyond MAX_ANALYZED_CHARS is
read: a document whose first match lies further on gets its opening lines
as the snippet, unmarked. Re-tokenizing whole 2 M-character documents made a
search take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
import re

from index import decompound
from index.analysis import (_APOSTROPHES, _TOKEN_RE, CACHED_WORD_CHARS, PLAIN_TOKEN_PATTERN,
                            DecompoundFilter, analyzer_for, word_terms, word_terms_unsplit)

FRAGMENT_CHARS = 240
WHOLE_TEXT_CHARS = 20_000  # a text this long or shorter is read whole
CHUNK_CHARS = 5_000  # text read per step in a longer one
MAX_ANALYZED_CHARS = 200_000  # nothing beyond this offset is read for matches
_BOUNDARY_SEARCH = 1_000  # how far to look for a space to cut a chunk between tokens
_PLAIN_TOKEN_RE = re.compile(PLAIN_TOKEN_PATTERN, _TOKEN_RE.flags)
_SPACE_RE = re.compile(r"\s")
_JOINER_RE = re.compile("[" + _APOSTROPHES + r"\-\u2010\u2011]")


@dataclass
class TokenMatch:
    term: str
    surface: str
    start: int
    end: int


def clean_surface(language: str, surface: str, term: str) -> str:
    """The part of a matched token that is the word: ``Putin’s`` -> ``Putin`` for the
    term ``putin``, ``Poetin-regime`` -> ``Poetin``; the token itself when no one part
    yields the term (``rock-'n-roll``), without its trailing possessive."""
    parts = _JOINER_RE.split(surface)
    if len(parts) == 1:
        return surface
    for part in parts:
        if part and term in word_terms(language, part):
            return part
    return re.sub("[" + _APOSTROPHES + "]s$", "", surface)


def _cut(text: str, pos: int) -> int:
    """An offset at or shortly after ``pos`` that lies between tokens (a space)."""
    if pos >= len(text):
        return len(text)
    space = _SPACE_RE.search(text, pos, pos + _BOUNDARY_SEARCH)
    return space.start() if space else pos


def _scan(language: str, text: str, terms, start: int, end: int) -> list[TokenMatch]:
    """Matches among the tokens of ``text[start:end]`` (offsets into ``text``).

    A phrase term (words joined by a space, a cross-link such as ``prime minist``)
    marks its words only where they stand together, with at most stopwords between.
    """
    phrases = [t.split() for t in terms if " " in t]
    wanted = set(terms)
    if phrases:
        wanted |= {w for p in phrases for w in p}
    found = _scan_words(language, text, wanted, start, end)
    return _phrase_runs(language, text, found, terms, phrases) if phrases else found


def _phrase_runs(language: str, text: str, found: list[TokenMatch], terms,
                 phrases: list[list[str]]) -> list[TokenMatch]:
    """Keep phrase words only where a whole phrase stands; one match spans the phrase."""
    runs: dict[int, tuple[int, str]] = {}  # first token -> (tokens, phrase term)
    covered: set[int] = set()
    for i in range(len(found)):
        for words in phrases:
            n = len(words)
            if i + n > len(found) or any(k in covered for k in range(i, i + n)):
                continue
            run = found[i:i + n]
            if all(words[k] in word_terms(language, run[k].surface) for k in range(n)) and all(
                    not any(word_terms(language, raw) for raw in
                            _PLAIN_TOKEN_RE.findall(text, run[k].end, run[k + 1].start))
                    for k in range(n - 1)):
                runs[i] = (n, " ".join(words))
                covered.update(range(i, i + n))
    out = []
    for i, m in enumerate(found):
        if i in runs:
            n, term = runs[i]
            last = found[i + n - 1]
            out.append(TokenMatch(term, text[m.start:last.end], m.start, last.end))
        elif i not in covered:
            hit = word_terms(language, m.surface) & terms
            if hit:
                out.append(TokenMatch(min(hit), m.surface, m.start, m.end))
    return out


class _ChunkMemo:
    """Per process and language: a whitespace-separated chunk of text -> the index terms of
    its tokens, and term -> chunks.

    A token never holds a space, so a text's tokens are its chunks' tokens, and the chunks
    (``str.split``, far cheaper than the token regex) that yield one of a query's terms
    are found with C-level set operations: the text's distinct chunks intersected with
    the chunks already known to yield one. Only chunks never seen before are tokenized
    and analysed. At MEMO_CHUNKS known chunks the memo starts again empty (bounded
    memory). A reader takes ``state()`` once; clearing swaps in a new state, so a
    concurrent reader never sees a half-cleared one, and a chunk is added to ``by_term``
    before the known chunks say it is known.
    """

    def __init__(self):
        self._current = (set(), {})  # (chunks known, term -> set of chunks)

    def state(self) -> tuple[set, dict]:
        return self._current

    def learn(self, state, chunk: str, terms: frozenset) -> None:
        """Remember the complete terms of ``chunk``."""
        known_chunks, by_term = state
        if len(chunk) > CACHED_WORD_CHARS:
            return
        if len(known_chunks) >= MEMO_CHUNKS:
            self._current = (set(), {})
            return
        for term in terms:
            known = by_term.get(term)
            if known is None:
                known = by_term.setdefault(term, set())
            known.add(chunk)
        known_chunks.add(chunk)


# Distinct chunks remembered per language (then the memo restarts): bounded memory.
MEMO_CHUNKS = 100_000
# Words' terms without compound parts, and chunks seen once, remembered per language.
MEMO_WORDS = 50_000
_MEMOS: dict = {}


def _memo(language: str) -> _ChunkMemo:
    memo = _MEMOS.get(language)
    if memo is None:
        memo = _MEMOS.setdefault(language, _ChunkMemo())
    return memo


_UNSPLIT: dict = {}  # language -> {raw token: word_terms_unsplit(...)}, bounded
_PART_SURFACES: dict = {}  # language -> {term: words that are that term as a compound part}
# language -> chunks analysed once without their compound parts (none could match that
# query): the second time a chunk is seen it is analysed whole and remembered. A word
# seen once (the long tail of a big index) never pays for the compound lookup.
_SEEN_ONCE: dict = {}


def _part_surfaces(language: str) -> dict:
    """Every word ``decompound.split`` may give as a part (its parts all pass
    ``decompound._part_zipf``), by its index term: built once per process."""
    table = _PART_SURFACES.get(language)
    if table is None:
        stem = analyzer_for(language)[-1].stem
        table = {}
        floor = min(decompound.PART_ZIPF, decompound.SHORT_PART_ZIPF)
        for word, zipf in decompound.vocabulary().items():
            if zipf >= floor and decompound._part_zipf(word) > 0:  # (most words are rarer)
                table.setdefault(stem(word), set()).add(word)
        _PART_SURFACES[language] = table
    return table


def _chunk_terms(language: str, chunk: str, parts) -> tuple[frozenset, bool]:
    """(index terms of the chunk's tokens, complete?) as far as the query needs them.

    A word's compound parts are looked up (the costly step for a word never seen) only
    if it holds, as a substring, a word that is one of the query's terms as a part
    (``parts``): otherwise no part of it can match, and the terms are marked
    incomplete (not remembered)."""
    found: set = set()
    complete = True
    cache = _UNSPLIT.setdefault(language, {})
    for raw in _PLAIN_TOKEN_RE.findall(chunk):
        unsplit = cache.get(raw)
        if unsplit is None:
            unsplit = word_terms_unsplit(language, raw)
            if len(raw) <= CACHED_WORD_CHARS:
                if len(cache) >= MEMO_WORDS:
                    cache.clear()
                cache[raw] = unsplit
        own, words = unsplit
        if words and decompound.enabled():
            if any(part in word for word in words for part in parts):
                found |= word_terms(language, raw)
                continue
            complete = False
        found |= own
    return frozenset(found), complete


def _matching_tokens(language: str, text: str, start: int, end: int, terms) -> dict[str, str]:
    """``{raw token: smallest query term it yields}`` for the tokens of ``text[start:end]``
    that yield one of ``terms``."""
    memo = _memo(language)
    state = memo.state()
    known_chunks, by_term = state
    part = text if start == 0 and end == len(text) else text[start:end]
    chunks = set(part.split())
    known = [by_term[t] for t in terms if t in by_term]
    if not known:
        hits = set()
    else:
        hits = chunks & (known[0] if len(known) == 1 else set().union(*known))
    unseen = chunks.difference(known_chunks)
    if unseen:
        parts: set = set()
        if decompound.enabled() and any(isinstance(f, DecompoundFilter)
                                        for f in analyzer_for(language).items):
            table = _part_surfaces(language)
            parts = set().union(*(table.get(t, ()) for t in terms))
        once = _SEEN_ONCE.setdefault(language, set())
        for chunk in unseen:  # analysed, remembered when complete
            if chunk in once:  # seen before: worth its compound parts
                found = frozenset().union(*(word_terms(language, raw)
                                            for raw in _PLAIN_TOKEN_RE.findall(chunk)))
                complete = True
            else:
                found, complete = _chunk_terms(language, chunk, parts)
            if complete:
                memo.learn(state, chunk, found)
            elif len(chunk) <= CACHED_WORD_CHARS:
                if len(once) >= MEMO_WORDS:
                    once.clear()
                once.add(chunk)
            if not found.isdisjoint(terms):
                hits.add(chunk)
    matched: dict[str, str] = {}
    for chunk in hits:
        for raw in _PLAIN_TOKEN_RE.findall(chunk):
            if raw not in matched:
                hit = word_terms(language, raw) & terms
                if hit:
                    matched[raw] = min(hit)
    return matched


def _scan_words(language: str, text: str, terms, start: int, end: int) -> list[TokenMatch]:
    """The matching tokens of ``text[start:end]`` in order, as a full tokenization finds them.

    Only the distinct chunks are looked up (``_matching_tokens``); the places of the
    matching ones are found with ``str.find`` and each checked to be a whole token by
    tokenizing from the last space before it (a space is inside no token, so the
    tokenization from there on is the full one's), or from the previous check's end.
    """
    matched = _matching_tokens(language, text, start, end, terms)
    if not matched:
        return []
    places = []
    find = text.find
    for raw in matched:
        at = find(raw, start, end)
        while at >= 0:
            places.append(at)
            at = find(raw, at + 1, end)
    places.sort()
    found = []
    search = _TOKEN_RE.search
    cursor = start  # the tokenization of text[start:end] is known up to here
    for at in places:
        if at < cursor:
            continue  # inside a token already read (or a repeat of a place)
        space = text.rfind(" ", cursor, at)
        pos = space + 1 if space >= 0 else cursor
        while True:
            token = search(text, pos, end)
            if token is None or token.start() >= at:
                break
            pos = token.end()
        if token is None:
            break
        if token.start() == at:
            raw = token.group()
            term = matched.get(raw)
            if term is not None:
                found.append(TokenMatch(term, raw, at, token.end()))
            cursor = token.end()
        else:
            cursor = token.start()
    return found


def find_matches(language: str, text: str, terms,
                 max_chars: int = MAX_ANALYZED_CHARS) -> list[TokenMatch]:
    """Tokens of ``text`` whose index terms include one of ``terms``.

    All of them for a text up to WHOLE_TEXT_CHARS; for a longer one, those of the
    first chunk that has any (and of the fragment after it), within the first
    ``max_chars`` characters.
    """
    if not terms:
        return []
    if len(text) <= WHOLE_TEXT_CHARS:
        return _scan(language, text, terms, 0, len(text))
    limit = min(len(text), max_chars)
    if limit < len(text):
        limit = _cut(text, limit)
    start = 0
    while start < limit:
        end = limit if limit - start <= CHUNK_CHARS else _cut(text, start + CHUNK_CHARS)
        found = _scan(language, text, terms, start, end)
        if found:
            if end < limit:  # the fragment after the cut, so a window can span it
                found += _scan(language, text, terms, end,
                               min(limit, _cut(text, end + FRAGMENT_CHARS)))
            return found
        start = end
    return []


def title_end(text: str, title: str) -> int:
    """Where the text continues after its title, when it begins with it (many feeds put
    the headline in the text too); 0 otherwise, or when nothing would be left."""
    title = " ".join(title.split())
    if not title or len(title) > len(text):
        return 0
    words = title.casefold().split()
    pos = 0
    for word in words:  # the title's words in order, whatever whitespace is between
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if text[pos:pos + len(word)].casefold() != word:
            return 0
        pos += len(word)
    if pos < len(text) and text[pos].isalnum():  # "Putin" is not the start of "Putinism"
        return 0
    while pos < len(text) and (text[pos].isspace() or text[pos] in ".:;-–—|"):
        pos += 1
    return pos if text[pos:].strip() else 0


def _best_window(text: str, matches: list[TokenMatch], size: int,
                 skip: int = 0) -> tuple[int, int]:
    if not matches:
        return skip, min(len(text), skip + size)
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
    if lead >= 0:
        start = lead + 2
    else:  # a space before (start - 30), looking back a fragment at most
        space = text.rfind(" ", max(0, start - 30 - size), max(0, start - 30))
        start = space + 1 if space >= 0 or start <= 30 + size else start - 30
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start, end)
        if space > start:
            end = space
    return start, end


def snippet(text: str, matches: list[TokenMatch], size: int = FRAGMENT_CHARS,
            skip: int = 0) -> str:
    """An HTML-escaped fragment of ``text`` around the matches, with ``<mark>`` tags;
    ``text[:skip]`` (the title, repeated at the start of the text) is left out."""
    if skip:
        matches = [m for m in matches if m.start >= skip]
    start, end = _best_window(text, matches, size, skip)
    if skip and start != skip and all(m.end <= skip + size for m in matches
                                      if start <= m.start < end):
        start, end = _best_window(text, [], size, skip)  # the matches fit from the start
        if end < len(text):
            end = max(text.rfind(" ", start, end), start + 1)
    start = max(start, skip)
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
    prefix = "… " if start > skip else ""
    suffix = " …" if end < len(text) else ""
    return prefix + body.strip() + suffix
