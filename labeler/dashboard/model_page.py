"""The Model page, and the admin's workflow around the model.

Everyone sees the current model (marked as such wherever a version is named), its test
figures and its leave-one-source-out table with readable source names and no figure
resting on fewer than ``MIN_POSITIVES`` positives, which model scored the store, and every
version. Admins (``LABELER_ADMINS``) also:

- retrain: "Nothing new to learn from" is said at once; otherwise the retrain runs in the
  background (``labeler.dashboard.jobs``) with its progress shown, and ends in a report
  (the gate's checks; before and after per label and source, at the flag and review
  points); nothing is promoted by it;
- promote and roll back, each after a confirmation naming what changes;
- re-score the store with the current model, in the background;
- set the double-review share; read the admin log.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st

from labeler import config
from labeler.dashboard import jobs
from labeler.dashboard.model_figures import (
    TOO_FEW_NOTE,
    loso_rows,
    show_report,
    test_rows,
    thresholds_line,
)
from labeler.dashboard.render import escape
from labeler.dashboard.session import current_model_dir
from labeler.dashboard.wording import marked
from labeler.learn.feedback import nothing_new, training_reviews
from labeler.learn.registry import SHIPPED, Registry
from labeler.model import CARD_FILE, ModelError, read_card
from labeler.scoring import cached_model
from labeler.store.store import Store


def show_model(store: Store, name: str) -> None:
    """The page: the current model's figures for all, then the admin's tools."""
    registry = Registry(config.home())
    # read before anything else: a job that ends while the page is drawn is still shown
    # running, and its progress then redraws the whole page, all of it after the job
    job = {kind: jobs.state(kind) for kind in ("retrain", "rescore")}
    card = cached_model(current_model_dir()).card
    st.header(f"Model {card['version']}")
    trained = card.get("trained_at")  # a retrained version's; the shipped card dates its version
    st.caption(config.model_origin() + (f"; trained {trained}" if trained else ""))
    store_banner(store, card["version"])
    st.subheader("Test split: sources it was trained on")
    st.dataframe(test_rows(card), hide_index=True, key="test_figures")
    st.caption(f"{thresholds_line(card)} {TOO_FEW_NOTE}")
    curves = card.get("pr_curve") or {}
    columns = st.columns(len(curves)) if curves else []
    for column, (label, curve) in zip(columns, curves.items(), strict=True):
        column.caption(f"{label}: precision-recall on the test split")
        column.line_chart(pd.DataFrame(curve), x="recall", y="precision", height=220)
    st.subheader("Leave-one-source-out: sources it never saw")
    loso = loso_rows(card.get("leave_one_source_out"))
    if loso:
        st.caption(
            "Each source held out in turn: a model trained on the others scores it. This is "
            "the realistic figure for text unlike the training data."
        )
        st.dataframe(loso, hide_index=True, key="loso")
    else:
        st.caption("This version's card has no leave-one-source-out table.")
    gate_report = card.get("gate")
    if gate_report:
        verdict = "passed" if gate_report.get("passed") else "refused"
        forced = " (forced)" if card.get("forced") else ""
        st.subheader(f"Last gate decision: {verdict}{forced}")
        show_report(card)
    st.subheader("Versions")
    st.dataframe(version_rows(registry, card["version"]), hide_index=True, key="versions")
    if name not in config.admins():
        st.info("Retraining, promotion and rollback are for admins (LABELER_ADMINS).")
        return
    retrain_section(store, name, registry, job["retrain"])
    promote_section(store, name, registry, card["version"])
    rescore_section(store, name, card["version"], job["rescore"])
    double_review_section(store, name)
    admin_log_section(store)


def store_banner(store: Store, current: str) -> None:
    """A warning when stored passages lack the current model's scores."""
    left = store.rescoring.count_unscored(current)
    if left:
        passages = store.maintenance.counts()["passages"]
        st.warning(
            f"{left:,} of {passages:,} stored passages were scored by an "
            f"older model, not by the current {current}. An admin can re-score the store "
            "below; every review is kept."
        )


GATE_WORDS: dict[Any, str] = {True: "passed", False: "refused"}


