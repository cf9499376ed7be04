"""The human search page at ``/``.

Server-rendered HTML that works without JavaScript; ``static/tolk.js`` only
adds suggestions while typing. The page runs the SAME search function as the
JSON API (:func:`service.api.run_search`) and shows bad input (a query syntax
error, an invalid filter value, a too long query) inline with status 400.

URL parameters mirror the API where they can: ``q``, ``lang`` (nl|en|any),
``crosslingual`` (true|false; the form sends a hidden ``false`` followed by
the checkbox's ``true``, so the last value wins), ``date_from``, ``date_to``,
``sort`` and ``filter`` are passed through; ``source`` (repeatable: the source
checkboxes, shown when the results have sources) becomes a filter
``source:("A" OR "B")``, joined to ``filter`` with AND; ``page`` (1-based, 10 hits
a page) becomes ``offset``; ``ui`` (nl|en) picks the interface language and is
remembered in a cookie.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask import Blueprint, current_app, make_response, render_template, request, url_for
from marshmallow import ValidationError

from index.search.query import QuerySyntaxError
from index.search.grouping import checked_store
from index.search.hybrid import SemanticError
from index.search.similar import counterparts, story_threshold

from .api import reader, run_search
from .errors import ApiError
from .i18n import COOKIE, COOKIE_MAX_AGE, UI_LANGUAGES, Translator, ui_choice_from_args, \
    ui_language

bp = Blueprint("page", __name__)

PER_PAGE = 10
MAX_OFFSET = 10_000  # the API's largest offset
LANG_FILTERS = ("any", "nl", "en")
PASS_THROUGH = ("date_from", "date_to", "sort", "filter", "typo", "mode")  # API parameters kept
PAGE_FACETS = "language,month,source"
MAX_SOURCES = 20  # source checkboxes honoured from one URL
TRUE_WORDS = {"true", "1", "on", "yes", "y", "t"}

@dataclass
class PageState:
    """What the visitor asked for, as read from the URL."""

    q: str = ""
    lang: str = "any"
    crosslingual: bool = True
    crosslingual_raw: str | None = None
    page: int = 1
    page_raw: str | None = None
    extra: dict = field(default_factory=dict)  # pass-through API filters
    sources: list = field(default_factory=list)  # checked source checkboxes

    @classmethod
    def from_args(cls, args) -> "PageState":
        state = cls(q=args.get("q", "").strip(), lang=args.get("lang", "any") or "any")
        values = args.getlist("crosslingual")
        if values:
            state.crosslingual_raw = values[-1]
            state.crosslingual = values[-1].strip().lower() in TRUE_WORDS
        state.page_raw = args.get("page")
        if state.page_raw not in (None, ""):
            try:
                state.page = int(state.page_raw)
            except ValueError:
                state.page = 0  # reported as an invalid page below
        state.extra = {k: args[k] for k in PASS_THROUGH if args.get(k)}
        if state.extra.get("sort") == "relevance":  # the default, sent by the sort control
            del state.extra["sort"]
        if state.extra.get("typo", "").strip().lower() in TRUE_WORDS:
            del state.extra["typo"]  # only typo=false changes anything
        state.sources = list(dict.fromkeys(s.strip() for s in args.getlist("source")
                                           if s.strip()))[:MAX_SOURCES]
        return state

    def active_filters(self) -> int:
        """How many filters differ from the defaults (shown on the collapsed panel)."""
        sort = self.extra.get("sort", "relevance")
        return sum((self.lang in ("nl", "en"), not self.crosslingual, bool(self.sources),
                    bool(self.extra.get("date_from") or self.extra.get("date_to")),
                    sort != "relevance", bool(self.extra.get("filter"))))

    def source_filter(self) -> str | None:
        if not self.sources:
            return None
        quoted = " OR ".join('"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'
                             for s in self.sources)
        return f"source:({quoted})"

    def search_args(self, with_sources: bool = True) -> dict:
        args = {"q": self.q, "lang": self.lang, "limit": PER_PAGE,
                "offset": (self.page - 1) * PER_PAGE, **self.extra, "facets": PAGE_FACETS}
        sources = self.source_filter() if with_sources else None
        if sources:
            given = self.extra.get("filter")
            args["filter"] = f"({given}) AND {sources}" if given else sources
        if self.crosslingual_raw is not None:
            args["crosslingual"] = self.crosslingual_raw
        return args

    def url(self, **changes) -> str:
        """The page URL for this state with ``changes``; defaults are left out."""
        values = {"q": self.q, "lang": self.lang, "crosslingual": self.crosslingual,
                  "page": self.page, "source": self.sources, **self.extra}
        values.update(changes)
        params = {}
        if values.get("q"):
            params["q"] = values["q"]
        if values.get("lang") in ("nl", "en"):
            params["lang"] = values["lang"]
        if values.get("crosslingual") is False:
            params["crosslingual"] = "false"
        if values.get("page") and values["page"] > 1:
            params["page"] = values["page"]
        for key in PASS_THROUGH:
            if values.get(key):
                params[key] = values[key]
        if values.get("source"):
            params["source"] = values["source"]
        return url_for("page.index", **params)


@dataclass
class InlineError:
    """A problem with the visitor's input, shown in the page."""

    status: int
    text: str
    query_parts: tuple[str, str, str] | None = None  # before, at, after the error


