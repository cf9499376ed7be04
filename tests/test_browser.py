"""The search page in a real headless Chromium (Debian's), driven by Playwright.

A real gunicorn server runs on a free port over a fresh index of the seeds plus
generated articles and one document with ``<script>`` in its title (see
``pagecorpus.py``). Screenshots go to ``test-output/``.

Chromium is Debian's ``/usr/bin/chromium`` (Playwright's own browser download
is not used). Without it the tests are skipped locally and FAIL in CI.
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import IN_CI
from pagecorpus import XSS_TITLE, build_page_index

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "test-output"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.xdist_group("browser")


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.fixture(scope="module", autouse=True)
def require_chromium():
    """Before any index or server is built: skip locally, fail in CI, without Chromium."""
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if IN_CI:
            pytest.fail(message + " (a missing browser is a failure in CI)")
        pytest.skip(message)


@pytest.fixture(scope="module")
def server(tmp_path_factory, module_gunicorn):
    """gunicorn serving the page index (started as `tolk serve`); yields the base URL."""
    workdir = tmp_path_factory.mktemp("browser")
    index_dir = build_page_index(workdir)
    return module_gunicorn(index_dir, serve=True, workers=2,
                           log=workdir / "gunicorn.log").base_url


@pytest.fixture(scope="module")
def browser(require_chromium):
    with sync_playwright() as playwright:
        # Playwright gives every launch a fresh temporary profile (--user-data-dir).
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watch:
    """JavaScript errors, console errors and dialogs seen by a page: all must stay empty."""

    def __init__(self, page):
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.allowed_statuses: set[int] = set()  # pages a test loads with a 4xx on purpose
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("console", self._console)
        page.on("dialog", self._dialog)

    def _console(self, msg):
        if msg.type != "error":
            return
        if any(f"status of {status} " in msg.text for status in self.allowed_statuses):
            return
        self.errors.append(f"console: {msg.text} at {msg.location.get('url')}")

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()


def _open(browser, locale="en-US", viewport=DESKTOP, **options):
    context = browser.new_context(locale=locale, viewport=viewport, **options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page, Watch(page)


@pytest.fixture
def page_en(browser):
    context, page, watch = _open(browser)
    yield page, watch
    context.close()
    assert not watch.dialogs, watch.dialogs
    assert not watch.errors, watch.errors


def hits(page, language=None):
    selector = "li.hit" + (f"[data-language={language}]" if language else "")
    return page.locator(selector)


def hit_ids(page):
    return page.locator("li.hit").evaluate_all("els => els.map(e => e.dataset.id)")


def summary(page):
    return page.locator("#results-summary")


def search_box(page):
    return page.locator("#q")


# --------------------------------------------------------------------------------------

def test_type_submit_filter_and_switch_crosslingual(server, page_en):
    page, _ = page_en
    page.goto(server + "/")
    expect(page).to_have_title("Tolk")
    box = page.get_by_label("Search the news")
    expect(box).to_have_attribute("id", "q")
    expect(box).to_be_focused()  # autofocus on the start page
    page.keyboard.type("Putin")
    page.keyboard.press("Enter")  # keyboard submit
    page.wait_for_url(re.compile(r"[?&]q=Putin"))
    assert "crosslingual=false" not in page.url  # the script drops the hidden field
    expect(summary(page)).to_have_text("20 results for “Putin”")
    expect(hits(page)).to_have_count(10)
    assert hits(page, "nl").count() > 0 and hits(page, "en").count() > 0
    expect(page.locator(".badge-nl").first).to_be_visible()
    expect(page.locator(".badge-en").first).to_be_visible()
    expect(page.locator(".badge-nl").first).to_have_text(re.compile("NL$"))
    crosslink = page.locator(".crosslink").first
    expect(crosslink).to_be_visible()
    expect(crosslink).to_contain_text(re.compile(r"Putin\s*←[\s\S]*Poetin"))
    expect(page.locator(".snippet mark").first).to_be_visible()

    # Language filter: Dutch only; with the script a filter applies at once (no Apply)
    expect(page.get_by_role("button", name="Apply")).to_be_hidden()
    page.get_by_role("radio", name=re.compile(r"^Dutch")).check()
    page.wait_for_url(re.compile(r"lang=nl"))
    expect(hits(page)).to_have_count(10)
    assert hits(page, "en").count() == 0
    expect(page.get_by_role("radio", name=re.compile(r"^Dutch"))).to_be_checked()
    page.get_by_role("radio", name=re.compile(r"^English")).check()
    page.wait_for_url(re.compile(r"lang=en"))
    assert hits(page).count() == hits(page, "en").count() == 9

    # Cross-lingual off, with the keyboard only: Space on the switch applies it
    page.get_by_role("radio", name=re.compile(r"^Both")).check()
    page.wait_for_url(re.compile(r"lang=any"))
    switch = page.get_by_role("switch")
    expect(switch).to_be_checked()
    switch.focus()
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"crosslingual=false"))
    expect(summary(page)).to_have_text("9 results for “Putin”")
    assert hits(page).count() == hits(page, "en").count() == 9  # Dutch articles say Poetin
    expect(page.locator(".crosslink")).to_have_count(0)
    expect(page.get_by_role("switch")).not_to_be_checked()


def test_keyboard_focus_is_visible(server, page_en):
    page, _ = page_en
    page.goto(server + "/?q=Putin")
    search_box(page).focus()
    seen = []
    for _ in range(40):  # Tab through the whole page, back to the start
        page.keyboard.press("Tab")
        state = page.evaluate("""() => { const e = document.activeElement;
            const s = getComputedStyle(e);
            return [e.tagName, e.getAttribute('type') || e.textContent.trim().slice(0, 20),
                    s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
        if state[0] == "BODY" or (state[0] == "INPUT" and state[1] == "search"):
            break
        seen.append(state)
        assert state[2] != "none" and state[3] >= 2, f"no visible focus on {state}"
    kinds = [s[1] for s in seen]
    assert {"submit", "radio", "checkbox", "Next →"} <= set(kinds), seen


def test_pagination_next_previous_and_numbers(server, page_en):
    page, _ = page_en
    page.goto(server + "/?q=Putin")
    first_page = hit_ids(page)
    pages = page.get_by_role("navigation", name="Result pages")
    expect(pages.locator("[aria-current=page]")).to_have_text("1")
    pages.get_by_role("link", name="Next").click()
    page.wait_for_url(re.compile(r"page=2"))
    expect(page.locator("ol.hits")).to_have_attribute("start", "11")
    expect(hits(page)).to_have_count(10)
    assert not set(hit_ids(page)) & set(first_page)
    expect(pages.locator("[aria-current=page]")).to_have_text("2")
    expect(page.locator(".summary-detail")).to_contain_text("showing 11–20")
    pages.get_by_role("link", name="Page 1").click()
    page.wait_for_url(re.compile(r"q=Putin$"))
    assert hit_ids(page) == first_page
    pages.get_by_role("link", name="Page 2").press("Enter")  # links work from the keyboard
    page.wait_for_url(re.compile(r"page=2"))
    pages.get_by_role("link", name="Previous").click()
    page.wait_for_url(re.compile(r"q=Putin$"))
    assert hit_ids(page) == first_page


def test_did_you_mean_follows_the_suggestion(server, page_en):
    page, _ = page_en
    page.goto(server + "/")
    search_box(page).fill("Putn")
    search_box(page).press("Enter")
    expect(summary(page)).to_have_text("No results for “Putn”")
    expect(page.locator(".tips")).to_contain_text("Check the spelling")
    page.locator(".did-you-mean").get_by_role("link", name="putin").click()
    page.wait_for_url(re.compile(r"q=putin"))
    expect(summary(page)).to_have_text("20 results for “putin”")


def test_markup_in_documents_and_queries_stays_text(server, page_en):
    page, watch = page_en
    page.goto(server + "/")
    search_box(page).fill("xylophone")
    page.keyboard.press("Enter")
    title = page.locator(".hit-title")
    expect(title).to_have_count(1)
    expect(title).to_have_text(XSS_TITLE)
    expect(page.get_by_text("<script>alert(1)</script>").first).to_be_visible()
    expect(page.locator(".snippet")).to_contain_text("<img src=x onerror=alert(2)>")
    scripts = page.evaluate("() => [...document.scripts].map(s => s.src)")
    assert scripts == [server + "/static/tolk.js"]
    assert page.locator(".hits img").count() == 0

    query = "<script>alert(1)</script>"
    search_box(page).fill(query)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"q=%3Cscript"))
    expect(search_box(page)).to_have_value(query)
    expect(summary(page)).to_contain_text(query)
    expect(page).to_have_title(query + " · Tolk")
    assert page.evaluate("() => document.scripts.length") == 1
    page.wait_for_timeout(300)
    assert not watch.dialogs


