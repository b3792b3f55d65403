"""The Review page: the queue (its order and filters, in the sidebar), then one passage at
a time with what the model claims about it, the decision bar with its keys, the note box,
the reviewer's recent decisions and the passage's document. A decision reruns only the
review pane; its callbacks record it through ``labeler.store``, which says what it means.

The decision bar stays in view at 1024x768: it sticks to the bottom of the window while
the passage or its document runs below it. Every text from outside is escaped before it
is put in HTML, and kept out of widget labels (which Streamlit reads as markdown).
"""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from labeler import config
from labeler.dashboard import landing
from labeler.dashboard.cards import card_of
from labeler.dashboard.render import context_html, escape, legend_html, scroll_script
from labeler.dashboard.session import (
    current_version,
    open_store,
    store_trouble_noticed,
    store_trouble_shown,
)
from labeler.dashboard.widgets import (
    blur_if_asked,
    heading,
    release_focus,
    show_history_of,
    warning_editor,
)
from labeler.dashboard.wording import (
    decision_words,
    document_name,
    label_safe,
    marked,
    model_claim,
    passage_name,
    review_point,
)
from labeler.labels import rubric
from labeler.learn.gate import review_thresholds
from labeler.passages import is_junk
from labeler.store.review import (
    GRAPHIC,
    IN_PASSING,
    NOT_VIOLENT,
    VIOLENT_NOT_GRAPHIC,
    Labels,
    label_text,
    model_labels,
)
from labeler.store.store import Claim, QueueFilter, StaleDecision, Store

ORDERS = {
    "Most uncertain first, varied": "active",
    "Second looks (probable mistakes)": "second",
    "Most uncertain first": "uncertain",
    "Highest score first": "score",
    "Document order": "document",
    "Skipped passages": "skipped",
}


# label, decision, corrected labels, keyboard shortcut ("C" and "R" are Streamlit's own;
# Streamlit shows each key on its button). Each button says what it records; "Agree" says
# which label agreeing gives.
CORRECTIONS = [
    ("Not violent", "correct", NOT_VIOLENT, "N"),
    ("Violent, in passing", "correct", IN_PASSING, "P"),
    ("Violent, described", "correct", VIOLENT_NOT_GRAPHIC, "V"),
    ("Graphic", "correct", GRAPHIC, "G"),
    ("Skip", "skip", None, "S"),
]
KEYS_HELP = (
    "Keys: Y agree with the model · N not violent · P violent, in passing · "
    "V violent, described · G graphic · S skip · U undo"
)
RECENT = 5  # decisions in the recent-decisions strip

# Our own constant, never built from user text (the background is one of BACKGROUNDS). The
# bar stays in the window: below the passage when that fits, else at the window's foot, and
# under Streamlit's header (3.75rem) when the reviewer scrolls down to the document. Its
# wrapper sticks, as a sticky box stays inside its parent and the bar's own parent is a
# wrapper just its size. The main column's top padding is trimmed so that a laptop screen
# holds passage and bar together.
STYLE = """<style>
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stLayoutWrapper"]:has(> .st-key-decision_bar) {
  position: sticky; top: 3.75rem; bottom: 0; z-index: 99; padding: 0.5rem 0 0.6rem;
  background: __BACKGROUND__; border-block: 1px solid rgba(128, 128, 128, 0.35);
}
</style>"""
BACKGROUNDS = {"light": "#ffffff", "dark": "#0e1117"}  # Streamlit's own two themes


def style() -> None:
    """The page's own style (the sticky bar, on the theme's background), as a style
    element that takes no space."""
    theme = st.context.theme.type if st.context.theme else None
    st.html(STYLE.replace("__BACKGROUND__", BACKGROUNDS.get(theme or "light", "#ffffff")))


