"""The labels, and the one rule that turns scores into flags and severity.

Scores are calibrated probabilities in [0, 1]: higher means more likely that a
reviewer applying the rubric (``labeler/rubric.md``) gives the label. A label is
flagged when its score reaches that label's threshold. Graphic content is
violence or its aftermath, so a graphic flag always brings a violence flag.

A label is *to review* when its score reaches that label's review threshold (lower: the
review point is chosen for recall) or it is flagged, so review is always a superset of
the flags.

Severity (0-3): 0 none; 1 violence mentioned in passing (flagged, "described" score
below ``described_at``); 2 violence described (at or above it); 3 graphic. The
"described" score is the model's probability that violence is described rather than
mentioned in passing, or, for a model without one, the violence score. Every scored
record gets its flags, review and severity from :func:`decide`.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

LABELS: tuple[str, ...] = ("violence", "graphic")


def decide(
    proba: np.ndarray,
    thresholds: dict[str, float],
    described_at: float,
    described: np.ndarray | None = None,
    review_thresholds: dict[str, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (flags, severity, review) for an (n, 2) array of scores in LABELS order.

    >>> flags, sev, review = decide(np.array([[0.9, 0.1], [0.6, 0.0], [0.5, 0.95], [0.3, 0.1]]),
    ...     {"violence": 0.5, "graphic": 0.9}, described_at=0.8,
    ...     review_thresholds={"violence": 0.2, "graphic": 0.5})
    >>> flags.tolist(), sev.tolist()
    ([[True, False], [True, False], [True, True], [False, False]], [2, 1, 3, 0])
    >>> review.tolist()  # the last passage is not flagged, but is to review
    [[True, False], [True, False], [True, True], [True, False]]
    >>> decide(np.array([[0.6, 0.0]]), {"violence": 0.5, "graphic": 0.9}, 0.5,
    ...        described=np.array([0.2]))[1].tolist()
    [1]
    """
    proba = np.asarray(proba, dtype=float).reshape(-1, len(LABELS))
    flags = proba >= np.array([thresholds[label] for label in LABELS])
    flags[:, 0] |= flags[:, 1]
    review = flags.copy()
    if review_thresholds is not None:
        review |= proba >= np.array([review_thresholds[label] for label in LABELS])
        review[:, 0] |= review[:, 1]
    detail = proba[:, 0] if described is None else np.asarray(described, dtype=float)
    severity = np.where(
        flags[:, 1], 3, np.where(flags[:, 0], np.where(detail >= described_at, 2, 1), 0)
    )
    return flags, severity, review


def flag_names(flags: np.ndarray) -> list[list[str]]:
    """Names of the flagged labels in each row of ``decide``'s flags (one new list a row).

    >>> flag_names(np.array([[True, False], [True, True], [False, False]]))
    [['violence'], ['violence', 'graphic'], []]
    """
    codes = (flags.reshape(-1, len(LABELS)) @ (1 << np.arange(len(LABELS)))).tolist()
    return [list(_NAMES[code]) for code in codes]


# _NAMES[code]: the labels whose bits are set in code (bit i: LABELS[i] is flagged).
_NAMES = [
    tuple(label for i, label in enumerate(LABELS) if code >> i & 1)
    for code in range(1 << len(LABELS))
]


def rubric() -> str:
    """The labelling rubric reviewers and annotators follow (Markdown)."""
    return resources.files("labeler").joinpath("rubric.md").read_text(encoding="utf-8")