def _friendly_error(exc: Exception, state: PageState, t: Translator) -> InlineError:
    if isinstance(exc, QuerySyntaxError):
        q = state.q
        pos = max(0, min(exc.position, len(q)))
        parts = (q[:pos], q[pos:pos + 1] or " ", q[pos + 1:])
        return InlineError(400, t("error_syntax", detail=exc.message), parts)
    if isinstance(exc, ValidationError):
        messages = exc.messages if isinstance(exc.messages, dict) else {}
        names = []
        for key in messages or {"_": None}:
            name = t(f"field_{key}") if f"field_{key}" in t.strings else key
            if name not in names:
                names.append(name)
        return InlineError(400, t("error_invalid", fields=", ".join(names)))
    assert isinstance(exc, ApiError)
    if exc.code == "query_too_long":
        return InlineError(exc.status,
                           t("error_too_long", limit=current_app.config["MAX_QUERY_CHARS"]))
    if exc.code == "invalid_request" and set(exc.errors) == {"q"}:
        return InlineError(exc.status, t("empty_query"))
    return InlineError(exc.status, t("error_other", detail=exc.message))


def _page_numbers(current: int, last: int, around: int = 2) -> list[int | None]:
    """Page numbers to link, ``None`` for a gap: 1 … 4 5 [6] 7 8 … 20."""
    shown = {1, last, *range(current - around, current + around + 1)}
    numbers: list[int | None] = []
    previous = 0
    for n in sorted(p for p in shown if 1 <= p <= last):
        if n - previous == 2:
            numbers.append(n - 1)  # a gap of one page: show the page, not "…"
        elif n - previous > 2:
            numbers.append(None)
        numbers.append(n)
        previous = n
    return numbers


def _language_counts(result: dict) -> dict:
    """Hits per language filter value, from the language facet (counts both languages)."""
    facet = result.get("facets", {}).get("language", {})
    counts = {code: int(facet.get(code, 0)) for code in ("nl", "en")}
    return {"any": counts["nl"] + counts["en"], **counts}


def _source_facet(result: dict, state: PageState) -> dict:
    """The result whose source facet the checkboxes show: with sources checked, the
    same search without them, so the other sources stay to be added (counts as in
    Elasticsearch's and Meilisearch's disjunctive facets)."""
    if not state.sources:
        return result
    args = {**state.search_args(with_sources=False), "limit": 1, "offset": 0,
            "facets": "source"}
    try:
        return run_search(args)
    except (ValidationError, QuerySyntaxError, ApiError):
        return result


def _source_options(result: dict, state: PageState) -> list[tuple[str, int | None, bool]]:
    """(source, hits or None, checked) for the source checkboxes; empty: no sources."""
    facet = result.get("facets", {}).get("source", {})
    options = [(name, count, name in state.sources) for name, count in facet.items()]
    shown = {name.casefold() for name in facet}
    options += [(name, None, True) for name in state.sources if name.casefold() not in shown]
    return options


