"""Hostile and careless use of the dashboard that only a browser shows (issue 16: items 12,
23, 24): `streamlit run app.py` driven by Playwright, on its own store."""

from __future__ import annotations

import time
import urllib.parse

import pytest
from playwright.sync_api import Page, expect

from labeler.store.store import Store
from tests import test_browser
from tests.dashboard_server import served
from tests.reviewing import add_documents
from tests.test_browser import (
    CURRENT,
    PAUSE,
    PAYLOAD,
    assert_inert,
    choose_queue,
    on_screen,
    passage_of,
    reviews_by,
    sign_in,
    unfocus,
)
from tests.test_hostile_dashboard import LONG, STORY, named

from .conftest import ROOT

browser, page = test_browser.browser, test_browser.page  # its fixtures: chromium, a page

DOCS = [  # (document id, source file, text)
    ("long", "long.txt", LONG),
    ("tabs", "tabs.txt", STORY),
    ("signed", "signed.txt", "Gunmen shot two men.\n\nTroops shot three more in the square."),
]


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, model):
    """One `streamlit run app.py` on a store holding DOCS: (url, db)."""
    tmp = tmp_path_factory.mktemp("hostile")
    db = tmp / "review.db"
    with Store(db) as store:
        add_documents(store, DOCS, model)
    with served(ROOT, db, tmp) as url:
        yield url, str(db)


def warning_pane(page: Page):
    """The content warning of the document on screen, opened."""
    pane = page.get_by_test_id("stExpander").filter(has_text="Content warning for this document")
    pane.get_by_text("Content warning for this document").click()
    return pane


def test_the_whole_document_opens_at_the_passage_being_reviewed(dashboard, page):
    """Served the story's 398th passage, the reviewer sees it in place in the whole document:
    all 400 passages are there, scrolled so that this one is in view."""
    url, _ = dashboard
    sign_in(page, url, "wes", "long.txt")
    page.get_by_role("radiogroup", name="Queue order").get_by_text("Highest score first").click()
    expect(page.locator(CURRENT).first).to_contain_text("bled to death")  # one of the last 20
    shown = on_screen(page)
    whole = page.get_by_test_id("stExpander").filter(has_text="The whole document")
    expect(whole.get_by_text("The whole document (400 passages)")).to_be_visible()
    here = whole.locator("p[style*='border-left: 4px solid']")
    expect(here).to_contain_text(shown)
    whole.scroll_into_view_if_needed()
    expect(here).to_be_in_viewport()  # inside the scrolled box, not below its fold
    whole.evaluate("w => w.querySelectorAll('*').forEach(e => { e.scrollTop = 0 })")
    unfocus(page)
    time.sleep(PAUSE)
    page.keyboard.press("n")  # the next passage: the box is scrolled to it in turn
    expect(page.locator(CURRENT).first).not_to_contain_text(shown)
    expect(here).not_to_contain_text(shown)
    whole.scroll_into_view_if_needed()
    expect(here).to_be_in_viewport()


def test_a_reviewer_name_from_the_url_is_shown_as_text_to_other_reviewers(dashboard, browser, page):
    """A name set through ?reviewer= signs a saved warning; another reviewer opening that
    document's warning sees the name as text: no image fetched, no link, nothing run."""
    url, _ = dashboard
    name = f"eve {PAYLOAD}"
    eve = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
    try:
        eve.goto(f"{url}/?reviewer={urllib.parse.quote(name)}")
        # a first load that draws a passage at once: slower than a sign-in page under load
        expect(eve.get_by_label("Reviewer name")).to_have_value(name, timeout=60_000)
        choose_queue(eve, "signed.txt")
        warning_pane(eve).get_by_role("button", name="Accept warning").click()
        expect(eve.get_by_text("Warning accepted.")).to_be_visible()
    finally:
        eve.context.close()
    sign_in(page, url, "zoe", "signed.txt")
    expect(warning_pane(page).get_by_text(f"set by {name} at ")).to_be_visible()
    assert_inert(page)


def test_two_tabs_of_one_reviewer_take_turns_and_every_key_counts(dashboard, page):
    """Tia reviews in two tabs of one browser, a key in one and then in the other. The second
    tab opens on the passage she holds; decided in the first tab, it is refused once in the
    second, saying so, and every key after that decides the passage of the tab it was
    pressed in (before: every one refused)."""
    url, db = dashboard
    second = page.context.new_page()
    tabs = [page, second]
    for tab in tabs:
        sign_in(tab, url, "tia", "tabs.txt")
    shared = on_screen(page)
    assert on_screen(second) == shared
    expected = []
    for tab in tabs * 3:
        tab.bring_to_front()
        text = on_screen(tab)
        unfocus(tab)
        time.sleep(PAUSE)
        tab.keyboard.press("n")
        expect(tab.locator(CURRENT).first).not_to_contain_text(text)
        if tab is second and text == shared:  # decided in the first tab
            refusal = f"{named(db, passage_of(db, text))}: not recorded: it is no longer your"
            expect(tab.get_by_test_id("stToast")).to_contain_text(refusal)
        else:
            expected.append((passage_of(db, text), "correct", 0, 0, 0, None))
    assert len(expected) == 5
    assert reviews_by(db, "tia", len(expected)) == expected
