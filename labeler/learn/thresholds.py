"""Where a label's threshold goes, and what a threshold does: precision and recall there.

Scores are calibrated probabilities in [0, 1], higher meaning the label is more likely;
a passage is flagged for a label when its score is at or above the label's threshold.
Precision is the share of flagged passages that carry the label, recall the share of
passages carrying it that are flagged. Both are None where undefined (nothing flagged,
no positive). Every precision in the project (evaluation, the gate, threshold re-tuning,
the dashboard's estimate from reviews) comes from :func:`precision_recall`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def precision_recall(truth: Sequence[int] | np.ndarray, flagged: Any) -> dict[str, float | None]:
    """Precision and recall of ``flagged`` (booleans) against ``truth`` (0/1), rounded to 4
    places; None where undefined.

    >>> precision_recall([1, 0, 1, 1], [True, True, False, False])
    {'precision': 0.5, 'recall': 0.3333}
    >>> precision_recall([0, 0], [False, False])
    {'precision': None, 'recall': None}
    """
    tp, predicted, positives = _counts(truth, flagged)
    return {
        "precision": round(tp / predicted, 4) if predicted else None,
        "recall": round(tp / positives, 4) if positives else None,
    }


def f1(truth: Sequence[int] | np.ndarray, flagged: Any) -> float:
    """The harmonic mean of precision and recall, 0 where both are undefined or 0.

    >>> f1([1, 0, 1, 1], [True, True, False, False])
    0.4
    """
    tp, predicted, positives = _counts(truth, flagged)
    return round(2 * tp / (predicted + positives), 4) if predicted + positives else 0.0


def _counts(truth: Sequence[int] | np.ndarray, flagged: Any) -> tuple[int, int, int]:
    """True positives, flagged passages, passages that carry the label."""
    y = np.asarray(truth) == 1
    predicted = np.asarray(flagged, dtype=bool)
    return int((predicted & y).sum()), int(predicted.sum()), int(y.sum())


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
