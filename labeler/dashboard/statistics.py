"""The Statistics page: review figures with their n and 95% interval (or "too few to say"),
each reviewer's work, and the disagreements, which an admin resolves by picking the final
label (``store.adjudications.record``).

Figures come from ``labeler.store.agreement``; every text from outside (passages,
reviewer names, notes) goes into a dataframe cell or escaped HTML, never into markdown.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from labeler import config
from labeler.dashboard.render import escape
from labeler.dashboard.widgets import show_history_of
from labeler.dashboard.wording import document_name, passage_name
from labeler.store.adjudication import Adjudication
from labeler.store.agreement import (
    MIN_KAPPA,
    MIN_SHARE,
    Estimate,
    interval_text,
    reviewer_statistics,
    shown,
    statistics,
    value_text,
)
from labeler.store.review import (
    GRAPHIC,
    IN_PASSING,
    NOT_VIOLENT,
    VIOLENT_NOT_GRAPHIC,
    Reviewed,
    label_text,
)
from labeler.store.store import Store, StoreError

FINAL_LABELS = (NOT_VIOLENT, IN_PASSING, VIOLENT_NOT_GRAPHIC, GRAPHIC)
FIGURES = {  # figure: (what it says, what it is measured on)
    "precision": ("precision of the model's flags", "flagged passages reviewed"),
    "agreement": ("reviewer-model agreement", "reviewed passages"),
    "kappa": ("Cohen's kappa between reviewers", "passages two people reviewed"),
}


def show_statistics(store: Store, reviewer: str) -> None:
    """The page: figures, reviewers, disagreements, then one passage's review history."""
    items = store.labelled.items()
    stats = statistics(items)
    st.header("Statistics")
    st.caption(
        f"{stats['reviewed']} passages with a current label. Each figure has its 95% interval "
        f"and the number it is measured on (n); below {MIN_SHARE} (kappa: {MIN_KAPPA}) it is "
        "too few to say."
    )
    if not items:
        st.info("No reviews yet.")
        return
    st.dataframe(figure_rows(stats["labels"]), hide_index=True, key="figures")
    show_reviewers(store, items)
    show_double_review(store, items)
    chosen = show_disagreements(store, items, stats, reviewer)
    st.subheader("Review history")
    if chosen is None:
        names = {i.passage_id: passage_name(i.record_id, i.index) for i in items}
        chosen = st.selectbox(
            "Reviewed passage", list(names), format_func=names.__getitem__, key="history_of"
        )
    show_history_of(store, chosen)
    show_adjudications(store.adjudications.by_passage(chosen).get(chosen, []))


def figure_rows(labels: dict[str, dict[str, Estimate]]) -> list[dict[str, Any]]:
    """One row a label and figure: the figure (or "too few to say"), its interval, n."""
    rows = []
    for label, figures in labels.items():
        for key, (what, measured_on) in FIGURES.items():
            e, form = figures[key], "coefficient" if key == "kappa" else "percent"
            rows.append(
                {
                    "label": label,
                    "figure": what,
                    "estimate": value_text(e, form),
                    "95% interval": interval_text(e, form) or None,
                    "n": e.n,
                    "n counts": measured_on,
                }
            )
    return rows


def show_reviewers(store: Store, items: list[Reviewed]) -> None:
    st.subheader("Reviewers")
    st.dataframe(
        [
            {
                "reviewer": f.reviewer,
                "decisions": f.decisions,
                "labels standing": f.labelled,
                "seconds per decision": shown(f.seconds_per_decision, "seconds"),
                "agreement with others": shown(f.agreement),
            }
            for f in reviewer_statistics(store.reviews.all(), items)
        ],
        hide_index=True,
        key="reviewers",
    )
    st.caption(
        "Seconds per decision: the median pause between two decisions in a sitting (pauses "
        "over 10 minutes left out), with the middle half of pauses. Agreement with others: "
        "the share of passages another reviewer also labelled where both gave the same label."
    )


