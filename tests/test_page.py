"""The search page at ``/`` through Flask's test client (a real index on disk).

The page index is the seeds plus 15 generated articles about Putin/Poetin and
one document with ``<script>`` in its title (see ``pagecorpus.py``).
"""

from __future__ import annotations

import re
import string
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pagecorpus import XSS_TITLE, build_page_index
from service import create_app
from service.i18n import STRINGS
from service.page import _page_numbers

STATIC = Path(__file__).resolve().parent.parent / "service" / "static"


@pytest.fixture(scope="module")
def page_index(tmp_path_factory):
    return build_page_index(tmp_path_factory.mktemp("page-index"))


@pytest.fixture
def page_app(page_index):
    app = create_app({"INDEX_DIR": str(page_index)})
    app.config.update(TESTING=True)
    return app


@pytest.fixture
def web(page_app):
    return page_app.test_client()


class Doc(HTMLParser):
    """Just enough of a DOM for the assertions: elements with attributes and text."""

    VOID = {"meta", "link", "input", "br", "img", "hr", "source"}

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements = []  # (tag, attrs, text list)
        self._open = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        element = (tag, dict(attrs), [])
        self.elements.append(element)
        if tag not in self.VOID:
            self._open.append(element)

    def handle_endtag(self, tag):
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i][0] == tag:
                del self._open[i:]
                break

    def handle_data(self, data):
        for element in self._open:
            element[2].append(data)

    def find(self, tag=None, **attrs):
        found = []
        for name, element_attrs, text in self.elements:
            if tag and name != tag:
                continue
            wanted = {k.rstrip("_").replace("_", "-"): v for k, v in attrs.items()}
            if all((element_attrs.get(k) == v) if v is not True else k in element_attrs
                   for k, v in wanted.items()):
                found.append((name, element_attrs, " ".join("".join(text).split())))
        return found

    def classes(self, cls):
        return [e for e in self.elements if cls in (e[1].get("class") or "").split()]

    def text_of_class(self, cls):
        return [" ".join("".join(e[2]).split()) for e in self.classes(cls)]


def get(web, url, lang="en", **kw):
    response = web.get(url, headers={"Accept-Language": lang}, **kw)
    assert response.mimetype == "text/html"
    return response, Doc(response.get_data(as_text=True))


def hit_languages(doc):
    return [attrs["data-language"] for _, attrs, _ in doc.find("li", data_language=True)]


def hit_ids(doc):
    return [attrs["data-id"] for _, attrs, _ in doc.find("li", data_id=True)]


# --- start page, structure, accessibility basics ---------------------------------------

def test_start_page_has_form_landmarks_and_labels(web):
    response, doc = get(web, "/")
    assert response.status_code == 200
    assert doc.find("html", lang="en")
    assert doc.find("meta", name="viewport")
    for landmark in ("header", "main", "nav", "footer"):
        assert doc.find(landmark), landmark
    assert doc.find("form", role="search", method="get")
    # every visible control has a label
    assert doc.find("label", for_="q") and doc.find("input", id="q", name="q", type="search")
    legends = [text for _, _, text in doc.find("legend")]
    assert legends == ["Language of the articles", "Translation", "Date", "Order"]
    radios = doc.find("input", type="radio", name="lang")
    assert [a["value"] for _, a, _ in radios] == ["any", "nl", "en"]
    assert "checked" in radios[0][1]
    switch = doc.find("input", type="checkbox", role="switch", name="crosslingual")
    assert switch and "checked" in switch[0][1]
    assert doc.find("input", type="hidden", name="crosslingual", value="false")
    # radios and the switch sit inside their <label>
    html = response.get_data(as_text=True)
    assert re.search(r'<label class="radio">\s*<input type="radio" name="lang" value="nl"', html)
    assert doc.find("link", rel="stylesheet", href="/static/tolk.css")
    assert doc.find("script", src="/static/tolk.js", defer=True)
    assert not doc.classes("hits") and not doc.classes("notice-error")
    assert doc.classes("intro")


def test_static_files_are_served(web):
    for name, mimetype in (("tolk.css", "text/css"), ("tolk.js", "text/javascript")):
        response = web.get(f"/static/{name}")
        assert response.status_code == 200 and response.mimetype == mimetype
        response.close()


def test_security_headers_and_vary(web):
    response, _ = get(web, "/?q=Putin")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


