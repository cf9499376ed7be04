"""Cross-links users correct at run time: links added or reweighted, dictionary links blocked.

Why a layer over the lexicon and not an edit of it: the stored lexicon is
rebuilt from its sources (curated table, names, FreeDict, parallel text) by
every ``tolk index --rebuild``, and its static part is shared through a cache;
a user's correction must outlive those rebuilds and must not need one. So the
edits live in one small file per generation (``crosslinks-user.json``), written
under the write lock and then named with its checksum in the commit point like
every other file (``publish``), carried into each new generation by a rebuild
(``index.storage.carryover``), and laid over the stored lexicon whenever a
reader loads it (:func:`apply`): readers reload when the file changes, so the
next search of every worker uses an edit.

An edit is keyed by its pair of index terms: the user's words analyzed with
Tolk's analyzers (``Federatieraad`` -> ``federatieraad``, ``Federation
Council`` -> ``feder council``), so it applies to every form that analyzes the
same way, and ``kerk``/``Kerk`` are one edit. A link edit replaces the pair's
weight (the other sources that give the pair are kept for explanations); a
block removes the pair from every lookup, expansion and hit. File format::

    {"format": "tolk-user-links", "version": 1,
     "edits": [{"nl_term": ..., "en_term": ..., "nl": surface, "en": surface,
                "weight": 0.9 | null, "block": false, "updated": "2026-01-31T12:00:00Z"}]}
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from index.analysis import LANGUAGES, analyze
from index.crosslink.lexicon import MAX_LINKS, Lexicon, _row_order
from index.normalize import normalize_text

FORMAT = "tolk-user-links"
VERSION = 1
SOURCE = "user"
DEFAULT_WEIGHT = 1.0  # like a curated line
MAX_CHARS = 200  # of one side's words
MAX_TERMS = 6  # index terms of one side (a phrase, not a sentence)


class UserLinkError(ValueError):
    """An edit that cannot be stored; ``errors`` maps a field to its messages."""

    def __init__(self, message: str, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors or {}


def side(lang: str, text: str) -> tuple[str, str]:
    """``(index term, surface)`` of one side of a pair; ``UserLinkError`` if it has none."""
    if not isinstance(text, str):
        raise UserLinkError(f"{lang}: give a word or phrase", {lang: ["not a string"]})
    surface = " ".join(normalize_text(text).split())
    if not surface:
        raise UserLinkError(f"{lang}: give a word or phrase", {lang: ["empty"]})
    if len(surface) > MAX_CHARS:
        raise UserLinkError(f"{lang}: at most {MAX_CHARS} characters",
                            {lang: [f"longer than {MAX_CHARS} characters"]})
    terms = analyze(lang, surface)
    if not terms:
        raise UserLinkError(
            f"{lang}: {surface!r} has no index term in {lang} (a stopword or no letters); "
            "link a word that documents are searched by", {lang: ["no index term"]})
    if len(terms) > MAX_TERMS:
        raise UserLinkError(f"{lang}: at most {MAX_TERMS} words",
                            {lang: [f"more than {MAX_TERMS} index terms"]})
    return " ".join(terms), surface


def make_edit(nl: str, en: str, weight: float | None = None, block: bool = False) -> dict:
    """A checked edit of the pair ``nl``/``en``: a link (with ``weight``) or a block."""
    errors: dict = {}
    messages = []
    terms = {}
    for lang, text in zip(LANGUAGES, (nl, en)):
        try:
            terms[lang] = side(lang, text)
        except UserLinkError as exc:
            errors.update(exc.errors)
            messages.append(exc.message)
    if block and weight is not None:
        errors["weight"] = ["a block has no weight: leave it out, or send block false"]
        messages.append("a block has no weight")
    if not block:
        weight = DEFAULT_WEIGHT if weight is None else weight
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) \
                or not 0.0 < float(weight) <= 1.0:
            errors["weight"] = ["a number greater than 0 and at most 1 (to remove a link, "
                                "block it)"]
            messages.append("weight must be greater than 0 and at most 1")
    if errors:
        raise UserLinkError("; ".join(messages), errors)
    (nl_term, nl_surface), (en_term, en_surface) = terms["nl"], terms["en"]
    return {"nl_term": nl_term, "en_term": en_term, "nl": nl_surface, "en": en_surface,
            "weight": None if block else round(float(weight), 4), "block": bool(block),
            "updated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def pair_key(nl: str, en: str) -> tuple[str, str]:
    """The ``(nl_term, en_term)`` key of the pair a user names (``UserLinkError`` if none)."""
    errors, terms, messages = {}, [], []
    for lang, text in zip(LANGUAGES, (nl, en)):
        try:
            terms.append(side(lang, text)[0])
        except UserLinkError as exc:
            errors.update(exc.errors)
            messages.append(exc.message)
    if errors:
        raise UserLinkError("; ".join(messages), errors)
    return terms[0], terms[1]


# -- the file -------------------------------------------------------------------------


def from_json(data) -> dict[tuple[str, str], dict]:
    """The edits of a parsed file by pair; ``ValueError`` for a file that is not one."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError("not a Tolk user cross-link file")
    if data.get("version") != VERSION:
        raise ValueError(f"unsupported user cross-link file version {data.get('version')!r}")
    edits = {}
    for edit in data.get("edits") or ():
        if not isinstance(edit, dict) or not edit.get("nl_term") or not edit.get("en_term"):
            raise ValueError(f"a user cross-link edit without its terms: {edit!r:.100}")
        edits[(edit["nl_term"], edit["en_term"])] = edit
    return edits


