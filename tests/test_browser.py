"""The real dashboard in a real browser: `streamlit run app.py` driven by Playwright.

Chromium is the system one (/usr/bin/chromium, installed by .ci/run); Playwright
never downloads a browser here. A missing chromium is a failure, not a skip.
"""

from __future__ import annotations

import http.client
import json
import re
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import Locator, Page, expect, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from websockets.sync.client import connect as websocket_connect

from labeler.passages import is_junk
from labeler.store.review import GRAPHIC, NOT_VIOLENT, Review, standing
from labeler.store.store import Store
from tests.dashboard_server import free_port, served
from tests.reviewing import add_documents, decide

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
# Markdown after a line break that is not a "\n\n": a bare CR pair ends an HTML block just as
# a blank line does, and so may the other breaks. Nothing may listen on port 9 (discard).
MARKDOWN = "**bold** [link](http://127.0.0.1:9/x) :red[red] ![img](http://127.0.0.1:9/cr.png)"
LINE_BREAKS = ("\r\r", "\r\n\r\n", "\u2028\u2028", "\u2029\u2029", "\u0085\u0085", "\x0b\x0c")
BREAKS = "".join(f"{br}{MARKDOWN}" for br in LINE_BREAKS)
BREAKS_KEY = f"breaks{BREAKS} breaks-key"  # "\r\n\r\n" splits the text, not the id
BREAKS_TEXT = f"Gunmen shot four men.{BREAKS} Police shot one."


def story(name: str, n: int) -> str:
    """A document of ``n`` passages, each one's text unique in the store (the tests find
    the passage on screen by its text), violent and not in turn."""
    lines = [
        "Soldiers shot {i} protesters dead in the square of {name}.",
        "The library of {name} extended its opening hours for the {i}th time.",
        "A man in {name} was stabbed {i} times and bled to death in the alley.",
        "Rain is expected over {name} for {i} days, forecasters said.",
    ]
    return "\n\n".join(lines[i % 4].format(i=i + 1, name=name) for i in range(n))


DOCS = [  # (document id, source file, text)
    ("d1", "plain.txt", "Gunmen shot dead eleven villagers.\n\nThe market reopened."),
    ("d2", "plain.txt", "The council approved the new budget on Tuesday."),
    ("xss", "markup.txt", XSS),
    (PAYLOAD_KEY, PAYLOAD_SOURCE, f"Gunmen shot two men. {PAYLOAD}\n\nTroops shot three."),
    (BREAKS_KEY, "breaks.txt", BREAKS_TEXT),
    ("notes", "notes.txt", story("Notetown", 4)),
    ("fast", "fast.txt", story("Fastford", 10)),
    ("reload", "reload.txt", story("Reloadham", 3)),
    ("counts", "counts.txt", story("Countsby", 6)),
    ("hour", "hour.txt", story("Hourbridge", 32)),
    ("focus", "focus.txt", story("Focusfield", 3)),
    ("renote", "renote.txt", story("Renoteby", 3)),
    ("twonotes", "twonotes.txt", story("Twonoteham", 4)),
]
CURRENT = "[data-testid='stMain'] p[style*='border-left: 4px solid']"  # the passage read
DETAIL = "[data-testid='stHeadingWithActionElements'] + p"  # the line under a heading
PAUSE = 0.7  # a reader's pause before a key: over the dashboard's 500 ms dwell rule
KEYS = {  # shortcut: (decision, corrected labels as violence, graphic, severity)
    "Y": ("confirm", None),
    "N": ("correct", (0, 0, 0)),
    "P": ("correct", (1, 0, 1)),
    "V": ("correct", (1, 0, 2)),
    "G": ("correct", (1, 1, 3)),
    "S": ("skip", None),
}


def fill(db, model) -> None:
    """DOCS; on the payload document's first passage two disagreeing reviews, one by a
    reviewer whose name and note are the payload; on the line-break document's first
    passage a review whose reviewer and note carry the line breaks."""
    store = Store(db)
    add_documents(store, DOCS, model)
    first = store.documents.passage_id(PAYLOAD_KEY, 0)
    decide(store, first, f"eve {PAYLOAD}", "correct", GRAPHIC, note=f"note {PAYLOAD}")
    decide(store, first, "dan", "correct", NOT_VIOLENT, note="plain note")
    breaks = store.documents.passage_id(BREAKS_KEY, 0)
    decide(store, breaks, f"hal{BREAKS}", "correct", GRAPHIC, note=f"note{BREAKS}")
    store.close()


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory, model):
    """One `streamlit run app.py` for the module, on a store filled by ``fill``: (url, db).

    Tests share it, so each uses its own reviewer name and source filter. The dashboard
    runs with its real dwell rule (LABELER_MIN_DWELL_MS unset: 500 ms)."""
    tmp = tmp_path_factory.mktemp("dashboard")
    db = tmp / "review.db"
    fill(db, model)
    with served(ROOT, db, tmp) as url:
        yield url, str(db)


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
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.requests = requests  # type: ignore[attr-defined]
    yield page
    context.close()


