"""Language options for ``prepare()``, from the settings and the current index.

The API and ``tolk index`` both detect languages with the same evidence: the
vocabulary of the index they write to (re-read only when the index has
doubled, see ``index.ingest.language_evidence.index_vocabulary``) and
``TOLK_DEFAULT_LANGUAGE`` for text too short to decide. One function builds
those options so the two cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

from index.ingest.language import LanguageOptions, warm_up
from index.ingest.language_evidence import default_freedict_dir, index_vocabulary


def default_language(settings: dict) -> str | None:
    """``TOLK_DEFAULT_LANGUAGE`` as "nl", "en" or None (checked by ``service.settings``)."""
    return settings.get("DEFAULT_LANGUAGE") or None


def language_options(settings: dict, reader=None) -> LanguageOptions:
    """Options for detection: the index's vocabulary (if ``reader`` has one), the default."""
    # The dictionaries' headwords are evidence even when FREEDICT_DIR is emptied to keep
    # them out of the lexicon (as the write tests do): fall back to Debian's folder.
    _configure_cache(settings)
    freedict = settings.get("FREEDICT_DIR")
    freedict = str(freedict) if freedict and Path(freedict).exists() else default_freedict_dir()
    return LanguageOptions(
        vocabulary=index_vocabulary(reader) if reader is not None else None,
        default=default_language(settings),
        freedict_dir=freedict,
    )


def _configure_cache(settings: dict) -> None:
    """The start-up cache (word lists, language model) goes to ``INDEX_DIR/cache``."""
    from index import startup_cache
    from service.lexicon import CACHE_FOLDER

    index_dir = settings.get("INDEX_DIR")
    startup_cache.configure(Path(index_dir) / CACHE_FOLDER if index_dir else None)


def prepare_language_detection(settings: dict) -> None:
    """Load the language model and word lists, once per process.

    Called by ``create_app``: a gunicorn worker then answers its first write as fast as
    its next one (loading them inside the first POST took 1.5 s or more).
    """
    warm_up(language_options(settings))