def to_json(edits: dict) -> dict:
    return {"format": FORMAT, "version": VERSION,
            "edits": [edits[key] for key in sorted(edits)]}


def read_edits(path: Path) -> dict[tuple[str, str], dict]:
    """The edits stored at ``path`` (none if there is no file); ``ValueError`` if unreadable."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        return {}
    return from_json(data)


# -- writing (under the write lock, acknowledged by the commit point) -----------------


def _edit_locked(root: Path, lock_timeout: float, change) -> object:
    """Run ``change(edits)`` on the current generation's edits and publish the result.

    Phase 1 replaces the file atomically and durably (``write_json``); phase 2
    (``publish``) records it in ``commit.json``. Only then is the edit
    acknowledged. A process killed between the two leaves either file whole.
    """
    from index.storage.commit import locked_write, publish, roll_back_to_commit_point
    from index.storage.errors import IndexMissingError, StoreError
    from index.storage.generations import USER_LINKS_FILE, current_generation, write_json

    root = Path(root)
    missing = IndexMissingError(f"no index in {root}; build one with "
                                f"`tolk index --index-dir {root} PATH` first")
    if current_generation(root) is None:
        raise missing  # before the lock, which would create the directory
    with locked_write(root, lock_timeout):
        generation = current_generation(root)
        if generation is None:
            raise missing
        roll_back_to_commit_point(generation)  # also refuses a damaged generation
        path = generation / USER_LINKS_FILE
        try:
            edits = read_edits(path)
        except (ValueError, UnicodeDecodeError) as exc:
            raise StoreError(f"{path} is unreadable ({exc}); restore it or remove it "
                             "(its edits are lost), then try again") from None
        result, changed = change(edits)
        if changed:
            write_json(path, to_json(edits))
            publish(generation, {})
        return result


def store_edit(root: Path, edit: dict, lock_timeout: float) -> tuple[dict, bool]:
    """Add or replace the edit of ``edit``'s pair; ``(edit, created)``."""
    key = (edit["nl_term"], edit["en_term"])

    def change(edits):
        created = key not in edits
        edits[key] = edit
        return (edit, created), True

    return _edit_locked(root, lock_timeout, change)


def remove_edit(root: Path, key: tuple[str, str], lock_timeout: float) -> dict | None:
    """Remove the edit of the pair ``key``; the removed edit, or None if there was none."""

    def change(edits):
        removed = edits.pop(key, None)
        return removed, removed is not None

    return _edit_locked(root, lock_timeout, change)


# -- reading ------------------------------------------------------------------------


def matcher(word: str | None, lang: str = "any", kind: str = "any"):
    """A test of an edit: does it concern ``word`` (analyzed in ``lang``, or in both) and is
    it of ``kind`` (``link``, ``block``, ``any``)? The word is analyzed once, not per edit."""
    wanted = {}
    if word:
        for side_lang in LANGUAGES:
            terms = analyze(side_lang, word) if lang in ("any", side_lang) else []
            if terms:
                wanted[side_lang] = (" ".join(terms), terms[0] if len(terms) == 1 else None)

    def test(edit: dict) -> bool:
        if kind == "block" and not edit.get("block") or kind == "link" and edit.get("block"):
            return False
        if not word:
            return True
        for side_lang, (joined, single) in wanted.items():
            mine = edit[f"{side_lang}_term"]
            if joined == mine or (single is not None and single in mine.split(" ")):
                return True
        return False

    return test


