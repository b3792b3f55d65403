"""Reviewers' decisions back into training: reviewed rows, and the gate for a new model.

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

Before training, reviews that flip many passages sharing a phrase away from the
current model's confident label (``phrase_flips``) are held back and sent to second
looks, so a batch of targeted poisoning does not reach the candidate.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from labeler.labels import LABELS
from labeler.learn.dataset import REGRESSION_CASES, Row, split_of
from labeler.learn.evaluation import POOLED, evaluate_scores, metrics, pr_points, test_rows
from labeler.learn.training import REVIEWED, choose_threshold, train
from labeler.model import Model

TOLERANCE = 0.02
PR_TOLERANCE = 0.05  # largest drop of precision or recall at the thresholds
MIN_POSITIVES = 5  # AUPRC on fewer positives swings by chance: not gated
FIXED = "(fixed test split)"  # the test split's rows from the training data, no reviews
CONFIDENT_MARGIN = 0.15  # a model's label is confident this far from its threshold
MIN_PHRASE_FLIPS = 10  # reviews sharing a phrase, all against a confident label: suspicious
_WORD = re.compile(r"[a-z0-9']+")


def reviewed_rows(store: Any) -> tuple[list[Row], list[int]]:
    """Training rows from current review labels; passages reviewers disagree on are left out
    (their ids are returned) until someone settles them."""
    rows, disputed = [], []
    for item in store.reviewed_items():
        if item.disputed:
            disputed.append(item.passage_id)
            continue
        labels = {"violence": item.current.violence, "graphic": item.current.graphic}
        rows.append(
            Row(
                f"review:{item.doc_key}#{item.idx}",
                item.text,
                REVIEWED,
                f"review-doc:{item.doc_key}",
                labels,
                item.current.severity,
                item.passage_id,
            )
        )
    return rows, disputed


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
    pr_regressions = [
        {
            "label": label,
            "source": part,
            "metric": metric,
            "current": before[metric],
            "candidate": at_thresholds["candidate"][label][part][metric],
            "thresholds": {"current": current.thresholds[label], "candidate": t_new},
        }
        for label, t_new in candidate.thresholds.items()
        for part, before in at_thresholds["current"][label].items()
        if before["positives"] >= MIN_POSITIVES
        for metric in ("precision", "recall")
        if before[metric] - at_thresholds["candidate"][label][part][metric] > pr_tolerance
    ]
    outcomes = case_outcomes(candidate, current, cases) if cases is not None else None
    regressions = []
    for label in LABELS:
        for source, before in scores["current"][label].items():
            after = scores["candidate"][label][source]
            if before["auprc"] is None or after["auprc"] is None:
                continue
            if before["positives"] < MIN_POSITIVES:
                continue
            if before["auprc"] - after["auprc"] > tolerance:
                regressions.append(
                    {
                        "label": label,
                        "source": source,
                        "current": before["auprc"],
                        "candidate": after["auprc"],
                    }
                )
    lost = outcomes["lost"] if outcomes is not None else []
    return {
        "passed": not regressions and not pr_regressions and not lost and outcomes is not None,
        "tolerance": tolerance,
        "regressions": regressions,
        "pr_tolerance": pr_tolerance,
        "pr_regressions": pr_regressions,
        "at_thresholds": at_thresholds,
        "cases": outcomes,
        "auprc": {
            name: {
                label: {src: m["auprc"] for src, m in by_label.items()}
                for label, by_label in s.items()
            }
            for name, s in scores.items()
        },
        "positives": {
            label: {src: m["positives"] for src, m in by_label.items()}
            for label, by_label in scores["current"].items()
        },
        "candidate_metrics": scores["candidate"],
        "candidate_pr_curve": pr_points(test, proba["candidate"]),
    }


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
    """The must-flag / must-not-flag cases (``{"text", "violence", "graphic", "why",
    "point"}``, 1 must flag, 0 must not, null not checked, at operating point ``point``),
    or None when the file is missing."""
    path = Path(data_dir) / REGRESSION_CASES
    if not path.is_file():
        return None
    cases = []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            case = json.loads(line)
            if (
                not isinstance(case.get("text"), str)
                or any(case.get(label) not in (0, 1, None) for label in LABELS)
                or case.get("point", "flag") not in ("flag", "review")
            ):
                raise ValueError(
                    f"{path}:{n}: expected text, violence/graphic 0, 1 or null, and point "
                    "flag or review"
                )
            cases.append(case)
    return cases


def case_outcomes(
    candidate: Model, current: Model, cases: list[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    """Each case's outcome under both models, as ``labeler score`` flags it at the case's
    operating point (``point``: ``flag``, the default, or ``review``, as with
    ``--threshold LABEL=review``): ``lost`` are the ones the current model gets right and
    the candidate gets wrong (refused), ``gained`` the reverse, ``missed`` wrong under
    both."""
    from labeler.scoring import score_documents

    flags: dict[str, list[set[str]]] = {}
    for name, model in (("candidate", candidate), ("current", current)):
        flags[name] = [set() for _ in cases]
        for point in ("flag", "review"):
            picked = [i for i, case in enumerate(cases) if case.get("point", "flag") == point]
            docs = [(str(i), cases[i]["text"]) for i in picked]
            at = {label: point for label in LABELS}
            for i, record in zip(picked, score_documents(docs, model, at), strict=True):
                flags[name][i] = set(record["flags"])
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


def phrase_flips(
    rows: list[Row],
    model: Model,
    trusted: set[int] | frozenset[int] = frozenset(),
) -> list[dict[str, Any]]:
    """Groups of reviews that look like a coordinated batch: at least MIN_PHRASE_FLIPS
    reviewed passages that share a two-word phrase, each labelled against ``model``'s
    confident label (score at least CONFIDENT_MARGIN on the other side of its threshold).

    Returns ``[{"phrase", "passage_ids", "labels"}]``, largest group first; a passage is
    in at most one group. Passages in ``trusted`` (settled by two reviewers who agree)
    are never flagged. Pure: scores ``rows`` with ``model`` and looks at their words.
    """
    candidates = [r for r in rows if r.passage_id is not None and r.passage_id not in trusted]
    if not candidates:
        return []
    proba = model.predict_proba([r.text for r in candidates])
    limits = np.array([model.thresholds[label] for label in LABELS])
    flipped: list[tuple[Row, list[str]]] = []
    for row, p in zip(candidates, proba, strict=True):
        against = _against_confident(row, p, limits)
        if against:
            flipped.append((row, against))
    stop = frozenset(model.tfidf.stop_words)
    by_phrase: dict[str, list[int]] = defaultdict(list)
    for k, (row, _) in enumerate(flipped):
        words = _WORD.findall(row.text.lower())
        phrases = {
            f"{a} {b}"
            for a, b in zip(words, words[1:], strict=False)
            if not (a in stop and b in stop)
        }
        for phrase in phrases:
            by_phrase[phrase].append(k)
    groups, taken = [], set()
    for phrase, members in sorted(by_phrase.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        members = [k for k in members if k not in taken]
        if len(members) < MIN_PHRASE_FLIPS:
            continue
        taken.update(members)
        groups.append(
            {
                "phrase": phrase,
                "passage_ids": sorted(int(flipped[k][0].passage_id or 0) for k in members),
                "labels": sorted({label for k in members for label in flipped[k][1]}),
            }
        )
    return groups


def _against_confident(row: Row, p: np.ndarray, limits: np.ndarray) -> list[str]:
    """The labels ``row``'s review sets against the model's confident decision.

    The decision is ``decide``'s: graphic implies violence, so a confident graphic
    flag is a confident violence flag too. Confident: the deciding score is at least
    CONFIDENT_MARGIN from its threshold.
    """
    margin = np.abs(p - limits) >= CONFIDENT_MARGIN
    decided = p >= limits
    sure = margin.copy()
    if decided[1] and margin[1]:  # violence follows a confident graphic flag
        decided[0], sure[0] = True, True
    return [
        label
        for j, label in enumerate(LABELS)
        if row.labels[label] is not None and sure[j] and bool(row.labels[label]) != decided[j]
    ]


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
        for source, before in report["auprc"]["current"][label].items():
            after = report["auprc"]["candidate"][label][source]
            if before is None or after is None:
                continue
            gated = report["positives"][label][source] >= MIN_POSITIVES
            mark = "  REGRESSION" if gated and before - after > report["tolerance"] else ""
            mark = mark or ("" if gated else "  (too few positives to gate)")
            name = "all sources" if source == POOLED else source
            lines.append(f"  {label:9} {name:27} current {before:.3f}  candidate {after:.3f}{mark}")
    return "\n".join(lines)


def retune_thresholds(
    model: Model, rows: list[Row], target_precision: float
) -> dict[str, dict[str, Any]]:
    """Per label, the lowest threshold that reaches ``target_precision`` both on reviewed
    passages the model did not train on and on the validation split (where the model's
    own threshold was chosen), with precision and recall on those reviewed passages
    before and after. A re-tuned threshold can so rise, never fall below the one the
    training data supports: lowered on reviews alone, it cost precision everywhere else.

    Labels with fewer than MIN_POSITIVES reviewed positives keep their threshold.
    """
    held = [r for r in rows if r.source == REVIEWED and split_of(r.group) != "train"]
    proba = model.predict_proba([r.text for r in held]) if held else np.zeros((0, len(LABELS)))
    out: dict[str, dict[str, Any]] = {}
    for j, label in enumerate(LABELS):
        y = np.array([r.labels[label] for r in held])
        before = model.thresholds[label]
        entry: dict[str, Any] = {"n": len(held), "positives": int(y.sum()), "before": before}
        entry["before_pr"] = _precision_recall(y, proba[:, j], before)
        if entry["positives"] >= MIN_POSITIVES and entry["positives"] < len(y):
            chosen = choose_threshold(y, proba[:, j], target_precision)
            entry["after"] = max(chosen["threshold"], before)
        else:
            entry["after"] = before
        entry["after_pr"] = _precision_recall(y, proba[:, j], entry["after"])
        out[label] = entry
    return out


def _precision_recall(y: Any, p: Any, threshold: float) -> dict[str, float | None]:
    predicted = p >= threshold
    tp = int((predicted & (y == 1)).sum())
    return {
        "precision": round(tp / int(predicted.sum()), 4) if predicted.any() else None,
        "recall": round(tp / int(y.sum()), 4) if y.sum() else None,
    }


def suspicious_reviews(
    data_dir: Any, reviewed: list[Row], folds: int = 3, confidence: float = 0.9
) -> list[dict[str, Any]]:
    """Reviews a model confidently disagrees with, cross-validated (as cleanlab does).

    Reviewed passages are split into ``folds`` by document; each fold is scored by a
    model trained on the training data plus the other folds, so no passage is
    judged by a model that learned its own review. A review is suspicious when
    that model gives its label a probability below ``1 - confidence``.
    """
    import hashlib

    def fold_of(row: Row) -> int:
        return int(hashlib.sha256(row.group.encode()).hexdigest(), 16) % folds

    out = []
    for k in range(folds):
        held = [r for r in reviewed if fold_of(r) == k]
        if not held:
            continue
        model, _ = train(data_dir, extra=[r for r in reviewed if fold_of(r) != k])
        proba = model.predict_proba([r.text for r in held])
        for row, p in zip(held, proba, strict=True):
            for j, label in enumerate(LABELS):
                given = row.labels[label]
                p_given = p[j] if given else 1 - p[j]
                if p_given < 1 - confidence:
                    out.append(
                        {
                            "id": row.id,
                            "passage_id": row.passage_id,
                            "label": label,
                            "reviewed": given,
                            "model": round(float(p[j]), 4),
                            "text": row.text,
                        }
                    )
    return sorted(out, key=lambda s: (s["id"], s["passage_id"] or 0))


def retrain(
    store_target: Any, data_dir: Any, tolerance: float = TOLERANCE, force: bool = False
) -> dict[str, Any]:
    """The whole retrain: reviewed rows, a candidate, re-tuned thresholds, the gate, the
    registry. Returns {"promoted", "version", "report", "log"} (log: what to show)."""
    from datetime import datetime, timezone

    from labeler import config
    from labeler.learn.registry import Registry
    from labeler.model import load_model
    from labeler.store.store import Store

    current = load_model(config.model_dir())
    cases = load_cases(data_dir)
    store = Store(store_target)
    extra, disputed = reviewed_rows(store)
    settled = {i.passage_id for i in store.reviewed_items() if len(i.by_reviewer) >= 2}
    groups = phrase_flips(extra, current, settled)
    for group in groups:
        reason = (
            f"one of {len(group['passage_ids'])} reviews of passages with "
            f"'{group['phrase']}' that go against the model's confident label"
        )
        for passage_id in group["passage_ids"]:
            store.flag_for_second_look(passage_id, reason)
    store.close()
    log = []
    if disputed:
        log.append(
            f"left out {len(disputed)} passages reviewers disagree on: "
            f"{', '.join(map(str, disputed[:20]))}"
        )
    held = {pid for group in groups for pid in group["passage_ids"]}
    for group in groups:
        log.append(
            f"held back {len(group['passage_ids'])} reviews of passages with "
            f"'{group['phrase']}' labelled against the model's confident "
            f"{'/'.join(group['labels'])}: sent to second looks, not trained on"
        )
    extra = [r for r in extra if r.passage_id not in held]
    candidate, rows = train(data_dir, extra=extra)
    retuned = retune_thresholds(candidate, rows, float(candidate.card["target_precision"]))
    for label, entry in retuned.items():
        candidate.card["thresholds"][label] = round(entry["after"], 6)
        log.append(
            f"threshold {label}: {entry['before']:.4f} -> {entry['after']:.4f} on "
            f"{entry['n']} held-back reviewed passages ({entry['positives']} positive): "
            f"precision/recall {_pr(entry['before_pr'])} -> {_pr(entry['after_pr'])}"
        )
    report = gate(candidate, current, rows, tolerance, cases)
    candidate.card.update(
        trained_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        reviewed_rows=len(extra),
        disputed_left_out=disputed,
        held_for_second_looks=groups,
        replaces=current.version,
        metrics={"test": report.pop("candidate_metrics")},
        pr_curve=report.pop("candidate_pr_curve"),
        threshold_retuning=retuned,
        gate=report,
        forced=bool(force and not report["passed"]),
    )
    registry = Registry(config.home())
    registry.add(candidate)
    log.append(format_gate(report))
    promoted = report["passed"] or force
    if promoted:
        registry.promote(candidate.version)
        log.append(f"promoted {candidate.version}" + (" (forced)" if force else ""))
    else:
        log.append(f"kept {current.version}; candidate {candidate.version} stored, not promoted")
    return {
        "promoted": promoted,
        "version": candidate.version,
        "report": report,
        "log": "\n".join(log),
    }


def _pr(pr: dict[str, Any]) -> str:
    def f(v: float | None) -> str:
        return "-" if v is None else f"{v:.2f}"

    return f"{f(pr['precision'])}/{f(pr['recall'])}"