def show_review(store: Store, reviewer: str) -> None:
    """The page: the queue's order and filters, then the review pane. A new queue (or
    reviewer) releases the passage this tab held, and claims afresh."""
    order = ORDERS[st.sidebar.radio("Queue order", list(ORDERS), key="order")]
    queue = queue_filter(store)
    if st.session_state.get("queue") != (reviewer, order, queue):  # claim afresh
        st.session_state["queue"] = (reviewer, order, queue)
        if held := st.session_state.pop("current", None):
            store.queue.release(held)  # the passage goes straight back to the queue
    with st.sidebar.expander("Labelling rubric"):
        st.markdown(rubric())
    st.sidebar.caption(KEYS_HELP)
    if not reviewer:
        st.info("Enter your name in the sidebar to start reviewing.")
        landing.show_landing(store, config.store_target())
        return
    review_pane(reviewer, order, queue)


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
            [None, *choices["model"]],
            format_func=lambda v: _any(marked(v, now) or None),
            key="f_model",
        )
    return QueueFilter(
        label=None if label == "any" else label,
        to_review=to_review,
        min_severity=int(severity),
        score_band=(float(band[0]), float(band[1])),
        source_path=source,
        model=version,
    )


def _any(value: str | None) -> str:
    return "any" if value is None else value


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


def show_passage(store: Store, claim: Claim) -> None:
    """The claimed passage, what the model claims about it, the decision bar, the note box,
    and its document opened at it. The decision keys are keyed by the claim, so a key
    press belongs to this passage alone; the note box is the page's one (``note_box``)."""
    p = store.documents.passage(claim.passage_id)
    passages = store.documents.passages_of(p["document_id"], p["model"])
    headline = next((x["text"] for x in passages if not is_junk(x["text"])), None)
    st.markdown(heading(p, headline), unsafe_allow_html=True)  # escaped inside
    stale_passage_banner(p["model"])
    show_claim(p)
    current = [x for x in passages if x["index"] == p["index"]]
    st.markdown(
        context_html(current, p["index"], p["evidence"]) + legend_html(), unsafe_allow_html=True
    )
    bar = st.container(key="decision_bar", horizontal=True, gap="small")
    note_box(claim.passage_id)  # sent before the bar's keys are: see note_box
    decision_bar(bar, store, claim, p)
    recent_strip(store, claim.reviewer)
    with st.expander(f"The whole document ({len(passages)} passages)", expanded=True):
        with st.container(height=320, key="whole-document"):
            st.markdown(context_html(passages, p["index"], p["evidence"]), unsafe_allow_html=True)
    scroll_to_passage(claim)
    with st.expander("Review history of this passage"):
        show_history_of(store, claim.passage_id)
    with st.expander("Content warning for this document"):
        view, _ = store.warnings.view(p["document_id"])  # the whole document, labels as they stand
        warning_editor(view, claim.reviewer, shortcut=False)


NOTE = "note"  # the note box's key: one box, for every passage
NOTE_FOR = "note_for"  # the passage the note box was last drawn for


def note_box(passage_id: int) -> None:
    """The note box: one box under one key, for every passage. What is typed in it stays
    there until a decision is recorded with it (which empties it: ``empty_note_box``) or
    another passage is shown (a note is about the passage it was typed for), so a note
    typed, then the queue chosen again (after a reload, say: the same passage is served
    again, under a new claim), is still there. A box keyed by the passage or the claim
    would be a new widget for each passage, and Streamlit's page keeps the widget it
    replaces beside its successor until the rerun is over, and at times longer: the old
    box, holding its note, next to the new one.

    The page learns that the box was emptied when this box reaches it, and until then it
    sends the note it still shows with anything pressed. So the box is drawn before the
    decision bar's keys are (the bar is placed above it first, and filled after): a key
    of the next passage is never pressed with the note of the one before."""
    if st.session_state.get(NOTE_FOR) != passage_id:
        st.session_state[NOTE_FOR] = passage_id
        empty_note_box()
    st.text_input(
        "Note (optional, saved with this decision only)", key=NOTE, on_change=release_focus
    )


def empty_note_box() -> None:
    """Empty the note box, in a callback (before the box is drawn): a decision took its
    note, or Undo or a decision reopened brings back a passage decided, to decide again."""
    st.session_state[NOTE] = ""


def stale_passage_banner(scored_by: str | None) -> None:
    """On the review page: a one-line banner when the passage on screen was scored by a
    model that is not the current one (its flags and scores are that model's). Small, so
    the decision bar below it stays in view at 1024 x 768."""
    current = current_version()
    if scored_by is not None and scored_by != current:
        line = (
            f"Scored by model {scored_by}, not the current model {current}: an admin can "
            "re-score the store (Model page)."
        )
        st.markdown(
            f'<p data-testid="stale-model" style="background:#fff3cd;color:#664d03;'
            f'padding:2px 8px;border-radius:4px;font-size:0.8rem;margin:0">{escape(line)}</p>',
            unsafe_allow_html=True,
        )


