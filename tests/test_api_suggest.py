"""GET /api/suggest: prefix completions from both languages, fast enough per keystroke."""

import json
import random
import statistics
import time

import pytest

from conftest import build_index
from index.ingest.documents import Document
from index.storage import rebuild
from service import create_app
from service.schemas import SuggestResponseSchema


def suggest(client, **params):
    response = client.get("/api/suggest", query_string=params)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert SuggestResponseSchema().validate(body) == {}
    return body


def test_completes_a_prefix(client):
    body = suggest(client, q="poe")
    assert body["query"] == "poe"
    assert body["suggestions"][0] == {"text": "poetin", "languages": ["nl"], "count": 4,
                                      "display": "Poetin", "query": "Poetin"}


def test_display_form_keeps_accents_and_capitals(client):
    first = suggest(client, q="oekrai")["suggestions"][0]
    assert first["text"] == "oekraine"
    assert first["display"] == "Oekraïne"


def test_whole_query_completes_the_last_word_in_context(tmp_path):
    """Completions that occur with the earlier words come first, though less frequent."""
    def doc(id, language, title, text):
        return {"id": id, "language": language, "title": title, "text": text}
    docs = [doc(f"trade{i}", "en", f"Trade talks {i}",
                "The trade minister spoke about trade and the truss budget.") for i in range(6)]
    docs += [doc(f"troops{i}", "en", f"Front {i}", "Russian troops moved west of the river.")
             for i in range(2)]
    docs += [doc("nl-troepen", "nl", "Front",
                 "Russische troepen trokken in de oorlog naar het westen.")]
    docs += [doc(f"nl-trein{i}", "nl", f"Spoor {i}", "De treinen reden vandaag te laat.")
             for i in range(3)]
    source = tmp_path / "docs.jsonl"
    source.write_text("".join(json.dumps(d) + "\n" for d in docs), encoding="utf-8")
    index_dir = build_index(tmp_path / "index", source)  # with the cross-link lexicon
    with create_app({"INDEX_DIR": str(index_dir)}).test_client() as client:
        alone = [s["text"] for s in suggest(client, q="tr")["suggestions"]]
        assert alone.index("trade") < alone.index("troops")  # most frequent without context
        body = suggest(client, q="russian tr")
        assert body["suggestions"][0]["text"] == "troops"
        assert body["suggestions"][0]["query"] == "russian troops"
        assert [s["text"] for s in suggest(client, q="Russische tr")["suggestions"]][0] \
            == "troepen"
        assert suggest(client, q="russian tr", limit=2)["suggestions"][0]["text"] == "troops"
        # in the other language through the cross-links of the earlier words
        dutch = [s["text"] for s in suggest(client, q="war tr", lang="nl")["suggestions"]]
        assert dutch.index("troepen") < dutch.index("treinen")
        alone = [s["text"] for s in suggest(client, q="tr", lang="nl")["suggestions"]]
        assert alone.index("treinen") < alone.index("troepen")


def test_most_frequent_first_and_limit(client):
    words = [s["text"] for s in suggest(client, q="oek")["suggestions"]]
    assert words[:2] == ["oekraine", "oekraiense"]
    assert [s["text"] for s in suggest(client, q="oek", limit=1)["suggestions"]] == ["oekraine"]


def test_case_and_accents_are_ignored(client):
    expected = suggest(client, q="oekrai")["suggestions"]
    assert expected
    assert suggest(client, q="Oekraï")["suggestions"] == expected
    assert suggest(client, q="OEKRAI")["suggestions"] == expected


def test_both_languages_and_lang_filter(client):
    both = {s["text"]: s for s in suggest(client, q="donet")["suggestions"]}
    assert both["donetsk"]["languages"] == ["en", "nl"]
    en = {s["text"]: s for s in suggest(client, q="donet", lang="en")["suggestions"]}
    assert en["donetsk"]["languages"] == ["en"]
    assert en["donetsk"]["count"] < both["donetsk"]["count"]
    russ = suggest(client, q="russ", lang="any")["suggestions"]
    assert {"nl", "en"} <= {lang for s in russ for lang in s["languages"]}
    assert all(s["languages"] == ["nl"] for s in suggest(client, q="russ", lang="nl")
               ["suggestions"])


def test_unknown_prefix_has_no_suggestions(client):
    assert suggest(client, q="xqzw")["suggestions"] == []


@pytest.mark.parametrize("params", [
    {}, {"q": ""}, {"q": "a" * 101}, {"q": "poe", "limit": 0}, {"q": "poe", "limit": 51},
    {"q": "poe", "lang": "de"}, {"q": "poe", "size": 3},
])
def test_bad_requests(client, params):
    response = client.get("/api/suggest", query_string=params)
    assert response.status_code == 400
    assert response.get_json()["code"] == "invalid_request"


# -- latency on a larger vocabulary ------------------------------------------------


SYLLABLES = ["ka", "ro", "mi", "te", "su", "ban", "del", "po", "ri", "van", "os", "ek", "lu",
             "nor", "ge", "sta", "tr", "ui", "be", "hoe"]


@pytest.fixture(scope="module")
def big_vocabulary_index(tmp_path_factory):
    """800 documents over a 20,000-word made-up vocabulary (about 18,000 distinct words)."""
    rng = random.Random(7)
    vocabulary = set()
    while len(vocabulary) < 20_000:
        vocabulary.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    vocabulary = sorted(vocabulary)
    docs = []
    for i in range(800):
        text = " ".join(rng.choice(vocabulary) for _ in range(150)) + "."
        docs.append(Document(id=f"v{i}", language=("nl", "en")[i % 2], language_confidence=1.0,
                             title=f"v {i}", text=text, original=text))
    path = tmp_path_factory.mktemp("vocab") / "index"
    rebuild(path, docs)
    return path


def test_completions_on_a_large_vocabulary(big_vocabulary_index, record_property):
    """Right answers for short prefixes with thousands of candidates; timings recorded
    (about 1-40 ms a call on a developer machine), not asserted."""
    client = create_app({"INDEX_DIR": str(big_vocabulary_index)}).test_client()
    timings = {}
    for prefix in ["k", "ka", "kar", "karo", "b", "be", "ban", "t", "tr"]:
        suggest(client, q=prefix)  # warm
        samples = []
        for _ in range(15):
            started = time.perf_counter()
            body = suggest(client, q=prefix)
            samples.append((time.perf_counter() - started) * 1000)
        counts = [s["count"] for s in body["suggestions"]]
        assert len(counts) == 10 and counts == sorted(counts, reverse=True)
        assert all(s["text"].startswith(prefix) for s in body["suggestions"])
        timings[prefix] = round(statistics.median(samples), 2)
    record_property("suggest_median_ms", timings)
