"""Sense weighting at query time: which of a word's translations the query means.

A dictionary gives every sense of a word (``kerk`` -> church, kirk; ``troops``
-> troepen, horde, zwerm), and a synonym set that weights them all alike
matches documents about the wrong sense. Two kinds of evidence lower the
unlikely ones once the query is known, in each target language's synonym
sets:

1. per direction (``index.crosslink.evidence``): a dictionary translation far
   rarer than the query word loses weight, one spelled like it gains;
2. the sentence encoder's cosine between the word and each translation
   (``index.crosslink.wordvec``, ``TOLK_WORDVEC=on``): a translation far
   less close in meaning than the word's closest one loses weight;
3. co-occurrence in the indexed corpus itself (multi-word queries only): for
   each of a word's translations, the number of the query's other words it
   shares a document with (any of their terms); a translation that meets
   fewer than :data:`COOCCURRENCE_SHARE` of what the best one meets (by
   default: none, while another translation meets some) keeps
   :data:`COOCCURRENCE_FACTOR` of its weight. The right senses of a query's
   words tend to meet in documents; wrong senses rarely do. A translation in
   fewer than :data:`MIN_DOCS` documents is not judged: a rare right
   translation is often in the one document sought and nowhere else (on
   FLORES, judging those cost 0.003 MRR; stricter shares cost more).

The work is bounded: a term in more than :data:`MAX_POSTINGS` documents is not
used (it is taken to co-occur, and a word with one tells nothing as context),
queries of more than :data:`MAX_WORDS` words are left alone, and only
words with two or more translations are reweighted. Posting lists come from the
per-segment cache that scoring reads too; each word's documents are one boolean
mask, so a translation is tested against a word in one indexing of its documents.
"""

from __future__ import annotations

import numpy as np

from index.analysis import LANGUAGES, analyze
from index.crosslink import evidence, wordvec
from index.crosslink.lexicon import other
from index.scoring import vectorscore
from index.storage import postingcache

ENABLED = True  # the evaluation script turns it off to measure the difference
USE_EVIDENCE = True  # per-direction frequency and cognate evidence
USE_COOCCURRENCE = True
USE_WORDVEC = True  # the sentence encoder's cosines, when TOLK_WORDVEC=on (eval toggles it)
COOCCURRENCE_FACTOR = 0.5
# A translation meeting fewer than this share of the other words the best translation
# meets loses weight (0: only one that meets none, with another that meets some).
COOCCURRENCE_SHARE = 0.01  # FLORES: 0.5 and 0.8 cost 0.004 to 0.006 MRR
MIN_DOCS = 3  # a translation in fewer documents is not judged (FLORES: 1 cost 0.003 MRR)
MAX_POSTINGS = 2000  # a term in more documents is taken to co-occur (bounded work at 100k)
MAX_WORDS = 8  # longer queries: left alone (their other words decide anyway)
FIELD = "body"
_NOT_LINKS = frozenset({"query", "typo", "cognate"})  # expansion sources that are not links
_EMPTY = np.zeros(0, dtype=np.int64)


def _pair_sources(lexicon, lang: str, term: str, source_terms: list[str]) -> set[str]:
    """Every source of the stored pair(s) between ``term`` (of ``lang``) and the query word."""
    found: set[str] = set()
    for source_term in source_terms:
        nl_term, en_term = (term, source_term) if lang == LANGUAGES[0] else (source_term, term)
        found.update(lexicon.sources_of(nl_term, en_term))
    return found


def _apply_evidence(expansion, lexicon, changes: list) -> None:
    """Per-direction frequency and cognate evidence on one expansion's dictionary links."""
    target = expansion.language
    source_lang = other(target)
    word = expansion.word.text
    source_terms = None
    competitors = [surface for _, source, surface in expansion.terms.values()
                   if source not in _NOT_LINKS]
    for term, (weight, source, surface) in list(expansion.terms.items()):
        if source not in evidence.SOURCES:
            continue
        if source_terms is None:
            source_terms = analyze(source_lang, word)
        if lexicon is not None and _pair_sources(lexicon, target, term, source_terms) \
                - evidence.SOURCES:
            continue  # also attested by another source: trusted as it is
        new = evidence.adjusted_weight(word, source_lang, surface, target, weight, source,
                                       [c for c in competitors if c != surface], term)
        if new != weight:
            expansion.terms[term] = (new, source, surface)
            changes.append((word, term, weight, new, "evidence"))


def _apply_wordvec(expansion, lexicon, changes: list) -> None:
    """The sentence encoder's evidence (``index.crosslink.wordvec``) on one expansion.

    Every link with a stored cosine counts for the word's best cosine; only
    dictionary links that no other source attests lose weight.
    """
    if not getattr(lexicon, "cosines", None):
        return
    target = expansion.language
    source_lang = other(target)
    if source_lang not in wordvec.QUERY_LANGUAGES:
        return
    source_terms = analyze(source_lang, expansion.word.text)
    nl_first = target != LANGUAGES[0]
    cosines = {}
    for term, (_, source, _) in expansion.terms.items():
        if source in _NOT_LINKS:
            continue
        found = [wordvec.cosine(lexicon, *((s, term) if nl_first else (term, s)))
                 for s in source_terms]
        found = [c for c in found if c is not None]
        if found:
            cosines[term] = max(found)
    if len(cosines) < 2:
        return  # a word's only translation: nothing to choose between
    best = max(cosines.values())
    for term, cos in cosines.items():
        weight, source, surface = expansion.terms[term]
        if source not in wordvec.SOURCES:
            continue
        if _pair_sources(lexicon, target, term, source_terms) - wordvec.SOURCES:
            continue  # also attested by another source: trusted as it is
        factor = wordvec.factor(cos, best)
        if factor < 1.0:
            new = round(weight * factor, 4)
            expansion.terms[term] = (new, source, surface)
            changes.append((expansion.word.text, term, weight, new, "wordvec"))


