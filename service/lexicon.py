"""Bind the engine's cross-link lexicon to the settings (sources' locations)."""

from __future__ import annotations

from functools import partial
from pathlib import Path


def lexicon_builder(settings: dict):
    """A callable ``names -> Lexicon`` for the store, using the configured sources."""
    from index.crosslink import build_lexicon

    parallel = settings.get("PARALLEL_DIR") or None
    return partial(build_lexicon, parallel_dir=parallel,
                   freedict_dir=settings.get("FREEDICT_DIR") or None)


def load_lexicon(path: Path):
    """Load a lexicon saved with an index generation."""
    from index.crosslink.lexicon import Lexicon

    return Lexicon.load(path)
