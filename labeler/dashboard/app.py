"""Review dashboard: confirm or correct each flagged passage, one key per decision.

    labeler dashboard             (or, in a checkout: streamlit run app.py)

The store: LABELER_DB, else LABELER_HOME/labeler.db. The app only decides what to show;
``labeler.store.review`` says what a decision means and ``labeler.store`` keeps it. Every
text that comes from outside (passages, document keys, file names, reviewer names, notes)
is escaped before any HTML, or shown in a code block; SQL only ever gets values as
parameters. See README, "Threat model".
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from labeler import config
from labeler.dashboard import landing, review_page
from labeler.dashboard.documents import show_documents, warning_editor
from labeler.dashboard.import_page import current_model_dir, show_import_export
from labeler.dashboard.model_page import (
    current_version,
    marked,
    show_model,
    stale_passage_banner,
)
from labeler.dashboard.render import (
    context_html,
    heading_html,
    history_html,
    legend_html,
    scroll_script,
)
from labeler.dashboard.statistics import show_statistics
from labeler.dashboard.wording import document_name, passage_name
from labeler.labels import rubric
from labeler.passages import is_junk
from labeler.scoring import cached_model
from labeler.store.db import POSTGRES_SCHEMES, StoreLocked, StoreUnavailable, missing
from labeler.store.review import Labels, history
from labeler.store.store import Claim, QueueFilter, StaleDecision, Store, StoreError

ORDERS = {
    "Most uncertain first, varied": "active",
    "Second looks (probable mistakes)": "second",
    "Most uncertain first": "uncertain",
    "Highest score first": "score",
    "Document order": "document",
    "Skipped passages": "skipped",
}


def open_store() -> Store:
    """A connection for this run: SQLite connections must stay in one thread, and
    Streamlit runs each rerun (and its callbacks) in whichever thread it likes. The store
    is never created here (``labeler dashboard --create`` makes one): one that does not
    exist, or was deleted, is reported, not replaced."""
    target = config.store_target()
    keep_sqlite_open(target)
    return Store(
        target,
        min_dwell=config.min_dwell(),
        model_version=cached_model(current_model_dir()).version,  # its scores are shown
        create=False,
        lock_wait=config.lock_wait(),
    )


@contextmanager
def store_trouble_shown() -> Iterator[None]:
    """A store that is gone, unreachable or locked is one line on the page, no traceback."""
    try:
        yield
    except StoreError as trouble:
        st.error(trouble_line(trouble))


def store_trouble_noticed(callback: Callable[..., None]) -> Callable[..., None]:
    """A callback whose store trouble becomes the notice shown next, no traceback."""

    @functools.wraps(callback)
    def wrapper(*args: Any) -> None:
        try:
            callback(*args)
        except StoreError as trouble:
            st.session_state["notice"] = trouble_line(trouble)

    return wrapper


def trouble_line(trouble: StoreError) -> str:
    """The one line a store error is shown as; a store out of reach says so first."""
    if isinstance(trouble, StoreUnavailable | StoreLocked):
        return f"The review store is unavailable: {trouble}"
    return str(trouble)


@st.cache_resource(show_spinner=False)
def keep_sqlite_open(target: str) -> sqlite3.Connection | None:
    """An idle connection to a SQLite store, held for the server's life and never used.

    Each run opens and closes its own connection; when the one closing is the file's last,
    SQLite checkpoints the WAL into the database and deletes it, and the next run's open
    rebuilds it: 10-30 ms a decision (twice: its callback, then the pane's rerun). With
    this one held open, closing is cheap, and SQLite still checkpoints as the WAL grows."""
    if str(target).startswith(POSTGRES_SCHEMES):
        return None
    held = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
    held.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # no transaction left open
    return held


TO_REVIEW_HELP = (
    "Only passages flagged, or under the flag but at the review point (a lower threshold,"
    " so that little violence is missed): of the label chosen above, or of either. A passage"
    " scored before the store kept review points counts by its flags."
)


def queue_filter(store: Store) -> QueueFilter:
    """The sidebar's queue filters."""
    with st.sidebar.expander("Filters"):
        label = st.selectbox("Flagged", ["any", "violence", "graphic"], key="f_label")
        to_review = st.checkbox("Flagged or to review", key="f_review", help=TO_REVIEW_HELP)
        severity = st.selectbox("Severity at least", [0, 1, 2, 3], key="f_severity")
        band = st.slider("Score band", 0.0, 1.0, (0.0, 1.0), 0.05, key="f_band")
        choices = store.queue.choices()
        # None for "any", so that a file or version really named "any" can be chosen too
        source = st.selectbox(
            "Source file", [None, *choices["source_path"]], format_func=_any, key="f_source"
        )
        now = current_version()
        version = st.selectbox(
            "Model version",
            [None, *choices["model_version"]],
            format_func=lambda v: _any(marked(v, now) or None),
            key="f_model",
        )
    return QueueFilter(
        label=None if label == "any" else label,
        to_review=to_review,
        min_severity=int(severity),
        score_band=(float(band[0]), float(band[1])),
        source_path=source,
        model_version=version,
    )


def _any(value: str | None) -> str:
    return "any" if value is None else value


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except FileNotFoundError:  # no secrets file at all
        return False


def reviewer_name() -> str:
    """The signed-in user when OIDC is configured (secrets [auth]), else a name given.

    With OIDC configured there is no name box: "" until the user logs in. A typed name is
    kept in the URL (``?reviewer=``), so a reload keeps attributing decisions to it."""
    if st.user.get("is_logged_in", False):
        return str(st.user.get("email") or st.user.get("name"))
    if auth_configured():
        st.sidebar.button("Log in", key="login", on_click=st.login)
        return ""
    if "reviewer" not in st.session_state:
        st.session_state["reviewer"] = st.query_params.get("reviewer", "")
    name = st.sidebar.text_input("Reviewer name", key="reviewer", on_change=release_focus)
    name = name.strip()
    if st.query_params.get("reviewer", "") != name:
        st.query_params["reviewer"] = name
    return name


# Our own constant, never built from user text: the one script the dashboard runs.
BLUR = "<script>document.activeElement && document.activeElement.blur()</script>"


def release_focus() -> None:
    """A text box was applied (Enter): take the focus off it, so that the next key is a
    shortcut. Left in the box, "Y" would be typed into it, and a name "anaY" would sign
    the decisions that follow."""
    st.session_state["release_focus"] = True


def blur_if_asked() -> None:
    """Run BLUR after release_focus: in the whole page's rerun, or in the review pane's
    (a note is entered there, and reruns only the pane)."""
    if st.session_state.pop("release_focus", False):
        st.html(BLUR, unsafe_allow_javascript=True)


@store_trouble_noticed
def record_decision(claim: Claim, decision: str, labels: Labels | None) -> None:
    """Record one decision on the claimed passage, with the note typed for it alone."""
    note = st.session_state.get(f"note-{claim.token}", "").strip() or None
    with open_store() as store:
        try:
            store.reviews.record(claim, decision, labels, note)
        except StaleDecision as refused:
            st.session_state["notice"] = f"{named(store, claim.passage_id)}: {refused}."
            if store.queue.is_current(claim):
                return  # pressed too soon: the same passage stays on screen
    st.session_state.pop("current", None)


@store_trouble_noticed
def undo(reviewer: str, review_id: int) -> None:
    """Undo the decision the reviewer last saw, and go back to its passage."""
    with open_store() as store:
        try:
            passage_id = store.reviews.undo(reviewer, review_id)
        except StaleDecision as refused:
            st.session_state["notice"] = str(refused).capitalize() + "."
            return
        claim = store.queue.claim(passage_id, reviewer)  # back to it, to decide again
        if held := st.session_state.pop("current", None):
            store.queue.release(held)  # the passage this tab showed goes back to the queue
        st.session_state["notice"] = f"Undid your decision on {named(store, passage_id)}."
    if claim is not None:
        st.session_state["current"] = claim


@store_trouble_noticed
def reopen(reviewer: str, passage_id: int) -> None:
    """Serve a passage the reviewer decided earlier, to decide it again: the new decision
    becomes its label, and the earlier one stays in its history. The passage this tab
    showed goes back to the queue."""
    with open_store() as store:
        claim = store.queue.claim(passage_id, reviewer)
        name = named(store, passage_id)
        if claim is not None and (held := st.session_state.pop("current", None)):
            if held.passage_id != passage_id:
                store.queue.release(held)
    if claim is None:
        st.session_state["notice"] = f"{name} is open for another reviewer just now."
        return
    st.session_state["current"] = claim
    st.session_state["notice"] = f"Reopened {name}: your next key decides it again."


def named(store: Store, passage_id: int) -> str:
    """A passage as reviewers know it (its document, its number there from 1), never by
    its database id."""
    p = store.documents.passage(passage_id)
    return passage_name(p["doc_key"], p["idx"])


def main() -> None:
    st.set_page_config(page_title="labeler review", layout="wide")
    blur_if_asked()
    review_page.style()
    target = config.store_target()
    if missing(target):  # opening it would make an empty store that looks reviewed
        landing.show_missing(target)
        return
    with store_trouble_shown(), open_store() as store:
        page(store)


PAGES = ["Review", "Documents", "Statistics", "Model", "Import & export"]


def page(store: Store) -> None:
    chosen = st.sidebar.radio("Page", PAGES, key="page")
    reviewer = reviewer_name()  # on every page: admin rights on the Model page follow it
    if auth_configured() and not reviewer:  # OIDC configured: no page without logging in
        st.info("Log in (button in the sidebar) to use the dashboard.")
        return
    landing.store_caption(config.store_target())
    if chosen == "Documents":
        show_documents(store, reviewer)
        return
    if chosen == "Statistics":
        show_statistics(store, reviewer, show_history_of)
        return
    if chosen == "Import & export":
        show_import_export(store)
        return
    if chosen == "Model":
        show_model(store, reviewer)
        return
    order = ORDERS[st.sidebar.radio("Queue order", list(ORDERS), key="order")]
    queue = queue_filter(store)
    if st.session_state.get("queue") != (reviewer, order, queue):  # claim afresh
        st.session_state["queue"] = (reviewer, order, queue)
        if held := st.session_state.pop("current", None):
            store.queue.release(held)  # the passage goes straight back to the queue
    with st.sidebar.expander("Labelling rubric"):
        st.markdown(rubric())
    st.sidebar.caption(review_page.KEYS_HELP)
    if not reviewer:
        st.info("Enter your name in the sidebar to start reviewing.")
        landing.show_landing(store, config.store_target())
        return
    review_pane(reviewer, order, queue)


@st.fragment
def review_pane(reviewer: str, order: str, queue: QueueFilter) -> None:
    """The passage, its document and the decision keys. A decision reruns only this pane,
    so the next passage is painted without redrawing the sidebar."""
    blur_if_asked()
    with store_trouble_shown(), open_store() as store:
        if notice := st.session_state.pop("notice", None):
            st.toast(notice)
        if st.session_state.get("current") is None:  # an empty queue is looked at again
            st.session_state["current"] = serve(store, reviewer, order, queue)
        claim: Claim | None = st.session_state["current"]
        progress = store.queue.progress(reviewer)
        show_progress(progress)
        if claim is None:
            claimed = 0 if order == "second" else store.queue.claimed(order, queue)
            st.success(empty_message(progress, order, claimed))
            with st.container(key="decision_bar"):
                undo_button(store, reviewer)
            recent_strip(store, reviewer)
            return
        show_passage(store, claim)


def serve(store: Store, reviewer: str, order: str, queue: QueueFilter) -> Claim | None:
    """The passage this tab shows next. A tab's first (a reload, a new tab) is the one its
    reviewer already holds, if any: a reload gets its passage back, and a second tab shares
    the first's until one decides it. After that each tab holds its own passage, so two
    tabs of one reviewer both keep working."""
    if st.session_state.get("served") != reviewer:
        st.session_state["served"] = reviewer
        if held := store.queue.held(reviewer):
            return held
    claimed = (
        store.queue.next_second_look(reviewer)
        if order == "second"
        else store.queue.next(reviewer, order=order, queue=queue)
    )
    return claimed["claim"] if claimed else None


def show_progress(progress: dict[str, int]) -> None:
    st.caption(
        f"Labelled {progress['reviewed']} · waiting {progress['remaining']} · "
        f"skipped {progress['skipped']} · labelled by you {progress['by_you']} · "
        f"flagged and waiting: {progress['violence_waiting']} violence, "
        f"{progress['graphic_waiting']} graphic"
    )


def empty_message(progress: dict[str, int], order: str, claimed: int) -> str:
    """What an empty queue means: its passages are being reviewed (``claimed`` of them, by
    others or in another tab), only skipped passages are left, or nothing is waiting."""
    if order == "second":
        return "No second looks are waiting for you."
    if claimed:
        which = "1 passage is" if claimed == 1 else f"{claimed} passages are"
        return (
            f"Nothing is waiting for you: {which} being reviewed in this queue, by another"
            " reviewer or in another tab, and not decided yet. One left open comes back when"
            " its claim expires: press R to look again."
        )
    if order == "skipped":
        return "No skipped passages are left: every one has a label."
    if progress["skipped"]:
        return (
            f"Nothing is waiting in this queue. {progress['skipped']} skipped passages are "
            'still unlabelled: choose the queue order "Skipped passages" to review them.'
        )
    return "Nothing is waiting: every passage in this queue has a label."


def undo_button(store: Store, reviewer: str) -> None:
    review_page.undo_button(store.reviews.last(reviewer), undo, reviewer)


def recent_strip(store: Store, reviewer: str) -> None:
    review_page.recent_strip(store.reviews.recent(reviewer, review_page.RECENT), reopen, reviewer)


def show_history_of(store: Store, passage_id: int) -> None:
    """One passage's review history, notes included, for audit: all of it escaped."""
    p = store.documents.passage(passage_id)
    text = context_html([{"idx": p["idx"], "text": p["text"]}], p["idx"], [])
    st.markdown(heading(p) + text, unsafe_allow_html=True)  # every text inside is escaped
    rows = history(store.reviews.of(passage_id))
    if not rows:
        st.info("No reviews of this passage yet.")
        return
    st.markdown(history_html(rows), unsafe_allow_html=True)


def heading(p: dict[str, Any], headline: str | None = None) -> str:
    """A passage's document (by name, and its headline), position, scoring model and
    source, as escaped HTML (the model's claim is said in words below it)."""
    detail = (
        f"model {p['model_version']} · violence {p['violence']:.2f} · graphic {p['graphic']:.2f}"
    )
    if p["doc_key"] != document_name(p["doc_key"]):
        detail += f" · {p['doc_key']}"
    if p["source_path"] and p["source_path"] != p["doc_key"]:
        detail += f" · from {p['source_path']}"
    title = passage_name(p["doc_key"], p["idx"])
    if headline:
        detail = f"{headline[:200]}\n{detail}"  # escape() makes the break a <br>
    return heading_html(title, detail)


def show_passage(store: Store, claim: Claim) -> None:
    """The claimed passage, what the model claims about it, the decision bar, the note box,
    and its document opened at it. Every widget is keyed by the claim, so a note or a key
    press belongs to this passage alone."""
    p = store.documents.passage(claim.passage_id)
    passages = store.documents.passages_of(p["document_id"], p["model_version"])
    headline = next((x["text"] for x in passages if not is_junk(x["text"])), None)
    st.markdown(heading(p, headline), unsafe_allow_html=True)  # escaped inside
    stale_passage_banner(p["model_version"])
    review_page.show_claim(p)
    current = [x for x in passages if x["idx"] == p["idx"]]
    st.markdown(
        context_html(current, p["idx"], p["evidence"]) + legend_html(), unsafe_allow_html=True
    )
    review_page.decision_bar(claim, p, record_decision, lambda: undo_button(store, claim.reviewer))
    st.text_input(
        "Note (optional, saved with this decision only)",
        key=f"note-{claim.token}",
        on_change=release_focus,
    )
    recent_strip(store, claim.reviewer)
    with st.expander(f"The whole document ({len(passages)} passages)", expanded=True):
        with st.container(height=320, key="whole-document"):
            st.markdown(context_html(passages, p["idx"], p["evidence"]), unsafe_allow_html=True)
    scroll_to_passage(claim)
    with st.expander("Review history of this passage"):
        show_history_of(store, claim.passage_id)
    with st.expander("Content warning for this document"):
        view, _ = store.warnings.view(p["document_id"])  # the whole document, labels as they stand
        warning_editor(view, claim.reviewer, shortcut=False)


def scroll_to_passage(claim: Claim) -> None:
    """Open the whole document at the passage being reviewed, once per passage served: a
    rerun for the same passage (a note entered) leaves the reader's own scrolling alone.
    The claim's token (a hex string of ours) makes each passage's script new to the page,
    which runs a script only when it changes."""
    if st.session_state.get("scrolled_to") != claim.token:
        st.session_state["scrolled_to"] = claim.token
        script = scroll_script("whole-document", "current-passage", claim.token)
        st.html(script, unsafe_allow_javascript=True)


if __name__ == "__main__":  # streamlit run labeler/dashboard/app.py
    main()
