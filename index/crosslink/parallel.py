"""Term pairs learned from sentence-aligned Dutch-English text.

The default corpus is FLORES-200 devtest (``nld_Latn.devtest`` and
``eng_Latn.devtest``: one sentence a line, aligned by line number). Both
sides are analyzed with the index analyzers, so the pairs are between index
terms. For every Dutch term ``x`` and English term ``y`` that occur in the
same sentence pair the co-occurrence count ``c(x, y)`` is gathered; a
candidate's association is the Dice coefficient ``2 c / (c(x) + c(y))``,
plus a bonus for cognates (similar folded spellings: ``diabetes`` /
``diabetes``, ``crisis`` / ``crisis``). Competitive linking (Melamed 2000)
then accepts candidates best first, each term at most once, which stops a
frequent word from pairing with everything it happens to occur beside.

``exclude`` takes line indexes to leave out, so an evaluation can learn from
folds that do not contain its test documents.

The same text also checks the dictionary (:class:`Evidence`,
:func:`discount_unattested`): a dictionary pair whose Dutch and English terms
both occur in the aligned text but never in the same sentence pair is
probably a sense the news does not use (``waar`` -> ware, ``geest`` -> wit),
so its weight is lowered.
"""

from __future__ import annotations

import math
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path
from typing import Iterable, Sequence

from index.analysis import analyzer_for, fold

SOURCE = "parallel"
MAX_WEIGHT = 0.8
MIN_DICE = 0.3
COGNATE_BONUS = 0.3
FILES = ("nld_Latn.devtest", "eng_Latn.devtest")
# A dictionary pair both of whose terms the aligned text has, but never in one
# sentence pair, keeps this share of its weight. FLORES 5-fold, tuned on the even
# folds: 0.3, 0.5 and 0.7 all help; 0.5 best for both directions together.
UNATTESTED_FACTOR = 0.5


def _sentence_terms(lang: str, text: str, surfaces: dict[str, Counter]) -> set[str]:
    terms = set()
    for token in analyzer_for(lang)(text, mode="query"):
        term = token.text
        if term[:1].isdigit() or len(term) < 2:
            continue
        terms.add(term)
        surfaces.setdefault(term, Counter())[token.original] += 1
    return terms


def cognate_similarity(a: str, b: str) -> float:
    """Similarity 0..1 of two folded spellings (1 - normalized edit distance, approximately)."""
    a, b = fold(a), fold(b)
    if a == b:
        return 1.0
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def learn_pairs(nl_lines: Sequence[str], en_lines: Sequence[str], min_count: int = 2,
                exclude: Iterable[int] | None = None, min_dice: float = MIN_DICE,
                max_weight: float = MAX_WEIGHT) -> list[tuple[str, str, float, str, str]]:
    """Learn ``(nl_term, en_term, weight, nl_surface, en_surface)`` from aligned lines.

    Lines are paired by index; pairs where either side is empty, and indexes
    in ``exclude``, are skipped. Only terms seen in at least ``min_count``
    sentence pairs take part. The weight grows with the association strength
    and is at most ``max_weight``.
    """
    if len(nl_lines) != len(en_lines):
        raise ValueError(f"parallel text is not aligned: {len(nl_lines)} Dutch lines, "
                         f"{len(en_lines)} English lines")
    skip = set(exclude or ())
    nl_surfaces: dict[str, Counter] = {}
    en_surfaces: dict[str, Counter] = {}
    sentences = []
    nl_count, en_count = Counter(), Counter()
    for i, (nl_text, en_text) in enumerate(zip(nl_lines, en_lines)):
        if i in skip or not nl_text.strip() or not en_text.strip():
            continue
        nl_terms = _sentence_terms("nl", nl_text, nl_surfaces)
        en_terms = _sentence_terms("en", en_text, en_surfaces)
        sentences.append((nl_terms, en_terms))
        nl_count.update(nl_terms)
        en_count.update(en_terms)
    cooc: Counter = Counter()
    for nl_terms, en_terms in sentences:
        nl_kept = [t for t in nl_terms if nl_count[t] >= min_count]
        en_kept = [t for t in en_terms if en_count[t] >= min_count]
        for x in nl_kept:
            for y in en_kept:
                cooc[(x, y)] += 1

    candidates = []
    for (x, y), c in cooc.items():
        if c < min_count:
            continue
        dice = 2.0 * c / (nl_count[x] + en_count[y])
        similarity = cognate_similarity(x, y)
        bonus = COGNATE_BONUS * similarity if similarity >= 0.7 else 0.0
        score = dice + bonus
        if score >= min_dice:
            # Ties: more evidence first, then the closer spelling.
            candidates.append((score, c, similarity, x, y, dice))
    candidates.sort(key=lambda item: (-item[0], -item[1], -item[2], item[3], item[4]))

    linked_nl, linked_en = set(), set()
    pairs = []
    for score, c, similarity, x, y, dice in candidates:
        if x in linked_nl or y in linked_en:
            continue
        linked_nl.add(x)
        linked_en.add(y)
        # Association -> confidence: Dice capped at 1, discounted for little evidence.
        evidence = 1.0 - 1.0 / (1.0 + c)  # 2 -> 0.67, 5 -> 0.83
        strength = min(1.0, score)
        weight = round(max_weight * strength * math.sqrt(evidence), 4)
        pairs.append((x, y, weight, nl_surfaces[x].most_common(1)[0][0],
                      en_surfaces[y].most_common(1)[0][0]))
    return pairs


