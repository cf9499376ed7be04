"""OpenSearch "analysis" settings generated from Tolk's own analyzers.

An OpenSearch index must split and stem text the way Tolk does, or the
cross-link lexicon (built from Tolk's terms) and Tolk's query expansion ask
for terms the cluster never indexed. So the analysis block is *generated*
from ``index.analysis`` (stopword lists, stem-override table, the Snowball
algorithm in ``STEMMER_ALGORITHMS``, the tokenizer's patterns), never written
by hand, and only from filters built into OpenSearch (no plugins) that
Lucene itself implements, so ``tests/test_lucene_analysis.py`` can run the
settings through Lucene's own code and count the tokens that agree.

Chain (``tolk_<lang>`` indexes, ``tolk_<lang>_search`` analyzes queries)::

    mapping char filter  invisibles out, combining marks out, accents and
                         compatibility forms folded (NFKD without marks)
    pattern tokenizer    NewsTokenizer's word/number regex, in Java syntax
    length               drops a token over 8,000 chars (Lucene refuses a term
                         over 32,766 bytes: the whole document would fail)
    pattern_replace x2   foto's -> foto, zo'n -> zon
    pattern_replace x8   numbers: 130.000 (nl) / 130,000 (en) -> 130000
    word_delimiter_graph hyphens: whole + parts (index), whole only (search)
    pattern_replace x20  vulgar fractions: 24½ -> 241⁄2 (after the hyphen split)
    stop                 case-sensitive, so all-capitals US / WHO stay
    lowercase
    stemmer_override     index/data/stem_overrides.tsv (and, when Tolk's
                         StemFilter has the rule, compounds ending in a
                         table word: pattern_replace + keyword_marker)
    keyword_marker       words starting with a digit are not stemmed
    snowball             Kp or Dutch / English (see SNOWBALL_LANGUAGES)

What maps exactly (no difference found on the seeds and FLORES): tokenization
(word and number boundaries, apostrophes), invisibles, accent folding of
Latin/Greek/Cyrillic letters and vulgar fractions, number normalization,
hyphenated words (whole and parts; Tolk stems the whole as one word, as
Lucene does), stopwords incl. the acronym exception for lowercase and
Capitalized words, stem overrides, and the stemmer where the cluster runs the
same Snowball program (``dutch_porter`` as Lucene's ``Dutch``: 100 % of FLORES
tokens). Regexes are written in ASCII, other characters as ``\\x{XXXX}``.

What maps only approximately:

* Stemmer: the Snowball version in the cluster's Lucene decides (see
  SNOWBALL_LANGUAGES). In Lucene 8/9 ``Dutch`` is the older Porter-based
  algorithm, i.e. PyStemmer's ``dutch_porter`` (exact), and PyStemmer's
  default ``dutch`` (Snowball 3's Kraaij-Pohlmann) maps to ``Kp``, the old
  Snowball program of the same algorithm: 99.8 % of Dutch tokens agree, the
  rest mostly ge- words (``gevaar`` -> vaar). ``Dutch`` instead of ``Kp``
  leaves two Dutch terms in five different; Lucene 10 has no ``Kp``, so with
  ``dutch`` it needs a Lucene with Snowball 3 (or Tolk on ``dutch_porter``);
  :func:`choose_snowball` asks the cluster. Lucene's English
  before Snowball 3 lacks a few new exceptions (``international``,
  ``university``, ``added``): 0.35 % of English tokens, 18 FLORES words.
  Lucene 10 (OpenSearch 3.x) has the ``added`` fix but not the others
  (its Snowball is of Feb 2024); only a Lucene with Snowball 3.1
  (apache/lucene#15505) stems English like PyStemmer 3.1. Measured against
  Debian's Lucene 8.7; :func:`probe_mismatches` checks a live cluster.
* Positions: Tolk closes the gap a stopword leaves, Lucene keeps it (the
  query analyzer leaves the same gap, so phrases still match in the index).
* Stopwords in mIxEd case (``tHe``) stay; a word of 8,000+ chars is dropped;
  other characters whose fold is not a word (``⑴`` -> (1)) stay as they are.
* NFC: Tolk composes first; here combining marks are simply dropped, the
  same result for accents on letters. Folding is listed for the Basic
  Multilingual Plane minus Hangul syllables and CJK compatibility
  ideographs (their decompositions would make the table huge).
* Lowercasing: Java's per-character mapping, not Python's full one (Greek
  final sigma).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import index.analysis as _tolk
from index.analysis import (
    LANGUAGES, STEMMER_ALGORITHMS, THOUSANDS_SEPARATOR, fold, load_stem_overrides,
)
from index.normalize import CF_RANGES

ANALYZERS = {"nl": "tolk_nl", "en": "tolk_en"}
SEARCH_ANALYZERS = {"nl": "tolk_nl_search", "en": "tolk_en_search"}

# PyStemmer algorithm -> Snowball language name that OpenSearch's ``snowball``
# filter and Lucene's SnowballPorterFilterFactory accept (osmem-server and
# some OpenSearch versions reject ``stemmer`` language ``dutch``). The names
# depend on the cluster's Lucene:
#   Lucene 8/9 (OpenSearch 1.x/2.x): "Dutch" is Porter's algorithm; "Kp" is the
#     old Snowball program of Kraaij-Pohlmann, which Snowball 3's "dutch"
#     re-implements (99.7 % of FLORES tokens agree).
#   Lucene 10 (OpenSearch 3.x) removed "Kp" (elastic/elasticsearch#113143).
#   Lucene with Snowball 3 (apache/lucene#15505, on main since Dec 2025, for 11.0):
#     "Dutch" is Kraaij-Pohlmann, Porter's is "Dutch_porter".
# SNOWBALL_LANGUAGES (the default) is for Lucene 8/9; choose_snowball() picks
# the right name on a live cluster from how it stems the STEM_PROBES words.
SNOWBALL_LANGUAGES = {
    "dutch_porter": "Dutch",
    "dutch": "Kp",
    "english": "English",
    "porter": "Porter",
}
SNOWBALL3_LANGUAGES = {
    "dutch_porter": "Dutch_porter",
    "dutch": "Dutch",
    "english": "English",
    "porter": "Porter",
}
# Names to try for each PyStemmer algorithm, best first.
SNOWBALL_CANDIDATES = {
    "dutch": ("Dutch", "Kp"),
    "dutch_porter": ("Dutch_porter", "Dutch"),
    "english": ("English",),
    "porter": ("Porter",),
}
# Algorithms whose SNOWBALL_LANGUAGES counterpart is the same algorithm.
EXACT_STEMMERS = frozenset({"dutch_porter", "english", "porter"})

# Words whose stems tell stemmer versions apart: Dutch Porter vs Kraaij-Pohlmann
# (aangeleerde, Oekraïne), old Kp vs Snowball 3's (gevaar, geeft: ge- handling);
# Snowball 3's English exceptions (univers-, organ-, -ogist, added).
STEM_PROBES = {
    "nl": ("aangeleerde", "Oekraïne", "gevaar", "geeft", "fietsen", "bevindingen"),
    "en": ("running", "international", "university", "organization", "added",
           "paleontologists"),
}

# Longest token kept (longer ones are dropped): Lucene rejects a term over 32,766 UTF-8
# bytes, and 8,000 UTF-16 units are at most 24,000 bytes.
MAX_TOKEN_CHARS = 8000

_APOSTROPHES = "'\u2019\u2018\u02bc"


def _rx(chars: str) -> str:
    """Characters for a Java regex: non-ASCII and control characters as ``\\x{XXXX}``.

    Java reads ``\\x{...}`` like the character itself, and so do RE2-style engines
    (osmem-server, which rejects ``\\uXXXX``); an all-ASCII settings file is also
    safe from any re-encoding on its way to the cluster.
    """
    return "".join(f"\\x{{{ord(ch):04X}}}" if not ch.isascii() or ord(ch) < 0x20 else ch
                   for ch in chars)


_WORD = r"[\p{L}\p{N}_]"  # Python's \w: str.isalnum() plus "_"
_DIGIT = r"\p{Nd}"  # Python's \d
# index.analysis._TOKEN_RE in Java syntax: a number with separators, else a word.
TOKEN_PATTERN = (
    _DIGIT + r"+(?:[.,]" + _DIGIT + r"+)+"
    + "|" + _WORD + "+(?:[" + _rx(_APOSTROPHES) + "\\-" + _rx("\u2010\u2011") + "]"
    + _WORD + "+)*"
)

# Ranges not folded by the mapping table (see docstring).
_UNFOLDED = ((0xAC00, 0xD7A3), (0xF900, 0xFAFF), (0xD800, 0xDFFF))


def _java_escape(text: str) -> str:
    """A mapping-rule side: ASCII letters/digits as they are, the rest as \\uXXXX."""
    return "".join(ch if ch.isascii() and ch.isalnum() else f"\\u{ord(ch):04x}" for ch in text)


@lru_cache(maxsize=None)
def fold_mappings() -> tuple[str, ...]:
    """``mapping`` char-filter rules doing Tolk's folding before tokenization.

    Each letter or digit whose NFKD form without combining marks differs is
    mapped to it (case kept: the stop filter needs the case for acronyms);
    combining marks and invisible characters are mapped to nothing.
    """
    rules = []
    invisible = [range(lo, hi + 1) for lo, hi in CF_RANGES if hi < 0x10000]
    invisible.append(list(range(0x00, 0x09)) + list(range(0x0E, 0x20)) + [0x7F])
    gone = sorted({cp for r in invisible for cp in r})
    for cp in gone:
        rules.append(f"{_java_escape(chr(cp))} => ")
    for cp in range(0x80, 0x10000):
        if any(lo <= cp <= hi for lo, hi in _UNFOLDED) or cp in gone:
            continue
        ch = chr(cp)
        if unicodedata.combining(ch):
            rules.append(f"{_java_escape(ch)} => ")
            continue
        if unicodedata.category(ch)[0] not in "LN":
            continue
        folded = "".join(c for c in unicodedata.normalize("NFKD", ch)
                         if not unicodedata.combining(c))
        if folded == ch or not folded:
            continue
        # Only when the folded form is still one word for the tokenizer.
        if not all(unicodedata.category(c)[0] in "LN" or c == "_" for c in folded):
            continue
        if fold(folded) != fold(ch):  # Python's full lowercasing disagrees: leave it
            continue
        rules.append(f"{_java_escape(ch)} => {_java_escape(folded)}")
    return tuple(rules)


def _number_filters(language: str) -> dict[str, dict]:
    """``index.analysis.normalize_number`` as anchored regex replacements.

    A decimal point is written as ``#`` until all separators are gone, so a
    later rule never reads a converted number again. No lookarounds or
    backreferences: the patterns must also compile in RE2-style engines
    (osmem-server), and each repeat is followed by a character it cannot
    match, so Java's backtracking stays linear.
    """
    d = _DIGIT
    sep = "\\." if THOUSANDS_SEPARATOR[language] == "." else ","
    body_dots = d + "+(?:\\." + d + "{3})+"
    body_commas = d + "+(?:," + d + "{3})+"
    rest = "(?:[.,]" + d + "{3})*"
    steps = [
        # 1,234 (en) / 1.234 (nl): one thousands separator, three digits after.
        ("^(" + d + "{1,3})" + sep + "(" + d + "{3})$", "$1$2"),
        # any other two groups: decimal.
        ("^(" + d + "+)[.,](" + d + "+)$", "$1#$2"),
        # Both separators, middle groups of three: the last separator is the decimal one.
        # 1.234.567,5 and 1,234,567.5: the switch comes at the last separator ...
        ("^(" + body_dots + "),(" + d + "+)$", "$1#$2"),
        ("^(" + body_commas + ")\\.(" + d + "+)$", "$1#$2"),
        # ... or before it: 1.234,567,5 and 1,234.567.5.
        ("^(" + body_dots + "," + d + "{3}" + rest + ")[.,](" + d + "+)$", "$1#$2"),
        ("^(" + body_commas + "\\." + d + "{3}" + rest + ")[.,](" + d + "+)$", "$1#$2"),
        # everything else: separators are thousands.
        ("[.,]", ""),
        ("#", "."),
    ]
    return {f"tolk_{language}_number_{i}": {"type": "pattern_replace", "pattern": p,
                                           "replacement": r, "all": True}
            for i, (p, r) in enumerate(steps, 1)}


# Appended to a word the override table has stemmed as a compound's tail, so
# keyword_marker keeps Snowball off it; removed after stemming. Tokens never hold
# it: the fold mapping deletes control characters before tokenization.
_MARK = "\u0001"


def _tail_filters(language: str, overrides: dict[str, str]) -> dict[str, dict]:
    """Compounds ending in an overridden word, when Tolk's StemFilter has that rule.

    ``kleinkinderen`` -> klein + override(``kinderen``): one anchored
    replacement per table word of at least ``MIN_OVERRIDE_TAIL`` letters,
    longest first (Tolk takes the longest tail). Empty when index.analysis has
    no such rule.
    """
    min_tail = getattr(_tolk, "MIN_OVERRIDE_TAIL", None)
    if min_tail is None:
        return {}
    min_head = getattr(_tolk, "MIN_COMPOUND_HEAD", 1)
    tails = sorted((w for w in overrides if len(w) >= min_tail and w.isalnum()),
                   key=lambda w: (-len(w), w))
    filters = {f"tolk_{language}_override_tail_{i}": {
        "type": "pattern_replace", "pattern": f"^(.{{{min_head},}}){tail}$",
        "replacement": f"$1{overrides[tail]}{_MARK}", "all": True}
        for i, tail in enumerate(tails, 1) if overrides[tail].isalnum()}
    if filters:
        filters[f"tolk_{language}_override_mark"] = {"type": "keyword_marker",
                                                     "keywords_pattern": ".*" + _rx(_MARK)}
    return filters


# Vulgar fractions: letters-or-numbers to the tokenizer (``24½`` is one word), but their
# fold (``1⁄2``) holds the fraction slash, which the fold mapping may not put in front
# of the tokenizer (it would split the word). So they are folded per token instead,
# after the hyphen filter (word_delimiter_graph would split at the slash).
VULGAR_FRACTIONS = "\u00bc\u00bd\u00be" + "".join(map(chr, range(0x2150, 0x2160))) + "\u2189"


def _fraction_filters(language: str) -> dict[str, dict]:
    """One ``pattern_replace`` per vulgar fraction: ``½`` -> ``1⁄2`` (NFKD)."""
    return {f"tolk_{language}_fraction_{i}": {
        "type": "pattern_replace", "pattern": _rx(ch),
        "replacement": unicodedata.normalize("NFKD", ch), "all": True}
        for i, ch in enumerate(VULGAR_FRACTIONS, 1)}


def _stopwords(language: str) -> list[str]:
    """Stopwords as written in lowercase and Capitalized, never all capitals."""
    from whoosh.lang.stopwords import stoplists

    words = set()
    for word in stoplists[language]:
        if fold(word) != word:  # Tolk compares folded tokens: never matches
            continue
        words.add(word)
        title = word[:1].upper() + word[1:]
        if len(title) == 1 or not title.isupper():
            words.add(title)
    return sorted(words)


def _hyphen_filter(parts: bool) -> dict:
    return {
        "type": "word_delimiter_graph",
        "generate_word_parts": parts,
        "generate_number_parts": parts,
        "catenate_words": False,
        "catenate_numbers": False,
        "catenate_all": True,
        "preserve_original": False,
        "split_on_case_change": False,
        "split_on_numerics": False,
        "stem_english_possessive": False,
        # Only hyphens split: "_" is part of a word, "." of a number.
        "type_table": ["_ => ALPHA", ". => DIGIT", ", => DIGIT"],
    }


def snowball_language(language: str, names: dict[str, str] | None = None,
                      stemmer: str | None = None) -> str:
    """The Snowball language for ``stemmer`` (default: ``language``'s in STEMMER_ALGORITHMS)."""
    algorithm = stemmer or STEMMER_ALGORITHMS[language]
    try:
        return (names or SNOWBALL_LANGUAGES)[algorithm]
    except KeyError:
        raise ValueError(f"stemmer {algorithm!r} has no OpenSearch snowball language") from None


def stemmer_is_exact(language: str) -> bool:
    """True if OpenSearch stems ``language`` with the same algorithm as Tolk."""
    return STEMMER_ALGORITHMS[language] in EXACT_STEMMERS


def probe_terms(language: str) -> dict[str, list[str]]:
    """Tolk's query terms for the :data:`STEM_PROBES` words of ``language``."""
    from index.analysis import analyze

    return {word: analyze(language, word, mode="query") for word in STEM_PROBES[language]}


def probe_mismatches(language: str, analyze_remote) -> dict[str, tuple[list[str], list[str]]]:
    """Probe words the engine analyzes differently from Tolk: ``word -> (tolk, engine)``.

    ``analyze_remote(analyzer_name, text) -> list[str]`` runs the engine's
    analyzer (OpenSearch: ``POST /<index>/_analyze``). Empty means the stemmer
    version matches on these words; otherwise index and queries would disagree.
    """
    mismatches = {}
    for word, expected in probe_terms(language).items():
        got = list(analyze_remote(SEARCH_ANALYZERS[language], word))
        if got != expected:
            mismatches[word] = (expected, got)
    return mismatches


def choose_snowball(language: str, stem_remote, stemmer: str | None = None):
    """The Snowball name whose stems on a live engine best match Tolk's.

    ``stem_remote(snowball_name, words) -> list[str] | None`` stems folded
    words with the engine's ``snowball`` filter (OpenSearch: ``POST /_analyze``
    with an inline filter) or returns None when the engine refuses the name.
    Returns ``(name, agreeing_probes, total_probes)``; a name that stems every
    probe like PyStemmer wins at once. Raises ValueError when none is accepted.
    """
    import Stemmer

    algorithm = stemmer or STEMMER_ALGORITHMS[language]
    words = [fold(word) for word in STEM_PROBES[language]]
    expected = Stemmer.Stemmer(algorithm).stemWords(words)
    best = None
    for name in SNOWBALL_CANDIDATES.get(algorithm, ()):
        got = stem_remote(name, words)
        if got is None:
            continue
        agreeing = sum(a == b for a, b in zip(expected, got))
        if best is None or agreeing > best[1]:
            best = (name, agreeing, len(words))
        if agreeing == len(words):
            break
    if best is None:
        raise ValueError(f"the engine accepts no Snowball stemmer for {algorithm!r} "
                         f"(tried {', '.join(SNOWBALL_CANDIDATES.get(algorithm, ())) or 'none'})")
    return best


def analysis_settings(language: str, snowball_names: dict[str, str] | None = None,
                      stemmer: str | None = None) -> dict:
    """The OpenSearch index ``settings.analysis`` block for one language index.

    Defines ``ANALYZERS[language]`` (documents: a hyphenated word gives the
    whole word and its parts) and ``SEARCH_ANALYZERS[language]`` (queries:
    the whole word only), like Tolk's ``index`` and ``query`` modes.
    ``snowball_names``: algorithm -> Snowball name, default
    :data:`SNOWBALL_LANGUAGES` (Lucene 8/9); :data:`SNOWBALL3_LANGUAGES`, or
    ``{algorithm: choose_snowball(...)[0]}`` for the cluster at hand. ``stemmer``: a
    PyStemmer algorithm instead of ``STEMMER_ALGORITHMS[language]`` (to compare).
    """
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; use one of {LANGUAGES}")
    p = f"tolk_{language}_"
    filters = {
        p + "length": {"type": "length", "min": 0, "max": MAX_TOKEN_CHARS},
        p + "possessive": {"type": "pattern_replace", "pattern": f"[{_rx(_APOSTROPHES)}][sS]$",
                           "replacement": "", "all": True},
        p + "apostrophe": {"type": "pattern_replace", "pattern": f"[{_rx(_APOSTROPHES)}]",
                           "replacement": "", "all": True},
        **_number_filters(language),
        p + "hyphen_index": _hyphen_filter(parts=True),
        p + "hyphen_search": _hyphen_filter(parts=False),
        **_fraction_filters(language),
        p + "stop": {"type": "stop", "stopwords": _stopwords(language), "ignore_case": False},
        p + "stem_override": {
            "type": "stemmer_override",
            "rules": [f"{w} => {s}" for w, s in sorted(load_stem_overrides(language).items())],
        },
        **_tail_filters(language, load_stem_overrides(language)),
        p + "keep_numbers": {"type": "keyword_marker", "keywords_pattern": _DIGIT + ".*"},
        p + "stem": {"type": "snowball",
                     "language": snowball_language(language, snowball_names, stemmer)},
    }
    before = [p + "length", p + "possessive", p + "apostrophe",
              *(name for name in filters if name.startswith(p + "number_"))]
    tails = [name for name in filters if name.startswith(p + "override_")]
    if tails:
        filters[p + "override_unmark"] = {"type": "pattern_replace", "pattern": _rx(_MARK),
                                          "replacement": "", "all": True}
    fractions = [name for name in filters if name.startswith(p + "fraction_")]
    after = [*fractions, p + "stop", "lowercase", p + "stem_override", *tails,
             p + "keep_numbers", p + "stem", *([p + "override_unmark"] if tails else [])]
    common = {"type": "custom", "char_filter": [p + "fold"], "tokenizer": p + "news"}
    return {
        "char_filter": {p + "fold": {"type": "mapping", "mappings": list(fold_mappings())}},
        "tokenizer": {p + "news": {"type": "pattern", "pattern": TOKEN_PATTERN, "group": 0}},
        "filter": filters,
        "analyzer": {
            ANALYZERS[language]: {**common, "filter": [*before, p + "hyphen_index", *after]},
            SEARCH_ANALYZERS[language]: {**common,
                                         "filter": [*before, p + "hyphen_search", *after]},
        },
    }