def version_rows(registry: Registry, current: str) -> list[dict[str, Any]]:
    shipped = cached_model(None).card
    rows = [
        {
            "version": shipped["version"],
            "current": "✓" if shipped["version"] == current else "",
            "where": "shipped with the package",
            "gate": None,
            "reviewed rows": None,
            "trained": None,
        }
    ]
    for c in registry.versions():
        rows.append(
            {
                "version": c["version"],
                "current": "✓" if c["version"] == current else "",
                "where": "registry",
                "gate": GATE_WORDS.get((c.get("gate") or {}).get("passed")),
                "reviewed rows": c.get("reviewed_rows", 0),
                "trained": c.get("trained_at"),
            }
        )
    return rows


# --- retrain ---------------------------------------------------------------------------


def retrain_section(
    store: Store, name: str, registry: Registry, job: dict[str, Any] | None
) -> None:
    st.subheader("Retrain with reviews")
    running = job is not None and job["state"] == "running"
    if st.button("Retrain with reviews", key="retrain", disabled=running):
        st.session_state["retrain_notice"] = start_retrain(store, name, registry)
        st.rerun()  # the page shows the job that started, or why none did
    if notice := st.session_state.pop("retrain_notice", None):
        plain(notice, box=True)
    if job is None:
        st.caption(
            "Trains a candidate on the training data and the reviews, in the background, and "
            "reports the gate's checks; you then decide whether to promote it."
        )
    elif running:
        job_progress("retrain")
    elif job["state"] == "stopped":
        st.error("The last retrain stopped without finishing. Its last output:")
        st.code(job.get("log_tail") or "(none)", language=None)
    else:
        retrain_outcome(job, registry)


def start_retrain(store: Store, name: str, registry: Registry) -> str | None:
    """Say at once that there is nothing new to learn from; else start the job."""
    current = cached_model(current_model_dir())
    data = config.training_data()
    unchanged = nothing_new(training_reviews(store, current), data, current, registry.versions())
    if unchanged:
        return unchanged.message
    args = ["--no-promote", "--data", str(data.resolve())]
    return jobs.start("retrain", args, name)


@st.fragment(run_every=timedelta(seconds=1))
def job_progress(kind: str) -> None:
    """A running job's progress, redrawn every second; when it ends, the whole page is
    drawn again to show its outcome. Other pages never wait for it."""
    job = jobs.state(kind)
    if job is None or job["state"] != "running":
        st.rerun()
        return
    elapsed = int(jobs.age(job.get("started_at")))
    st.progress(float(job.get("done") or 0.0), text=f"{job.get('step', 'starting')} · {elapsed} s")
    plain(f"Started by {job.get('started_by')}. Other pages keep working meanwhile.")


def retrain_outcome(job: dict[str, Any], registry: Registry) -> None:
    outcome = job.get("outcome") or {}
    if job.get("error"):
        st.error(f"The last retrain failed: {job['error']}")
        return
    if outcome.get("nothing_new"):
        st.info(outcome["nothing_new"])
        return
    version = str(outcome.get("version"))
    try:
        card = read_card(registry.path(version) / CARD_FILE)
    except ModelError:
        st.warning(f"The last retrain's candidate {version} is no longer in the registry.")
        return
    finished = str(job.get("finished_at"))[:19].replace("T", " ")
    plain(f"Report on candidate {version}: retrained by {job.get('started_by')}, {finished}")
    show_report(card)
    if registry.current() != version:
        st.button(
            f"Promote {version}…", key="promote_candidate", on_click=ask, args=("promote", version)
        )


def plain(text: str, box: bool = False) -> None:
    """Text with names in it (admins', reviewers'), shown escaped: never markdown."""
    style = "padding:0.75rem 1rem;border-radius:0.5rem;background:#e8f0fe" if box else ""
    st.markdown(f'<p style="{style}">{escape(text)}</p>', unsafe_allow_html=True)


# --- promote, roll back ----------------------------------------------------------------


def ask(action: str, version: str | None) -> None:
    """Ask for a confirmation before ``action`` ("promote", "rollback")."""
    st.session_state["confirm"] = (action, version)


