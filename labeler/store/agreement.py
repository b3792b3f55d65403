"""How far to trust the review figures: shares and kappas with their sample size and a 95%
interval, and "too few to say" below a minimum.

Pure functions over reviewed passages (``labeler.store.review.Reviewed``) and decisions
(``Review``). A share (precision of the model's flags, agreement) gets a Wilson score
interval, which stays inside [0, 1] and is honest on small samples; Cohen's kappa gets the
usual large-sample standard error, ``sqrt(po (1 - po) / (n (1 - pe)^2))``. Below
``MIN_SHARE`` items (``MIN_KAPPA`` pairs for kappa) no value is given at all: 100% of five
reviews says nothing.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import median

from labeler.store.review import Review, Reviewed

Z95 = 1.959964  # the normal quantile of a two-sided 95% interval
MIN_SHARE = 10  # items a share needs before it is shown
MIN_KAPPA = 20  # passages two people reviewed before a kappa is shown
SESSION_GAP = 600.0  # seconds: a longer pause between two decisions ends a sitting


@dataclass(frozen=True)
class Estimate:
    """A figure measured on ``n`` items, with its 95% interval; ``value`` (and the
    interval) None when ``n`` is below ``minimum`` or the figure is undefined."""

    value: float | None
    low: float | None
    high: float | None
    n: int
    minimum: int

    @property
    def enough(self) -> bool:
        return self.n >= self.minimum and self.value is not None


def wilson(successes: int, n: int, minimum: int = MIN_SHARE) -> Estimate:
    """The share ``successes / n`` with its Wilson score interval.

    >>> e = wilson(8, 10)
    >>> e.value, round(e.low, 3), round(e.high, 3)
    (0.8, 0.49, 0.943)
    >>> wilson(5, 5).value is None  # "100%" of five: too few to say
    True
    """
    if n < minimum or n == 0:
        return Estimate(None, None, None, n, minimum)
    p = successes / n
    z2 = Z95 * Z95
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return Estimate(round(p, 4), max(0.0, centre - half), min(1.0, centre + half), n, minimum)


def kappa(a: list[int], b: list[int], minimum: int = MIN_KAPPA) -> Estimate:
    """Cohen's kappa of two raters' binary labels with its 95% interval; no value below
    ``minimum`` pairs, nor when it is undefined (both raters always gave one label).

    >>> kappa([1, 1, 0, 0] * 5, [1, 1, 0, 0] * 5).value
    1.0
    >>> kappa([1, 0], [1, 0]).value is None  # one or two passages: too few
    True
    """
    n = len(a)
    if n != len(b):
        raise ValueError("kappa needs one label from each rater for every passage")
    if n < minimum or n == 0:
        return Estimate(None, None, None, n, minimum)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    pa, pb = sum(a) / n, sum(b) / n
    expected = pa * pb + (1 - pa) * (1 - pb)
    if expected == 1.0:
        return Estimate(None, None, None, n, minimum)
    k = (observed - expected) / (1 - expected)
    se = math.sqrt(observed * (1 - observed) / (n * (1 - expected) ** 2))
    return Estimate(round(k, 4), max(-1.0, k - Z95 * se), min(1.0, k + Z95 * se), n, minimum)


def label_statistics(items: list[Reviewed], label: str) -> dict[str, Estimate]:
    """One label's figures: precision of the model's flags (share of flagged passages the
    current label confirms), agreement of model and current label, and kappa between the
    first two reviewers of each passage two people reviewed."""
    model = [int(label in i.model_flags) for i in items]
    human = [getattr(i.current, label) for i in items]
    confirmed = sum(m and h for m, h in zip(model, human, strict=True))
    agree = sum(m == h for m, h in zip(model, human, strict=True))
    pairs = [list(i.by_reviewer.values())[:2] for i in items if len(i.by_reviewer) >= 2]
    return {
        "precision": wilson(confirmed, sum(model)),
        "agreement": wilson(agree, len(items)),
        "kappa": kappa(
            [getattr(first, label) for first, _ in pairs],
            [getattr(second, label) for _, second in pairs],
        ),
    }


@dataclass(frozen=True)
class ReviewerFigures:
    """One reviewer's work: decisions made (undone ones included, undos not), passages
    whose label they gave still stands, median seconds between decisions in a sitting,
    and how often their label matched another reviewer's on the same passage."""

    reviewer: str
    decisions: int
    labelled: int
    seconds_per_decision: Estimate
    agreement: Estimate