def test_bad_query_is_explained_in_the_page(server, page_en):
    page, watch = page_en
    watch.allowed_statuses.add(400)
    response = page.goto(server + "/?q=Putin+(troops")
    assert response.status == 400
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The query could not be read")
    expect(alert.locator("mark")).to_have_text("(")
    expect(search_box(page)).to_have_value("Putin (troops")


def test_interface_language_follows_browser_and_switch_is_remembered(server, browser):
    context, page, watch = _open(browser, locale="nl-NL")
    try:
        page.goto(server + "/?q=Poetin")
        expect(page.locator("html")).to_have_attribute("lang", "nl")
        expect(page.get_by_role("button", name="Zoeken", exact=True)).to_be_visible()
        expect(summary(page)).to_contain_text("resultaten voor ‘Poetin’")
        page.get_by_role("navigation", name="Taal van de website") \
            .get_by_role("link", name="English").click()
        page.wait_for_url(re.compile(r"ui=en"))
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(summary(page)).to_contain_text("results for “Poetin”")  # query kept
        page.goto(server + "/")  # remembered in a cookie
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("button", name="Search", exact=True)).to_be_visible()
    finally:
        context.close()
    assert not watch.errors and not watch.dialogs


def test_suggestions_while_typing_or_plain_box_without_them(server, page_en):
    page, _ = page_en
    page.goto(server + "/")
    box = search_box(page)
    has_endpoint = _status(server + "/api/suggest?q=po") == 200
    expect(page.locator("form[data-suggest-url]")).to_have_count(1 if has_endpoint else 0)
    box.press_sequentially("Poe", delay=60)
    if has_endpoint:
        expect(box).to_have_attribute("role", "combobox")
        listbox = page.get_by_role("listbox")
        expect(listbox).to_be_visible()
        expect(box).to_have_attribute("aria-expanded", "true")
        options = listbox.get_by_role("option")
        expect(options.first).to_contain_text("Poetin")  # as the documents write it
        # Escape closes the list without changing the text
        page.keyboard.press("Escape")
        expect(listbox).to_be_hidden()
        expect(box).to_have_value("Poe")
        box.press_sequentially("t", delay=60)
        expect(listbox).to_be_visible()
        page.keyboard.press("ArrowDown")
        expect(options.first).to_have_attribute("aria-selected", "true")
        expect(box).to_have_attribute("aria-activedescendant", "q-suggestion-0")
        page.keyboard.press("Enter")  # takes the suggestion and searches
        page.wait_for_url(re.compile(r"q=Poetin"))
        expect(search_box(page)).to_have_value("Poetin")
        return
    else:
        page.wait_for_timeout(400)
        expect(page.get_by_role("listbox")).to_have_count(0)
    page.keyboard.press("Enter")  # searches
    page.wait_for_url(re.compile(r"q=[Pp]oe"))
    expect(summary(page)).to_be_visible()


