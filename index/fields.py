"""Declared document fields: which fields a document may carry, their types, and their values.

Tolk's schema used to be fixed; a feed brings its own fields (source, tags, desk,
priority, embargo). A field is declared once, with a type that says how it is
validated, indexed, filtered, faceted and sorted:

- ``keyword``: one string; filters and facets ignore case and accents (the value is
  indexed folded, stored and returned as given).
- ``keywords``: a list of such strings (``tags``).
- ``number``: an int or float; indexed as an order-preserving string so one sortable
  Whoosh column serves range filters and sorting.
- ``date``: ``YYYY-MM``, ``YYYY-MM-DD`` or an ISO 8601 timestamp with time zone
  (kept as given; indexed as the UTC instant for ranges and sorting).
- ``text``: analyzed with the document's language, filterable by words.

Built-in fields (id, language, title, text, date, url, source) are always there;
``tags``, ``section`` and ``author`` are declared by default; more come from
``TOLK_FIELDS`` (``name:type,...``) or ``TOLK_FIELDS_FILE`` (JSON or TOML). The
registry is validated at start, with messages that name the field. The process
uses one registry (``configure``/``active``), set by ``create_app`` and the CLI.
"""

from __future__ import annotations

import json
import math
import re
import struct
import tomllib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from index.analysis import fold

TYPES = ("keyword", "keywords", "date", "number", "text")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$(?!\n)")
# Names Tolk uses itself, in documents, hits or the Whoosh schema.
RESERVED = frozenset({
    "id", "text", "title", "language", "date", "url", "source", "body", "original", "spell",
    "month", "date_start", "date_end", "language_confidence", "decisions", "score", "snippet",
    "crosslinks", "fields", "relevance", "q", "filter", "facets", "sort",
})
MAX_VALUE_CHARS = 500
MAX_VALUES = 100
DAY_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?$(?!\n)")
TIMESTAMP_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?$(?!\n)")
DATE_HELP = ("YYYY-MM, YYYY-MM-DD or an ISO 8601 timestamp such as "
             "2022-02-24T05:30:00+02:00 (no time zone: UTC)")
DECLARE_HELP = ("declare it with TOLK_FIELDS=\"{name}:keyword\" (types: "
                + ", ".join(TYPES) + ") or in TOLK_FIELDS_FILE")


class FieldsError(ValueError):
    """A field declaration that cannot be used; the message names the field."""


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    facet: bool = False  # may be asked for in ``facets=``
    sort: bool = False  # may be used in ``sort=``
    help: str = ""
    builtin: bool = False  # stored by Tolk itself (not in Document.fields)

    def parse(self, value):
        """The value to store for a document, or raise ValueError saying what to send."""
        if self.type == "keyword":
            return _keyword(value)
        if self.type == "keywords":
            values = [value] if isinstance(value, str) else value
            if not isinstance(values, list):
                raise ValueError("must be a list of strings (or one string)")
            if len(values) > MAX_VALUES:
                raise ValueError(f"at most {MAX_VALUES} values")
            out = []
            for item in values:
                item = _keyword(item)
                if item not in out:
                    out.append(item)
            return out
        if self.type == "number":
            return parse_number(value)
        if self.type == "date":
            if not isinstance(value, str):
                raise ValueError(f"must be a string: {DATE_HELP}")
            date_key(value)
            return value
        if self.type == "text":
            if not isinstance(value, str):
                raise ValueError("must be a string")
            if len(value) > 100_000:
                raise ValueError("at most 100000 characters")
            return value
        raise AssertionError(self.type)


INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))


def keyword_fold(value: str) -> str:
    """How keyword values are compared: case, accents, invisible characters and runs of
    spaces do not count (``"NOS\u200b  Nieuws"`` equals ``"nos nieuws"``)."""
    return " ".join(fold(value.translate(INVISIBLE)).split())


def _keyword(value) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    if len(value) > MAX_VALUE_CHARS:
        raise ValueError(f"at most {MAX_VALUE_CHARS} characters")
    if any(ord(ch) < 32 for ch in value):
        raise ValueError("must not contain control characters (tabs, newlines)")
    return value


