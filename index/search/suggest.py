"""Suggestions: prefix completions and "did you mean" corrections.

Both read the ``spell`` field: the words of every document as written,
lowercased and accent-folded, without stemming.
"""

from __future__ import annotations

import heapq

from index.analysis import LANGUAGES, fold
from index.normalize import normalize_text
from index.search.expansion import allowed_typos
from index.search.query import iter_words

SPELL_FIELD = "spell"
SCAN_LIMIT = 20_000  # most dictionary entries read for one completion prefix


def complete(searchers: dict, prefix: str, limit: int = 10, lang: str = "any") -> list[dict]:
    """The most frequent words starting with ``prefix``, from both languages.

    Returns ``[{"text": word, "languages": [...], "count": documents}]``.
    """
    key = fold(normalize_text(prefix).strip())  # the same normalization as documents
    if not key:
        return []
    counts: dict[str, int] = {}
    languages: dict[str, set] = {}
    for language in LANGUAGES:
        if lang not in ("any", language):
            continue
        reader = searchers[language].reader()
        for n, term in enumerate(reader.expand_prefix(SPELL_FIELD, key)):
            if n >= SCAN_LIMIT:
                break
            term = term.decode("utf-8") if isinstance(term, bytes) else term
            df = reader.doc_frequency(SPELL_FIELD, term)
            counts[term] = counts.get(term, 0) + df
            languages.setdefault(term, set()).add(language)
    best = heapq.nsmallest(limit, counts.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))
    return [{"text": term, "languages": sorted(languages[term]), "count": count}
            for term, count in best]


def _frequency(searchers: dict, word: str) -> int:
    return sum(s.reader().doc_frequency(SPELL_FIELD, word) for s in searchers.values())


def correct_word(searchers: dict, word: str) -> str | None:
    """The most frequent known word within the typo distance of an unknown ``word``."""
    folded = fold(word)
    maxdist = max(allowed_typos(folded), 1 if len(folded) >= 4 else 0)
    if not maxdist or _frequency(searchers, folded):
        return None
    best, best_key = None, None
    for searcher in searchers.values():
        reader = searcher.reader()
        for near in reader.terms_within(SPELL_FIELD, folded, maxdist, prefix=1):
            if "-" in near:
                continue
            key = (_frequency(searchers, near), -abs(len(near) - len(folded)), near)
            if best_key is None or key > best_key:
                best, best_key = near, key
    return best


def did_you_mean(query: str, node, searchers: dict) -> str | None:
    """The query with unknown words replaced by their likeliest correction, or None."""
    edits = []
    for word in iter_words(node):
        fix = correct_word(searchers, word.text)
        if fix and fix != fold(word.text):
            edits.append((word.start, word.end, fix))
    if not edits:
        return None
    out, pos = [], 0
    for start, end, fix in sorted(edits):
        out.append(query[pos:start])
        out.append(fix)
        pos = end
    out.append(query[pos:])
    return "".join(out)