def _phone(browser, locale="en-US", **options):
    return _open(browser, locale=locale, viewport=PHONE, is_mobile=True, has_touch=True,
                 device_scale_factor=2, **options)


def _hit_dates(page):
    return page.locator("li.hit time").evaluate_all("els => els.map(e => e.dateTime)")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_typo_correction_is_shown_and_can_be_undone(server, browser, viewport):
    context, page, watch = (_open(browser) if viewport == "desktop" else _phone(browser))
    try:
        page.goto(server + "/?q=Poetin")
        typed = (summary(page).inner_text(), sorted(hit_ids(page)))
        page.goto(server + "/")
        search_box(page).fill("Poetim")
        search_box(page).press("Enter")
        page.wait_for_url(re.compile(r"q=Poetim"))
        corrected = page.locator(".corrected")
        expect(corrected).to_contain_text("Showing results for Poetin.")
        expect(corrected).to_contain_text("Search instead for Poetim")
        # the correction is searched as if typed: same hits, both languages (cross-links)
        assert (summary(page).inner_text(), sorted(hit_ids(page))) == typed
        assert hits(page, "nl").count() > 0 and hits(page, "en").count() > 0
        OUTPUT.mkdir(exist_ok=True)
        name = "search-corrected.png" if viewport == "desktop" else "search-corrected-phone.png"
        page.screenshot(path=OUTPUT / name)
        corrected.get_by_role("link", name="Poetim").click()
        page.wait_for_url(re.compile(r"typo=false"))
        expect(summary(page)).to_have_text("No results for “Poetim”")
        expect(page.locator(".corrected")).to_have_count(0)
        # a new query is corrected again (typo=false belonged to the old one)
        search_box(page).fill("Putim")
        search_box(page).press("Enter")
        page.wait_for_url(re.compile(r"q=Putim"))
        assert "typo=false" not in page.url
        expect(page.locator(".corrected")).to_contain_text("Showing results for Putin.")
    finally:
        context.close()
    assert not watch.errors and not watch.dialogs