@pytest.mark.parametrize("path", ["/no-such-page", "/static/missing.css"])
def test_html_error_pages_carry_the_same_security_headers(web, path):
    response = web.get(path)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_api_responses_are_nosniff_json_without_a_page_policy(web):
    response = web.get("/api/search")
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers


# --- interface language -----------------------------------------------------------------

def test_interface_follows_accept_language(web):
    _, doc = get(web, "/", lang="nl-NL,nl;q=0.9,en;q=0.5")
    assert doc.find("html", lang="nl")
    assert doc.find("button", type="submit")[0][2] == "Zoeken"
    assert doc.find("label", for_="q")[0][2] == "Zoek in het nieuws"
    _, doc = get(web, "/", lang="de-DE,en;q=0.5")
    assert doc.find("html", lang="en")
    _, doc = get(web, "/", lang="fr")
    assert doc.find("html", lang="en")  # neither: English


def test_ui_switch_sets_cookie_and_wins_over_accept_language(web):
    _, doc = get(web, "/?q=Putin", lang="en")
    links = {a["hreflang"]: a for _, a, _ in doc.find("a", hreflang=True)}
    assert links["en"].get("aria-current") == "true"
    assert "q=Putin" in links["nl"]["href"] and "ui=nl" in links["nl"]["href"]

    response, doc = get(web, links["nl"]["href"], lang="en")
    assert doc.find("html", lang="nl")
    assert "tolk_ui=nl" in response.headers["Set-Cookie"]
    assert "SameSite=Lax" in response.headers["Set-Cookie"]
    # remembered: no ui= in the URL, an English browser, still Dutch
    _, doc = get(web, "/", lang="en")
    assert doc.find("html", lang="nl")
    # the page's own links do not carry ui=
    assert all("ui=" not in a.get("href", "") for _, a, _ in doc.find("a", class_="example"))
    # an unknown value is ignored
    response, doc = get(web, "/?ui=xx", lang="en")
    assert doc.find("html", lang="nl") and "Set-Cookie" not in response.headers


def test_dutch_interface_formats_dates_and_counts(web):
    _, doc = get(web, "/?q=Putin&ui=nl", lang="nl")
    summary = doc.find("h2", id="results-summary")[0][2]
    assert summary == "20 resultaten voor ‘Putin’"
    dates = {a["datetime"]: text for _, a, text in doc.find("time")}
    assert dates["2022-03-07"] == "7 maart 2022"
    _, doc = get(web, "/?q=Putin&page=2", lang="nl")
    dates = {a["datetime"]: text for _, a, text in doc.find("time")}
    assert dates["2022-02"] == "februari 2022"


def test_strings_exist_in_both_languages_with_the_same_placeholders():
    assert set(STRINGS["nl"]) == set(STRINGS["en"])
    fields = lambda s: sorted(f for _, f, _, _ in string.Formatter().parse(s) if f)  # noqa: E731
    for key in STRINGS["en"]:
        assert fields(STRINGS["nl"][key]) == fields(STRINGS["en"][key]), key


# --- results ----------------------------------------------------------------------------

def test_results_show_both_languages_badges_snippets_and_crosslinks(web, page_app):
    response, doc = get(web, "/?q=Putin")
    assert response.status_code == 200
    assert doc.find("title")[0][2] == "Putin · Tolk"
    assert doc.find("h2", id="results-summary")[0][2] == "20 results for “Putin”"
    assert "showing 1–10" in doc.text_of_class("summary-detail")[0]
    languages = hit_languages(doc)
    assert len(languages) == 10 and set(languages) == {"nl", "en"}
    badges = doc.text_of_class("badge")
    assert {b[-2:] for b in badges} == {"NL", "EN"}  # visible code after hidden "Language: …"
    html = response.get_data(as_text=True)
    assert "<mark>Putin</mark>" in html and "<mark>Poetin</mark>" in html
    crosslinks = doc.text_of_class("crosslink")
    assert any(re.fullmatch(r"Putin ←\s*found as Poetin", c) for c in crosslinks), crosslinks
    # the language counts from the facet are shown next to the filters
    radios = [text for _, _, text in doc.find("label", class_="radio")]
    assert radios == ["Both (20)", "Dutch (11)", "English (9)"]


def test_page_shows_the_same_hits_as_the_api(web):
    _, doc = get(web, "/?q=Putin")
    api = web.get("/api/search?q=Putin&limit=10").get_json()
    assert hit_ids(doc) == [hit["id"] for hit in api["hits"]]
    _, doc = get(web, "/?q=Putin&page=2&lang=nl&crosslingual=false")
    api = web.get("/api/search?q=Putin&limit=10&offset=10&lang=nl&crosslingual=false").get_json()
    assert hit_ids(doc) == [hit["id"] for hit in api["hits"]]


