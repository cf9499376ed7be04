"""The document page /doc/<id> (issue 16, item 1) and the result rendering of item 5:
title links, snippets that skip a repeated title, clean cross-link chips, a page past
the end. Flask client over a real index on disk (the seeds plus the documents below).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import SEEDS, build_index
from index.search.document import highlight_document
from index.search.highlight import MAX_ANALYZED_CHARS, clean_surface, snippet, title_end
from service import create_app
from test_page import get, hit_ids

DECLARED = "desk:keyword"
FILLER = "The harvest report continues with figures about grain and weather. "
LONG_TEXT = ("Vladimir Putin opened the long report.\n\n"
             + "".join(f"Part {n}. " + FILLER * 50 + "\n\n" for n in range(580))  # ~2 MB
             + "At the very end Putin is named again.")
DOCS = [
    {"id": "d-title", "language": "en", "date": "2022-04-01", "source": "Reuters",
     "url": "https://example.com/ceasefire", "tags": ["diplomacy", "war"], "desk": "World",
     "title": "Ceasefire talks resume in Geneva",
     "text": "Ceasefire talks resume in Geneva\n\nDiplomats from both sides met again on "
             "Tuesday to discuss a ceasefire and the exchange of prisoners."},
    {"id": "d-poss", "language": "en", "date": "2022-04-02", "title": "Kremlin statement",
     "text": "Putin\u2019s spokesman said the Kremlin would respond to the new sanctions."},
    {"id": "d-nl", "language": "nl", "date": "2022-04-03", "title": "Poetin spreekt",
     "text": "Poetin sprak dinsdag over de oorlog in Oekraïne en de sancties."},
    {"id": "d-long", "language": "en", "date": "2022-04-04", "title": "A very long report",
     "text": LONG_TEXT},
]


@pytest.fixture(scope="module")
def doc_index(tmp_path_factory) -> Path:
    return build_index(tmp_path_factory.mktemp("docpage") / "index", SEEDS, documents=DOCS,
                       env={"TOLK_FIELDS": DECLARED})


@pytest.fixture(scope="module")
def doc_app(doc_index):
    app = create_app({"INDEX_DIR": str(doc_index), "FIELDS": DECLARED})
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def web(doc_app):
    return doc_app.test_client()


def marks(html_fragment: str) -> list[str]:
    return re.findall(r"<mark>(.*?)</mark>", html_fragment)


# --- the document page ------------------------------------------------------------------

def test_document_page_shows_title_metadata_text_and_original(web):
    response, doc = get(web, "/doc/d-title")
    assert response.status_code == 200
    assert doc.find("h1", id="doc-title")[0][2] == "Ceasefire talks resume in Geneva"
    assert doc.find("h1", id="doc-title")[0][1]["lang"] == "en"
    meta = doc.text_of_class("doc-meta")[0]
    for expected in ("English", "April 1, 2022", "Reuters", "World", "diplomacy, war"):
        assert expected in meta
    text = doc.find("section", class_="doc-text")[0]
    assert text[1]["lang"] == "en"
    assert "exchange of prisoners" in text[2]
    assert text[2].startswith("Diplomats")  # the text's copy of the title is not repeated
    assert {"Desk", "Tags"} <= {d[2] for d in doc.find("dt")}  # declared fields, labelled
    assert doc.find("a", href="https://example.com/ceasefire", rel="noopener noreferrer")
    details = doc.find("details", class_="doc-original-details")
    assert details and "Diplomats from both sides" in details[0][2]
    assert not doc.find("mark")  # no query, nothing marked
    assert doc.find("a", href="/")  # no search to go back to: a new search


def test_document_page_marks_the_searchs_matches_and_links_back(web):
    response, doc = get(web, "/doc/d-nl?q=Putin&lang=nl&page=1")
    assert response.status_code == 200
    # the English query found the Dutch article through the cross-link: both marked
    assert [m[2] for m in doc.find("mark")] == ["Poetin", "Poetin"]
    chips = doc.text_of_class("crosslink")
    assert chips and chips[0].startswith("Putin") and chips[0].endswith("Poetin")
    assert doc.find("a", class_="doc-back")[0][1]["href"] == "/?q=Putin&lang=nl&page=1"
    assert "2 matches for “Putin” are marked." in doc.text_of_class("doc-query")[0]
    # without cross-links, the search would not mark the Dutch spelling either
    _, plain = get(web, "/doc/d-nl?q=Putin&crosslingual=false")
    assert not plain.find("mark")
    assert "No words of “Putin”" in plain.text_of_class("doc-query")[0]


def test_document_page_marks_what_a_typo_search_found(web):
    _, doc = get(web, "/doc/d-nl?q=Poetim")
    assert [m[2] for m in doc.find("mark")] == ["Poetin", "Poetin"]


def test_interface_switch_stays_on_the_document(web):
    response, doc = get(web, "/doc/d-nl?q=Putin&ui=nl")
    assert doc.find("a", hreflang="en")[0][1]["href"] == "/doc/d-nl?q=Putin&ui=en"
    assert doc.find("a", class_="doc-back")[0][2].endswith("Terug naar de resultaten")
    assert "tolk_ui=nl" in response.headers.get("Set-Cookie", "")


def test_unknown_or_invalid_id_is_a_404_page(web):
    for path in ("/doc/no-such-doc?q=Putin", "/doc/..%2Fetc", "/doc/" + "x" * 300):
        response, doc = get(web, path, lang="nl")
        assert response.status_code == 404
        assert doc.find("h1")[0][2] == "Artikel niet gevonden"
        assert "Traceback" not in response.get_data(as_text=True)
    _, doc = get(web, "/doc/no-such-doc?q=Putin")
    assert doc.find("a", href="/?q=Putin")


def test_bad_or_too_long_query_still_shows_the_document(web):
    for q in ("(Putin", "Putin " * 200):
        response, doc = get(web, "/doc/d-poss", query_string={"q": q})
        assert response.status_code == 200
        assert "spokesman said" in doc.find("section", class_="doc-text")[0][2]


def test_query_markup_is_text_on_the_document_page(web):
    _, doc = get(web, "/doc/d-poss?q=%3Cscript%3E")
    assert "“<script>”" in doc.text_of_class("doc-query")[0]  # shown as text
    assert "<script>" not in web.get("/doc/d-poss?q=%3Cscript%3E").get_data(as_text=True)


def test_long_document_is_shown_whole_but_marked_in_a_bounded_window(web, doc_app):
    response = web.get("/doc/d-long?q=Putin", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "At the very end Putin is named again." in html  # shown, not marked
    assert marks(html) == ["Putin"]
    shown = re.search(r"first ([\d,]+) characters only", html)
    assert shown and MAX_ANALYZED_CHARS <= int(shown.group(1).replace(",", "")) < len(LONG_TEXT)
    # the original (2 MB) is a separate view, not a second copy in the page
    assert 'class="doc-original-link"' in html and "<details" not in html
    assert len(html) < len(LONG_TEXT) * 1.2
    original = web.get("/doc/d-long?view=original&q=Putin").get_data(as_text=True)
    assert "At the very end Putin" in original and "<mark>" not in original
    # the engine reads at most its window, whatever the document size
    with doc_app.app_context():
        view = highlight_document(doc_app.extensions["tolk_reader"], "d-long", "Putin")
    assert view.partly_marked and MAX_ANALYZED_CHARS <= view.marked_chars \
        < MAX_ANALYZED_CHARS + 1_000


# --- results: links, snippets, chips, pages -----------------------------------------------

def test_result_titles_link_to_the_document_page_and_url_is_a_source_link(web):
    _, doc = get(web, "/?q=ceasefire+Geneva&lang=en")
    assert "d-title" in hit_ids(doc)
    links = [a[1]["href"] for a in doc.find("a", class_="hit-link")]
    assert "/doc/d-title?q=ceasefire+Geneva&lang=en" in links
    sources = doc.find("a", class_="hit-source")
    assert sources and sources[0][1]["href"] == "https://example.com/ceasefire"
    assert sources[0][2].startswith("Reuters")
    # and the link leads to the document with the query marked
    _, page = get(web, links[links.index("/doc/d-title?q=ceasefire+Geneva&lang=en")])
    assert {m[2] for m in page.find("mark")} >= {"Ceasefire", "Geneva"}


def test_snippet_does_not_repeat_the_title(web):
    result = web.get("/api/search?q=ceasefire&lang=en").get_json()
    hit = next(h for h in result["hits"] if h["id"] == "d-title")
    assert hit["snippet"].startswith("Diplomats from both sides")
    assert "<mark>ceasefire</mark>" in hit["snippet"]


def test_crosslink_chip_shows_the_word_without_possessive(web):
    result = web.get("/api/search?q=Poetin&lang=en").get_json()
    hit = next(h for h in result["hits"] if h["id"] == "d-poss")
    assert [c["matched"] for c in hit["crosslinks"]] == ["Putin"]
    _, doc = get(web, "/?q=Poetin&lang=en")
    assert any(chip.endswith("Putin") for chip in doc.text_of_class("crosslink"))
    assert not any("\u2019" in chip for chip in doc.text_of_class("crosslink"))


def test_page_far_past_the_end_links_to_the_last_page(web):
    total = web.get("/api/search?q=Putin").get_json()["total"]
    last = -(-total // 10)
    for page in (last + 1, 5000, 10**12):
        response, doc = get(web, f"/?q=Putin&page={page}")
        assert response.status_code == 200
        assert not hit_ids(doc)
        message = doc.text_of_class("past-end")[0]
        assert (f"only {last} pages" if last > 1 else "only 1 page") in message
        link = doc.find("a", class_="last-page-link")[0][1]["href"]
        assert link == (f"/?q=Putin&page={last}" if last > 1 else "/?q=Putin")
        _, last_page = get(web, link)
        assert hit_ids(last_page)


# --- engine helpers -----------------------------------------------------------------------

@pytest.mark.parametrize("text,title,rest", [
    ("Putin and gas. Putin and gas exports rose.", "Putin and gas", "Putin and gas exports rose."),
    ("PUTIN  AND\ngas: more", "Putin and gas", "more"),
    ("Putinism rises", "Putin", None),
    ("Putin", "Putin", None),  # nothing would be left: keep the text
    ("Other start", "Putin", None),
])
def test_title_end(text, title, rest):
    end = title_end(text, title)
    assert (text[end:] if end else None) == rest


def test_snippet_with_skip_has_no_leading_ellipsis():
    text = "A headline here. The story starts with words."
    assert snippet(text, [], skip=17).startswith("The story")


@pytest.mark.parametrize("surface,term,language,expected", [
    ("Putin\u2019s", "putin", "en", "Putin"),
    ("Putin's", "putin", "en", "Putin"),
    ("Poetin-regime", "poetin", "nl", "Poetin"),
    ("Putin", "putin", "en", "Putin"),
])
def test_clean_surface(surface, term, language, expected):
    assert clean_surface(language, surface, term) == expected


def test_document_page_is_off_with_the_search_page(doc_index):
    """Reads protected by keys (TOLK_PAGE=auto) or TOLK_PAGE=off: no document without a key."""
    for config in ({"READ_KEYS": "reader-key-123456"}, {"PAGE": "off"}):
        app = create_app({"INDEX_DIR": str(doc_index), "FIELDS": DECLARED, **config})
        response = app.test_client().get("/doc/d-title")
        assert response.status_code == 404
        assert "Ceasefire" not in response.get_data(as_text=True)
        assert "TOLK_PAGE" in response.get_data(as_text=True)
