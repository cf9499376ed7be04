"""Is a generation usable? The checks the reader runs when it opens one, and ``tolk check``.

A damaged file must not turn into a 500 on every request, and damage should be
found when a generation is opened, not by the first unlucky search. Opening
therefore checks, cheapest first, and stops at the first problem:

1. the directory exists (a dangling ``current`` link);
2. ``commit.json`` parses (``CorruptIndexError`` otherwise);
3. every Whoosh file the commit point names exists with its recorded size
   (a stat each: a truncated segment or TOC);
4. both Whoosh indexes open at the commit point and count their documents
   (an unreadable TOC or segment header);
5. ``meta.json`` parses and the lexicon loads (a truncated ``lexicon.json``).

A flipped bit inside a segment passes all of these (finding it means reading
every byte); ``deep=True`` (``tolk check``) hashes every file against the
checksums recorded at commit time (``index.storage.checksums``).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from whoosh import index as whoosh_index

from index.analysis import LANGUAGES, analyzer_for, analyzer_version
from index.storage.checksums import deep_problems, quick_problems
from index.storage.commit import open_searcher, read_commit_file
from index.storage.errors import AnalyzerMismatchError, CorruptIndexError
from index.storage.generations import LEXICON_FILE, META_FILE


@dataclass
class Opened:
    """A generation that passed the open-time checks, with what was opened on the way."""

    generation: Path
    indexes: dict
    lexicon: object = None
    lexicon_key: tuple | None = None
    documents: dict = field(default_factory=dict)


def _describe(exc: BaseException) -> str:
    text = str(exc) or exc.__class__.__name__
    return text if isinstance(exc, CorruptIndexError) else f"{exc.__class__.__name__}: {text}"


def lexicon_key(path: Path) -> tuple | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_mtime_ns, st.st_size)


def analyzer_problem(language: str, schema) -> str | None:
    """Why an index's stored analyzer differs from this code's, or None.

    Whoosh keeps the analyzer an index was built with in its schema; the search
    analyzes queries with the current one, so a change of stemmer or override
    table would silently miss documents. The index must be analyzed again.
    """
    if "body" not in schema:
        return None
    built = analyzer_version(schema["body"].analyzer)
    now = analyzer_version(analyzer_for(language))
    if built == now:
        return None
    return (f"the {language} index was built with text analysis {built}, this version of "
            f"Tolk uses {now}")


def open_generation(generation: Path,
                    lexicon_loader: Callable[[Path], object] | None = None) -> Opened:
    """Run the open-time checks; the opened indexes (and lexicon), or ``CorruptIndexError``."""
    if not generation.is_dir():
        raise CorruptIndexError(f"{generation.name} does not exist (a dangling link)")
    commit = read_commit_file(generation)
    problems = quick_problems(generation, commit and commit["files"])
    if problems:
        raise CorruptIndexError("; ".join(problems[:3])
                                + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""))
    try:
        indexes = {lang: whoosh_index.open_dir(str(generation / lang)) for lang in LANGUAGES}
        documents = {}
        for lang, ix in indexes.items():
            toc = commit["toc"][lang] if commit else ix.latest_generation()
            with open_searcher(ix, toc) as searcher:
                documents[lang] = searcher.doc_count()
    except Exception as exc:  # noqa: BLE001 - Whoosh raises many types on damaged files
        raise CorruptIndexError(f"the Whoosh index cannot be opened ({_describe(exc)})") from None
    for lang, ix in indexes.items():
        problem = analyzer_problem(lang, ix.schema)
        if problem:
            for opened_ix in indexes.values():
                opened_ix.close()
            raise AnalyzerMismatchError(problem)
    try:
        meta = generation / META_FILE
        if meta.exists():
            json.loads(meta.read_text("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise CorruptIndexError(f"{META_FILE} is unreadable ({_describe(exc)})") from None
    opened = Opened(generation, indexes, documents=documents)
    path = generation / LEXICON_FILE
    if lexicon_loader is not None and path.exists():
        opened.lexicon_key = lexicon_key(path)
        try:
            opened.lexicon = lexicon_loader(path)
        except Exception as exc:  # noqa: BLE001 - JSON, format or version errors
            raise CorruptIndexError(f"{LEXICON_FILE} is unreadable ({_describe(exc)})") from None
    return opened


def check_generation(generation: Path, lexicon_loader=None, deep: bool = True) -> dict:
    """``tolk check`` of one generation: ``{problems, documents, files, checksums, opens}``.

    ``problems`` is empty when the generation is healthy; ``opens`` says whether it
    passes the server's open-time checks (a flipped bit does); ``files`` counts the
    files verified against their checksums (``checksums`` False: none were
    recorded, an index written before there were any).
    """
    report = {"problems": [], "documents": {}, "files": 0, "checksums": False, "opens": False}
    try:
        opened = open_generation(generation, lexicon_loader)
    except CorruptIndexError as exc:
        report["problems"].append(str(exc))
        # built with another text analysis: intact, but needs `tolk reindex`
        report["outdated"] = isinstance(exc, AnalyzerMismatchError)
    else:
        report["opens"] = True  # passes the server's open-time checks
        report["documents"] = opened.documents
        for ix in opened.indexes.values():
            ix.close()
    if not deep or not generation.is_dir():
        return report
    try:
        commit = read_commit_file(generation)
    except CorruptIndexError:
        return report  # already reported by the open
    files = (commit or {}).get("files") or {}
    report["checksums"] = bool(files)
    report["files"] = len(files)
    for problem in deep_problems(generation, files):
        if problem not in " ".join(report["problems"]):
            report["problems"].append(problem)
    return report
