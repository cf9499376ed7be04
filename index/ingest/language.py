"""Language detection: is a text Dutch (nl) or English (en)?

Uses py3langid (a maintained fork of langid.py with an embedded model) over
*all* its languages, with normalized probabilities.  A text is accepted only
when Dutch or English is clearly the top answer; German, French, Afrikaans,
text without words or too little text raise :class:`LanguageError`, so the
caller can ask for an explicit ``language``.

The model is loaded once, lazily, on first use (about 0.8 s), and shared by
all threads; classification itself does not change the model.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

__all__ = ["Detection", "LanguageError", "LANGUAGES", "detect_language"]

LANGUAGES = ("nl", "en")

# The top language must have at least this normalized probability.
# Measured on FLORES-200 devtest (1,012 sentences per language): whole
# sentences pass in 99.6% of cases and are never given the wrong language;
# 8-word openings pass in 97% (nl) / 94% (en).  Lowering it to 0.3 accepts
# 3x more German/Afrikaans/Danish UI strings (Debian .mo catalogs) as nl/en.
MIN_CONFIDENCE = 0.5

# Short texts the model is unsure about get a second look at their function
# words (see _function_word_rescue).  Longer texts are left to the model.
RESCUE_MAX_WORDS = 40

# Only the start of a long text is read: news is written in one language and
# the model's work grows with the number of bytes.
SAMPLE_CHARS = 10_000

_LETTER_RE = re.compile(r"[^\W\d_]")
_WORD_RE = re.compile(r"[^\W\d_][\w'’]*")

# Function words that mark Dutch or English and are *not* common words of
# Afrikaans, German, French or Danish (so "die", "van", "wat", "het", "als",
# "is", "in" are left out on purpose).
_DUTCH_MARKERS = frozenset(
    "de een niet zijn wordt worden werd naar bij heeft hebben zich hun hij zij ze wij deze "
    "door nog er uit tot kunnen zou zal geen wel onze jullie".split())
_ENGLISH_MARKERS = frozenset(
    "the of and to with that this for from by were are has have been will would not it its "
    "they their which who be an at on but or he she said says after than".split())
# Frequent words of the languages Dutch and English get confused with.
_FOREIGN_MARKERS = frozenset(
    "der das und ist nicht ein eine dem den zu sich auch le la les et est des une du il elle "
    "pas pour dans qui que sur au aux nie hulle 'n og ikke til jeg du el los las y es por con "
    "una del se para".split())

_identifier = None
_identifier_lock = threading.Lock()


class LanguageError(ValueError):
    """The text is not clearly Dutch or English."""


@dataclass
class Detection:
    """Result of :func:`detect_language`."""

    language: str  # "nl" or "en"
    confidence: float  # normalized probability of ``language`` over all model languages
    scores: dict[str, float] = field(default_factory=dict)  # probability of nl and en (and top)


def _get_identifier():
    """The py3langid identifier with normalized probabilities, loaded once."""
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def _language_name(code: str) -> str:
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
    """At most SAMPLE_CHARS characters of ``text``, cut at a space."""
    if len(text) <= SAMPLE_CHARS:
        return text
    cut = text[:SAMPLE_CHARS]
    space = cut.rfind(" ")
    return cut[:space] if space > SAMPLE_CHARS // 2 else cut


def _function_word_rescue(text: str, ranked: list[tuple[str, float]]) -> str | None:
    """Decide a short text the model is unsure about from its function words.

    Returns "nl" or "en" when that language is among the model's top three
    and at least a quarter of the words (and at least two) are its markers,
    with no marker of the other language or of German/French/Afrikaans/Danish.
    Measured on FLORES-200 8-word openings this accepts 2.6% more English and
    0.6% more Dutch snippets (one Dutch snippet went to English out of 1,012),
    without accepting more German, French or Afrikaans UI strings.
    """
    words = [w.lower() for w in _WORD_RE.findall(text)]
    if not words or len(words) > RESCUE_MAX_WORDS:
        return None
    if any(w in _FOREIGN_MARKERS for w in words):
        return None
    top3 = {lang for lang, _ in ranked[:3]}
    nl = sum(w in _DUTCH_MARKERS for w in words)
    en = sum(w in _ENGLISH_MARKERS for w in words)
    for lang, hits, other in (("nl", nl, en), ("en", en, nl)):
        if lang in top3 and other == 0 and hits >= 2 and hits >= 0.25 * len(words):
            return lang
    return None


_ADVICE = "Tolk indexes Dutch (nl) and English (en) only; give 'language' explicitly if this is wrong."


def detect_language(text: str) -> Detection:
    """Detect whether ``text`` is Dutch or English.

    Returns a :class:`Detection` whose ``confidence`` is the normalized
    probability of the chosen language among all languages of the model.
    Raises :class:`LanguageError` when the top answer is another language,
    when it is Dutch or English with probability below MIN_CONFIDENCE, or
    when the text has no letters at all.
    """
    if not isinstance(text, str) or not _LETTER_RE.search(text):
        raise LanguageError(f"cannot detect a language: the text has no words. {_ADVICE}")
    ranked = _get_identifier().rank(_sample(text))
    probs = dict(ranked)
    top, top_prob = ranked[0]
    scores = {lang: round(float(probs.get(lang, 0.0)), 6) for lang in LANGUAGES}
    if top not in LANGUAGES or top_prob < MIN_CONFIDENCE:
        rescued = _function_word_rescue(text, ranked)
        if rescued:
            scores[top] = round(float(top_prob), 6)
            return Detection(language=rescued, confidence=float(probs[rescued]), scores=scores)
    if top not in LANGUAGES:
        scores[top] = round(float(top_prob), 6)
        best = max(LANGUAGES, key=lambda lang: scores[lang])
        raise LanguageError(
            f"detected {_language_name(top)} with probability {top_prob:.2f} "
            f"({_language_name(best)}: {scores[best]:.2f}). {_ADVICE}")
    if top_prob < MIN_CONFIDENCE:
        runner_up, runner_prob = ranked[1]
        raise LanguageError(
            f"language unclear: {_language_name(top)} has probability {top_prob:.2f} only "
            f"(next: {_language_name(runner_up)} {runner_prob:.2f}); the text may be too short. "
            f"{_ADVICE}")
    return Detection(language=top, confidence=float(top_prob), scores=scores)
