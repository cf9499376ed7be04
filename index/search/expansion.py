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

A capital at the start of a sentence says nothing about a name, so there a word
keeps a name link (``NAME_SOURCES``) only when it is the linked name or the name
plus an ending (``Moskou``, ``Russians``) or is not a common word of its language
(wordfreq: ``Poetin``): ``Let`` opening a sentence is the verb, not Latvian
(``Lets`` stems to ``let`` too), see :func:`false_name`. wordfreq alone cannot tell
``Let`` from ``China``; the link's own spelling can.
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
# A Dutch word without links whose stem is a known term plus a few letters borrows that
# term's links (Irakese -> irak, Zweedse -> zweed): derivations the dictionary lacks.
DERIVED_WEIGHT = 0.5
DERIVED_LETTERS = 3
DERIVED_MIN = 4
MAX_SPAN_WORDS = 4  # longest run of query words looked up as one lexicon key
# A learned or dictionary link to or from a stem this short is mostly an
# accident of stemming or alignment (goed -> go): weighted down. Names and
# curated links (VN -> UN) keep their weight.
SHORT_STEM = 2
SHORT_STEM_WEIGHT = 0.3
SHORT_STEM_SOURCES = ("dictionary", "parallel")
FOREIGN_STEM_WEIGHT = 0.3  # own term cut by the other language's stemmer differently
# A hyphenated word (tsunami-activiteit, H5N1-vogelgriepvirus) is one term in its own
# index, where its parts are indexed beside it; in the other language's index the whole
# rarely occurs, so there its parts stand in for it (their own terms and links).
HYPHEN_PART_WEIGHT = 0.8
HYPHEN_LANGUAGES = ("nl",)  # English hyphenated words: measured slightly worse (en->nl)
# A word that matches nothing in the other language's index, not even through a link,
# may be a cognate the rules and the dictionary miss (dinosauriërs / dinosaurs,
# Mosasaurussen / mosasaurs, savanne / savanna): index terms that are nearly all a
# prefix of it join its set (see add_prefix_cognates).
PREFIX_MIN = 6  # letters shared from the start, at least
PREFIX_SHARE = 0.5  # and at least this share of the word's term
PREFIX_CANDIDATES = 3
# FLORES 5 folds, same run: 0.35 / 0.5 / 0.7 / 0.85 / 1.0 -> nl->en 0.582 / 0.585 / 0.587 /
# 0.586 / 0.585, en->nl 0.573 / 0.574 / 0.576 / 0.577 / 0.577.
PREFIX_WEIGHT = 0.7
# Links that exist because a word is a name: a sentence-initial capital does not make it one.
NAME_SOURCES = ("names", "transliteration")
COMMON_ZIPF = 3.5  # wordfreq Zipf from which a word is common (let 4.9, lets 3.7)
_SENTENCE_END = ".!?\u2026"
_OPENERS = "\"'([{\u201c\u2018\u00ab\u201e-\u2013\u2014 \t\r\n"


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
    query_language: str | None = None

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
    return _derived_links(lexicon, source_language, text) if DERIVED_WEIGHT else found


def _derived_links(lexicon, source_language: str, text: str):
    """Links of the longest known term a word's stem begins with, a few letters short
    of it (``Irakese`` -> irak -> Iraq): a derivation the dictionary does not list."""
    for term in analyze(source_language, text):
        for cut in range(1, DERIVED_LETTERS + 1):
            head = term[:len(term) - cut]
            if len(head) < DERIVED_MIN:
                break
            links = lexicon.links(source_language, head)
            if links:
                return [(link, DERIVED_WEIGHT) for link in links]
    return []


_LOOK_BACK = 64  # characters before a word read to tell a sentence start


def sentence_initial(q: str, words) -> set[int]:
    """``id`` of each capitalized word that opens the query or follows sentence
    punctuation (quotes and brackets between are skipped)."""
    out = set()
    for word in words:
        text = word.text
        lead = 0
        while lead < len(text) and not text[lead].isalnum():
            lead += 1
        core = _core(text)
        if not core[:1].isupper() or core.isupper() or word.start > len(q):
            continue
        # Only the text just before the word decides (bounded: a long query stays linear).
        lo = max(0, word.start - _LOOK_BACK)
        before = (q[lo:word.start] + text[:lead]).rstrip(_OPENERS)
        if not before and lo:
            continue  # a long run of quotes or brackets: not taken for a sentence start
        if not before or before[-1] in _SENTENCE_END and not _abbreviation(before):
            out.add(id(word))
    return out


def _abbreviation(before: str) -> bool:
    """True when the ``.`` ending ``before`` closes an initial or a title (``U.S.``,
    ``J.``, ``Dr.``, ``dhr.``: one letter, or letters without a vowel), not a sentence."""
    if not before.endswith("."):
        return False
    pieces = before[:-1].split()
    last = pieces[-1].rsplit(".", 1)[-1] if pieces else ""
    return last.isalpha() and (len(last) == 1 or not any(c in "aeiouyAEIOUY" for c in last))


def _core(text: str) -> str:
    """A query word without the punctuation around it (``“Let`` -> ``Let``)."""
    start, end = 0, len(text)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not text[end - 1].isalnum():
        end -= 1
    return text[start:end]