def test_language_filter_restricts_hits(web):
    for lang in ("nl", "en"):
        _, doc = get(web, f"/?q=Putin&lang={lang}")
        assert set(hit_languages(doc)) == {lang}
        checked = [a["value"] for _, a, _ in doc.find("input", type="radio") if "checked" in a]
        assert checked == [lang]


def test_crosslingual_switch(web):
    _, on = get(web, "/?q=Putin")
    _, off = get(web, "/?q=Putin&crosslingual=false")
    assert set(hit_languages(off)) == {"en"}  # Dutch articles write Poetin
    assert off.find("h2", id="results-summary")[0][2] == "9 results for “Putin”"
    assert "without translations" in off.text_of_class("summary-detail")[0]
    switch = off.find("input", role="switch")[0][1]
    assert "checked" not in switch
    assert not off.classes("crosslink")
    # the form sends a hidden false followed by the checked box's true: the last one wins
    _, both = get(web, "/?q=Putin&crosslingual=false&crosslingual=true")
    assert hit_ids(both) == hit_ids(on)
    assert "checked" in both.find("input", role="switch")[0][1]


def test_pagination_links_and_pages(web):
    _, doc = get(web, "/?q=Putin")
    nav = doc.find("nav", class_="pagination")
    assert nav and nav[0][1]["aria-label"] == "Result pages"
    current = doc.find("a", aria_current="page")
    assert current[0][2] == "1"
    nexts = doc.find("a", rel="next")
    assert nexts[0][1]["href"] == "/?q=Putin&page=2"
    assert not doc.find("a", rel="prev")
    page_links = [a["href"] for _, a, text in doc.find("a") if text in ("1", "2")]
    assert page_links == ["/?q=Putin", "/?q=Putin&page=2"]

    _, page2 = get(web, "/?q=Putin&page=2")
    assert page2.find("ol", class_="hits")[0][1]["start"] == "11"
    assert len(hit_ids(page2)) == 10 and not set(hit_ids(page2)) & set(hit_ids(doc))
    assert page2.find("a", rel="prev")[0][1]["href"] == "/?q=Putin"
    assert not page2.find("a", rel="next")
    assert "showing 11–20" in page2.text_of_class("summary-detail")[0]


def test_pagination_keeps_filters(web):
    _, doc = get(web, "/?q=Putin&lang=nl&crosslingual=false")
    assert not doc.find("nav", class_="pagination")  # 0 hits
    _, doc = get(web, "/?q=Poetin&lang=nl")
    assert len(hit_ids(doc)) == 10
    assert doc.find("a", rel="next")[0][1]["href"] == "/?q=Poetin&lang=nl&page=2"


def test_page_past_the_end(web):
    response, doc = get(web, "/?q=Putin&page=7")
    assert response.status_code == 200
    assert not hit_ids(doc)
    assert "past the last result" in doc.text_of_class("empty")[0]
    assert "only 2 pages" in doc.text_of_class("empty")[0]
    assert doc.find("a", href="/?q=Putin&page=2")  # the last page


@pytest.mark.parametrize("current,last,expected", [
    (1, 1, [1]),
    (1, 2, [1, 2]),
    (1, 9, [1, 2, 3, None, 9]),
    (5, 9, [1, 2, 3, 4, 5, 6, 7, 8, 9]),
    (6, 20, [1, None, 4, 5, 6, 7, 8, None, 20]),
    (4, 20, [1, 2, 3, 4, 5, 6, None, 20]),
    (20, 20, [1, None, 18, 19, 20]),
])
def test_page_numbers(current, last, expected):
    assert _page_numbers(current, last) == expected


def test_did_you_mean_links_to_the_suggested_query(web):
    _, doc = get(web, "/?q=Putn&lang=en")
    assert doc.find("h2", id="results-summary")[0][2] == "No results for “Putn”"
    link = doc.find("a", class_="suggestion")
    assert link and link[0][2] == "putin"
    assert link[0][1]["href"] == "/?q=putin&lang=en"
    _, followed = get(web, link[0][1]["href"])
    assert set(hit_languages(followed)) == {"en"}


