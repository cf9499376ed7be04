"""Dutch inflection rules: forms of a headword, and base forms of an inflected word.

Neither Snowball Dutch stemmer removes the verb endings -t, -de/-te or the
participle's ge-..-d, nor undoes the spelling changes of an open syllable
(``goede`` vs ``goed``, ``brede`` vs ``breed``, ``stroomt`` vs ``stromen``), so
``beschuldigt`` never stems like ``beschuldigen``. A dictionary gives the
headword only. Two general rules close the gap, without parts of speech and
without a word list:

* :func:`dutch_forms` generates a headword's regular forms (noun plurals,
  adjective -e/-er, verb -t/-de/-te/ge-..-d); the dictionary source links their
  stems too (plurals at 0.9, guessed verb and adjective forms at a low weight,
  ``dictionary.VERB_FORM_FACTOR``), so an English word reaches Dutch documents
  with those forms;
* :func:`dutch_reductions` guesses the base forms an inflected word may come
  from (``organiseert`` -> organiseren, ``critici`` -> criticus); at query time
  a candidate counts only when the lexicon knows its stem, which is what keeps
  a wrong guess harmless.
"""

from __future__ import annotations

import re

VOWELS = "aeiouy"
_VOWEL_GROUP_RE = re.compile(r"[aeiouy]+")
# 't kofschip: a stem ending in one of these voiceless consonants takes -te/-t, else -de/-d.
_VOICELESS = ("t", "k", "f", "s", "ch", "p", "x")
_UNSTRESSED_PREFIXES = ("be", "ge", "her", "ver", "ont", "er")
_SCHWA_ENDINGS = ("el", "en", "er", "em", "ig")


def _syllables(word: str) -> int:
    return len(_VOWEL_GROUP_RE.findall(word))


def _close(base: str) -> str:
    """The spelling of a stem that ends a word: ``strom`` -> stroom, ``zett`` -> zet,
    ``leev`` -> leef, ``reiz`` -> reis."""
    if len(base) < 2:
        return base
    if base[-1] == base[-2] and base[-1] not in VOWELS:
        return base[:-1]  # zetten -> zet
    if (len(base) >= 3 and base[-1] not in VOWELS and base[-2] in "aeou"
            and base[-3] not in VOWELS
            and not (base[-2] == "e" and base.endswith(_SCHWA_ENDINGS) and _syllables(base) > 1)):
        base = base[:-1] + base[-2] + base[-1]  # open syllable: strom -> stroom
    if base.endswith("v"):
        base = base[:-1] + "f"
    elif base.endswith("z"):
        base = base[:-1] + "s"
    return base


def _open(word: str) -> str:
    """The spelling before an ending that starts with a vowel: ``breed`` -> bred,
    ``wit`` -> witt, ``lief`` -> liev."""
    if len(word) >= 3 and word[-1] not in VOWELS:
        if word[-2] == word[-3] and word[-2] in "aeou" and (len(word) < 4 or word[-4] not in VOWELS):
            word = word[:-2] + word[-1]  # breed -> bred(e)
        elif (word[-2] in VOWELS and word[-3] not in VOWELS and _syllables(word) == 1
              and word[-1] not in "wjh"):
            word = word + word[-1]  # wit -> witt(e)
    if word.endswith("f") and len(word) > 2 and word[-2] in VOWELS:
        word = word[:-1] + "v"
    elif word.endswith("s") and len(word) > 2 and word[-2] in VOWELS:
        word = word[:-1] + "z"
    return word


def verb_stem(infinitive: str) -> str | None:
    """``stromen`` -> stroom, ``beschuldigen`` -> beschuldig; None for a non-infinitive."""
    if not infinitive.endswith("en") or len(infinitive) < 5 or _syllables(infinitive) < 2:
        return None
    return _close(infinitive[:-2])


def verb_forms(infinitive: str) -> list[str]:
    """Present, past and participle forms of a regular verb.

    An -e- before the last consonant may be stressed (organiseren -> organiseert)
    or a schwa (rekenen -> rekent): both spellings are given.
    """
    stem = verb_stem(infinitive)
    if stem is None:
        return []
    forms = _verb_forms(infinitive, stem)
    raw = infinitive[:-2]
    if (len(raw) >= 3 and raw[-2] == "e" and raw[-3] not in VOWELS and raw[-1] not in VOWELS
            and stem == _close(raw) and not stem.endswith("ee" + raw[-1])):
        forms += _verb_forms(infinitive, raw[:-1] + "e" + raw[-1])
    return list(dict.fromkeys(forms))


def _verb_forms(infinitive: str, stem: str) -> list[str]:
    raw = infinitive[:-2]  # before devoicing: leven -> lev (takes -de), not leef
    voiceless = raw.endswith(_VOICELESS)
    forms = [stem if stem.endswith("t") else stem + "t"]
    past = "te" if voiceless else "de"
    forms += [stem + past, stem + past + "n"]
    ending = "t" if voiceless else "d"
    participle = stem if stem.endswith(ending) else stem + ending
    if not infinitive.startswith(_UNSTRESSED_PREFIXES):
        participle = "ge" + participle
    forms.append(participle)
    return forms


def adjective_forms(word: str) -> list[str]:
    """``goed`` -> goede, goeder; ``breed`` -> brede, breder."""
    if len(word) < 3 or word[-1] in VOWELS or word.endswith("en"):
        return []
    base = _open(word)
    return [base + "e", base + "er"] if not word.endswith("r") else [base + "e", base + "der"]


def dutch_forms(word: str) -> list[str]:
    """Regular inflected forms of a Dutch headword (noun, adjective or verb: all guessed)."""
    from index.crosslink.dictionary import dutch_inflections

    w = word.lower()
    if not w.isalpha() or len(w) < 3:
        return []
    forms = list(dutch_inflections(w)) + verb_forms(w) + adjective_forms(w)
    return [f for f in dict.fromkeys(forms) if f != w]


def dutch_reductions(word: str) -> list[str]:
    """Base forms an inflected Dutch word may come from, likeliest first.

    ``beschuldigt`` -> beschuldigen; ``organiseert`` -> organiseren; ``stroomde``
    -> stromen; ``gearresteerd`` -> arresteren; ``goede`` -> goed; ``brede`` ->
    breed; ``critici`` -> criticus. Guesses: the caller checks them against the
    lexicon.
    """
    w = word.lower()
    if not w.isalpha() or len(w) < 4:
        return []
    out: list[str] = []

    def infinitive(stem: str) -> None:
        if len(stem) >= 3 and _syllables(stem) >= 1:
            out.append(_open(stem) + "en" if not stem.endswith(("f", "s")) else
                       _open(stem) + "en")

    if w.endswith(("de", "te")) and len(w) > 5:
        infinitive(w[:-2])
    if w.endswith(("den", "ten")) and len(w) > 6:
        infinitive(w[:-3])
    if w.startswith("ge") and w.endswith(("d", "t")) and len(w) > 6:
        infinitive(w[2:-1])
    if w.endswith(("d", "t")) and len(w) > 4:
        infinitive(w[:-1])
    if w.endswith("e") and len(w) > 4:
        base = w[:-1]
        out.append(_close(base) if base[-1:] not in VOWELS else base)
    if w.endswith("er") and len(w) > 5:
        out.append(_close(w[:-2]))
    if w.endswith("i") and len(w) > 5:
        out.append(w[:-1] + "us")  # critici -> criticus
    return [f for f in dict.fromkeys(out) if f != w]