def false_name(lexicon, source_language: str, text: str, link) -> bool:
    """True when a name link of a sentence-initial word is only a stem's accident: the
    word is common in ``source_language`` and neither the linked name's spelling nor
    that plus an ending (``Let`` is not ``Lets``; ``Russians`` is ``Russian``'s)."""
    if link.source not in NAME_SOURCES:
        return False
    from index.crosslink.evidence import zipf

    word = fold(_core(text)).lower()
    if zipf(word, source_language) < COMMON_ZIPF:
        return False
    target = next(lang for lang in LANGUAGES if lang != source_language)
    # The name itself or an inflection of it (Russians, Russische, Australia's) is a name.
    return not any(_name_form(word, back.surface)
                   for back in lexicon.links(target, link.term, limit=None))


def _name_form(word: str, surface: str) -> bool:
    name = fold(surface).lower().replace("-", "")
    return len(name) >= 3 and word.replace("-", "").startswith(name)


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
                crosslingual: bool = True, spans: dict | None = None,
                initial: bool = False) -> Expansion | None:
    """The synonym set of ``word`` in ``language``'s index, or None for a stopword.

    ``initial``: the word opens a sentence of the query (:func:`sentence_initial`)."""
    text = word.text
    acronym = len(text) > 1 and text.isupper()
    if not acronym and is_stopword(query_language, text):
        return None
    expansion = Expansion(word, language, query_language=query_language)
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
                if initial and false_name(lexicon, source_language, text, link):
                    continue
                weight = link.weight if factor == 1.0 else round(link.weight * factor, 4)
                expansion.add(link.term, weight, link.source, link.surface)
            for span_language, link in (spans or {}).get(id(word), ()):
                if span_language == source_language:
                    expansion.add(link.term, link.weight, link.source, link.surface)
            if source_language == query_language:
                for term in cognates.cognate_terms(source_language, language, text):
                    expansion.add(term, cognates.WEIGHT, cognates.SOURCE, term)
        if (language != query_language and query_language in HYPHEN_LANGUAGES
                and "-" in text.strip("-")):
            _add_hyphen_parts(expansion, lexicon, language, query_language, text)
    return expansion if expansion.terms else None


def _add_hyphen_parts(expansion: Expansion, lexicon, language: str, query_language: str,
                      text: str) -> None:
    """In the other language's index a hyphenated word without links of its own stands
    for its parts: each part's own terms and links at ``HYPHEN_PART_WEIGHT``."""
    if any(source != OWN and source != cognates.SOURCE
           for _, source, _ in expansion.terms.values()):
        return  # the whole word is linked (Noord-Korea -> north korea)
    parts = [p for p in text.split("-") if p]
    if len(parts) < 2:
        return
    for part in parts:
        if is_stopword(query_language, part):
            continue
        for term in analyze(language, part):
            expansion.add(term, HYPHEN_PART_WEIGHT, OWN, part)
        for link, factor in _word_links(lexicon, query_language, part):
            expansion.add(link.term, round(link.weight * factor * HYPHEN_PART_WEIGHT, 4),
                          link.source, link.surface)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def prefix_cognates(reader, fieldname: str, candidates: list[str]) -> list[tuple[str, int]]:
    """Index terms nearly all of which begin one of ``candidates`` (``dinosaur`` for
    ``dinosauri``), as ``(term, shared letters)``, most shared first.

    A term qualifies when it shares at least ``PREFIX_MIN`` letters from the start
    with a candidate, at most one letter of it is not shared (``savanna`` /
    ``savann``), and the shared letters are at least ``PREFIX_SHARE`` of the
    candidate. Terms are read by their first ``PREFIX_MIN`` letters (a sorted range
    of the term dictionary, not a scan).
    """
    found: dict[str, int] = {}
    for candidate in candidates:
        if len(candidate) < PREFIX_MIN or not candidate.isalpha():
            continue
        for term in reader.expand_prefix(fieldname, candidate[:PREFIX_MIN]):
            term = term.decode("utf-8") if isinstance(term, bytes) else term
            shared = _common_prefix(term, candidate)
            if (term != candidate and shared >= len(term) - 1
                    and shared >= PREFIX_SHARE * len(candidate)):
                found[term] = max(shared, found.get(term, 0))
    ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:PREFIX_CANDIDATES]


def add_prefix_cognates(expansions: list[Expansion], readers: dict, fieldname: str = "body"
                        ) -> None:
    """Give a word that matches nothing in the other language's index the index terms
    it nearly begins with (:func:`prefix_cognates`), at ``PREFIX_WEIGHT``."""
    for expansion in expansions:
        reader = readers.get(expansion.language)
        if reader is None or expansion.word.text.isupper():
            continue
        query_language = expansion.query_language
        if query_language is None or query_language == expansion.language:
            continue
        if any(reader.doc_frequency(fieldname, t) for t in expansion.terms if " " not in t):
            continue
        word = fold(expansion.word.text).strip(".,;:!?'\"()")
        candidates = list(dict.fromkeys(analyze(expansion.language, word)
                                        + analyze(query_language, word) + [word]))
        for term, _ in prefix_cognates(reader, fieldname, candidates):
            expansion.add(term, PREFIX_WEIGHT, cognates.SOURCE, term)


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
