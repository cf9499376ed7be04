"""Evidence for a link's sense, per direction: word frequency and cognate spelling.

A lexicon pair has one weight for both directions, but whether a translation
is a likely sense depends on the direction: ``kerk -> kirk`` is a rare sense of
a common Dutch word (English ``kirk`` is far rarer than ``kerk``), while
``kirk -> kerk`` is fine. So these factors are applied when a query word is
expanded (``index.search.senses``) and shown by ``tolk lexicon lookup``, not
baked into the stored pair:

* frequency (``wordfreq``, Zipf scale): a dictionary translation much rarer in
  its language than both the query word in its own and the word's most
  frequent translation (``kerk`` 5.0 -> ``kirk`` 3.9 beside ``church`` 5.2;
  ``troops`` 4.6 -> ``zwerm`` 3.0 beside ``troepen`` 4.7) keeps a smaller share
  of its weight; a word ``wordfreq`` does not know is no evidence either way;
* cognate spelling: a dictionary translation spelled like the query word
  (the rules of ``index.crosslink.cognates``: ``informatie`` / ``information``,
  or nearly the same letters) gains weight; short words are not compared
  (``kerk`` / ``kirk`` look alike by chance).

Only dictionary links are reweighted: curated, name and transliteration
links are trusted as they are, and parallel-text links carry their own
evidence (how often the pair is aligned).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from index.analysis import fold
from index.crosslink import cognates
from index.crosslink.parallel import cognate_similarity

SOURCES = frozenset({"dictionary"})  # link sources these factors apply to
# Zipf difference (query word minus translation) tolerated before the weight drops.
# FLORES 5-fold: 0.5 moved MRR by -0.003 (en->nl) and +0.003 (nl->en), 1.0 by neither.
FREQUENCY_TOLERANCE = 1.0
FREQUENCY_SLOPE = 0.6  # weight share lost per Zipf unit beyond the tolerance
FREQUENCY_FLOOR = 0.25  # the least share a frequency mismatch leaves
COGNATE_MIN = 0.85  # spelling similarity from which a link counts as a cognate
COGNATE_MIN_LENGTH = 5  # shorter words look alike by chance (kerk / kirk)
COGNATE_SHARE = 0.3  # of the missing weight (1 - w) a perfect cognate gains


@lru_cache(maxsize=65536)
def zipf(word: str, lang: str) -> float:
    """``wordfreq``'s Zipf frequency of a word or phrase (0.0: unknown, or no wordfreq)."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # pragma: no cover - a runtime dependency; without it: no evidence
        return 0.0
    try:
        return float(zipf_frequency(word, lang))
    except (LookupError, ValueError):
        return 0.0


def warm_up() -> None:
    """Load ``wordfreq``'s Dutch and English lists (about a second) before the first query."""
    zipf("de", "nl")
    zipf("the", "en")


def frequency_factor(reference_zipf: float, target_zipf: float) -> float:
    """Share of a link's weight kept given how much rarer the target is than the reference."""
    if reference_zipf <= 0.0 or target_zipf <= 0.0:
        return 1.0
    gap = reference_zipf - target_zipf - FREQUENCY_TOLERANCE
    if gap <= 0.0:
        return 1.0
    return max(FREQUENCY_FLOOR, round(1.0 - FREQUENCY_SLOPE * gap, 4))


def spelling_similarity(word: str, source_lang: str, surface: str) -> float:
    """1.0 for a spelling-rule cognate (``cognates.variants``), else the edit similarity.

    0.0 when the words cannot be cognates by length (below :data:`COGNATE_MIN`).
    """
    a, b = fold(word.lower()), fold(surface.lower())
    if min(len(a), len(b)) < COGNATE_MIN_LENGTH:
        return 0.0
    if a == b or b in cognates.variants(a, source_lang):
        return 1.0
    # The edit similarity is at most 2 x shorter / total length: skip difflib when that
    # cannot reach COGNATE_MIN (most pairs; difflib is the costly part of a query's evidence).
    if 2.0 * min(len(a), len(b)) / (len(a) + len(b)) < COGNATE_MIN:
        return 0.0
    # So is the share of letters the two have in common (difflib's own quick bound).
    shared = sum((Counter(a) & Counter(b)).values())
    if 2.0 * shared / (len(a) + len(b)) < COGNATE_MIN:
        return 0.0
    return round(cognate_similarity(a, b), 3)


def cognate_gain(similarity: float) -> float:
    """Share of the missing weight a translation spelled like the query word gains."""
    return COGNATE_SHARE * similarity if similarity >= COGNATE_MIN else 0.0


def explain(word: str, source_lang: str, surface: str, target_lang: str, weight: float,
            source: str, competitors: list[str] = (), target_term: str = "") -> dict:
    """The evidence for one link of ``word`` and the weight it leads to.

    ``weight`` is the stored (both-direction) weight and ``source`` the
    source of it; ``competitors`` are the surfaces of the word's other
    translations. The target's frequency is the better of its surface's and
    its index term's (``slechtst`` is rare, ``slecht`` is not). The frequency reference is the lower of the query word's
    Zipf frequency and that of its most frequent translation (a language
    whose word forms are rarer, Dutch with its inflections and compounds, is
    then not penalized as a whole, and a word's only translation never is).
    The result holds the Zipf frequencies, the frequency factor, the cognate
    similarity and gain, and ``weight`` after them.
    """
    row = {"stored_weight": weight, "source_zipf": None, "target_zipf": None,
           "reference_zipf": None, "frequency_factor": 1.0, "cognate": None,
           "cognate_gain": 0.0, "weight": weight}
    if source not in SOURCES:
        return row
    source_zipf = zipf(word.lower(), source_lang)
    target_zipf = max(zipf(surface.lower(), target_lang), zipf(target_term, target_lang))
    best = max([target_zipf] + [zipf(c.lower(), target_lang) for c in competitors])
    reference = min(source_zipf, best) if source_zipf > 0.0 else 0.0
    factor = frequency_factor(reference, target_zipf)
    similarity = spelling_similarity(word, source_lang, surface)
    gain = cognate_gain(similarity)
    adjusted = weight * factor
    adjusted += (1.0 - adjusted) * gain
    row.update(source_zipf=source_zipf, target_zipf=target_zipf, reference_zipf=reference,
               frequency_factor=factor, cognate=similarity, cognate_gain=round(gain, 4),
               weight=round(min(1.0, adjusted), 4))
    return row


def adjusted_weight(word: str, source_lang: str, surface: str, target_lang: str,
                    weight: float, source: str, competitors: list[str] = (),
                    target_term: str = "") -> float:
    """The link's weight for a query word of ``source_lang`` (see :func:`explain`).

    Memoized per process: queries repeat words, and the spelling comparison
    is the costly part.
    """
    if source not in SOURCES:
        return weight
    return _adjusted(word, source_lang, surface, target_lang, weight, source,
                     tuple(sorted(competitors)), target_term)


@lru_cache(maxsize=200_000)
def _adjusted(word, source_lang, surface, target_lang, weight, source, competitors,
              target_term) -> float:
    return explain(word, source_lang, surface, target_lang, weight, source, list(competitors),
                   target_term)["weight"]