def test_date_and_sort_filters_apply_at_once(server, page_en):
    page, _ = page_en
    page.goto(server + "/?q=Putin")
    expect(page.locator("details.filters")).to_have_attribute("open", "")
    page.get_by_label("Order", exact=True).select_option(label="Oldest first")
    page.wait_for_url(re.compile(r"sort=date%3Aasc|sort=date:asc"))
    dates = _hit_dates(page)
    assert len(dates) > 1 and dates == sorted(dates)
    page.get_by_label("Order", exact=True).select_option(label="Newest first")
    page.wait_for_url(re.compile(r"sort=date(&|$)"))
    newest = _hit_dates(page)
    assert newest == sorted(newest, reverse=True)
    cut = sorted(newest)[len(newest) // 2][:7] + "-01"  # a date in the middle
    page.get_by_label("From", exact=True).fill(cut)
    page.wait_for_url(re.compile(r"date_from=" + cut))
    dates = _hit_dates(page)
    assert dates and min(dates) >= cut[:7] and dates == sorted(dates, reverse=True)
    expect(page.get_by_label("From", exact=True)).to_have_value(cut)
    expect(page.locator(".filters-count")).to_have_text("2 on")
    assert "date_to" not in page.url and "typo" not in page.url  # empty fields are left out


def test_filters_without_javascript_use_the_apply_button(server, browser):
    context, page, watch = _open(browser, java_script_enabled=False)
    try:
        page.goto(server + "/?q=Putin")
        expect(page.get_by_label("Order", exact=True)).to_be_visible()  # the panel is open on desktop
        page.get_by_label("Order", exact=True).select_option(label="Oldest first")
        page.wait_for_timeout(300)
        assert "sort=" not in page.url  # nothing happens until Apply
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(r"sort=date%3Aasc|sort=date:asc"))
        dates = _hit_dates(page)
        assert len(dates) > 1 and dates == sorted(dates)
    finally:
        context.close()
    context, page, watch = _phone(browser, java_script_enabled=False)
    try:
        page.goto(server + "/?q=Putin")
        expect(page.get_by_label("Order", exact=True)).to_be_hidden()  # behind one control on a phone
        page.locator("summary.filters-summary").click()
        expect(page.get_by_label("Order", exact=True)).to_be_visible()
        page.get_by_label("Order", exact=True).select_option(label="Newest first")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(r"sort=date"))
        dates = _hit_dates(page)
        assert dates == sorted(dates, reverse=True)
    finally:
        context.close()


