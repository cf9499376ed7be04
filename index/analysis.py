"""Text analysis: one Whoosh analyzer per language.

The pipeline follows Whoosh's own layout, a tokenizer followed by filters:

    NewsTokenizer -> NormalizeFilter -> StopFilter -> [DecompoundFilter] -> StemFilter

* ``NewsTokenizer`` first applies :func:`index.normalize.normalize_text` (NFC,
  invisibles such as a zero-width joiner or soft hyphen removed), the same
  normalization queries get, so ``Poe\u200dtin`` is one word, ``poetin``.
* ``NewsTokenizer`` knows Dutch and English surface forms: ``foto's`` -> foto,
  ``Putin's`` -> putin, hyphenated words give the whole word *and* its parts
  (``Wit-Rusland`` -> witrusland, wit, rusland), and numbers lose their
  thousands separator (``130.000`` in Dutch and ``130,000`` in English are
  both ``130000``).
* ``NormalizeFilter`` lowercases and folds accents (``Oekraïne`` -> oekraine)
  before stemming, because the Snowball ``dutch`` stemmer keeps accents.
* ``StopFilter`` drops stopwords, but never an all-capitals acronym: ``US``
  and ``WHO`` stay searchable in English.
* ``DecompoundFilter`` (Dutch only, index mode) adds a compound's parts at its
  position: ``gasprijzen`` -> gasprijzen, gas, prijzen (``index.decompound``).
* ``StemFilter`` stems with PyStemmer's Snowball stemmers, after looking the
  word up in a stem-override table for known bad cases (fiets/fietsen, ...);
  a compound that ends in such a word follows it (grensgebieden -> grensgebied).
  Dutch uses the Kraaij-Pohlmann ``dutch`` algorithm, not ``dutch_porter``
  (Lucene's): measured in docs/notes/stem.md, it gives the higher Dutch MRR.
  :func:`analyzer_version` names the analysis an index was built with, so an
  index built with another one is noticed (``index.storage.health``).

Every piece is picklable, because Whoosh stores analyzers in the schema.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

import Stemmer
from whoosh.analysis import Filter, Token, Tokenizer
from whoosh.lang.stopwords import stoplists

from index import decompound
from index.normalize import normalize_text

LANGUAGES = ("nl", "en")

# Words longer than this are not kept in the per-process stem and term caches:
# a document of long unique "words" must not fill memory.
CACHED_WORD_CHARS = 64

# Snowball algorithm per language. One choice for index and query time;
# changing it means a full reindex (`tolk index --rebuild`).
STEMMER_ALGORITHMS = {"nl": "dutch", "en": "english"}

# A compound ending in a word of the override table is stemmed like it
# (kleinkinderen -> kleinkind, grensgebieden -> grensgebied): a tail of at least
# MIN_OVERRIDE_TAIL letters after a head of at least MIN_COMPOUND_HEAD.
MIN_OVERRIDE_TAIL = 5
MIN_COMPOUND_HEAD = 2

# Thousands separator per language; the other one of "." and "," is decimal.
THOUSANDS_SEPARATOR = {"nl": ".", "en": ","}

_APOSTROPHES = "'\u2019\u2018\u02bc"
_TOKEN_RE = re.compile(
    r"(?P<number>\d+(?:[.,]\d+)+)"
    r"|(?P<word>\w+(?:[" + _APOSTROPHES + r"\-\u2010\u2011]\w+)*)",
    re.UNICODE,
)
# The same tokens without named groups, for findall (whole tokens, or with a group of one's own).
PLAIN_TOKEN_PATTERN = re.sub(r"\(\?P<\w+>", "(?:", _TOKEN_RE.pattern)
_SPLIT_RE = re.compile(r"[\-\u2010\u2011]")
_APOSTROPHE_RE = re.compile("[" + _APOSTROPHES + "]")


def fold(text: str) -> str:
    """Lowercase and strip accents: ``Oekraïne`` -> ``oekraine``, ``ĳ`` -> ``ij``."""
    if text.isascii():  # most words; NFKD leaves ASCII as it is
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def normalize_number(text: str, language: str) -> str:
    """Return the canonical form of a number with separators.

    Groups of exactly three digits after the language's thousands separator,
    or after two or more separators of one kind, are thousands; otherwise the
    separator is a decimal point, written as ``.``.
    """
    seps = set(re.findall(r"[.,]", text))
    groups = re.split(r"[.,]", text)
    all_three = all(len(g) == 3 for g in groups[1:]) and 1 <= len(groups[0]) <= 3
    if len(seps) == 1 and all_three:
        sep = seps.pop()
        if sep == THOUSANDS_SEPARATOR.get(language, ",") or len(groups) > 2:
            return "".join(groups)
        return groups[0] + "." + "".join(groups[1:])
    if len(seps) == 2 and all(len(g) == 3 for g in groups[1:-1]):
        # 1.234,5 (nl) or 1,234.5 (en): the last separator is the decimal one.
        return "".join(groups[:-1]) + "." + groups[-1]
    if len(seps) == 1 and len(groups) == 2:
        return groups[0] + "." + groups[1]
    return "".join(groups)


def _strip_apostrophe(word: str) -> str:
    """``foto's`` -> ``foto``, ``Putin's`` -> ``Putin``, ``zo'n`` -> ``zon``."""
    parts = _APOSTROPHE_RE.split(word)
    if len(parts) > 1 and parts[-1].lower() == "s":
        parts = parts[:-1]
    return "".join(parts)