def public(edit: dict) -> dict:
    """An edit as the API and CLI show it."""
    return {"nl": edit["nl"], "en": edit["en"], "nl_term": edit["nl_term"],
            "en_term": edit["en_term"], "weight": edit.get("weight"),
            "block": bool(edit.get("block")), "updated": edit.get("updated")}


class EditedLexicon(Lexicon):
    """A lexicon with user edits laid over it: blocked pairs never come out of it.

    A blocked pair's row stays in the row list (row numbers are what the term
    index holds) but is left out of the index and of every listing.
    """

    blocked: frozenset = frozenset()  # (nl_term, en_term) pairs
    _hidden: frozenset = frozenset()  # numbers of the blocked pairs' rows

    def links(self, lang, term, limit=MAX_LINKS, min_weight: float = 0.0):
        found = super().links(lang, term, limit=None, min_weight=min_weight)
        if self.blocked:  # the search-time fallbacks (name keys, compound parts) too
            nl_side = lang == LANGUAGES[0]
            found = [link for link in found
                     if ((term, link.term) if nl_side else (link.term, term)) not in self.blocked]
        return found[:limit] if limit is not None else found

    def _expanded_rows(self):
        hidden = self._hidden
        for number, row in enumerate(super()._expanded_rows()):
            if number not in hidden:
                yield row

    def stats(self) -> dict[str, int]:
        counts = super().stats()
        for number in self._hidden:
            for source, _ in self._row_sources(self._rows[number]):
                counts[source] -= 1
        return {source: n for source, n in counts.items() if n}

    def __len__(self) -> int:
        return super().__len__() - len(self._hidden)

    def to_json(self) -> dict:
        data = super().to_json()
        data["pairs"] = [row for row in data["pairs"]
                         if (row[0], row[1]) not in self.blocked]
        return data


def apply(lexicon: Lexicon, edits: dict[tuple[str, str], dict]) -> Lexicon:
    """``lexicon`` with the user's ``edits``: links replaced or added, blocked pairs gone.

    A linked pair's row gets the user's weight with ``user`` as its best
    source (the sources that also give the pair stay listed after it). Like
    ``Lexicon.overlay`` it copies the row list and the term index and
    re-sorts only the terms the edits touch: a reader pays milliseconds per
    change of the file, not a sort of the whole lexicon.
    """
    if not edits:
        return lexicon
    rows = list(lexicon._frozen())
    sources = list(lexicon._sources)
    if SOURCE not in sources:
        sources.append(SOURCE)
    user = sources.index(SOURCE)
    index = {lang: dict(terms) for lang, terms in lexicon._index.items()}
    nl_lang, en_lang = LANGUAGES
    touched: dict[str, set] = {lang: set() for lang in LANGUAGES}
    hidden = set()

    def row_of(nl_term: str, en_term: str) -> int | None:
        return next((n for n in index[nl_lang].get(nl_term, ()) if rows[n][1] == en_term), None)

    blocked = frozenset(key for key, edit in edits.items() if edit.get("block"))
    for nl_term, en_term in blocked:
        number = row_of(nl_term, en_term)
        if number is None:
            continue
        hidden.add(number)
        for lang, term in ((nl_lang, nl_term), (en_lang, en_term)):
            index[lang][term] = [n for n in index[lang][term] if n != number]
    for (nl_term, en_term), edit in edits.items():
        if edit.get("block"):
            continue
        weight = float(edit["weight"])
        code = [[user, weight]]
        number = row_of(nl_term, en_term)
        if number is not None:
            code += [[sources.index(s), w] for s, w in lexicon._row_sources(rows[number])
                     if s != SOURCE]
        row = [nl_term, en_term, weight, code, edit["nl"], edit["en"]]
        if number is not None:
            rows[number] = row
        else:
            rows.append(row)
            for lang, term in ((nl_lang, nl_term), (en_lang, en_term)):
                index[lang][term] = index[lang].get(term, []) + [len(rows) - 1]
        touched[nl_lang].add(nl_term)
        touched[en_lang].add(en_term)
    for lang, terms in touched.items():
        for term in terms:  # each term's rows best first, as links() expects
            index[lang][term] = sorted(index[lang][term],
                                       key=lambda n: _row_order(sources, rows[n]))
    result = EditedLexicon()
    result._pairs = None
    result._rows, result._sources, result._index = rows, sources, index
    result._unsorted = True  # appended rows: to_json sorts
    result.name_keys = lexicon.name_keys
    result.blocked = blocked
    result._hidden = frozenset(hidden)
    result.info = {**lexicon.info, "user_links": len(edits) - len(blocked),
                   "user_blocks": len(blocked)}
    return result
