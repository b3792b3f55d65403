"""Reviewers' decisions back into training: reviewed rows, and the gate for a new model.

A candidate model replaces the current one only if, label by label and source by
source on the fixed test split (which includes a held-back slice of reviewed
passages, split by document like every other source), its AUPRC drops by no
more than a set tolerance.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from labeler.dataset import Row, split_of
from labeler.evaluation import POOLED, evaluate_scores, pr_points, test_rows
from labeler.labels import LABELS
from labeler.model import Model
from labeler.training import REVIEWED, choose_threshold, train

TOLERANCE = 0.02
MIN_POSITIVES = 5  # AUPRC on fewer positives swings by chance: not gated


def reviewed_rows(store: Any) -> tuple[list[Row], list[int]]:
    """Training rows from current review labels; passages reviewers disagree on are left out
    (their ids are returned) until someone settles them."""
    rows, disputed = [], []
    for item in store.reviewed_items():
        if item.disputed:
            disputed.append(item.passage_id)
            continue
        labels = {"violence": item.current.violence, "graphic": item.current.graphic}
        rows.append(
            Row(
                f"review:{item.doc_key}#{item.idx}",
                item.text,
                REVIEWED,
                f"review-doc:{item.doc_key}",
                labels,
                item.current.severity,
                item.passage_id,
            )
        )
    return rows, disputed


def gate(
    candidate: Model, current: Model, rows: list[Row], tolerance: float = TOLERANCE
) -> dict[str, Any]:
    """Compare AUPRC per label and source on the test split; list every regression.

    Sources with fewer than MIN_POSITIVES positives for a label are shown but not gated.
    ``candidate_metrics`` and ``candidate_pr_curve`` are the candidate's own, for its card.
    """
    test = test_rows(rows)
    texts = [r.text for r in test]
    models = {"candidate": candidate, "current": current}
    proba = {name: model.predict_proba(texts) for name, model in models.items()}
    scores = {
        name: evaluate_scores(test, proba[name], model.thresholds) for name, model in models.items()
    }
    regressions = []
    for label in LABELS:
        for source, before in scores["current"][label].items():
            after = scores["candidate"][label][source]
            if before["auprc"] is None or after["auprc"] is None:
                continue
            if before["positives"] < MIN_POSITIVES:
                continue
            if before["auprc"] - after["auprc"] > tolerance:
                regressions.append(
                    {
                        "label": label,
                        "source": source,
                        "current": before["auprc"],
                        "candidate": after["auprc"],
                    }
                )
    return {
        "passed": not regressions,
        "tolerance": tolerance,
        "regressions": regressions,
        "auprc": {
            name: {
                label: {src: m["auprc"] for src, m in by_label.items()}
                for label, by_label in s.items()
            }
            for name, s in scores.items()
        },
        "positives": {
            label: {src: m["positives"] for src, m in by_label.items()}
            for label, by_label in scores["current"].items()
        },
        "candidate_metrics": scores["candidate"],
        "candidate_pr_curve": pr_points(test, proba["candidate"]),
    }


def format_gate(report: dict[str, Any]) -> str:
    lines = [
        f"gate: {'passed' if report['passed'] else 'REFUSED'} "
        f"(AUPRC may drop by at most {report['tolerance']})"
    ]
    for label in LABELS:
        for source, before in report["auprc"]["current"][label].items():
            after = report["auprc"]["candidate"][label][source]
            if before is None or after is None:
                continue
            gated = report["positives"][label][source] >= MIN_POSITIVES
            mark = "  REGRESSION" if gated and before - after > report["tolerance"] else ""
            mark = mark or ("" if gated else "  (too few positives to gate)")
            name = "all sources" if source == POOLED else source
            lines.append(f"  {label:9} {name:27} current {before:.3f}  candidate {after:.3f}{mark}")
    return "\n".join(lines)


def retune_thresholds(
    model: Model, rows: list[Row], target_precision: float
) -> dict[str, dict[str, Any]]:
    """Per label, the threshold that reaches ``target_precision`` on reviewed passages the
    model did not train on, with precision and recall there before and after.

    Labels with fewer than MIN_POSITIVES reviewed positives keep their threshold.
    """
    held = [r for r in rows if r.source == REVIEWED and split_of(r.group) != "train"]
    proba = model.predict_proba([r.text for r in held]) if held else np.zeros((0, len(LABELS)))
    out: dict[str, dict[str, Any]] = {}
    for j, label in enumerate(LABELS):
        y = np.array([r.labels[label] for r in held])
        before = model.thresholds[label]
        entry: dict[str, Any] = {"n": len(held), "positives": int(y.sum()), "before": before}
        entry["before_pr"] = _precision_recall(y, proba[:, j], before)
        if entry["positives"] >= MIN_POSITIVES and entry["positives"] < len(y):
            chosen = choose_threshold(y, proba[:, j], target_precision)
            entry["after"] = chosen["threshold"]
        else:
            entry["after"] = before
        entry["after_pr"] = _precision_recall(y, proba[:, j], entry["after"])
        out[label] = entry
    return out


def _precision_recall(y: Any, p: Any, threshold: float) -> dict[str, float | None]:
    predicted = p >= threshold
    tp = int((predicted & (y == 1)).sum())
    return {
        "precision": round(tp / int(predicted.sum()), 4) if predicted.any() else None,
        "recall": round(tp / int(y.sum()), 4) if y.sum() else None,
    }


def suspicious_reviews(
    data_dir: Any, reviewed: list[Row], folds: int = 3, confidence: float = 0.9
) -> list[dict[str, Any]]:
    """Reviews a model confidently disagrees with, cross-validated (as cleanlab does).

    Reviewed passages are split into ``folds`` by document; each fold is scored by a
    model trained on the training data plus the other folds, so no passage is
    judged by a model that learned its own review. A review is suspicious when
    that model gives its label a probability below ``1 - confidence``.
    """
    import hashlib

    def fold_of(row: Row) -> int:
        return int(hashlib.sha256(row.group.encode()).hexdigest(), 16) % folds

    out = []
    for k in range(folds):
        held = [r for r in reviewed if fold_of(r) == k]
        if not held:
            continue
        model, _ = train(data_dir, extra=[r for r in reviewed if fold_of(r) != k])
        proba = model.predict_proba([r.text for r in held])
        for row, p in zip(held, proba, strict=True):
            for j, label in enumerate(LABELS):
                given = row.labels[label]
                p_given = p[j] if given else 1 - p[j]
                if p_given < 1 - confidence:
                    out.append(
                        {
                            "id": row.id,
                            "passage_id": row.passage_id,
                            "label": label,
                            "reviewed": given,
                            "model": round(float(p[j]), 4),
                            "text": row.text,
                        }
                    )
    return sorted(out, key=lambda s: (s["id"], s["passage_id"] or 0))


def retrain(
    store_target: Any, data_dir: Any, tolerance: float = TOLERANCE, force: bool = False
) -> dict[str, Any]:
    """The whole retrain: reviewed rows, a candidate, re-tuned thresholds, the gate, the
    registry. Returns {"promoted", "version", "report", "log"} (log: what to show)."""
    from datetime import datetime, timezone

    from labeler import config
    from labeler.model import load_model
    from labeler.registry import Registry
    from labeler.store import Store

    store = Store(store_target)
    extra, disputed = reviewed_rows(store)
    store.close()
    log = []
    if disputed:
        log.append(
            f"left out {len(disputed)} passages reviewers disagree on: "
            f"{', '.join(map(str, disputed[:20]))}"
        )
    candidate, rows = train(data_dir, extra=extra)
    retuned = retune_thresholds(candidate, rows, float(candidate.card["target_precision"]))
    for label, entry in retuned.items():
        candidate.card["thresholds"][label] = round(entry["after"], 6)
        log.append(
            f"threshold {label}: {entry['before']:.4f} -> {entry['after']:.4f} on "
            f"{entry['n']} held-back reviewed passages ({entry['positives']} positive): "
            f"precision/recall {_pr(entry['before_pr'])} -> {_pr(entry['after_pr'])}"
        )
    current = load_model(config.model_dir())
    report = gate(candidate, current, rows, tolerance)
    candidate.card.update(
        trained_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        reviewed_rows=len(extra),
        disputed_left_out=disputed,
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
