"""The backend interface, and the structured query Tolk hands to an engine.

A backend never sees query text it must interpret: Tolk parses the query and
expands every word into one synonym set per target language (the word's own
terms, its cross-links from the lexicon, cognates, each with a weight). The
engine's job is to score those sets (one IDF per set over both languages) and
to store, count and highlight. Terms in a set are already analysed (folded,
stemmed), so an engine must index text with the same analysis
(``index.backends.opensearch.analysis`` generates it for OpenSearch).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


# -- the structured query ---------------------------------------------------------------

@dataclass(frozen=True)
class SynonymSet:
    """One query word in one language's index: analysed terms with weights (1.0 = own)."""

    word: str  # as typed
    language: str  # the index the terms belong to
    terms: dict  # term -> weight
    sources: dict  # term -> where it came from ("query", "dictionary", "cognate", ...)
    fields: tuple = ("title", "body")  # a word typed as title:x searches one field


@dataclass(frozen=True)
class PhraseClause:
    """Words in this order (the engine analyses ``text`` with the language's analyzer)."""

    text: str
    language: str
    fields: tuple = ("title", "body")


@dataclass(frozen=True)
class BoolClause:
    """``must`` all, ``should`` some (at least one when there is no ``must``), ``must_not``."""

    must: tuple = ()
    should: tuple = ()
    must_not: tuple = ()


@dataclass
class StructuredQuery:
    """What to search, built by Tolk (``index.backends.structured``), run by a backend."""

    text: str  # the query as typed
    query_language: str
    clauses: dict  # language -> SynonymSet | PhraseClause | BoolClause | None
    languages: tuple  # the languages whose hits are wanted
    limit: int = 10
    offset: int = 0
    sort: tuple | None = None  # (field, descending) or None for relevance
    filter: object = None  # index.search.filters tree (Condition / BoolNode) or None
    date_from: str | None = None
    date_to: str | None = None
    facets: tuple = ("language", "month")
    facet_size: int = 10
    field_boosts: dict = field(default_factory=lambda: {"title": 1.5, "body": 1.0})

    def synonym_sets(self, language: str | None = None) -> list[SynonymSet]:
        """Every synonym set (of one language's clause tree, or of all)."""
        out = []
        for lang, clause in self.clauses.items():
            if language is None or lang == language:
                _collect(clause, out)
        return out


def _collect(clause, out: list) -> None:
    if isinstance(clause, SynonymSet):
        out.append(clause)
    elif isinstance(clause, BoolClause):
        for child in (*clause.must, *clause.should, *clause.must_not):
            _collect(child, out)


# -- the interface ----------------------------------------------------------------------

class BackendUnavailable(Exception):
    """The engine cannot be reached or failed (the service answers 503)."""

    def __init__(self, message: str, detail: str = ""):
        super().__init__(message)
        self.message = message
        self.detail = detail


class BackendRequestError(Exception):
    """The engine refused a request as wrong (the service answers 4xx)."""

    def __init__(self, status: int, code: str, message: str, errors: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.errors = errors or {}  # parameter -> reasons (the JSON error's ``errors``)


class Backend(ABC):
    """What the service and the cross-lingual layer need from a search engine.

    Documents go in and out as the stored-fields dicts the Whoosh index uses
    (``index.storage.schema.document_fields`` keys: id, language, title, body,
    date, url, source, original, language_confidence, decisions, fields), so the
    API answers the same whichever engine is behind it.
    """

    name = "backend"
    embedded = False  # True: the index is a folder on this machine (INDEX_DIR)
    reader = None  # the embedded IndexReader (language evidence, Whoosh-only endpoints)
    groups_stories = False  # True: grouped_search can collapse hits into stories

    @abstractmethod
    def write(self, docs: list) -> None:
        """Add or replace ``index.ingest.documents.Document``s by id; visible on return."""

    def write_computed(self, compute) -> None:
        """Write what ``compute()`` returns (called under the write lock if there is one)."""
        self.write(compute())

    @abstractmethod
    def delete(self, ids: list[str]) -> list[str]:
        """Delete by id; the ids that were stored (and are now gone)."""

    @abstractmethod
    def get(self, doc_id: str) -> dict | None:
        """A document's stored fields, or None."""

    @abstractmethod
    def list_documents(self, after: str = "", limit: int = 100, languages=("nl", "en"),
                       ids=None) -> list[dict]:
        """Stored fields of up to ``limit`` documents with an id after ``after``, by id."""

    @abstractmethod
    def matching_ids(self, filter_text: str, fields) -> list[tuple[str, str]]:
        """(id, language) of every document a filter matches (FilterError for a bad one)."""

    @abstractmethod
    def search(self, request, fields) -> dict:
        """Run ``index.search.SearchRequest``; the answer of ``/api/search``."""

    def grouped_search(self, request, fields) -> dict:
        """``search`` with the hits that report the same story under one head
        (``group=story``, ``index.search.grouping``): ``offset``/``limit`` count groups,
        ``total`` and the facets still count articles. It compares the documents'
        vectors, which only an engine with Tolk's vector store has (``groups_stories``);
        any other refuses with 400 ``invalid_group``."""
        raise BackendRequestError(400, "invalid_group", "group=story needs the vectors of the "
                                  "embedded (whoosh) backend", {"group": ["use group=none"]})

    @abstractmethod
    def suggest(self, q: str, limit: int, lang: str) -> list[dict]:
        """Completions of the last word of ``q``."""

    @abstractmethod
    def counts(self) -> dict:
        """Documents per language."""

    @abstractmethod
    def stats(self) -> dict:
        """The answer of ``/api/stats``."""

    @abstractmethod
    def status(self) -> dict:
        """{"degraded": bool, "reason": str | None, "generation": str}."""

    @abstractmethod
    def health(self) -> dict:
        """Documents per language after a real probe; raises when the engine is not ready."""

    def lexicon(self):
        """The cross-link lexicon used to expand queries (None: none)."""
        return None
