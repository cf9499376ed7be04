"""The vectorized scorer and the per-document matcher loop give the same hits."""

import random

import numpy as np

import pytest

from index.scoring import vectorscore
from index.ingest.documents import Document
from index.search import SearchRequest, search
from index.storage import IndexReader, delete, rebuild, update

WORDS = ("oorlog vrede leger troepen grens rusland oekraine poetin navo kiev moskou sancties "
         "regering minister president verkiezing economie handel").split()


@pytest.fixture(scope="module")
def corpus_index(tmp_path_factory):
    rng = random.Random(7)
    path = tmp_path_factory.mktemp("collect") / "index"
    docs = []
    for i in range(300):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(5, 60)))
        date = f"2022-{rng.randint(1, 12):02d}" + (f"-{rng.randint(1, 28):02d}"
                                                   if rng.random() < 0.5 else "")
        docs.append(Document(id=f"d{i}", language="nl", language_confidence=1.0,
                             title=" ".join(rng.choice(WORDS) for _ in range(3)), text=text,
                             original=text, date=date if rng.random() < 0.9 else None))
    rebuild(path, docs)
    # A second segment and some deletions, so both paths see several segments.
    update(path, docs[:20])
    delete(path, ["d5", "d77", "d150"])
    return IndexReader(path)


QUERIES = ["oorlog", "oorlog vrede", "oorlog AND leger", "poetin OR navo", "troepen -grens",
           "+kiev moskou", "title:rusland", "(oorlog OR vrede) AND regering -handel",
           "sancties economie handel minister", '"oorlog vrede"', '"rusland economie oorlog"',
           '"oorlog vrede" leger', 'title:"regering vrede"', '+"leger troepen" regering']
# Whoosh's own AndNot over a phrase matcher keeps some documents the excluded word is in
# (d9 below); the vectorized path excludes them, which is the only difference.
PHRASE_AND_NOT = '"troepen grens" -minister'


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("options", [{}, {"sort": "date"}, {"offset": 5, "limit": 7},
                                     {"date_from": "2022-03", "date_to": "2022-06-15"}])
def test_vectorized_and_loop_scoring_agree(corpus_index, monkeypatch, q, options):
    request = SearchRequest(q=q, crosslingual=False, typo=False, **options)
    # An explicit lexicon bypasses the result cache, so both runs really search.
    fast = search(corpus_index, request, lexicon=None)
    monkeypatch.setattr(vectorscore, "supports", lambda query, weighting=None: False)
    slow = search(corpus_index, request, lexicon=None)
    assert fast["total"] == slow["total"] > 0
    assert fast["facets"] == slow["facets"]
    assert [(h["id"], h["score"]) for h in fast["hits"]] == \
        [(h["id"], h["score"]) for h in slow["hits"]]


def test_phrases_are_vectorized_only_under_whooshs_default_weighting(corpus_index):
    from whoosh.scoring import BM25F, TF_IDF

    from index.search.query import parse_query
    from index.search.pipeline import _Compiler

    compiler = _Compiler("nl", "nl", None, False)
    phrase = compiler.compile(parse_query('"oorlog vrede"'))
    assert not vectorscore.supports(phrase)  # weighting unknown
    assert vectorscore.supports(phrase, BM25F())
    assert not vectorscore.supports(phrase, TF_IDF())
    assert not vectorscore.supports(phrase, BM25F(K1=2.0))
    assert vectorscore.supports(compiler.compile(parse_query("oorlog vrede -leger")))


def _compiled(reader, q):
    from index.search.query import parse_query
    from index.search.pipeline import _Compiler, _set_global_idf

    searchers = reader.searchers()
    compiler = _Compiler("nl", "nl", None, False)
    query = compiler.compile(parse_query(q))
    _set_global_idf({"nl": compiler}, {"nl": searchers["nl"]})
    return searchers["nl"], query


@pytest.mark.parametrize("q", [q for q in QUERIES if '"' in q])
@pytest.mark.parametrize("repeat", [1, 2])  # the second run reads decoded postings from the cache
def test_vectorized_phrase_scores_equal_whooshs_exactly(corpus_index, monkeypatch, q, repeat):
    from index.search import collect as collect_module

    searcher, query = _compiled(corpus_index, q)
    assert vectorscore.supports(query, searcher.weighting)
    for _ in range(repeat):
        fast = collect_module.collect(searcher, query, None, months=True)
    with monkeypatch.context() as patch:
        patch.setattr(vectorscore, "supports", lambda query, weighting=None: False)
        slow = collect_module.collect(searcher, query, None, months=True)
    assert fast.total == slow.total > 0
    assert fast.months == slow.months
    assert fast.top == slow.top  # every hit, unrounded scores, same order


def test_a_phrase_minus_a_word_excludes_every_document_with_the_word(corpus_index, monkeypatch):
    from index.search import collect as collect_module

    searcher, query = _compiled(corpus_index, PHRASE_AND_NOT)
    excluded = set(searcher.docs_for_query(query.b))
    fast = collect_module.collect(searcher, query, None)
    with monkeypatch.context() as patch:
        patch.setattr(vectorscore, "supports", lambda query, weighting=None: False)
        slow = collect_module.collect(searcher, query, None)
    assert not {doc for _, doc in fast.top} & excluded
    assert {doc for _, doc in slow.top} & excluded  # Whoosh's matcher tree lets some through
    assert fast.top == [(score, doc) for score, doc in slow.top if doc not in excluded]


@pytest.mark.parametrize("q", QUERIES + [PHRASE_AND_NOT])
def test_a_count_without_scores_matches_what_the_scored_collection_matches(corpus_index,
                                                                           monkeypatch, q):
    # limit 0 (the language a search does not show, counted for the language facet):
    # the mask alone, no BM25; the same total and matched documents as scoring all.
    from index.search import collect as collect_module

    searcher, query = _compiled(corpus_index, q)
    allow = np.zeros(searcher.doc_count_all(), dtype=bool)
    allow[::3] = True
    for restrict in (None, allow):
        scored = collect_module.collect(searcher, query, None, allow=restrict)
        with monkeypatch.context() as patch:
            patch.setattr(vectorscore, "score_all", None)  # must not be called
            counted = collect_module.collect(searcher, query, 0, allow=restrict)
        assert counted.total == scored.total and counted.top == []
        assert np.array_equal(counted.matched, scored.matched)
