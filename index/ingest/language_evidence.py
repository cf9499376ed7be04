"""Word evidence for "Dutch or English?": stopwords, dictionary headwords, the index's vocabulary.

A character n-gram model alone cannot tell a two-word headline apart: names,
places and loanwords ("Ajax", "storm", "Kharkiv") look like either language.
Tolk knows more than the model: the stopwords of both languages, the words of
both FreeDict dictionaries (headwords and translations), and, once documents are indexed, how often each
word occurs in Dutch and in English documents. Each source gives every word a
log-likelihood ratio (positive: Dutch, negative: English, 0: no evidence or
shared), and :mod:`index.ingest.language` adds them to the model's ratio. A
word both languages use (a name in Dutch and English news alike) scores about
0 from the index, which is what makes names harmless instead of misleading.

Everything here is loaded once per process (the word lists, about 0.6 s) or
once per index generation and doubling of its size (the vocabulary), and only
read afterwards, so threads share it.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from whoosh.lang.stopwords import stoplists

from index.analysis import fold

# Code whose change changes the word lists (the start-up cache's key).
_DICTIONARY_CODE = Path(__file__).resolve().parent.parent / "crosslink" / "dictionary.py"
_ANALYSIS_CODE = Path(__file__).resolve().parent.parent / "analysis.py"

__all__ = ["Vocabulary", "WordEvidence", "words", "word_evidence", "index_vocabulary",
           "stopwords_of", "known_share"]

# Letters only: digits, punctuation and apostrophes split words ("foto's" -> foto, s).
_WORD_RE = re.compile(r"[^\W\d_]+")

# Weights of the sources, in natural-log units per word. Chosen by a grid search (model
# weight 0.5-1.5, stopwords 1.5-2.5, word lists 0.8-2.5, inflections 0.4-0.8, index
# 0.5-1.2) on the 1-3-word openings of FLORES devtest lines 0-505, with the vocabulary of
# lines 506-1011: these give 94.37 %, the best of the 216 combinations 94.43 %; accuracy
# is flat around them, so they are not tuned to the test items.
STOPWORD_LLR = 2.5  # a stopword of one language only
HEADWORD_LLR = 1.5  # in the FreeDict word list of one language only
STEM_HEADWORD_LLR = 0.8  # in no word list, but an inflection of a word in one (_SUFFIXES)
VOCABULARY_WEIGHT = 0.8  # times the index's document-frequency log ratio
VOCABULARY_CAP = 3.0  # |log ratio| of one word from the index is at most this
# The index's vocabulary counts only when both languages have this many documents: with
# fewer, document frequencies say more about the few documents than about the language.
VOCABULARY_MIN_DOCS = 20
# A word must be in at least this many indexed documents (both languages together).
VOCABULARY_MIN_DF = 2
# Per index language, at most this many of the most frequent words are kept in memory.
VOCABULARY_MAX_WORDS = 300_000

# Whoosh has no Afrikaans stoplist; Afrikaans is the language Dutch is most often
# confused with, so its own function words must not count as Dutch evidence.
_EXTRA_STOPLISTS = {
    "af": frozenset("die en van in is het nie om te op vir dat met n sy hy ek jy ons hulle "
                    "was word wat aan as by ook kan sal nog maar uit tot na so dit".split()),
}


def words(text: str, limit: int | None = None) -> list[str]:
    """The first ``limit`` words of ``text``, lowercased and accent-folded
    (``Oekraïne`` -> ``oekraine``)."""
    found = (m.group() for m in _WORD_RE.finditer(text))
    return [fold(w) for w in itertools.islice(found, limit)]


def stopwords_of(language: str) -> frozenset:
    """Stopwords of a language (empty when Tolk has no list for it)."""
    if language in _EXTRA_STOPLISTS:
        return _EXTRA_STOPLISTS[language]
    return frozenset(fold(w) for w in stoplists.get(language, ()))


@lru_cache(maxsize=1)
def _headwords(freedict_dir: str) -> tuple[frozenset, frozenset]:
    """The Dutch and English word lists (:func:`_build_headwords`), from the start-up cache
    (``index.startup_cache``) when it has them for these dictionary files and this code."""
    from index import startup_cache
    from index.crosslink.dictionary import FILES

    stamps = [startup_cache.file_stamp(Path(freedict_dir) / f"{name}{ext}")
              for name in FILES.values() for ext in (".index", ".dict.dz")]
    code = [Path(__file__).read_bytes(), Path(_DICTIONARY_CODE).read_bytes(),
            Path(_ANALYSIS_CODE).read_bytes()]
    key = startup_cache.key_of(stamps, hashlib.sha256(b"".join(code)).hexdigest(),
                               _whoosh_version())
    payload = startup_cache.read("headwords", key)
    if payload is not None:
        try:
            nl, en = str(payload, "utf-8").split("\0")
            return frozenset(nl.split("\n")) - {""}, frozenset(en.split("\n")) - {""}
        except (UnicodeDecodeError, ValueError):  # checked by its hash, so never expected
            pass
    lists = _build_headwords(freedict_dir)
    startup_cache.write("headwords", key,
                        "\0".join("\n".join(sorted(words)) for words in lists).encode("utf-8"))
    return lists


def _whoosh_version() -> str | None:
    from importlib import metadata

    try:
        return metadata.version("whoosh")
    except metadata.PackageNotFoundError:
        try:
            return metadata.version("Whoosh-Reloaded")
        except metadata.PackageNotFoundError:
            return None


def _build_headwords(freedict_dir: str) -> tuple[frozenset, frozenset]:
    """Dutch and English common words: each dictionary's headwords plus the single words
    of the other dictionary's translations into that language (eng-nld alone has only
    6,000 English headwords against 20,000 Dutch ones, which made unknown English words
    look Dutch). Words written with a capital (names) are left out."""
    from index.crosslink.dictionary import FILES, read_dictd

    heads = {"nl": set(), "en": set()}
    translated = {"nl": set(), "en": set()}
    for (src, dst), name in FILES.items():
        index, data = Path(freedict_dir) / f"{name}.index", Path(freedict_dir) / f"{name}.dict.dz"
        if not (index.exists() and data.exists()):
            continue
        for entry in read_dictd(index, data):
            heads[src].update(_plain_words(entry.headword))
            for sense in entry.senses:
                for item in sense:
                    translated[dst].update(_plain_words(item))
    result = []
    for lang in ("nl", "en"):
        known = heads[lang] | stopwords_of(lang)
        # FreeDict squashes some English phrasal verbs ("put in" -> "putin", "put away"
        # -> "putaway"): a translated word that is a known word and a particle glued
        # together is left out.
        extra = {w for w in translated[lang] - known if lang != "en" or not _glued(w, known)}
        result.append(frozenset(heads[lang] | extra))
    return result[0], result[1]


_PARTICLES = ("in", "on", "up", "out", "off", "away", "back", "down", "over", "into", "at")


def _glued(word: str, known: set) -> bool:
    """Whether ``word`` is a known word of 3+ letters and an English particle glued."""
    return any(word.endswith(p) and len(word) - len(p) >= 3 and word[: -len(p)] in known
               for p in _PARTICLES)


def _plain_words(phrase: str) -> list[str]:
    """Folded words of a dictionary phrase that start lowercase (no names), 3+ letters
    (shorter ones are abbreviations both languages use, "dr", "km"; the stopword lists
    cover the short function words)."""
    return [fold(w) for w in _WORD_RE.findall(phrase) if w[:1].islower() and len(w) > 2]


# Inflections the dictionaries do not list: (suffix, replacement) per language, tried on
# words of 4+ letters that are in neither word list ("troops" -> troop, "valt" -> val,
# "troepen" -> troep). A word whose base is found in one language only counts for it.
_SUFFIXES = {
    "en": (("ies", "y"), ("es", ""), ("s", ""), ("ed", ""), ("ed", "e"), ("ing", ""),
           ("ing", "e"), ("ers", ""), ("er", ""), ("ly", "")),
    "nl": (("en", ""), ("s", ""), ("t", ""), ("te", ""), ("ten", ""), ("de", ""), ("den", ""),
           ("e", ""), ("je", ""), ("tje", ""), ("jes", ""), ("tjes", "")),
}


def _inflected(word: str, language: str, known: frozenset) -> bool:
    """Whether ``word`` is an inflection of a word in ``known`` by ``language``'s suffixes."""
    for suffix, replacement in _SUFFIXES[language]:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: -len(suffix)] + replacement
            if base in known:
                return True
            if language == "nl" and base[-1] == base[-2] and base[:-1] in known:
                return True  # "vallen" -> vall -> val
    return False


