"""Leave-one-source-out (LOSO): how the model does on a source it never saw.

The shipped model meets text from sources it was not trained on, and the in-domain test
split flatters it there (each source's style is learnt). So each real source (or group of
sources, ``LOSO_SOURCES``) is held out in turn: the shipped recipe is fitted on the train
split of every other source and scores every row of the held-out one. These scores give
per-source AUPRC and precision / recall at an operating point, and the thresholds the
shipped model uses (:func:`pooled_thresholds`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from labeler.labels import LABELS
from labeler.learn.dataset import Row, split_of

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
}


Target = float | dict[str, float]  # a target precision, for every label or per label


@dataclass
class OutOfSource:
    """Scores of ``rows`` by models that never saw their source.

    ``proba[i]`` is NaN where row i's source is in no fold. ``fold[i]`` names the fold
    that scored it; ``in_domain[name][fold]`` is that fold model's own thresholds at the
    target precision named ``name``, chosen on the validation split of the sources it
    trained on (as the shipped model's are)."""

    rows: list[Row]
    proba: np.ndarray
    fold: list[str | None]
    in_domain: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)


def fold_of(source: str) -> str | None:
    """The fold a source is held out in, None if it is always trained on.

    >>> fold_of("india_police_events"), fold_of("authored")
    ('news', None)
    """
    return next((name for name, s in LOSO_SOURCES.items() if source in s), None)


def out_of_source_scores(
    pool: list[Row], rows: list[Row], targets: dict[str, Target] | None = None
) -> OutOfSource:
    """Score ``rows`` fold by fold with the recipe fitted on the train split of the
    ``pool`` rows of every other source. ``pool`` and ``rows`` differ only to compare
    training sets on the same held-out rows (the old data against the new).
    Also each fold model's in-domain thresholds at each of the named ``targets``."""
    from labeler.learn.training import fit_model, validation_thresholds

    proba = np.full((len(rows), len(LABELS)), np.nan)
    fold = [fold_of(r.source) for r in rows]
    targets = targets or {}
    in_domain: dict[str, dict[str, dict[str, float]]] = {t: {} for t in targets}
    for name in LOSO_SOURCES:
        idx = [i for i, f in enumerate(fold) if f == name]
        if not idx:
            continue
        rest = [r for r in pool if fold_of(r.source) != name]
        model = fit_model([r for r in rest if split_of(r.group) == "train"])
        proba[idx] = model.predict_proba([rows[i].text for i in idx])
        val = [r for r in rest if split_of(r.group) == "val"]
        for key, target in targets.items():
            chosen = validation_thresholds(model, val, target)
            in_domain[key][name] = {label: t["threshold"] for label, t in chosen.items()}
    return OutOfSource(rows, proba, fold, in_domain)


def pooled_thresholds(
    rows: list[Row],
    proba: np.ndarray,
    target_precision: Target,
    splits: tuple[str, ...] = ("val",),
    leave_out: str | None = None,
) -> dict[str, dict[str, float]]:
    """Per label, the lowest threshold reaching ``target_precision`` on the pooled
    out-of-source scores of the ``splits`` rows (never test), each source capped as on
    the validation split so no source sets it alone. ``leave_out`` drops a fold's rows:
    its own threshold must not have seen its labels."""
    from labeler.learn.thresholds import choose_threshold
    from labeler.learn.training import VAL_SOURCE_CAP, source_weights

    out = {}
    for j, label in enumerate(LABELS):
        idx = [
            i
            for i, r in enumerate(rows)
            if r.labels[label] is not None
            and np.isfinite(proba[i, j])
            and split_of(r.group) in splits
            and fold_of(r.source) not in (None, leave_out)
        ]
        y = np.array([rows[i].labels[label] for i in idx])
        weights = source_weights([rows[i] for i in idx], VAL_SOURCE_CAP, 0.0)
        target = (
            target_precision if isinstance(target_precision, float) else target_precision[label]
        )
        out[label] = choose_threshold(y, proba[idx, j], target, weights)
    return out


def held_out_thresholds(
    oos: OutOfSource, target_precision: Target, splits: tuple[str, ...] = ("val",)
) -> dict[str, dict[str, float]]:
    """Per fold, the pooled out-of-source thresholds chosen without that fold's rows:
    what :func:`pooled_thresholds` would have given had the source been unseen."""
    return {
        name: {
            label: t["threshold"]
            for label, t in pooled_thresholds(
                oos.rows, oos.proba, target_precision, splits, leave_out=name
            ).items()
        }
        for name in LOSO_SOURCES
        if name in oos.fold
    }


def loso_report(
    oos: OutOfSource, operating_points: dict[str, dict[str, dict[str, float]]]
) -> dict[str, Any]:
    """``{label: {source: {"auprc", "n", "positives", point: {"precision", "recall"}}}}``
    per held-out source (never only pooled). ``operating_points`` maps a name to the
    per-fold thresholds it puts each held-out source at."""
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
            entry: dict[str, Any] = {"fold": name}
            for point, per_fold in operating_points.items():
                assert name is not None
                m = metrics(y, oos.proba[idx, j], per_fold[name][label])
                entry.update(n=m["n"], positives=m["positives"], auprc=m["auprc"])
                entry[point] = {k: m[k] for k in ("precision", "recall")}
            out[label][source] = entry
    return out


def format_loso(report: dict[str, Any]) -> str:
    """The leave-one-source-out table as Markdown: AUPRC, then precision / recall at
    each operating point."""
    points = [k for k in next(iter(next(iter(report.values())).values())) if _is_point(k)]
    head = "| label | held-out source (fold) | n | pos | AUPRC | " + " | ".join(
        f"P / R @ {p}" for p in points
    )
    lines = [head + " |", "|" + "---|" * (5 + len(points))]

    def f(v: float | None) -> str:
        return "–" if v is None else f"{v:.3f}"

    for label, sources in report.items():
        for source, m in sources.items():
            cells = " | ".join(f"{f(m[p]['precision'])} / {f(m[p]['recall'])}" for p in points)
            lines.append(
                f"| {label} | {source} ({m['fold']}) | {m['n']} | {m['positives']} | "
                f"{f(m['auprc'])} | {cells} |"
            )
    return "\n".join(lines)


def _is_point(key: str) -> bool:
    return key not in ("fold", "n", "positives", "auprc")
