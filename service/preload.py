"""What the gunicorn master loads once, before it forks the workers (``TOLK_PRELOAD``).

Why: every worker used to build the same read-only tables after the fork (the
language model and FreeDict headwords, wordfreq's lists, the sentence encoder's
tokenizer and weights, the cross-link lexicon, the code itself): 10-20 s per
worker on a loaded machine before it took its first request, and a private copy
of each in every worker. Loaded here, a forked worker inherits them: it starts
without loading them, and their pages stay shared (copy-on-write) while nobody
writes them. ``gc.freeze()`` keeps the cyclic collector from writing to every
preloaded object's header in each worker, which would copy the pages anyway.

Only pure data and code are loaded: no index file is opened (a file offset
shared by forked processes would mix their reads; each worker opens its own
searchers) and no thread is started (NumPy's BLAS pool is held at one thread
before NumPy loads, in ``service/gunicorn_conf.py``, as each worker did anyway).
Every step is best effort: what fails here is loaded by the workers as before,
and they report real problems (``/api/health/ready``).
"""

from __future__ import annotations

import gc
import logging
import os
import time
from pathlib import Path

log = logging.getLogger("tolk.preload")

# Words of both languages (with a compound) run through the analyzers once.
SAMPLE = {"nl": "De regering stuurt troepen naar het grensgebied",
          "en": "The government sends troops to the border region"}


def _step(done: dict, name: str, function) -> None:
    started = time.perf_counter()
    try:
        function()
    except Exception as exc:  # noqa: BLE001 - the workers load it themselves then
        done["failed"][name] = str(exc)
        log.warning("preload of %s failed (each worker loads it): %s", name, exc)
        return
    done["seconds"][name] = round(time.perf_counter() - started, 3)


def _code() -> None:
    # The web layer and the engine; what create_app and a search import.
    import flask  # noqa: F401
    import marshmallow  # noqa: F401
    import whoosh.index  # noqa: F401

    import index.search.pipeline  # noqa: F401
    import index.search.suggest  # noqa: F401
    import service.schemas  # noqa: F401


def _analysis(settings: dict) -> None:
    from index import decompound
    from index.analysis import analyze

    decompound.configure(settings["DECOMPOUND"])
    for language, text in SAMPLE.items():
        analyze(language, text, mode="query")
        analyze(language, text, mode="index")
    if decompound.enabled():
        decompound.vocabulary()


def _word_frequencies() -> None:
    from index.crosslink.evidence import warm_up

    warm_up()


def _languages(settings: dict) -> None:
    from service.languages import prepare_language_detection

    prepare_language_detection(settings)


def _embedder(settings: dict) -> None:
    from index.vectors import embedder

    embedder.configure(settings["EMBEDDER"])
    model = embedder.get()
    if model is not None and model.name in embedder.FORK_SAFE:
        model.encode_query("warm up")  # loads the tokenizer and the weights


def _lexicon(settings: dict) -> None:
    from index.crosslink import wordvec
    from index.storage.generations import CURRENT, LEXICON_FILE, linked_generation

    from service.lexicon import load_lexicon

    wordvec.configure(settings["WORDVEC"])
    generation = linked_generation(Path(settings["INDEX_DIR"]), CURRENT)
    if generation is not None and (generation / LEXICON_FILE).exists():
        lexicon = load_lexicon(generation / LEXICON_FILE)
        lexicon.links("nl", "reger")  # builds the lexicon's term index
        lexicon.links("en", "govern")


def preload(settings: dict) -> dict:
    """Load the read-only tables in this (master) process; what it did, per step.

    Never raises: a step that fails is named in ``failed`` and left to the workers.
    """
    done: dict = {"seconds": {}, "failed": {}}
    started = time.perf_counter()
    _step(done, "code", _code)
    _step(done, "analysis", lambda: _analysis(settings))
    _step(done, "word_frequencies", _word_frequencies)
    _step(done, "language_detection", lambda: _languages(settings))
    _step(done, "embedder", lambda: _embedder(settings))
    if settings.get("BACKEND", "whoosh") == "whoosh":
        _step(done, "lexicon", lambda: _lexicon(settings))
    # Everything loaded so far lives as long as the server: out of the collector's sight,
    # so no worker's collection writes to (and so copies) the shared pages.
    gc.collect()
    gc.freeze()
    done["total_seconds"] = round(time.perf_counter() - started, 3)
    return done


def inherited() -> list[str]:
    """What this process uses without having loaded it: loaded by its parent (preload)."""
    from index.vectors import embedder

    from service.lexicon import loaded_in

    found = []
    if loaded_in() not in (None, os.getpid()):
        found.append("lexicon")
    model = embedder.get() if embedder.configured() != "off" else None
    if model is not None and model.loaded_in not in (None, os.getpid()):
        found.append("embedder")
    return found