@dataclass
class Vocabulary:
    """Document frequencies of words per language, from an index or from texts."""

    docs: dict[str, int]  # language -> number of documents
    df: dict[str, tuple[int, int]] = field(default_factory=dict)  # word -> (df nl, df en)

    @property
    def usable(self) -> bool:
        return min(self.docs.get("nl", 0), self.docs.get("en", 0)) >= VOCABULARY_MIN_DOCS

    def llr(self, word: str) -> float:
        """log(share of Dutch documents with ``word`` / share of English ones), capped."""
        counts = self.df.get(word)
        if counts is None or sum(counts) < VOCABULARY_MIN_DF:
            return 0.0
        nl = (counts[0] + 0.5) / (self.docs["nl"] + 1)
        en = (counts[1] + 0.5) / (self.docs["en"] + 1)
        return max(-VOCABULARY_CAP, min(VOCABULARY_CAP, math.log(nl / en)))

    @classmethod
    def from_texts(cls, texts: dict[str, list[str]]) -> "Vocabulary":
        """Count document frequencies in ``{"nl": [text, ...], "en": [...]}``."""
        df: dict[str, list[int]] = {}
        for column, lang in enumerate(("nl", "en")):
            for text in texts.get(lang, ()):
                for word in set(words(text)):
                    df.setdefault(word, [0, 0])[column] += 1
        return cls(docs={lang: len(texts.get(lang, ())) for lang in ("nl", "en")},
                   df={w: (c[0], c[1]) for w, c in df.items()})

    @classmethod
    def from_searchers(cls, searchers: dict) -> "Vocabulary":
        """Document frequencies of the ``spell`` field (unstemmed, folded words) per language.

        ``searchers`` maps "nl"/"en" to Whoosh searchers of one commit point.
        """
        per_lang: dict[str, dict[str, int]] = {}
        docs = {}
        for lang in ("nl", "en"):
            searcher = searchers[lang]
            docs[lang] = searcher.doc_count()
            counts = {}
            reader = searcher.reader()
            if "spell" in reader.schema:
                for term, info in reader.iter_field("spell"):
                    text = term.decode("utf-8") if isinstance(term, bytes) else term
                    if text.isalpha():
                        counts[text] = info.doc_frequency()
            if len(counts) > VOCABULARY_MAX_WORDS:
                keep = sorted(counts.items(), key=lambda kv: -kv[1])[:VOCABULARY_MAX_WORDS]
                counts = dict(keep)
            per_lang[lang] = counts
        df = {}
        for word in per_lang["nl"].keys() | per_lang["en"].keys():
            df[word] = (per_lang["nl"].get(word, 0), per_lang["en"].get(word, 0))
        return cls(docs=docs, df=df)