class Evidence:
    """Which terms, and which Dutch-English term pairs, the aligned text attests."""

    def __init__(self, nl_lines: Sequence[str], en_lines: Sequence[str],
                 exclude: Iterable[int] | None = None):
        if len(nl_lines) != len(en_lines):
            raise ValueError(f"parallel text is not aligned: {len(nl_lines)} Dutch lines, "
                             f"{len(en_lines)} English lines")
        skip = set(exclude or ())
        surfaces: dict[str, Counter] = {}
        self.nl_terms: set[str] = set()
        self.en_terms: set[str] = set()
        self.pairs: set[tuple[str, str]] = set()
        for i, (nl_text, en_text) in enumerate(zip(nl_lines, en_lines)):
            if i in skip or not nl_text.strip() or not en_text.strip():
                continue
            nl_terms = _sentence_terms("nl", nl_text, surfaces)
            en_terms = _sentence_terms("en", en_text, surfaces)
            self.nl_terms |= nl_terms
            self.en_terms |= en_terms
            self.pairs.update((x, y) for x in nl_terms for y in en_terms)

    def contradicts(self, nl_term: str, en_term: str) -> bool:
        """Both terms occur in the text, never in one sentence pair."""
        return (nl_term in self.nl_terms and en_term in self.en_terms
                and (nl_term, en_term) not in self.pairs)


def discount_unattested(pairs, evidence: Evidence, factor: float = UNATTESTED_FACTOR):
    """Lower the weight of ``(nl, en, weight, nl_surface, en_surface)`` pairs the text contradicts."""
    for nl_term, en_term, weight, nl_surface, en_surface in pairs:
        if evidence.contradicts(nl_term, en_term):
            weight = round(weight * factor, 4)
        yield nl_term, en_term, weight, nl_surface, en_surface


def read_parallel(parallel_dir: str | Path) -> tuple[list[str], list[str]]:
    """The Dutch and English lines of a FLORES-style folder."""
    folder = Path(parallel_dir)
    nl_path, en_path = folder / FILES[0], folder / FILES[1]
    nl_lines = nl_path.read_text("utf-8").splitlines()
    en_lines = en_path.read_text("utf-8").splitlines()
    return nl_lines, en_lines


# -- the learned links shipped with Tolk ---------------------------------------------------
#
# What the aligned text teaches (learned pairs, and the dictionary pairs it
# contradicts) is built into ``index/data/parallel_links.tsv`` by
# ``scripts/build_parallel_links.py``, so that a fresh clone or the Docker image,
# which have no FLORES folder, rank as well as a machine that has one. The file
# holds index terms and readable words, never the text itself. Rows:
#   learned<TAB>nl_term<TAB>en_term<TAB>weight<TAB>nl_surface<TAB>en_surface
#   unattested<TAB>nl_term<TAB>en_term<TAB>nl_surface<TAB>en_surface
# The terms are re-derived from the surfaces when the analyzers now stem a
# surface differently (a stemmer change), so the file does not go stale at once;
# ``tests/test_crosslink_parallel_shipped.py`` fails when most rows are out of step.