SUGGEST_PATH = "/api/suggest"


def _suggest_url() -> str | None:
    """The API's suggestion endpoint, if the app has one (the script needs it)."""
    for rule in current_app.url_map.iter_rules():
        if rule.rule == SUGGEST_PATH and "GET" in (rule.methods or ()):
            return SUGGEST_PATH
    return None


@bp.app_context_processor
def interface_text():
    """``t``, ``ui`` and the language switch links for every HTML template."""
    ui = ui_language()
    switch = []
    for code in UI_LANGUAGES:
        if request.endpoint in ("page.index", "docpage.show"):  # stay on this page
            args = request.args.to_dict(flat=False)
            args["ui"] = [code]
            href = url_for(request.endpoint, **(request.view_args or {}), **args)
        else:
            href = url_for("page.index", ui=code)
        label = {"nl": "Nederlands", "en": "English"}[code]
        switch.append({"code": code, "label": label, "href": href, "current": code == ui})
    return {"t": Translator(ui), "ui": ui, "ui_switch": switch}


def _run_page_search(state: PageState) -> dict:
    """The search for this page; a page past the API's deepest offset is searched as the
    first page without its hits, so the page can say how many pages there are."""
    if (state.page - 1) * PER_PAGE > MAX_OFFSET:
        return {**run_search({**state.search_args(), "offset": 0}), "hits": []}
    return run_search(state.search_args())


def doc_url(state: PageState, doc_id: str) -> str:
    """The document page of ``doc_id`` with this search's parameters (to mark its
    matches and link back to these results)."""
    page_url = state.url()
    query = page_url[len(url_for("page.index")):]
    return url_for("docpage.show", doc_id=doc_id) + query


def _story_links(result: dict | None) -> dict:
    """``{hit id: {id, language}}``: each hit's counterpart in the other language when it
    is the same story (cosine at or above the story threshold; ``index.search.similar``).
    Empty when the embedder is off or the index has no (matching) vectors: the page
    then simply shows no such links."""
    if not result or not result.get("hits"):
        return {}
    try:
        store = checked_store(reader())
    except SemanticError:
        return {}
    threshold = story_threshold(store.model)
    if threshold is None:
        return {}
    languages = {hit["id"]: hit["language"] for hit in result["hits"]}
    found = counterparts(store, list(languages), languages, threshold)
    return {doc_id: {"id": other, "language": "en" if languages[doc_id] == "nl" else "nl"}
            for doc_id, (other, _) in found.items()}


@bp.get("/")
def index():
    t = Translator(ui_language())
    state = PageState.from_args(request.args)
    result = error = None
    notice = None
    status = 200
    if state.q:
        try:
            if state.page < 1:
                raise ValidationError({"page": ["not a valid page number"]})
            result = _run_page_search(state)
        except (ValidationError, QuerySyntaxError) as exc:
            error = _friendly_error(exc, state, t)
        except ApiError as exc:
            if exc.status >= 500:
                raise
            error = _friendly_error(exc, state, t)
        if error:
            status = error.status
    elif "q" in request.args:
        notice = t("empty_query")

    view = {}
    if result is not None:
        total = result["total"]
        last_page = max(1, min(math.ceil(total / PER_PAGE), MAX_OFFSET // PER_PAGE + 1))
        first = (state.page - 1) * PER_PAGE + 1
        view = {
            "total": total,
            "first": first,
            "last": first + len(result["hits"]) - 1,
            "last_page": last_page,
            "pages": _page_numbers(state.page, last_page) if total > PER_PAGE else [],
            "lang_counts": _language_counts(result),
            "sources": _source_options(_source_facet(result, state), state),
        }

    html = render_template("search.html", state=state, result=result, view=view,
                           error=error, notice=notice, suggest_url=_suggest_url(),
                           lang_filters=LANG_FILTERS, doc_url=doc_url,
                           story_links=_story_links(result))
    response = make_response(html, status)
    chosen = ui_choice_from_args()
    if chosen:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE, samesite="Lax",
                            httponly=True, secure=request.is_secure)
    response.vary.update(("Accept-Language", "Cookie"))
    return response  # security headers: service/headers.py
