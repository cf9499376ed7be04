"""The static part of the lexicon, built once per source version and kept on disk.

Curated links, place names, FreeDict and the parallel text do not depend on the
corpus, yet building them takes seconds (FreeDict alone ~1.5 s) and every
``tolk index`` run and every gunicorn worker rebuilt them. They are saved as a
lexicon file in a cache folder, named by a key of everything they come from:
the dictionary and parallel files (name, size, mtime), the curated table, the
Babel/pycountry versions, the sentence encoder's mode and model version
(``index.crosslink.wordvec``: its cosines are stored in the file) and the
source code of the lexicon builders and the analyzers (so a code change cannot
reuse a stale file). A missing or unreadable
cache file is simply built again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from importlib import metadata
from pathlib import Path
from typing import Callable

from index.crosslink import wordvec
from index.crosslink.lexicon import Lexicon

log = logging.getLogger(__name__)

STATIC_SOURCES = ("curated", "names", "dictionary", "parallel")
PREFIX = "lexicon-static-"
KEEP = 2  # cache files kept (the newest): an old one may still be in use by a reader
_PACKAGE = Path(__file__).resolve().parent.parent  # index/
_CODE = [*sorted((_PACKAGE / "crosslink").glob("*.py")), _PACKAGE / "analysis.py",
         *sorted((_PACKAGE / "data").glob("*.tsv"))]


def _file_stamp(path: Path) -> list:
    try:
        st = path.stat()
    except OSError:
        return [path.name, None]
    return [path.name, st.st_size, st.st_mtime_ns]


def _folder_stamp(folder) -> list:
    if not folder:
        return []
    folder = Path(folder)
    try:
        return [_file_stamp(p) for p in sorted(folder.iterdir()) if p.is_file()]
    except OSError:
        return [[str(folder), None]]


def _version(package: str) -> str | None:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return None


def version_key(freedict_dir, parallel_dir, curated_path=None) -> str:
    """A short hash of everything the static part is built from."""
    digest = hashlib.sha256()
    for path in _CODE:
        digest.update(path.read_bytes())
    curated_file = Path(curated_path) if curated_path else _PACKAGE / "data" / "curated_links.tsv"
    stamp = {
        "freedict": [f for f in _folder_stamp(freedict_dir)
                     if f[0].startswith(("nld-eng", "eng-nld"))],
        "parallel": _folder_stamp(parallel_dir),
        "curated": curated_file.read_bytes().hex() if curated_file.exists() else None,
        "packages": [_version(p) for p in ("babel", "pycountry", "PyStemmer")],
        # The encoder's cosines are part of the file when on: its model version is in the key.
        "wordvec": [wordvec.mode(), wordvec.model_version() if wordvec.computed() else None],
    }
    digest.update(json.dumps(stamp, sort_keys=True).encode())
    return digest.hexdigest()[:20]


def static_lexicon_file(cache_dir: str | Path, freedict_dir, parallel_dir,
                        progress: Callable[[str], None] | None = None) -> Path:
    """The cache file of the static lexicon for these sources, built if missing."""
    return static_lexicon(cache_dir, freedict_dir, parallel_dir, progress)[0]


def static_lexicon(cache_dir: str | Path, freedict_dir, parallel_dir,
                   progress: Callable[[str], None] | None = None) -> tuple[Path, Lexicon]:
    """The cache file of the static lexicon and the lexicon, built if missing or unreadable."""
    from index.crosslink import build_lexicon

    cache_dir = Path(cache_dir)
    path = cache_dir / f"{PREFIX}{version_key(freedict_dir, parallel_dir)}.json"
    if path.exists():
        try:
            return path, Lexicon.load(path)
        except (OSError, ValueError) as exc:  # a truncated file is built again
            log.warning("lexicon cache %s is unreadable (%s); building it again", path, exc)
    lexicon = build_lexicon(None, parallel_dir=parallel_dir, freedict_dir=freedict_dir,
                            progress=progress, sources=STATIC_SOURCES)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    try:
        lexicon.save(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _prune(cache_dir, keep=path)
    return path, lexicon


def _prune(cache_dir: Path, keep: Path) -> None:
    files = sorted(cache_dir.glob(f"{PREFIX}*.json"), key=lambda p: p.stat().st_mtime_ns,
                   reverse=True)
    for old in [p for p in files if p != keep][KEEP - 1:]:
        try:
            old.unlink()
        except OSError:
            pass
