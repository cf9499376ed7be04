"""Expansion: what one query word stands for in each language's index.

A word's synonym set in a target language holds

* its own analysis in that language (``Donetsk`` -> donetsk, source ``query``),
* the terms the cross-link lexicon links it to from the other language
  (``Putin`` -> poetin in the Dutch index, source ``transliteration``), and
* when the word is searched in the other language's index: spelling-rule
  cognates of it (``prefectuur`` -> prefectur, source ``cognate``, weight
  ``cognates.WEIGHT``; a guess no document contains matches nothing), and
* only when the word matches nothing at all: the index terms within its
  typo distance (source ``typo``), so exact matches always rank first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index.analysis import LANGUAGES, analyze, is_stopword
from index.crosslink import cognates
from index.search.query import Word

OWN = "query"
TYPO = "typo"
TYPO_WEIGHT = {1: 0.5, 2: 0.3}


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


def expand_word(word: Word, language: str, query_language: str, lexicon=None,
                crosslingual: bool = True) -> Expansion | None:
    """The synonym set of ``word`` in ``language``'s index, or None for a stopword."""
    text = word.text
    acronym = len(text) > 1 and text.isupper()
    if not acronym and is_stopword(query_language, text):
        return None
    expansion = Expansion(word, language)
    for term in analyze(language, text):
        expansion.add(term, 1.0, OWN, text)
    if crosslingual and lexicon is not None:
        for source_language in LANGUAGES:
            if source_language == language:
                continue
            for term in analyze(source_language, text):
                for link in lexicon.links(source_language, term):
                    if " " not in link.term:  # multi-word names: not matched yet
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
