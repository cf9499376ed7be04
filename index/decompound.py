"""Dutch compound splitting: ``grensgebied`` -> ``grens`` + ``gebied``.

Dutch writes compounds as one word (``vredesmissie``, ``gasprijzen``), so a
search for ``gebied`` misses ``grensgebied`` and an English ``gas prices``
has no single Dutch term to link to. The analyzer indexes a compound's parts
at the compound's own position, beside the whole word (as Lucene's
DictionaryCompoundWordTokenFilter does), so both the whole and each part match.

The splitter is frequency based (Koehn & Knight 2003), with word frequencies
from ``wordfreq`` (shipped in the package, nothing downloaded):

* every part is a word of at least ``MIN_PART`` letters whose Zipf frequency is
  at least ``PART_ZIPF`` (``SHORT_PART_ZIPF`` for a three-letter part), and not
  a stopword or a function word (``voorbeeld`` is not ``voor`` + ``beeld``);
* a linking element between parts (``vrede-s-missie``, ``kind-er-arbeid``,
  ``pann-en-koek``) is dropped from the modifier; no cut leaves an inflection
  ending as the head (``tijdstip|pen`` is tijdstippen, ``land-e|rijen`` landerijen);
* a split is taken only if every part is clearly more frequent than the whole
  word (``PART_MARGIN``; Koehn & Knight compare the geometric mean, which lets a
  frequent short word cut up a rarer word: ``red`` + ``acteur``); among splits
  the fewest parts, then the highest mean Zipf win; a word that is itself
  frequent (``KEEP_ZIPF``) is never split: ``Nederland`` and ``ziekenhuis``
  keep their own meaning;
* at most ``MAX_PARTS`` parts; words longer than ``MAX_WORD`` letters are not
  split, so a 100,000-character token costs one length check. Work per word is
  bounded (``MAX_WORD`` cuts, each a dictionary look-up) and results are cached;
  the outcome depends only on the word and the wordfreq data (deterministic).

Whether the analyzer splits is one process-wide switch (``TOLK_DECOMPOUND``,
set by :func:`configure` from the service and the CLI); splitting changes the
index, so changing the switch needs ``tolk index --rebuild`` to take effect on
indexed documents.
"""

from __future__ import annotations

import math
import unicodedata
from functools import lru_cache

from whoosh.lang.stopwords import stoplists

MIN_WORD = 7  # shorter words are not compounds worth splitting
MAX_WORD = 40  # longer tokens are not split at all (bounded work)
MIN_PART = 3
PART_ZIPF = 3.0  # a part must be at least this frequent (wordfreq Zipf scale)
SHORT_PART_ZIPF = 4.0  # ... and a three-letter part this frequent
KEEP_ZIPF = 4.5  # a whole word at least this frequent is kept whole
# Every part must be this much more frequent (Zipf) than the whole word, about 3 times:
# redacteur is not red + acteur, herhalen not her + halen.
PART_MARGIN = 0.4
MAX_PARTS = 3
# Linking elements (tussenklanken) between modifier and head, longest first.
LINKS = ("en", "er", "s", "e")
# Function words and prefixes that look like words but do not make a compound part.
NOT_PARTS = frozenset("""
aan achter af al als beneden bij binnen boven buiten dan dat de den der des die dit door
een en er ge haar heen hem het hij hun in je langs mede mee met na naar naast neer niet
nog om onder ons ook op over per rond samen te tegen ten ter toe tot tussen uit van veel
ver voor voorbij weg wel zich zij zijn zo zonder
heid ing lijk schap baar loos achtig isch ische tie ties teit heden
her mis ont wan aarts all aller ende ken sing ers essen end and the chen
pro tel sam mar sta bel for red even eren eraan erin erop ervan erbij ermee erover eruit
""".split()) | frozenset(stoplists["nl"])

# Endings that make a "head" part of an inflected or derived word, not a second word:
# after a doubled consonant (tijdstip|pen = tijdstippen, vertrek|kende) or after a
# linking element (land-e|rijen = landerijen, dans-er|essen = danseressen).
ENDINGS = frozenset("""
e en er ers erst ste este ende enden ing ingen ering eringen erij erijen es essen
eres eressen ster sters
""".split())
_VOWELS = frozenset("aeiouy")

_enabled = True


def configure(setting: str | bool) -> None:
    """Turn splitting on or off for this process (``"on"``/``"off"`` or a bool)."""
    global _enabled
    _enabled = setting if isinstance(setting, bool) else str(setting).lower() == "on"


