"""The bilingual lexicon: weighted links between Dutch and English index terms.

A pair links a Dutch index term (an analyzed stem, ``troep``) and an English
one (``troop``); it is symmetric, so :meth:`Lexicon.links` answers in both
directions. Several sources may give the same pair: the pair keeps the
highest weight, a small bonus when independent sources agree, the source of
the best weight and the list of all sources that gave it.

Stored as one compact JSON file with each index generation::

    {"format": "tolk-lexicon", "version": 1,
     "sources": ["curated", "names", ...],
     "pairs": [[nl_term, en_term, weight, [source_index, ...], nl_surface, en_surface], ...],
     "name_keys": {"nl": {key: [[term, surface], ...]}, "en": {...}}}

The first source index of a pair is the source of its best weight.
``name_keys`` lets a query name that no document spells that way
(``Loegansk``) find the other language's spellings at search time, through
the transliteration key.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from index.analysis import LANGUAGES

FORMAT = "tolk-lexicon"
VERSION = 1
SOURCES = ("curated", "names", "transliteration", "dictionary", "parallel")
AGREEMENT_BONUS = 0.5  # share of the second source's weight added (noisy-or, damped)
NAME_KEY_WEIGHT = 0.6  # search-time transliteration fallback
MAX_LINKS = 12  # links per term kept by links(), best first
# Search-time decompounding of Dutch terms without links: gevechtshelikopter ->
# helikopter (head, most of the meaning) + gevecht (modifier).
COMPOUND_LANGUAGE = "nl"
MIN_COMPOUND_PART = 4
COMPOUND_HEAD = 0.6
COMPOUND_MODIFIER = 0.3
COMPOUND_LINKS = 4  # best links of each part
MIN_LONE_HEAD = 6  # a head whose modifier is unknown must be at least this long


def _shipped_cosines(info: dict) -> bool:
    """The lexicon uses the cosines shipped in index/data (not stored in its file)."""
    facts = (info or {}).get("wordvec")
    return isinstance(facts, dict) and bool(facts.get("shipped"))


@dataclass(frozen=True)
class Link:
    """A link to an index term of the other language."""

    term: str  # analyzed stem(s) in the target language; words joined by one space
    surface: str  # readable target word(s), e.g. "Poetin"
    weight: float  # confidence 0..1
    source: str  # source of the best weight


def other(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unsupported language {lang!r}; use one of {LANGUAGES}")
    return LANGUAGES[1] if lang == LANGUAGES[0] else LANGUAGES[0]


def combine(weights: list[float]) -> float:
    """The weight of a pair given by several sources: the best, plus a bonus for agreement."""
    ordered = sorted(weights, reverse=True)
    best = ordered[0]
    if len(ordered) > 1:
        best += AGREEMENT_BONUS * (1.0 - best) * ordered[1]
    return round(min(1.0, best), 4)


class _Pair:
    __slots__ = ("weights", "surfaces")

    def __init__(self):
        self.weights: dict[str, float] = {}  # source -> best weight from it
        self.surfaces: dict[str, tuple[str, str, float]] = {}  # source -> (nl, en, weight)

    def add(self, source: str, weight: float, nl_surface: str, en_surface: str):
        if weight > self.weights.get(source, -1.0):
            self.weights[source] = weight
            self.surfaces[source] = (nl_surface, en_surface, weight)

    def best_source(self) -> str:
        return max(self.weights, key=lambda s: (self.weights[s], -_rank(s)))

    def weight(self) -> float:
        return combine(list(self.weights.values()))

    def sources(self) -> list[str]:
        best = self.best_source()
        return [best] + sorted((s for s in self.weights if s != best), key=_rank)


def self_source(sources: list[str], row: list) -> str:
    """The best source's name of a frozen row."""
    code = row[3]
    return sources[code if type(code) is int else code[0][0]]


def _rank(source: str) -> int:
    return SOURCES.index(source) if source in SOURCES else len(SOURCES)


def _row_order(sources: list[str], row: list) -> tuple:
    """Rows sort best first: weight, then the source's rank, then the terms."""
    return (-row[2], _rank(self_source(sources, row)), row[0], row[1])


