"""Search engine backends behind one interface: Whoosh (embedded, default) or OpenSearch.

Why a boundary here: what Tolk adds that no engine has sits ABOVE the engine, and
must run on either one:

    above (Tolk, in-process)          cleaning and language detection (index.ingest),
                                      the analysis (index.analysis), the cross-link
                                      lexicon (index.crosslink), query parsing and
                                      expansion into synonym sets (index.search.query,
                                      index.search.expansion), the JSON API (service/)
    ---------------- Backend (base.py) ----------------
    below (the engine)                storing, deleting and reading documents by id,
                                      term statistics, scoring the structured query,
                                      facet counts, snippets, completions, health

``whoosh.py`` delegates to the existing ``index.storage`` and ``index.search`` code
(embedded: the index is a folder on this machine); ``opensearch/`` speaks the
OpenSearch REST API (one index per language, a multi-index search with IDF merged
by ``dfs_query_then_fetch``). The service gets its backend from one factory,
:func:`open_backend`, chosen by ``TOLK_BACKEND``.
"""

from __future__ import annotations

BACKENDS = ("whoosh", "opensearch")


def open_backend(settings: dict, reader=None):
    """The backend ``settings["BACKEND"]`` names (default ``whoosh``).

    ``reader``: an already open ``IndexReader`` for the Whoosh backend (the service
    shares one per process); made from ``INDEX_DIR`` when left out.
    """
    name = (settings.get("BACKEND") or "whoosh").lower()
    if name == "whoosh":
        from index.backends.whoosh import WhooshBackend

        return WhooshBackend(settings, reader)
    if name == "opensearch":
        from index.backends.opensearch.backend import OpenSearchBackend

        return OpenSearchBackend(settings)
    raise ValueError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}")
