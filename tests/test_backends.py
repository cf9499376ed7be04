"""The backend boundary (index/backends): the factory, the structured query Tolk builds for
an engine, and its translation to OpenSearch's DSL and documents (no cluster needed)."""

from __future__ import annotations

import json

import pytest

from conftest import assert_error, make_doc
from index.backends import open_backend
from index.backends.base import BoolClause, PhraseClause, SynonymSet
from index.backends.opensearch import mapping, query as dsl
from index.backends.structured import build_query
from index.backends.whoosh import WhooshBackend
from index.crosslink.builder import IncrementalBuilder
from index.fields import Fields, load_fields
from index.search import SearchRequest
from index.search.filters import parse_filter

FIELDS = load_fields("priority:number,embargo:date")


@pytest.fixture(scope="module")
def lexicon():
    return IncrementalBuilder(freedict_dir=None)(None)  # curated and names sources


def test_factory_chooses_by_setting(tmp_path):
    assert isinstance(open_backend({"INDEX_DIR": str(tmp_path)}), WhooshBackend)
    pytest.importorskip("opensearchpy")
    engine = open_backend({"INDEX_DIR": str(tmp_path), "BACKEND": "opensearch",
                           "OPENSEARCH_URL": "http://127.0.0.1:1", "OPENSEARCH_PREFIX": "x-"})
    assert engine.name == "opensearch" and not engine.embedded
    assert engine.indexes == {"nl": "x-nl", "en": "x-en"}
    with pytest.raises(ValueError, match="whoosh, opensearch"):
        open_backend({"BACKEND": "solr"})


def test_app_searches_through_the_whoosh_backend(client):
    engine = client.application.extensions["tolk_backend"]
    assert isinstance(engine, WhooshBackend)
    assert engine.reader is client.application.extensions["tolk_reader"]
    assert client.get("/api/stats").get_json()["backend"] == "whoosh"
    api = client.get("/api/search?q=Poetin").get_json()
    direct = engine.search(SearchRequest(q="Poetin"), client.application.extensions[
        "tolk_fields"])
    assert [h["id"] for h in api["hits"]] == [h["id"] for h in direct["hits"]]


def test_group_story_is_asked_of_the_backend(client, tmp_path):
    # The embedded backend groups with its own vector store; the API asks the backend.
    engine = client.application.extensions["tolk_backend"]
    assert engine.groups_stories is True
    # The seed index has no vectors: the engine's grouping itself says so (409).
    body = assert_error(client.get("/api/search?q=Poetin&group=story"), 409)
    assert "group" in body["errors"]
    # OpenSearch cannot group: 400 invalid_group before any request reaches a cluster
    # (none listens here, which would otherwise be a 503).
    pytest.importorskip("opensearchpy")
    from service import create_app

    remote = create_app({"INDEX_DIR": str(tmp_path), "BACKEND": "opensearch",
                         "OPENSEARCH_URL": "http://127.0.0.1:1", "OPENSEARCH_TIMEOUT": 2.0})
    assert remote.extensions["tolk_backend"].groups_stories is False
    for response in (remote.test_client().get("/api/search?q=NAVO&group=story"),
                     remote.test_client().post("/api/search", json={"q": "NAVO",
                                                                   "group": "story"})):
        body = assert_error(response, 400, "invalid_group")
        assert body["message"] == ("group=story needs the vectors of the embedded (whoosh) "
                                   "backend")
        assert body["errors"] == {"group": ["use group=none"]}
    assert_error(remote.test_client().get("/api/search?q=NAVO"), 503, "backend_unavailable")


def test_each_word_is_one_synonym_set_per_language(lexicon):
    query = build_query(SearchRequest(q="NAVO troepen"), lexicon)
    nl, en = query.synonym_sets("nl"), query.synonym_sets("en")
    assert [s.word for s in nl] == [s.word for s in en] == ["NAVO", "troepen"]
    assert nl[0].terms == {"navo": 1.0} and nl[1].terms == {"troep": 1.0}  # analysed (stem)
    assert en[0].terms["nato"] == 1.0 and en[0].sources["nato"] == "curated"
    assert query.languages == ("nl", "en")


def test_crosslingual_off_keeps_own_terms_only(lexicon):
    query = build_query(SearchRequest(q="NAVO", crosslingual=False), lexicon)
    assert all(set(s.sources.values()) == {"query"} for s in query.synonym_sets())


def test_query_structure_follows_the_parse(lexicon):
    query = build_query(SearchRequest(q='"Russische troepen" NAVO -Kiev', lang="nl"), lexicon)
    clause = query.clauses["nl"]
    assert isinstance(clause, BoolClause)
    assert isinstance(clause.should[0], PhraseClause)
    assert isinstance(clause.should[1], SynonymSet)
    assert clause.must_not[0].word == "Kiev"
    assert query.languages == ("nl",)
    # stopwords only: nothing to search
    assert build_query(SearchRequest(q="de het"), lexicon).clauses == {"nl": None, "en": None}


def test_synonym_set_becomes_dis_max_per_field():
    clause = SynonymSet("Putin", "nl", {"poetin": 1.0, "putin": 0.8},
                        {"poetin": "transliteration", "putin": "query"})
    out = dsl.clause_dsl(clause, {"title": 1.5, "body": 1.0})
    title, body = out["bool"]["should"]
    assert title["dis_max"]["boost"] == 1.5 and body["dis_max"]["boost"] == 1.0
    assert body["dis_max"]["queries"] == [{"term": {"body": {"value": "poetin", "boost": 1.0}}},
                                          {"term": {"body": {"value": "putin", "boost": 0.8}}}]
    one_field = SynonymSet("x", "en", {"x": 1.0}, {"x": "query"}, fields=("title",))
    assert "dis_max" in dsl.clause_dsl(one_field, {"title": 1.5})


