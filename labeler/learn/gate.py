"""The gate: whether a retrained model may replace the current one.

A candidate model replaces the current one only if all of these hold:

- label by label and source by source on the fixed test split (which includes a
  held-back slice of reviewed passages, split by document like every other source),
  its AUPRC drops by no more than a set tolerance;
- at its own (re-tuned) thresholds, its precision and recall on the fixed test split
  (the training data's sources) and on the reviewed slice drop by no more than
  ``pr_tolerance`` from the current model's at the current thresholds: moving a
  threshold cannot pass unseen;
- it gets right every must-flag / must-not-flag case in ``regression_cases.jsonl``
  (kept with the training data, reviewed like code) that the current model gets right.

The first two are one rule, :func:`regressions`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from labeler.labels import LABELS
from labeler.learn.dataset import REGRESSION_CASES, REVIEWED, Row
from labeler.learn.evaluation import POOLED, evaluate_scores, metrics, pr_points, test_rows
from labeler.model import Model

TOLERANCE = 0.02
PR_TOLERANCE = 0.05  # largest drop of precision or recall at the thresholds
MIN_POSITIVES = 5  # AUPRC on fewer positives swings by chance: not gated
FIXED = "(fixed test split)"  # the test split's rows from the training data, no reviews
K = TypeVar("K")


def regressions(
    before: Mapping[K, float | None],
    after: Mapping[K, float | None],
    positives: Mapping[K, int],
    *,
    tolerance: float,
    min_positives: int,
) -> list[K]:
    """The keys (sources, parts of the test split) where a metric fell by more than
    ``tolerance`` from ``before`` to ``after``, among those with at least ``min_positives``
    positives and a value on both sides (None: undefined, not compared). Higher is better.

    >>> regressions({"news": 0.9, "fiction": 0.5, "tiny": 0.9, "none": None},
    ...             {"news": 0.85, "fiction": 0.49, "tiny": 0.1, "none": 0.2},
    ...             {"news": 40, "fiction": 12, "tiny": 2, "none": 0},
    ...             tolerance=0.02, min_positives=5)
    ['news']
    """
    return [
        key
        for key, was in before.items()
        if was is not None
        and after[key] is not None
        and positives[key] >= min_positives
        and was - after[key] > tolerance  # type: ignore[operator]
    ]


def gate(
    candidate: Model,
    current: Model,
    rows: list[Row],
    tolerance: float = TOLERANCE,
    cases: list[dict[str, Any]] | None = None,
    pr_tolerance: float = PR_TOLERANCE,
) -> dict[str, Any]:
    """Compare AUPRC per label and source on the test split, precision and recall at each
    model's thresholds, and the outcomes of the regression ``cases``; list every
    regression. ``cases`` None means the cases file is missing, which refuses.

    Sources with fewer than MIN_POSITIVES positives for a label are shown but not gated.
    ``candidate_metrics`` and ``candidate_pr_curve`` are the candidate's own, for its card.
    """
    test = test_rows(rows)
    texts = [r.text for r in test]
    models = {"candidate": candidate, "current": current}
    proba = {name: model.predict_proba(texts) for name, model in models.items()}
    scores = {
        name: evaluate_scores(test, proba[name], model.thresholds) for name, model in models.items()
    }
    at_thresholds = {
        name: _at_thresholds(test, proba[name], model.thresholds) for name, model in models.items()
    }
    pr_regressions = []
    for label, t_new in candidate.thresholds.items():
        parts, after = at_thresholds["current"][label], at_thresholds["candidate"][label]
        positives = {part: m["positives"] for part, m in parts.items()}
        regressed = {
            metric: regressions(
                {part: m[metric] for part, m in parts.items()},
                {part: after[part][metric] for part in parts},
                positives,
                tolerance=pr_tolerance,
                min_positives=MIN_POSITIVES,
            )
            for metric in ("precision", "recall")
        }
        pr_regressions += [
            {
                "label": label,
                "source": part,
                "metric": metric,
                "current": before[metric],
                "candidate": after[part][metric],
                "thresholds": {"current": current.thresholds[label], "candidate": t_new},
            }
            for part, before in parts.items()
            for metric in ("precision", "recall")
            if part in regressed[metric]
        ]
    outcomes = case_outcomes(candidate, current, cases) if cases is not None else None
    auprc = {
        name: {
            label: {src: m["auprc"] for src, m in by_label.items()} for label, by_label in s.items()
        }
        for name, s in scores.items()
    }
    positives = {
        label: {src: m["positives"] for src, m in by_label.items()}
        for label, by_label in scores["current"].items()
    }
    auprc_regressions = [
        {
            "label": label,
            "source": source,
            "current": auprc["current"][label][source],
            "candidate": auprc["candidate"][label][source],
        }
        for label in LABELS
        for source in regressions(
            auprc["current"][label],
            auprc["candidate"][label],
            positives[label],
            tolerance=tolerance,
            min_positives=MIN_POSITIVES,
        )
    ]
    lost = outcomes["lost"] if outcomes is not None else []
    passed = outcomes is not None and not (auprc_regressions or pr_regressions or lost)
    return {
        "passed": passed,
        "versions": {"current": current.version, "candidate": candidate.version},
        "by_source": by_source(test, proba, models),
        "tolerance": tolerance,
        "regressions": auprc_regressions,
        "pr_tolerance": pr_tolerance,
        "pr_regressions": pr_regressions,
        "at_thresholds": at_thresholds,
        "cases": outcomes,
        "auprc": auprc,
        "positives": positives,
        "candidate_metrics": scores["candidate"],
        "candidate_pr_curve": pr_points(test, proba["candidate"]),
    }


def review_thresholds(card: Mapping[str, Any]) -> dict[str, float] | None:
    """A model card's review point (a lower threshold per label, for what a reviewer should
    see), where it has one: ``review_thresholds`` or ``review.thresholds``, each a number
    in [0, 1] for every label; None otherwise (a card of a model without one)."""
    found = card.get("review_thresholds")
    if found is None and isinstance(card.get("review"), dict):
        found = card["review"].get("thresholds")
    if not isinstance(found, dict):
        return None
    values = {label: found.get(label) for label in LABELS}
    if not all(isinstance(v, int | float) and 0.0 <= v <= 1.0 for v in values.values()):
        return None
    return {label: float(v) for label, v in values.items()}  # type: ignore[arg-type]


def by_source(
    test: list[Row], proba: dict[str, np.ndarray], models: dict[str, Model]
) -> dict[str, dict[str, dict[str, Any]]]:
    """Before and after, per label and source of the test split: n, positives, and for each
    model its AUPRC and precision / recall at its flag thresholds and, where its card has
    one, at its review point: ``{label: {source: {"n", "positives", name: {"auprc",
    "flag": {"precision", "recall"}, "review": {...} or None}}}}``."""
    points = {
        name: {"flag": model.thresholds, "review": review_thresholds(model.card)}
        for name, model in models.items()
    }
    scored = {
        (name, point): evaluate_scores(test, proba[name], limits)
        for name, by_point in points.items()
        for point, limits in by_point.items()
        if limits is not None
    }
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for label in LABELS:
        out[label] = {}
        for source, m in scored["current", "flag"][label].items():
            entry: dict[str, Any] = {"n": m["n"], "positives": m["positives"]}
            for name in models:
                entry[name] = {"auprc": scored[name, "flag"][label][source]["auprc"]}
                for point in ("flag", "review"):
                    at = scored.get((name, point))
                    entry[name][point] = (
                        None
                        if at is None
                        else {k: at[label][source][k] for k in ("precision", "recall")}
                    )
            out[label][source] = entry
    return out


def _at_thresholds(
    test: list[Row], proba: np.ndarray, thresholds: dict[str, float]
) -> dict[str, dict[str, dict[str, Any]]]:
    """{label: {FIXED or REVIEWED: metrics}}: the test split's rows from the training data,
    and its reviewed slice, each scored at ``thresholds``."""
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for j, label in enumerate(LABELS):
        parts: dict[str, list[int]] = {FIXED: [], REVIEWED: []}
        for i, r in enumerate(test):
            if r.labels[label] is not None:
                parts[REVIEWED if r.source == REVIEWED else FIXED].append(i)
        out[label] = {
            part: metrics(
                np.array([test[i].labels[label] for i in idx]), proba[idx, j], thresholds[label]
            )
            for part, idx in parts.items()
            if idx
        }
    return out


def load_cases(data_dir: Path) -> list[dict[str, Any]] | None:
    """The must-flag / must-not-flag cases (``{"text", "violence", "graphic", "why"}``, 1
    must flag, 0 must not, null not checked), or None when the file is missing."""
    path = Path(data_dir) / REGRESSION_CASES
    if not path.is_file():
        return None
    cases = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            case = json.loads(line)
            if not isinstance(case.get("text"), str) or any(
                case.get(label) not in (0, 1, None) for label in LABELS
            ):
                raise ValueError(f"{path}:{n}: expected text, and violence/graphic 0, 1 or null")
            cases.append(case)
    return cases


def case_outcomes(
    candidate: Model, current: Model, cases: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Each case's outcome under both models, as ``labeler score`` flags it: ``lost`` are
    the ones the current model gets right and the candidate gets wrong (refused),
    ``gained`` the reverse, ``missed`` wrong under both."""
    from labeler.scoring import score_documents

    docs = [(str(i), case["text"]) for i, case in enumerate(cases)]
    flags = {
        name: [set(r["flags"]) for r in score_documents(docs, model)]
        for name, model in (("candidate", candidate), ("current", current))
    }
    out: dict[str, list[dict[str, Any]]] = {"lost": [], "gained": [], "missed": []}
    for i, case in enumerate(cases):
        for label in LABELS:
            if case.get(label) is None:
                continue
            right = {name: (label in f[i]) == bool(case[label]) for name, f in flags.items()}
            kind = {
                (True, False): "lost",
                (False, True): "gained",
                (False, False): "missed",
            }.get((right["current"], right["candidate"]))
            if kind:
                out[kind].append({"text": case["text"], "label": label, "expected": case[label]})
    return out


