"""The document page and the result links in a real headless Chromium (issue 16, items
1 and 5), at desktop and phone width, with and without JavaScript.

A real gunicorn serves the seeds plus the documents of ``test_docpage.py`` (one with a
``url`` and a source, one whose text repeats its title, one with ``Putin’s``, one of
2 MB). Screenshots: ``test-output/doc-page.png``, ``doc-page-phone.png`` and others.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from conftest import SEEDS, build_index
from test_browser import (OUTPUT, PHONE, _no_horizontal_scroll, _open, browser,  # noqa: F401
                          require_chromium)  # (browser, require_chromium: fixtures)
from test_docpage import DECLARED, DOCS

pytestmark = pytest.mark.xdist_group("browser")


@pytest.fixture(scope="module")
def doc_server(tmp_path_factory, require_chromium, module_gunicorn):  # noqa: F811
    workdir = tmp_path_factory.mktemp("browser-doc")
    index_dir = build_index(workdir / "index", SEEDS, documents=DOCS,
                            env={"TOLK_FIELDS": DECLARED})
    return module_gunicorn(index_dir, serve=True, workers=1, log=workdir / "gunicorn.log",
                           env={"TOLK_FIELDS": DECLARED}).base_url


def _checked(watch):
    assert not watch.errors, watch.errors
    assert not watch.dialogs, watch.dialogs


@pytest.mark.parametrize("javascript", [True, False])
def test_open_a_result_read_it_and_go_back(doc_server, browser, javascript):  # noqa: F811
    context, page, watch = _open(browser, java_script_enabled=javascript)
    try:
        page.goto(doc_server + "/?q=Poetin&lang=nl")
        first = page.locator("li.hit").first
        doc_id = first.get_attribute("data-id")
        title = first.locator(".hit-title").inner_text()
        first.locator("a.hit-link").click()
        page.wait_for_url(re.compile(rf"/doc/{re.escape(doc_id)}\?q=Poetin&lang=nl$"))
        expect(page.locator("h1#doc-title")).to_have_text(title)
        expect(page.locator("section.doc-text")).to_have_attribute("lang", "nl")
        expect(page.locator("section.doc-text mark").first).to_have_text(
            re.compile("^Poetin", re.I))
        # the original text opens without a script (a <details> element)
        summary = page.locator("details.doc-original-details summary")
        summary.click()
        expect(page.locator("details.doc-original-details pre")).to_be_visible()
        page.get_by_role("link", name="Back to the results").click()
        page.wait_for_url(re.compile(r"/\?q=Poetin&lang=nl$"))
        expect(page.locator("li.hit").first).to_have_attribute("data-id", doc_id)
    finally:
        context.close()
    _checked(watch)


def test_cross_linked_matches_are_marked_and_chips_are_clean(doc_server, browser):  # noqa: F811
    context, page, watch = _open(browser)
    try:
        page.goto(doc_server + "/?q=Poetin&lang=en")
        hit = page.locator("li.hit[data-id=d-poss]")
        expect(hit.locator(".crosslink")).to_contain_text(re.compile(r"^Poetin\s*←.*Putin\s*$", re.S))
        assert "\u2019" not in hit.locator(".crosslink").inner_text()
        hit.locator("a.hit-link").click()
        expect(page.locator("section.doc-text mark")).to_have_text(["Putin\u2019s"])
        expect(page.locator(".doc-query + .crosslinks .crosslink")).to_contain_text("Putin")
    finally:
        context.close()
    _checked(watch)


def test_source_link_snippet_and_page_past_the_end(doc_server, browser):  # noqa: F811
    context, page, watch = _open(browser)
    try:
        page.goto(doc_server + "/?q=ceasefire&lang=en")
        hit = page.locator("li.hit[data-id=d-title]")
        expect(hit.locator("a.hit-source")).to_have_attribute("href",
                                                             "https://example.com/ceasefire")
        expect(hit.locator(".snippet")).to_contain_text(re.compile(r"^Diplomats from both"))
        page.goto(doc_server + "/?q=Putin&page=5000")
        link = page.locator("a.last-page-link")
        expect(link).to_be_visible()
        link.click()
        expect(page.locator("li.hit").first).to_be_visible()
        expect(page.locator("a.last-page-link")).to_have_count(0)
    finally:
        context.close()
    _checked(watch)


def test_unknown_document_is_a_404_page(doc_server, browser):  # noqa: F811
    context, page, watch = _open(browser, locale="nl-NL")
    watch.allowed_statuses.add(404)
    try:
        response = page.goto(doc_server + "/doc/no-such-article?q=Putin")
        assert response.status == 404
        expect(page.get_by_role("heading", level=1)).to_have_text("Artikel niet gevonden")
        page.get_by_role("link", name="Terug naar de resultaten").first.click()
        page.wait_for_url(re.compile(r"/\?q=Putin$"))
    finally:
        context.close()
    _checked(watch)


def test_long_document_renders_and_says_where_marking_stopped(doc_server, browser):  # noqa: F811
    context, page, watch = _open(browser)
    try:
        page.goto(doc_server + "/doc/d-long?q=Putin")
        expect(page.locator("section.doc-text mark")).to_have_count(1)
        expect(page.locator(".doc-partly")).to_contain_text("characters only")
        expect(page.locator("section.doc-text")).to_contain_text("At the very end Putin")
        expect(page.locator("a.doc-original-link")).to_be_visible()
    finally:
        context.close()
    _checked(watch)


def test_screenshots_document_page_desktop_and_phone(doc_server, browser):  # noqa: F811
    OUTPUT.mkdir(exist_ok=True)
    url = doc_server + "/doc/d-title?q=ceasefire+Geneva&lang=en"
    context, page, watch = _open(browser)
    try:
        page.goto(url)
        page.screenshot(path=OUTPUT / "doc-page.png", full_page=True)
        page.goto(doc_server + "/?q=ceasefire+Geneva&lang=en")
        page.screenshot(path=OUTPUT / "doc-results-links.png", full_page=True)
        page.goto(doc_server + "/?q=Putin&page=5000")
        page.screenshot(path=OUTPUT / "search-past-end.png")
    finally:
        context.close()
    _checked(watch)

    context, page, watch = _open(browser, locale="nl-NL", viewport=PHONE, is_mobile=True,
                                 has_touch=True, device_scale_factor=2)
    watch.allowed_statuses.add(404)
    try:
        page.goto(url)
        assert _no_horizontal_scroll(page)
        page.screenshot(path=OUTPUT / "doc-page-phone.png", full_page=True)
        page.goto(doc_server + "/doc/d-nl?q=Putin")
        assert _no_horizontal_scroll(page)
        page.screenshot(path=OUTPUT / "doc-page-crosslink-phone.png", full_page=True)
        page.goto(doc_server + "/doc/no-such-article")
        assert _no_horizontal_scroll(page)
        page.screenshot(path=OUTPUT / "doc-missing-phone.png")
    finally:
        context.close()
    _checked(watch)
    for name in ("doc-page.png", "doc-page-phone.png", "doc-page-crosslink-phone.png"):
        assert (OUTPUT / name).stat().st_size > 10_000, name
