"""Scoring as pure functions: BM25 with collection statistics passed in.

Tolk scores each query word as one pseudo-term (a synonym set, see
``index.scoring.synonyms``). Its IDF is computed over *both* language indexes
together, so a score from the Dutch index and one from the English index
mean the same thing and hits can be merged by score.
"""

from __future__ import annotations

import math

K1 = 1.2
B = 0.75


def idf(doc_freq: int, doc_count: int) -> float:
    """BM25 (Lucene) inverse document frequency, always positive."""
    return math.log(1.0 + (doc_count - doc_freq + 0.5) / (doc_freq + 0.5))


def bm25(tf: float, idf_value: float, length: float, avg_length: float,
         k1: float = K1, b: float = B) -> float:
    """BM25 score of one (pseudo-)term in one field of one document."""
    if tf <= 0:
        return 0.0
    norm = 1.0 - b + b * (length / avg_length if avg_length > 0 else 1.0)
    return idf_value * tf * (k1 + 1.0) / (tf + k1 * norm)


def synonym_doc_freq(doc_freqs: list[int]) -> int:
    """Document frequency of a synonym set: the maximum over its members (Lucene SynonymQuery)."""
    return max(doc_freqs, default=0)
