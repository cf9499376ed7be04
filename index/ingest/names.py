"""Name candidates: capitalized words that are not sentence-initial.

They feed the cross-link lexicon (transliteration keys for Poetin/Putin); the
counts per language are kept in each generation's ``meta.json``.
"""

from __future__ import annotations

import re
from collections import Counter

from index.analysis import _TOKEN_RE, PLAIN_TOKEN_PATTERN, _strip_apostrophe
from index.ingest.documents import Document


# The tokenizer's pattern, each token with the non-word gap before it: a token is
# sentence-initial if it is the paragraph's first or its gap holds a sentence break.
_GAP_TOKEN_RE = re.compile(r"(\W*)(" + PLAIN_TOKEN_PATTERN + ")", _TOKEN_RE.flags)
_SENTENCE_BREAK_RE = re.compile("[.!?:\u201c\"]")


def name_candidates(doc: Document) -> Counter:
    """Capitalized words that are not sentence-initial: candidate names for cross-linking."""
    names = Counter()
    for paragraph in (doc.title, *doc.text.split("\n")):
        # (gap before the token, token) pairs: one C-level pass instead of a match object
        # per token (this ran for every document on the indexer's critical path).
        pairs = _GAP_TOKEN_RE.findall(paragraph)
        for gap, token in pairs[1:]:
            if token[0].isupper() and not _SENTENCE_BREAK_RE.search(gap):
                names[_strip_apostrophe(token)] += 1
    return names
