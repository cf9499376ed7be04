"""Search: query -> parsed words -> synonym sets -> scored, collected, highlighted hits.

``pipeline.search`` is the one search function the API, the page, the CLI and the
evaluation call; the modules follow its steps: ``query`` (parse), ``expansion``
(a word and its cross-links), ``collect`` (top-k, total, facets), ``highlight``,
``suggest``, ``resultcache``.
"""

from index.search.pipeline import SearchRequest, search

__all__ = ["SearchRequest", "search"]
