"""Review dashboard: confirm or correct each flagged passage, one key per decision.

    streamlit run app.py          (the store: LABELER_DB, else LABELER_HOME/labeler.db)

The app only decides what to show; ``labeler.review`` says what a decision
means and ``labeler.store`` keeps it. Every text that comes from outside (passages,
document keys, file names, reviewer names, notes) is escaped before any HTML, or shown
in a code block; SQL only ever gets values as parameters. See README, "Threat model".
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from labeler import config
from labeler.batch import cached_model, score_into_store
from labeler.export import render
from labeler.feedback import retrain
from labeler.labels import rubric
from labeler.registry import Registry
from labeler.render import context_html, heading_html, history_html
from labeler.review import (
    GRAPHIC,
    IN_PASSING,
    NOT_VIOLENT,
    VIOLENT_NOT_GRAPHIC,
    Labels,
    standing,
    statistics,
)
from labeler.sources import ReadOptions, read_upload
from labeler.store import QueueFilter, Store, StoreError

# label, decision, corrected labels, keyboard shortcut ("C" and "R" are Streamlit's own)
ACTIONS = [
    ("Confirm", "confirm", None, "Y"),
    ("Not violent", "correct", NOT_VIOLENT, "N"),
    ("Violent, in passing", "correct", IN_PASSING, "P"),
    ("Violent, described", "correct", VIOLENT_NOT_GRAPHIC, "V"),
    ("Graphic", "correct", GRAPHIC, "G"),
    ("Skip", "skip", None, "S"),
]
ORDERS = {
    "Most uncertain first, varied": "active",
    "Second looks (probable mistakes)": "second",
    "Most uncertain first": "uncertain",
    "Highest score first": "score",
    "Document order": "document",
}


def open_store() -> Store:
    """A connection for this run: SQLite connections must stay in one thread, and
    Streamlit runs each rerun (and its callbacks) in whichever thread it likes."""
    return Store(config.store_target())


def queue_filter(store: Store) -> QueueFilter:
    """The sidebar's queue filters."""
    with st.sidebar.expander("Filters"):
        label = st.selectbox("Flagged", ["any", "violence", "graphic"], key="f_label")
        severity = st.selectbox("Severity at least", [0, 1, 2, 3], key="f_severity")
        band = st.slider("Score band", 0.0, 1.0, (0.0, 1.0), 0.05, key="f_band")
        choices = store.choices()
        # None for "any", so that a file or version really named "any" can be chosen too
        source = st.selectbox(
            "Source file", [None, *choices["source_path"]], format_func=_any, key="f_source"
        )
        version = st.selectbox(
            "Model version", [None, *choices["model_version"]], format_func=_any, key="f_model"
        )
    return QueueFilter(
        label=None if label == "any" else label,
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

    With OIDC configured there is no name box: "" until the user logs in."""
    if st.user.get("is_logged_in", False):
        return str(st.user.get("email") or st.user.get("name"))
    if auth_configured():
        st.sidebar.button("Log in", key="login", on_click=st.login)
        return ""
    return st.sidebar.text_input("Reviewer name", key="reviewer").strip()


def decide(reviewer: str, passage_id: int, decision: str, labels: Labels | None) -> None:
    store = open_store()
    note = st.session_state.pop("note", "").strip() or None
    try:
        store.record_review(passage_id, reviewer, decision, labels, note)
    finally:
        store.close()
    st.session_state.pop("current", None)


def undo(reviewer: str) -> None:
    store = open_store()
    try:
        passage_id = store.last_decision(reviewer)
        if passage_id is not None:
            store.record_review(passage_id, reviewer, "undo")
            if store.claim(passage_id, reviewer):  # back to it, to decide again
                st.session_state["current"] = passage_id
    finally:
        store.close()
    st.session_state["notice"] = (
        "Nothing to undo."
        if passage_id is None
        else f"Undid your last decision (passage {passage_id})."
    )


def main() -> None:
    st.set_page_config(page_title="labeler review", layout="wide")
    store = open_store()
    try:
        page(store)
    finally:
        store.close()


PAGES = ["Review", "Statistics", "Model", "Import & export"]
TRAINING_DATA = Path(__file__).resolve().parent / "training" / "data"
UPLOAD_TYPES = ["txt", "md", "html", "htm", "jsonl", "ndjson", "csv"]
MAX_UPLOAD_MB = 50


def page(store: Store) -> None:
    chosen = st.sidebar.radio("Page", PAGES, key="page")
    reviewer = reviewer_name()  # on every page: admin rights on the Model page follow it
    if auth_configured() and not reviewer:  # OIDC configured: no page without logging in
        st.info("Log in (button in the sidebar) to use the dashboard.")
        return
    if chosen == "Statistics":
        show_statistics(store)
        return
    if chosen == "Import & export":
        show_import_export(store)
        return
    if chosen == "Model":
        show_model(reviewer)
        return
    order = ORDERS[st.sidebar.radio("Queue order", list(ORDERS), key="order")]
    queue = queue_filter(store)
    if st.session_state.get("queue") != (order, queue):  # new order or filters: claim afresh
        st.session_state["queue"] = (order, queue)
        st.session_state.pop("current", None)
    progress = store.progress(reviewer)
    st.sidebar.metric("Reviewed", progress["reviewed"])
    st.sidebar.metric("Remaining", progress["remaining"])
    st.sidebar.caption(
        f"{progress['by_you']} reviewed by you · flagged and waiting: "
        f"{progress['violence_waiting']} violence, {progress['graphic_waiting']} graphic"
    )
    with st.sidebar.expander("Labelling rubric"):
        st.markdown(rubric())
    if not reviewer:
        st.info("Enter your name in the sidebar to start reviewing.")
        return
    if notice := st.session_state.pop("notice", None):
        st.toast(notice)
    if "current" not in st.session_state:
        claimed = (
            store.claim_second_look(reviewer)
            if order == "second"
            else store.claim_next(reviewer, order=order, queue=queue)
        )
        st.session_state["current"] = claimed["id"] if claimed else None
    passage_id = st.session_state["current"]
    st.button("Undo", key="undo", shortcut="U", on_click=undo, args=(reviewer,))
    if passage_id is None:
        st.success("The queue is empty: every passage has been reviewed.")
        return
    show_passage(store, reviewer, passage_id)


def show_statistics(store: Store) -> None:
    """Agreement with the model, estimated precision of each flag, and reviewer agreement."""
    items = store.reviewed_items()
    stats = statistics(items)
    st.header("Statistics")
    st.caption(f"{stats['reviewed']} passages with a current label")
    if not items:
        st.info("No reviews yet.")
        return
    rows = stats["labels"]
    columns = st.columns(len(rows))
    for column, (label, s) in zip(columns, rows.items(), strict=True):
        column.metric(
            f"{label}: precision of flags",
            _percent(s["precision"]),
            help=f"{s['flagged_reviewed']} flagged passages reviewed",
        )
        column.metric(f"{label}: reviewer-model agreement", _percent(s["agreement"]))
        kappa = "–" if s["kappa"] is None else f"{s['kappa']:.2f}"
        column.metric(
            f"{label}: Cohen's kappa",
            kappa,
            help=f"{s['double_reviewed']} passages reviewed by two people",
        )
    chart = {
        "precision of flags": [s["precision"] or 0.0 for s in rows.values()],
        "reviewer-model agreement": [s["agreement"] or 0.0 for s in rows.values()],
    }
    st.bar_chart(pd.DataFrame(chart, index=list(rows)), stack=False, y_label="share")
    st.subheader("Passages where reviewers disagree")
    disagreements = set(stats["disagreements"])
    disputed = [i for i in items if i.passage_id in disagreements]
    st.dataframe(
        [
            {
                "passage": i.passage_id,
                "text": store.passage(i.passage_id)["text"],
                **{who: _short(lab) for who, lab in i.by_reviewer.items()},
            }
            for i in disputed
        ],
        hide_index=True,
    )
    show_history(store, (disputed or items)[0].passage_id)


def review_history(store: Store, passage_id: int) -> list[dict[str, str]]:
    """Every decision on a passage, oldest first, with its note; undone ones marked."""
    reviews = store.reviews(passage_id)
    kept = {r.id for r in standing(reviews)}
    return [
        {
            "when": str(r.decided_at)[:19].replace("T", " "),
            "reviewer": r.reviewer,
            "decision": r.decision
            + (" (undone)" if r.decision != "undo" and r.id not in kept else ""),
            "labels": "–" if r.labels is None else _short(r.labels),
            "note": r.note or "",
        }
        for r in reviews
    ]


def _short(labels: Labels) -> str:
    return f"V{labels.violence} G{labels.graphic} S{labels.severity}"


def show_history(store: Store, default: int) -> None:
    """One passage's review history, notes included, for audit: all of it escaped."""
    st.subheader("Review history")
    passage_id = int(
        st.number_input("Passage", min_value=1, value=default, step=1, key="history_passage")
    )
    try:
        p = store.passage(passage_id)
    except StoreError:
        st.warning(f"There is no passage {passage_id}.")
        return
    text = context_html([{"idx": p["idx"], "text": p["text"]}], p["idx"], [])
    st.markdown(heading(p) + text, unsafe_allow_html=True)  # every text inside is escaped
    history = review_history(store, passage_id)
    if not history:
        st.info("No reviews of this passage yet.")
        return
    st.markdown(history_html(history), unsafe_allow_html=True)


def heading(p: dict[str, Any]) -> str:
    """A passage's document, position, model scores and source, as escaped HTML."""
    flags = ", ".join(p["flags"]) or "no flags"
    detail = (
        f"model {p['model_version']}: {flags} · severity {p['severity']} · "
        f"violence {p['violence']:.2f} · graphic {p['graphic']:.2f}"
    )
    if p["source_path"] and p["source_path"] != p["doc_key"]:
        detail += f" · from {p['source_path']}"
    return heading_html(f"{p['doc_key']} · passage {p['idx']}", detail)


def is_admin(name: str) -> bool:
    """Admins (LABELER_ADMINS, comma-separated: names, or e-mails with st.login) may retrain,
    promote and roll back."""
    admins = {a.strip() for a in os.environ.get("LABELER_ADMINS", "").split(",") if a.strip()}
    return name in admins  # never "": blank entries are dropped


def show_model(name: str) -> None:
    """The current model, its card and last gate decision; retrain, promote, roll back."""
    registry = Registry(config.home())
    # cached: the page reruns on every click; version directories never change
    card = cached_model(current_model_dir()).card
    st.header(f"Model {card['version']}")
    st.caption(
        "shipped with the package"
        if registry.current() is None
        else f"promoted from the registry; trained {card.get('trained_at', '?')}"
    )
    metrics = card.get("metrics", {}).get("test", {})
    st.dataframe(
        [
            {
                "label": label,
                "threshold": card["thresholds"][label],
                **{source: m["auprc"] for source, m in metrics.get(label, {}).items()},
            }
            for label in card["thresholds"]
        ],
        hide_index=True,
    )
    curves = card.get("pr_curve", {})
    columns = st.columns(len(curves)) if curves else []
    for column, (label, curve) in zip(columns, curves.items(), strict=True):
        column.caption(f"{label}: precision-recall on the test split")
        column.line_chart(pd.DataFrame(curve), x="recall", y="precision", height=220)
    gate_report = card.get("gate")
    if gate_report:
        verdict = "passed" if gate_report["passed"] else "refused"
        st.subheader(f"Last gate decision: {verdict}" + (" (forced)" if card.get("forced") else ""))
        st.dataframe(gate_report["regressions"] or [{"regressions": "none"}], hide_index=True)
    st.subheader("Versions")
    versions = registry.versions()
    st.dataframe(
        [
            {
                "version": c["version"],
                "reviewed rows": c.get("reviewed_rows", 0),
                "gate": (c.get("gate") or {}).get("passed"),
            }
            for c in versions
        ],
        hide_index=True,
    )
    if not is_admin(name):
        st.info("Retraining, promotion and rollback are for admins (LABELER_ADMINS).")
        return
    if st.button("Retrain with reviews", key="retrain"):
        outcome = retrain(config.store_target(), TRAINING_DATA)
        st.code(outcome["log"], language=None)
    choice = st.selectbox("Version", [c["version"] for c in versions], key="promote_version")
    if choice and st.button("Promote", key="promote"):
        registry.promote(choice)
        st.rerun()
    if registry.current() and st.button("Roll back", key="rollback"):
        registry.rollback()
        st.rerun()


def show_import_export(store: Store) -> None:
    """Score uploaded files into the store; download reviewed passages."""
    st.header("Import documents")
    uploads = st.file_uploader(
        f"Text, HTML, JSONL or CSV files (up to {MAX_UPLOAD_MB} MB each)",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        key="uploads",
    )
    if uploads and st.button("Score into the store", key="score_uploads"):
        for upload in uploads:
            score_upload(store, upload.name, upload.getvalue())
    st.header("Export reviewed passages")
    rows = list(store.reviewed())
    st.caption(f"{len(rows)} reviewed passages")
    for fmt, mime in (("csv", "text/csv"), ("jsonl", "application/jsonl")):
        st.download_button(
            f"Download {fmt.upper()}",
            render(rows, fmt),
            f"reviewed.{fmt}",
            mime=mime,
            key=f"export_{fmt}",
        )


def current_model_dir() -> str | None:
    """The promoted model's directory (or LABELER_MODEL's), as the CLI scores with."""
    return str(config.model_dir() or "") or None


def score_upload(store: Store, name: str, data: bytes) -> None:
    """Score one uploaded file into the store, reporting what could not be scored.

    The type and size are checked here, whatever the browser let through; the file is
    read from memory (the uploaded name never becomes a path), and its documents are
    stored under the uploaded name. Messages never put the name in markdown: it goes
    in a code block, as inert text.
    """
    suffix = Path(name).suffix.lower().lstrip(".")
    if suffix not in UPLOAD_TYPES:
        st.error(f"Not imported: only {', '.join('.' + t for t in UPLOAD_TYPES)} files")
        st.code(name, language=None)
        return
    if len(data) > MAX_UPLOAD_MB * 1024 * 1024:
        st.error(f"Not imported: {len(data) / 2**20:.1f} MB is over the {MAX_UPLOAD_MB} MB limit")
        st.code(name, language=None)
        return
    items = read_upload(name, data, ReadOptions())
    stats, messages = score_into_store(items, store, current_model_dir())
    st.success(f"Scored {stats.documents} documents ({stats.passages} passages) from one file.")
    st.code(name, language=None)
    if messages:
        st.error(f"{len(messages)} records could not be scored:")
        st.code("\n".join(messages), language=None)


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def show_passage(store: Store, reviewer: str, passage_id: int) -> None:
    p = store.passage(passage_id)
    html = context_html(store.neighbours(passage_id), p["idx"], p["evidence"])
    st.markdown(heading(p) + html, unsafe_allow_html=True)  # every text inside is escaped
    st.text_input("Note (optional, saved with your decision)", key="note")
    columns = st.columns(len(ACTIONS))
    for column, (label, decision, labels, key) in zip(columns, ACTIONS, strict=True):
        column.button(
            f"{label} ({key})",
            key=f"act-{decision}-{key}",
            shortcut=key,
            on_click=decide,
            args=(reviewer, passage_id, decision, labels),
        )


main()
