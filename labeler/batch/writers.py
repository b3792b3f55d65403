"""Turn scored document records into output: JSONL, CSV rows, or a terminal report.

Pure text formatting, no I/O, so the batch runner can format in worker
processes and tests can check the exact output.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from typing import Any

import orjson

CSV_COLUMNS = [
    "id",
    "passage",
    "start",
    "end",
    "violence",
    "graphic",
    "severity",
    "flags",
    "violence_evidence",
    "graphic_evidence",
    "warning",
]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
BOLD_RED, DIM, RESET = "\x1b[1;31m", "\x1b[2m", "\x1b[0m"


def jsonl(record: Mapping[str, Any]) -> str:
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE).decode()


def csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas in untrusted cells ("=cmd()" becomes "'=cmd()")."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_header() -> str:
    return _csv_rows([CSV_COLUMNS])


def csv_passages(record: Mapping[str, Any], keep_passage: Any) -> str:
    """One CSV row per kept passage of a document record: each label's evidence terms in
    its own column, and the document's warning line on every row."""
    warning = record["warning"]["text"] or ""
    rows = [
        [
            csv_safe(record["id"]),
            p["index"],
            p["start"],
            p["end"],
            p["scores"]["violence"],
            p["scores"]["graphic"],
            p["severity"],
            " ".join(p["flags"]),
            *(csv_safe(_terms(p["evidence"], label)) for label in ("violence", "graphic")),
            csv_safe(warning),
        ]
        for p in record["passages"]
        if keep_passage(p)
    ]
    return _csv_rows(rows)


def _terms(evidence: list[dict[str, Any]], label: str) -> str:
    return "; ".join(dict.fromkeys(e["term"] for e in evidence if e["label"] == label))


def _csv_rows(rows: list[list[Any]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def report(record: Mapping[str, Any], colour: bool) -> str:
    """A human-readable summary of one document and its flagged passages.

    Evidence terms are highlighted in bold red, or [bracketed] without colour;
    control characters in the (untrusted) text are shown escaped, so a document
    cannot drive the terminal. The document's warning comes first, the line an editor
    pastes; with nothing flagged, the top-scoring passage is still shown with its scores,
    so a near miss is visible. Passages are numbered from 1, as the dashboard numbers them.
    """
    flags = ", ".join(record["flags"]) or "no flags"
    warning = record["warning"]["text"] or "No content warning"
    lines = [
        f"{plain(record['id'])}  severity {record['severity']}  ({flags})",
        f"  Warning: {plain(warning)}",
    ]
    shown = [p for p in record["passages"] if p["flags"]]
    if not shown and record["passages"]:
        top = max(record["passages"], key=lambda p: max(p["scores"].values()))
        lines.append(_dim("  highest-scoring passage (below every threshold):", colour))
        shown = [top]
    for p in shown:
        scores = "  ".join(f"{k} {v:.2f}" for k, v in p["scores"].items())
        marks = ", ".join(p["flags"]) or "not flagged"
        head = f"  #{p['index'] + 1} [{p['start']}:{p['end']}] {marks}  {scores}"
        lines += [_dim(head, colour), "    " + highlight(p["text"], p["evidence"], colour)]
    return "\n".join(lines) + "\n\n"


def highlight(text: str, evidence: list[dict[str, Any]], colour: bool) -> str:
    """``text`` with each evidence span marked (overlapping spans merged)."""
    spans = sorted({(e["start"], e["end"]) for e in evidence})
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    out, pos = [], 0
    for start, end in merged:
        out += [plain(text[pos:start]), _mark(plain(text[start:end]), colour)]
        pos = end
    out.append(plain(text[pos:]))
    return "".join(out)


def _mark(term: str, colour: bool) -> str:
    return f"{BOLD_RED}{term}{RESET}" if colour else f"[{term}]"


def _dim(text: str, colour: bool) -> str:
    return f"{DIM}{text}{RESET}" if colour else text


def plain(text: str) -> str:
    """Untrusted text made safe for a terminal: control characters escaped, lines joined."""
    text = text.replace("\r\n", " ").replace("\n", " ")
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
