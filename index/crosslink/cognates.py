"""Cognates by spelling rules: Dutch and English words of one Latin or Greek origin.

Many words of news and encyclopedic text are the same word in both
languages with regular spelling differences in the ending: ``prefectuur`` /
``prefecture``, ``subtropische`` / ``subtropical``, ``universiteit`` /
``university``, ``informatie`` / ``information``, ``militaire`` /
``military``. No dictionary lists them all. :func:`cognate_terms` rewrites a
query word's ending (and ``k``/``c``, doubled vowels) with the rules below
and analyzes the results as words of the other language.

The candidates are not checked against a vocabulary: one that no document
contains has no postings and adds nothing to a query, so a wrong guess costs
nothing unless it happens to be a real word. They join the word's synonym
set at :data:`WEIGHT`, below most lexicon links (see ``index.search.expansion``).
"""

from __future__ import annotations

import re

from index.analysis import analyze, fold

SOURCE = "cognate"
WEIGHT = 0.5  # FLORES 5-fold, tuned on even folds: 0.3-0.9 all help, flat from 0.5 to 0.7
MIN_LENGTH = 5  # shorter words: too many accidental matches (``kind``, ``arm``)
MIN_STEM = 3  # letters left before a rewritten ending

# Dutch ending -> English endings, longest first within a family.
NL_TO_EN: list[tuple[str, tuple[str, ...]]] = [
    ("ologie", ("ology",)), ("ografie", ("ography",)), ("sofie", ("sophy",)),
    ("isatie", ("isation", "ization")), ("atie", ("ation",)), ("tie", ("tion",)),
    ("sie", ("sion",)),
    ("iteit", ("ity",)), ("teit", ("ty",)),
    ("ische", ("ic", "ical")), ("isch", ("ic", "ical")), ("ieke", ("ic",)),
    ("iek", ("ic", "ics")),
    ("uren", ("ures",)), ("uur", ("ure",)),
    ("ieel", ("ial",)), ("iele", ("ial",)), ("aal", ("al",)), ("ale", ("al",)),
    ("eel", ("al",)), ("ele", ("al",)),
    ("ieve", ("ive",)), ("ief", ("ive",)),
    ("isme", ("ism",)),
    ("iseren", ("ise", "ize")), ("eren", ("", "e", "ate")), ("eerde", ("ed", "ated")),
    ("eerd", ("ed", "ated")),
    ("ulaire", ("ular",)), ("ulair", ("ular",)), ("aire", ("ary", "ar")), ("air", ("ary", "ar")),
    ("ieën", ("ies",)), ("ie", ("y",)),
]
# English ending -> Dutch endings.
EN_TO_NL: list[tuple[str, tuple[str, ...]]] = [
    ("ology", ("ologie",)), ("ography", ("ografie",)), ("isation", ("isatie",)),
    ("ization", ("isatie",)), ("ation", ("atie",)), ("tion", ("tie",)), ("sion", ("sie",)),
    ("ity", ("iteit",)), ("ty", ("teit",)),
    ("ical", ("isch", "ische")), ("ics", ("iek",)), ("ic", ("isch", "ische", "iek")),
    ("ure", ("uur",)), ("ial", ("ieel", "iële")), ("al", ("aal", "eel", "ale")),
    ("ive", ("ief", "ieve")), ("ism", ("isme",)), ("ise", ("iseren",)), ("ize", ("iseren",)),
    ("ular", ("ulair", "ulaire")), ("ary", ("air", "aire")), ("ies", ("ieën",)), ("y", ("ie",)),
]
_LONG_VOWEL_RE = re.compile(r"(aa|ee|oo|uu)")
_SOFT_C_RE = re.compile(r"c(?=[eiy])")
_HARD_C_RE = re.compile(r"c(?!h)")  # not the c of Dutch -isch


def _endings(word: str, rules) -> set[str]:
    out = set()
    for ending, replacements in rules:
        if word.endswith(ending) and len(word) - len(ending) >= MIN_STEM:
            out.update(word[:-len(ending)] + r for r in replacements)
    return out


def variants(word: str, source: str) -> list[str]:
    """Spellings of ``word`` (language ``source``) as the other language might write it.

    >>> variants("prefectuur", "nl")
    ['prefecture']
    """
    w = fold(word)
    if not w.isalpha() or len(w) < MIN_LENGTH:
        return []
    if source == "nl":
        out = _endings(w, NL_TO_EN)
        for v in list(out | {w}):
            if "k" in v:
                out.add(v.replace("k", "c"))  # elektrisch -> electric
        for v in list(out | {w}):
            if _LONG_VOWEL_RE.search(v):
                out.add(_LONG_VOWEL_RE.sub(lambda m: m.group()[0], v))  # klimaat -> climat
    elif source == "en":
        out = _endings(w, EN_TO_NL)
        for v in list(out | {w}):
            if "c" in v:
                out.add(_HARD_C_RE.sub("k", _SOFT_C_RE.sub("s", v)))  # electric -> elektrisch
    else:
        raise ValueError(f"unsupported language {source!r}")
    out.discard(w)
    return sorted(out)


def cognate_terms(source: str, target: str, word: str) -> list[str]:
    """Index terms of ``target`` that ``word`` (a ``source`` word) may be a cognate of."""
    if source == target:
        return []
    terms = []
    for variant in variants(word, source):
        for term in analyze(target, variant):
            if term not in terms:
                terms.append(term)
    return terms
