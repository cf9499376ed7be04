"""Queries are normalized exactly like documents: NFC, invisibles (category Cf) removed."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from index.analysis import analyze
from index.ingest.cleaning import clean_text
from index.normalize import CF_RANGES, normalize_text
from index.search.query import parse_query
from conftest import assert_error

AUTH = {"Authorization": "Bearer test-key"}

# The same word written in ways a browser, a PDF or a CMS produces.
UKRAINE = ["Oekrai\u0308ne", "Oekra\u00adi\u0308ne", "\ufeffOekraïne", "Oekraïne\u200e"]
PUTIN = ["Poe\u00adtin", "Poe\u200btin", "Poe\u200ctin", "Poe\u200dtin", "Poe\u2060tin",
         "\u2066Poetin\u2069"]


def test_cf_table_covers_every_format_character_of_this_python():
    table = {c for low, high in CF_RANGES for c in range(low, high + 1)}
    cf = {c for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"}
    assert cf <= table
    # Newer Unicode versions may add Cf characters: the table may hold unassigned ones.
    assert all(unicodedata.category(chr(c)) in ("Cf", "Cn") for c in table - cf)


@pytest.mark.parametrize("written", UKRAINE)
def test_normalize_text_gives_the_composed_visible_word(written):
    assert normalize_text(written) == "Oekraïne"


def test_normalize_text_keeps_ordinary_text_and_whitespace():
    text = "Poetin zei:\n\t\"vrede\" — 130.000 troepen 😀"
    assert normalize_text(text) == text
    assert normalize_text("a\x00b\x7fc") == "abc"
    assert normalize_text("") == ""


@pytest.mark.parametrize("written", PUTIN + UKRAINE)
def test_analysis_treats_an_invisible_inside_a_word_as_nothing(written):
    plain = "Oekraïne" if written in UKRAINE else "Poetin"
    for mode in ("index", "query"):
        assert analyze("nl", written, mode=mode) == analyze("nl", plain, mode=mode)


def test_cleaning_removes_a_zero_width_joiner_inside_a_document_word():
    cleaned = clean_text("Poe\u200dtin sprak met Zelensky over vrede in Oekrai\u0308ne.")
    assert cleaned.text == "Poetin sprak met Zelensky over vrede in Oekraïne."


@pytest.mark.parametrize("written", PUTIN)
def test_query_words_and_phrases_are_normalized(written):
    word = parse_query(written)
    assert word.text == "Poetin"
    assert (word.start, word.end) == (0, len(written))  # offsets into the query as typed
    phrase = parse_query(f'"{written} troepen"')
    assert phrase.words == ["Poetin", "troepen"]


def test_a_query_of_invisible_characters_only_is_empty():
    with pytest.raises(ValueError, match="empty"):
        parse_query("\u200b\u00ad")


def _ids(client, q):
    response = client.get("/api/search", query_string={"q": q, "limit": 50})
    assert response.status_code == 200, response.get_json()
    return sorted(hit["id"] for hit in response.get_json()["hits"])


@pytest.mark.parametrize("written,plain", [(w, "Oekraïne") for w in UKRAINE]
                         + [(w, "Poetin") for w in PUTIN])
def test_search_api_finds_the_same_documents(client, written, plain):
    expected = _ids(client, plain)
    assert expected, f"the seeds should hold {plain}"
    assert _ids(client, written) == expected


def test_suggest_api_normalizes_the_prefix(client):
    def texts(q):
        response = client.get("/api/suggest", query_string={"q": q})
        assert response.status_code == 200
        return [s["text"] for s in response.get_json()["suggestions"]]

    assert texts("Poe") and texts("Poe\u00ad") == texts("Poe") == texts("Po\u200be")


def test_a_document_written_with_invisibles_is_found_by_plain_and_odd_queries(write_client):
    text = ("De minister sprak dinsdag in Den Haag over Zwo\u200dlle en de nieuwe "
            "fietsbrug over de IJssel, die in 2025 klaar moet zijn volgens de gemeente.")
    response = write_client.post("/api/documents", headers=AUTH,
                                 json={"documents": [{"id": "zwj", "text": text}]})
    assert response.status_code == 200, response.get_json()
    assert _ids(write_client, "Zwolle") == ["zwj"]
    assert _ids(write_client, "Zwo\u200blle") == ["zwj"]
    stored = write_client.get("/api/documents/zwj").get_json()
    assert stored["original"] == text  # the original is kept as sent
    assert "\u200d" not in stored["text"]


def test_an_empty_query_after_normalization_is_a_clear_400(client):
    body = assert_error(client.get("/api/search", query_string={"q": "\u200b"}), 400)
    assert "empty" in body["message"]
