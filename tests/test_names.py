"""Name candidates (index/ingest/names.py): capitalized words not at a sentence start."""

from collections import Counter

from index.ingest.documents import Document
from index.ingest.names import MAX_NAME_CHARS, name_candidates


def _names(text: str, title: str = "") -> Counter:
    return name_candidates(Document(id="x", language="nl", language_confidence=1.0,
                                    title=title, text=text, original=text))


def test_sentence_breaks_in_the_gap_before_a_word_make_it_sentence_initial():
    text = ('De man. Poetin zei dat Rutte en "Biden" kwamen: Zelensky! Macron\'s plan, '
            "volgens Scholz\u2019s team ... Merkel")
    assert _names(text) == Counter({"Rutte": 1, "Scholz": 1})


def test_the_first_word_of_each_paragraph_and_of_the_title_is_skipped():
    assert _names("Rutte sprak met Biden\nMacron sprak met Biden", title="Poetin en Xi") == \
        Counter({"Biden": 2, "Xi": 1})


def test_a_run_of_punctuation_between_words_still_counts_as_a_gap():
    assert _names("de heer Rutte" + "," * 50_000 + " Biden") == Counter({"Rutte": 1, "Biden": 1})
    assert _names("de heer Rutte" + "." * 50_000 + " Biden") == Counter({"Rutte": 1})


def test_overlong_capitalized_tokens_are_no_names():
    long = "A" + "b" * MAX_NAME_CHARS
    assert _names(f"de heer {long} en Rutte") == Counter({"Rutte": 1})


def test_a_document_with_a_line_of_100000_dots_is_indexed_through_the_api(write_client):
    # Before, name extraction was quadratic here: 10,000 dots took seconds, 1 MB held the
    # write lock until gunicorn killed the worker.
    text = ("De gemeenteraad van Zwolle besprak dinsdag de nieuwe fietsbrug over de IJssel"
            + "." * 100_000 + "\nDe brug moet in 2025 klaar zijn volgens wethouder Jansen.")
    response = write_client.post("/api/documents", headers={"Authorization": "Bearer test-key"},
                                 json={"documents": [{"id": "dots", "text": text, "language": "nl"}]})
    assert response.status_code == 200, response.get_json()
    hits = write_client.get("/api/search", query_string={"q": "fietsbrug"}).get_json()["hits"]
    assert [hit["id"] for hit in hits] == ["dots"]
