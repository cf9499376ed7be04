"""Every regex-driven stage takes time linear in its input, on pathological input too.

Each stage gets each input at 10 KB and at 100 KB; the 100 KB run may take at
most MAX_RATIO times the 10 KB run (linear: about 10x; quadratic: about
100x). Times are CPU time of this thread (other processes on a shared machine
do not count), the 10 KB run is the fastest of a few, and a failing ratio is
measured again before the test fails. A run that passes its budget (MAX_RATIO
times the small run; 2 s of CPU for the small run) is stopped by a CPU-time
signal, so a quadratic stage fails in seconds instead of running for minutes.
A retry first runs the large input once untimed, so growing the heap (page
faults count as CPU time) is not taken for the stage's own work.
"""

from __future__ import annotations

import gc
import signal
import time

import pytest

from index.analysis import analyze, analyzer_for
from index.ingest.cleaning import clean_text, first_sentence, title_from_sentence
from index.ingest.documents import Document
from index.ingest.language import LanguageError, detect_language
from index.ingest.names import name_candidates
from index.normalize import normalize_text
from index.search.highlight import find_matches, snippet
from index.search.expansion import sentence_initial
from index.search.pipeline import _searched_words
from index.search.query import QuerySyntaxError, parse_query
from index.storage.docterms import TokenTable

SMALL, LARGE = 10_000, 100_000
MAX_RATIO = 20
SMALL_BUDGET = 2.0  # CPU seconds; a linear stage needs milliseconds for 10 KB
ATTEMPTS = 4


def _repeat(unit: str, prefix: str = "Tekst over Poetin ", suffix: str = ""):
    def make(size: int) -> str:
        body = size - len(prefix) - len(suffix)
        return prefix + (unit * (body // len(unit) + 1))[:body] + suffix
    return make


# Inputs, each a function size -> text of that many characters.
INPUTS = {
    "dots (at 100 KB a 100,000-dot line)": _repeat("."),
    "line of words ending in dots": _repeat(".", prefix="Poetin zei dat het klaar was"),
    "spaces": _repeat(" "),
    "digits": _repeat("7"),
    "numbers with separators": _repeat("1."),
    "capitals": _repeat("A"),
    "capitalized words": _repeat("Ab "),
    "hyphens": _repeat("-"),
    "hyphenated word": _repeat("a-"),
    "apostrophes": _repeat("'"),
    "apostrophe word": _repeat("a\u2019"),
    "tags": _repeat("<b>"),
    "html": _repeat('<a href="/x">Poetin</a> '),
    "emoji": _repeat("\U0001F600"),
    "emoji with zero-width joiners": _repeat("\U0001F469\u200d\U0001F4BB"),
    "invisibles": _repeat("a\u200b\u00ad"),
    "combining accents": _repeat("e\u0308"),
    "newlines": _repeat("\n"),
    "one-letter sentences": _repeat("a. B. "),
    "sentences": _repeat("Poetin zei dat. "),
    "punctuation mix": _repeat("x.-'\"():!?"),
    "parentheses": _repeat("("),
    "comment headers": _repeat("Reacties\n", prefix="Kop\n"),
    "comment counts": _repeat("Comments (1)\n", prefix="Kop\n"),
    "navigation lines": _repeat("Home\n"),
    "date header then newlines": _repeat("\n", prefix="date", suffix="x"),
    "one paragraph of many lines": _repeat("woord\n", prefix="Kop\n\n"),
    "one long word": _repeat("a"),
    "Dutch compounds": _repeat("grensgebied gasprijzen vredesmissieleider "),
    "one long compound-like word": _repeat("gasprijzen"),
}

_DOC_TERMS = frozenset(analyze("nl", "Poetin troepen woord", mode="index"))


def _document(text: str) -> Document:
    return Document(id="x", language="nl", language_confidence=1.0, title="Titel",
                    text=text, original=text)


def _highlight(text: str) -> None:
    snippet(text, find_matches("nl", text, _DOC_TERMS))


def _query(text: str) -> None:
    try:
        parse_query(text)
    except QuerySyntaxError:
        pass


def _sentence_starts(text: str) -> None:
    try:
        node = parse_query(text)
    except QuerySyntaxError:
        return
    sentence_initial(text, _searched_words(node))


def _language(text: str) -> None:
    try:
        detect_language(text)
    except LanguageError:
        pass


STAGES = {
    "normalize": normalize_text,
    "clean": clean_text,
    "title": lambda text: title_from_sentence(first_sentence(text)),
    "tokenize": lambda text: analyze("nl", text, mode="index"),
    # the indexer's per-word token table (index.storage.docterms), fresh: nothing cached
    "index terms": lambda text: TokenTable(analyzer_for("nl")).positions(text),
    "names": lambda text: name_candidates(_document(text)),
    "highlight": _highlight,
    "query": _query,
    # which capitalized query words open a sentence (no name links for common ones)
    "sentence starts": _sentence_starts,
    "language": _language,
}


class _OverBudget(Exception):
    pass


def _on_budget(signum, frame):
    raise _OverBudget()


def _cpu_time(stage, text: str, budget: float) -> float:
    """CPU seconds of one run, or inf when it passes ``budget`` (then it is stopped)."""
    previous = signal.signal(signal.SIGPROF, _on_budget)
    gc.disable()
    try:
        try:
            signal.setitimer(signal.ITIMER_PROF, budget)
            started = time.thread_time()
            stage(text)
            elapsed = time.thread_time() - started
        finally:
            # The timer may fire up to here (even inside this call): caught below.
            signal.setitimer(signal.ITIMER_PROF, 0)
    except _OverBudget:
        elapsed = float("inf")
    finally:
        signal.signal(signal.SIGPROF, previous)
        gc.enable()
    return elapsed


def _ratio(stage, small_text: str, large_text: str) -> tuple[float, float, float]:
    stage(small_text[:1000])  # warm caches and lazy loads (the language model)
    small = large = float("inf")
    for attempt in range(ATTEMPTS):
        if attempt:  # a retry: first let the large input grow the heap (page faults count)
            _cpu_time(stage, large_text, MAX_RATIO * max(small, 1e-4))
        for _ in range(3):
            small = min(small, _cpu_time(stage, small_text, SMALL_BUDGET))
            if small > 0.2:  # slow enough to measure once
                break
        if small == float("inf"):
            return small, small, small
        floor = max(small, 1e-4)  # timer resolution
        large = min(large, _cpu_time(stage, large_text, MAX_RATIO * floor))
        if large / floor <= MAX_RATIO:
            break
    return large / max(small, 1e-4), small, large


@pytest.mark.parametrize("input_name", list(INPUTS))
@pytest.mark.parametrize("stage_name", list(STAGES))
def test_time_grows_linearly(stage_name, input_name):
    make = INPUTS[input_name]
    ratio, small, large = _ratio(STAGES[stage_name], make(SMALL), make(LARGE))
    assert ratio <= MAX_RATIO, (
        f"{stage_name} on {input_name}: 10 KB took {small * 1000:.1f} ms CPU, "
        f"100 KB {'over budget' if large == float('inf') else f'{large * 1000:.1f} ms'}")


def test_inputs_have_the_sizes_they_claim():
    for make in INPUTS.values():
        assert len(make(SMALL)) == SMALL and len(make(LARGE)) == LARGE
