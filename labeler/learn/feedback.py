"""Reviewers' decisions back into training: reviewed rows, re-tuned thresholds, and the
whole retrain behind the gate (``labeler.learn.gate``).

Before training, reviews that flip many passages sharing a phrase away from the
current model's confident label (``labeler.learn.quality.phrase_flips``) are held back
and sent to second looks, so a batch of targeted poisoning does not reach the candidate.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labeler.labels import LABELS
from labeler.learn.dataset import REVIEWED, PassageKey, Row, split_of
from labeler.learn.gate import MIN_POSITIVES, TOLERANCE, format_gate, gate, load_cases
from labeler.learn.quality import phrase_flips
from labeler.learn.thresholds import choose_threshold, precision_recall
from labeler.learn.training import train
from labeler.model import Model
from labeler.store.review import Reviewed


def reviewed_rows(items: list[Reviewed]) -> tuple[list[Row], list[int]]:
    """Training rows from current review labels (``Store.reviewed_items``); passages
    reviewers disagree on are left out (their ids are returned) until someone settles them."""
    rows, disputed = [], []
    for item in items:
        if item.disputed:
            disputed.append(item.passage_id)
            continue
        key = PassageKey(item.doc_key, item.idx)
        labels: dict[str, int | None] = {
            "violence": item.current.violence,
            "graphic": item.current.graphic,
        }
        rows.append(
            Row(
                key.row_id,
                item.text,
                REVIEWED,
                key.group,
                labels,
                item.current.severity,
                item.passage_id,
            )
        )
    return rows, disputed


def settled(items: list[Reviewed]) -> set[int]:
    """Passages two or more reviewers have decided: trusted by the batch check."""
    return {i.passage_id for i in items if len(i.by_reviewer) >= 2}


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


def retrain(
    store_target: Any, data_dir: Any, tolerance: float = TOLERANCE, force: bool = False
) -> dict[str, Any]:
    """The whole retrain: reviewed rows, a candidate, re-tuned thresholds, the gate, the
    registry. Returns {"promoted", "version", "report", "log"} (log: what to show)."""
    from datetime import datetime, timezone

    from labeler import config
    from labeler.learn.embeddings import read_through
    from labeler.learn.registry import Registry
    from labeler.model import load_model
    from labeler.store.store import Store

    current = read_through(load_model(config.model_dir()), data_dir)
    cases = load_cases(data_dir)
    with Store(store_target) as store:
        items = store.reviewed_items()
        extra, disputed = reviewed_rows(items)
        groups = phrase_flips(extra, current, settled(items))
        for group in groups:
            reason = (
                f"one of {len(group['passage_ids'])} reviews of passages with "
                f"'{group['phrase']}' that go against the model's confident label"
            )
            for passage_id in group["passage_ids"]:
                store.flag_for_second_look(passage_id, reason)
    log = []
    if disputed:
        log.append(
            f"left out {len(disputed)} passages reviewers disagree on: "
            f"{', '.join(map(str, disputed[:20]))}"
        )
    held = {pid for group in groups for pid in group["passage_ids"]}
    for group in groups:
        log.append(
            f"held back {len(group['passage_ids'])} reviews of passages with "
            f"'{group['phrase']}' labelled against the model's confident "
            f"{'/'.join(group['labels'])}: sent to second looks, not trained on"
        )
    extra = [r for r in extra if r.passage_id not in held]
    candidate, rows = train(data_dir, extra=extra, points_from=current)
    retuned = retune_thresholds(candidate, rows, candidate.card["target_precision_by_label"])
    for label, entry in retuned.items():
        candidate.card["thresholds"][label] = round(entry["after"], 6)
        log.append(
            f"threshold {label}: {entry['before']:.4f} -> {entry['after']:.4f} on "
            f"{entry['n']} held-back reviewed passages ({entry['positives']} positive): "
            f"precision/recall {_pr(entry['before_pr'])} -> {_pr(entry['after_pr'])}"
        )
    report = gate(candidate, current, rows, tolerance, cases)
    candidate.card.update(
        trained_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        reviewed_rows=len(extra),
        disputed_left_out=disputed,
        held_for_second_looks=groups,
        replaces=current.version,
        metrics={"test": report.pop("candidate_metrics")},
        pr_curve=report.pop("candidate_pr_curve"),
        threshold_retuning=retuned,
        gate=report,
        forced=bool(force and not report["passed"]),
    )
    registry = Registry(config.home())
    registry.add(candidate)
    log.append(format_gate(report))
    promoted = report["passed"] or force
    if promoted:
        registry.promote(candidate.version)
        log.append(f"promoted {candidate.version}" + (" (forced)" if force else ""))
    else:
        log.append(f"kept {current.version}; candidate {candidate.version} stored, not promoted")
    return {
        "promoted": promoted,
        "version": candidate.version,
        "report": report,
        "log": "\n".join(log),
    }


def _pr(pr: dict[str, Any]) -> str:
    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}"

    return f"{f(pr['precision'])}/{f(pr['recall'])}"
