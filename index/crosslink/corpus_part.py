"""The corpus part of the lexicon: transliteration links of the names the corpus holds.

Only this part of the lexicon changes when documents are written, and it is
small (pairs of names that share a spelling key, and the search-time name key
index), so it lives in its own file next to the static part and joins it at
load time (``Lexicon.overlay``). A write used to rebuild and fsync the whole
~3 MB lexicon when it brought one new name (2-4 s under the write lock).

The file holds the links grouped by spelling key. Which names link depends
only on the names that share a key, so a write recomputes just the keys of the
names it brings, with the same functions a full build uses
(``transliteration.links_from_names`` / ``name_key_index`` on that key's
names): the result equals a full build. ``NameGroups`` finds a key's names
without analyzing every name of the corpus on each write. A rebuild or
``tolk reindex`` computes the part from scratch (compaction).

File format::

    {"format": "tolk-lexicon-corpus", "version": 1,
     "pairs": {spelling key: [[nl_term, en_term, weight, nl_surface, en_surface], ...]},
     "name_keys": {"nl": {term key: [[term, surface], ...]}, "en": {...}}}
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter, defaultdict
from pathlib import Path

from index.analysis import LANGUAGES
from index.crosslink import transliteration
from index.crosslink.lexicon import Lexicon

FORMAT = "tolk-lexicon-corpus"
VERSION = 1
SOURCE = transliteration.SOURCE


def empty_part() -> dict:
    return {"format": FORMAT, "version": VERSION, "pairs": {},
            "name_keys": {lang: {} for lang in LANGUAGES}}


def _pairs_by_key(pairs) -> dict[str, list]:
    grouped: dict[str, list] = defaultdict(list)
    for nl_term, en_term, weight, nl_surface, en_surface in pairs:
        grouped[transliteration.translit_key(nl_surface)].append(
            [nl_term, en_term, weight, nl_surface, en_surface])
    return dict(grouped)


def full_part(names: dict[str, Counter], common: set[str]) -> dict:
    """The corpus part for all ``names`` (a rebuild)."""
    part = empty_part()
    part["pairs"] = _pairs_by_key(transliteration.links_from_names(names, common))
    part["name_keys"].update(transliteration.name_key_index(names, common))
    return part


class NameGroups:
    """The corpus names by spelling key and by term key, for one generation.

    Kept per process and brought up to date from the generation's names on each
    write (names are only ever added), so each name is analyzed once per
    process instead of every name on every write.
    """

    def __init__(self):
        self.seen: dict[str, set] = {lang: set() for lang in LANGUAGES}
        self.by_spelling: dict[str, dict[str, set]] = defaultdict(
            lambda: {lang: set() for lang in LANGUAGES})
        self.by_term: dict[str, dict[str, set]] = {lang: defaultdict(set) for lang in LANGUAGES}

    def sync(self, names: dict[str, Counter]) -> None:
        for lang in LANGUAGES:
            counts = names.get(lang) or {}
            seen = self.seen[lang]
            if len(counts) == len(seen):
                continue  # names only grow: nothing new since the last sync
            for surface in counts:
                if surface not in seen:
                    self._add(lang, surface)

    def _add(self, lang: str, surface: str) -> None:
        self.seen[lang].add(surface)
        self.by_spelling[transliteration.translit_key(surface)][lang].add(surface)
        term = transliteration._single_term(lang, surface)
        if term is not None:
            self.by_term[lang][transliteration.translit_key(term)].add(surface)

    def spelling_key(self, surface: str) -> str:
        return transliteration.translit_key(surface)

    def term_key(self, lang: str, surface: str) -> str | None:
        term = transliteration._single_term(lang, surface)
        return None if term is None else transliteration.translit_key(term)


_GROUPS: dict[str, NameGroups] = {}
_GROUPS_LOCK = threading.Lock()


def groups_for(generation: Path, names: dict[str, Counter]) -> NameGroups:
    """This process's ``NameGroups`` of ``generation``, synced with ``names``."""
    key = str(generation)
    with _GROUPS_LOCK:
        groups = _GROUPS.get(key)
        if groups is None:
            _GROUPS.clear()  # one generation at a time: the current one
            groups = _GROUPS[key] = NameGroups()
        groups.sync(names)
    return groups


def updated_part(part: dict, names: dict[str, Counter], batch: dict[str, Counter],
                 common: set[str], groups: NameGroups) -> dict:
    """``part`` with the keys of the ``batch`` names recomputed from all ``names``."""
    part = {**part, "pairs": dict(part.get("pairs") or {}),
            "name_keys": {lang: dict((part.get("name_keys") or {}).get(lang) or {})
                          for lang in LANGUAGES}}
    spelling_keys, term_keys = set(), {lang: set() for lang in LANGUAGES}
    for lang in LANGUAGES:
        for surface in batch.get(lang) or ():
            spelling_keys.add(groups.spelling_key(surface))
            term_key = groups.term_key(lang, surface)
            if term_key is not None:
                term_keys[lang].add(term_key)
    # Keys are independent groups: one call over the names of all touched keys gives
    # each key's links exactly as a full build does.
    subset = {lang: Counter() for lang in LANGUAGES}
    for key in spelling_keys:
        members = groups.by_spelling.get(key) or {}
        for lang in LANGUAGES:
            subset[lang].update({s: names[lang][s] for s in members.get(lang, ())})
    recomputed = _pairs_by_key(transliteration.links_from_names(subset, common))
    for key in spelling_keys:
        if key in recomputed:
            part["pairs"][key] = recomputed[key]
        else:
            part["pairs"].pop(key, None)
    for lang in LANGUAGES:
        subset = {lang: Counter()}
        for key in term_keys[lang]:
            subset[lang].update({s: names[lang][s] for s in groups.by_term[lang].get(key, ())})
        entries = transliteration.name_key_index(subset, common).get(lang, {})
        for key in term_keys[lang]:
            # [] removes the key when merged (more spellings than MAX_GROUP)
            part["name_keys"][lang][key] = entries.get(key) or []
    return part


def read_part(path: Path) -> dict | None:
    """A corpus part file, or None if there is none."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"{path} is not a Tolk lexicon corpus part")
    if data.get("version") != VERSION:
        raise ValueError(f"unsupported lexicon corpus part version {data.get('version')!r}")
    return data


def merge(static: Lexicon, part: dict | None) -> Lexicon:
    """The static lexicon with the corpus part joined."""
    if not part:
        return static
    pairs = [(nl, en, w, SOURCE, nl_s, en_s)
             for rows in part.get("pairs", {}).values() for nl, en, w, nl_s, en_s in rows]
    merged = static.overlay(pairs, part.get("name_keys"))
    merged.info = {**static.info, "corpus_pairs": len(pairs)}
    return merged


_STATIC: dict[tuple, Lexicon] = {}
_STATIC_LOCK = threading.Lock()


def load(static_path: Path, part_path: Path) -> Lexicon:
    """The lexicon of a generation: its static file (cached per file version) + corpus part.

    A reader reloads after every write that changes the corpus part; the ~3 MB
    static file is parsed again only when it changes (a rebuild).
    """
    st = os.stat(static_path)
    key = (str(static_path), st.st_ino, st.st_size, st.st_mtime_ns)
    with _STATIC_LOCK:
        static = _STATIC.get(key)
        if static is None:
            static = Lexicon.load(static_path)
            _STATIC.clear()
            _STATIC[key] = static
    return merge(static, read_part(part_path))