def show_claim(p: dict[str, Any]) -> None:
    """The model's claim about passage ``p`` in words, and its review-point status when the
    record has one (labeler score's ``review``), each with the scoring model's thresholds
    when its card is here."""
    card = card_of(p["model"]) if p["model"] else None
    lines = [model_claim(p, card["thresholds"] if card else None)]
    status = review_point(p, review_thresholds(card) if card else None)
    if status:
        lines.append(status)
    html = "<br>".join(escape(line) for line in lines)
    st.markdown(f'<p data-testid="model-claim">{html}</p>', unsafe_allow_html=True)


def actions(p: dict[str, Any]) -> list[tuple[str, str, Labels | None, str]]:
    """The decision bar's buttons for passage ``p``: Agree (with the label it records),
    then each label and Skip."""
    agreed = label_text(model_labels(p["flags"], p["severity"]))
    return [(f"Agree: {agreed}", "confirm", None, "Y"), *CORRECTIONS]


def decision_bar(bar: DeltaGenerator, store: Store, claim: Claim, p: dict[str, Any]) -> None:
    """One row of buttons in ``bar``, each with its key, and Undo: the bar that stays in
    view."""
    with bar:
        for label, decision, labels, key in actions(p):
            st.button(
                label,
                key=f"act-{key}-{claim.token}",
                shortcut=key,
                on_click=record_decision,
                args=(claim, decision, labels),  # all alike: agreeing is not the default
            )
        undo_button(store, claim.reviewer)


def undo_button(store: Store, reviewer: str) -> None:
    """Undo, bound to the decision the reviewer last saw: a second press undoes nothing."""
    last = store.reviews.last(reviewer)
    st.button(
        "Undo",
        key=f"undo-{last.id if last else 'none'}",
        shortcut="U",
        on_click=undo,
        args=(reviewer, last.id if last else 0),
        disabled=last is None,
    )


def recent_strip(store: Store, reviewer: str) -> None:
    """The reviewer's last decisions, newest first, each one click from being decided
    again. A document's name is user text: its button label keeps only letters, digits,
    spaces, dots and hyphens (Streamlit reads a label as markdown)."""
    recent = store.reviews.recent(reviewer, RECENT)
    if not recent:
        return
    st.caption("Your last decisions, newest first (click one to decide it again):")
    with st.container(key="recent", horizontal=True, gap="small"):
        for decided in recent:
            st.button(
                f"{label_safe(document_name(decided.record_id))} · passage {decided.index + 1}: "
                f"{decision_words(decided.review)}",
                key=f"reopen-{decided.review.id}",
                on_click=reopen,
                args=(reviewer, decided.review.passage_id),
                icon=":material/undo:",
                type="tertiary",
            )


def scroll_to_passage(claim: Claim) -> None:
    """Open the whole document at the passage being reviewed, once per passage served: a
    rerun for the same passage (a note entered) leaves the reader's own scrolling alone.
    The claim's token (a hex string of ours) makes each passage's script new to the page,
    which runs a script only when it changes."""
    if st.session_state.get("scrolled_to") != claim.token:
        st.session_state["scrolled_to"] = claim.token
        script = scroll_script("whole-document", "current-passage", claim.token)
        st.html(script, unsafe_allow_javascript=True)


@store_trouble_noticed
def record_decision(claim: Claim, decision: str, labels: Labels | None) -> None:
    """Record one decision on the claimed passage, with the note typed for it alone."""
    note = st.session_state.get(NOTE, "").strip() or None
    with open_store() as store:
        try:
            store.reviews.record(claim, decision, labels, note)
        except StaleDecision as refused:
            st.session_state["notice"] = f"{named(store, claim.passage_id)}: {refused}."
            if store.queue.is_current(claim):
                return  # pressed too soon: the same passage stays on screen
        else:
            empty_note_box()
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
        empty_note_box()


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
    empty_note_box()


def named(store: Store, passage_id: int) -> str:
    """A passage as reviewers know it (its document, its number there from 1), never by
    its database id."""
    p = store.documents.passage(passage_id)
    return passage_name(p["record_id"], p["index"])