def enabled() -> bool:
    return _enabled


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, float]:
    """Folded Dutch word -> Zipf frequency, for words at least ``PART_ZIPF - 1`` frequent."""
    from wordfreq import get_frequency_dict

    # wordfreq's Zipf scale: log10 of the frequency per billion words.
    floor = 10 ** (PART_ZIPF - 1.0 - 9.0)
    words: dict[str, float] = {}
    for word, frequency in get_frequency_dict("nl", wordlist="best").items():
        if frequency < floor or not word.isalpha():
            continue
        zipf = round(math.log10(frequency) + 9.0, 2)
        key = word if word.isascii() else _fold(word)
        if zipf > words.get(key, 0.0):
            words[key] = zipf
    return words


def zipf(word: str) -> float:
    """Zipf frequency of a folded Dutch word (0 when rare or unknown)."""
    return vocabulary().get(word, 0.0)


ENGLISH_ZIPF = 2.5  # an English word at least this frequent is not split in a query


@lru_cache(maxsize=10_000)
def is_english(word: str) -> bool:
    """True if ``word`` is a common English word (the query-time split leaves it alone)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en", wordlist="best") >= ENGLISH_ZIPF


def _part_zipf(part: str) -> float:
    """The Zipf frequency of ``part`` if it may be a compound part, else 0."""
    if len(part) < MIN_PART or part in NOT_PARTS:
        return 0.0
    value = zipf(part)
    floor = SHORT_PART_ZIPF if len(part) == MIN_PART else PART_ZIPF
    return value if value >= floor else 0.0


def _modifiers(left: str, head: str):
    """The modifier forms ``left`` may stand for before ``head``: as written, or without a
    linking element; none where the head is the ending of one inflected or derived word."""
    if left[-1] == head[0] and head[0] not in _VOWELS and head[1:] in ENDINGS:
        return  # a doubled consonant before an ending: tijdstip|pen, vertrek|kende
    yield left
    if left in NOT_PARTS:
        return  # buiten|gesloten is not buit-en + gesloten
    for link in LINKS:
        if (left.endswith(link) and len(left) - len(link) >= MIN_PART
                and link + head not in ENDINGS):
            yield left[:-len(link)]


def _best(word: str, parts_left: int, floor: float = 0.0
          ) -> tuple[float, tuple[str, ...]] | None:
    """Best split of ``word`` into 2..parts_left parts each at least ``floor`` frequent:
    (mean Zipf of the parts, parts), or None."""
    best = None
    for cut in range(MIN_PART, len(word) - MIN_PART + 1):
        head = word[cut:]
        head_zipf = _part_zipf(head)
        if head_zipf < max(floor, 1e-9):
            continue
        left = word[:cut]
        for modifier in _modifiers(left, head):
            candidates = []
            mod_zipf = _part_zipf(modifier)
            if mod_zipf >= max(floor, 1e-9):
                candidates.append(((mod_zipf + head_zipf) / 2, (modifier, head)))
            if parts_left > 2 and len(modifier) >= 2 * MIN_PART and len(head) > MIN_PART:
                inner = _best(modifier, parts_left - 1, floor)
                # Three or more parts only of four letters or more (not bad+min+ton).
                if inner is not None and min(map(len, inner[1])) > MIN_PART:
                    n = len(inner[1])
                    candidates.append(((inner[0] * n + head_zipf) / (n + 1), inner[1] + (head,)))
            for candidate in candidates:
                # Fewer parts win (frequent short words must not chop up a long part:
                # bondskanselier is not bond+kans+lier), then the higher mean
                # frequency, then the longer head.
                key = (-len(candidate[1]), candidate[0], len(head))
                if best is None or key > best[0]:
                    best = (key, candidate)
    return best[1] if best else None


@lru_cache(maxsize=100_000)
def _split(word: str) -> tuple[str, ...]:
    whole = zipf(word)
    if whole >= KEEP_ZIPF:
        return ()
    found = _best(word, MAX_PARTS, whole + PART_MARGIN)
    return found[1] if found is not None else ()


def split(word: str) -> tuple[str, ...]:
    """The parts of a folded, lowercase Dutch word, or ``()`` when it is not split.

    ``grensgebied`` -> ``("grens", "gebied")``, ``vredesmissie`` -> ``("vrede",
    "missie")``; ``voorbeeld`` and ``nederland`` -> ``()``.
    """
    if not MIN_WORD <= len(word) <= MAX_WORD or not word.isalpha():
        return ()
    return _split(word)
