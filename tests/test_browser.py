"""The real dashboard in a real browser: `streamlit run app.py` driven by Playwright.

Chromium is the system one (/usr/bin/chromium, installed by .ci/run); Playwright
never downloads a browser here. A missing chromium is a failure, not a skip.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from labeler import score_text
from labeler.review import GRAPHIC, NOT_VIOLENT
from labeler.store import Store
from tests.reviewing import decide

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
# A loaded 2-core CI machine can take more than Playwright's default 5 s to rerun a page.
expect.set_options(timeout=20_000)
XSS = (
    'He was shot. <script>window.__xss=1</script><img src=x onerror="window.__xss=2"> end'
    " **bold** [link](javascript:alert(3)) ![pixel](http://127.0.0.1:9/p.png) $x^2$"
)
# Every trick at once; each would set window.__xss or open a dialog if it ran.
PAYLOAD = (
    '<script>window.__xss=1</script><img src=x onerror="window.__xss=2;alert(2)">'
    '<svg onload="window.__xss=3"></svg><a href="javascript:window.__xss=4">a</a>'
    " [md](javascript:window.__xss=5) ![i](http://127.0.0.1:9/p.png)"
    " $\\href{javascript:window.__xss=6}{k}$ **b** :red[r] :smile:"
)
PAYLOAD_SOURCE = f"feeds/{PAYLOAD}.txt"  # a file name, as the source filter lists it
PAYLOAD_KEY = f"key {PAYLOAD}"  # a document id (a JSONL id, or a file name)
DOCS = [  # (document id, source file, text)
    ("d1", "plain.txt", "Gunmen shot dead eleven villagers.\n\nThe market reopened."),
    ("d2", "plain.txt", "The council approved the new budget on Tuesday."),
    ("xss", "markup.txt", XSS),
    (PAYLOAD_KEY, PAYLOAD_SOURCE, f"Gunmen shot two men. {PAYLOAD}\n\nTroops shot three."),
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


def fill(db, model) -> None:
    """DOCS, and on the payload document's first passage two disagreeing reviews, one by
    a reviewer whose name and note are the payload."""
    store = Store(db)
    for doc_id, source, text in DOCS:
        record = score_text(text, doc_id, model)
        record["source"] = {"path": source, "line": None}
        store.add_record(record, text)
    first = store.passage_id(PAYLOAD_KEY, 0)
    decide(store, first, f"eve {PAYLOAD}", "correct", GRAPHIC, note=f"note {PAYLOAD}")
    decide(store, first, "dan", "correct", NOT_VIOLENT, note="plain note")
    store.close()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, model):
    """One `streamlit run app.py` for the module, on a store filled by ``fill``: (url, db).

    Tests share it, so each uses its own reviewer name and source filter."""
    tmp = tmp_path_factory.mktemp("dashboard")
    db = tmp / "review.db"
    fill(db, model)
    port = free_port()
    log = tmp / "streamlit.log"
    env = {k: v for k, v in os.environ.items() if k not in ("LABELER_MODEL", "LABELER_ADMINS")}
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
            env={**env, "LABELER_DB": str(db), "LABELER_HOME": str(tmp / "home")},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        url = f"http://127.0.0.1:{port}"
        wait_healthy(url, server, log)
        yield url, str(db)
    finally:
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


def sign_in(page: Page, url: str, name: str, source: str) -> None:
    """Open the review page on one source file's passages, in document order, as ``name``."""
    page.goto(url)
    expect(page.get_by_text("Enter your name in the sidebar to start reviewing.")).to_be_visible()
    page.get_by_text("Filters").click()
    pick(page, "Source file", source)  # the file name, picked by its literal text
    # The app's default order may change; these tests rely on reading order.
    page.get_by_role("radiogroup", name="Queue order").get_by_text("Document order").click()
    expect(page.get_by_role("radio", name="Document order")).to_be_checked()
    name_box = page.get_by_label("Reviewer name")
    name_box.fill(name)
    name_box.press("Enter")


