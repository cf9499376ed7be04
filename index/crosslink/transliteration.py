"""One spelling key for Dutch and English romanizations of Cyrillic names.

Dutch writes ``Poetin``, ``Konasjenkov``, ``Chroesjtsjov``; English writes
``Putin``, ``Konashenkov``, ``Khrushchev``. :func:`translit_key` maps both
spellings to one key (the table in FACTS.md, "Cross-language retrieval"):

=============  =========================  ==========================  =====
Cyrillic       Dutch                      English                     key
=============  =========================  ==========================  =====
у              oe                         u                           u
ш / щ          sj / sjtsj                 sh / shch                   S / SC
ч              tsj                        ch, tch                     C
х              ch                         kh                          C (*)
ж              zj                         zh                          Z
й, я/ю/е       j (ja, joe, je)            y (ya, yu, ye)              j
vowel + й      ej, oj                     ey/ei, oy/oi                ej, oj
-ий / -ый      -i                         -y, -iy, -yy, -ii           i
Ukrainian г    h                          h (Russian form g)          g
=============  =========================  ==========================  =====

(*) A bare ``ch`` is х in Dutch but ч in English, and the key has no
language, so х and ч share the class ``C``. Further normalizations that both
sides get: a ``j`` between vowels is dropped (Dostojevski/Dostoevsky), ``o``
after a hushing consonant is ``e`` (Chroesjtsjov/Khrushchev, ё), ``x`` is
``ks``, ``i`` between a consonant and a vowel is ``j`` (Natalia/Natalja) and
doubled letters are single.

The key merges unrelated ordinary words (Dutch ``poet`` and English ``put``
share one), so it is only applied to capitalized name tokens, never to the
vocabulary at large. Different names for one place (Moskou/Moscow,
Jekaterinenburg/Yekaterinburg) do not meet: they need the names source or the
curated table.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Iterable

from index.analysis import LANGUAGES, analyze, fold, is_stopword

SOURCE = "transliteration"
WEIGHT = 0.9  # the keys agree on the spelling rules of the table
WEIGHT_H_TO_G = 0.7  # agreement only after h -> g (Harry/Garry would meet too)
MAX_GROUP = 6  # more spellings than this on one key: the key is too coarse there

_VOWELS = "aeiou"
# Multi-letter rules, applied longest first in one left-to-right scan.
_RULES = [
    ("sjtsj", "SC"), ("shch", "SC"),
    ("tsj", "C"), ("tch", "C"), ("kh", "C"), ("ch", "C"),
    ("sj", "S"), ("sh", "S"),
    ("zj", "Z"), ("zh", "Z"),
    ("oe", "u"),
    ("x", "ks"),
    ("w", "v"),
]
_RULE_RE = re.compile("|".join(re.escape(a) for a, _ in _RULES))
_RULE_MAP = dict(_RULES)
_FINAL_I_RE = re.compile(r"(?<=[^aeiouy])(iy|yy|ii|y|ij)$")
_HUSH_O_RE = re.compile(r"(?<=[SCZ])o")
_VOWEL_I_RE = re.compile(r"(?<=[aeou])[iy](?![aeiou])")
_CONS_I_VOWEL_RE = re.compile(r"(?<=[^aeiouj\W])i(?=[aeou])")
_INTERVOCALIC_J_RE = re.compile(r"(?<=[aeiou])[jy](?=[aeiou])")
_DOUBLE_RE = re.compile(r"(.)\1+")


def _key(word: str, h_to_g: bool = True) -> str:
    text = fold(word)
    text = re.sub(r"[^a-z]", "", text)
    if not text:
        return ""
    # Endings -iy/-yy/-ii/-y (and Dutch -ij in old spellings) after a consonant: -i.
    text = _FINAL_I_RE.sub("i", text)
    # A j/y glide between vowels is written in Dutch, often not in English.
    text = _INTERVOCALIC_J_RE.sub("", text)
    text = _RULE_RE.sub(lambda m: _RULE_MAP[m.group()], text)
    if h_to_g:
        text = text.replace("h", "g")
    # vowel + й: ei/ey -> ej, oi/oy -> oj (not before a vowel).
    text = _VOWEL_I_RE.sub("j", text)
    text = text.replace("y", "j")
    text = _HUSH_O_RE.sub("e", text)
    text = _CONS_I_VOWEL_RE.sub("j", text)
    text = _DOUBLE_RE.sub(r"\1", text)
    return text


def translit_key(word: str) -> str:
    """The spelling key of a name: ``Poetin`` and ``Putin`` both give ``putin``."""
    return _key(word)


def _single_term(lang: str, surface: str) -> str | None:
    terms = analyze(lang, surface)
    return terms[0] if len(terms) == 1 else None


def name_like(word: str, common_words: set[str] | frozenset[str] = frozenset()) -> bool:
    """True for a capitalized token that can be a name (not a stopword or common word)."""
    if len(word) < 3 or not word[:1].isupper() or not word.isalpha() and "-" not in word:
        return False
    folded = fold(word)
    if any(is_stopword(lang, word) for lang in LANGUAGES):
        return False
    return folded not in common_words


def _folded(common_words: Iterable[str]) -> frozenset[str]:
    """The common words folded; a frozenset is taken as folded already (per-write callers
    pass one, instead of folding ~25,000 FreeDict headwords on every call)."""
    if isinstance(common_words, frozenset):
        return common_words
    return frozenset(fold(w) for w in common_words)


def links_from_names(names: dict[str, Counter] | None,
                     common_words: Iterable[str] = (),
                     min_count: int = 1) -> list[tuple[str, str, float, str, str]]:
    """Pair Dutch and English name tokens that share a transliteration key.

    ``names`` maps a language to a Counter of capitalized, not sentence-initial
    tokens of the corpus. ``common_words`` are dropped: they are
    ordinary words that happened to be capitalized. Returns
    ``(nl_term, en_term, weight, nl_surface, en_surface)`` tuples.
    """
    if not names:
        return []
    common = _folded(common_words)
    groups: dict[str, dict[str, dict[str, tuple[str, int]]]] = {}
    for lang in LANGUAGES:
        by_key: dict[str, dict[str, tuple[str, int]]] = defaultdict(dict)
        for surface, count in (names.get(lang) or {}).items():
            if count < min_count or not name_like(surface, common):
                continue
            key = translit_key(surface)
            term = _single_term(lang, surface)
            if len(key) < 3 or term is None:
                continue
            best = by_key[key].get(term)
            if best is None or best[1] < count:
                by_key[key][term] = (surface, count)
        groups[lang] = by_key
    pairs = []
    for key, nl_terms in groups["nl"].items():
        en_terms = groups["en"].get(key)
        if not en_terms or len(nl_terms) > MAX_GROUP or len(en_terms) > MAX_GROUP:
            continue
        for nl_term, (nl_surface, _) in nl_terms.items():
            for en_term, (en_surface, _) in en_terms.items():
                if nl_term == en_term:
                    continue  # the search finds the same term in both indexes anyway
                weight = WEIGHT
                if _key(nl_surface, h_to_g=False) != _key(en_surface, h_to_g=False):
                    weight = WEIGHT_H_TO_G
                pairs.append((nl_term, en_term, weight, nl_surface, en_surface))
    return pairs


def name_key_index(names: dict[str, Counter] | None,
                   common_words: Iterable[str] = ()) -> dict[str, dict[str, list]]:
    """Per language, ``key -> [[term, surface], ...]`` of the corpus names.

    Stored with the lexicon so that a query name spelled in the other
    language's way (``Loegansk``, never seen in the Dutch documents) still
    finds the English spellings at search time. Keys are of the analyzed
    terms, which is what the search side has.
    """
    if not names:
        return {}
    common = _folded(common_words)
    index: dict[str, dict[str, list]] = {}
    for lang in LANGUAGES:
        seen: dict[str, dict[str, tuple[str, int]]] = defaultdict(dict)
        for surface, count in (names.get(lang) or {}).items():
            if not name_like(surface, common):
                continue
            term = _single_term(lang, surface)
            if term is None:
                continue
            key = translit_key(term)
            if len(key) < 4:
                continue
            best = seen[key].get(term)
            if best is None or best[1] < count:
                seen[key][term] = (surface, count)
        index[lang] = {key: [[t, s] for t, (s, _) in sorted(terms.items())]
                       for key, terms in seen.items() if len(terms) <= MAX_GROUP}
    return index