@dataclass
class WordEvidence:
    """What the word lists say about a text."""

    llr: float  # summed log-likelihood ratio, Dutch over English
    known: int  # words found in a Dutch or English list or the index
    total: int  # words in the text
    by_source: dict[str, float] = field(default_factory=dict)  # source -> summed llr


def word_evidence(tokens: list[str], vocabulary: Vocabulary | None = None,
                  freedict_dir: str | None = None) -> WordEvidence:
    """Sum the per-word log-likelihood ratios of every source over ``tokens``."""
    stop_nl, stop_en = stopwords_of("nl"), stopwords_of("en")
    head_nl, head_en = _headwords(freedict_dir) if freedict_dir else (frozenset(), frozenset())
    use_vocabulary = vocabulary is not None and vocabulary.usable
    sources = {"stopwords": 0.0, "dictionary": 0.0, "index": 0.0}
    known = 0
    for word in tokens:
        is_known = False
        stop = (word in stop_nl) - (word in stop_en)
        sources["stopwords"] += STOPWORD_LLR * stop
        in_nl, in_en = word in head_nl, word in head_en
        is_known |= word in stop_nl or word in stop_en or in_nl or in_en
        if in_nl or in_en:
            sources["dictionary"] += HEADWORD_LLR * (in_nl - in_en)
        elif len(word) > 3:
            sn, se = _inflected(word, "nl", head_nl), _inflected(word, "en", head_en)
            sources["dictionary"] += STEM_HEADWORD_LLR * (sn - se)
            is_known |= sn or se
        if use_vocabulary:
            sources["index"] += VOCABULARY_WEIGHT * vocabulary.llr(word)
            is_known |= word in vocabulary.df
        known += is_known
    return WordEvidence(llr=sum(sources.values()), known=known, total=len(tokens),
                        by_source={k: round(v, 3) for k, v in sources.items()})


def known_share(tokens: list[str], foreign: str, freedict_dir: str | None = None) -> float:
    """Share of ``tokens`` that are Dutch or English stopwords or headwords, and not
    stopwords of the language ``foreign`` (so German "die", "in" do not count)."""
    if not tokens:
        return 0.0
    head_nl, head_en = _headwords(freedict_dir) if freedict_dir else (frozenset(), frozenset())
    ours = stopwords_of("nl") | stopwords_of("en")
    theirs = stopwords_of(foreign)
    hits = sum(1 for w in tokens
               if w not in theirs and (w in ours or w in head_nl or w in head_en))
    return hits / len(tokens)


_vocab_lock = threading.Lock()
_vocab_cache: dict = {}


def index_vocabulary(reader) -> Vocabulary | None:
    """The vocabulary of the index an :class:`~index.storage.IndexReader` reads, or None.

    Loaded once per generation and again each time the index has doubled in size
    (so a growing index is re-read O(log n) times, and a steady one never). None
    when there is no index yet or it cannot be read: detection then goes without.
    """
    try:
        generation = reader.generation
        counts = reader.counts()
    except Exception:  # no index yet, or not readable: detection works without it
        return None
    size = sum(counts.values())
    key = (str(generation), size.bit_length())
    with _vocab_lock:
        cached = _vocab_cache.get("entry")
        if cached is not None and cached[0] == key:
            return cached[1]
        if min(counts.get("nl", 0), counts.get("en", 0)) < VOCABULARY_MIN_DOCS:
            vocabulary = None
        else:
            try:
                vocabulary = Vocabulary.from_searchers(reader.searchers())
            except Exception:
                vocabulary = None
        _vocab_cache["entry"] = (key, vocabulary)
        return vocabulary


def default_freedict_dir() -> str | None:
    """Debian's FreeDict folder when it is there."""
    from index.crosslink.dictionary import DEFAULT_DIR

    return str(DEFAULT_DIR) if DEFAULT_DIR and Path(DEFAULT_DIR).exists() else None
