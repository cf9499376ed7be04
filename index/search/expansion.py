"""Expansion: what one query word stands for in each language's index.

A word's synonym set in a target language holds

* its own analysis in that language (``Donetsk`` -> donetsk, source ``query``),
* the terms the cross-link lexicon links it to from the other language
  (``Putin`` -> poetin in the Dutch index, source ``transliteration``), and
* when the word is searched in the other language's index: spelling-rule
  cognates of it (``prefectuur`` -> prefectur, source ``cognate``, weight
  ``cognates.WEIGHT``; a guess no document contains matches nothing), and
* a link to several words (``premier`` -> prime minist, ``Noord-Korea`` ->
  north korea) is a phrase member of the set (scored by its phrase
  frequency, ``index.scoring.synonyms``); the other way round, consecutive
  query words that together are a lexicon key (``prime minister`` ->
  premier) give each of those words the key's links (:func:`span_links`),
* in the other language's index, a word's own term that this language's stemmer
  cuts to a short stem its own does not give (Dutch ``goed`` -> English ``go``) is weighted
  ``FOREIGN_STEM_WEIGHT``: it is a guess, not the word,
* a Dutch word whose stem has no links borrows the links of a base form
  that the inflection rules guess and the lexicon knows (``beschuldigt`` ->
  beschuldigen -> accuse, weight x ``INFLECTED_WEIGHT``,
  ``index.crosslink.inflection``),
* only when the word matches nothing at all: the index terms within its
  typo distance (source ``typo``), so exact matches always rank first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index.analysis import LANGUAGES, analyze, fold, is_stopword
from index.crosslink import cognates
from index.search.query import Word

OWN = "query"
TYPO = "typo"
TYPO_WEIGHT = {1: 0.5, 2: 0.3}
INFLECTED_WEIGHT = 0.9  # links borrowed from a guessed base form
MAX_SPAN_WORDS = 4  # longest run of query words looked up as one lexicon key
# A learned or dictionary link to or from a stem this short is mostly an
# accident of stemming or alignment (goed -> go): weighted down. Names and
# curated links (VN -> UN) keep their weight.
SHORT_STEM = 2
SHORT_STEM_WEIGHT = 0.3
SHORT_STEM_SOURCES = ("dictionary", "parallel")
FOREIGN_STEM_WEIGHT = 0.3  # own term cut by the other language's stemmer differently


def allowed_typos(word: str) -> int:
    """Edit distance tolerated for a word, like Meilisearch: 1 from 5 letters, 2 from 9."""
    n = len(word)
    return 2 if n >= 9 else 1 if n >= 5 else 0


@dataclass
class Expansion:
    """The terms one query word stands for in one language's index."""

    word: Word
    language: str
    terms: dict = field(default_factory=dict)  # term -> (weight, source, surface)

    def weights(self) -> dict[str, float]:
        return {term: weight for term, (weight, _, _) in self.terms.items()}

    def add(self, term: str, weight: float, source: str, surface: str) -> None:
        known = self.terms.get(term)
        if known is None or known[0] < weight:
            self.terms[term] = (weight, source, surface)

    def is_exact_only(self) -> bool:
        return all(source == OWN for _, source, _ in self.terms.values())


def _word_links(lexicon, source_language: str, text: str):
    """``(link, factor)`` for one query word read as ``source_language``: the links
    of its terms, or else those of the first guessed base form that has any."""
    from index.crosslink.inflection import dutch_reductions

    found = []
    for term in analyze(source_language, text):
        for link in lexicon.links(source_language, term):
            short = (min(len(term), len(link.term)) <= SHORT_STEM and term != link.term
                     and link.source in SHORT_STEM_SOURCES)
            found.append((link, SHORT_STEM_WEIGHT if short else 1.0))
    if found or source_language != "nl" or " " in text:
        return found
    for base in dutch_reductions(fold(text)):
        for term in analyze(source_language, base):
            links = lexicon.links(source_language, term)
            if links and len(term) > SHORT_STEM:
                return [(link, INFLECTED_WEIGHT) for link in links]
    return found