class _Postings:
    """Doc numbers of terms in one index, bounded.

    Read through the per-segment posting cache that scoring uses
    (``index.storage.postingcache``): every term of the query's synonym sets is
    decoded for scoring anyway, so reading it here first costs no extra decoding.
    """

    def __init__(self, searcher):
        folder = postingcache.index_folder(searcher)
        self.leaves = [(sub.reader(), offset) for sub, offset in searcher.leaf_searchers()]
        self.segments = [postingcache.segment_key(folder, reader) for reader, _ in self.leaves]
        self.size = searcher.doc_count_all()
        self.cache: dict[str, np.ndarray | None] = {}

    def docs(self, term: str) -> np.ndarray | None:
        """The documents containing ``term``; None when there are too many to judge by."""
        if term not in self.cache:
            parts = [vectorscore._postings(reader, FIELD, term, seg)[0] + offset
                     for (reader, offset), seg in zip(self.leaves, self.segments)
                     if (FIELD, term) in reader]
            docs = np.concatenate(parts) if parts else _EMPTY
            self.cache[term] = None if len(docs) > MAX_POSTINGS else docs
        return self.cache[term]

    def union(self, terms) -> np.ndarray | None:
        """A mask of the documents holding any of ``terms`` (None: one is too common)."""
        mask = None
        for term in terms:
            docs = self.docs(term)
            if docs is None:
                return None
            if len(docs):
                if mask is None:
                    mask = np.zeros(self.size, dtype=bool)
                mask[docs] = True
        return mask


def _apply_cooccurrence(expansions: list, searcher, changes: list) -> None:
    words = {}
    for expansion in expansions:
        words.setdefault(id(expansion.word), expansion)
    if len(words) < 2 or len(words) > MAX_WORDS:
        return
    candidates = {key: [t for t, (_, source, _) in e.terms.items() if source not in _NOT_LINKS]
                  for key, e in words.items()}
    candidates = {key: links for key, links in candidates.items() if len(links) >= 2}
    if not candidates:
        return
    postings = _Postings(searcher)
    # Per word: the documents holding any of its terms (None: too common to tell).
    contexts = {key: postings.union(e.terms) for key, e in words.items()}
    for key, links in candidates.items():
        expansion = words[key]
        others = [c for k, c in contexts.items() if k != key and c is not None]
        if not others:
            continue  # the other words are absent or too common: no evidence
        met = {}
        for term in links:
            docs = postings.docs(term)
            if docs is None:
                met[term] = len(others)
            elif len(docs) >= MIN_DOCS:  # rarer: too little to judge by (none: weight moot)
                met[term] = sum(1 for c in others if c[docs].any())
        best = max(met.values(), default=0)
        if not best:
            continue  # no translation meets the others: nothing to choose by
        for term, count in met.items():
            if count >= best * COOCCURRENCE_SHARE:
                continue
            weight, source, surface = expansion.terms[term]
            new = round(weight * COOCCURRENCE_FACTOR, 4)
            expansion.terms[term] = (new, source, surface)
            changes.append((expansion.word.text, term, weight, new, "cooccurrence"))


MODES = ("on", "evidence", "off")


def configure(mode: str) -> None:
    """``on``: all evidence; ``evidence``: without co-occurrence; ``off`` (``TOLK_SENSES``)."""
    global ENABLED, USE_EVIDENCE, USE_COOCCURRENCE
    if mode not in MODES:
        raise ValueError(f"sense weighting mode {mode!r}; use one of {', '.join(MODES)}")
    ENABLED = mode != "off"
    USE_EVIDENCE = True
    USE_COOCCURRENCE = mode == "on"


def reweigh(compilers: dict, searchers: dict, lexicon) -> list[tuple]:
    """Reweight the translations in every compiler's expansions; returns the changes.

    ``compilers``: language -> the query compiler (its ``expansions`` and
    ``leaves``); ``searchers``: language -> Whoosh searcher. Each change is
    ``(query word, term, old weight, new weight, evidence kind)``.
    """
    changes: list[tuple] = []
    if not ENABLED or lexicon is None:
        return changes
    for language, compiler in compilers.items():
        if not compiler.expansions:
            continue
        if USE_EVIDENCE:
            for expansion in compiler.expansions:
                _apply_evidence(expansion, lexicon, changes)
        if USE_WORDVEC and wordvec.enabled():
            for expansion in compiler.expansions:
                _apply_wordvec(expansion, lexicon, changes)
        if USE_COOCCURRENCE:
            _apply_cooccurrence(compiler.expansions, searchers[language], changes)
        if changes:
            for leaf in compiler.leaves:
                leaf.terms_weights = leaf.expansion.weights()
    return changes
