"""Evaluate a model on the fixed test split, per label and per source.

Metrics: AUPRC (average precision), ROC-AUC, and precision / recall / F1 at the
model's thresholds. A plain word TF-IDF + LogisticRegression baseline, trained
on the same rows with its threshold chosen the same way, is reported beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from labeler.labels import LABELS
from labeler.learn.dataset import Row, split_of
from labeler.learn.thresholds import choose_threshold, f1, precision_recall
from labeler.model import Model

POOLED = "(pooled)"


def metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, Any]:
    """Ranking and thresholded metrics; ranking ones are None with a single class, and
    precision and recall 0 where undefined (nothing flagged, no positive)."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    both = 0 < y.sum() < len(y)
    flagged = p >= threshold
    at = precision_recall(y, flagged)
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "auprc": round(float(average_precision_score(y, p)), 4) if both else None,
        "roc_auc": round(float(roc_auc_score(y, p)), 4) if both else None,
        "precision": at["precision"] or 0.0,
        "recall": at["recall"] or 0.0,
        "f1": f1(y, flagged),
    }


def evaluate_scores(
    rows: list[Row], proba: np.ndarray, thresholds: dict[str, float]
) -> dict[str, dict[str, dict[str, Any]]]:
    """{label: {source or POOLED: metrics}} over rows that carry the label."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for j, label in enumerate(LABELS):
        have = [i for i, r in enumerate(rows) if r.labels[label] is not None]
        by_source: dict[str, list[int]] = {POOLED: have}
        for i in have:
            by_source.setdefault(rows[i].source, []).append(i)
        out[label] = {
            source: metrics(
                np.array([rows[i].labels[label] for i in idx]), proba[idx, j], thresholds[label]
            )
            for source, idx in sorted(by_source.items())
        }
    return out


def pr_points(rows: list[Row], proba: np.ndarray, points: int = 50) -> dict[str, Any]:
    """Pooled precision-recall curve per label, thinned to about ``points`` points, for the
    model card (and the dashboard's model page, which has no training data to hand)."""
    from sklearn.metrics import precision_recall_curve

    out: dict[str, Any] = {}
    for j, label in enumerate(LABELS):
        idx = [i for i, r in enumerate(rows) if r.labels[label] is not None]
        y = np.array([rows[i].labels[label] for i in idx])
        if not 0 < y.sum() < len(y):
            continue
        precision, recall, _ = precision_recall_curve(y, proba[idx, j])
        keep = np.unique(np.linspace(0, len(precision) - 1, points).astype(int))
        out[label] = {
            "recall": np.round(recall[keep], 4).tolist(),
            "precision": np.round(precision[keep], 4).tolist(),
        }
    return out


def test_rows(rows: list[Row]) -> list[Row]:
    return [r for r in rows if split_of(r.group) == "test"]


def baseline(rows: list[Row], targets: dict[str, float]) -> tuple[Callable, dict[str, float]]:
    """Plain TF-IDF (unigrams, defaults) + LogisticRegression per label, its thresholds at
    the model's own per-label targets so the two compare at one operating point."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    train = [r for r in rows if split_of(r.group) == "train"]
    val = [r for r in rows if split_of(r.group) == "val"]
    pipes, thresholds = {}, {}
    for label in LABELS:
        part = [r for r in train if r.labels[label] is not None]
        pipe = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
        pipes[label] = pipe.fit([r.text for r in part], [r.labels[label] for r in part])
        v = [r for r in val if r.labels[label] is not None]
        p = pipes[label].predict_proba([r.text for r in v])[:, 1]
        y = np.array([r.labels[label] for r in v])
        thresholds[label] = choose_threshold(y, p, targets[label])["threshold"]

    def predict(texts: list[str]) -> np.ndarray:
        return np.column_stack([pipes[label].predict_proba(texts)[:, 1] for label in LABELS])

    return predict, thresholds


def severity_agreement(model: Model, rows: list[Row]) -> dict[str, Any]:
    """Quadratic-weighted Cohen's kappa between the hand-labelled severity of ``rows``
    (those that have one) and the severity ``labeler score`` gives them, with the
    confusion matrix (rows: hand label 0-3, columns: model)."""
    from sklearn.metrics import cohen_kappa_score, confusion_matrix

    from labeler.scoring import score_documents

    have = [r for r in rows if r.severity is not None]
    if not have:
        return {"n": 0, "weighted_kappa": None}
    records = score_documents([(r.id, r.text) for r in have], model)
    given = [int(r.severity) for r in have]  # type: ignore[arg-type]
    got = [max(p["severity"] for p in rec["passages"]) for rec in records]
    return {
        "n": len(have),
        "weighted_kappa": round(float(cohen_kappa_score(given, got, weights="quadratic")), 4),
        "confusion": confusion_matrix(given, got, labels=[0, 1, 2, 3]).tolist(),
    }


def evaluate(model: Model, rows: list[Row]) -> dict[str, Any]:
    """Model and baseline metrics on the test split, and the model's severity agreement."""
    test = test_rows(rows)
    texts = [r.text for r in test]
    predict, base_thresholds = baseline(rows, model.card["target_precision_by_label"])
    proba = {"model": model.predict_proba(texts), "baseline": predict(texts)}
    return {
        "model": evaluate_scores(test, proba["model"], model.thresholds),
        "baseline": evaluate_scores(test, proba["baseline"], base_thresholds),
        "severity": severity_agreement(model, test),
        "_proba": proba,
        "_rows": test,
    }


def format_table(report: dict[str, Any]) -> str:
    """Side-by-side text table: model vs baseline, per label and source."""
    head = f"{'label':9} {'source':27} {'n':>5} {'pos':>4}  " + "  ".join(
        f"{name:^31}" for name in ("model AUPRC ROC  P    R    F1", "baseline AUPRC ROC P  R    F1")
    )
    lines = [head, "-" * len(head)]
    for label in LABELS:
        for source, m in report["model"][label].items():
            b = report["baseline"][label][source]
            lines.append(
                f"{label:9} {source:27} {m['n']:>5} {m['positives']:>4}  {_cells(m)}  {_cells(b)}"
            )
    return "\n".join(lines)


def _cells(m: dict[str, Any]) -> str:
    def f(v: float | None) -> str:
        return "  -  " if v is None else f"{v:.3f}"

    return " ".join(f(m[k]) for k in ("auprc", "roc_auc", "precision", "recall", "f1")) + " "


def plot_pr_curves(report: dict[str, Any], directory: Path) -> list[Path]:
    """One PNG per label: model and baseline PR curves on the pooled test split."""
    try:
        import matplotlib
    except ImportError:
        raise SystemExit(
            "labeler: PR curves need matplotlib: pip install 'labeler[train]'"
        ) from None

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import PrecisionRecallDisplay

    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for j, label in enumerate(LABELS):
        idx = [i for i, r in enumerate(report["_rows"]) if r.labels[label] is not None]
        y = np.array([report["_rows"][i].labels[label] for i in idx])
        fig, ax = plt.subplots(figsize=(5, 4))
        for name in ("model", "baseline"):
            PrecisionRecallDisplay.from_predictions(
                y, report["_proba"][name][idx, j], name=name, ax=ax
            )
        ax.set_title(f"{label}: precision-recall on the test split")
        path = directory / f"pr_{label}.png"
        fig.savefig(path, dpi=100, bbox_inches="tight")
        plt.close(fig)
        paths.append(path)
    return paths


def write_metrics(report: dict[str, Any], path: Path) -> None:
    import json

    path.parent.mkdir(parents=True, exist_ok=True)
    public = {k: v for k, v in report.items() if not k.startswith("_")}
    path.write_text(json.dumps(public, indent=2) + "\n", encoding="utf-8")