SHIPPED_PATH = Path(__file__).resolve().parent.parent / "data" / "parallel_links.tsv"
SHIPPED_SOURCE = "FLORES-200 devtest (nld_Latn, eng_Latn), CC-BY-SA 4.0"


class ShippedEvidence:
    """The dictionary pairs the aligned text contradicts, as shipped (see :class:`Evidence`)."""

    def __init__(self, pairs: set[tuple[str, str]]):
        self.pairs = pairs

    def contradicts(self, nl_term: str, en_term: str) -> bool:
        return (nl_term, en_term) in self.pairs


def _current_term(lang: str, surface: str, stored: str) -> str:
    from index.analysis import analyze

    terms = analyze(lang, surface)
    return terms[0] if len(terms) == 1 else stored


def read_shipped(path: str | Path | None = None) -> tuple[list[tuple], ShippedEvidence, dict]:
    """The shipped learned pairs, the contradicted dictionary pairs and the header fields."""
    path = Path(path) if path else SHIPPED_PATH
    learned, unattested, header = [], set(), {}
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        if line.startswith("#"):
            key, _, value = line[1:].partition(":")
            if value:
                header[key.strip()] = value.strip()
            continue
        fields = line.split("\t")
        if fields[0] == "learned" and len(fields) == 6:
            _, nl_term, en_term, weight, nl_s, en_s = fields
            learned.append((_current_term("nl", nl_s, nl_term), _current_term("en", en_s, en_term),
                            float(weight), nl_s, en_s))
        elif fields[0] == "unattested" and len(fields) in (3, 5):
            unattested.add((fields[1], fields[2]))
            if len(fields) == 5:  # and the pair as the analyzers now stem its words
                unattested.add((_current_term("nl", fields[3], fields[1]),
                                _current_term("en", fields[4], fields[2])))
        else:
            raise ValueError(f"{path}:{number}: not a learned or unattested row")
    return learned, ShippedEvidence(unattested), header


def write_shipped(path: str | Path, parallel_dir: str | Path, dictionary_pairs) -> dict:
    """Learn from all of ``parallel_dir`` and write the shipped file; returns counts.

    ``dictionary_pairs``: the dictionary's ``(nl, en, weight, nl_s, en_s)``
    pairs, to list those the text contradicts.
    """
    import time

    nl_lines, en_lines = read_parallel(parallel_dir)
    learned = learn_pairs(nl_lines, en_lines)
    evidence = Evidence(nl_lines, en_lines)
    unattested: dict[tuple[str, str], tuple[str, str]] = {}
    for nl, en, _, nl_s, en_s in dictionary_pairs:
        if evidence.contradicts(nl, en):
            unattested.setdefault((nl, en), (nl_s, en_s))
    sentences = sum(1 for a, b in zip(nl_lines, en_lines) if a.strip() and b.strip())
    lines = [
        "# Tolk's learned Dutch-English links, shipped so that a checkout without the corpus",
        "# ranks like one with it. Regenerate: python scripts/build_parallel_links.py --flores DIR",
        f"# source: {SHIPPED_SOURCE}",
        "# licence: CC-BY-SA 4.0 (derived data: term pairs and their weights, no sentences)",
        f"# built: {time.strftime('%Y-%m-%d')} from {sentences} aligned sentence pairs "
        "(all articles); competitive linking over Dice + cognate bonus (index/crosslink/parallel.py)",
        f"# rows: {len(learned)} learned, {len(unattested)} unattested dictionary pairs",
        "# learned<TAB>nl_term<TAB>en_term<TAB>weight<TAB>nl_word<TAB>en_word",
        "# unattested<TAB>nl_term<TAB>en_term<TAB>nl_word<TAB>en_word   (dictionary pair whose",
        "#   terms are both in the text, never in one sentence pair: its weight x0.5)",
    ]
    lines += ["\t".join(("learned", nl, en, f"{w:g}", nl_s, en_s))
              for nl, en, w, nl_s, en_s in sorted(learned)]
    lines += ["\t".join(("unattested", nl, en, *unattested[(nl, en)]))
              for nl, en in sorted(unattested)]
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines) + "\n", "utf-8")
    tmp.replace(path)
    return {"learned": len(learned), "unattested": len(unattested), "sentences": sentences}
