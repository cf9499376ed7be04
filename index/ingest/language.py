"""Language detection: is a text Dutch (nl) or English (en)?

Tolk indexes Dutch and English only, so the question for a text is "Dutch or
English?", not "which of 97 languages?": asked the second way, py3langid reads
the headline "Kabinet valt" as Norwegian Nynorsk. The answer adds up
log-likelihood ratios (Dutch over English) from independent pieces of evidence:

* py3langid's character n-gram model, restricted to nl and en, its ratio
  scaled by 1/sqrt(bytes) as py3langid does to calibrate its probabilities;
* per word (:mod:`index.ingest.language_evidence`): stopwords, the FreeDict
  word lists (or a simple inflection of a listed word), and the document
  frequencies of the word in the Dutch and English documents of the current
  index, once it has 20 documents of each;
* a small prior from the index's share of each language (same condition).

``sigmoid(sum)`` is the probability of Dutch; the confidence is that of the
chosen language. Text too weak to decide (``confidence < LOW_CONFIDENCE``:
"storm", "Putin.") goes to ``default`` (``TOLK_DEFAULT_LANGUAGE``) when one is
set, and otherwise to the better guess, flagged as low confidence.

A text is refused as another language only when that is reliable: at least
FOREIGN_MIN_WORDS words, the full model (all its languages) puts another
language on top with probability >= FOREIGN_MIN_PROB, and at most
FOREIGN_MAX_KNOWN of its words are Dutch or English words that are not also
function words of that language. The thresholds are measured in
bench/language_accuracy.py (BENCHMARKS.md).

The model is loaded once, lazily, on first use (about 0.8 s), and shared by
all threads; classification itself does not change the model.
"""

from __future__ import annotations

import logging
import math
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from index.ingest.language_evidence import (Vocabulary, default_freedict_dir, known_share,
                                            word_evidence, words)

__all__ = ["Detection", "LanguageError", "LanguageOptions", "LANGUAGES", "detect_language",
           "given_language_warning", "language_name", "warm_up"]

LANGUAGES = ("nl", "en")

# Weight of the n-gram model's nl/en log ratio (already divided by sqrt(bytes)).
# Fitted with the word weights in language_evidence (see there).
MODEL_WEIGHT = 1.0
# Below this confidence a text is undecided: TOLK_DEFAULT_LANGUAGE decides, or the better
# guess is flagged as low confidence. On FLORES openings (bench/language_accuracy.py),
# decisions at or above it are right in 99.0 % (1 word) to 99.8 % (5 words) of cases.
LOW_CONFIDENCE = 0.9
# The prior from the index's languages: half their log ratio, at most this much.
PRIOR_CAP = 0.5

# Refusing a text as another language (see the module docstring); measured on German,
# French, Spanish and Afrikaans sentences and FLORES Dutch/English openings in
# bench/language_accuracy.py: no Dutch or English opening of 8+ words is refused.
FOREIGN_MIN_WORDS = 8
FOREIGN_MIN_PROB = 0.9
FOREIGN_MAX_KNOWN = 0.5

# Word evidence reads at most this many words: 300 words decide any text, and the
# per-word lookups were half the cost of preparing a long document.
MAX_WORDS = 300

# Only the start of a long text is read: news is written in one language and
# the work grows with the number of bytes.
SAMPLE_CHARS = 10_000

_LETTER_RE = re.compile(r"[^\W\d_]")
_INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200f\u2060\ufeff]")

log = logging.getLogger(__name__)

_identifier = None
_identifier_lock = threading.Lock()


class LanguageError(ValueError):
    """The text has no words, or is reliably in another language than Dutch or English."""


@dataclass(frozen=True)
class LanguageOptions:
    """What detection may use beyond the model, and what to do when undecided."""

    vocabulary: Vocabulary | None = None  # the index's words per language
    default: str | None = None  # TOLK_DEFAULT_LANGUAGE: "nl", "en" or None
    freedict_dir: str | None = field(default_factory=default_freedict_dir)


