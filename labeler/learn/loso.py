"""Leave-one-source-out (LOSO): how a recipe does on a source it never saw.

The shipped model meets text from sources it was not trained on, and the in-domain test
split flatters it there (each source's style is learnt). So each real source (or group of
sources, ``LOSO_SOURCES``) is held out in turn: the recipe is fitted on the train split of
every other source (calibrated on their validation split) and scores every row of the
held-out one. These scores give per-source AUPRC and recall at an operating point, and
the review thresholds (:func:`review_thresholds`): chosen on out-of-source scores, because
that is where a model meets most text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from labeler.labels import LABELS
from labeler.learn.dataset import Row, split_of
from labeler.learn.recipe import Inputs, Recipe

# Held out together: one source, or news (the two news sets, so "news" is unseen as a
# kind of text, not only as a newspaper). Rows of other sources (authored examples,
# reviewed passages) are always trained on and never scored here.
LOSO_SOURCES: dict[str, tuple[str, ...]] = {
    "news": ("ag_news_test", "india_police_events"),
    "fan fiction": ("trigger_warnings_passages",),
    "reddit": ("goemotions_reddit",),
    "hatecheck": ("hatecheck",),
    "ethos": ("ethos",),
    "xstest": ("xstest",),
    "books": ("gutenberg_books",),
    "reportage": ("gutenberg_reportage",),
    "forum": ("stormfront_posts",),
    "open news": ("gum_gentle",),
}


@dataclass
class OutOfSource:
    """Scores of ``rows`` by models that never saw their source.

    ``proba[i]`` is NaN where row i's source is in no fold; ``fold[i]`` names the fold
    that scored it."""

    rows: list[Row]
    proba: np.ndarray
    fold: list[str | None]

    def folds(self) -> list[str]:
        return [name for name in LOSO_SOURCES if name in self.fold]


def fold_of(source: str) -> str | None:
    """The fold a source is held out in, None if it is always trained on.

    >>> fold_of("india_police_events"), fold_of("authored")
    ('news', None)
    """
    return next((name for name, s in LOSO_SOURCES.items() if source in s), None)


def out_of_source_scores(rows: list[Row], recipe: Recipe, inputs: Inputs) -> OutOfSource:
    """Score every row of each fold's sources with ``recipe`` fitted on the other rows
    (their train split; calibrated on their validation split)."""
    proba = np.full((len(rows), len(LABELS)), np.nan)
    fold = [fold_of(r.source) for r in rows]
    for name in LOSO_SOURCES:
        idx = [i for i, f in enumerate(fold) if f == name]
        if not idx:
            continue
        rest = [r for r in rows if fold_of(r.source) != name]
        fitted = recipe.fit(
            [r for r in rest if split_of(r.group) == "train"],
            [r for r in rest if split_of(r.group) == "val"],
            inputs,
            severity=False,
        )
        proba[idx] = fitted.predict_proba([rows[i].text for i in idx])
    return OutOfSource(rows, proba, fold)


def balanced_recall_threshold(
    y: np.ndarray, p: np.ndarray, sources: list[str], recall: float
) -> float:
    """The highest threshold at which the mean over sources of each source's recall
    reaches ``recall`` (each source's positives weigh alike, so a big easy source does
    not set it alone).

    >>> balanced_recall_threshold(np.array([1, 1, 0, 1, 1]), np.array([.9, .8, .7, .3, .6]),
    ...                           ["a", "a", "a", "b", "b"], 0.75)
    0.6
    """
    positives = y == 1
    per_source = {s: 0 for s in sources}
    for s, pos in zip(sources, positives, strict=True):
        per_source[s] += int(pos)
    weight = np.array(
        [1.0 / per_source[s] if pos else 0.0 for s, pos in zip(sources, positives, strict=True)]
    )
    weight /= max(weight.sum(), 1e-12)
    order = np.argsort(-p, kind="stable")
    caught = np.cumsum(weight[order])
    # the first place (highest score) where the running recall reaches the target
    i = int(np.searchsorted(caught, recall - 1e-12))
    return float(p[order][min(i, len(order) - 1)])


def review_thresholds(
    oos: OutOfSource, recall: float, leave_out: str | None = None
) -> dict[str, float]:
    """Per label, the review threshold: balanced recall ``recall`` over the out-of-source
    validation-split scores of every fold (never test rows; not ``leave_out``'s, to see
    how a threshold chosen without a source does on it)."""
    out = {}
    for j, label in enumerate(LABELS):
        idx = [
            i
            for i, r in enumerate(oos.rows)
            if r.labels[label] is not None
            and oos.fold[i] not in (None, leave_out)
            and split_of(r.group) == "val"
        ]
        y = np.array([oos.rows[i].labels[label] for i in idx])
        out[label] = balanced_recall_threshold(
            y, oos.proba[idx, j], [oos.rows[i].source for i in idx], recall
        )
    return out


def loso_report(oos: OutOfSource, review_at: dict[str, dict[str, float]]) -> dict[str, Any]:
    """``{label: {source: {"fold", "n", "positives", "auprc", "review": {"recall",
    "share"}}}}`` per held-out source, over all its rows: AUPRC, and at the fold's review
    thresholds ``review_at[fold]`` (chosen without that fold), the recall of its positives
    and the share of its rows sent to review."""
    from labeler.learn.evaluation import metrics

    out: dict[str, Any] = {}
    for j, label in enumerate(LABELS):
        by_source: dict[str, list[int]] = {}
        for i, r in enumerate(oos.rows):
            if oos.fold[i] is not None and r.labels[label] is not None:
                by_source.setdefault(r.source, []).append(i)
        out[label] = {}
        for source, idx in sorted(by_source.items(), key=lambda kv: (oos.fold[kv[1][0]], kv[0])):
            y = np.array([oos.rows[i].labels[label] for i in idx])
            name = oos.fold[idx[0]]
            assert name is not None
            threshold = review_at[name][label]
            m = metrics(y, oos.proba[idx, j], threshold)
            out[label][source] = {
                "fold": name,
                "n": m["n"],
                "positives": m["positives"],
                "auprc": m["auprc"],
                "review": {
                    "recall": m["recall"] if m["positives"] else None,
                    "share": round(float((oos.proba[idx, j] >= threshold).mean()), 4),
                },
            }
    return out


def held_out_review_thresholds(oos: OutOfSource, recall: float) -> dict[str, dict[str, float]]:
    """Per fold, the review thresholds chosen without that fold's rows: what the held-out
    source would have met had it been new."""
    return {name: review_thresholds(oos, recall, leave_out=name) for name in oos.folds()}


def format_loso(reports: dict[str, dict[str, Any]], label: str = "violence") -> str:
    """One Markdown table, a row per held-out source and a column pair per recipe:
    AUPRC, and recall at the review point (share of the source's rows sent to review)."""
    names = list(reports)
    head = "| held-out source | n | pos | " + " | ".join(
        f"{name}: AUPRC / review R (share)" for name in names
    )
    lines = [head + " |", "|" + "---|" * (3 + len(names))]

    def f(v: float | None) -> str:
        return "–" if v is None else f"{v:.3f}"

    first = reports[names[0]][label]
    for source, m in first.items():
        cells = []
        for name in names:
            e = reports[name][label][source]
            cells.append(
                f"{f(e['auprc'])} / {f(e['review']['recall'])} ({e['review']['share']:.2f})"
            )
        lines.append(
            f"| {source} ({m['fold']}) | {m['n']} | {m['positives']} | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines)
