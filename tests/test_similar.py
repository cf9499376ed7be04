"""Similar articles and story grouping: engine, API errors, and real gunicorn.

The corpus (``storycorpus.py``) holds four stories in Dutch and English, one also
from a second English source, and two unrelated articles; ids name the story.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import assert_error, build_vector_index
from index.search.grouping import grouped_search
from index.search import SearchRequest, search
from index.search.similar import STORY_THRESHOLDS, counterparts, group_story, similar
from index.storage import IndexReader, rebuild, update
from index.vectors import embedder as embedders
from service import create_app
from storycorpus import STORIES, story_documents


pytestmark = pytest.mark.xdist_group("vectors")

THRESHOLD = STORY_THRESHOLDS["usem3"]
LANGUAGE = {doc_id: lang for doc_id, lang, *_ in STORIES}


def story(doc_id: str) -> str:
    return doc_id.split("-")[0]


@pytest.fixture(scope="module")
def story_index(tmp_path_factory) -> Path:
    return build_vector_index(tmp_path_factory, "stories", story_documents())


def test_similar_ranks_the_translation_first_and_lang_keeps_one_language(story_index,
                                                                           embedder_on):
    reader = IndexReader(story_index)
    try:
        store = reader.vectors()
        for doc_id, lang, *_ in STORIES:
            other = "en" if lang == "nl" else "nl"
            found = similar(store, doc_id, 3, lang=other)
            assert found and all(language == other for _, language, _ in found)
            siblings = [d for d in LANGUAGE if story(d) == story(doc_id) and LANGUAGE[d] == other]
            if siblings:  # its translation is the nearest article in the other language
                assert found[0][0] in siblings and found[0][2] >= THRESHOLD
            else:  # chess and bakery: no story in the other language reaches the threshold
                assert found[0][2] < THRESHOLD
        both = similar(store, "bridge-nl", 20)
        assert "bridge-nl" not in [d for d, _, _ in both]  # itself left out
        assert {d for d, _, _ in both[:2]} == {"bridge-en", "bridge-en-wire"}
        assert {lang for _, lang, _ in both} == {"nl", "en"}
        cosines = [c for _, _, c in both]
        assert cosines == sorted(cosines, reverse=True)
    finally:
        reader.close()


def test_counterparts_scan_once_for_a_page_of_hits(story_index, embedder_on):
    reader = IndexReader(story_index)
    try:
        found = counterparts(reader.vectors(), list(LANGUAGE), LANGUAGE, THRESHOLD)
        for doc_id, (other, cos) in found.items():
            assert story(other) == story(doc_id) and LANGUAGE[other] != LANGUAGE[doc_id]
            assert cos >= THRESHOLD
        assert set(found) == set(LANGUAGE) - {"chess-nl", "bakery-en"}
    finally:
        reader.close()


def _all_story_hits(reader, q):
    return search(reader, SearchRequest(q=q, mode="semantic", limit=50), lexicon=None)


def test_grouping_puts_each_story_under_one_head_and_pages_over_groups(story_index,
                                                                       embedder_on):
    reader = IndexReader(story_index)
    try:
        q = "news"  # semantic: every article is a hit, ranked by cosine
        flat = _all_story_hits(reader, q)
        grouped = grouped_search(reader, SearchRequest(q=q, mode="semantic", limit=50),
                                 lexicon=None)
        assert grouped["total"] == flat["total"] == len(STORIES)  # total counts articles
        assert grouped["total_groups_exact"] is True
        groups = {}
        for head in grouped["hits"]:
            members = [head["id"]] + [s["id"] for s in head["story"]["siblings"]]
            assert head["story"]["size"] == len(members)
            assert len({story(m) for m in members}) == 1, members  # different stories: apart
            groups[story(head["id"])] = set(members)
        for name in {story(d) for d in LANGUAGE}:  # the same story: together
            assert groups[name] == {d for d in LANGUAGE if story(d) == name}
        assert grouped["total_groups"] == len(groups) == 6
        # Heads keep the ranking order of the ungrouped search.
        flat_rank = {h["id"]: n for n, h in enumerate(flat["hits"])}
        ranks = [flat_rank[h["id"]] for h in grouped["hits"]]
        assert ranks == sorted(ranks)
        # Paging one group at a time gives the same heads, each once.
        paged = []
        for offset in range(8):
            page = grouped_search(reader, SearchRequest(q=q, mode="semantic", limit=1,
                                                        offset=offset), lexicon=None)
            paged += [h["id"] for h in page["hits"]]
            assert page["total"] == len(STORIES)
        assert paged == [h["id"] for h in grouped["hits"]]
    finally:
        reader.close()


def test_group_story_leaves_a_hit_without_a_vector_alone(story_index, embedder_on):
    reader = IndexReader(story_index)
    try:
        store = reader.vectors()
        hits = [{"id": i, "language": LANGUAGE.get(i, "en"), "title": i, "score": 1.0}
                for i in ("bridge-nl", "ghost", "bridge-en")]
        heads = group_story(hits, store, THRESHOLD)
        assert [h["id"] for h in heads] == ["bridge-nl", "ghost"]
        assert heads[0]["story"]["siblings"][0]["id"] == "bridge-en"
        assert heads[1]["story"] == {"size": 1, "siblings": []}
    finally:
        reader.close()


def test_api_errors_are_clear_json(story_index, tmp_path):
    try:
        client = create_app({"INDEX_DIR": str(story_index), "EMBEDDER": "usem3"}).test_client()
        assert_error(client.get("/api/documents/nope/similar"), 404, "not_found")
        assert_error(client.get("/api/documents/bridge-nl/similar?lang=de"), 400,
                     "invalid_request")
        assert_error(client.get("/api/documents/bridge-nl/similar?limit=1000"), 400,
                     "invalid_request")
        assert_error(client.get("/api/documents/bridge-nl/similar?size=3"), 400,
                     "invalid_request")
        assert_error(client.get("/api/search?q=bridge&group=topic"), 400, "invalid_request")
        off = create_app({"INDEX_DIR": str(story_index), "EMBEDDER": "off"}).test_client()
        body = assert_error(off.get("/api/documents/bridge-nl/similar"), 409, "semantic_off")
        assert "TOLK_EMBEDDER" in body["message"]
        body = assert_error(off.get("/api/search?q=bridge&group=story"), 409, "semantic_off")
        assert "group" in body["errors"]
        # An index without vectors; then one document stored while the embedder was off.
        embedders.configure("off")
        plain = tmp_path / "plain"
        rebuild(plain, story_documents())
        on = create_app({"INDEX_DIR": str(plain), "EMBEDDER": "usem3"}).test_client()
        body = assert_error(on.get("/api/documents/bridge-nl/similar"), 409, "vectors_missing")
        assert "tolk reindex" in body["message"]
        assert_error(on.get("/api/search?q=bridge&group=story"), 409, "vectors_missing")
        mixed = tmp_path / "mixed"
        embedders.configure("usem3")
        rebuild(mixed, story_documents())
        embedders.configure("off")
        doc = story_documents()[0]
        update(mixed, [doc.__class__(**{**doc.__dict__, "id": "late-nl"})])
        on = create_app({"INDEX_DIR": str(mixed), "EMBEDDER": "usem3"}).test_client()
        body = assert_error(on.get("/api/documents/late-nl/similar"), 409, "no_vector")
        assert "tolk reindex" in body["message"]
    finally:
        embedders.configure(None)


def test_similar_and_grouping_through_gunicorn(story_index, gunicorn):
    server = gunicorn(story_index, workers=2, env={"TOLK_EMBEDDER": "usem3"}, timeout=120)
    status, _, body = server.request("GET", "/api/documents/vaccine-nl/similar?lang=en")
    assert status == 200, body
    assert body["hits"][0]["id"] == "vaccine-en" and body["hits"][0]["same_story"]
    assert all(h["language"] == "en" for h in body["hits"])
    assert [h["same_story"] for h in body["hits"]].count(True) == 1
    status, _, body = server.request("GET", "/api/documents/bridge-en/similar?limit=3")
    assert status == 200
    assert {h["id"] for h in body["hits"][:2]} == {"bridge-nl", "bridge-en-wire"}
    status, _, body = server.request("GET", "/api/documents/missing/similar")
    assert status == 404 and body["code"] == "not_found"
    # group=story on a lexical search for the bridge story in both languages.
    status, _, body = server.request(
        "GET", "/api/search?q=Rotterdam+brug+bridge&mode=lexical&group=story")
    assert status == 200, body
    assert body["total"] == 3 and body["total_groups"] == 1
    head = body["hits"][0]
    assert head["story"]["size"] == 3
    assert {head["id"], *(s["id"] for s in head["story"]["siblings"])} == \
        {"bridge-nl", "bridge-en", "bridge-en-wire"}
    # Pages of groups (page/hits_per_page): total_pages counts groups.
    seen = []
    for page in (1, 2, 3, 4):
        status, _, body = server.request(
            "GET", f"/api/search?q=news&mode=semantic&group=story&page={page}"
            "&hits_per_page=2")
        assert status == 200, body
        assert body["total_pages"] == 3 and body["total"] == len(STORIES)
        seen += [h["id"] for h in body["hits"]]
    assert len(seen) == len(set(seen)) == 6
    # The page shows the "same story" link, both interface languages.
    status, _, html = server.request("GET", "/?q=malaria+vaccine&ui=nl")
    assert status == 200
    html = html.decode() if isinstance(html, bytes) else str(html)
    links = re.findall(r'class="same-story-link"[^>]*data-id="([^"]+)">([^<]+)<', html)
    assert ("vaccine-nl", "Zelfde verhaal in het Nederlands") in links


def test_grouping_scans_deeper_until_the_page_is_full_and_says_when_it_stopped(
        story_index, embedder_on, monkeypatch):
    from index.search import grouping

    reader = IndexReader(story_index)
    try:
        request = SearchRequest(q="news", mode="semantic", limit=50)
        full = [h["id"] for h in grouped_search(reader, request, lexicon=None)["hits"]]
        monkeypatch.setattr(grouping, "FIRST_SCAN", 1)  # start shallow: scan 3, then 12
        paged = []
        for offset in range(6):
            page = grouped_search(reader, SearchRequest(q="news", mode="semantic", limit=1,
                                                        offset=offset), lexicon=None)
            paged += [h["id"] for h in page["hits"]]
        assert paged == full
        monkeypatch.setattr(grouping, "GROUP_SCAN", 4)  # a cap below the matching hits
        capped = grouped_search(reader, request, lexicon=None)
        assert capped["total_groups_exact"] is False and capped["total"] == len(STORIES)
        assert sum(h["story"]["size"] for h in capped["hits"]) == 4
        assert [h["id"] for h in capped["hits"]] == full[:len(capped["hits"])]
    finally:
        reader.close()
