"""What the Model page reads out of a model card: test figures, the leave-one-source-out
table and a retrain's report, with readable source names and no figure resting on fewer
than ``MIN_POSITIVES`` positives. Cards are read defensively: a card of another recipe may
lack a table, or name other operating points.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from labeler.learn.dataset import source_name
from labeler.learn.gate import MIN_POSITIVES, review_thresholds

TOO_FEW = "too few"  # a figure on fewer than MIN_POSITIVES positives: not shown
TOO_FEW_NOTE = f"Too few: fewer than {MIN_POSITIVES} positives, so no figure is shown."


def figure(value: Any, positives: int) -> str:
    """A figure as shown, or why it is not: it rests on too few positives."""
    return TOO_FEW if positives < MIN_POSITIVES else num(value)


def test_rows(card: dict[str, Any]) -> list[dict[str, Any]]:
    """The card's test-split figures, one row a label and source, readable names."""
    metrics = (card.get("metrics") or {}).get("test") or {}
    return [
        {
            "label": label,
            "source": source_name(source),
            "passages": m.get("n"),
            "positives": m.get("positives"),
            "AUPRC": figure(m.get("auprc"), m.get("positives") or 0),
            "precision": figure(m.get("precision"), m.get("positives") or 0),
            "recall": figure(m.get("recall"), m.get("positives") or 0),
        }
        for label, by_source in metrics.items()
        if isinstance(by_source, dict)
        for source, m in by_source.items()
        if isinstance(m, dict)
    ]


def thresholds_line(card: dict[str, Any]) -> str:
    """The card's flag thresholds, and its review point where it has one."""
    flags = ", ".join(f"{k} ≥ {v:.2f}" for k, v in (card.get("thresholds") or {}).items())
    line = f"Flag thresholds: {flags}."
    review = review_thresholds(card)
    if review:
        line += " Review point: " + ", ".join(f"{k} ≥ {v:.2f}" for k, v in review.items()) + "."
    return line


def loso_rows(report: Any) -> list[dict[str, Any]]:
    """The card's leave-one-source-out table, read defensively (a card of another recipe
    may name other operating points): one row a label and held-out source, precision and
    recall at each operating point, nothing on fewer than MIN_POSITIVES positives."""
    if not isinstance(report, dict):
        return []
    if isinstance(report.get(SHIPPED_VARIANT), dict):  # a card comparing recipes: the shipped one
        report = report[SHIPPED_VARIANT]
    rows = []
    for label, sources in report.items():
        if not isinstance(sources, dict):
            continue
        for source, m in sources.items():
            if not isinstance(m, dict):
                continue
            positives = int(m.get("positives") or 0)
            row: dict[str, Any] = {
                "label": label,
                "held-out source": source_name(source),
                "passages": m.get("n"),
                "positives": positives,
                "AUPRC": figure(m.get("auprc"), positives),
            }
            for point, at in m.items():
                if isinstance(at, dict) and "recall" in at:
                    name = POINT_NAMES.get(point, point)
                    if "precision" in at:
                        row[f"precision @ {name}"] = figure(at["precision"], positives)
                    row[f"recall @ {name}"] = figure(at["recall"], positives)
            rows.append(row)
    return rows


SHIPPED_VARIANT = "sentence"  # the recipe that ships, in a card that compares several
POINT_NAMES = {"shipped": "flag", "pooled": "pooled thresholds", "review": "review point"}


def show_report(card: dict[str, Any]) -> None:
    """A candidate's gate report: its checks, then before and after per label and source,
    at the flag and review points."""
    gate = card.get("gate") or {}
    versions = gate.get("versions") or {
        "current": card.get("replaces"),
        "candidate": card.get("version"),
    }
    checks = gate_checks(gate)
    (st.success if gate.get("passed") else st.error)(
        f"The gate {'passed' if gate.get('passed') else 'refused'} {versions['candidate']} "
        f"against {versions['current']}."
    )
    st.dataframe(checks, hide_index=True, key=f"checks-{card.get('version')}")
    rows = comparison_rows(gate.get("by_source") or {})
    if rows:
        st.dataframe(rows, hide_index=True, key=f"by-source-{card.get('version')}")
        st.caption(
            "Before → after on the test split: the current model at its thresholds, then the "
            f"candidate at its own. Review point: where the model's card has one. {TOO_FEW_NOTE}"
        )
    retuned = card.get("threshold_retuning") or {}
    if retuned:
        st.caption(
            "Thresholds: "
            + "; ".join(
                f"{label} {e['before']:.2f} → {e['after']:.2f} ({e['positives']} of {e['n']} "
                "held-back reviewed passages positive)"
                for label, e in retuned.items()
            )
        )


def gate_checks(gate: dict[str, Any]) -> list[dict[str, Any]]:
    """The gate's three checks, each with what failed."""
    cases = gate.get("cases")
    auprc = gate.get("regressions") or []
    at_thresholds = gate.get("pr_regressions") or []
    return [
        {
            "check": f"AUPRC per label and source drops by at most {gate.get('tolerance')}",
            "result": "passed" if not auprc else "failed",
            "detail": "; ".join(
                f"{r['label']} {source_name(r['source'])}: {r['current']:.3f} → "
                f"{r['candidate']:.3f}"
                for r in auprc
            ),
        },
        {
            "check": "precision and recall at the thresholds drop by at most "
            f"{gate.get('pr_tolerance')}",
            "result": "passed" if not at_thresholds else "failed",
            "detail": "; ".join(
                f"{r['label']} {source_name(r['source'])} {r['metric']}: {r['current']:.3f} → "
                f"{r['candidate']:.3f}"
                for r in at_thresholds
            ),
        },
        {
            "check": "regression cases the current model gets right",
            "result": "no cases file"
            if cases is None
            else "passed"
            if not cases["lost"]
            else "failed",
            "detail": ""
            if cases is None
            else (
                f"{len(cases['lost'])} lost, {len(cases['gained'])} gained, "
                f"{len(cases['missed'])} missed by both"
            ),
        },
    ]


def comparison_rows(by_source: dict[str, Any]) -> list[dict[str, Any]]:
    """One row a label and source: before → after, figures hidden on too few positives."""

    def pair(m: dict[str, Any], point: str, metric: str, positives: int) -> str:
        before, after = (m[name].get(point) for name in ("current", "candidate"))
        if positives < MIN_POSITIVES:
            return TOO_FEW
        if before is None and after is None:
            return "–"
        return f"{num(before and before[metric])} → {num(after and after[metric])}"

    rows = []
    for label, sources in by_source.items():
        for source, m in sources.items():
            positives = int(m.get("positives") or 0)
            auprc = "–"
            if positives < MIN_POSITIVES:
                auprc = TOO_FEW
            elif m["current"].get("auprc") is not None:
                auprc = f"{num(m['current']['auprc'])} → {num(m['candidate']['auprc'])}"
            rows.append(
                {
                    "label": label,
                    "source": source_name(source),
                    "passages": m.get("n"),
                    "positives": positives,
                    "AUPRC": auprc,
                    "precision @ flag": pair(m, "flag", "precision", positives),
                    "recall @ flag": pair(m, "flag", "recall", positives),
                    "precision @ review": pair(m, "review", "precision", positives),
                    "recall @ review": pair(m, "review", "recall", positives),
                }
            )
    return rows


def num(value: Any) -> str:
    return "–" if value is None else f"{float(value):.3f}"
