"""The document page ``/doc/<id>``: read an article found by a search.

Reached from a result title, the URL carries the search's own parameters
(``/doc/ID?q=Poetin&lang=nl``), so the page marks the matches the search found
(the engine's :func:`index.search.document.highlight_document` expands the query
as the search does) and links back to the same results page. The original text
is a ``<details>`` element (no JavaScript needed); a very long one is a separate
view (``?view=original``) so that one page never carries two copies of a 2 MB text.
An unknown id is a 404 page in the interface language, not the JSON error.
"""

from __future__ import annotations

from flask import Blueprint, current_app, make_response, render_template, request, url_for

from index.fields import stored_values
from index.ingest.documents import DocumentError, validate_id
from index.search.document import highlight_document
from index.search.query import QuerySyntaxError

from .api import reader
from .i18n import COOKIE, COOKIE_MAX_AGE, ui_choice_from_args
from .page import TRUE_WORDS

bp = Blueprint("docpage", __name__)

ORIGINAL_INLINE_CHARS = 100_000  # a longer original text is its own view
SEARCH_ARGS = ("q", "lang", "crosslingual", "page", "date_from", "date_to", "sort", "filter",
               "source")


def search_args(args) -> dict:
    """The search page's parameters in ``args`` (the link back keeps them all)."""
    return {key: args.getlist(key) for key in SEARCH_ARGS if args.getlist(key)}


@bp.get("/doc/<path:doc_id>")
def show(doc_id):
    back = search_args(request.args)
    back_url = url_for("page.index", **back) if back.get("q") else None
    q = request.args.get("q", "").strip()
    if len(q) > current_app.config["MAX_QUERY_CHARS"]:
        q = ""  # too long for a search, so nothing to mark either
    crosslingual = (request.args.getlist("crosslingual") or ["true"])[-1].strip().lower() \
        in TRUE_WORDS
    view = None
    try:
        validate_id(doc_id)
        engine = current_app.extensions["tolk_backend"]
        if not engine.embedded:
            # Shown unmarked: marking reads the embedded index's term dictionary (typos).
            q = ""
        try:
            view = highlight_document(reader() if engine.embedded else engine, doc_id, q,
                                      crosslingual=crosslingual)
        except QuerySyntaxError:  # shown unmarked; the results page explains the error
            view = highlight_document(reader(), doc_id)
    except DocumentError:
        pass
    if view is None:
        html = render_template("document.html", doc=None, doc_id=doc_id, back_url=back_url)
        return _with_ui_cookie(make_response(html, 404))
    fields = view.fields
    original = fields.get("original", "")
    show_original = request.args.get("view") == "original"
    links = {"original": url_for("docpage.show", doc_id=doc_id, view="original", **back),
             "text": url_for("docpage.show", doc_id=doc_id, **back)}
    url = fields.get("url") or ""
    html = render_template(
        "document.html", doc=view, doc_id=doc_id, back_url=back_url, q=q, links=links,
        language=fields["language"], original=original, show_original=show_original,
        original_inline=len(original) <= ORIGINAL_INLINE_CHARS,
        source_url=url if url.startswith(("http://", "https://")) else None,
        declared=[(k, v) for k, v in stored_values(fields).items() if k != "source"],
        )
    return _with_ui_cookie(make_response(html, 200))


def _with_ui_cookie(response):
    """Remember ``?ui=`` as the search page does; the page varies with the language."""
    chosen = ui_choice_from_args()
    if chosen:
        response.set_cookie(COOKIE, chosen, max_age=COOKIE_MAX_AGE, samesite="Lax",
                            httponly=True, secure=request.is_secure)
    response.vary.update(("Accept-Language", "Cookie"))
    return response
