"""The real dashboard in a real browser: `streamlit run app.py` driven by Playwright.

Chromium is the system one (/usr/bin/chromium, installed by .ci/run); Playwright
never downloads a browser here. A missing chromium is a failure, not a skip.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from labeler import score_text
from labeler.store import Store

from .conftest import ROOT

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
XSS = (
    'He was shot. <script>window.__xss=1</script><img src=x onerror="window.__xss=2"> end'
    " **bold** [link](javascript:alert(3)) ![pixel](http://127.0.0.1:9/p.png) $x^2$"
)
PLAIN = [
    ("d1", "Gunmen shot dead eleven villagers.\n\nThe market reopened."),
    ("d2", "The council approved the new budget on Tuesday."),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, server: subprocess.Popen, log, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, f"streamlit exited early:\n{log.read_text()}"
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    pytest.fail(f"streamlit not healthy after {timeout} s:\n{log.read_text()}")


@pytest.fixture()
def dashboard(tmp_path, model):
    """A factory: fill a fresh store with ``docs``, serve app.py on it, return (url, db)."""
    servers: list[subprocess.Popen] = []

    def serve(docs: list[tuple[str, str]]) -> tuple[str, str]:
        db = tmp_path / f"review{len(servers)}.db"
        store = Store(db)
        for doc_id, text in docs:
            store.add_record(score_text(text, doc_id, model), text)
        store.close()
        port = free_port()
        log = tmp_path / f"streamlit{len(servers)}.log"
        with open(log, "wb") as out:
            server = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "streamlit",
                    "run",
                    str(ROOT / "app.py"),
                    "--server.headless",
                    "true",
                    "--server.port",
                    str(port),
                    "--server.address",
                    "127.0.0.1",
                    "--browser.gatherUsageStats",
                    "false",
                    "--server.fileWatcherType",
                    "none",
                ],
                cwd=ROOT,
                env={**os.environ, "LABELER_DB": str(db)},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        servers.append(server)
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, server, log)
        return url, str(db)

    yield serve
    for server in servers:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs  # type: ignore[attr-defined]
    yield page
    context.close()


def sign_in(page: Page, url: str, name: str) -> None:
    page.goto(url)
    expect(page.get_by_text("Enter your name in the sidebar to start reviewing.")).to_be_visible()
    # The app's default order may change; these tests rely on reading order.
    page.get_by_role("radiogroup", name="Queue order").get_by_text("Document order").click()
    expect(page.get_by_role("radio", name="Document order")).to_be_checked()
    name_box = page.get_by_label("Reviewer name")
    name_box.fill(name)
    name_box.press("Enter")


def reviews_by(db: str, reviewer: str, timeout: float = 10) -> list[tuple]:
    """Poll the store until ``reviewer`` has a review (the app writes it asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        store = Store(db)
        rows = store.db.execute(
            "SELECT passage_id, decision, violence, graphic FROM reviews WHERE reviewer = ?",
            (reviewer,),
        ).fetchall()
        store.close()
        if rows or time.monotonic() > deadline:
            return [tuple(row) for row in rows]
        time.sleep(0.2)


def test_keyboard_shortcut_records_a_graphic_correction(dashboard, page):
    url, db = dashboard(PLAIN)
    sign_in(page, url, "ana")
    expect(page.get_by_text("Gunmen shot dead eleven villagers.")).to_be_visible()
    graphic = page.get_by_role("button", name="Graphic (G)")
    expect(graphic).to_be_visible()
    page.screenshot(path="/tmp/queue.png", full_page=True)
    # Shortcuts are ignored while a text input has focus: move focus to the page.
    page.get_by_text("d1 · passage 0").click()
    expect(page.get_by_label("Reviewer name")).not_to_be_focused()
    page.keyboard.press("g")
    assert reviews_by(db, "ana") == [(1, "correct", 1, 1)]
    expect(page.get_by_text("d1 · passage 1")).to_be_visible()


def test_passage_markup_is_shown_as_text_not_run(dashboard, page):
    url, _ = dashboard([("xss", XSS), *PLAIN])
    sign_in(page, url, "ben")
    expect(page.get_by_text("xss · passage 0")).to_be_visible()
    expect(
        page.get_by_text('<script>window.__xss=1</script><img src=x onerror="window.')
    ).to_be_visible()
    expect(page.get_by_role("button", name="Graphic (G)")).to_be_visible()
    assert page.evaluate("window.__xss") is None
    main = page.locator("[data-testid='stMain']")
    assert main.locator("img[src='x']").count() == 0
    assert main.locator("script").count() == 0
    # markdown in a passage is text too: no bold, link, image or maths made of it
    expect(page.get_by_text("**bold** [link](javascript:alert(3)) ![pixel]")).to_be_visible()
    assert main.locator("a[href^='javascript']").count() == 0
    assert main.locator("img[src*='p.png']").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]
