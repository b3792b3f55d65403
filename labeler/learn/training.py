"""Fit the model: shared vectorizer, one calibrated logistic regression per label.

Probabilities are calibrated with Platt scaling fitted on cross-validated
decision values (``CalibratedClassifierCV(ensemble=False)``), so each label keeps
a single linear model whose coefficients explain its flags. Thresholds are then
chosen on the validation split: the lowest score whose precision reaches the
target, i.e. the most recall at that precision.
"""

from __future__ import annotations

import hashlib
import platform
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from labeler.features import make_vectorizer
from labeler.labels import LABELS
from labeler.learn.dataset import Row, data_files, split_of
from labeler.model import Model, sha256_of

TARGET_PRECISION = 0.80
REVIEWED = "reviewed"  # the source name of passages labelled in the review store
MAX_SOURCE_WEIGHT = 1500.0  # a big template set (hatecheck) must not dominate
VAL_SOURCE_CAP = 150.0  # the same, when choosing thresholds on the validation split


def source_weights(rows: list[Row], cap: float = MAX_SOURCE_WEIGHT) -> np.ndarray:
    """Per-row weights so that no source counts for more than ``cap`` rows."""
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.source] = counts.get(r.source, 0) + 1
    return np.array([min(1.0, cap / counts[r.source]) for r in rows])


def fit_classifier(X: Any, y: np.ndarray, weights: np.ndarray) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    base = LogisticRegression(C=4.0, class_weight="balanced", max_iter=2000)
    clf = CalibratedClassifierCV(base, method="sigmoid", cv=StratifiedKFold(5), ensemble=False)
    return clf.fit(X, y, sample_weight=weights)


def choose_threshold(
    y: np.ndarray, p: np.ndarray, target: float, weights: np.ndarray | None = None
) -> dict[str, float]:
    """The lowest threshold with (weighted) precision >= target: the most recall there.

    >>> choose_threshold(np.array([0, 1, 0, 1, 1]), np.array([.1, .4, .5, .8, .9]), 0.9)
    {'threshold': 0.8, 'precision': 1.0, 'recall': 0.6667}
    """
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(y, p, sample_weight=weights)
    ok = np.flatnonzero(precision[:-1] >= target)
    i = int(ok[0]) if ok.size else int(np.argmax(precision[:-1]))
    return {
        "threshold": float(thresholds[i]),
        "precision": round(float(precision[i]), 4),
        "recall": round(float(recall[i]), 4),
    }


def choose_described_at(rows: list[Row], p_violence: np.ndarray, floor: float) -> float:
    """Violence score separating 'described' (2) from 'in passing' (1) on seed rows.

    Picks the cut with the best balanced accuracy among hand-labelled non-graphic
    violent rows; never below the violence threshold.
    """
    pick = [i for i, r in enumerate(rows) if r.severity in (1, 2)]
    if len(pick) < 10:
        return floor
    y = np.array([rows[i].severity == 2 for i in pick])
    p = p_violence[pick]
    best, best_score = floor, -1.0
    for cut in np.unique(p[p >= floor]):
        pred = p >= cut
        score = (pred[y].mean() if y.any() else 0) + ((~pred[~y]).mean() if (~y).any() else 0)
        if score > best_score:
            best, best_score = float(cut), score
    return best


def train(
    data_dir: Path, target_precision: float = TARGET_PRECISION, extra: list[Row] | None = None
) -> tuple[Model, list[Row]]:
    """Fit on the train split, tune thresholds on validation; returns model and rows.

    ``extra`` rows (reviewed passages from the store) join the training data and
    are split by the same grouped rule.
    """
    from labeler.learn.dataset import load_rows

    rows = load_rows(data_dir) + list(extra or [])
    train_rows = [r for r in rows if split_of(r.group) == "train"]
    val_rows = [r for r in rows if split_of(r.group) == "val"]
    vectorizer = make_vectorizer().fit([r.text for r in train_rows])
    classifiers, thresholds = {}, {}
    for label in LABELS:
        part = [r for r in train_rows if r.labels[label] is not None]
        X = vectorizer.transform([r.text for r in part])
        y = np.array([r.labels[label] for r in part])
        classifiers[label] = fit_classifier(X, y, source_weights(part))
        val = [r for r in val_rows if r.labels[label] is not None]
        p = classifiers[label].predict_proba(vectorizer.transform([r.text for r in val]))[:, 1]
        y_val = np.array([r.labels[label] for r in val])
        # big sources are capped, so the template set alone does not set the threshold
        weights = source_weights(val, VAL_SOURCE_CAP)
        thresholds[label] = choose_threshold(y_val, p, target_precision, weights)
    p_val = classifiers["violence"].predict_proba(vectorizer.transform([r.text for r in val_rows]))[
        :, 1
    ]
    described_at = choose_described_at(val_rows, p_val, thresholds["violence"]["threshold"])
    card = make_card(data_dir, rows, thresholds, described_at, target_precision)
    return Model.from_sklearn(vectorizer, classifiers, card), rows


