"""The labels, and the one rule that turns scores into flags and severity.

Scores are calibrated probabilities in [0, 1]: higher means more likely that a
reviewer applying the rubric (``labeler/rubric.md``) gives the label. A label is
flagged when its score reaches that label's threshold. Graphic content is
violence or its aftermath, so a graphic flag always brings a violence flag.

Severity (0-3): 0 none; 1 violence mentioned in passing; 2 violence described;
3 graphic. "Described" comes from the model's severity classifier (``described``),
or for older models from the violence score reaching ``described_at``. Every scored
record gets its flags and severity from :func:`decide`.
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
    if described is None:  # older models: a cut on the violence score
        described = proba[:, 0] >= described_at
    severity = np.where(flags[:, 1], 3, np.where(flags[:, 0], np.where(described, 2, 1), 0))
    return flags, severity


def flag_lists(flags: np.ndarray) -> list[list[str]]:
    """``flag_names`` of every row of ``decide``'s flags, in one pass.

    >>> flag_lists(np.array([[True, False], [True, True], [False, False]]))
    [['violence'], ['violence', 'graphic'], []]
    """
    codes = (flags[:, 0].astype(np.int64) + 2 * flags[:, 1]).tolist()
    return [list(_BY_CODE[c]) for c in codes]


def flag_names(row: np.ndarray) -> list[str]:
    """Names of the flagged labels in one row of ``decide``'s flags."""
    return list(_NAMES[tuple(row.tolist())])


_NAMES = {
    (violence, graphic): tuple(
        label for label, on in zip(LABELS, (violence, graphic), strict=True) if on
    )
    for violence in (False, True)
    for graphic in (False, True)
}


def rubric() -> str:
    """The labelling rubric reviewers and annotators follow (Markdown)."""
    return resources.files("labeler").joinpath("rubric.md").read_text(encoding="utf-8")


_BY_CODE = [_NAMES[(bool(c & 1), bool(c & 2))] for c in range(4)]