def reviewer_statistics(reviews: Iterable[Review], items: list[Reviewed]) -> list[ReviewerFigures]:
    """Per reviewer, most decisions first (``reviews``: every stored decision)."""
    times: dict[str, list[str]] = {}
    for r in reviews:
        if r.decision != "undo":
            times.setdefault(r.reviewer, []).append(str(r.decided_at))
    labelled: dict[str, int] = {}
    matches: dict[str, list[bool]] = {}
    for item in items:
        for who, labels in item.by_reviewer.items():
            labelled[who] = labelled.get(who, 0) + 1
            others = [other for name, other in item.by_reviewer.items() if name != who]
            matches.setdefault(who, []).extend(labels == other for other in others)
    out = [
        ReviewerFigures(
            who,
            len(stamps),
            labelled.get(who, 0),
            pace(stamps),
            wilson(sum(matches.get(who, [])), len(matches.get(who, []))),
        )
        for who, stamps in times.items()
    ]
    return sorted(out, key=lambda f: (-f.decisions, f.reviewer))


def pace(stamps: list[str], minimum: int = MIN_SHARE) -> Estimate:
    """Median seconds between consecutive decisions (ISO time stamps), pauses longer than
    ``SESSION_GAP`` left out as breaks between sittings; n is the gaps measured. The
    interval is the gaps' interquartile range, a spread rather than a confidence bound.

    >>> base = "2026-12-07T10:00:"
    >>> pace([f"{base}{s:02d}" for s in range(0, 44, 4)]).value
    4.0
    """
    from datetime import datetime

    seconds = sorted(datetime.fromisoformat(s).timestamp() for s in stamps)
    gaps = sorted(b - a for a, b in itertools.pairwise(seconds) if b - a <= SESSION_GAP)
    if len(gaps) < minimum:
        return Estimate(None, None, None, len(gaps), minimum)
    quarter = len(gaps) // 4
    return Estimate(round(median(gaps), 1), gaps[quarter], gaps[-1 - quarter], len(gaps), minimum)


def statistics(items: list[Reviewed], labels: tuple[str, ...] = ("violence", "graphic")) -> dict:
    """Every label's figures, and the passages reviewers disagree on: still ``unresolved``
    (left out of training) and ``resolved`` by an adjudicator."""
    return {
        "reviewed": len(items),
        "labels": {label: label_statistics(items, label) for label in labels},
        "unresolved": [i.passage_id for i in items if i.unresolved],
        "resolved": [i.passage_id for i in items if i.disputed and not i.unresolved],
    }


def value_text(estimate: Estimate, form: str = "percent") -> str:
    """The figure alone: ``form`` "percent", "coefficient" or "seconds"; or why there is
    none ("too few to say", or "undefined" when enough items cannot define it).

    >>> value_text(wilson(8, 10)), value_text(wilson(3, 4))
    ('80%', 'too few to say')
    """
    if estimate.enough:
        return _number(estimate.value, form)
    return "too few to say" if estimate.n < estimate.minimum else "undefined"


def interval_text(estimate: Estimate, form: str = "percent") -> str:
    """The 95% interval (for pace: the middle half of the pauses), or "" when none.

    >>> interval_text(wilson(8, 10))
    '49–94%'
    """
    if not estimate.enough or estimate.low is None or estimate.high is None:
        return ""
    low, high = _number(estimate.low, form), _number(estimate.high, form)
    unit = {"percent": "%", "seconds": " s"}.get(form, "")
    return f"{low.removesuffix(unit)}–{high}" if form != "coefficient" else f"{low} to {high}"


def shown(estimate: Estimate, form: str = "percent") -> str:
    """A figure as a reader sees it: value, interval and n, or "too few to say".

    >>> shown(wilson(8, 10))
    '80% (49–94%), n = 10'
    >>> shown(wilson(3, 4))
    'too few to say (n = 4, needs 10)'
    """
    if not estimate.enough:
        if estimate.n >= estimate.minimum:
            return f"undefined, n = {estimate.n}"
        return f"too few to say (n = {estimate.n}, needs {estimate.minimum})"
    return f"{value_text(estimate, form)} ({interval_text(estimate, form)}), n = {estimate.n}"


def _number(value: float | None, form: str) -> str:
    if value is None:
        return ""
    if form == "percent":
        return f"{value:.0%}"
    if form == "seconds":
        return f"{value:.1f} s"
    return f"{value:.2f}"
