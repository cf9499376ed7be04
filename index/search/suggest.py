"""Suggestions: prefix completions and "did you mean" corrections.

Both read the ``spell`` field: the words of every document as written,
lowercased and accent-folded, without stemming.
"""

from __future__ import annotations

import heapq
import re

from index.analysis import LANGUAGES, fold, iter_words as tokens
from index.normalize import normalize_text
from index.search.expansion import allowed_typos, expand_word
from index.search.query import Word, iter_words

SPELL_FIELD = "spell"
_HYPHEN = re.compile(r"[\-\u2010\u2011]")
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
    return _splice(query, edits)


def correct_query(query: str, words, searchers: dict) -> str | None:
    """``query`` with each of ``words`` (query ``Word`` nodes that match nothing) replaced
    by its likeliest correction in the spelling the documents use (``Poetim`` ->
    ``Poetin``), or None when none of them has a correction. Like the typo tolerance,
    only words of 5 letters or more are corrected without asking."""
    edits = []
    for word in words:
        if not allowed_typos(fold(word.text)):  # short words: only "did you mean"
            continue
        fix = correct_word(searchers, word.text)
        if fix and fix != fold(word.text):
            edits.append((word.start, word.end, _cased_like(word.text, display_form(
                searchers, fix))))
    return _splice(query, edits)


def _cased_like(typed: str, shown: str) -> str:
    """The display form, upper-cased when the visitor typed the word in capitals."""
    return shown.upper() if len(typed) > 1 and typed.isupper() else shown


def _splice(query: str, edits: list) -> str | None:
    if not edits:
        return None
    out, pos = [], 0
    for start, end, fix in sorted(edits):
        out.append(query[pos:start])
        out.append(fix)
        pos = end
    out.append(query[pos:])
    return "".join(out)


# -- display forms and completions in context ------------------------------------------

DISPLAY_DOCS = 3  # documents read to find how a word is written
DISPLAY_CHARS = 20_000  # of each document's text (a word that occurs is usually early)
CONTEXT_CANDIDATES = 300  # most frequent completions checked against the earlier words


def display_form(searchers: dict, term: str, languages=LANGUAGES) -> str:
    """How the folded spelling-field ``term`` is written in the documents: the most
    frequent surface form in the first few documents holding it (``oekraine`` ->
    ``Oekraïne``); the term itself when none is found. Words at the start of a sentence
    are capitalized anyway, so a lowercase form wins a tie."""
    seen: dict[str, int] = {}
    for language in languages:
        searcher = searchers[language]
        reader = searcher.reader()
        if not reader.doc_frequency(SPELL_FIELD, term):
            continue
        postings = reader.postings(SPELL_FIELD, term)
        for n, docnum in enumerate(postings.all_ids()):
            if n >= DISPLAY_DOCS:
                break
            stored = searcher.stored_fields(docnum)
            text = (stored.get("title") or "") + "\n" + (stored.get("body") or "")[:DISPLAY_CHARS]
            if term not in fold(text):
                continue
            for raw, _, _ in tokens(text):
                for part in (raw, *_HYPHEN.split(raw)):
                    if fold(part) == term:
                        seen[part] = seen.get(part, 0) + 1
        if seen:
            break
    if not seen:
        return term
    return max(seen, key=lambda form: (seen[form], form.islower(), form))


def complete_query(searchers: dict, query: str, limit: int = 10,
                   lang: str = "any", lexicon=None) -> list[dict]:
    """Complete the last word of ``query`` in the context of the words before it.

    Completions that occur in documents together with the earlier words come first
    (``russian tr`` -> troops before trade), then the most frequent ones. The earlier
    words are expanded as a search expands them (stems and, with ``lexicon``, their
    cross-links): ``russian tr`` gives troops, then the Dutch troepen, then trade. Every
    suggestion has ``text`` (the folded word, as before), ``display`` (the word as the
    documents write it) and ``query`` (the whole query with the last word completed).
    """
    text = normalize_text(query)
    words = [raw for raw, _, _ in tokens(text)]
    if not words or not text.rstrip().endswith(words[-1]):
        return []
    prefix = words[-1]
    head = text.rstrip()[: len(text.rstrip()) - len(prefix)]
    context = words[:-1]
    wanted = [lang] if lang in LANGUAGES else list(LANGUAGES)
    width = limit if not context else max(limit, CONTEXT_CANDIDATES)
    found = complete(searchers, prefix, width, lang)
    if context:
        # With the earlier words as written first (the language being typed), then
        # through their cross-links (the other language), then by frequency.
        terms = [s["text"] for s in found]
        own = _cooccurrence(searchers, context, terms, wanted)
        linked = _cooccurrence(searchers, context, terms, wanted, lexicon) if lexicon else {}
        order = {s["text"]: i for i, s in enumerate(found)}
        found.sort(key=lambda s: (-own.get(s["text"], 0), -linked.get(s["text"], 0),
                                  order[s["text"]]))
    out = []
    for entry in found[:limit]:
        shown = display_form(searchers, entry["text"], entry["languages"])
        out.append({**entry, "display": shown, "query": head + shown})
    return out


def _context_docs(reader, language: str, words: list, lexicon) -> set:
    """Documents of one index that hold every earlier word (as a search would match it:
    own stems and cross-links), or, when none holds them all, any of them."""
    sets = []
    for text in words:
        expansion = expand_word(Word(text), language, language, lexicon)
        if expansion is None:  # a stopword says nothing about the topic
            continue
        docs: set = set()
        for term in expansion.terms:
            if reader.doc_frequency("body", term):
                docs.update(reader.postings("body", term).all_ids())
        sets.append(docs)
    if not sets:
        return set()
    return set.intersection(*sets) or set().union(*sets)


def _cooccurrence(searchers: dict, context: list, candidates: list, languages,
                  lexicon=None) -> dict:
    """Per candidate term: documents holding it and the context words, over ``languages``."""
    counts: dict[str, int] = {}
    for language in languages:
        reader = searchers[language].reader()
        docs = _context_docs(reader, language, context, lexicon)
        if not docs:
            continue
        for term in candidates:
            if not reader.doc_frequency(SPELL_FIELD, term):
                continue
            n = sum(1 for d in reader.postings(SPELL_FIELD, term).all_ids() if d in docs)
            if n:
                counts[term] = counts.get(term, 0) + n
    return counts