def test_correction_is_shown_with_a_link_to_the_query_as_typed(web):
    _, doc = get(web, "/?q=Poetim")
    _, typed = get(web, "/?q=Poetin")
    assert doc.find("strong", class_="corrected-query")[0][2] == "Poetin"
    assert doc.find("h2", id="results-summary")[0][2] == \
        typed.find("h2", id="results-summary")[0][2]
    assert hit_languages(doc) == hit_languages(typed)
    assert "en" in hit_languages(doc)  # the cross-links of the correction apply
    link = doc.find("a", class_="search-instead")[0]
    assert link[2] == "Poetim" and link[1]["href"] == "/?q=Poetim&typo=false"
    _, as_typed = get(web, link[1]["href"])
    assert not as_typed.find("strong", class_="corrected-query")
    assert as_typed.find("h2", id="results-summary")[0][2] == "No results for “Poetim”"
    # typo=false is kept for this query (hidden field) but only for it
    hidden = as_typed.find("input", type="hidden", name="typo")
    assert hidden and hidden[0][1]["value"] == "false" and hidden[0][1]["data-for-q"] == "Poetim"
    _, nl = get(web, "/?q=Poetim&ui=nl")
    assert "Resultaten voor" in nl.find("p", class_="corrected")[0][2]


def test_date_range_and_sort_controls_filter_and_order(web):
    _, doc = get(web, "/?q=Poetin&sort=date&date_from=2022-03-01")
    assert doc.find("input", type="date", name="date_from")[0][1]["value"] == "2022-03-01"
    assert doc.find("input", type="date", name="date_to")[0][1]["value"] == ""
    options = doc.find("option")
    assert [a["value"] for _, a, _ in options] == ["relevance", "date", "date:asc"]
    assert [a["value"] for _, a, _ in options if "selected" in a] == ["date"]
    dates = [a["datetime"] for _, a, _ in doc.find("time")]
    assert dates and dates == sorted(dates, reverse=True) and min(dates) >= "2022-03-01"
    _, oldest = get(web, "/?q=Poetin&sort=date:asc")
    dates = [a["datetime"] for _, a, _ in oldest.find("time")]
    assert len(dates) > 1 and dates == sorted(dates)
    # no date or sort is sent twice as hidden fields; the panel says how many filters are on
    assert not doc.find("input", type="hidden", name="sort")
    assert not doc.find("input", type="hidden", name="date_from")
    assert doc.find("details", class_="filters")[0][1]["data-active"] == "2"
    # the form's defaults (relevance, empty dates) give the plain URL's results
    _, plain = get(web, "/?q=Poetin&sort=relevance&date_from=&date_to=")
    assert not plain.find("details", class_="filters")[0][1].get("data-active")
    response, bad = get(web, "/?q=Poetin&date_from=2022-13-45")
    assert response.status_code == 400 and "start date" in bad.text_of_class("notice-error")[0]
    assert bad.find("input", type="date", name="date_from")[0][1]["value"] == "2022-13-45"


def test_empty_state_offers_tips_that_help(web):
    _, doc = get(web, "/?q=zzqxv+Poetin&lang=en&crosslingual=false")
    tips = doc.find("ul", class_="tips")[0][2]
    assert "Check the spelling" in tips and "other language" in tips
    links = {text: a["href"] for _, a, text in doc.find("a")}
    assert links["Turn on translated words"] == "/?q=zzqxv+Poetin&lang=en"
    assert links["Search articles in both languages"] == "/?q=zzqxv+Poetin&crosslingual=false"
    # a filter that hides hits in the other language says how many there are
    _, doc = get(web, "/?q=Poetin&lang=en&crosslingual=false")
    assert "Search articles in both languages (11 results for “Poetin”)" in \
        doc.find("ul", class_="tips")[0][2]
    # turned-on options are not suggested again
    _, doc = get(web, "/?q=zzqxv")
    texts = [text for _, _, text in doc.find("a")]
    assert "Turn on translated words" not in texts
    assert "Search articles in both languages" not in texts


def test_empty_query_is_a_gentle_notice(web):
    response, doc = get(web, "/?q=++&lang=nl")
    assert response.status_code == 200
    assert doc.text_of_class("notice") == ["Type one or more words to search."]


# --- escaping ----------------------------------------------------------------------------

def test_document_markup_is_shown_as_text(web):
    response, doc = get(web, "/?q=xylophone")
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Xylophone" in html
    titles = [" ".join(t.split()) for t in doc.text_of_class("hit-title")]
    assert titles == [XSS_TITLE]
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<mark>xylophone</mark>" in html  # only the snippet's own <mark> is markup


