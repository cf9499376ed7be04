"""Translations from the FreeDict Dutch-English and English-Dutch dictionaries.

Debian's ``dict-freedict-nld-eng`` and ``dict-freedict-eng-nld`` install
dictd files: ``NAME.index`` (headword, base64 offset, base64 length, one
entry a line) and ``NAME.dict.dz`` (gzip-compatible dictzip). They are
GPL-2.0+: they are read here at build time and never copied into the repo.

An entry looks like::

    troep /trup/
    1. accumulation, crowd, heap, mass, multitude, pile
    ...
    5. troop, troupe

The noise is cleaned (FACTS.md): the ligature ``ĳ`` becomes ``ij``, U+2010
becomes ``-``, IPA and sense numbers are dropped, parenthesized notes and
``...`` placeholders are dropped, English translations that lost their
spaces (``pickout``, ``takeintoaccount``) are recognised by splitting them
into known English words: a phrase that reduces to one content word
(``pick out``, ``to elect``) links that word at a lower weight, a two-word
phrase links as a multi-word term, anything longer is dropped.

Weights: a headword with ``n`` distinct translations gives each about
``0.8 / sqrt(n)``, lower for later senses, so a word with ten translations
gives each a low weight. A pair found in both dictionaries gets a bonus.
Terms are the analyzers' stems of both sides; Dutch headwords also link
from the stems of their regular inflected forms (``oefeningen`` stems to
``oefeen`` but ``oefening`` to ``oefen``).
"""

from __future__ import annotations

import gzip
import logging
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from index.analysis import analyze, fold, is_stopword, stem_word
from index.crosslink.inflection import adjective_forms, verb_forms

log = logging.getLogger(__name__)

SOURCE = "dictionary"
DEFAULT_DIR = "/usr/share/dictd"
FILES = {("nl", "en"): "freedict-nld-eng", ("en", "nl"): "freedict-eng-nld"}
MAX_WEIGHT = 0.8
SENSE_DECAY = 0.1  # weight factor 1 / (1 + decay * (rank - 1))
PHRASE_FACTOR = 0.6  # a phrase reduced to one word, or a two-word term
INFLECTED_FACTOR = 0.9  # a link from the stem of a generated plural (or -isch -> -ische)
# Verb (-t, ge-..-d) and adjective (-e) forms of every headword, guessed without parts of
# speech, at this factor (0: none). Measured on FLORES (docs/notes/stem.md): at 0.5 or more
# they crowd an English word's best links (links() keeps 12) and lower en->nl MRR.
VERB_FORM_FACTOR = 0.25
BOTH_BONUS = 0.5  # share of the weaker direction added when both dictionaries agree
MAX_SQUASHED = 20  # longer translations without spaces are dropped
MAX_TERMS = 2  # more content words than this: the translation is dropped

_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_B64_VALUE = {c: i for i, c in enumerate(_B64)}
_SENSE_RE = re.compile(r"^\s*\d+\.\s*")
_PAREN_RE = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_HEAD_RE = re.compile(r"^(?P<head>.*?)(?:\s+/[^/]*/)?\s*$")
_GLUED_ARTICLE_RE = re.compile(r"^(?:the|a|an|to)(?=[A-Z])")
_WORD_RE = re.compile(r"^[^\W\d_]+(?:[-'][^\W\d_]+)*$")
# Words that make a phrase out of a verb (pick out) or mark a part of speech (to elect).
_PARTICLES = frozenset(
    "a an the to of out up down off on in into at away back over for with by "
    "and or as about around one's oneself someone something somebody".split())
_INNER = frozenset("of the a an to in on at for with and or by into out up".split())
_TRAILING = frozenset("out up down off away back over on oneself".split())
_IN_VERBS = frozenset(
    "put give take let fill hand break cave log sign check pull come go get bring call set "
    "turn run keep lay look move settle step tune join sleep drop plug lock shut box hem "
    "fit fence rope zero cash chip pitch wall".split())


def decode_b64(text: str) -> int:
    """dictd's base64 number: most significant digit first."""
    value = 0
    for ch in text:
        value = value * 64 + _B64_VALUE[ch]
    return value


