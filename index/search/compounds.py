"""Query-time decompounding: a Dutch compound in a query also matches its parts together.

In the Dutch index, ``gasprijzen`` becomes ``gasprijzen OR (gas AND prijzen)``: the
whole word's synonym set, or every part's synonym set in the same document, so it
matches the parts written apart (``prijzen van gas``) or inside other compounds
(indexed beside them, see ``index.analysis.DecompoundFilter``). The parts' sets are
weighted down (``PART_BOOST``), so the whole word, when a document has it, still
ranks first. Each part is expanded like any query word, with its cross-links.

In the English index the whole word's own synonym set already holds its parts'
links when the lexicon has none for the whole (``Lexicon.links``: head and modifier
links, found by splitting the stem). Adding the parts' AND there too was measured on
FLORES nl->en (5 folds): MRR 0.553 against 0.555 without it (9 queries worse, 2
better), so there it is added only when the whole word has no link at all
(``Federatieraad``, whose stem ``federatieraad`` does not split into the stems
``federeer`` + ``raad``); docs/notes/compound.md.

A query word is taken as Dutch when the query is, or when it is no English word
(a one-word query ``Federatieraad`` that no index holds is detected as English).
The parts of one query word are the same ``Word`` objects for both language
indexes, so each part's IDF is computed over both indexes together, like any word's.
"""

from __future__ import annotations

from index import decompound
from index.analysis import fold
from index.search.query import Word

PART_BOOST = 0.5  # a part set's score share, against 1.0 for the whole word
PART_LANGUAGES = ("nl",)  # indexes searched for a compound's parts as well


def parts_for(node: Word, language: str, query_language: str, whole) -> list[Word]:
    """The part words to search ``language``'s index for, beside ``node`` itself.

    ``whole`` is the node's own expansion in that index: in another language's index
    the parts are searched only when the whole word has no cross-links there at all.
    """
    if language not in PART_LANGUAGES and not whole.is_exact_only():
        return []
    return part_words(node, query_language)


def part_words(node: Word, query_language: str) -> list[Word]:
    """The parts of a Dutch compound query word as Words (cached on the node), or []."""
    cached = getattr(node, "_compound_parts", None)
    if cached is not None:
        return cached
    parts: list[Word] = []
    word = fold(node.text)
    if decompound.enabled() and not node.text.isupper() and (
            query_language == "nl" or not decompound.is_english(word)):
        parts = [Word(part, node.field, node.start, node.end)
                 for part in decompound.split(word)]
    node._compound_parts = parts
    return parts