def pick(page: Page, label: str, option: str) -> None:
    """Choose ``option`` in the select box ``label``. A click opens the list, but not
    always the first one (the widget may still be settling), so open it again if needed."""
    box = page.get_by_role("combobox", name=label)
    choice = page.get_by_role("option", name=option, exact=True)
    for _ in range(5):
        box.click()
        try:
            choice.click(timeout=2_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    expect(box).to_have_value(option)


def assert_inert(page: Page) -> None:
    """Nothing from the payloads ran, or became an element, a link or an image."""
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert not page.evaluate("[...document.scripts].some(s => s.text.includes('__xss'))")
    assert page.locator("[onerror], [onload], img[src='x'], img[src*='p.png']").count() == 0
    assert page.locator("a[href^='javascript'], .katex").count() == 0


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
    url, db = dashboard
    sign_in(page, url, "ana", "plain.txt")
    expect(page.get_by_text("Gunmen shot dead eleven villagers.")).to_be_visible()
    graphic = page.get_by_role("button", name="Graphic (G)")
    expect(graphic).to_be_visible()
    # Shortcuts are ignored while a text input has focus: move focus to the page.
    page.get_by_text("d1 · passage 0").click()
    expect(page.get_by_label("Reviewer name")).not_to_be_focused()
    page.keyboard.press("g")
    store = Store(db)
    first = store.passage_id("d1", 0)
    store.close()
    assert reviews_by(db, "ana") == [(first, "correct", 1, 1)]
    expect(page.get_by_text("d1 · passage 1")).to_be_visible()


def test_passage_markup_is_shown_as_text_not_run(dashboard, page):
    url, _ = dashboard
    sign_in(page, url, "ben", "markup.txt")
    expect(page.get_by_text("xss · passage 0")).to_be_visible()
    expect(
        page.get_by_text('<script>window.__xss=1</script><img src=x onerror="window.')
    ).to_be_visible()
    expect(page.get_by_role("button", name="Graphic (G)")).to_be_visible()
    # markdown in a passage is text too: no bold, link, image or maths made of it
    expect(page.get_by_text("**bold** [link](javascript:alert(3)) ![pixel]")).to_be_visible()
    assert_inert(page)


def test_file_names_and_document_ids_are_shown_as_text_not_run(dashboard, page):
    url, _ = dashboard
    sign_in(page, url, "cy", PAYLOAD_SOURCE)  # picked in the source filter by its literal text
    expect(page.get_by_text("Troops shot three.")).to_be_visible()
    expect(page.get_by_text(f"Gunmen shot two men. {PAYLOAD}")).to_be_visible()  # dimmed
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text(f"{PAYLOAD_KEY} · passage 1", exact=True)).to_be_visible()
    expect(main.get_by_text(f"· from {PAYLOAD_SOURCE}")).to_be_visible()
    expect(page.get_by_role("button", name="Graphic (G)")).to_be_visible()
    assert_inert(page)


def test_reviewer_names_and_notes_are_shown_as_text_not_run(dashboard, page):
    url, _ = dashboard
    page.goto(url)
    page.get_by_role("radiogroup", name="Page").get_by_text("Statistics").click()
    # the review history, under the (inert) data grid of disputed passages
    ours = page.locator("[data-testid='stMain'] [data-testid='stMarkdownContainer']")
    history = ours.locator("table")
    expect(history.get_by_role("cell", name=f"note {PAYLOAD}", exact=True)).to_be_visible()
    expect(history.get_by_role("cell", name=f"eve {PAYLOAD}", exact=True)).to_be_visible()
    expect(history.get_by_role("cell", name="plain note")).to_be_visible()
    expect(ours.get_by_text(f"{PAYLOAD_KEY} · passage 0", exact=True)).to_be_visible()
    expect(ours.get_by_text(f"Gunmen shot two men. {PAYLOAD}", exact=True)).to_be_visible()
    assert_inert(page)


def put_upload(url: str, headers: dict[str, str], chunks: list[bytes], declared: bool) -> int:
    """PUT a multipart body to an upload URL as a client that skips the browser's checks;
    the response status. ``declared``: with its Content-Length, else chunked."""
    parts = urllib.parse.urlsplit(url)
    body = [
        b'--B\r\nContent-Disposition: form-data; name="file"; filename="f.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\n",
        *chunks,
        b"\r\n--B--\r\n",
    ]
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.putrequest("PUT", parts.path)
    for key, value in {**headers, "Content-Type": "multipart/form-data; boundary=B"}.items():
        conn.putheader(key, value)
    if declared:
        conn.putheader("Content-Length", str(sum(map(len, body))))
    else:
        conn.putheader("Transfer-Encoding", "chunked")
    conn.endheaders()
    try:
        for chunk in body:
            conn.send(chunk if declared else b"%x\r\n%s\r\n" % (len(chunk), chunk))
        if not declared:
            conn.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server may stop reading once it has refused: its answer is what counts
    try:
        return conn.getresponse().status
    finally:
        conn.close()


def test_uploads_over_the_limit_are_refused_by_the_browser_and_by_the_server(
    dashboard, page, tmp_path
):
    url, _ = dashboard
    requests: list[tuple[str, dict[str, str]]] = []
    page.on("request", lambda r: "upload_file" in r.url and requests.append((r.url, r.headers)))
    page.goto(url)
    page.get_by_role("radiogroup", name="Page").get_by_text("Import & export").click()
    uploader = page.locator("[data-testid='stFileUploader']")
    expect(uploader.get_by_text("50MB per file")).to_be_visible()  # .streamlit/config.toml
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (50 * 2**20 + 1))
    uploader.locator("input[type=file]").set_input_files(str(big))
    expect(uploader.get_by_text("File must be 50.0MB or smaller.")).to_be_visible()
    expect(page.get_by_role("button", name="Score into the store")).to_have_count(0)
    # A client that skips the browser's check: the server refuses the bytes themselves.
    uploader.locator("input[type=file]").set_input_files(
        {"name": "small.txt", "mimeType": "text/plain", "buffer": b"Gunmen shot two men."}
    )
    expect(page.get_by_role("button", name="Score into the store")).to_be_visible()
    target, sent = requests[-1]  # this session's upload URL; its XSRF token and cookie
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in page.context.cookies())
    headers = {"X-Xsrftoken": sent["x-xsrftoken"], "Cookie": cookie}
    over = [b"a" * 2**20] * 51
    assert put_upload(f"{target}-1", headers, over, declared=True) == 413
    assert put_upload(f"{target}-2", headers, over, declared=False) == 413  # size not declared
    assert put_upload(f"{target}-3", headers, [b"Gunmen shot two men."], declared=True) == 204
