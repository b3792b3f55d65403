"""Fit the model: shared vectorizer, one calibrated logistic regression per label.

Probabilities are calibrated with Platt scaling fitted on cross-validated
decision values (``CalibratedClassifierCV(ensemble=False)``), so each label keeps
a single linear model whose coefficients explain its flags. Thresholds are then
chosen on the validation split: the lowest score whose precision reaches the
target, i.e. the most recall at that precision.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from labeler.features import make_vectorizer
from labeler.labels import LABELS
from labeler.learn.card import card_markdown, make_card
from labeler.learn.dataset import REVIEWED, Row, split_of
from labeler.learn.thresholds import choose_threshold
from labeler.model import Model

# Chosen by leave-one-source-out (training/compare_loso.py; the model card has the table):
# - thresholds reach TARGET_PRECISION (graphic: GRAPHIC_TARGET) on the validation split.
#   Out of source, 0.80 left violence recall at 1-16% per source; 0.60 gives 16-44% at
#   precision 0.18-0.93 (0.50: 35-66%, but it flags "Violence is never the answer").
#   Choosing them on pooled out-of-source validation scores instead did worse: the other
#   sources' hard cases set them so high that held-out news kept 0.3-0.5% recall.
#   Graphic: 0.60 loses the beheading regression case that 0.50 keeps; out of source the
#   two do alike (graphic recall at most 5%, XSTest's 1 of 8 aside).
# - every source counts as 400 rows in training, the big ones down-weighted, the small
#   hand-written hard negatives (authored, XSTest) up, and C = 2. The old weights (big
#   sources capped at 1500 rows, C = 4) ranked ethos and news 0.02-0.06 AUPRC higher out
#   of source, but scored "Violence is never the answer" above half the violent
#   validation rows, so no threshold with useful recall left it unflagged.
TARGET_PRECISION = 0.60
GRAPHIC_TARGET = 0.50
MAX_SOURCE_WEIGHT = MIN_SOURCE_WEIGHT = 400.0
C = 2.0  # the regressions' inverse regularisation strength
VAL_SOURCE_CAP = 150.0  # per source, when choosing thresholds on validation scores


def source_weights(
    rows: list[Row], cap: float | None = None, floor: float | None = None
) -> np.ndarray:
    """Per-row weights so that no source counts for more than ``cap`` rows, nor for
    fewer than ``floor`` (defaults: ``MAX_SOURCE_WEIGHT``, ``MIN_SOURCE_WEIGHT``;
    reviewed passages only capped).

    >>> rows = [Row(str(i), "", "big" if i else "small", "", {}) for i in range(5)]
    >>> source_weights(rows, cap=2.0, floor=2.0).tolist()
    [2.0, 0.5, 0.5, 0.5, 0.5]
    """
    cap = MAX_SOURCE_WEIGHT if cap is None else cap
    floor = MIN_SOURCE_WEIGHT if floor is None else floor
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.source] = counts.get(r.source, 0) + 1
    return np.array(
        [_counted_as(r.source, counts[r.source], cap, floor) / counts[r.source] for r in rows]
    )


def _counted_as(source: str, n: int, cap: float, floor: float) -> float:
    """How many rows a source of ``n`` rows counts for. Reviewed passages are never
    weighted up: a batch of reviews must not outweigh the rows it is one of."""
    return min(float(n), cap) if source == REVIEWED else max(floor, min(float(n), cap))


def fit_classifier(X: Any, y: np.ndarray, weights: np.ndarray) -> Any:
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold

    base = LogisticRegression(C=C, class_weight="balanced", max_iter=2000)
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
    model: Model, val_rows: list[Row], target_precision: float | dict[str, float]
) -> dict[str, dict[str, float]]:
    """Per label, the threshold reaching its target precision (one for all, or per label)
    on ``val_rows`` as ``model`` scores them: the validation split of its own sources."""
    proba = model.predict_proba([r.text for r in val_rows])
    out = {}
    for j, label in enumerate(LABELS):
        target = (
            target_precision if isinstance(target_precision, float) else target_precision[label]
        )
        idx = [i for i, r in enumerate(val_rows) if r.labels[label] is not None]
        y = np.array([val_rows[i].labels[label] for i in idx])
        # big sources are capped, so the template set alone does not set the threshold
        weights = source_weights([val_rows[i] for i in idx], VAL_SOURCE_CAP, 0.0)
        out[label] = choose_threshold(y, proba[idx, j], target, weights)
    return out


def label_targets(target_precision: float) -> dict[str, float]:
    """Each label's target precision: ``target_precision``, graphic at most GRAPHIC_TARGET."""
    return {"violence": target_precision, "graphic": min(target_precision, GRAPHIC_TARGET)}


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
    model = fit_model(train_rows)
    targets = label_targets(target_precision)
    # the training data's own validation rows: reviews move a threshold only through
    # labeler.learn.feedback.retune_thresholds, which may raise it, never lower it
    thresholds = validation_thresholds(
        model, [r for r in val_rows if r.source != REVIEWED], targets
    )
    p_val = model.predict_proba([r.text for r in val_rows])[:, LABELS.index("violence")]
    described_at = choose_described_at(val_rows, p_val, thresholds["violence"]["threshold"])
    model.card = make_card(data_dir, rows, thresholds, described_at, target_precision)
    model.card["target_precision_by_label"] = targets
    return model, rows


def train_and_save(data_dir: Path, out_dir: Path, reports_dir: Path) -> str:
    """Train, evaluate on the test split, write the model and its card; return the table."""
    from labeler.learn.evaluation import (
        evaluate,
        format_table,
        plot_pr_curves,
        pr_points,
        write_metrics,
    )
    from labeler.learn.loso import (
        format_loso,
        held_out_thresholds,
        loso_report,
        out_of_source_scores,
    )
    from labeler.model import save_model

    model, rows = train(data_dir)
    report = evaluate(model, rows)
    model.card["metrics"] = {"test": report["model"], "baseline_test": report["baseline"]}
    model.card["pr_curve"] = pr_points(report["_rows"], report["_proba"]["model"])
    # every held-out source at the shipped way of choosing thresholds, and at the
    # alternative measured against it (pooled out-of-source scores, the same targets)
    targets = model.card["target_precision_by_label"]
    oos = out_of_source_scores(rows, rows, {"shipped": targets})
    model.card["leave_one_source_out"] = loso_report(
        oos,
        {"shipped": oos.in_domain["shipped"], "pooled": held_out_thresholds(oos, targets)},
    )
    save_model(model, out_dir)
    table = format_table(report)
    loso = format_loso(model.card["leave_one_source_out"])
    (out_dir / "card.md").write_text(card_markdown(model.card, table, loso), encoding="utf-8")
    write_metrics(report, reports_dir / "metrics.json")
    plot_pr_curves(report, reports_dir)
    return table