def span_links(words: list[Word], lexicon, max_words: int = MAX_SPAN_WORDS) -> dict:
    """Links of runs of consecutive query words that are one lexicon key.

    ``{id(word): [(source_language, link), ...]}`` for each word inside such a
    run (``prime minister`` -> premier; ``House of Representatives`` -> Huis van
    Afgevaardigden's key): every word of the run gets the run's links.
    """
    out: dict[int, list] = {}
    if lexicon is None or len(words) < 2:
        return out
    for source_language in LANGUAGES:
        terms, owners = [], []
        for word in words:
            analyzed = analyze(source_language, word.text)
            if len(analyzed) != 1:
                terms.append(None)  # a stopword inside: the key skips it
                owners.append(word)
                continue
            terms.append(analyzed[0])
            owners.append(word)
        for size in range(min(max_words + 2, len(terms)), 1, -1):
            for start in range(0, len(terms) - size + 1):
                window = terms[start:start + size]
                if window[0] is None or window[-1] is None:
                    continue
                key = [t for t in window if t is not None]
                if len(key) < 2 or len(key) > max_words:
                    continue
                links = lexicon.links(source_language, " ".join(key))
                if not links:
                    continue
                for owner in owners[start:start + size]:
                    out.setdefault(id(owner), []).extend(
                        (source_language, link) for link in links)
    return out


def expand_word(word: Word, language: str, query_language: str, lexicon=None,
                crosslingual: bool = True, spans: dict | None = None) -> Expansion | None:
    """The synonym set of ``word`` in ``language``'s index, or None for a stopword."""
    text = word.text
    acronym = len(text) > 1 and text.isupper()
    if not acronym and is_stopword(query_language, text):
        return None
    expansion = Expansion(word, language)
    own = analyze(language, text)
    foreign = crosslingual and language != query_language and analyze(query_language, text)
    for term in own:
        # In the other language's index a word's own term is a guess; when that
        # language's stemmer cuts it to a short stem its own does not give (goed -> go,
        # an English -ed), the guess is weak: links and cognates carry the translations.
        # (Longer stems stay: president -> presid is right; measured in docs/notes/stem.md.)
        guess = foreign and term not in foreign and len(term) <= SHORT_STEM + 1
        expansion.add(term, FOREIGN_STEM_WEIGHT if guess else 1.0, OWN, text)
    if crosslingual and lexicon is not None:
        for source_language in LANGUAGES:
            if source_language == language:
                continue
            for link, factor in _word_links(lexicon, source_language, text):
                weight = link.weight if factor == 1.0 else round(link.weight * factor, 4)
                expansion.add(link.term, weight, link.source, link.surface)
            for span_language, link in (spans or {}).get(id(word), ()):
                if span_language == source_language:
                    expansion.add(link.term, link.weight, link.source, link.surface)
            if source_language == query_language:
                for term in cognates.cognate_terms(source_language, language, text):
                    expansion.add(term, cognates.WEIGHT, cognates.SOURCE, term)
    return expansion if expansion.terms else None


def add_typo_terms(expansions: list[Expansion], readers: dict) -> None:
    """Add near terms to the expansions of words that match nothing anywhere.

    ``expansions`` are all expansions of one query (every word, every
    language); ``readers`` maps a language to its Whoosh reader.
    """
    by_word: dict[int, list[Expansion]] = {}
    for expansion in expansions:
        by_word.setdefault(id(expansion.word), []).append(expansion)
    for group in by_word.values():
        maxdist = allowed_typos(group[0].word.text)
        if not maxdist or not all(e.is_exact_only() for e in group):
            continue
        if any(readers[e.language].doc_frequency("body", t) for e in group for t in e.terms):
            continue
        for e in group:
            reader = readers[e.language]
            for term in list(e.terms):
                near_one = set(reader.terms_within("body", term, 1, prefix=1))
                near = near_one if maxdist == 1 else set(
                    reader.terms_within("body", term, maxdist, prefix=1))
                for other in sorted(near):
                    e.add(other, TYPO_WEIGHT[1 if other in near_one else 2], TYPO, other)
