"""The labels, and the one rule that turns scores into flags and severity.

Scores are calibrated probabilities in [0, 1]: higher means more likely that a
reviewer applying the rubric (``labeler/rubric.md``) gives the label. A label is
flagged when its score reaches that label's threshold. Graphic content is
violence or its aftermath, so a graphic flag always brings a violence flag.

Severity (0-3): 0 none; 1 violence mentioned in passing (flagged, score below
``described_at``); 2 violence described (score at or above ``described_at``);
3 graphic. Every scored record gets its flags and severity from :func:`decide`.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

LABELS: tuple[str, ...] = ("violence", "graphic")


def decide(
    proba: np.ndarray, thresholds: dict[str, float], described_at: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return (flags, severity) for an (n, 2) array of scores in LABELS order.

    >>> flags, sev = decide(np.array([[0.9, 0.1], [0.6, 0.0], [0.5, 0.95], [0.1, 0.1]]),
    ...                     {"violence": 0.5, "graphic": 0.9}, described_at=0.8)
    >>> flags.tolist(), sev.tolist()
    ([[True, False], [True, False], [True, True], [False, False]], [2, 1, 3, 0])
    """
    proba = np.asarray(proba, dtype=float).reshape(-1, len(LABELS))
    limits = np.array([thresholds[label] for label in LABELS])
    flags = proba >= limits
    flags[:, 0] |= flags[:, 1]
    severity = np.where(
        flags[:, 1], 3, np.where(flags[:, 0], np.where(proba[:, 0] >= described_at, 2, 1), 0)
    )
    return flags, severity


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
