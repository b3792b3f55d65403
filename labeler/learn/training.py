"""Fit the model: shared vectorizer, one calibrated logistic regression per label.

Probabilities are calibrated with Platt scaling fitted on cross-validated
decision values (``CalibratedClassifierCV(ensemble=False)``), so each label keeps
a single linear model whose coefficients explain its flags. Thresholds are then
chosen on the validation split: the lowest score whose precision reaches the
target, i.e. the most recall at that precision.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from labeler.features import make_vectorizer
from labeler.labels import LABELS
from labeler.learn.card import card_markdown, make_card
from labeler.learn.dataset import Row, split_of
from labeler.learn.thresholds import choose_threshold
from labeler.model import Model

if TYPE_CHECKING:
    from labeler.learn.loso import OutOfSource

TARGET_PRECISION = 0.80
MAX_SOURCE_WEIGHT = 1500.0  # a big template set (hatecheck) must not dominate
VAL_SOURCE_CAP = 150.0  # the same, when choosing thresholds on the validation split
THRESHOLDS_FROM = "out-of-source validation scores"


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


def fit_model(train_rows: list[Row], card: dict[str, Any] | None = None) -> Model:
    """The shipped recipe fitted on ``train_rows``: shared vectorizer, one calibrated
    regression per label (rows without the label left out of that label's)."""
    vectorizer = make_vectorizer().fit([r.text for r in train_rows])
    classifiers = {}
    for label in LABELS:
        part = [r for r in train_rows if r.labels[label] is not None]
        X = vectorizer.transform([r.text for r in part])
        y = np.array([r.labels[label] for r in part])
        classifiers[label] = fit_classifier(X, y, source_weights(part))
    card = card or {"version": "fold", "thresholds": {}, "described_at": 1.0}
    return Model.from_sklearn(vectorizer, classifiers, card)


def validation_thresholds(
    model: Model, val_rows: list[Row], target_precision: float
) -> dict[str, dict[str, float]]:
    """Per label, the threshold reaching ``target_precision`` on ``val_rows`` as ``model``
    scores them (in-domain: the validation split of the sources it trained on)."""
    proba = model.predict_proba([r.text for r in val_rows])
    out = {}
    for j, label in enumerate(LABELS):
        idx = [i for i, r in enumerate(val_rows) if r.labels[label] is not None]
        y = np.array([val_rows[i].labels[label] for i in idx])
        # big sources are capped, so the template set alone does not set the threshold
        weights = source_weights([val_rows[i] for i in idx], VAL_SOURCE_CAP)
        out[label] = choose_threshold(y, proba[idx, j], target_precision, weights)
    return out


def train(
    data_dir: Path,
    target_precision: float = TARGET_PRECISION,
    extra: list[Row] | None = None,
    out_of_source: bool = True,
) -> tuple[Model, list[Row]]:
    """Fit on the train split, choose thresholds; returns model and rows
    (:func:`train_with_scores` without the out-of-source scores)."""
    model, rows, _ = train_with_scores(data_dir, target_precision, extra, out_of_source)
    return model, rows


def train_with_scores(
    data_dir: Path,
    target_precision: float = TARGET_PRECISION,
    extra: list[Row] | None = None,
    out_of_source: bool = True,
) -> tuple[Model, list[Row], OutOfSource | None]:
    """Fit on the train split, choose thresholds; returns model, rows and the
    out-of-source scores the thresholds came from (None with ``out_of_source=False``).

    Thresholds (``THRESHOLDS_FROM``) are chosen on validation rows scored by models that
    never saw their source (``labeler.learn.loso``), since the model meets unseen sources;
    ``out_of_source=False`` chooses them on the in-domain validation split instead (for
    callers that only need scores: six fewer fits). ``extra`` rows (reviewed passages
    from the store) join the training data and are split by the same grouped rule.
    """
    from labeler.learn.dataset import load_rows
    from labeler.learn.loso import out_of_source_scores, pooled_thresholds

    rows = load_rows(data_dir) + list(extra or [])
    train_rows = [r for r in rows if split_of(r.group) == "train"]
    val_rows = [r for r in rows if split_of(r.group) == "val"]
    model = fit_model(train_rows)
    thresholds = validation_thresholds(model, val_rows, target_precision)
    oos = None
    if out_of_source:
        oos = out_of_source_scores(rows, rows)
        thresholds = pooled_thresholds(rows, oos.proba, target_precision)
    p_val = model.predict_proba([r.text for r in val_rows])[:, LABELS.index("violence")]
    described_at = choose_described_at(val_rows, p_val, thresholds["violence"]["threshold"])
    model.card = make_card(data_dir, rows, thresholds, described_at, target_precision)
    model.card["thresholds_from"] = THRESHOLDS_FROM if out_of_source else "validation"
    return model, rows, oos


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