def sign_in(page: Page, url: str, name: str, source: str) -> None:
    """Open the review page on one source file's passages, in document order, as ``name``."""
    page.goto(url)
    expect(page.get_by_text("Enter your name in the sidebar to start reviewing.")).to_be_visible()
    choose_queue(page, source)
    name_box = page.get_by_label("Reviewer name")
    name_box.fill(name)
    name_box.press("Enter")


def choose_queue(page: Page, source: str) -> None:
    """One source file's passages, in reading order (the app's default order may change)."""
    open_filters(page)
    pick(page, "Source file", source)  # the file name, picked by its literal text
    page.get_by_role("radiogroup", name="Queue order").get_by_text("Document order").click()
    expect(page.get_by_role("radio", name="Document order")).to_be_checked()


def open_filters(page: Page) -> None:
    """Open the sidebar's Filters. A click can land while the page is still being drawn
    (a loaded machine: the expander is drawn again, closed), so click until it is open."""
    box = page.get_by_role("combobox", name="Source file")
    for _ in range(5):
        if box.is_visible():
            return
        page.get_by_text("Filters", exact=True).click()
        try:
            box.wait_for(state="visible", timeout=5_000)
            return
        except PlaywrightTimeoutError:
            continue
    expect(box).to_be_visible()


def pick(page: Page, label: str, option: str) -> None:
    """Choose ``option`` in the select box ``label``. A click opens the list, but not
    always the first one (the widget may still be settling), so open it again if needed."""
    box = page.get_by_role("combobox", name=label)
    choice = page.get_by_role("option", name=option, exact=True)
    page.bring_to_front()  # a tab in the background may not draw its list at all
    for _ in range(5):
        box.click()
        try:
            choice.click(timeout=5_000)  # a loaded machine can take seconds to draw it
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    expect(box).to_have_value(option)


def decision_button(page: Page, key: str) -> Locator:
    """The decision bar's button for shortcut ``key`` (its widget key names the claim)."""
    return page.locator(f"[class*='st-key-act-{key}-'] button")


def assert_inert(page: Page) -> None:
    """Nothing from the payloads ran, or became an element, a link or an image, and the
    browser fetched nothing they name."""
    assert page.evaluate("window.__xss") is None
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert not page.evaluate("[...document.scripts].some(s => s.text.includes('__xss'))")
    assert page.locator("[onerror], [onload], img[src='x'], img[src*='p.png']").count() == 0
    assert page.locator("a[href^='javascript'], .katex").count() == 0
    ours = page.locator("[data-testid='stMain']")
    made = "strong, em, img, a:not([href^='#']), [data-testid='stMarkdownColoredText']"
    assert ours.locator(made).count() == 0  # (a heading's own anchor link is Streamlit's)
    assert [u for u in page.requests if "//127.0.0.1:9/" in u] == []  # type: ignore[attr-defined]


