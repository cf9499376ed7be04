"""The vectorized scorer and the per-document matcher loop give the same hits."""

import random

import pytest

from index import vectorscore
from index.documents import Document
from index.search import SearchRequest, search
from index.store import IndexReader, delete, rebuild, update

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
           "sancties economie handel minister"]


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("options", [{}, {"sort": "date"}, {"offset": 5, "limit": 7},
                                     {"date_from": "2022-03", "date_to": "2022-06-15"}])
def test_vectorized_and_loop_scoring_agree(corpus_index, monkeypatch, q, options):
    request = SearchRequest(q=q, crosslingual=False, typo=False, **options)
    fast = search(corpus_index, request)
    monkeypatch.setattr(vectorscore, "supports", lambda query: False)
    slow = search(corpus_index, request)
    assert fast["total"] == slow["total"] > 0
    assert fast["facets"] == slow["facets"]
    assert [(h["id"], h["score"]) for h in fast["hits"]] == \
        [(h["id"], h["score"]) for h in slow["hits"]]


def test_phrases_take_the_matcher_path(corpus_index):
    from index.search import _Compiler
    from index.query import parse_query

    compiler = _Compiler("nl", "nl", None, False)
    assert not vectorscore.supports(compiler.compile(parse_query('"oorlog vrede"')))
    assert vectorscore.supports(compiler.compile(parse_query("oorlog vrede -leger")))
