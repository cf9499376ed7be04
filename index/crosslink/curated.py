"""Hand-made links: a small reviewable table for what no other source has.

``index/data/curated_links.tsv`` holds one pair a line, ``Dutch<TAB>English
<TAB>note`` (the note may be empty or left out); blank lines and lines
starting with ``#`` are ignored. Words are written as in running text and
analyzed like the index does, so ``NAVO`` links the term ``navo`` and
``Verenigd Koninkrijk`` the two-word term ``verenigd koninkrijk``.
Every curated pair has weight 1.0. Users extend the table without code.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from index.analysis import analyze

SOURCE = "curated"
WEIGHT = 1.0


class CuratedError(ValueError):
    """A line of the curated table that cannot be used; says which file and line."""


@dataclass(frozen=True)
class CuratedPair:
    nl: str
    en: str
    note: str
    line: int


def parse_curated(text: str, origin: str = "curated_links.tsv") -> list[CuratedPair]:
    """Parse the TSV text; raise :class:`CuratedError` naming the first bad line."""
    pairs = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 2 or len(fields) > 3:
            raise CuratedError(
                f"{origin}:{number}: expected 'Dutch<TAB>English<TAB>note', "
                f"got {len(fields)} tab-separated field(s): {line!r}")
        nl, en = fields[0].strip(), fields[1].strip()
        note = fields[2].strip() if len(fields) == 3 else ""
        if not nl or not en:
            raise CuratedError(f"{origin}:{number}: empty Dutch or English word: {line!r}")
        if not analyze("nl", nl):
            raise CuratedError(f"{origin}:{number}: Dutch {nl!r} has no index terms "
                               f"(a stopword? write acronyms in capitals)")
        if not analyze("en", en):
            raise CuratedError(f"{origin}:{number}: English {en!r} has no index terms "
                               f"(a stopword? write acronyms in capitals)")
        pairs.append(CuratedPair(nl, en, note, number))
    return pairs


def default_text() -> str:
    return resources.files("index").joinpath("data/curated_links.tsv").read_text("utf-8")


def load_curated(path: str | Path | None = None) -> list[CuratedPair]:
    """The curated pairs of ``path`` (default: the table shipped in ``index/data``)."""
    if path is None:
        return parse_curated(default_text())
    path = Path(path)
    return parse_curated(path.read_text("utf-8"), origin=str(path))


def curated_links(path: str | Path | None = None) -> list[tuple[str, str, float, str, str]]:
    """``(nl_term, en_term, 1.0, nl_surface, en_surface)`` for every curated pair."""
    result = []
    for pair in load_curated(path):
        nl_term = " ".join(analyze("nl", pair.nl))
        en_term = " ".join(analyze("en", pair.en))
        result.append((nl_term, en_term, WEIGHT, pair.nl, pair.en))
    return result
