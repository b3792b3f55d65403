"""Reviewers' decisions back into training: reviewed rows, re-tuned thresholds, and the
whole retrain behind the gate (``labeler.learn.gate``).

Before training, reviews that flip many passages sharing a phrase away from the
current model's confident label (``labeler.learn.quality.phrase_flips``) are held back
and sent to second looks, so a batch of targeted poisoning does not reach the candidate.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from labeler.jobs import Progress, quiet
from labeler.labels import LABELS
from labeler.learn.card import data_hash
from labeler.learn.dataset import REVIEWED, Row, data_files, reviewed_rows, settled, split_of
from labeler.learn.gate import MIN_POSITIVES, TOLERANCE, format_gate, gate, load_cases
from labeler.learn.quality import phrase_flips
from labeler.learn.thresholds import choose_threshold, precision_recall
from labeler.learn.training import train
from labeler.model import Model

if TYPE_CHECKING:
    from labeler.store.store import Store


def retune_thresholds(
    model: Model, rows: list[Row], targets: dict[str, float]
) -> dict[str, dict[str, Any]]:
    """Per label, the lowest threshold that reaches that label's target precision both on
    reviewed passages of the validation split and on the training data's validation rows
    (where the model's own threshold was chosen), with precision and recall on those
    reviewed passages before and after. A re-tuned threshold can so rise, never fall
    below the one the training data supports: lowered on reviews alone, it cost precision
    everywhere else. Reviewed test rows are never looked at: the gate scores on them.

    Labels with fewer than MIN_POSITIVES reviewed positives keep their threshold.
    """
    held = [r for r in rows if r.source == REVIEWED and split_of(r.group) == "val"]
    proba = model.predict_proba([r.text for r in held]) if held else np.zeros((0, len(LABELS)))
    out: dict[str, dict[str, Any]] = {}
    for j, label in enumerate(LABELS):
        y = np.array([r.labels[label] for r in held])
        before = model.thresholds[label]
        entry: dict[str, Any] = {
            "n": len(held),
            "positives": int(y.sum()),
            "before": before,
            "target_precision": targets[label],
        }
        entry["before_pr"] = precision_recall(y, proba[:, j] >= before)
        if entry["positives"] >= MIN_POSITIVES and entry["positives"] < len(y):
            chosen = choose_threshold(y, proba[:, j], targets[label])
            entry["after"] = max(chosen["threshold"], before)
        else:
            entry["after"] = before
        entry["after_pr"] = precision_recall(y, proba[:, j] >= entry["after"])
        out[label] = entry
    return out


@dataclass
class TrainingReviews:
    """What a retrain would learn from the store: the rows, the disputed passages left out,
    and the batches held back for second looks (``phrase_flips``)."""

    rows: list[Row]
    disputed: list[int]
    held: list[dict[str, Any]]


def training_reviews(store: Store, current: Model) -> TrainingReviews:
    """The store's reviews as training rows, without writing anything: unresolved
    disagreements left out, coordinated-looking batches held back."""
    items = store.labelled.items()
    rows, disputed = reviewed_rows(items)
    groups = phrase_flips(rows, current, settled(items))
    held = {pid for group in groups for pid in group["passage_ids"]}
    return TrainingReviews([r for r in rows if r.passage_id not in held], disputed, groups)


@dataclass(frozen=True)
class NothingNew:
    """Why a retrain would learn nothing, and the version already trained on these same
    reviews and data (None: there is no reviewed passage to train on)."""

    message: str
    version: str | None


def nothing_new(
    reviews: TrainingReviews, data_dir: Path, current: Model, stored: list[dict[str, Any]]
) -> NothingNew | None:
    """Why a retrain would learn nothing, or None: no reviewed passage to train on, or the
    same training data and reviews as the current model or a stored version (``stored``:
    the registry's cards, ``current.version`` the model in use), whose data hash it would
    reproduce."""
    if not reviews.rows:
        left = f"; {len(reviews.disputed)} disputed passages await adjudication" * bool(
            reviews.disputed
        )
        return NothingNew(
            "Nothing new to learn from: no reviewed passage in the store to train on"
            f"{left} (labeler train rebuilds the model from the training data alone).",
            None,
        )
    digest = data_hash(data_dir, reviews.rows)
    for card in [current.card, *reversed(stored)]:
        if card.get("data_hash") == digest:
            version = str(card["version"])
            where = (
                "it is the current model"
                if version == current.version
                else f"it is stored, not current (labeler models promote {version} to use it)"
            )
            return NothingNew(
                f"Nothing new to learn from: version {version} was trained on these same "
                f"reviews and training data; {where}.",
                version,
            )
    return None


def retrain(
    store_target: Any,
    data_dir: Any,
    tolerance: float = TOLERANCE,
    force: bool = False,
    *,
    promote: bool = True,
    actor: str | None = None,
    progress: Progress = quiet,
) -> dict[str, Any]:
    """The whole retrain: reviewed rows, a candidate, re-tuned thresholds, the gate, the
    registry, and (``promote``) the promotion if the gate passes or ``force``. With
    ``actor``, the store's admin log records who retrained and what came of it.

    Returns {"promoted", "version", "report", "log", "nothing_new"}: ``log`` is what to
    show; ``nothing_new`` the reason nothing was trained (:func:`nothing_new`; then there
    is no report, ``version`` is the version already trained on these reviews, and
    ``promoted`` whether it is the model in use)."""
    from datetime import datetime, timezone

    from labeler import config
    from labeler.learn.embeddings import read_through
    from labeler.learn.registry import Registry
    from labeler.model import load_model
    from labeler.store.store import Store

    progress("reading the reviews", 0.0)
    data_files(data_dir)  # a missing or empty --data stops here, before the store is touched
    current = read_through(load_model(config.model_dir()), data_dir)
    cases = load_cases(data_dir)
    registry = Registry(config.home())
    with Store(store_target) as store:
        reviews = training_reviews(store, current)
        for group in reviews.held:
            reason = (
                f"one of {len(group['passage_ids'])} reviews of passages with "
                f"'{group['phrase']}' that go against the model's confident label"
            )
            for passage_id in group["passage_ids"]:
                store.queue.flag_for_second_look(passage_id, reason)
    log = []
    if reviews.disputed:
        log.append(
            f"left out {len(reviews.disputed)} passages reviewers disagree on: "
            f"{', '.join(map(str, reviews.disputed[:20]))}"
        )
    for group in reviews.held:
        log.append(
            f"held back {len(group['passage_ids'])} reviews of passages with "
            f"'{group['phrase']}' labelled against the model's confident "
            f"{'/'.join(group['labels'])}: sent to second looks, not trained on"
        )
    unchanged = nothing_new(reviews, data_dir, current, registry.versions())
    if unchanged:
        progress("nothing new to learn from", 1.0)
        log.append(unchanged.message)
        return {  # "promoted": whether the model in use already learnt these reviews
            "promoted": unchanged.version == current.version,
            "version": unchanged.version,
            "report": None,
            "log": "\n".join(log),
            "nothing_new": unchanged.message,
        }
    extra = reviews.rows
    progress(f"training a candidate on the training data and {len(extra)} reviews", 0.05)
    candidate, rows = train(data_dir, extra=extra, points_from=current)
    progress("re-tuning the thresholds on held-back reviews", 0.7)
    retuned = retune_thresholds(candidate, rows, candidate.card["target_precision_by_label"])
    for label, entry in retuned.items():
        candidate.card["thresholds"][label] = round(entry["after"], 6)
        log.append(
            f"threshold {label}: {entry['before']:.4f} -> {entry['after']:.4f} on "
            f"{entry['n']} held-back reviewed passages ({entry['positives']} positive): "
            f"precision/recall {_pr(entry['before_pr'])} -> {_pr(entry['after_pr'])}"
        )
    progress("the gate: scoring the test split with both models", 0.75)
    report = gate(candidate, current, rows, tolerance, cases)
    candidate.card.update(
        trained_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        reviewed_rows=len(extra),
        disputed_left_out=reviews.disputed,
        held_for_second_looks=reviews.held,
        replaces=current.version,
        metrics={"test": report.pop("candidate_metrics")},
        pr_curve=report.pop("candidate_pr_curve"),
        threshold_retuning=retuned,
        gate=report,
        forced=bool(promote and force and not report["passed"]),
    )
    progress("storing the candidate", 0.95)
    registry.add(candidate)
    log.append(format_gate(report))
    promoted = promote and (report["passed"] or force)
    if promoted:
        registry.promote(candidate.version)
        log.append(f"promoted {candidate.version}" + (" (forced)" if force else ""))
    elif promote:
        log.append(f"kept {current.version}; candidate {candidate.version} stored, not promoted")
    else:
        log.append(f"candidate {candidate.version} stored; {current.version} stays current")
    if actor:
        verdict = "passed" if report["passed"] else "refused"
        with Store(store_target) as store:
            store.admin.log(
                "retrain",
                actor,
                f"candidate {candidate.version} on {len(extra)} reviews: gate {verdict}"
                + (f"; promoted, replacing {current.version}" if promoted else ""),
            )
    progress("done", 1.0)
    return {
        "promoted": promoted,
        "version": candidate.version,
        "report": report,
        "log": "\n".join(log),
        "nothing_new": None,
    }


def _pr(pr: dict[str, Any]) -> str:
    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}"

    return f"{f(pr['precision'])}/{f(pr['recall'])}"
