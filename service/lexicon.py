"""Bind the engine's cross-link lexicon to the settings (sources' locations)."""

from __future__ import annotations

from pathlib import Path

from index.storage.generations import LEXICON_CORPUS_FILE, USER_LINKS_FILE

CACHE_FOLDER = "cache"  # in the index directory: the static lexicon per source version


def lexicon_builder(settings: dict):
    """The store's lexicon builder for the configured sources.

    The static part is cached in ``INDEX_DIR/cache`` (see
    ``index.crosslink.static_cache``), so only the first build pays for FreeDict.
    """
    from index.crosslink.builder import IncrementalBuilder

    index_dir = settings.get("INDEX_DIR")
    return IncrementalBuilder(freedict_dir=settings.get("FREEDICT_DIR") or None,
                              parallel_dir=settings.get("PARALLEL_DIR") or None,
                              cache_dir=Path(index_dir) / CACHE_FOLDER if index_dir else None)


def load_lexicon(path: Path):
    """Load a generation's lexicon: ``path`` (static part) joined with its corpus part,
    with the users' edits (``index.crosslink.user_links``) laid over both."""
    from index.crosslink import corpus_part, user_links

    path = Path(path)
    lexicon = corpus_part.load(path, path.with_name(LEXICON_CORPUS_FILE))
    try:
        edits = user_links.read_edits(path.with_name(USER_LINKS_FILE))
    except (ValueError, UnicodeDecodeError) as exc:  # the open-time checks report it
        raise ValueError(f"{USER_LINKS_FILE} (the users' cross-link edits) is unreadable: "
                         f"{exc}") from None
    return user_links.apply(lexicon, edits)