class Lexicon:
    """Weighted Dutch-English term links from several sources.

    While it is being built a lexicon holds one :class:`_Pair` per term pair;
    for reading it freezes into rows sorted best first plus a per-language
    index ``term -> row numbers``, which is also what :meth:`load` builds
    directly, without creating an object per pair (every server worker
    loads it).
    """

    def __init__(self):
        self._pairs: dict[tuple[str, str], _Pair] | None = {}
        # Frozen form, the same lists as in the JSON file:
        # [nl_term, en_term, weight, code, (nl_surface, en_surface)]; code is the
        # number of the only source in self._sources, or [[number, weight], ...]
        # best first; the surfaces are left out when equal to the terms.
        self._rows: list[list] | None = None
        self._sources: list[str] = list(SOURCES)
        self._index: dict[str, dict[str, list[int]]] | None = None
        self.name_keys: dict[str, dict[str, list]] = {}
        self.info: dict = {}  # build notes (times, warnings), saved along
        # Sense evidence of the sentence encoder (index.crosslink.wordvec):
        # "nl_term\ten_term" -> cosine of the surfaces' embeddings; saved along.
        self.cosines: dict[str, float] = {}
        self._unsorted = False  # rows appended by overlay(): sort before saving

    # -- building -------------------------------------------------------------

    def add(self, src_lang: str, src_term: str, link: Link) -> None:
        """Add a link from ``src_term`` (language ``src_lang``) to ``link.term``.

        The pair serves both directions. ``link.surface`` is the target's
        readable form; the source side's surface is the term itself unless
        :meth:`add_pair` is used.
        """
        if src_lang == LANGUAGES[0]:
            self.add_pair(src_term, link.term, link.weight, link.source, src_term, link.surface)
        else:
            other(src_lang)
            self.add_pair(link.term, src_term, link.weight, link.source, link.surface, src_term)

    def add_pair(self, nl_term: str, en_term: str, weight: float, source: str,
                 nl_surface: str | None = None, en_surface: str | None = None) -> None:
        """Add a Dutch-English pair of index terms with the readable words they stand for."""
        if not nl_term or not en_term:
            return
        if not 0.0 <= weight <= 1.0:
            raise ValueError(f"weight {weight} of {nl_term}/{en_term} is outside 0..1")
        pairs = self._thaw()
        pair = pairs.get((nl_term, en_term))
        if pair is None:
            pair = pairs[(nl_term, en_term)] = _Pair()
        pair.add(source, float(weight), nl_surface or nl_term, en_surface or en_term)
        self._rows = self._index = None

    def update(self, other_lexicon: "Lexicon") -> None:
        """Merge another lexicon's pairs into this one."""
        for nl_term, en_term, _, sources, nl_s, en_s in other_lexicon._expanded_rows():
            for source, weight in sources:
                self.add_pair(nl_term, en_term, weight, source, nl_s, en_s)
        for lang, keys in other_lexicon.name_keys.items():
            mine = self.name_keys.setdefault(lang, {})
            for key, entries in keys.items():
                known = mine.setdefault(key, [])
                known.extend(e for e in entries if e not in known)
        if other_lexicon.cosines and other_lexicon.cosines is not self.cosines:
            self.cosines = dict(self.cosines)  # it may be the shipped table, shared
            for key, cos in other_lexicon.cosines.items():
                self.cosines[key] = max(cos, self.cosines.get(key, -2.0))

    def _thaw(self) -> dict[tuple[str, str], _Pair]:
        if self._pairs is None:
            pairs = {}
            for nl_term, en_term, _, sources, nl_s, en_s in self._expanded_rows():
                pair = _Pair()
                for source, weight in sources:
                    pair.weights[source] = weight
                    pair.surfaces[source] = (nl_s, en_s, weight)
                pairs[(nl_term, en_term)] = pair
            self._pairs = pairs
        return self._pairs

    def _expanded_rows(self):
        """Rows as ``(nl, en, weight, ((source, weight), ...), nl_surface, en_surface)``."""
        for row in self._frozen():
            yield (row[0], row[1], row[2], self._row_sources(row)) + self._row_surfaces(row)

    def _row_sources(self, row) -> tuple[tuple[str, float], ...]:
        code = row[3]
        if type(code) is int:
            return ((self._sources[code], row[2]),)
        return tuple((self._sources[i], w) for i, w in code)

    def _best_source(self, row) -> str:
        code = row[3]
        return self._sources[code if type(code) is int else code[0][0]]

    @staticmethod
    def _row_surfaces(row) -> tuple[str, str]:
        return (row[4], row[5]) if len(row) > 4 else (row[0], row[1])

    @staticmethod
    def _encode(nl_term: str, en_term: str, pair: _Pair, number: dict) -> list:
        """A frozen row of one pair (``number``: source -> its number in the row's lexicon)."""
        ordered = pair.sources()
        nl_s, en_s, _ = pair.surfaces[ordered[0]]
        if len(ordered) == 1:
            code = number[ordered[0]]
        else:
            code = [[number[s], round(pair.weights[s], 4)] for s in ordered]
        row = [nl_term, en_term, pair.weight(), code]
        if nl_s != nl_term or en_s != en_term:
            row += [nl_s, en_s]
        return row

    def _frozen(self) -> list[list]:
        if self._rows is None:
            sources = list(SOURCES)
            for pair in self._pairs.values():
                sources.extend(s for s in pair.weights if s not in sources)
            number = {s: i for i, s in enumerate(sources)}
            rows = [self._encode(nl_term, en_term, pair, number)
                    for (nl_term, en_term), pair in self._pairs.items()]
            rows.sort(key=lambda r: _row_order(sources, r))
            self._rows, self._sources = rows, sources
            self._index = None
            self._unsorted = False
        if self._index is None:
            self._index = self._make_index(self._rows)
        return self._rows

    def overlay(self, pairs, name_keys: dict | None = None) -> "Lexicon":
        """A new lexicon: this one plus ``pairs``, without rebuilding this one.

        ``pairs``: ``(nl_term, en_term, weight, source, nl_surface, en_surface)``;
        a pair this lexicon already has gets the new source's weight added (as
        ``add_pair`` would). ``name_keys``: per language ``key -> entries``
        replacing this lexicon's entries of that key (an empty list removes it).
        Costs a copy of the row list and the term index plus the new pairs, not
        a re-sort of every row: this is how the corpus part (a few hundred or
        thousand transliteration pairs) joins the static part (~60,000 pairs)
        each time it changes.
        """
        rows = list(self._frozen())
        sources = list(self._sources)
        index = {lang: dict(terms) for lang, terms in self._index.items()}
        merged: dict[tuple[str, str], _Pair] = {}
        for nl_term, en_term, weight, source, nl_s, en_s in pairs:
            if not nl_term or not en_term:
                continue
            merged.setdefault((nl_term, en_term), _Pair()).add(source, float(weight),
                                                                nl_s or nl_term, en_s or en_term)
        touched: dict[str, set] = {lang: set() for lang in LANGUAGES}
        for (nl_term, en_term), pair in merged.items():
            existing = next((n for n in index[LANGUAGES[0]].get(nl_term, ())
                             if rows[n][1] == en_term), None)
            if existing is not None:
                nl_s, en_s = self._row_surfaces(rows[existing])
                for source, weight in self._row_sources(rows[existing]):
                    pair.add(source, weight, nl_s, en_s)
            sources.extend(s for s in pair.weights if s not in sources)
            row = self._encode(nl_term, en_term, pair, {s: i for i, s in enumerate(sources)})
            if existing is not None:
                rows[existing] = row
            else:
                rows.append(row)
                for lang, term in zip(LANGUAGES, (nl_term, en_term)):
                    index[lang][term] = index[lang].get(term, []) + [len(rows) - 1]
            touched[LANGUAGES[0]].add(nl_term)
            touched[LANGUAGES[1]].add(en_term)
        for lang, terms in touched.items():
            for term in terms:  # keep each term's rows best first
                index[lang][term] = sorted(index[lang][term],
                                           key=lambda n: _row_order(sources, rows[n]))
        result = Lexicon()
        result._pairs = None
        result._rows, result._sources, result._index = rows, sources, index
        result._unsorted = bool(merged)
        result.name_keys = {lang: dict(keys) for lang, keys in self.name_keys.items()}
        for lang, keys in (name_keys or {}).items():
            mine = result.name_keys.setdefault(lang, {})
            for key, entries in keys.items():
                if entries:
                    mine[key] = entries
                else:
                    mine.pop(key, None)
        result.info = dict(self.info)
        result.cosines = self.cosines  # read-only after the build: shared, not copied
        return result

    @staticmethod
    def _make_index(rows) -> dict[str, dict[str, list[int]]]:
        nl_index: dict[str, list[int]] = {}
        en_index: dict[str, list[int]] = {}
        for number, row in enumerate(rows):  # rows are best first: lists stay sorted
            nl_index.setdefault(row[0], []).append(number)
            en_index.setdefault(row[1], []).append(number)
        return {LANGUAGES[0]: nl_index, LANGUAGES[1]: en_index}

    # -- reading --------------------------------------------------------------

    def _stored(self, lang: str, term: str, limit: int | None = None) -> list[Link] | None:
        rows = self._frozen()
        numbers = self._index[lang].get(term)
        if numbers is None:
            return None
        if limit is not None:
            numbers = numbers[:limit]
        result = []
        for i in numbers:
            row = rows[i]
            nl_s, en_s = self._row_surfaces(row)
            if lang == LANGUAGES[0]:
                result.append(Link(row[1], en_s, row[2], self._best_source(row)))
            else:
                result.append(Link(row[0], nl_s, row[2], self._best_source(row)))
        return result

    def links(self, lang: str, term: str, limit: int | None = MAX_LINKS,
              min_weight: float = 0.0) -> list[Link]:
        """Links of ``term`` (an index term of ``lang``) into the other language, best first.

        Deduplicated by target term (a pair is stored once, with its best
        weight and the source of it). A term without stored links that
        looks like a name spelled the other language's way (same
        transliteration key as a name of the corpus) gets those names, and
        an unknown Dutch compound gets the links of its parts, at lower
        weights.
        """
        other(lang)
        found = self._stored(lang, term)
        if found is None:
            found = self._name_key_links(lang, term) or self._compound_links(lang, term)
        result = [link for link in found if link.weight >= min_weight]
        return result[:limit] if limit is not None else result

    def _name_key_links(self, lang: str, term: str) -> list[Link]:
        keys = self.name_keys.get(other(lang))
        if not keys or " " in term or len(term) < 5:
            return []
        from index.crosslink.transliteration import translit_key

        return [Link(t, s, NAME_KEY_WEIGHT, "transliteration")
                for t, s in keys.get(translit_key(term), ()) if t != term]

    def split_compound(self, term: str) -> tuple[str, str] | None:
        """Split an unknown Dutch term into ``(modifier, head)`` known terms, longest head first.

        ``vredesmissie`` -> ``vrede`` + ``missie`` (linking ``s``/``e``/``en``
        dropped). The modifier may be unknown (returned as "") only when the
        head is long: ``bondskanselier`` must not become ``...`` + ``lier``.
        """
        self._frozen()
        known = self._index[COMPOUND_LANGUAGE]
        if " " in term or len(term) < 2 * MIN_COMPOUND_PART:
            return None
        for cut in range(MIN_COMPOUND_PART, len(term) - MIN_COMPOUND_PART + 1):
            head = term[cut:]
            if head not in known:
                continue
            left = term[:cut]
            for joint in ("", "s", "e", "en", "n", "es"):
                if joint and not left.endswith(joint):
                    continue
                modifier = left[:len(left) - len(joint)] if joint else left
                if len(modifier) >= 3 and modifier in known:
                    return modifier, head
            if len(head) >= MIN_LONE_HEAD:
                return "", head
        return None

    def _compound_links(self, lang: str, term: str) -> list[Link]:
        if lang != COMPOUND_LANGUAGE:
            return []
        split = self.split_compound(term)
        if split is None:
            return []
        modifier, head = split
        result: dict[str, Link] = {}
        for part, factor in ((head, COMPOUND_HEAD), (modifier, COMPOUND_MODIFIER)):
            if not part:
                continue
            for link in self._stored(lang, part, COMPOUND_LINKS) or ():
                weight = round(link.weight * factor, 4)
                known = result.get(link.term)
                if known is None or known.weight < weight:
                    result[link.term] = Link(link.term, link.surface, weight, link.source)
        return sorted(result.values(), key=lambda link: (-link.weight, link.term))

    def sources_of(self, nl_term: str, en_term: str) -> dict[str, float]:
        """``source -> weight`` of one pair (empty if the pair is unknown)."""
        if self._pairs is not None:
            pair = self._pairs.get((nl_term, en_term))
            return dict(pair.weights) if pair else {}
        self._frozen()
        for number in self._index[LANGUAGES[0]].get(nl_term, ()):
            if self._rows[number][1] == en_term:
                return dict(self._row_sources(self._rows[number]))
        return {}

    def pairs(self):
        """Iterate ``(nl_term, en_term, weight, sources, nl_surface, en_surface)``, best first."""
        for nl_term, en_term, weight, sources, nl_s, en_s in self._expanded_rows():
            yield nl_term, en_term, weight, [s for s, _ in sources], nl_s, en_s

    def stats(self) -> dict[str, int]:
        """Pairs per source (a pair given by two sources counts for both)."""
        counts: dict[str, int] = {}
        for row in self._frozen():
            code = row[3]
            for i in ([code] if type(code) is int else [c[0] for c in code]):
                counts[self._sources[i]] = counts.get(self._sources[i], 0) + 1
        return dict(sorted(counts.items(), key=lambda item: _rank(item[0])))

    def __len__(self) -> int:
        return len(self._pairs) if self._pairs is not None else len(self._rows)

    def __contains__(self, pair) -> bool:
        nl_term, en_term = pair
        return bool(self.sources_of(nl_term, en_term))

    # -- storage --------------------------------------------------------------

    def to_json(self) -> dict:
        rows = self._frozen()
        if self._unsorted:  # the file's rows are best first (``load`` indexes them so)
            rows = sorted(rows, key=lambda r: _row_order(self._sources, r))
        data = {"format": FORMAT, "version": VERSION, "sources": self._sources,
                "info": self.info, "name_keys": self.name_keys, "pairs": rows}
        # Optional: only lexicons built with TOLK_WORDVEC=on store them; shipped cosines
        # (TOLK_WORDVEC=shipped) are read from the package at load, not copied into the file.
        if self.cosines and not _shipped_cosines(self.info):
            data["cosines"] = self.cosines
        return data

    def save(self, path: str | os.PathLike) -> None:
        """Write the lexicon as compact JSON (atomically: a temp file, then rename)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as out:
            json.dump(self.to_json(), out, ensure_ascii=False, separators=(",", ":"))
        os.replace(tmp, path)

    @classmethod
    def from_json(cls, data: dict) -> "Lexicon":
        """A lexicon from its JSON form; the rows are used as they are (fast to load)."""
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a Tolk lexicon file")
        if data.get("version") != VERSION:
            raise ValueError(f"unsupported lexicon version {data.get('version')!r}")
        lexicon = cls()
        lexicon._pairs = None
        lexicon._sources = list(data["sources"])
        lexicon._rows = data["pairs"]  # saved best first
        lexicon._index = cls._make_index(lexicon._rows)
        lexicon.name_keys = data.get("name_keys") or {}
        lexicon.info = data.get("info") or {}
        lexicon.cosines = data.get("cosines") or {}
        if not lexicon.cosines and _shipped_cosines(lexicon.info):
            from index.crosslink import wordvec

            try:
                lexicon.cosines = wordvec.read_shipped()
            except (OSError, ValueError):  # the lexicon works without them
                lexicon.cosines = {}
        return lexicon

    @classmethod
    def load(cls, path: str | os.PathLike) -> "Lexicon":
        with open(path, encoding="utf-8") as f:
            return cls.from_json(json.load(f))