@dataclass
class Detection:
    """Result of :func:`detect_language`."""

    language: str  # "nl" or "en"
    confidence: float  # probability of the detected language (nl vs en), 0.5..1
    scores: dict[str, float] = field(default_factory=dict)  # probability of nl and of en
    low_confidence: bool = False  # confidence < LOW_CONFIDENCE
    by_default: bool = False  # undecided, so TOLK_DEFAULT_LANGUAGE was used
    evidence: dict[str, float] = field(default_factory=dict)  # source -> log ratio nl/en
    top_language: str = ""  # the full model's first choice among all its languages
    top_probability: float = 0.0
    guess: str = ""  # the better of nl and en, before TOLK_DEFAULT_LANGUAGE

    def describe(self) -> str:
        """One line for the per-document decisions."""
        if self.by_default:
            return (f"language {self.language} (TOLK_DEFAULT_LANGUAGE; detection undecided: "
                    f"{self.guess} {self.scores.get(self.guess, 0.0):.2f})")
        if self.low_confidence:
            return (f"language {self.language} (best guess, low confidence {self.confidence:.2f}:"
                    " too little to tell Dutch from English; give 'language' or set "
                    "TOLK_DEFAULT_LANGUAGE)")
        return f"language {self.language} (detected, confidence {self.confidence:.2f})"

    def explain(self) -> str:
        """The evidence behind it, for the decisions: log ratios, Dutch positive."""
        parts = ", ".join(f"{name} {value:+.2f}" for name, value in self.evidence.items()
                          if value)
        return f"language evidence (log ratio Dutch/English): {parts or 'none'}"


def _get_identifier():
    """The py3langid identifier with raw log-probability scores, loaded once."""
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                _identifier = _load_identifier()
    return _identifier


def _load_identifier():
    """py3langid's model, decompressed once into the start-up cache (``index.startup_cache``).

    The library ships its model as an LZMA-compressed ``.npz``; decompressing it is most
    of the 1.1 s it takes to load. The cache holds the same ``.npz`` uncompressed, keyed
    by the model file (path, size, mtime) and the library's version, and the identifier
    is built from its arrays with the library's own constructor, as ``from_model_file``
    does. Without a cache folder, or when the cached arrays are not what is expected,
    the library loads its file itself.
    """
    import io
    import lzma
    from importlib import metadata

    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    from index import startup_cache

    if startup_cache.folder() is not None:
        model = Path(MODEL_FILE) if Path(MODEL_FILE).is_absolute() else Path(MODEL_DIR) / MODEL_FILE
        key = startup_cache.key_of(startup_cache.file_stamp(model), metadata.version("py3langid"))
        try:
            payload = startup_cache.cached("langid", key,
                                           lambda: lzma.decompress(model.read_bytes()))
            return _identifier_from_npz(io.BytesIO(payload), LanguageIdentifier)
        except Exception as exc:  # noqa: BLE001 - any surprise: the library's own loading
            log.warning("language model cache not usable (%s); loading the model file", exc)
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)


def _identifier_from_npz(source, identifier_class):
    """The identifier from the model's uncompressed ``.npz`` arrays (py3langid's layout)."""
    from array import array

    import numpy as np

    typecodes = {2: "H", 4: "I", 8: "L"}

    def unsigned(values):
        out = array(typecodes[values.dtype.itemsize])
        out.frombytes(memoryview(np.ascontiguousarray(values)).cast("B"))
        return out

    with np.load(source, allow_pickle=False) as data:
        return identifier_class(np.asarray(data["ptc"]), np.asarray(data["pc"]),
                                data["classes"].tolist(), unsigned(data["nextmove"]),
                                data["out_feat"].tolist(), norm_probs=False,
                                tk_row=unsigned(data["nextmove_row"]))


def language_name(code: str) -> str:
    """English name of a language code, for messages (``de`` -> ``German (de)``)."""
    if code == "zxx":
        return "no linguistic content (zxx)"
    try:
        from babel import Locale

        name = Locale("en").languages.get(code)
    except Exception:  # babel missing or odd code: the code alone will do
        name = None
    return f"{name} ({code})" if name else code


def _sample(text: str) -> str:
    """At most SAMPLE_CHARS characters of ``text``, cut at a space, in NFC and without
    invisible format characters (a zero-width space or soft hyphen inside a word, or
    NFD accents, would otherwise split it into pieces no word list knows). The sample
    starts at the first letter: 100,000 dots before a headline are not its text."""
    first = _LETTER_RE.search(text)
    if first is not None and first.start() > 0:
        text = text[first.start():]
    if len(text) > SAMPLE_CHARS:
        cut = text[:SAMPLE_CHARS]
        space = cut.rfind(" ")
        text = cut[:space] if space > SAMPLE_CHARS // 2 else cut
    return unicodedata.normalize("NFC", _INVISIBLE_RE.sub("", text))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@dataclass
class _ModelView:
    nl_en_llr: float  # log ratio nl/en, divided by sqrt(bytes)
    top: str
    top_prob: float


def _model(sample: str) -> _ModelView:
    """The n-gram model's view: nl/en ratio and its top language over all languages."""
    raw = dict(_get_identifier().rank(sample))
    temperature = math.sqrt(len(sample.encode("utf-8")) or 1)
    best = max(raw.values())
    if best <= -1e30:  # no features at all
        return _ModelView(0.0, "", 0.0)
    total = sum(math.exp((score - best) / temperature) for score in raw.values())
    top = max(raw, key=raw.get)
    return _ModelView(nl_en_llr=(raw["nl"] - raw["en"]) / temperature, top=top,
                      top_prob=1.0 / total)