def parse_number(value):
    """An int or float (a numeric string is accepted); never NaN or infinite."""
    if isinstance(value, bool):
        raise ValueError("must be a number, not true/false")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = int(text) if re.fullmatch(r"[+-]?\d{1,18}", text) else float(text)
        except ValueError:
            raise ValueError(f"must be a number, not {value[:40]!r}") from None
    if not isinstance(value, (int, float)):
        raise ValueError("must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if abs(value) > 1e300:
        raise ValueError("is too large")
    return value


def number_key(value) -> str:
    """An order-preserving string for a number: IEEE 754 bits, sign flipped, as hex."""
    bits = struct.unpack(">Q", struct.pack(">d", float(value)))[0]
    bits = bits ^ 0xFFFFFFFFFFFFFFFF if bits >> 63 else bits | 0x8000000000000000
    return f"{bits:016x}"


def date_key(value: str) -> str:
    """The sortable key of a date: the day/month as written, a timestamp as UTC.

    ``2022-02`` -> ``2022-02-01``; ``2022-02-24`` -> itself;
    ``2022-02-24T05:30:00+02:00`` -> ``2022-02-24T03:30:00Z``. A day sorts before the
    instants of that day. Raises ValueError for anything else.
    """
    if DAY_RE.match(value):
        return value + "-01" if len(value) == 7 else value
    if not TIMESTAMP_RE.match(value):
        raise ValueError(f"use {DATE_HELP}")
    try:
        instant = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"not a valid timestamp ({exc}); use {DATE_HELP}") from None
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def date_range(value: str) -> tuple[str, str]:
    """Lowest and highest key a date stands for (inclusive), to compare against keys.

    A day or a month covers every instant in it: the upper bound ends in ``~``,
    which sorts after ``T...Z``. A timestamp is one instant.
    """
    if DAY_RE.match(value):
        if len(value) == 7:
            return value + "-01", value + "-31~"
        return value, value + "~"
    key = date_key(value)
    return key, key


BUILTIN = (
    Field("id", "keyword", builtin=True, help="the document id"),
    Field("language", "keyword", facet=True, builtin=True, help="nl or en"),
    Field("date", "date", sort=True, builtin=True,
          help="publication date or time; a month or day covers all of it"),
    Field("month", "keyword", facet=True, builtin=True, help="YYYY-MM of the date"),
    Field("source", "keyword", facet=True, builtin=True, help="who published it"),
)
DEFAULTS = (
    Field("tags", "keywords", facet=True, help="labels; a list of strings"),
    Field("section", "keyword", facet=True, help="section of the publication"),
    Field("author", "keyword", facet=True, help="who wrote it"),
)


class Fields:
    """The declared fields of this process, by name."""

    def __init__(self, declared=()):
        self.by_name: dict[str, Field] = {f.name: f for f in BUILTIN}
        for f in (*DEFAULTS, *declared):
            self.by_name[f.name] = f

    def __contains__(self, name) -> bool:
        return name in self.by_name

    def __getitem__(self, name) -> Field:
        return self.by_name[name]

    def get(self, name):
        return self.by_name.get(name)

    @property
    def extra(self) -> list[Field]:
        """Fields a document carries in ``Document.fields`` (not built in)."""
        return [f for f in self.by_name.values() if not f.builtin]

    def names(self, what: str = "filter") -> list[str]:
        fields = self.by_name.values()
        if what == "facet":
            fields = [f for f in fields if f.facet]
        elif what == "sort":
            fields = [f for f in fields if f.sort]
        return sorted(f.name for f in fields)

    def types(self) -> dict:
        return {f.name: f.type for f in self.extra}

    def check_index(self, recorded: dict | None) -> list[str]:
        """Fields whose declared type differs from the type an index recorded."""
        recorded = recorded or {}
        return [f"field {f.name!r} is declared as {f.type} but this index holds it as "
                f"{recorded[f.name]}; rebuild the index (tolk index --rebuild) to change "
                "its type" for f in self.extra if recorded.get(f.name, f.type) != f.type]

    def undeclared_message(self, name: str) -> str:
        return f"unknown field {name!r}: " + DECLARE_HELP.format(name=name)