class NewsTokenizer(Tokenizer):
    """Split Dutch or English news text into words and numbers.

    In ``index`` mode a hyphenated word gives the whole word at the position
    of its first part, followed by the parts, so a search for the whole word
    and for each part both match. In ``query`` mode only the whole word is
    produced, with the same position span, so phrases line up either way.
    """

    def __init__(self, language: str):
        self.language = language

    def __eq__(self, other):
        return type(self) is type(other) and self.language == other.language

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, tokenize=True,
                 mode="", **kwargs):
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        if not tokenize:
            t.original = t.text = value
            t.boost = 1.0
            t.acronym = False
            if positions:
                t.pos = start_pos
            if chars:
                t.startchar, t.endchar = start_char, start_char + len(value)
            yield t
            return
        # Character offsets (chars=True) refer to the normalized value; stored
        # document text is already normalized by cleaning, so for it they are the same.
        value = normalize_text(value)
        pos = start_pos
        for match in _TOKEN_RE.finditer(value):
            raw = match.group()
            start, end = match.span()
            if match.lastgroup == "number":
                pieces = [normalize_number(raw, self.language)]
                whole = None
            elif raw.isalnum():  # most words: no apostrophe or hyphen to handle
                pieces = [raw]
                whole = None
            else:
                word = _strip_apostrophe(raw)
                pieces = [p for p in _SPLIT_RE.split(word) if p]
                # The whole keeps a "-" marker until StemFilter joins it.
                whole = "-".join(pieces) if len(pieces) > 1 else None
                if whole is None:
                    pieces = [word]
            emitted = []
            if whole is not None:
                emitted.append((whole, 0))
                if mode != "query":
                    emitted.extend((p, i) for i, p in enumerate(pieces))
            else:
                emitted.append((pieces[0], 0))
            for text, offset in emitted:
                t.text = text
                t.original = raw
                t.acronym = len(text) > 1 and text.isupper()
                t.boost = 1.0
                t.stopped = False
                if keeporiginal:
                    t.original = raw
                if positions:
                    t.pos = pos + offset
                if chars:
                    t.startchar, t.endchar = start_char + start, start_char + end
                yield t
            pos += len(pieces)


class NormalizeFilter(Filter):
    """Lowercase and fold accents, remembering whether a token was an acronym."""

    def __call__(self, tokens):
        for t in tokens:
            t.acronym = getattr(t, "acronym", False)
            t.text = fold(t.text)
            yield t


class StopFilter(Filter):
    """Drop stopwords, keeping all-capitals acronyms and position gaps.

    Unlike Whoosh's StopFilter, renumbering keeps tokens that share a position
    (a hyphenated whole and its first part) on the same position.
    """

    def __init__(self, language: str, extra=()):
        self.language = language
        self.stops = frozenset(stoplists[language]) | frozenset(extra)

    def __eq__(self, other):
        return type(self) is type(other) and self.stops == other.stops

    def __call__(self, tokens):
        # Positions arrive in non-decreasing order; a position all of whose tokens are
        # stopwords is removed, and later positions shift down by the removed count.
        shift = 0
        current, kept, stopped = None, False, False
        for t in tokens:
            positions = t.positions
            if positions and t.pos != current:
                if stopped and not kept:
                    shift += 1
                current, kept, stopped = t.pos, False, False
            if t.text in self.stops and not t.acronym:
                stopped = True
                if not t.removestops:
                    t.stopped = True
                    yield t
                continue
            kept = True
            if positions and shift:
                t.pos -= shift
            yield t