def test_only_exclusions_match_everything_else():
    out = dsl.clause_dsl(BoolClause(must_not=(PhraseClause("a b", "en"),)), {})
    assert out["bool"]["must"] == [{"match_all": {}}]


@pytest.mark.parametrize("text,expected", [
    ("priority:>=2", {"range": {"x_priority": {"gte": "number"}}}),
    ("priority:[1 TO 3]", {"range": {"x_priority": {"gte": "number", "lte": "number"}}}),
    ("date:2022-02", {"bool": {"filter": [{"range": {"date_start": {"lte": "2022-02-31~"}}},
                                          {"range": {"date_end": {"gte": "2022-02-01"}}}]}}),
    ("date:<2022-02", {"range": {"date_start": {"lt": "2022-02-01"}}}),
    ("NOT source:NOS", {"bool": {"must_not": [{"term": {"source_key": "nos"}}]}}),
    ("language:NL", {"term": {"language": "nl"}}),
])
def test_filters_translate_to_terms_and_ranges(text, expected):
    from index.fields import number_key

    out = dsl.filter_dsl(parse_filter(text, FIELDS))
    encoded = json.dumps(out)
    for value in (1, 2, 3):
        encoded = encoded.replace(json.dumps(number_key(value)), '"number"')
    assert json.loads(encoded) == expected


def test_number_ranges_keep_numeric_order():
    """x_ fields hold Whoosh's order-preserving keys: string order is number order."""
    from index.fields import number_key

    values = [-5, -0.5, 0, 2, 10, 1e6]
    keys = [number_key(v) for v in values]
    assert keys == sorted(keys)


def test_document_source_and_stored_fields_round_trip():
    doc = make_doc("d1", "nl")
    doc.source, doc.date = "NOS", "2022-02-24"
    doc.fields = {"tags": ["Oorlog", "Rusland"], "priority": 3}
    fields = load_fields("priority:number")
    source = mapping.source(doc, fields)
    assert source["x_tags"] == ["oorlog", "rusland"] and source["source_key"] == "nos"
    assert source["date_start"] == "2022-02-24" and source["month"] == "2022-02"
    stored = mapping.stored(source)
    assert stored["fields"] == {"tags": ["Oorlog", "Rusland"], "priority": 3}
    assert not any(k.startswith("x_") or k in mapping.INDEX_ONLY for k in stored)
    assert mapping.source_from_stored({**stored, "body": stored["body"]}, fields) == source


def test_mappings_follow_declared_fields():
    body = mapping.index_body("en", load_fields("priority:number,summary:text"))
    props = body["mappings"]["properties"]
    assert props["x_priority"] == {"type": "keyword"}
    assert props["x_summary"]["analyzer"] == "tolk_en"
    assert body["mappings"]["dynamic"] == "strict"
    tokenizers = body["settings"]["index"]["analysis"]["tokenizer"].values()
    assert all("\\u" not in t.get("pattern", "") for t in tokenizers)  # portable escapes


def test_search_body_restricts_hits_not_facets(lexicon):
    query = build_query(SearchRequest(q="NAVO", lang="en", facets=("language", "tags")),
                        lexicon, facets=("language", "tags"))
    body = dsl.search_body(query)
    assert body["post_filter"] == {"terms": {"language": ["en"]}}
    assert "language" in body["aggs"]  # over both languages
    assert body["aggs"]["wanted"]["filter"] == {"terms": {"language": ["en"]}}
    assert body["aggs"]["wanted"]["aggs"]["tags"]["terms"]["field"] == "x_tags"
    assert dsl.search_params()["search_type"] == "dfs_query_then_fetch"


def test_export_writes_templates_and_bulk_files(seed_index, tmp_path):
    from index.backends.opensearch.export import export
    from index.storage import IndexReader

    reader = IndexReader(seed_index)
    result = export(reader, tmp_path / "out", Fields(), prefix="p-", batch_docs=2)
    counts = reader.counts()
    assert result["documents"] == counts
    lines = []
    for path in sorted((tmp_path / "out").glob("bulk-*.ndjson")):
        part = path.read_text().splitlines()
        assert len(part) <= 4  # at most 2 documents a file
        lines += part
    actions = [json.loads(line) for line in lines[::2]]
    assert sorted(a["index"]["_index"] for a in actions) == \
        sorted(["p-nl"] * counts["nl"] + ["p-en"] * counts["en"])
    template = json.loads((tmp_path / "out" / "template-nl.json").read_text())
    assert template["index_patterns"] == ["p-nl-v*"]  # versioned indexes behind the alias
    assert "aliases" not in template["template"]  # a new version joins the alias when loaded
    assert json.loads((tmp_path / "out" / "index-nl.json").read_text())["aliases"] == \
        {"p-nl": {}}
    assert "tolk_nl" in template["template"]["settings"]["index"]["analysis"]["analyzer"]
    readme = (tmp_path / "out" / "README.txt").read_text()
    assert "_bulk?refresh=wait_for" in readme and "p-nl,p-en/_count" in readme
    assert '"$URL/p-nl-v1"' in readme and "/_aliases" in readme


def test_export_cli_errors_are_one_line(runner, tmp_path):
    result = runner(["export", "--opensearch", tmp_path / "out", "--index-dir", tmp_path / "no"])
    assert result.exit_code != 0 and "tolk index" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    (tmp_path / "file").write_text("x")
    result = runner(["export", "--opensearch", tmp_path / "file", "--index-dir", tmp_path])
    assert result.exit_code != 0 and "is a file" in result.stderr