def _declare(spec: dict, where: str) -> Field:
    if not isinstance(spec, dict):
        raise FieldsError(f"{where}: each field must be an object with name and type")
    name = spec.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise FieldsError(f"{where}: field name {name!r} is not valid: use 1-40 lowercase "
                          "letters, digits and '_', starting with a letter")
    if name in RESERVED:
        raise FieldsError(f"{where}: field {name!r} is built in; pick another name")
    kind = spec.get("type")
    if kind not in TYPES:
        raise FieldsError(f"{where}: field {name!r} has type {kind!r}; use one of "
                          + ", ".join(TYPES))
    unknown = sorted(set(spec) - {"name", "type", "facet", "sort", "help"})
    if unknown:
        raise FieldsError(f"{where}: field {name!r} has unknown settings {unknown}; use "
                          "name, type, facet, sort, help")
    facet = spec.get("facet", kind in ("keyword", "keywords"))
    sort = spec.get("sort", kind in ("number", "date"))
    for flag, value in (("facet", facet), ("sort", sort)):
        if not isinstance(value, bool):
            raise FieldsError(f"{where}: field {name!r}: {flag} must be true or false")
    if facet and kind not in ("keyword", "keywords"):
        raise FieldsError(f"{where}: field {name!r}: only keyword and keywords fields can "
                          "be facets")
    if sort and kind not in ("number", "date"):
        raise FieldsError(f"{where}: field {name!r}: only number and date fields can be "
                          "sorted by")
    return Field(name, kind, facet=facet, sort=sort, help=str(spec.get("help", "")))


def parse_env(text: str) -> list[Field]:
    """``TOLK_FIELDS``: ``desk:keyword,priority:number`` (spaces allowed)."""
    declared = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, kind = part.partition(":")
        if not sep:
            raise FieldsError(f"TOLK_FIELDS: {part!r} has no type; write name:type, e.g. "
                              f"{part}:keyword (types: {', '.join(TYPES)})")
        declared.append(_declare({"name": name.strip(), "type": kind.strip()}, "TOLK_FIELDS"))
    return declared


def parse_file(path: str | Path) -> list[Field]:
    """``TOLK_FIELDS_FILE``: JSON or TOML, a list of fields or ``{"fields": [...]}``.

    A field is ``{name, type, facet?, sort?, help?}``; ``fields`` may also map
    name -> {type, ...} (TOML: ``[fields.desk] type = "keyword"``).
    """
    path = Path(path)
    where = f"TOLK_FIELDS_FILE {path}"
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FieldsError(f"{where}: cannot read it ({exc})") from None
    try:
        data = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        kind = "TOML" if path.suffix == ".toml" else "JSON"
        raise FieldsError(f"{where}: not valid {kind} ({exc})") from None
    if isinstance(data, dict):
        data = data.get("fields")
    if isinstance(data, dict):
        data = [{"name": name, **(spec if isinstance(spec, dict) else {"type": spec})}
                for name, spec in data.items()]
    if not isinstance(data, list):
        raise FieldsError(f"{where}: expected a list of fields or {{\"fields\": [...]}}")
    return [_declare(spec, where) for spec in data]


def load_fields(env: str = "", file: str = "") -> Fields:
    """The registry from ``TOLK_FIELDS`` and ``TOLK_FIELDS_FILE``; FieldsError if invalid."""
    declared = (parse_file(file) if file else []) + parse_env(env or "")
    seen: dict[str, str] = {}
    for f in declared:
        if f.name in seen and seen[f.name] != f.type:
            raise FieldsError(f"field {f.name!r} is declared twice, as {seen[f.name]} and "
                              f"{f.type}")
        seen[f.name] = f.type
    return Fields(declared)


_active = Fields()


def configure(fields: Fields) -> None:
    """Make ``fields`` the registry of this process (``create_app`` and the CLI call it)."""
    global _active
    _active = fields


def active() -> Fields:
    return _active


def stored_values(stored: dict) -> dict:
    """The declared (non built-in) field values of a stored document, as given; also
    those of fields no longer declared (they stay stored until rewritten)."""
    values = stored.get("fields") or {}
    return {name: value for name, value in values.items() if value not in (None, "", [])}


def hit_record(fields: dict, *, doc_id: str, language: str, score: float, snippet: str,
               crosslinks: list) -> dict:
    """One search hit in the API's shape, from a document's stored fields: every backend
    (Whoosh's pipeline, OpenSearch's results) builds its hits here, so they cannot drift."""
    return {
        "id": doc_id,
        "language": language,
        "title": fields.get("title", ""),
        "date": fields.get("date") or None,
        "url": fields.get("url"),
        "source": fields.get("source") or None,
        "fields": stored_values(fields),
        "score": round(float(score), 4),
        "snippet": snippet,
        "crosslinks": crosslinks,
    }
