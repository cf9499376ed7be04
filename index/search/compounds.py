"""Query-time decompounding: a Dutch compound in a query also matches its parts together.

``gasprijzen`` in a Dutch query becomes ``gasprijzen OR (gas AND prijzen)``: the whole
word's synonym set, or every part's synonym set in the same document. Each part is
expanded like any query word, so its cross-links carry it into the other language
(``Federatieraad`` -> federation ... council in English text, which no single
English term would match), and in Dutch text it matches the parts written apart
(``prijzen van gas``) or inside other compounds (indexed beside them, see
``index.analysis.DecompoundFilter``). The parts' sets are weighted down
(``PART_BOOST``), so the whole word, when a document has it, still ranks first.

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