def show_double_review(store: Store, items: list[Reviewed]) -> None:
    percent = store.admin.double_review_percent()
    doubled = sum(len(i.by_reviewer) >= 2 for i in items)
    share = f"{percent:g}% of passages go to a second reviewer" if percent else "no double review"
    st.caption(
        f"Double review: {share} (set by an admin on the Model page); {doubled} passages have "
        "been labelled by two or more people."
    )


def show_disagreements(
    store: Store, items: list[Reviewed], stats: dict, reviewer: str
) -> int | None:
    """The passages reviewers disagree on, unresolved first; the selected one's id."""
    st.subheader("Passages where reviewers disagree")
    disputed = [i for i in items if i.disputed]
    disputed.sort(key=lambda i: (not i.unresolved, i.passage_id))
    if not disputed:
        st.info("No disagreements yet: no passage has two reviewers with different labels.")
        return None
    st.caption(
        f"{len(stats['unresolved'])} unresolved (left out of training until an admin picks "
        f"the final label), {len(stats['resolved'])} resolved."
    )
    table = st.dataframe(
        [
            {
                "document": document_name(i.record_id),
                "passage": i.index + 1,
                "final label": label_text(i.adjudicated) if i.adjudicated else "unresolved",
                "text": i.text,
                # "by ": a reviewer named "text" must not overwrite the text column
                **{f"by {who}": label_text(lab) for who, lab in i.by_reviewer.items()},
            }
            for i in disputed
        ],
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="disputes",
    )
    rows = table.selection.rows
    selected = disputed[rows[0]] if rows else None
    st.caption("Select a row to see its review history below.")
    adjudicate_form(store, disputed, selected, reviewer)
    return selected.passage_id if selected else None


def adjudicate_form(
    store: Store, disputed: list[Reviewed], selected: Reviewed | None, reviewer: str
) -> None:
    """For admins: pick the final label of a disputed passage (the selected row's, or one
    chosen here, unresolved ones first), with a note."""
    if reviewer not in config.admins():
        st.caption("Resolving a disagreement is for admins (LABELER_ADMINS).")
        return
    st.subheader("Resolve a disagreement")
    if done := st.session_state.pop("adjudicated", None):
        st.success(done)
    names = {
        i.passage_id: passage_name(i.record_id, i.index)
        + (f" (resolved: {label_text(i.adjudicated)})" if i.adjudicated else "")
        for i in disputed
    }
    if selected is not None:
        st.session_state["resolve"] = selected.passage_id
    chosen = st.selectbox(
        "Disputed passage", list(names), format_func=names.__getitem__, key="resolve"
    )
    item = next(i for i in disputed if i.passage_id == chosen)
    with st.form(key="adjudicate", border=True, clear_on_submit=True):
        said = "; ".join(f"{who}: {label_text(lab)}" for who, lab in item.by_reviewer.items())
        st.markdown(  # reviewer names are typed by reviewers: escaped
            f'<p style="font-size:0.875rem;opacity:0.7">Reviewers said: {escape(said)}</p>',
            unsafe_allow_html=True,
        )
        start = FINAL_LABELS.index(item.adjudicated) if item.adjudicated else 0
        choice = st.radio("Final label", FINAL_LABELS, index=start, format_func=label_text)
        note = st.text_input("Note (why)")
        if st.form_submit_button("Record the final label"):
            try:
                store.adjudications.record(item.passage_id, reviewer, choice, note)
            except StoreError as refused:
                st.error(str(refused))
                return
            st.session_state["adjudicated"] = f"Final label recorded: {label_text(choice)}."
            st.rerun()  # the table shows it resolved


def show_adjudications(adjudications: list[Adjudication]) -> None:
    """A passage's adjudications, the standing one last; every text escaped."""
    if not adjudications:
        return
    lines = "".join(
        f"<li>{escape(str(a.decided_at)[:19].replace('T', ' '))}: {escape(a.adjudicator)} "
        f"picked <b>{escape(label_text(a.labels))}</b>"
        + (f": {escape(a.note)}" if a.note else "")
        + "</li>"
        for a in adjudications
    )
    st.markdown(
        f"<p>Adjudicated (the last one stands):</p><ul>{lines}</ul>", unsafe_allow_html=True
    )