def test_phone_filters_collapse_and_first_result_is_above_the_fold(server, browser):
    context, page, watch = _phone(browser)
    try:
        page.goto(server + "/?q=Putin")
        assert _no_horizontal_scroll(page)
        panel = page.locator("details.filters")
        expect(panel).not_to_have_attribute("open", "")
        expect(page.get_by_label("Order", exact=True)).to_be_hidden()
        box = hits(page).first.bounding_box()
        assert box is not None and box["y"] < PHONE["height"], box
        title = page.locator(".hit-title").first.bounding_box()
        assert title["y"] + title["height"] < PHONE["height"]  # its title can be read
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=OUTPUT / "search-filters-phone.png")
        # one tap opens the panel; a change applies at once and the panel stays open
        page.locator("summary.filters-summary").click()
        page.get_by_label("Order", exact=True).select_option(label="Newest first")
        page.wait_for_url(re.compile(r"sort=date"))
        expect(panel).to_have_attribute("open", "")
        expect(page.locator(".filters-count")).to_have_text("1 on")
        assert _no_horizontal_scroll(page)
        page.screenshot(path=OUTPUT / "search-filters-phone-open.png")
        page.goto(server + "/?q=Putin&sort=date")  # a fresh visit: closed, count shown
        expect(panel).not_to_have_attribute("open", "")
        expect(page.locator(".filters-count")).to_have_text("1 on")
    finally:
        context.close()
    assert not watch.errors and not watch.dialogs


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_suggestions_complete_the_whole_query_and_search(server, browser, viewport):
    context, page, watch = (_open(browser) if viewport == "desktop" else _phone(browser))
    try:
        page.goto(server + "/")
        box = search_box(page)
        box.press_sequentially("russian tr", delay=40)
        listbox = page.get_by_role("listbox")
        options = listbox.get_by_role("option")
        expect(options.first).to_contain_text("troops")  # in context, before trade
        box.fill("")
        box.press_sequentially("Russian troops oekr", delay=40)
        expect(options.first).to_contain_text("Oekraïne")  # as the documents write it
        OUTPUT.mkdir(exist_ok=True)
        page.screenshot(path=OUTPUT / ("suggest.png" if viewport == "desktop"
                                       else "suggest-phone.png"))
        page.keyboard.press("ArrowDown")
        expect(options.first).to_have_attribute("aria-selected", "true")
        page.keyboard.press("Enter")
        page.wait_for_url(re.compile(r"q=Russian\+troops\+Oekra"))
        expect(box).to_have_value("Russian troops Oekraïne")
        expect(summary(page)).to_contain_text("Russian troops Oekraïne")
    finally:
        context.close()
    assert not watch.errors and not watch.dialogs


def _no_horizontal_scroll(page):
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_screenshots_desktop_and_phone(server, browser):
    OUTPUT.mkdir(exist_ok=True)
    shots = []
    context, page, watch = _open(browser)
    try:
        page.goto(server + "/")
        page.screenshot(path=OUTPUT / "search-start.png")
        page.goto(server + "/?q=Putin")
        page.screenshot(path=OUTPUT / "search-page.png", full_page=True)
        page.goto(server + "/?q=Poetin&lang=en&crosslingual=false")
        page.screenshot(path=OUTPUT / "search-empty.png", full_page=True)
        shots += ["search-start.png", "search-page.png", "search-empty.png"]
    finally:
        context.close()
    assert not watch.errors and not watch.dialogs

    context, page, watch = _open(browser, locale="nl-NL", viewport=PHONE, is_mobile=True,
                                 has_touch=True, device_scale_factor=2)
    try:
        page.goto(server + "/?q=Putin")
        assert _no_horizontal_scroll(page)
        # the search box and button fit side by side, the button is big enough to tap
        button = page.get_by_role("button", name="Zoeken", exact=True).bounding_box()
        assert button["height"] >= 40 and button["x"] + button["width"] <= PHONE["width"]
        page.screenshot(path=OUTPUT / "search-page-phone.png")
        page.screenshot(path=OUTPUT / "search-page-phone-full.png", full_page=True)
        watch.allowed_statuses.add(400)
        page.goto(server + "/?q=Putin+(troops")
        assert _no_horizontal_scroll(page)
        page.screenshot(path=OUTPUT / "search-error-phone.png")
        shots += ["search-page-phone.png", "search-page-phone-full.png",
                  "search-error-phone.png"]
    finally:
        context.close()
    assert not watch.errors and not watch.dialogs
    for name in shots:
        assert (OUTPUT / name).stat().st_size > 10_000, name