def clean(text: str) -> str:
    """Undo FreeDict's typographic noise: ligature ij, U+2010 hyphen, odd spaces."""
    text = text.replace("\u0133", "ij").replace("\u0132", "IJ")
    text = text.replace("\u2010", "-").replace("\u2011", "-")
    return " ".join(text.split())


@dataclass
class Entry:
    headword: str
    senses: list[list[str]] = field(default_factory=list)  # cleaned translations per sense


def read_dictd(index_path: str | Path, dict_path: str | Path) -> list[Entry]:
    """Parse a dictd index + (compressed) dict file into entries."""
    index_path, dict_path = Path(index_path), Path(dict_path)
    if dict_path.suffix == ".dz" or dict_path.name.endswith(".gz"):
        with gzip.open(dict_path) as f:
            data = f.read()
    else:
        data = dict_path.read_bytes()
    entries = []
    for line in index_path.read_text("utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) < 3 or parts[0].startswith("00database") or parts[0].startswith("00-database"):
            continue
        offset, length = decode_b64(parts[1]), decode_b64(parts[2])
        text = data[offset:offset + length].decode("utf-8", "replace")
        entry = parse_entry(text)
        if entry is not None:
            entries.append(entry)
    return entries


def parse_entry(text: str) -> Entry | None:
    """One entry's text: a headword line (with IPA), then one line per sense."""
    lines = [line for line in text.split("\n") if line.strip()]
    if not lines:
        return None
    head = clean(_HEAD_RE.match(lines[0]).group("head"))
    if not head:
        return None
    entry = Entry(head)
    for line in lines[1:]:
        line = clean(_PAREN_RE.sub(" ", _SENSE_RE.sub("", line)))
        items = []
        for item in line.split(","):
            item = item.strip(" ;:.!?*")
            if item and "..." not in item and "\u2026" not in item and item not in items:
                items.append(item)
        if items:
            entry.senses.append(items)
    return entry if entry.senses else None


# -- English phrases that lost their spaces -------------------------------------

class Segmenter:
    """Split ``takeintoaccount`` into known words (fewest pieces, longest first)."""

    def __init__(self, vocabulary: set[str]):
        self.vocabulary = vocabulary
        self.longest = max((len(w) for w in vocabulary), default=0)

    def split(self, word: str) -> list[str] | None:
        n = len(word)
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for end in range(1, n + 1):
            for start in range(max(0, end - self.longest), end):
                if best[start] is None:
                    continue
                piece = word[start:end]
                if piece in self.vocabulary and (len(piece) > 1 or piece == "a"):
                    candidate = best[start] + [piece]
                    if best[end] is None or len(candidate) < len(best[end]):
                        best[end] = candidate
        return best[n]


def english_vocabulary(entries_nl_en: list[Entry], entries_en_nl: list[Entry]) -> set[str]:
    """Words known to be English: eng-nld headwords and words of spaced translations."""
    vocabulary = set(_PARTICLES)
    for entry in entries_en_nl:
        for word in entry.headword.split():
            vocabulary.add(fold(word))
    for entry in entries_nl_en:
        for sense in entry.senses:
            for item in sense:
                if " " in item:
                    vocabulary.update(fold(w) for w in item.split())
    from whoosh.lang.stopwords import stoplists
    vocabulary.update(stoplists["en"])
    return {w for w in vocabulary if w.isalpha()}


def is_squashed_phrase(pieces: list[str]) -> bool:
    """True if known words glued together look like a phrase, not a compound word.

    A phrase has a function word inside (``letterofrecommendation``,
    ``takeashower``) or is a verb with a trailing particle (``giveup``,
    ``controloneself``). Leading particles are not trusted: ``aversion``,
    ``income`` and ``forgive`` are words.
    """
    if len(pieces) < 2:
        return False
    if len(pieces) >= 3 and any(p in _INNER for p in pieces[1:-1]):
        return True
    if len(pieces) != 2 or len(pieces[0]) < 2:
        return False
    # "in" ends many words (cabin, robin): only after a verb that takes it (putin = put in).
    return pieces[1] in _TRAILING or pieces[1] == "in" and pieces[0] in _IN_VERBS


@lru_cache(maxsize=None)
def _terms(lang: str, text: str) -> tuple[str, ...]:
    """``analyze(lang, text)``, with a fast path for one plain word (most of the dictionary)."""
    if text.isalpha():
        acronym = len(text) > 1 and text.isupper()
        if not acronym and is_stopword(lang, text):
            return ()
        return (stem_word(lang, text),)
    return tuple(analyze(lang, text))


def translation_term(lang: str, item: str, segmenter: Segmenter | None = None,
                     vocabulary: set[str] | None = None) -> tuple[str, float, str] | None:
    """The index term of one translation, the weight factor, and its readable form.

    Returns None for what cannot be linked: placeholders, too long, phrases
    of more than two content words, stopwords only.
    """
    item = _GLUED_ARTICLE_RE.sub("", item)  # theUkraine -> Ukraine
    words = item.split()
    if len(words) == 1:
        word = words[0]
        if not _WORD_RE.match(word):
            return None
        folded = fold(word).replace("-", "")
        if (lang == "en" and segmenter is not None and word.islower() and "-" not in word
                and folded not in (vocabulary or ())):
            pieces = segmenter.split(folded)
            if pieces and is_squashed_phrase(pieces):
                words = pieces  # a phrase that lost its spaces
            elif len(folded) > MAX_SQUASHED:
                return None
        elif len(folded) > MAX_SQUASHED and lang == "en":
            return None
    if len(words) == 1:
        terms = _terms(lang, words[0])
        return (terms[0], 1.0, words[0]) if len(terms) == 1 else None
    if not all(_WORD_RE.match(w) for w in words):
        return None
    content = [w for w in words if fold(w) not in _PARTICLES and not is_stopword(lang, w)]
    if not content or len(content) > MAX_TERMS:
        return None
    terms = [t for w in content for t in _terms(lang, w)]
    if not terms or len(terms) > MAX_TERMS:
        return None
    return " ".join(terms), PHRASE_FACTOR, " ".join(content)


def _glued_pair(lang: str, item: str, segmenter, vocabulary) -> tuple[str, str] | None:
    """``primeminister`` -> (``prime minist``, ``prime minister``): an English
    translation that lost the space between two content words (not particles)
    is also linked as the phrase, which is what English text writes."""
    if lang != "en" or segmenter is None or " " in item or not item.islower():
        return None
    folded = fold(item)
    if not folded.isalpha() or folded in (vocabulary or ()):
        return None
    pieces = segmenter.split(folded)
    if (not pieces or len(pieces) != 2 or any(len(p) < 3 or p in _PARTICLES for p in pieces)
            or any(is_stopword(lang, p) for p in pieces)):
        return None
    terms = [t for p in pieces for t in _terms(lang, p)]
    return (" ".join(terms), " ".join(pieces)) if len(terms) == 2 else None


_ADJECTIVE_ENDINGS = ("isch", "ig", "lijk", "baar", "loos", "zaam", "ief", "eel", "air")
_VOWEL_GROUP_RE = re.compile(r"[aeiouy]+")
_S_ONLY_ENDINGS = ("el", "er", "em", "en")
_S_PLURAL_ENDINGS = ("aar", "ier", "eur")


def dutch_inflections(word: str) -> list[str]:
    """Regular inflected forms of a Dutch word: plurals, and -e for adjective endings.

    Without parts of speech this guesses from the ending, conservatively:
    ``oefening`` -> oefeningen, ``sanctie`` -> sancties/sanctiën, ``leger``
    -> legers, ``Russisch`` -> Russische, ``bus`` -> bussen, ``grens`` -> grenzen,
    ``soldaat`` -> soldaten.
    """
    w = word.lower()
    if not w.isalpha() or len(w) < 3:
        return []
    last, before = w[-1], w[-2]
    if last in "aiouy":
        return [w + "'s", w + "s"]
    if last == "e":
        forms = [w + "n", w + "s"]
        if w.endswith("ie"):
            forms.append(w[:-1] + "\u00ebn")
        return forms
    short_vowel = (before in "aeiou" and w[-3:-2] not in tuple("aeiou") and last not in "wjh"
                   and len(_VOWEL_GROUP_RE.findall(w)) == 1)
    if w.endswith(_S_ONLY_ENDINGS) and len(_VOWEL_GROUP_RE.findall(w)) > 1:
        forms = [w + "s"]  # wapen -> wapens, leger -> legers
    else:
        forms = [w + last + "en"] if short_vowel else [w + "en"]  # bus -> bussen
    if len(w) > 3 and w[-3] == w[-2] and w[-2] in "aou" and last not in "aeiou":
        forms.append(w[:-2] + last + "en")  # long vowel in an open syllable: soldaat -> soldaten
    if w.endswith(_S_PLURAL_ENDINGS):
        forms.append(w + "s")
    if w.endswith(_ADJECTIVE_ENDINGS):
        forms.append(w + "e")
    if last == "s":
        forms.append(w[:-1] + "zen")
    if last == "f":
        forms.append(w[:-1] + "ven")
    return list(dict.fromkeys(forms))


def _entries_links(src: str, dst: str, entries: list[Entry], segmenter, vocabulary):
    """``{(src_term, dst_term): (weight, src_surface, dst_surface)}`` for one dictionary."""
    links: dict[tuple[str, str], tuple[float, str, str]] = {}
    for entry in entries:
        head_terms = _terms(src, entry.headword)
        if not head_terms or len(head_terms) > MAX_TERMS:
            continue
        head = " ".join(head_terms)
        translations: dict[str, tuple[float, str]] = {}
        for rank, sense in enumerate(entry.senses, 1):
            for item in sense:
                found = translation_term(dst, item, segmenter, vocabulary)
                if found is None or found[0] == "":
                    continue
                term, factor, surface = found
                factor /= 1.0 + SENSE_DECAY * (rank - 1)
                if factor > translations.get(term, (0.0, ""))[0]:
                    translations[term] = (factor, surface)
                phrase = _glued_pair(dst, item, segmenter, vocabulary)
                if phrase is not None and factor * PHRASE_FACTOR > translations.get(
                        phrase[0], (0.0, ""))[0]:
                    translations[phrase[0]] = (factor * PHRASE_FACTOR, phrase[1])
        if not translations:
            continue
        share = MAX_WEIGHT / math.sqrt(len(translations))
        for term, (factor, surface) in translations.items():
            key = (head, term)
            weight = round(share * factor, 4)
            if weight > links.get(key, (0.0,))[0]:
                links[key] = (weight, entry.headword, surface)
    return links


def _link_forms(surface: str) -> list[tuple[str, float]]:
    """The forms of a Dutch headword that link like it, with their weight factor."""
    forms = [(f, INFLECTED_FACTOR) for f in dutch_inflections(surface)]
    if VERB_FORM_FACTOR > 0:
        w = surface.lower()
        if w.isalpha():
            forms += [(f, VERB_FORM_FACTOR) for f in verb_forms(w) + adjective_forms(w)]
    return forms


def dictionary_pairs(freedict_dir: str | Path | None = DEFAULT_DIR, warnings: list | None = None
                     ) -> list[tuple[str, str, float, str, str]]:
    """All dictionary pairs ``(nl_term, en_term, weight, nl_surface, en_surface)``.

    Missing files give no pairs and a warning (logged, and appended to
    ``warnings`` when given); they never stop the build.
    """
    def warn(message):
        log.warning(message)
        if warnings is not None:
            warnings.append(message)

    if not freedict_dir:
        warn("dictionary source skipped: no FreeDict directory configured")
        return []
    entries = {}
    for (src, dst), name in FILES.items():
        base = Path(freedict_dir) / name
        index, data = base.with_suffix(".index"), Path(str(base) + ".dict.dz")
        if not data.exists():
            data = Path(str(base) + ".dict")
        if not index.exists() or not data.exists():
            warn(f"dictionary source: {base}.index/.dict.dz not found "
                 f"(install Debian's dict-{name}); its links are left out")
            entries[(src, dst)] = []
            continue
        try:
            entries[(src, dst)] = read_dictd(index, data)
        except (OSError, ValueError, EOFError) as exc:
            warn(f"dictionary source: cannot read {base}: {exc}; its links are left out")
            entries[(src, dst)] = []
    nl_en, en_nl = entries[("nl", "en")], entries[("en", "nl")]
    if not nl_en and not en_nl:
        return []
    vocabulary = english_vocabulary(nl_en, en_nl)
    segmenter = Segmenter(vocabulary)
    forward = _entries_links("nl", "en", nl_en, segmenter, vocabulary)
    backward = _entries_links("en", "nl", en_nl, segmenter, vocabulary)

    pairs: dict[tuple[str, str], tuple[float, str, str]] = {}
    for (nl_term, en_term), (weight, nl_s, en_s) in forward.items():
        pairs[(nl_term, en_term)] = (weight, nl_s, en_s)
    for (en_term, nl_term), (weight, en_s, nl_s) in backward.items():
        known = pairs.get((nl_term, en_term))
        if known is None:
            pairs[(nl_term, en_term)] = (weight, nl_s, en_s)
        else:
            high, low = max(known[0], weight), min(known[0], weight)
            combined = round(min(1.0, high + BOTH_BONUS * (1 - high) * low), 4)
            pairs[(nl_term, en_term)] = (combined, known[1], known[2])

    # Inflected Dutch forms whose stem differs from the headword's stem.
    # A generated form must not take over another Dutch headword (regen -> "regent"), but
    # may join a stem that only the English-Dutch side gives as a translation (beschuldigt).
    dutch_stems = {" ".join(_terms("nl", entry.headword)) for entry in nl_en}
    # Every Dutch headword's forms inherit the links of the headword's stem (whichever
    # entry gave them): beschuldigen's stem beschuld links accuse, so beschuldigt does too.
    by_stem = defaultdict(list)
    for (nl_term, en_term), (weight, nl_s, en_s) in pairs.items():
        if " " not in nl_term:
            by_stem[nl_term].append((nl_term, en_term, weight, en_s))
    by_surface = defaultdict(list)
    for (nl_term, en_term), (weight, nl_s, en_s) in pairs.items():
        if " " not in nl_term and " " not in nl_s:
            by_surface[nl_s] = by_stem[nl_term]
    for entry in nl_en:
        head = _terms("nl", entry.headword)
        if len(head) == 1 and head[0] in by_stem and " " not in entry.headword:
            by_surface[entry.headword] = by_stem[head[0]]
    extra = {}
    for surface, links in by_surface.items():
        stems = {links[0][0]}
        for form, factor in _link_forms(surface):
            terms = _terms("nl", form)
            if (len(terms) != 1 or len(terms[0]) < 4 or terms[0] in stems
                    or terms[0] in dutch_stems or is_stopword("nl", terms[0])):
                continue
            stems.add(terms[0])
            for _, en_term, weight, en_s in links:
                key = (terms[0], en_term)
                w = round(weight * factor, 4)
                if w > extra.get(key, (0.0,))[0]:
                    extra[key] = (w, form, en_s)
    for key, value in extra.items():
        pairs.setdefault(key, value)
    return [(nl, en, w, nl_s, en_s) for (nl, en), (w, nl_s, en_s) in pairs.items()]


def headwords(freedict_dir: str | Path | None = DEFAULT_DIR, language: str | None = None
              ) -> set[str]:
    """Folded lowercase single-word headwords (common words) of one or both dictionaries."""
    words = set()
    if not freedict_dir:
        return words
    for (src, _), name in FILES.items():
        if language is not None and src != language:
            continue
        index = Path(freedict_dir) / f"{name}.index"
        if not index.exists():
            continue
        for line in index.read_text("utf-8").splitlines():
            head = clean(line.split("\t", 1)[0]).strip()
            if head and head[:1].islower() and " " not in head and not head.startswith("00"):
                words.add(fold(head))
    return words


def common_word_stems(freedict_dir: str | Path | None = DEFAULT_DIR
                      ) -> dict[str, dict[str, set[str]]]:
    """Per language, ``stem -> common words with that stem`` from the dictionary headwords.

    Used to notice names whose index term is also an ordinary word's stem
    (the Dutch stemmer gives ``span`` for both Spanje and spanning).
    """
    result: dict[str, dict[str, set[str]]] = {}
    for lang in ("nl", "en"):
        stems: dict[str, set[str]] = {}
        for word in headwords(freedict_dir, lang):
            terms = _terms(lang, word)
            if len(terms) == 1:
                stems.setdefault(terms[0], set()).add(word)
        result[lang] = stems
    return result
