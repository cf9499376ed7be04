"""Highlighting: the same snippets on news-sized texts, bounded work on huge ones."""

from __future__ import annotations

import time

from index.analysis import analyze, iter_words, word_terms
from index.search.highlight import (CHUNK_CHARS, MAX_ANALYZED_CHARS, WHOLE_TEXT_CHARS,
                                    find_matches, snippet)
from conftest import SEEDS

AUTH = {"Authorization": "Bearer test-key"}
FILLER = ("Het kabinet bespreekt op dag {} de begroting voor defensie en de steun aan de regio. "
          "De minister wil meer geld voor onderwijs, zorg en wegen in het hele land.\n\n")


def _terms(text: str) -> frozenset:
    return frozenset(analyze("nl", text))


def _filler(chars: int) -> str:
    """News-like paragraphs, each with its own number (cleaning drops repeated paragraphs)."""
    text = "".join(FILLER.format(n) for n in range(chars // (len(FILLER) - 2) + 1))
    return text[:chars]


def _cpu(function, *args) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.thread_time()
        function(*args)
        best = min(best, time.thread_time() - started)
    return best


def test_a_news_sized_text_gets_every_match():
    text = next(SEEDS.glob("000_*.txt")).read_text("utf-8")
    assert len(text) <= WHOLE_TEXT_CHARS
    terms = _terms("Poetin troepen Oekraïne")
    expected = [(raw, start) for raw, start, _ in iter_words(text)
                if word_terms("nl", raw) & terms]
    found = find_matches("nl", text, terms)
    assert [(m.surface, m.start) for m in found] == expected
    assert len(expected) > 5


def test_a_match_deep_in_a_long_text_is_found_and_marked():
    text = _filler(150_000) + " Poetin sprak over troepen. " + _filler(50_000)
    found = find_matches("nl", text, _terms("Poetin troepen"))
    assert {m.surface for m in found} == {"Poetin", "troepen"}
    html = snippet(text, found)
    assert "<mark>Poetin</mark>" in html and "<mark>troepen</mark>" in html
    assert html.startswith("… ")


def test_a_window_may_span_the_chunk_cut():
    cut_region = 3 * CHUNK_CHARS - 20
    text = _filler(cut_region) + " Poetin en troepen " + _filler(WHOLE_TEXT_CHARS)
    found = find_matches("nl", text, _terms("Poetin troepen"))
    assert {m.surface for m in found} == {"Poetin", "troepen"}


def test_nothing_is_read_beyond_the_analyzed_limit():
    text = _filler(MAX_ANALYZED_CHARS + 10_000) + " Poetin "
    assert find_matches("nl", text, _terms("Poetin")) == []
    html = snippet(text, [])
    assert html.startswith("Het kabinet") and "<mark>" not in html


def test_work_per_hit_does_not_grow_with_the_document():
    terms = _terms("minister Poetin")  # "minister" early on; "Poetin" nowhere
    for query in (terms, _terms("Poetin")):
        small = _cpu(lambda t: snippet(t, find_matches("nl", t, query)), _filler(400_000))
        large = _cpu(lambda t: snippet(t, find_matches("nl", t, query)), _filler(2_000_000))
        assert large <= 3 * max(small, 1e-4), (query, small, large)


def test_a_2_mb_document_posted_through_the_api_is_stored_and_searchable(write_client):
    text = _filler(1_999_000) + " De xylofoonfabriek sloot de deuren."
    assert len(text) <= 2_000_000
    response = write_client.post("/api/documents", headers=AUTH,
                                 json={"documents": [{"id": "big", "text": text,
                                                      "language": "nl"}]})
    assert response.status_code == 200, response.get_json()
    stored = write_client.get("/api/documents/big").get_json()
    assert stored["original"] == text
    assert len(stored["text"]) > 1_900_000  # cleaning kept it: a big document, not a small one
    for q, marked in (("begroting", True), ("xylofoonfabriek", False)):
        body = write_client.get("/api/search", query_string={"q": q}).get_json()
        hits = {hit["id"]: hit for hit in body["hits"]}
        assert "big" in hits, q
        # A match within the analyzed part is marked; one at the very end is found, unmarked.
        assert ("<mark>" in hits["big"]["snippet"]) is marked


def _every_match(language: str, text: str, terms) -> list[tuple]:
    """The definition: every token of a full tokenization whose index terms meet ``terms``."""
    return [(min(word_terms(language, raw) & terms), raw, start, end)
            for raw, start, end in iter_words(text) if word_terms(language, raw) & terms]


def test_matches_are_those_of_a_full_tokenization_on_odd_texts():
    # Tokens glued by joiners, numbers with separators, every kind of whitespace, words
    # inside other words: the chunk lookup and the place checks must find exactly these.
    import random

    rng = random.Random(7)
    alphabet = "ab ,.-'’1 2x\u2010éE\n\x1c\u3000\t_\u00ad"
    words = ["troepen", "Poetin", "anti-troepen", "troep", "1.000", "Poetin’s", "poetin",
             "x’troepen", "l'Poetin", "2.1000"]
    checked = 0
    for _ in range(3000):
        pieces = [rng.choice(alphabet) for _ in range(rng.randrange(1, 30))]
        for _ in range(rng.randrange(3)):
            pieces.insert(rng.randrange(len(pieces) + 1), rng.choice(words))
        text = "".join(pieces)
        for language in ("nl", "en"):
            terms = frozenset(analyze(language, "Poetin troepen a 1000 x"))
            expected = _every_match(language, text, terms)
            found = [(m.term, m.surface, m.start, m.end)
                     for m in find_matches(language, text, terms)]
            assert found == expected, text
            checked += bool(expected)
    assert checked > 1000


def test_the_word_memo_is_bounded_and_answers_alike_after_it_restarts(monkeypatch):
    from index.search import highlight

    monkeypatch.setattr(highlight, "MEMO_CHUNKS", 50)
    monkeypatch.setattr(highlight, "_MEMOS", {})
    text = next(SEEDS.glob("000_*.txt")).read_text("utf-8")
    terms = _terms("Poetin troepen Oekraïne")
    expected = _every_match("nl", text, terms)
    for _ in range(3):
        found = find_matches("nl", text, terms)
        assert [(m.term, m.surface, m.start, m.end) for m in found] == expected
        assert len(highlight._memo("nl").state()[0]) <= 50


def test_compound_parts_are_looked_up_only_when_the_query_could_match_one():
    # What the highlighter relies on to skip the costly compound lookup of a word seen
    # once: a word's terms are its own terms plus its parts' stems, and every part is a
    # substring of the word and a word of the part table.
    from index import decompound
    from index.analysis import stem_word, word_terms_unsplit
    from index.search.highlight import _part_surfaces

    table = _part_surfaces("nl")
    every_part = set().union(*table.values())
    text = " ".join(p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt")))
    raws = {raw for raw, _, _ in iter_words(text)} | {"gasprijzen", "grensgebieden",
                                                      "vredesmissie", "Oorlogs-schepen",
                                                      "US", "WHO", "De", "DE", "12abc"}
    for raw in raws:  # English has no compound parts: its words' terms as they are
        assert word_terms_unsplit("en", raw) == (word_terms("en", raw), ())
    split_seen = 0
    for raw in raws:
        own, words = word_terms_unsplit("nl", raw)
        parts = [part for word in words for part in decompound.split(word)]
        assert own | {stem_word("nl", part) for part in parts} == word_terms("nl", raw), raw
        for word in words:
            for part in decompound.split(word):
                assert part in word and part in every_part, (raw, part)
                assert part in table[stem_word("nl", part)]
        split_seen += bool(parts)
    assert split_seen >= 3
    # and in a text: a part is marked whether or not the compound was seen before
    for _ in range(2):
        found = find_matches("nl", "De gasprijzen stijgen, de gasprijzen dalen.",
                             frozenset(analyze("nl", "prijzen")))
        assert [m.surface for m in found] == ["gasprijzen", "gasprijzen"]
