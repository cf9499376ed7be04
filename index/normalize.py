"""One text normalization for documents and queries: invisibles out, then NFC.

A query must reach the analyzer in the same form as the documents it is
meant to find, or ``Oekrai\\u0308ne`` (NFD) and ``Poe\\u200btin`` (a zero-width
space pasted from a web page) find nothing. So cleaning, the tokenizer, the
query parser and suggestions all call :func:`normalize_text`, and nothing
else decides what counts as invisible.

Invisible means Unicode category Cf (soft hyphen, zero-width space, joiner
and non-joiner, word joiner, BOM, bidi marks, tag characters ...) plus the
C0 control characters that are not whitespace. They are removed *before*
NFC, so a soft hyphen between a letter and its combining accent does not
block the composition. A zero-width joiner inside a word would otherwise
split it in two tokens; inside an emoji sequence it only glues pictures,
which search does not need.

The Cf ranges are written out (computing them at import would cost half a
second of scanning all code points); ``tests/test_normalize.py`` checks
them against the running Python's ``unicodedata``.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["INVISIBLE_RE", "normalize_text"]

# Unicode 14/15 category Cf, as ranges; C0 controls except \t \n \v \f \r, and DEL.
CF_RANGES = (
    (0x00AD, 0x00AD), (0x0600, 0x0605), (0x061C, 0x061C), (0x06DD, 0x06DD),
    (0x070F, 0x070F), (0x0890, 0x0891), (0x08E2, 0x08E2), (0x180E, 0x180E),
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F),
    (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD), (0x110CD, 0x110CD),
    (0x13430, 0x1343F), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
_CONTROL_RANGES = ((0x00, 0x08), (0x0E, 0x1F), (0x7F, 0x7F))


def _char_class(ranges) -> str:
    parts = []
    for low, high in ranges:
        parts.append(re.escape(chr(low)) if low == high
                     else re.escape(chr(low)) + "-" + re.escape(chr(high)))
    return "[" + "".join(parts) + "]"


# One character class, one pass: linear in the text.
INVISIBLE_RE = re.compile(_char_class(CF_RANGES + _CONTROL_RANGES))


def normalize_text(text: str) -> str:
    """``text`` without invisible characters, in NFC.

    ASCII text is returned as it is (apart from control characters), so
    the common case costs one ``isascii`` check.
    """
    if text.isascii():
        return INVISIBLE_RE.sub("", text) if not text.isprintable() else text
    text = INVISIBLE_RE.sub("", text)
    if unicodedata.is_normalized("NFC", text):
        return text
    return unicodedata.normalize("NFC", text)
