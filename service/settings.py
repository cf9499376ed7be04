"""Settings: every setting declared once, with its environment variable and help.

Read once, in ``create_app`` (and by the CLI for its defaults); nothing else
reads the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: object
    help: str
    type: type = str


SETTINGS = [
    Setting("INDEX_DIR", "TOLK_INDEX_DIR", "data/index",
            "Directory holding the index generations (created by `tolk index`)."),
    Setting("API_KEY", "TOLK_API_KEY", "",
            "Bearer key for write endpoints; empty disables writes (403)."),
    Setting("FREEDICT_DIR", "TOLK_FREEDICT_DIR", "/usr/share/dictd",
            "Where Debian's FreeDict nld-eng / eng-nld files are (lexicon source)."),
    Setting("PARALLEL_DIR", "TOLK_PARALLEL_DIR", "",
            "Folder with aligned nld_Latn.devtest / eng_Latn.devtest files to learn "
            "cross-links from (empty: skip that lexicon source)."),
    Setting("LOCK_TIMEOUT", "TOLK_LOCK_TIMEOUT", 30.0,
            "Seconds a write waits for another writer before giving up.", float),
    Setting("MAX_QUERY_CHARS", "TOLK_MAX_QUERY_CHARS", 500,
            "Longest accepted query string.", int),
    Setting("MAX_CONTENT_LENGTH", "TOLK_MAX_CONTENT_LENGTH", 10 * 1024 * 1024,
            "Largest accepted request body in bytes.", int),
    Setting("MAX_BATCH_DOCS", "TOLK_MAX_BATCH_DOCS", 1000,
            "Most documents accepted in one POST /api/documents.", int),
    Setting("RESULT_CACHE", "TOLK_RESULT_CACHE", 512,
            "Search results cached per worker process (0: off); any write or rebuild "
            "changes the cache key, so a cached result is never stale.", int),
    Setting("FIELDS", "TOLK_FIELDS", "",
            "Your own document fields, name:type separated by commas, e.g. "
            "desk:keyword,priority:number,embargo:date,summary:text (types: keyword, "
            "keywords, date, number, text). tags, section and author are declared already."),
    Setting("FIELDS_FILE", "TOLK_FIELDS_FILE", "",
            "A JSON or TOML file declaring fields: [{\"name\", \"type\", \"facet\", "
            "\"sort\", \"help\"}, ...] (read with TOLK_FIELDS)."),
    Setting("POSTING_CACHE_MB", "TOLK_POSTING_CACHE_MB", 64.0,
            "Megabytes of decoded posting lists cached per worker process (0: off).", float),
]


def load_settings(overrides: dict | None = None, environ=None) -> dict:
    """Settings from the environment, then ``overrides`` (keys are setting names)."""
    environ = os.environ if environ is None else environ
    values = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        values[setting.name] = setting.default if raw in (None, "") else setting.type(raw)
    values.update(overrides or {})
    return values
