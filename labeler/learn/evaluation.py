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
from labeler.model import Model

POOLED = "(pooled)"


def metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, Any]:
    """Ranking and thresholded metrics; ranking ones are None with a single class."""
    from sklearn.metrics import (
        average_precision_score,
        precision_recall_fscore_support,
        roc_auc_score,
    )

    both = 0 < y.sum() < len(y)
    pr, rc, f1, _ = precision_recall_fscore_support(
        y, p >= threshold, average="binary", zero_division=0
    )
    return {
        "n": int(len(y)),
        "positives": int(y.sum()),
        "auprc": round(float(average_precision_score(y, p)), 4) if both else None,
        "roc_auc": round(float(roc_auc_score(y, p)), 4) if both else None,
        "precision": round(float(pr), 4),
        "recall": round(float(rc), 4),
        "f1": round(float(f1), 4),
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


def baseline(rows: list[Row], target_precision: float) -> tuple[Callable, dict[str, float]]:
    """Plain TF-IDF (unigrams, defaults) + LogisticRegression per label."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    from labeler.learn.training import choose_threshold

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
        thresholds[label] = choose_threshold(y, p, target_precision)["threshold"]

    def predict(texts: list[str]) -> np.ndarray:
        return np.column_stack([pipes[label].predict_proba(texts)[:, 1] for label in LABELS])

    return predict, thresholds


def evaluate(model: Model, rows: list[Row]) -> dict[str, Any]:
    """Model and baseline metrics on the test split."""
    test = test_rows(rows)
    texts = [r.text for r in test]
    predict, base_thresholds = baseline(rows, float(model.card["target_precision"]))
    proba = {"model": model.predict_proba(texts), "baseline": predict(texts)}
    review = model.operating_points("review") if "operating_points" in model.card else None
    return {
        "model": evaluate_scores(test, proba["model"], model.thresholds),
        "model_review": evaluate_scores(test, proba["model"], review) if review else None,
        "baseline": evaluate_scores(test, proba["baseline"], base_thresholds),
        "_proba": proba,
        "_rows": test,
    }


def recall_at(y: np.ndarray, p: np.ndarray, threshold: float) -> float | None:
    return round(float((p[y == 1] >= threshold).mean()), 4) if y.sum() else None


def leave_one_source_out(
    data_dir: Path, rows: list[Row], embeddings: bool = False
) -> dict[str, Any]:
    """Per held-out source (``LOSO_SOURCES``): train the shipped recipe without it (train
    split of the rest; thresholds on the rest's validation split), score every row of
    it. ``{source: {label: {n, positives, auprc, recall_flag, recall_review}}}``."""
    from sklearn.metrics import average_precision_score

    from labeler.learn.training import loso_folds, train

    out: dict[str, Any] = {}
    for name, rest, held in loso_folds(rows):
        model, _ = train(data_dir, rows=rest, embeddings=embeddings)
        proba = model.predict_proba([r.text for r in held])
        flag, review = model.operating_points("flag"), model.operating_points("review")
        out[name] = {}
        for j, label in enumerate(LABELS):
            idx = [i for i, r in enumerate(held) if r.labels[label] is not None]
            y = np.array([held[i].labels[label] for i in idx])
            p = proba[idx, j]
            both = 0 < y.sum() < len(y)
            out[name][label] = {
                "n": len(y),
                "positives": int(y.sum()),
                "auprc": round(float(average_precision_score(y, p)), 4) if both else None,
                "recall_flag": recall_at(y, p, flag[label]),
                "recall_review": recall_at(y, p, review[label]),
            }
    return out


def format_loso(loso: dict[str, Any]) -> str:
    """The leave-one-source-out table, as Markdown."""
    lines = [
        "| held-out source | label | n | positives | AUPRC | recall @ flag | recall @ review |",
        "|---|---|---|---|---|---|---|",
    ]

    def f(v: float | None) -> str:
        return "–" if v is None else f"{v:.3f}"

    for source, labels in loso.items():
        for label, m in labels.items():
            lines.append(
                f"| {source} | {label} | {m['n']} | {m['positives']} | {f(m['auprc'])} | "
                f"{f(m['recall_flag'])} | {f(m['recall_review'])} |"
            )
    return "\n".join(lines)


def severity_kappa(model: Model, rows: list[Row]) -> dict[str, Any]:
    """Quadratic-weighted Cohen's kappa between predicted and labelled severity (0-3) on
    ``rows`` that carry a severity label."""
    from sklearn.metrics import cohen_kappa_score

    from labeler.labels import decide

    part = [r for r in rows if r.severity is not None]
    if not part:
        return {"n": 0, "kappa": None}
    F = model.features([r.text for r in part])
    flags, predicted = decide(
        model.proba(F), model.thresholds, model.described_at, described=model.described(F)
    )
    truth = np.array([r.severity for r in part])
    violent = truth >= 1
    both = violent & (predicted >= 1) & (truth < 3) & (predicted < 3)
    return {
        "n": len(part),
        "kappa": round(float(cohen_kappa_score(truth, predicted, weights="quadratic")), 4),
        "accuracy_1_vs_2": round(float((predicted[both] == truth[both]).mean()), 4)
        if both.any()
        else None,
        "n_1_vs_2": int(both.sum()),
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
