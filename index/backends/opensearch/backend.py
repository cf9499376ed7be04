"""The OpenSearch backend: one index per language, Tolk's queries, read-your-writes.

Writes go through ``_bulk`` with ``refresh=wait_for``, so a document is searchable
when the write returns (as with the Whoosh backend). Unlike the Whoosh backend a batch is
not all or nothing: a cluster may store some documents of a failed batch (the answer is an
error; sending the batch again is safe, writes are by id). An id lives in one language
index: writing it deletes it from the other in the same bulk request (a document
whose language changed moves). Searches send Tolk's structured query (``query.py``)
to both indexes with ``dfs_query_then_fetch``. The lexicon that expands queries
stays in Tolk's process (the API tier): loaded from the Whoosh index in
``INDEX_DIR`` when there is one (the index an operator exported), else built from
the configured dictionaries.
"""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from urllib.parse import quote

from index.analysis import LANGUAGES, fold
from index.backends.base import Backend, BackendRequestError, BackendUnavailable
from index.backends.opensearch import mapping, query as dsl, results
from index.backends.opensearch.client import DEFAULT_TIMEOUT, Client
from index.backends.structured import build_query
from index.fields import active as active_fields
from index.search.filters import parse_filter
from index.search.pipeline import resolve_facets, resolve_sort

BULK_BYTES = 20 * 1024 * 1024
CONFLICT_TRIES = 5  # a PATCH computed again when the document changed meanwhile
LIST_MAX = 10_000  # documents one filter may select (OpenSearch's default result window)
_PREFIX_RE = re.compile(r"^[a-z0-9]{1,40}$")


class _Conflict(Exception):
    """A conditional write found the document changed (409)."""


