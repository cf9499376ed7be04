"""The human search page at ``/``."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from .api import run_search

bp = Blueprint("page", __name__)


@bp.get("/")
def index():
    q = request.args.get("q", "").strip()
    result = None
    if q:
        args = {k: v for k, v in request.args.items() if k in ("q", "lang", "crosslingual",
                                                               "offset")}
        result = run_search(args)
    return render_template("search.html", q=q, result=result)