def make_card(
    data_dir: Path,
    rows: list[Row],
    thresholds: dict[str, dict[str, float]],
    described_at: float,
    target_precision: float,
) -> dict[str, Any]:
    """The model card: what the model was trained on, with what, and how it did."""
    import sklearn

    files = {str(p.relative_to(data_dir)): sha256_of(p) for p in data_files(data_dir)}
    reviewed = sorted(f"{r.id}:{r.labels}:{r.severity}" for r in rows if r.source == REVIEWED)
    digest = "".join(sorted(files.values())) + "".join(reviewed)
    data_hash = hashlib.sha256(digest.encode()).hexdigest()[:8]
    counts: dict[str, dict[str, int]] = {}
    for r in rows:
        c = counts.setdefault(r.source, {"train": 0, "val": 0, "test": 0})
        c[split_of(r.group)] += 1
    return {
        "version": f"{date.today().isoformat()}-{data_hash}",
        "data_hash": data_hash,
        "target_precision": target_precision,
        "thresholds": {label: round(t["threshold"], 6) for label, t in thresholds.items()},
        "validation_at_threshold": {
            label: {k: v for k, v in t.items() if k != "threshold"}
            for label, t in thresholds.items()
        },
        "described_at": round(described_at, 6),
        "data_files": files,
        "rows_by_source": counts,
        "libraries": {
            "python": platform.python_version(),
            "scikit-learn": sklearn.__version__,
            "numpy": np.__version__,
        },
        "intended_use": (
            "Flag English passages (news copy, user stories, fiction) that describe violence "
            "or depict it graphically, for a human reviewer to confirm. Not a sole basis for "
            "removing content or judging people."
        ),
        "limitations": [
            "Word n-grams only: misses violence described without typical vocabulary, and "
            "can be fooled by negation or irony it has not seen.",
            "The graphic label rests on a small hand-labelled seed set (see training/data/seed).",
            "Trained on English; 2002-2005 news, fan fiction, and synthetic threat templates.",
            "Training data includes non-commercial (AG News) and unlicensed research text "
            "(IndiaPoliceEvents): check those terms before commercial use of these weights.",
        ],
    }


def train_and_save(data_dir: Path, out_dir: Path, reports_dir: Path) -> str:
    """Train, evaluate on the test split, write the model and its card; return the table."""
    from labeler.learn.evaluation import (
        evaluate,
        format_table,
        plot_pr_curves,
        pr_points,
        write_metrics,
    )
    from labeler.model import save_model

    model, rows = train(data_dir)
    report = evaluate(model, rows)
    model.card["metrics"] = {"test": report["model"], "baseline_test": report["baseline"]}
    model.card["pr_curve"] = pr_points(report["_rows"], report["_proba"]["model"])
    save_model(model, out_dir)
    table = format_table(report)
    (out_dir / "card.md").write_text(card_markdown(model.card, table), encoding="utf-8")
    write_metrics(report, reports_dir / "metrics.json")
    plot_pr_curves(report, reports_dir)
    return table


def card_markdown(card: dict[str, Any], table: str) -> str:
    """The human-readable model card."""
    val = card["validation_at_threshold"]
    thresholds = "\n".join(
        f"- `{label}` ≥ {t:.4f} (validation precision {val[label]['precision']}, "
        f"recall {val[label]['recall']})"
        for label, t in card["thresholds"].items()
    )
    files = "\n".join(
        f"- `{name}` sha256 `{digest}`" for name, digest in card["data_files"].items()
    )
    counts = "\n".join(f"- {source}: {c}" for source, c in card["rows_by_source"].items())
    libs = ", ".join(f"{k} {v}" for k, v in card["libraries"].items())
    limits = "\n".join(f"- {item}" for item in card["limitations"])
    return f"""# Model card: {card["version"]}

## Intended use
{card["intended_use"]}

## Model
Word 1-2-gram TF-IDF (shared) and, per label, a class-balanced logistic regression
calibrated with Platt scaling on 5-fold cross-validated scores. Scores are
probabilities that a reviewer following the rubric gives the label.

## Thresholds (target precision {card["target_precision"]}, chosen on the validation split)
{thresholds}
- severity 2 ("violence described") when the violence score ≥ {card["described_at"]:.4f}

## Test-split metrics (model vs plain TF-IDF + LogisticRegression baseline)
```
{table}
```

## Data (rows by source and split)
{counts}

{files}

## Libraries
{libs}

## Limitations
{limits}
"""