def _prior(vocabulary: Vocabulary | None) -> float:
    if vocabulary is None or not vocabulary.usable:
        return 0.0
    ratio = 0.5 * math.log((vocabulary.docs["nl"] + 1) / (vocabulary.docs["en"] + 1))
    return max(-PRIOR_CAP, min(PRIOR_CAP, ratio))


def _word_count(text: str) -> int:
    """Words as a reader counts them: runs between spaces with a letter ("n'a" is one)."""
    return sum(1 for part in text.split() if _LETTER_RE.search(part))


def _foreign(sample: str, tokens: list[str], view: _ModelView, options: LanguageOptions
             ) -> str | None:
    """A message when the text is reliably another language, else None."""
    if _word_count(sample) < FOREIGN_MIN_WORDS or view.top in LANGUAGES or not view.top:
        return None
    if view.top_prob < FOREIGN_MIN_PROB:
        return None
    share = known_share(tokens, view.top, options.freedict_dir)
    if share > FOREIGN_MAX_KNOWN:
        return None
    return (f"detected {language_name(view.top)} with probability {view.top_prob:.2f} over "
            f"{_word_count(sample)} words, and only {share:.0%} of them are Dutch or English words")


_ADVICE = "Tolk indexes Dutch (nl) and English (en) only; give 'language' explicitly if this is wrong."


def detect_language(text: str, options: LanguageOptions | None = None) -> Detection:
    """Decide whether ``text`` is Dutch or English (see the module docstring).

    Raises :class:`LanguageError` when the text has no letters at all, or is
    reliably in another language.
    """
    if not isinstance(text, str) or not _LETTER_RE.search(text):
        raise LanguageError(f"cannot detect a language: the text has no words. {_ADVICE}")
    options = options or _DEFAULT_OPTIONS
    sample = _sample(text)
    tokens = words(sample, MAX_WORDS)
    view = _model(sample)
    foreign = _foreign(sample, tokens, view, options)
    if foreign:
        raise LanguageError(f"{foreign}. {_ADVICE}")
    evidence = word_evidence(tokens, options.vocabulary, options.freedict_dir)
    parts = {"model": MODEL_WEIGHT * view.nl_en_llr, **evidence.by_source,
             "prior": _prior(options.vocabulary)}
    total = sum(parts.values())
    p_nl = _sigmoid(total)
    language = guess = "nl" if total > 0 else "en"
    confidence = max(p_nl, 1.0 - p_nl)
    low = confidence < LOW_CONFIDENCE
    by_default = low and options.default in LANGUAGES
    if by_default:
        language = options.default
        confidence = p_nl if language == "nl" else 1.0 - p_nl
    return Detection(
        language=language, confidence=confidence,
        scores={"nl": round(p_nl, 6), "en": round(1.0 - p_nl, 6)},
        low_confidence=low, by_default=by_default,
        evidence={k: round(v, 3) for k, v in parts.items()},
        top_language=view.top, top_probability=round(view.top_prob, 6), guess=guess)


# A text given as one language gets a warning when it is at least this long and
# detection says, this sure, it is the other one.
WARN_MIN_WORDS = FOREIGN_MIN_WORDS
WARN_CONFIDENCE = 0.999


def given_language_warning(text: str, given: str, options: LanguageOptions | None = None
                           ) -> str | None:
    """A warning when a long ``text`` is clearly not in the ``given`` language, else None."""
    if not isinstance(text, str) or not _LETTER_RE.search(text):
        return None
    options = options or _DEFAULT_OPTIONS
    sample = _sample(text)
    if _word_count(sample) < WARN_MIN_WORDS:
        return None
    try:
        detection = detect_language(sample, LanguageOptions(
            vocabulary=options.vocabulary, freedict_dir=options.freedict_dir))
    except LanguageError as exc:
        return (f"warning: language {given} was given, but the text looks like another "
                f"language: {str(exc).split('. ')[0]}")
    if detection.language != given and detection.confidence >= WARN_CONFIDENCE:
        return (f"warning: language {given} was given, but the text looks like "
                f"{language_name(detection.language)} (confidence {detection.confidence:.3f})")
    return None


def warm_up(options: LanguageOptions | None = None) -> None:
    """Load the model and the word lists now (about 1.5 s), not in the first request."""
    detect_language("warm up", options)


_DEFAULT_OPTIONS = LanguageOptions()