def read(db: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows straight from the SQLite file, read-only: what the store really holds."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return [tuple(row) for row in con.execute(sql, params)]
    finally:
        con.close()


def rows_of(db: str, reviewer: str) -> list[tuple]:
    """``reviewer``'s review rows in the order written: passage, decision, labels, note."""
    return read(
        db,
        "SELECT passage_id, decision, violence, graphic, severity, note FROM reviews"
        " WHERE reviewer = ? ORDER BY id",
        (reviewer,),
    )


def reviews_by(db: str, reviewer: str, count: int = 1, timeout: float = 10) -> list[tuple]:
    """Poll until ``reviewer`` has ``count`` reviews (the app writes them asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        rows = rows_of(db, reviewer)
        if len(rows) >= count or time.monotonic() > deadline:
            return rows
        time.sleep(0.2)


def passage_of(db: str, text: str) -> int:
    ((passage_id,),) = read(db, "SELECT id FROM passages WHERE text = ?", (text,))
    return passage_id


def text_of(db: str, passage_id: int) -> str:
    ((text,),) = read(db, "SELECT text FROM passages WHERE id = ?", (passage_id,))
    return text


def on_screen(page: Page) -> str:
    """The text of the passage being reviewed: the highlighted one, without its number."""
    current = page.locator(CURRENT).first
    expect(current).to_be_visible()
    return current.evaluate(
        "p => { const c = p.cloneNode(true); c.querySelectorAll('sup').forEach(s => s.remove());"
        " return c.textContent.trim(); }"
    )


def note_box(page: Page) -> Locator:
    """The note box: one on the page, whatever rerun is in flight (it is one box for
    every passage, never a new one beside the old)."""
    box = page.get_by_label("Note (optional")
    expect(box).to_have_count(1)
    return box


def type_note(page: Page, note: str) -> None:
    """Type ``note`` and press Enter, as a reviewer does, once: it stays in the box, even
    with a rerun still in flight (the queue chosen again after a reload)."""
    box = note_box(page)
    box.fill(note)
    box.press("Enter")
    expect(note_box(page)).to_have_value(note)


def history_of(page: Page, record_id: str, typed: str) -> None:
    """On the Statistics page, show the review history of ``record_id``'s first passage:
    type ``typed`` (part of its document's name) in the passage box and pick it."""
    expect(page.get_by_role("heading", name="Review history")).to_be_visible()
    box = page.get_by_role("combobox", name="Reviewed passage")
    option = page.get_by_role("option").filter(has_text=typed).first
    for _attempt in range(4):  # a rerun still finishing under load closes an open list
        box.scroll_into_view_if_needed()
        box.click()
        page.keyboard.type(typed)  # the list shows only the options that match
        try:
            option.click(timeout=5_000)
            break
        except PlaywrightTimeoutError:
            page.keyboard.press("Escape")
    else:
        raise AssertionError(f"no option {typed!r} in the Reviewed passage box")
    # the callers then check the history shown is that passage's: reviewers, notes, text


def unfocus(page: Page) -> None:
    """Move focus to the page (shortcuts are ignored while a text box has it) once the
    app's run has ended: a reader presses a key on a page that has stopped changing."""
    if page.evaluate("document.activeElement?.tagName") in ("INPUT", "TEXTAREA"):
        page.locator("[data-testid='stMain'] h3").first.click()
    expect(page.locator("input:focus, textarea:focus")).to_have_count(0)
    expect(page.locator(".stApp")).to_have_attribute("data-test-script-state", "notRunning")


def progress_in_store(db: str, reviewer: str) -> str:
    """The progress line as the store's review rows say it should read, counted here from
    the rows themselves (``standing`` applies the undos): a passage with a standing label
    is labelled, one with only standing skips is skipped, one with nothing standing waits
    (junk never does); "labelled by you" counts ``reviewer``'s standing labels."""
    reviews: dict[int, list[Review]] = {}
    for review_id, passage_id, who, decision in read(
        db, "SELECT id, passage_id, reviewer, decision FROM reviews ORDER BY id"
    ):
        reviews.setdefault(passage_id, []).append(Review(review_id, passage_id, who, decision))
    labelled = skipped = waiting = mine = 0
    flagged = dict.fromkeys(("violence", "graphic"), 0)
    for passage_id, text, flags in read(
        db, "SELECT p.id, p.text, s.flags FROM passages p JOIN scores s ON s.passage_id = p.id"
    ):
        kept = standing(reviews.get(passage_id, []))
        labels = [r for r in kept if r.decision in ("confirm", "correct")]
        labelled += bool(labels)
        skipped += bool(kept) and not labels
        mine += any(r.reviewer == reviewer for r in labels)
        if not kept and not is_junk(text):
            waiting += 1
            for label in flagged:
                flagged[label] += label in json.loads(flags)
    return (
        f"Labelled {labelled} · waiting {waiting} · skipped {skipped} · labelled by you {mine}"
        f" · flagged and waiting: {flagged['violence']} violence, {flagged['graphic']} graphic"
    )


class Desk:
    """A reviewer at the dashboard pressing keys at a reader's pace, and the review rows
    the store must hold for what was pressed."""

    def __init__(self, page: Page, db: str, reviewer: str) -> None:
        self.page, self.db, self.reviewer = page, db, reviewer
        self.expected: list[tuple] = []  # rows_of() as it must read
        self.standing: list[int] = []  # which of them are decisions still standing
        self.current = page.locator(CURRENT).first

    def decide(self, key: str, note: str | None = None, last: bool = False) -> int:
        """Read the passage on screen, type ``note``, press ``key``; the next passage (or,
        ``last``, the empty queue) must follow. Returns the decided passage's id."""
        text = on_screen(self.page)
        passage_id = passage_of(self.db, text)
        if note:
            type_note(self.page, note)
        unfocus(self.page)
        time.sleep(PAUSE)
        self.page.keyboard.press(key.lower())
        if last:
            expect(self.current).to_have_count(0)
        else:
            expect(self.current).not_to_contain_text(text)
        decision, labels = KEYS[key]
        if decision == "confirm":  # the model's own flags and severity
            ((flags, severity),) = read(
                self.db, "SELECT flags, severity FROM scores WHERE passage_id = ?", (passage_id,)
            )
            flagged = json.loads(flags)
            labels = (int("violence" in flagged), int("graphic" in flagged), severity)
        self.standing.append(len(self.expected))
        self.expected.append((passage_id, decision, *(labels or (None,) * 3), note))
        return passage_id

    def undo(self) -> int:
        """Press U: the latest standing decision is undone and its passage is back."""
        passage_id = self.expected[self.standing.pop()][0]
        unfocus(self.page)
        time.sleep(PAUSE)
        self.page.keyboard.press("u")
        expect(self.current).to_contain_text(text_of(self.db, passage_id))
        self.expected.append((passage_id, "undo", None, None, None, None))
        return passage_id

    def check(self) -> None:
        """The store holds exactly what was pressed, in order, and the progress line on
        screen says what the store holds."""
        assert reviews_by(self.db, self.reviewer, len(self.expected)) == self.expected
        line = self.page.get_by_text(re.compile(r"^Labelled \d+ · waiting"))
        expect(line).to_have_text(progress_in_store(self.db, self.reviewer))


def test_keyboard_shortcut_records_a_graphic_correction(dashboard, page):
    url, db = dashboard
    sign_in(page, url, "ana", "plain.txt")
    assert on_screen(page) == "Gunmen shot dead eleven villagers."
    expect(decision_button(page, "G")).to_contain_text("Graphic")
    unfocus(page)
    time.sleep(PAUSE)  # read it: a key sooner than the dwell rule is refused
    page.keyboard.press("g")
    first = passage_of(db, "Gunmen shot dead eleven villagers.")
    assert reviews_by(db, "ana") == [(first, "correct", 1, 1, 3, None)]
    expect(page.locator(CURRENT).first).to_contain_text("The market reopened.")


def test_a_note_is_saved_with_one_decision_and_the_next_note_box_is_empty(dashboard, page):
    url, db = dashboard
    sign_in(page, url, "eli", "notes.txt")
    desk = Desk(page, db, "eli")
    first = desk.decide("G", note="Yes graphic")
    expect(note_box(page)).to_have_value("")  # a fresh box for the next passage
    desk.decide("Y")  # with no note typed
    desk.check()
    assert read(db, "SELECT passage_id FROM reviews WHERE note = 'Yes graphic'") == [(first,)]


def test_each_decisions_note_box_starts_empty(dashboard, page):
    """Notes on two decisions in a row, then a decision without one: after each, the next
    passage's box is empty, and each note is saved with its own decision only."""
    url, db = dashboard
    sign_in(page, url, "kim", "twonotes.txt")
    desk = Desk(page, db, "kim")
    desk.decide("G", note="first note")
    expect(note_box(page)).to_have_value("")
    desk.decide("V", note="second note")
    expect(note_box(page)).to_have_value("")  # the second decision's next box, too
    desk.decide("N")
    desk.check()


def test_keys_pressed_after_a_name_or_a_note_is_entered_are_shortcuts_not_typing(dashboard, page):
    """A reviewer types their name, presses Enter, reads and presses G; types a note,
    presses Enter and then N. Nobody clicks away first: the keys must decide, not be typed
    into the box (a name "finG" would sign what follows)."""
    url, db = dashboard
    sign_in(page, url, "fin", "focus.txt")
    first = passage_of(db, on_screen(page))
    time.sleep(PAUSE)
    page.keyboard.press("g")
    assert reviews_by(db, "fin") == [(first, "correct", 1, 1, 3, None)]
    expect(page.get_by_label("Reviewer name")).to_have_value("fin")
    expect(page.locator(CURRENT).first).not_to_contain_text(text_of(db, first))
    second = passage_of(db, on_screen(page))
    box = note_box(page)
    box.fill("checked the wire copy")
    box.press("Enter")
    time.sleep(PAUSE)
    page.keyboard.press("n")
    assert reviews_by(db, "fin", count=2)[1] == (
        second,
        "correct",
        0,
        0,
        0,
        "checked the wire copy",
    )


# Ten presses of a key within 200 ms, as a keyboard makes them (a key held down, or
# bounced): keyDown/keyUp input sent to the browser over the DevTools protocol, 10 ms apart,
# each without waiting for the page to handle the one before. (Playwright's page.keyboard
# waits for each, 100 ms and more while the page redraws: ten took 230-340 ms on a busy
# machine.) The page handles them as it handles a keyboard's, in its own time; it stamps
# each keydown with when the browser received it (``timeStamp``), and with when the page
# handled it.
KEY_CLOCK = """() => { window.__keys = [];
  document.addEventListener("keydown", (e) => window.__keys.push([e.timeStamp, performance.now()]),
    true); }"""


def ten_presses(port: int, page: Page, key: str) -> None:
    """Send ten presses of ``key`` to ``page`` as input, 10 ms apart, over the DevTools
    endpoint of a browser started with --remote-debugging-port=``port``."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
        targets = [t for t in json.load(answer) if t["type"] == "page" and t["url"] == page.url]
    (target,) = targets
    code = ord(key.upper())
    with websocket_connect(target["webSocketDebuggerUrl"], max_size=None) as devtools:
        began = time.perf_counter()
        for i in range(10):
            time.sleep(max(0.0, began + 0.010 * i - time.perf_counter()))
            for n, kind in enumerate(("keyDown", "keyUp")):
                params = {"type": kind, "key": key, "code": f"Key{key.upper()}"}
                params |= {"windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}
                if kind == "keyDown":
                    params |= {"text": key, "unmodifiedText": key}
                message = {"id": 2 * i + n + 1, "method": "Input.dispatchKeyEvent"}
                devtools.send(json.dumps({**message, "params": params}))
        answers = [json.loads(devtools.recv(timeout=60)) for _ in range(20)]
    assert [a for a in answers if "error" in a] == []


def test_ten_fast_presses_record_one_decision_for_the_passage_on_screen(dashboard, browser):
    """Ten presses of N within 200 ms decide the passage on screen once: the rest are
    refused, as made under a claim that is spent (or, landing on the next passage, as made
    too soon after it was served), and never become review rows. A burst the browser
    received over 200 ms or more (a machine too busy to send it in time), or a page too
    busy to handle presses until the next passage's 500 ms dwell is over (which may
    rightly let one decide it), is not counted: the next passage gets another, up to
    three."""
    url, db = dashboard
    port = free_port()
    keyboard = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--remote-debugging-port={port}"]
    )
    try:
        page = keyboard.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(20_000)
        sign_in(page, url, "fay", "fast.txt")
        page.evaluate(KEY_CLOCK)
        current = page.locator(CURRENT).first
        bursts = []
        for _ in range(3):
            text = on_screen(page)
            shown, before = passage_of(db, text), len(rows_of(db, "fay"))
            unfocus(page)
            page.evaluate("window.__keys = []")
            time.sleep(PAUSE)  # the passage has been read; then a key held down, or bounced
            ten_presses(port, page, "n")
            expect(current).not_to_contain_text(text)
            time.sleep(1.5)  # deliberate: any press still in flight has landed by now
            keys = page.evaluate("window.__keys")
            received = [round(k[0] - keys[0][0]) for k in keys]
            handled = [round(k[1] - keys[0][0]) for k in keys]
            bursts.append(timing := f"received at {received} ms, handled at {handled} ms")
            assert len(keys) == 10, timing
            rows = rows_of(db, "fay")[before:]
            assert rows[0] == (shown, "correct", 0, 0, 0, None), timing
            if received[-1] < 200 and handled[-1] < WITHIN_DWELL:
                assert rows == [(shown, "correct", 0, 0, 0, None)], timing
                following = passage_of(db, on_screen(page))
                assert following != shown
                assert read(db, "SELECT 1 FROM reviews WHERE passage_id = ?", (following,)) == []
                return
        pytest.fail(f"no ten presses within 200 ms handled within {WITHIN_DWELL} ms: {bursts}")
    finally:
        keyboard.close()


# Ten presses all handled this soon after the first are all inside the 500 ms dwell of the
# next passage: one decision, whatever the order they land in.
WITHIN_DWELL = 400


def test_the_reviewer_name_survives_a_reload_and_signs_the_next_decision(dashboard, page):
    url, db = dashboard
    name = "Dora Ö & co"  # a space, a non-ASCII letter and an ampersand survive the URL
    sign_in(page, url, name, "reload.txt")
    before = on_screen(page)
    page.reload()
    expect(page.get_by_label("Reviewer name")).to_have_value(name)
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(page.url).query)["reviewer"] == [name]
    choose_queue(page, "reload.txt")  # filters are not in the URL: chosen again
    # given back on reload, served again (once the reruns of choosing the queue are done)
    expect(page.locator(CURRENT).first).to_contain_text(before)
    desk = Desk(page, db, name)
    desk.decide("V")
    desk.check()
    assert read(db, "SELECT COUNT(*) FROM reviews WHERE reviewer LIKE 'Dora%'") == [(1,)]


def test_a_note_typed_after_a_reload_stays_while_the_queue_is_chosen_again(dashboard, page):
    """After a reload the passage held comes back, in the default queue; a note typed for
    it stays in its box while the reviewer chooses the queue again (a new claim on the
    same passage), and is saved with the decision on it."""
    url, db = dashboard
    sign_in(page, url, "jo", "renote.txt")
    before = on_screen(page)
    page.reload()
    expect(page.get_by_label("Reviewer name")).to_have_value("jo")
    expect(page.locator(CURRENT).first).to_contain_text(before)
    type_note(page, "typed before the queue")
    choose_queue(page, "renote.txt")
    expect(page.locator(CURRENT).first).to_contain_text(before)
    expect(note_box(page)).to_have_value("typed before the queue")
    Desk(page, db, "jo").decide("V")
    expect(note_box(page)).to_have_value("")  # the next passage's box
    assert reviews_by(db, "jo") == [
        (passage_of(db, before), "correct", 1, 0, 2, "typed before the queue")
    ]


def test_counters_agree_with_the_store_after_decisions_skips_and_undos(dashboard, page):
    url, db = dashboard
    sign_in(page, url, "gus", "counts.txt")
    desk = Desk(page, db, "gus")
    desk.check()
    for step in ["Y", "S", "N", "U", "S", "G", "U", "U", "V", "S", "U", "Y"]:
        desk.undo() if step == "U" else desk.decide(step)
        desk.check()
    desk.decide("S")
    desk.decide("S", last=True)  # the queue's last passage: only skipped ones are left
    desk.check()
    skipped = re.search(r"skipped (\d+)", progress_in_store(db, "gus"))[1]
    expect(page.get_by_text(f"Nothing is waiting in this queue. {skipped} skipped")).to_be_visible()


def test_an_hour_of_reviewing_stores_exactly_what_was_pressed(dashboard, page):
    """About 30 decisions with undos, skips, notes and a reload on the way: the review rows
    are what was pressed, in order, and nothing else."""
    url, db = dashboard
    sign_in(page, url, "hana", "hour.txt")
    desk = Desk(page, db, "hana")
    script = (
        "Y N G:described_wounds S V U P S U U Y N R U G:after_the_reload S Y N P V S U G"
        " Y:third_note N S U U Y N P V G S"
    ).split()
    for step in script:
        key, _, note = step.replace("_", " ").partition(":")
        if key == "U":
            desk.undo()
        elif key == "R":
            desk.check()  # so far, so right
            page.reload()
            expect(page.get_by_label("Reviewer name")).to_have_value("hana")
            choose_queue(page, "hour.txt")
        else:
            desk.decide(key, note=note or None)
    assert sum(step[0] in KEYS for step in script) >= 25
    desk.check()
    notes = read(db, "SELECT note FROM reviews WHERE reviewer = 'hana' AND note IS NOT NULL")
    assert notes == [("described wounds",), ("after the reload",), ("third note",)]


def test_the_toolbar_offers_reviewers_no_deploy_button(dashboard, page):
    """The dashboard runs on the newsroom's own machine: Streamlit's Deploy button and
    developer menu are left out (toolbarMode in the dashboard's .streamlit/config.toml)."""
    url, _ = dashboard
    page.goto(url)
    expect(page.get_by_text("Enter your name in the sidebar to start reviewing.")).to_be_visible()
    expect(page.get_by_test_id("stHeader")).to_be_attached()
    expect(page.get_by_role("button", name="Deploy")).to_have_count(0)


def test_passage_markup_is_shown_as_text_not_run(dashboard, page):
    url, _ = dashboard
    sign_in(page, url, "ben", "markup.txt")
    expect(page.get_by_text("xss · passage 1").first).to_be_visible()
    current = page.locator(CURRENT).first
    expect(current).to_contain_text('<script>window.__xss=1</script><img src=x onerror="window.')
    expect(decision_button(page, "G")).to_contain_text("Graphic")
    # markdown in a passage is text too: no bold, link, image or maths made of it
    expect(current).to_contain_text("**bold** [link](javascript:alert(3)) ![pixel]")
    assert_inert(page)


def test_markdown_after_any_line_break_is_shown_as_text_not_run(dashboard, page):
    """A bare CR pair, CR LF, the Unicode separators, NEL, VT and FF in a passage, a
    document id, a reviewer name and a note: no bold, link or image is made of what
    follows, on the Review page nor in the Statistics history, and nothing is fetched."""
    url, _ = dashboard
    sign_in(page, url, "ida", "breaks.txt")
    main = page.locator("[data-testid='stMain']")
    current = page.locator(CURRENT).first
    expect(current).to_contain_text("Police shot one.")  # passage 2 of the text
    expect(decision_button(page, "G")).to_contain_text("Graphic")
    assert_inert(page)
    expect(current).to_contain_text(f"{MARKDOWN} Police shot one.")
    expect(main.get_by_text(f"Gunmen shot four men.{MARKDOWN}")).to_have_count(2)  # in the
    # document, and in this passage's history; the document id in the heading:
    expect(main.locator(DETAIL).first).to_contain_text(f"breaks{MARKDOWN}{MARKDOWN}")
    page.get_by_role("radiogroup", name="Page").get_by_text("Statistics").click()
    history_of(page, BREAKS_KEY, "breaks-key")
    history = main.locator("[data-testid='stMarkdownContainer'] table")
    expect(history).to_contain_text(f"hal{MARKDOWN}{MARKDOWN}")  # (a <br> has no text)
    expect(history).to_contain_text(f"note{MARKDOWN}{MARKDOWN}")
    expect(main.get_by_text(f"Gunmen shot four men.{MARKDOWN}")).to_be_visible()
    assert_inert(page)


def test_file_names_and_document_ids_are_shown_as_text_not_run(dashboard, page):
    url, _ = dashboard
    sign_in(page, url, "cy", PAYLOAD_SOURCE)  # picked in the source filter by its literal text
    current = page.locator(CURRENT).first
    expect(current).to_contain_text("Troops shot three.")
    main = page.locator("[data-testid='stMain']")
    expect(main.get_by_text(f"Gunmen shot two men. {PAYLOAD}").first).to_be_visible()  # dimmed
    expect(main.locator(DETAIL).first).to_contain_text(PAYLOAD_KEY)
    expect(main.locator(DETAIL).first).to_contain_text(f"· from {PAYLOAD_SOURCE}")
    expect(decision_button(page, "G")).to_contain_text("Graphic")
    assert_inert(page)


def test_reviewer_names_and_notes_are_shown_as_text_not_run(dashboard, page):
    url, _ = dashboard
    page.goto(url)
    page.get_by_role("radiogroup", name="Page").get_by_text("Statistics").click()
    history_of(page, PAYLOAD_KEY, ":smile:")
    # the review history, under the (inert) data grid of disputed passages
    ours = page.locator("[data-testid='stMain'] [data-testid='stMarkdownContainer']")
    history = ours.locator("table")
    expect(history.get_by_role("cell", name=f"note {PAYLOAD}", exact=True)).to_be_visible()
    expect(history.get_by_role("cell", name=f"eve {PAYLOAD}", exact=True)).to_be_visible()
    expect(history.get_by_role("cell", name="plain note")).to_be_visible()
    expect(page.locator(CURRENT).first).to_have_text(f"1 Gunmen shot two men. {PAYLOAD}")
    expect(ours.locator(DETAIL).first).to_contain_text(PAYLOAD_KEY)
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