@lru_cache(maxsize=None)
def load_stem_overrides(language: str) -> dict[str, str]:
    """Return the override table ``word -> stem`` for a language.

    The table lives in ``index/data/stem_overrides.tsv`` (language, word,
    stem) so that it can be reviewed and extended without code.
    """
    table = {}
    text = resources.files("index").joinpath("data/stem_overrides.tsv").read_text("utf-8")
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        lang, word, stem = line.split("\t")
        if lang == language:
            table[fold(word)] = fold(stem)
    return table


class DecompoundFilter(Filter):
    """Index a Dutch compound's parts beside it: ``grensgebied`` -> grensgebied, grens, gebied.

    The parts share the whole word's position and characters (as Lucene's
    DictionaryCompoundWordTokenFilter does), so phrases still line up and a
    part match highlights the whole word. Only in index mode: a query word
    stays whole (its parts are searched by ``index.search.expansion``).
    Splitting is :mod:`index.decompound`; ``TOLK_DECOMPOUND=off`` turns it off.
    """

    RULES = 1  # version of the splitting rules (part of analyzer_version)

    def __eq__(self, other):
        return type(self) is type(other)

    @staticmethod
    def may_split(text: str) -> bool:
        """True if an index-mode token of this (folded) text is looked up for parts."""
        return (decompound.enabled() and len(text) >= decompound.MIN_WORD
                and "-" not in text)

    def __call__(self, tokens):
        for t in tokens:
            if t.mode == "query" or getattr(t, "stopped", False) or not self.may_split(t.text):
                yield t
                continue
            parts = decompound.split(t.text)
            yield t
            for part in parts:
                t.text = part
                yield t


class StemFilter(Filter):
    """Stem with PyStemmer (Snowball), after consulting an override table.

    The ``Stemmer.Stemmer`` object cannot be pickled, so it is created lazily
    and left out of the pickled state.
    """

    # Version of the rules in stem() beyond the Snowball algorithm and the table
    # (2: a compound follows its overridden tail; 3: a hyphenated whole is stemmed as one
    # word, not head + stem(last part)). Stored with the pickled analyzer; one unpickled
    # from an older index has none and counts as 1: an index built before has other terms.
    RULES = 3

    def __init__(self, language: str, overrides: dict[str, str] | None = None):
        self.language = language
        self.rules = self.RULES
        self.algorithm = STEMMER_ALGORITHMS[language]
        self.overrides = dict(load_stem_overrides(language) if overrides is None else overrides)
        self._stemmer = None
        self._cache = {}

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_stemmer"] = None
        state["_cache"] = {}
        state.pop("_longest_override", None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)

    def __eq__(self, other):
        return (type(self) is type(other) and self.algorithm == other.algorithm
                and self.overrides == other.overrides)

    def stem(self, word: str) -> str:
        """Stem one folded, lowercase word.

        A hyphenated whole (``minsk-akkoorden``) is joined first and stemmed as
        one word (``minskakkoorden`` -> minskakkoord), as Lucene's
        word_delimiter_graph + Snowball do, so ``e-mail`` and ``email``,
        ``breath-taking`` and ``breathtaking`` give the same term.
        """
        cached = self._cache.get(word)
        if cached is not None:
            return cached
        if "-" in word:
            stem = self.stem(word.replace("-", ""))
        elif word in self.overrides:
            stem = self.overrides[word]
        elif (tail := self._override_tail(word)) is not None:
            stem = word[:-len(tail)] + self.overrides[tail]
        elif word[:1].isdigit():
            stem = word
        else:
            if self._stemmer is None:
                self._stemmer = Stemmer.Stemmer(self.algorithm)
            stem = self._stemmer.stemWord(word)
        if len(self._cache) < 200_000 and len(word) <= CACHED_WORD_CHARS:
            self._cache[word] = stem
        return stem

    def _override_tail(self, word: str) -> str | None:
        """The longest overridden word that ends ``word`` after a head of at least
        MIN_COMPOUND_HEAD letters (``grensgebieden`` ends in ``gebieden``), or None."""
        longest = self.__dict__.get("_longest_override")
        if longest is None:  # no tail is longer than the longest overridden word
            longest = self._longest_override = max(map(len, self.overrides), default=0)
        # Only cuts that leave a tail of at most ``longest`` letters: linear in the word.
        for cut in range(max(MIN_COMPOUND_HEAD, len(word) - longest),
                         len(word) - MIN_OVERRIDE_TAIL + 1):
            if word[cut:] in self.overrides:
                return word[cut:]
        return None

    def __call__(self, tokens):
        for t in tokens:
            if not getattr(t, "stopped", False):
                t.text = self.stem(t.text)
            yield t


