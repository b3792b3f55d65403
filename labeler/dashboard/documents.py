"""Documents page: every document with its content warning and how far its review has got.

One row per document (name, headline, warning, status, passages reviewed and waiting),
sortable and filtered by level, category and "needs a decision". Opening a row shows the
whole document, its flagged passages highlighted, scrolled to the first of them in place,
and the warning editor: **A** accepts the suggested warning. The suggestion follows the
labels (``labeler.store.warnings``): a reviewer's correction changes it at once.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from labeler.dashboard.render import (
    document_html,
    heading_html,
    legend_html,
    scroll_script,
)
from labeler.dashboard.widgets import warning_editor
from labeler.dashboard.wording import document_name
from labeler.depicted_acts import BY_KEY, CATEGORIES
from labeler.store.store import Store
from labeler.store.warnings import DocumentWarning
from labeler.warning import LEVELS, THREAT_WORDING, WORDING, ContentWarning

SORTS = {
    "Needs a decision first": lambda w: (not w.needs_decision, w.document_id),
    "Most passages waiting": lambda w: (-w.waiting, w.document_id),
    "Strongest warning first": lambda w: (-LEVELS.index(w.suggested["level"]), w.document_id),
    "Name": lambda w: (document_name(w.id).lower(), w.document_id),
    "Order added": lambda w: w.document_id,
}
DOCUMENT_HEIGHT = 480  # pixels of the scrollable whole document
WARNING_HELP = "The warning as it stands: its level, then what it names (open the row for the line)"
STATUS_HELP = (
    "suggested (no editor has decided), accepted, edited or no warning needed; * needs a "
    "decision (undecided, or the suggestion changed since it was accepted)"
)
COUNTS_HELP = "Passages reviewed, and passages waiting in the review queue"


def short_warning(warning: ContentWarning) -> str:
    """A warning in a table cell: its level, and what its line names after the level's
    standard opening ("graphic: people buried alive, shooting").

    >>> threat = {"level": "violence", "text": "Contains threats of violence", "categories": []}
    >>> short_warning(threat)
    'violence: threats of violence'
    """
    text = warning["text"]
    if text is None:
        return "none"
    for opening in (*WORDING.values(), *THREAT_WORDING.values()):
        if text.startswith(opening):
            rest = text[len(opening) :].lstrip(": ")
            return f"{warning['level']}: {rest or opening[len('Contains ') :]}"
    return f"{warning['level']}: {text}"


def show_documents(store: Store, editor: str) -> None:
    """The documents table, its filters, and the document opened from it."""
    st.header("Documents")
    everything = store.warnings.of_documents()
    shown = sorted(_filtered(everything), key=SORTS[st.session_state.get("doc_sort", "Name")])
    st.caption(
        f"{len(shown)} of {len(everything)} documents · "
        f"{sum(w.needs_decision for w in everything)} need a decision"
    )
    opened = _table(shown)
    if opened is None:
        st.info("Select a row to read the document and decide its warning.")
        return
    view, passages = store.warnings.view(opened)
    with st.container(key="document-view"):
        show_document(view, passages, editor)


def _filtered(rows: list[DocumentWarning]) -> list[DocumentWarning]:
    """The filters, above the table."""
    level, category, sort = st.columns([2, 3, 2], vertical_alignment="bottom")
    levels = level.multiselect("Level", LEVELS, key="doc_levels", placeholder="any")
    keys = category.multiselect(
        "Category",
        [c.key for c in CATEGORIES],
        format_func=lambda key: BY_KEY[key].wording,
        key="doc_categories",
        placeholder="any",
    )
    sort.selectbox("Sort by", list(SORTS), key="doc_sort", index=list(SORTS).index("Name"))
    needs = st.checkbox("Needs a decision", key="doc_needs_decision")
    return [
        w
        for w in rows
        if (not levels or w.warning["level"] in levels)
        and (not keys or set(keys) & set(w.warning["categories"]))
        and (not needs or w.needs_decision)
    ]


def _table(rows: list[DocumentWarning]) -> int | None:
    """The table; returns the opened document's id. A row the editor selects opens its
    document; it stays open (``doc_opened``) until another is selected or this one
    unselected, even when the filters then hide its row."""
    opened = st.session_state.get("doc_opened")
    if not rows:
        st.info("No document matches these filters.")
        return opened
    ids = [w.document_id for w in rows]
    shown = [ids.index(opened)] if opened in ids else []
    key = f"documents-{hash(tuple(ids))}"  # a new table, with no stale selection, per row set
    event = st.dataframe(
        [
            {
                "document": document_name(w.id),
                "warning": short_warning(w.warning),
                "status": w.status + (" *" if w.needs_decision else ""),
                "reviewed · waiting": f"{w.reviewed} · {w.waiting}",
                "headline": (w.headline or "")[:200],
            }
            for w in rows
        ],
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        selection_default={"selection": {"rows": shown, "columns": []}},
        key=key,
        column_config={  # what an editor decides on fits 1024 px; the headline may scroll
            "document": st.column_config.TextColumn(width=130, pinned=True),
            "warning": st.column_config.TextColumn(width=200, help=WARNING_HELP),
            "status": st.column_config.TextColumn(width=95, help=STATUS_HELP),
            "reviewed · waiting": st.column_config.TextColumn(width=90, help=COUNTS_HELP),
            "headline": st.column_config.TextColumn(width=400),
        },
    )
    selected = list(event.selection.rows)
    seen = st.session_state.setdefault("doc_rows_seen", {})
    if selected != seen.get(key, shown):  # the editor selected (or unselected) a row
        opened = ids[selected[0]] if selected else None
    seen[key] = selected
    st.session_state["doc_opened"] = opened
    return opened


def show_document(view: DocumentWarning, passages: list[dict[str, Any]], editor: str) -> None:
    """A document: its heading, the warning editor, and the whole text scrolled to its
    first flagged passage."""
    detail = f"{view.headline or ''}\n{_passages(view.reviewed)} reviewed · {view.waiting} waiting"
    if view.path and view.path != view.id:
        detail += f" · from {view.path}"
    st.markdown(
        heading_html(document_name(view.id), detail), unsafe_allow_html=True
    )  # escaped inside
    warning_editor(view, editor, shortcut=True)
    flagged = [p["index"] for p in passages if p["flags"]]
    st.subheader(f"The whole document ({len(passages)} passages)")
    if flagged:
        goto = st.selectbox(
            f"Go to a flagged passage ({len(flagged)})",
            flagged,
            format_func=lambda index: f"passage {index + 1}",
            key=f"goto-{view.document_id}",
        )
        script = scroll_script(
            "whole-document", f"passage-{goto + 1}", f"{view.document_id}-{goto}", "document-view"
        )
        st.html(script, unsafe_allow_javascript=True)
    st.markdown(legend_html(), unsafe_allow_html=True)
    with st.container(height=DOCUMENT_HEIGHT, key="whole-document"):
        st.markdown(document_html(passages), unsafe_allow_html=True)  # escaped inside


def _passages(count: int) -> str:
    return f"{count} passage" + ("" if count == 1 else "s")