@pytest.mark.parametrize("query", [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "Putin <b>bold</b>",
])
def test_query_markup_is_shown_as_text(web, query):
    response, doc = get(web, "/", query_string={"q": query})
    html = response.get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html and "<b>bold" not in html
    assert doc.find("input", id="q")[0][1]["value"] == query
    assert query in doc.find("title")[0][2]


# --- errors are inline, in HTML, with status 400 ------------------------------------------

@pytest.mark.parametrize("url,expected", [
    ("/?q=(Putin", "The query could not be read: unclosed '('"),
    ("/?q=Putin+AND", "The query could not be read:"),
    ("/?q=Putin&lang=de", "Some search settings are not valid: the language filter."),
    ("/?q=Putin&crosslingual=perhaps",
     "Some search settings are not valid: the translation switch."),
    ("/?q=Putin&page=0", "Some search settings are not valid: the page number."),
    ("/?q=Putin&page=two", "Some search settings are not valid: the page number."),
    ("/?q=" + "a" * 501, "The query is too long: use at most 500 characters."),
])
def test_bad_input_is_reported_inline(web, url, expected):
    response, doc = get(web, url)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    alert = doc.find("section", role="alert")
    assert alert, response.get_data(as_text=True)
    assert expected in alert[0][2]
    assert "Traceback" not in response.get_data(as_text=True)
    # the form is still there, with the query kept
    assert doc.find("input", id="q")[0][1]["value"] == url.split("q=")[1].split("&")[0] \
        .replace("+", " ").replace("%20", " ")


def test_syntax_error_points_at_the_position(web):
    response, doc = get(web, "/?q=Putin+(troops", lang="nl")
    assert response.status_code == 400
    assert doc.find("html", lang="nl")
    code = doc.find("code", class_="query-error")[0][2]
    assert code == "Putin (troops"
    assert doc.find("mark")[0][2] == "("
    assert doc.find("input", id="q", aria_invalid="true")


def test_unknown_paths_get_the_html_error_page(web):
    response, doc = get(web, "/nope", lang="nl")
    assert response.status_code == 404
    assert doc.find("html", lang="nl")
    assert doc.find("h1")[0][2] == "Fout 404"
    assert doc.find("a", href="/")


def test_a_missing_index_is_a_503_page_not_a_traceback(tmp_path):
    app = create_app({"INDEX_DIR": str(tmp_path / "none")})
    response = app.test_client().get("/?q=Putin")
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert "Traceback" not in response.get_data(as_text=True)


# --- suggestions endpoint wiring and CSS contrast ------------------------------------------

def test_suggest_url_is_offered_only_if_the_api_has_it(web, page_app):
    _, doc = get(web, "/")
    form = doc.find("form", role="search")[0][1]
    if any(rule.rule == "/api/suggest" for rule in page_app.url_map.iter_rules()):
        assert form["data-suggest-url"] == "/api/suggest"
        # the script sends q, limit and lang: the API must accept exactly those
        response = web.get("/api/suggest?q=poe&limit=8&lang=nl")
        assert response.status_code == 200
        texts = [s["text"] for s in response.get_json()["suggestions"]]
        assert "poetin" in texts
    else:
        assert "data-suggest-url" not in form


def _luminance(hex_colour: str) -> float:
    hex_colour = hex_colour.lstrip("#")
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_colour_pairs_meet_wcag_aa():
    css = (STATIC / "tolk.css").read_text(encoding="utf-8")
    var = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    white = "#ffffff"
    pairs = [  # (foreground, background, minimum)
        (var["text"], var["bg"], 4.5), (var["text"], var["surface"], 4.5),
        (var["muted"], var["bg"], 4.5), (var["muted"], var["surface"], 4.5),
        (var["accent"], var["bg"], 4.5), (var["accent"], var["surface"], 4.5),
        (white, var["accent"], 4.5), (white, var["accent-dark"], 4.5),
        (var["nl-text"], var["nl-bg"], 4.5), (var["en-text"], var["en-bg"], 4.5),
        (var["text"], var["mark"], 4.5), (var["error-text"], var["error-bg"], 4.5),
        (var["text"], var["en-bg"], 4.5),
        (var["border-strong"], var["bg"], 3.0),  # control outlines (WCAG 1.4.11)
        (var["focus"], var["bg"], 3.0), (var["focus"], var["surface"], 3.0),
        ("#6e7781", var["surface"], 3.0),  # the switch track when off
    ]
    for fg, bg, minimum in pairs:
        assert contrast(fg, bg) >= minimum, (fg, bg, round(contrast(fg, bg), 2))