def promote_section(store: Store, name: str, registry: Registry, current: str) -> None:
    st.subheader("Promote or roll back")
    if notice := st.session_state.pop("model_notice", None):
        st.success(notice)
    versions = [c["version"] for c in registry.versions()]
    choice = st.selectbox(  # keyed by the count: a new version is a new list, newest chosen
        "Version",
        versions,
        index=len(versions) - 1 if versions else None,
        format_func=lambda v: marked(v, current),
        key=f"promote_version-{len(versions)}",
    )
    left, right = st.columns(2)
    left.button(
        "Promote…", key="promote", on_click=ask, args=("promote", choice), disabled=not choice
    )
    if registry.current():
        right.button("Roll back…", key="rollback", on_click=ask, args=("rollback", None))
    pending = st.session_state.get("confirm")
    if pending:
        confirm(store, name, registry, current, *pending)


def confirm(
    store: Store, name: str, registry: Registry, current: str, action: str, version: str | None
) -> None:
    """The confirmation: what the action changes, then Yes or Cancel."""
    if action == "promote":
        gate = (read_card(registry.path(version) / CARD_FILE).get("gate") or {}) if version else {}
        refused = " The gate refused this version." if gate.get("passed") is False else ""
        question = (
            f"Promote {version}? It replaces {current} for scoring new documents and for the "
            f"review queue; stored passages keep {current}'s scores until the store is "
            f"re-scored.{refused}"
        )
        yes = f"Yes, promote {version}"
    else:
        back_to = registry.previous() or SHIPPED
        question = f"Roll back from {current} to {back_to}?"
        yes = f"Yes, roll back to {back_to}"
    with st.container(border=True, key="confirmation"):
        st.warning(question)
        left, right = st.columns(2)
        left.button(yes, key="confirm_yes", on_click=act, args=(name, action, version))
        right.button("Cancel", key="confirm_no", on_click=st.session_state.pop, args=("confirm",))


def act(name: str, action: str, version: str | None) -> None:
    """Carry out a confirmed promote or roll back, and log it (before the page is drawn
    again, so that it shows the new current version)."""
    st.session_state.pop("confirm", None)
    if name not in config.admins():  # the buttons are drawn for admins only; checked again
        return
    registry = Registry(config.home())
    change = registry.promote(version) if action == "promote" and version else registry.rollback()
    with Store(config.store_target(), create=False, lock_wait=config.lock_wait()) as store:
        store.admin.log(change.action, name, change.detail)
    st.session_state["model_notice"] = (
        f"{'Promoted' if change.action == 'promote' else 'Rolled back'}: {change.detail}."
    )


# --- re-score, double review, admin log ------------------------------------------------


def rescore_section(store: Store, name: str, current: str, job: dict[str, Any] | None) -> None:
    st.subheader("Re-score the store")
    by_version = store.rescoring.scored_by()
    left = store.rescoring.count_unscored(current)
    st.caption(
        "Passages scored, by model: "
        + (", ".join(f"{marked(v, current)} {n:,}" for v, n in by_version.items()) or "none")
    )
    running = job is not None and job["state"] == "running"
    if st.button(
        f"Re-score the store ({left:,} passages)", key="rescore", disabled=running or not left
    ):
        refused = jobs.start("rescore", [], name)
        if refused:
            plain(refused, box=True)
        else:
            st.rerun()
    if running:
        job_progress("rescore")
    elif job is not None and job["state"] == "stopped":
        st.error("The last re-score stopped before the end; run it again to continue.")
        st.code(job.get("log_tail") or "(none)", language=None)
    elif job is not None and job.get("error"):
        st.error(f"The last re-score failed: {job['error']}")
    elif job is not None and job.get("outcome"):
        plain(f"Last re-score, by {job.get('started_by')}: {job['outcome'].get('log')}.")


def double_review_section(store: Store, name: str) -> None:
    st.subheader("Double review")
    percent = store.admin.double_review_percent()
    share = st.number_input(
        "Share of passages served to a second reviewer (%)",
        min_value=0,
        max_value=100,
        value=int(percent),
        step=5,
        key="double_review",
    )
    if st.button("Save the share", key="double_review_save"):
        store.admin.set_double_review_percent(float(share), name)
        st.toast(f"Double review: {share}% of passages.")


def admin_log_section(store: Store) -> None:
    st.subheader("Admin log")
    entries = store.admin.entries()
    if not entries:
        st.caption("No admin action yet.")
        return
    st.dataframe(
        [
            {
                "when": e.at[:19].replace("T", " "),
                "who": e.actor,
                "action": e.action,
                "what": e.detail,
            }
            for e in entries
        ],
        hide_index=True,
        key="admin_log",
    )
