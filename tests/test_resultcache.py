"""The per-process result cache: same answers as uncached, never stale after a write."""

import pytest

from index.ingest.documents import Document
from index.search.resultcache import ResultCache, cache_for, configure
from index.search import SearchRequest, search
from index.storage import IndexReader, delete, update
from service.lexicon import load_lexicon

QUERIES = ["Putin", "NAVO", '"klimaat verandering"', "fiets OR bike", "oorlog -Rusland",
           "Putin -Poetin", "verkiezingen"]


def open_reader(path, entries=None):
    reader = IndexReader(path)
    reader.set_lexicon_loader(load_lexicon)
    if entries is not None:
        configure(reader, entries)
    return reader


def strip(result):
    return {k: v for k, v in result.items() if k != "took_ms"}


@pytest.mark.parametrize("options", [{}, {"sort": "date"}, {"lang": "nl"}, {"offset": 1, "limit": 2},
                                     {"crosslingual": False}, {"date_from": "2020-01"}])
def test_cached_results_equal_uncached(seed_index, options):
    cached = open_reader(seed_index, 64)
    plain = open_reader(seed_index, 0)
    assert cache_for(plain) is None
    for q in QUERIES:
        request = SearchRequest(q=q, **options)
        expected = strip(search(plain, request))
        assert strip(search(cached, request)) == expected  # miss, then stored
        assert strip(search(cached, request)) == expected  # hit
    assert cache_for(cached).hits == len(QUERIES)


def test_a_cached_result_is_a_copy(seed_index):
    reader = open_reader(seed_index, 8)
    first = search(reader, SearchRequest(q="Putin"))
    first["hits"].clear()
    first["facets"]["language"]["nl"] = -1
    again = search(reader, SearchRequest(q="Putin"))
    assert again["hits"] and again["facets"]["language"]["nl"] != -1


def test_writes_by_another_reader_are_seen_at_once(writable_index):
    reader = open_reader(writable_index, 64)
    request = SearchRequest(q="zebrapadvogel")
    assert search(reader, request)["total"] == 0
    assert search(reader, request)["total"] == 0  # now cached
    update(writable_index, [Document(id="zz-1", language="nl", language_confidence=1.0,
                                     title="zebrapadvogel", text="De zebrapadvogel zingt.",
                                     original="De zebrapadvogel zingt.")])
    result = search(reader, request)
    assert result["total"] == 1 and result["hits"][0]["id"] == "zz-1"
    delete(writable_index, ["zz-1"])
    assert search(reader, request)["total"] == 0


def test_the_cache_is_bounded_lru():
    cache = ResultCache(2)
    cache.put("a", {"n": 1})
    cache.put("b", {"n": 2})
    assert cache.get("a") == {"n": 1}
    cache.put("c", {"n": 3})
    assert cache.get("b") is None  # least recently used went first
    assert cache.get("a") == {"n": 1} and cache.get("c") == {"n": 3}


def test_an_explicit_lexicon_bypasses_the_cache(seed_index):
    reader = open_reader(seed_index, 8)
    search(reader, SearchRequest(q="Putin"), lexicon=None)
    search(reader, SearchRequest(q="Putin"), lexicon=None)
    assert cache_for(reader).hits == 0


def test_the_app_sizes_the_caches_from_its_settings(seed_index):
    from index.storage import postingcache
    from service import create_app

    app = create_app({"INDEX_DIR": str(seed_index), "RESULT_CACHE": 0, "POSTING_CACHE_MB": 1})
    try:
        assert cache_for(app.extensions["tolk_reader"]) is None
        assert postingcache.CACHE.max_bytes == 2**20
        app = create_app({"INDEX_DIR": str(seed_index)})
        assert cache_for(app.extensions["tolk_reader"]).entries == 512
    finally:
        postingcache.configure(postingcache.DEFAULT_MB)
    assert postingcache.CACHE.max_bytes == postingcache.DEFAULT_MB * 2**20
