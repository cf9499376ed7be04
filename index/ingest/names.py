"""Name candidates: capitalized words that are not sentence-initial.

They feed the cross-link lexicon (transliteration keys for Poetin/Putin); the
counts per language are kept in each generation's ``meta.json``.

A paragraph is cut into gaps and tokens by ONE ``re.split`` on the
tokenizer's pattern (a C-level pass, on the indexer's critical path). It
used to be ``findall`` of ``(\\W*)(token)``, which is quadratic: on a run of
n dots with no token after it, every start position scans the rest of the
run before failing (10,000 dots took seconds, 1 MB held the write lock until
the worker was killed). A split looks at each character once.
"""

from __future__ import annotations

import re
from collections import Counter

from index.analysis import _TOKEN_RE, PLAIN_TOKEN_PATTERN, _strip_apostrophe
from index.ingest.documents import Document

# The tokenizer's pattern as one capturing group: split() returns
# [gap, token, gap, token, ..., gap]; a token is sentence-initial if it is the
# paragraph's first or the gap before it holds a sentence break.
_TOKEN_SPLIT_RE = re.compile("(" + PLAIN_TOKEN_PATTERN + ")", _TOKEN_RE.flags)
_SENTENCE_BREAK_RE = re.compile("[.!?:\u201c\"]")
# A longer "word" is no name (a run of capitals, a glued URL): it would only bloat the lexicon.
MAX_NAME_CHARS = 64


def name_candidates(doc: Document) -> Counter:
    """Capitalized words that are not sentence-initial: candidate names for cross-linking."""
    names = Counter()
    for paragraph in (doc.title, *doc.text.split("\n")):
        parts = _TOKEN_SPLIT_RE.split(paragraph)
        # parts[1] is the paragraph's first token; from parts[3] on, every other
        # item is a token and the item before it is its gap.
        for i in range(3, len(parts), 2):
            token = parts[i]
            if (token[0].isupper() and len(token) <= MAX_NAME_CHARS
                    and not _SENTENCE_BREAK_RE.search(parts[i - 1])):
                names[_strip_apostrophe(token)] += 1
    return names