def language_analyzer(language: str):
    """Build the analyzer for ``language`` ("nl" or "en")."""
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}; use one of {LANGUAGES}")
    if language == "nl":
        return (NewsTokenizer(language) | NormalizeFilter() | StopFilter(language)
                | DecompoundFilter() | StemFilter(language))
    return (NewsTokenizer(language) | NormalizeFilter() | StopFilter(language)
            | StemFilter(language))


def analyzer_version(analyzer) -> str:
    """A short name of what an analyzer's stemming does: the Snowball algorithm and a
    digest of its override table (``dutch+3f2a9c1b``). Two analyzers with the same
    version give the same terms; an index stores its analyzer in its schema."""
    import hashlib

    stem_filter = next((f for f in getattr(analyzer, "items", ()) if isinstance(f, StemFilter)),
                       None)
    if stem_filter is None:
        return "none"
    table = "\n".join(f"{k}\t{v}" for k, v in sorted(stem_filter.overrides.items()))
    rules = f"rules{getattr(stem_filter, 'rules', 1)}"
    # An index built with the compound filter holds part terms beside the whole word:
    # without it (an index from before decompounding) its terms differ.
    if any(isinstance(f, DecompoundFilter) for f in getattr(analyzer, "items", ())):
        rules += f"+decompound{DecompoundFilter.RULES}"
    digest = hashlib.sha1((table + rules).encode("utf-8")).hexdigest()[:8]
    return f"{stem_filter.algorithm}+{digest}"


def spelling_analyzer(language: str):
    """Words as written, lowercased and accent-folded, no stopwords or stemming."""
    return NewsTokenizer(language) | NormalizeFilter()


@lru_cache(maxsize=None)
def analyzer_for(language: str):
    """A shared analyzer instance per language (analyzers hold no per-call state)."""
    return language_analyzer(language)


def analyze(language: str, text: str, mode: str = "query") -> list[str]:
    """Return the index terms of ``text`` as analyzed for ``language``."""
    return [t.text for t in analyzer_for(language)(text, mode=mode)]


def word_terms(language: str, raw: str) -> frozenset:
    """The index terms one raw token of text yields (a hyphenated word: whole and parts)."""
    if len(raw) > CACHED_WORD_CHARS:
        return _word_terms(language, raw)
    return _cached_word_terms(language, raw)


def _word_terms(language: str, raw: str) -> frozenset:
    return frozenset(t.text for t in analyzer_for(language)(raw, mode="index"))


_cached_word_terms = lru_cache(maxsize=200_000)(_word_terms)


def word_terms_unsplit(language: str, raw: str) -> tuple[frozenset, tuple]:
    """``word_terms`` without looking up compound parts: (the terms of the token's words
    themselves, the folded words the analyzer would look up for parts). The full terms
    are these plus the stems of ``decompound.split(word)`` of each word named; every such
    part is a substring of its word (``index.decompound``)."""
    analyzer = analyzer_for(language)
    items = analyzer.items
    splitter = next((i for i, f in enumerate(items) if isinstance(f, DecompoundFilter)), None)
    stem = items[-1].stem
    if raw.isascii() and raw.isalnum():
        # Most words: one token, nothing to normalize, fold is lower(); what the chain
        # below gives, without its generators.
        stops = next(f for f in items if isinstance(f, StopFilter)).stops
        word = raw.lower()
        if word in stops and not (len(raw) > 1 and raw.isupper()):
            return frozenset(), ()
        split = splitter is not None and DecompoundFilter.may_split(word)
        return frozenset((stem(word),)), (word,) if split else ()
    if splitter is None:
        return word_terms(language, raw), ()
    tokens = items[0](raw, mode="index")
    for item in items[1:splitter]:
        tokens = item(tokens)
    terms, words = set(), []
    for t in tokens:
        if getattr(t, "stopped", False):  # kept unstemmed, as StemFilter does
            terms.add(t.text)
            continue
        terms.add(stem(t.text))
        if DecompoundFilter.may_split(t.text):
            words.append(t.text)
    return frozenset(terms), tuple(words)


def iter_words(text: str):
    """``(raw, start, end)`` for every word or number token of ``text``."""
    for match in _TOKEN_RE.finditer(text):
        yield match.group(), match.start(), match.end()


def stem_word(language: str, word: str) -> str:
    """Stem one word the way the index does (folding first)."""
    return analyzer_for(language)[-1].stem(fold(word))


def is_stopword(language: str, word: str) -> bool:
    """True if the folded word is a stopword in ``language``."""
    return fold(word) in stoplists[language]
