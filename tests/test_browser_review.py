"""The review screen on a laptop, in a real browser: the decision bar in view at 1024x768,
the document opened at the passage, and a store that does not exist refused by name.

`streamlit run app.py` driven by Playwright and the system chromium, as tests/test_browser.py.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from labeler.store.store import Store
from tests import test_browser
from tests.dashboard_server import served, start_dashboard, stop
from tests.reviewing import add_documents, decide
from tests.test_browser import (
    CURRENT,
    PAUSE,
    decision_button,
    on_screen,
    passage_of,
    reviews_by,
    sign_in,
    story,
    unfocus,
)

from .conftest import ROOT

browser = test_browser.browser  # its fixture: chromium

# A passage as long as a passage gets (passages.MAX_CHARS is 600), opening its document.
LONG = (
    "The militia entered the village at dawn and shot the men they found in the fields, "
    "then set fire to the houses while families were still inside; survivors told "
    "investigators that the gunmen went from door to door, dragging out anyone who hid, "
    "beating them with rifle butts and executing them against the wall of the school, "
    "where the bodies lay for two days before neighbours were allowed to bury them. "
    "Aid workers who reached the village later counted forty graves and found the well "
    "poisoned, the granary burned and the livestock slaughtered in their pens."
)
SEEN = 20  # passages of scroll.txt decided before the test: the queue serves number 21
DOCS = [
    ("long", "long.txt", f"{LONG}\n\n{story('Longmere', 6)}"),
    ("scroll", "scroll.txt", story("Scrollham", 32)),
]
KEYS = ["Y", "N", "P", "V", "G", "S"]


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, model):
    """The dashboard on a store of DOCS, the first SEEN passages of scroll.txt decided."""
    tmp = tmp_path_factory.mktemp("review_screen")
    db = tmp / "review.db"
    with Store(db) as store:
        add_documents(store, DOCS, model)
        for index in range(SEEN):
            decide(store, store.documents.passage_id("scroll", index), "seed", "skip")
    with served(ROOT, db, tmp) as url:
        yield url, str(db)


def laptop(browser, width: int = 1024, height: int = 768) -> Page:
    page = browser.new_context(viewport={"width": width, "height": height}).new_page()
    page.set_default_timeout(20_000)
    return page


def bar_in_view(page: Page) -> None:
    """Every decision button and Undo, whole, inside the window."""
    for key in KEYS:
        expect(decision_button(page, key)).to_be_in_viewport(ratio=1)
    expect(page.locator("[class*='st-key-undo-'] button")).to_be_in_viewport(ratio=1)


def test_the_decision_bar_is_in_view_at_1024x768_and_stays_there(dashboard, browser):
    """The longest passage on screen, at 1024x768: every decision button is in view
    without scrolling; scrolled down to the document, the bar is still there; and its
    keys decide."""
    url, db = dashboard
    page = laptop(browser)
    sign_in(page, url, "lee", "long.txt")
    assert on_screen(page) == LONG
    bar_in_view(page)
    main = page.locator("[data-testid='stMain']")
    main.evaluate("m => m.scrollTo(0, m.scrollHeight)")
    expect(page.get_by_text("Content warning for this document")).to_be_in_viewport()
    bar_in_view(page)
    unfocus(page)
    time.sleep(PAUSE)
    page.keyboard.press("g")
    assert reviews_by(db, "lee") == [(passage_of(db, LONG), "correct", 1, 1, 3, None)]
    expect(page.locator(CURRENT).first).not_to_contain_text(LONG)
    bar_in_view(page)
    page.context.close()


# Where the passage under review is in the document box: its text, its top and bottom, the
# box's, in window coordinates, and how far the box is scrolled. (The passage is marked
# three times: on its own, in the box, and in its review history; the box is the one whose
# height is fixed, so that it scrolls.)
PLACES = """() => {
  const scrolls = (e) => e.scrollHeight > e.clientHeight
    && /auto|scroll/.test(getComputedStyle(e).overflowY);
  for (const mark of document.querySelectorAll(
      '[data-testid="stMain"] p[style*="border-left: 4px"]')) {
    let box = mark.parentElement;
    while (!scrolls(box)) box = box.parentElement;
    if (box.dataset.testid === "stMain") continue;
    const m = mark.getBoundingClientRect(), b = box.getBoundingClientRect();
    return [mark.textContent, m.top, m.bottom, b.top, b.bottom, box.scrollTop];
  }
  throw new Error("no document box holds the passage");
}"""


def context_at(page: Page, text: str) -> None:
    """The document box shows ``text``, the passage under review, inside its window."""
    deadline = time.monotonic() + 10
    while True:
        shown, top, bottom, box_top, box_bottom, scrolled = page.evaluate(PLACES)
        inside = text in shown and box_top <= top and bottom <= box_bottom
        if inside or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert inside, f"passage at {top:.0f}-{bottom:.0f}, box {box_top:.0f}-{box_bottom:.0f}"
    assert scrolled > 0  # the box was scrolled to it: passage 21 is not at its top


def test_the_document_opens_at_the_passage_under_review(dashboard, browser):
    """Passage 21 of 32: the document box opens scrolled to it, and after a decision, to
    passage 22."""
    url, db = dashboard
    page = laptop(browser, 1440, 900)
    sign_in(page, url, "kim", "scroll.txt")
    twenty_first = on_screen(page)
    assert "21" in twenty_first
    context_at(page, twenty_first)
    unfocus(page)
    time.sleep(PAUSE)
    page.keyboard.press("n")
    expect(page.locator(CURRENT).first).not_to_contain_text(twenty_first)
    following = on_screen(page)
    assert "22" in following
    context_at(page, following)
    page.context.close()


def test_a_store_that_does_not_exist_is_refused_by_name(tmp_path, browser):
    """A mistyped store path: the page says it does not exist and names it; nothing is
    served, and no empty store is made in its place."""
    typo = tmp_path / "reveiw.db"
    server, url = start_dashboard(ROOT, typo, tmp_path / "home", tmp_path / "log", timeout=60)
    try:
        page = laptop(browser)
        page.goto(url)
        refusal = page.get_by_text("The review store is unavailable: it does not exist.")
        expect(refusal).to_be_visible()
        expect(page.locator("[data-testid='stCode']")).to_contain_text(str(typo))
        expect(page.get_by_text("Enter your name")).to_have_count(0)
        expect(page.get_by_label("Reviewer name")).to_have_count(0)
        page.context.close()
    finally:
        stop(server)
    assert not Path(typo).exists()