class OpenSearchBackend(Backend):
    name = "opensearch"

    def __init__(self, settings: dict):
        self.settings = settings
        self.url = settings.get("OPENSEARCH_URL") or "http://localhost:9200"
        self.prefix = settings.get("OPENSEARCH_PREFIX") or mapping.DEFAULT_PREFIX
        self.client = Client(self.url, settings.get("OPENSEARCH_USER") or "",
                             settings.get("OPENSEARCH_PASSWORD") or "",
                             float(settings.get("OPENSEARCH_TIMEOUT") or DEFAULT_TIMEOUT))
        self.indexes = {lang: mapping.index_name(self.prefix, lang) for lang in LANGUAGES}
        self._lexicon = None
        self._lexicon_loaded = False
        self._reader = None  # the Whoosh index in INDEX_DIR, for its lexicon only
        self._seen = threading.local()  # versions read by a write_computed's compute()
        self._lock = threading.Lock()
        self._created = False

    # -- indexes ------------------------------------------------------------------------

    def _all(self, languages=LANGUAGES) -> str:
        return ",".join(self.indexes[lang] for lang in languages)

    def ensure_indexes(self, fields=None) -> None:
        """Create the language indexes that do not exist yet (settings and mappings):
        ``<prefix><lang>-v1`` with the alias ``<prefix><lang>`` that Tolk uses, so a
        reindex on the cluster is a switch of the alias. An alias or plain index of
        that name already there is used as it is."""
        if self._created:
            return
        fields = fields or active_fields()
        for lang, name in self.indexes.items():
            found = self.client.request("HEAD", f"/{name}", ignore=(404,))
            if found is True:
                continue
            concrete = mapping.versioned_name(self.prefix, lang)
            body = mapping.index_body(lang, fields, snowball_names=self.snowball_names(),
                                      alias=name)
            answer = self.client.request("PUT", f"/{concrete}", ignore=(400,), body=body)
            error = answer.get("error") if isinstance(answer, dict) else None
            if error and "already_exists" in json.dumps(error):
                # another Tolk created it meanwhile (with the alias), or the alias was removed
                if self.client.request("HEAD", f"/{name}", ignore=(404,)) is True:
                    continue
                raise BackendRequestError(400, "backend_rejected",
                                          f"index {concrete} exists but the alias {name} does "
                                          f"not point at it; add it (POST /_aliases) or remove "
                                          f"the index")
            if error:
                raise BackendRequestError(400, "backend_rejected",
                                          f"OpenSearch refused to create index {concrete}: "
                                          f"{error.get('reason', error)}")
        self._created = True

    def snowball_names(self) -> dict:
        """PyStemmer algorithm -> the Snowball name this cluster stems most like Tolk
        (``analysis.choose_snowball``: Lucene's names differ between versions)."""
        from index.analysis import STEMMER_ALGORITHMS
        from index.backends.opensearch.analysis import choose_snowball

        def stem_remote(name, words):
            try:
                answer = self.client.request("POST", "/_analyze", body={
                    "tokenizer": "whitespace",
                    "filter": [{"type": "snowball", "language": name}],
                    "text": " ".join(words)})
            except BackendRequestError:
                return None  # the cluster does not know this name
            tokens = [t.get("token") for t in answer.get("tokens", [])]
            return tokens if len(tokens) == len(words) else None

        names = {}
        for lang in LANGUAGES:
            try:
                names[STEMMER_ALGORITHMS[lang]] = choose_snowball(lang, stem_remote)[0]
            except ValueError:
                pass  # none accepted: the default name (index creation then says why)
        return names

    # -- writes -------------------------------------------------------------------------

    def _bulk(self, groups: list[list[dict]]) -> list[dict]:
        """Send the action lines (in groups that stay together: a document's delete from
        the other index, its action and source) as ``_bulk`` requests of at most about
        BULK_BYTES each (a cluster refuses bodies over ``http.max_content_length``, 100 MB
        by default); the result items of all."""
        requests, current, size = [], [], 0
        for group in groups:
            lines = [(json.dumps(line, ensure_ascii=False) + "\n").encode() for line in group]
            group_size = sum(map(len, lines))
            if current and size + group_size > BULK_BYTES:
                requests.append(current)
                current, size = [], 0
            current += lines
            size += group_size
        if current:
            requests.append(current)
        items = []
        for chunk in requests:
            answer = self.client.request("POST", "/_bulk", body=b"".join(chunk),
                                         params={"refresh": "wait_for"}, ndjson=True)
            items += [next(iter(item.values())) for item in answer.get("items", [])]
        if any(i.get("status") == 409 for i in items):
            raise _Conflict()
        failed = [i for i in items if i.get("error") and i.get("status") != 404]
        if failed:
            first = failed[0]
            reason = first["error"].get("reason") if isinstance(first["error"], dict) \
                else first["error"]
            if any(i.get("status", 500) >= 500 or i.get("status") == 429 for i in failed):
                raise BackendUnavailable(f"OpenSearch stored only part of the batch: "
                                         f"{len(failed)} failed ({reason}); send it again")
            raise BackendRequestError(400, "backend_rejected",
                                      f"OpenSearch refused {len(failed)} documents "
                                      f"(first: {first.get('_id')}: {reason})")
        return items

    def write(self, docs: list, versions: dict | None = None) -> None:
        """``versions``: id -> (index, seq_no, primary_term) the document must still have."""
        versions = versions or {}
        fields = active_fields()
        self.ensure_indexes(fields)
        groups = []
        for doc in docs:
            group = [{"delete": {"_index": name, "_id": doc.id}}
                     for lang, name in self.indexes.items() if lang != doc.language]
            action = {"_index": self.indexes[doc.language], "_id": doc.id}
            known = versions.get(doc.id)
            if known is not None and known[0] == action["_index"]:
                action.update(if_seq_no=known[1], if_primary_term=known[2])
            group.append({"index": action})
            group.append(mapping.source(doc, fields))
            groups.append(group)
        self._bulk(groups)

    def write_computed(self, compute) -> None:
        """Optimistic concurrency instead of the Whoosh backend's write lock: the documents
        ``compute()`` read are written only if unchanged since (``if_seq_no``); if another
        write came first, ``compute()`` runs again on what is stored now."""
        for _ in range(CONFLICT_TRIES):
            outer = getattr(self._seen, "versions", None)
            self._seen.versions = {}
            try:
                docs = compute()
                versions = self._seen.versions
            finally:
                self._seen.versions = outer
            try:
                self.write(docs, versions)
                return
            except _Conflict:
                continue
        raise BackendRequestError(409, "conflict", "the document kept changing while this "
                                  "change was applied; send it again")

    def delete(self, ids: list[str]) -> list[str]:
        self.ensure_indexes()
        groups = [[{"delete": {"_index": name, "_id": doc_id}} for name in self.indexes.values()]
                  for doc_id in ids]
        gone = {i.get("_id") for i in self._bulk(groups) if i.get("result") == "deleted"}
        return [doc_id for doc_id in ids if doc_id in gone]

    # -- reads --------------------------------------------------------------------------

    def get(self, doc_id: str) -> dict | None:
        for name in self.indexes.values():
            answer = self.client.request("GET", f"/{name}/_doc/{quote(doc_id, safe='')}",
                                         ignore=(404,))
            if isinstance(answer, dict) and answer.get("found"):
                seen = getattr(self._seen, "versions", None)
                if seen is not None:  # inside write_computed: remember what was read
                    seen[doc_id] = (name, answer.get("_seq_no"), answer.get("_primary_term"))
                return mapping.stored(answer["_source"])
        return None

    def _search(self, body: dict, languages=LANGUAGES, params: dict | None = None) -> dict:
        return self.client.request("POST", f"/{self._all(languages)}/_search", body=body,
                                   params={"ignore_unavailable": "true", **(params or {})})

    def list_documents(self, after="", limit=100, languages=LANGUAGES, ids=None):
        filters = [{"terms": {"language": list(languages)}}]
        if after:
            filters.append({"range": {"id": {"gt": after}}})
        if ids is not None:
            filters.append({"terms": {"id": list(ids)}})
        body = {"query": {"bool": {"filter": filters}}, "sort": [{"id": "asc"}],
                "size": min(limit, LIST_MAX), "_source": {"excludes": ["original"]}}
        hits = self._search(body, languages)["hits"]["hits"]
        return [mapping.stored(h["_source"]) for h in hits]

    def matching_ids(self, filter_text: str, fields) -> list[tuple[str, str]]:
        tree = parse_filter(filter_text, fields)
        body = {"query": {"bool": {"filter": [dsl.filter_dsl(tree)]}}, "sort": [{"id": "asc"}],
                "size": LIST_MAX, "_source": ["id", "language"]}
        hits = self._search(body)["hits"]["hits"]
        return [(h["_source"]["id"], h["_source"]["language"]) for h in hits]

    def counts(self) -> dict:
        body = {"size": 0, "track_total_hits": True,
                "aggs": {"language": {"terms": {"field": "language", "size": 10}}}}
        buckets = self._search(body).get("aggregations", {}).get("language", {})
        found = {b["key"]: b["doc_count"] for b in buckets.get("buckets", [])}
        return {lang: found.get(lang, 0) for lang in LANGUAGES}

    # -- search -------------------------------------------------------------------------

    def structured(self, request, fields):
        """The structured query of ``request`` (FilterError for a bad filter/sort/facet)."""
        fields = fields or active_fields()
        filter_tree = parse_filter(request.filter, fields) if request.filter else None
        sort = resolve_sort(request.sort, fields)
        facets = resolve_facets(request.facets, fields)
        return build_query(request, self.lexicon(), filter_tree=filter_tree, sort=sort,
                           facets=facets)

    def search(self, request, fields) -> dict:
        started = time.perf_counter()
        query = self.structured(request, fields)
        response = self._search(dsl.search_body(query), params=dsl.search_params())
        took = round((time.perf_counter() - started) * 1000, 2)
        return results.answer(response, query, LANGUAGES, took)

    def suggest(self, q: str, limit: int, lang: str) -> list[dict]:
        words = q.split()
        if not words or q[-1:].isspace():
            return []
        prefix = fold(words[-1])
        if not _PREFIX_RE.match(prefix):
            return []
        head = q[: len(q) - len(words[-1])]
        languages = LANGUAGES if lang == "any" else (lang,)
        body = {"size": 0, "query": {"prefix": {"spell": prefix}},
                "aggs": {"words": {"terms": {"field": "spell", "size": limit,
                                             "include": re.escape(prefix) + ".*"},
                                   "aggs": {"language": {"terms": {"field": "language"}}}}}}
        buckets = self._search(body, languages).get("aggregations", {}) \
            .get("words", {}).get("buckets", [])
        return [{"text": b["key"], "display": b["key"], "query": head + b["key"],
                 "languages": sorted(x["key"] for x in b.get("language", {}).get("buckets", [])),
                 "count": b["doc_count"]} for b in buckets]

    # -- lexicon, state -----------------------------------------------------------------

    def lexicon(self):
        """The Whoosh index's lexicon in ``INDEX_DIR`` when there is one (looked at on each
        call: a ``tolk index`` there updates it, as for the Whoosh backend), else the
        lexicon of the configured sources, built once per process."""
        reader = self._lexicon_reader()
        if reader is not None:
            try:
                found = reader.lexicon()
                if found is not None:
                    return found
            except Exception:  # noqa: BLE001 - no usable index there: the sources' lexicon
                pass
        with self._lock:
            if not self._lexicon_loaded:
                self._lexicon = self._sources_lexicon()
                self._lexicon_loaded = True
            return self._lexicon

    def _lexicon_reader(self):
        from index.crosslink import corpus_part
        from index.storage import IndexReader
        from index.storage.generations import LEXICON_CORPUS_FILE, current_generation

        index_dir = self.settings.get("INDEX_DIR")
        if not index_dir or current_generation(Path(index_dir)) is None:
            return None
        if self._reader is None:
            reader = IndexReader(index_dir)
            reader.set_lexicon_loader(lambda path: corpus_part.load(
                Path(path), Path(path).with_name(LEXICON_CORPUS_FILE)))
            self._reader = reader
        return self._reader

    def _sources_lexicon(self):
        from index.crosslink.builder import IncrementalBuilder

        index_dir = self.settings.get("INDEX_DIR")
        return IncrementalBuilder(freedict_dir=self.settings.get("FREEDICT_DIR") or None,
                                  parallel_dir=self.settings.get("PARALLEL_DIR") or None,
                                  cache_dir=Path(index_dir) / "cache" if index_dir else None)(None)

    def status(self) -> dict:
        names = self._all()
        return {"generation": names, "current": names, "degraded": False, "reason": None}

    def health(self) -> dict:
        answer = self.client.request("GET", "/_cluster/health")
        if answer.get("status") == "red":
            raise BackendUnavailable(f"the OpenSearch cluster at {self.url} is red (primary "
                                     "shards unassigned)")
        from index.search import SearchRequest

        lexicon = self.lexicon()
        probe = self.search(SearchRequest(q="nieuws news", limit=1), None)
        return {"documents": self.counts(), "cluster": answer.get("status"),
                "probe_hits": probe["total"],
                "lexicon_pairs": len(lexicon) if lexicon is not None else 0}

    def stats(self) -> dict:
        lexicon = self.lexicon()
        size = 0
        try:
            answer = self.client.request("GET", f"/{self._all()}/_stats/store",
                                         params={"ignore_unavailable": "true"})
            size = int(answer.get("_all", {}).get("total", {}).get("store", {})
                       .get("size_in_bytes", 0))
        except BackendRequestError:
            pass
        names = self._all()
        return {"backend": self.name, "degraded": False, "degraded_reason": None,
                "current_generation": names, "documents": self.counts(),
                "lexicon_pairs": lexicon.stats() if lexicon is not None else None,
                "index_bytes": size, "generation": names, "updated": None}
