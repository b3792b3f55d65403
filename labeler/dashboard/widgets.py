"""Widgets more than one page draws: the focus taken off a text box once it is applied
(the reviewer's name, a note), a passage's heading and review history (Review,
Statistics), and a document's warning editor (Documents, Review).

Every text from outside is escaped before it is put in HTML, or shown in a code block.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from labeler import config
from labeler.dashboard.render import caption_html, context_html, heading_html, history_html
from labeler.dashboard.wording import document_name, passage_name
from labeler.depicted_acts import BY_KEY, CATEGORIES
from labeler.store.review import history
from labeler.store.store import Store, StoreError
from labeler.store.warnings import SUGGESTED, DocumentWarning
from labeler.warning import LEVELS

# Our own constant, never built from user text: the one script the dashboard runs.
BLUR = "<script>document.activeElement && document.activeElement.blur()</script>"


def release_focus() -> None:
    """A text box was applied (Enter): take the focus off it, so that the next key is a
    shortcut. Left in the box, "Y" would be typed into it, and a name "anaY" would sign
    the decisions that follow."""
    st.session_state["release_focus"] = True


def blur_if_asked() -> None:
    """Run BLUR after release_focus: in the whole page's rerun, or in the review pane's
    (a note is entered there, and reruns only the pane). Its place is taken in every run,
    asked or not, so that what follows keeps its place on the page: where a widget was,
    anything else drawn makes Streamlit's page keep the widget beside it, stale, until
    the run is over (a box or a key shown twice)."""
    place = st.empty()
    if st.session_state.pop("release_focus", False):
        place.html(BLUR, unsafe_allow_javascript=True)


def show_history_of(store: Store, passage_id: int) -> None:
    """One passage's review history, notes included, for audit: all of it escaped."""
    p = store.documents.passage(passage_id)
    text = context_html([{"index": p["index"], "text": p["text"]}], p["index"], [])
    st.markdown(heading(p) + text, unsafe_allow_html=True)  # every text inside is escaped
    rows = history(store.reviews.of(passage_id))
    if not rows:
        st.info("No reviews of this passage yet.")
        return
    st.markdown(history_html(rows), unsafe_allow_html=True)


def heading(p: dict[str, Any], headline: str | None = None) -> str:
    """A passage's document (by name, and its headline), position, scoring model and
    source, as escaped HTML (the model's claim is said in words below it)."""
    detail = f"model {p['model']} · violence {p['violence']:.2f} · graphic {p['graphic']:.2f}"
    if p["record_id"] != document_name(p["record_id"]):
        detail += f" · {p['record_id']}"
    if p["source_path"] and p["source_path"] != p["record_id"]:
        detail += f" · from {p['source_path']}"
    title = passage_name(p["record_id"], p["index"])
    if headline:
        detail = f"{headline[:200]}\n{detail}"  # escape() makes the break a <br>
    return heading_html(title, detail)


def warning_editor(view: DocumentWarning, editor: str, shortcut: bool) -> None:
    """The suggested warning, its status, and the editor's decisions: accept it (one key,
    with ``shortcut``), no warning needed, or an edited line. Each is appended with the
    editor's name and time."""
    if notice := st.session_state.pop("doc_notice", None):
        st.toast(notice)  # the decision just made, on either page
    suggested = view.suggested
    line = f"Status: {view.status}" + (" · needs a decision" if view.needs_decision else "")
    if view.decision:
        when = view.decision.decided_at[:19].replace("T", " ")
        line += f" · set by {view.decision.editor} at {when}"
    st.markdown(caption_html(line), unsafe_allow_html=True)  # an editor's name, escaped
    st.code(view.warning["text"] or "No content warning", language=None, wrap_lines=True)
    if view.status != SUGGESTED and view.warning != suggested:
        st.caption("Suggested now, from the current labels:")
        st.code(suggested["text"] or "No content warning", language=None, wrap_lines=True)
    if not editor:
        st.info("Enter your name in the sidebar to decide warnings.")
        return
    key = view.document_id
    accept, no_warning = st.columns(2)
    accept.button(
        "Accept warning (A)" if shortcut else "Accept warning",
        key=f"wa-{key}",
        shortcut="A" if shortcut else None,
        on_click=_decide,
        args=(key, editor, "accept" if suggested["level"] != "none" else "none", suggested),
        disabled=view.status == "accepted" and not view.needs_decision,
        width="stretch",
    )
    no_warning.button(
        "No warning needed",
        key=f"wn-{key}",
        on_click=_decide,
        args=(key, editor, "none", {"level": "none", "text": None, "categories": []}),
        width="stretch",
    )
    with st.expander("Edit the warning"):
        current = view.warning
        st.selectbox(
            "Warning level",
            LEVELS[1:],
            index=max(0, LEVELS.index(current["level"]) - 1),
            key=f"wl-{key}",
        )
        st.multiselect(
            "Categories",
            [c.key for c in CATEGORIES],
            default=current["categories"],
            format_func=lambda k: BY_KEY[k].wording,
            key=f"wc-{key}",
        )
        st.text_input("Warning line", value=current["text"] or "", key=f"wt-{key}")
        st.button("Save edited warning", key=f"ws-{key}", on_click=_edit, args=(key, editor))


def _decide(document_id: int, editor: str, decision: str, warning: dict[str, Any]) -> None:
    """Record one warning decision; a refusal, or a store out of reach, is shown, never
    raised. (The store is never created here: one deleted meanwhile is reported.)"""
    try:
        with Store(config.store_target(), create=False, lock_wait=config.lock_wait()) as store:
            store.warnings.record(document_id, editor, decision, warning)
    except StoreError as refused:
        st.session_state["doc_notice"] = f"Not saved: {refused}"
        return
    st.session_state["doc_notice"] = f"Warning {DONE[decision]}."


DONE = {"accept": "accepted", "edit": "saved", "none": "set: no warning needed"}


def _edit(document_id: int, editor: str) -> None:
    """Save the edited warning typed in the editor's boxes."""
    level = st.session_state[f"wl-{document_id}"]
    warning = {
        "level": level,
        "text": st.session_state[f"wt-{document_id}"],
        "categories": st.session_state[f"wc-{document_id}"],
    }
    _decide(document_id, editor, "edit", warning)
