"""The Documents page in a real browser (Debian's chromium, Playwright): rows opened with a
click, a warning accepted with one key, a reviewer's correction changing the warning, and
a long document opened whole, scrolled to its flagged passage in place."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from labeler.store.store import Store
from tests.dashboard_server import served
from tests.reviewing import add_documents
from tests.test_browser import PAUSE, browser, choose_queue, read, unfocus  # noqa: F401
from tests.test_documents_page import DOCS

from .conftest import ROOT

ROWS = "[data-testid='stDataFrame'] canvas table tbody tr"  # the grid's accessible rows
ROW_HEIGHT = 35  # pixels, the grid's header and each row


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, model):
    """One `streamlit run app.py` on a store of DOCS: (url, db)."""
    tmp = tmp_path_factory.mktemp("documents")
    db = tmp / "review.db"
    with Store(db) as store:
        add_documents(store, [(key, key, text) for key, text in DOCS], model)
    with served(ROOT, db, tmp) as url:
        yield url, str(db)


def at_width(browser, width: int) -> Page:  # noqa: F811
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(20_000)
    return context.new_page()


def documents(page: Page, url: str, editor: str) -> None:
    """The Documents page, signed as ``editor`` once there (a name given on the review
    page would claim a passage there first, and hold it from the other tests' reviewers)."""
    page.goto(url)
    page.get_by_role("radiogroup", name="Page").get_by_text("Documents").click()
    expect(page.get_by_role("heading", name="Documents")).to_be_visible()
    name = page.get_by_label("Reviewer name")
    name.fill(editor)
    name.press("Enter")
    expect(page.locator(ROWS).first).to_be_attached()


def table(page: Page) -> list[list[str]]:
    """The table's rows as the grid tells assistive technology: each row's cells."""
    return page.locator(ROWS).evaluate_all(
        "rows => rows.map(r => [...r.querySelectorAll('td')].map(c => c.textContent))"
    )


def redrawn(page: Page, name: str, column: int, want: list[str], within: float = 20) -> list[str]:
    """Document ``name``'s cells in ``column`` once they read ``want``, or as they read
    after ``within`` seconds: the grid redraws a moment after the page's other text."""
    deadline = time.monotonic() + within
    while True:
        cells = [row[column] for row in table(page) if row[0] == name]
        if cells == want or time.monotonic() > deadline:
            return cells
        time.sleep(0.2)


def open_row(page: Page, name: str) -> None:
    """Click the row of document ``name`` (its selection box) and wait for the document."""
    names = [cells[0] for cells in table(page)]
    row = names.index(name)
    grid = page.locator("[data-testid='stDataFrame'] canvas").first
    grid.scroll_into_view_if_needed()  # an opened document is brought to the top, past it
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 16, box["y"] + ROW_HEIGHT * (row + 1) + ROW_HEIGHT / 2)
    expect(page.get_by_role("heading", name=name, exact=True)).to_be_visible()


def decisions(db: str, editor: str, count: int = 1, timeout: float = 10) -> list[tuple]:
    deadline = time.monotonic() + timeout
    while True:
        rows = read(
            db,
            "SELECT decision, level, warning FROM document_reviews WHERE reviewer = ?",
            (editor,),
        )
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


@pytest.mark.parametrize("width", [1024, 1440])
def test_every_document_is_a_row_and_a_click_opens_it(dashboard, browser, width):  # noqa: F811
    url, _ = dashboard
    page = at_width(browser, width)
    documents(page, url, "ida")
    rows = table(page)
    assert [r[0] for r in rows] == [
        "calm.txt",
        "derby.txt",
        "minutes.txt",
        "shooting.txt",
        "threat.txt",
    ]
    assert rows[3][1:3] == ["violence: shooting", "suggested *"]
    open_row(page, "threat.txt")
    expect(page.get_by_text("Status: suggested · needs a decision")).to_be_visible()
    expect(page.locator("[data-testid='stCode']").first).to_have_text(
        "Contains threats of violence"
    )
    page.context.close()


def test_a_warning_is_accepted_with_one_key(dashboard, browser):  # noqa: F811
    url, db = dashboard
    page = at_width(browser, 1440)
    documents(page, url, "eda")
    open_row(page, "shooting.txt")
    unfocus(page)
    time.sleep(PAUSE)
    page.keyboard.press("a")
    expect(page.get_by_text("Status: accepted · set by eda")).to_be_visible()
    assert decisions(db, "eda") == [
        ("accept", "violence", "Contains descriptions of violence: shooting")
    ]
    assert redrawn(page, "shooting.txt", 2, ["accepted"]) == ["accepted"]
    page.context.close()


def test_a_reviewers_correction_changes_the_warning(dashboard, browser):  # noqa: F811
    """The football report the model flags: on the Documents page its suggested warning
    names a killing; a reviewer marks the passage not violent (N) on the review page; back
    on the Documents page the document needs no warning."""
    url, _ = dashboard
    page = at_width(browser, 1440)
    documents(page, url, "rita")
    assert [r[1] for r in table(page) if r[0] == "derby.txt"] == ["violence: killing"]
    page.get_by_role("radiogroup", name="Page").get_by_text("Review").click()
    choose_queue(page, "sport/derby.txt")
    expect(page.get_by_role("heading", name="derby.txt · passage 1")).to_be_visible()
    unfocus(page)
    time.sleep(PAUSE)
    page.keyboard.press("n")
    expect(page.get_by_role("heading", name="derby.txt · passage 2")).to_be_visible()
    page.get_by_role("radiogroup", name="Page").get_by_text("Documents").click()
    expect(page.get_by_role("heading", name="Documents")).to_be_visible()
    expect(page.locator(ROWS).first).to_be_attached()
    assert [r[1:3] for r in table(page) if r[0] == "derby.txt"] == [["none", "suggested"]]
    open_row(page, "derby.txt")
    expect(page.locator("[data-testid='stCode']").first).to_have_text("No content warning")
    expect(page.get_by_text("(reviewed: not violent; model: violence)")).to_be_visible()
    page.context.close()


def test_a_long_document_opens_whole_scrolled_to_its_flagged_passage_in_place(
    dashboard,
    browser,  # noqa: F811
):
    url, _ = dashboard
    page = at_width(browser, 1024)
    documents(page, url, "ida")
    open_row(page, "minutes.txt")
    box = page.locator(".st-key-whole-document")
    expect(box.locator("#passage-1")).to_be_attached()  # the whole document: its first
    expect(box.locator("#passage-401")).to_be_attached()  # and its last passage
    stabbing = box.locator("#passage-302")
    expect(stabbing).to_have_attribute("data-level", re.compile("violence|graphic"))  # flagged
    expect(stabbing).to_be_in_viewport()
    inside = page.evaluate(
        """() => { const p = document.getElementById('passage-302').getBoundingClientRect();
        const b = document.querySelector('.st-key-whole-document').getBoundingClientRect();
        return p.top >= b.top && p.bottom <= b.bottom; }"""
    )
    assert inside  # scrolled to inside its box, in place
    expect(page.get_by_role("heading", name="minutes.txt", exact=True)).to_be_in_viewport()
    page.context.close()