def format_gate(report: dict[str, Any]) -> str:
    lines = [
        f"gate: {'passed' if report['passed'] else 'REFUSED'} "
        f"(AUPRC may drop by at most {report['tolerance']}, precision and recall at the "
        f"thresholds by at most {report['pr_tolerance']})"
    ]
    for r in report["pr_regressions"]:
        t = r["thresholds"]
        lines.append(
            f"  {r['label']:9} {r['source']:27} {r['metric']} at the thresholds "
            f"({t['current']:.2f} -> {t['candidate']:.2f}): current {r['current']:.3f}  "
            f"candidate {r['candidate']:.3f}  REGRESSION"
        )
    cases = report["cases"]
    if cases is None:
        lines.append(f"  no {REGRESSION_CASES} in the training data: REFUSED")
    else:
        for kind, mark in (("lost", "  REGRESSION"), ("gained", ""), ("missed", "")):
            for c in cases[kind]:
                must = "must flag" if c["expected"] else "must not flag"
                lines.append(f"  case {kind}: {must} {c['label']}: {c['text'][:70]!r}{mark}")
    for label in LABELS:
        before, after = report["auprc"]["current"][label], report["auprc"]["candidate"][label]
        positives = report["positives"][label]
        regressed = regressions(
            before, after, positives, tolerance=report["tolerance"], min_positives=MIN_POSITIVES
        )
        for source in before:
            if before[source] is None or after[source] is None:
                continue
            mark = "  REGRESSION" if source in regressed else ""
            if positives[source] < MIN_POSITIVES:
                mark = "  (too few positives to gate)"
            name = "all sources" if source == POOLED else source
            lines.append(
                f"  {label:9} {name:27} current {before[source]:.3f}  "
                f"candidate {after[source]:.3f}{mark}"
            )
    return "\n".join(lines)
