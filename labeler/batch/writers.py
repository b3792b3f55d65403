"""Turn scored document records into output: JSONL, CSV rows, or a terminal report.

Pure text formatting, no I/O, so the batch runner can format in worker
processes and tests can check the exact output.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from labeler.formats import csv_safe

CSV_COLUMNS = [
    "id",
    "passage",
    "start",
    "end",
    "violence",
    "graphic",
    "severity",
    "flags",
    "review",
    "violence_evidence",
    "graphic_evidence",
    "warning",
    "warning_categories",
]
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
DIM, RESET = "\x1b[2m", "\x1b[0m"


def csv_header() -> str:
    return _csv_rows([CSV_COLUMNS])


def csv_passages(record: Mapping[str, Any], keep_passage: Any) -> str:
    """One CSV row per kept passage of a document record: each label's evidence terms in
    its own column, and the document's warning line and categories on every row."""
    warning = record["warning"]["text"] or ""
    categories = " ".join(record["warning"]["categories"])
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
            " ".join(p["review"]),
            *(csv_safe(_terms(p["evidence"], label)) for label in ("violence", "graphic")),
            csv_safe(warning),
            categories,
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


# Each label's evidence in its own colour, as the dashboard's legend shows them; without
# colour, each label's own brackets. A span supporting both takes graphic's (the stronger).
LABEL_COLOURS = {"violence": "\x1b[1;33m", "graphic": "\x1b[1;31m"}
BRACKETS = {"violence": ("[", "]"), "graphic": ("{", "}")}
INDENT = "    "
REVIEW_HEADING = "to review (under the flag, at the review point)"


def report(record: Mapping[str, Any], colour: bool, width: int = 80) -> str:
    """A human-readable summary of one document, its flagged passages and those to review,
    for a terminal ``width`` columns wide.

    The document's warning comes first, the line an editor pastes, then a legend of the
    evidence marks, the flagged passages, and apart from them the passages to review (under
    every flag, at a label's review point: worth a look), each numbered from 1 as the
    dashboard numbers them (a passage repeated word for word, such as a headline, is shown
    once) with its scores. Evidence is in its label's colour, or in its label's brackets
    without colour. Text is wrapped on word boundaries; control characters in the
    (untrusted) text are shown escaped, so a document cannot drive the terminal. With
    nothing flagged nor to review, the top-scoring passage is still shown with its scores,
    so a near miss is visible. Offsets are in JSONL.
    """
    calls = _calls(record, "no flags")
    lines = _fit(f"{record['id']}  severity {record['severity']}  ({calls})", width, "")
    warning = record["warning"]["text"] or "No content warning"
    lines += wrap([(f"Warning: {warning}", None)], width, "  ", INDENT)
    sections = _sections(record["passages"])
    if any(p["evidence"] for _, shown in sections for p, _ in shown):
        lines += legend(colour, width)
    for heading, shown in sections:
        lines += [_dim(line, colour) for line in _fit(f"{heading}:", width, "  ")]
        for p, copies in shown:
            scores = "  ".join(f"{k} {v:.2f}" for k, v in p["scores"].items())
            also = f" (also {', '.join(f'#{i + 1}' for i in copies)})" if copies else ""
            head = _fit(
                f"#{p['index'] + 1}{also}  {_calls(p, 'not flagged')}  {scores}", width, "  "
            )
            lines += [_dim(line, colour) for line in head]
            lines += wrap(marked(p["text"], p["evidence"]), width, INDENT, colour=colour)
    return "\n".join(lines) + "\n\n"


def _calls(item: Mapping[str, Any], unflagged: str) -> str:
    """A document's or passage's flags and the labels only at their review point:
    "violence; to review: graphic", "to review: violence", or ``unflagged``."""
    flags = ", ".join(item["flags"])
    below = ", ".join(label for label in item["review"] if label not in item["flags"])
    if not below:
        return flags or unflagged
    return f"{flags}; to review: {below}" if flags else f"to review: {below}"


def _sections(
    passages: list[dict[str, Any]],
) -> list[tuple[str, list[tuple[dict[str, Any], list[int]]]]]:
    """The report's sections, each a heading and its passages: the flagged ones, then those
    only to review; with neither, the highest-scoring passage (a near miss)."""
    flagged = _distinct([p for p in passages if p["flags"]])
    review = _distinct([p for p in passages if p["review"] and not p["flags"]])
    if flagged:
        sections = [("flagged", flagged)]
        if review:
            sections.append((REVIEW_HEADING, review))
        return sections
    if review:
        return [(f"nothing flagged; {REVIEW_HEADING}", review)]
    if not passages:
        return []
    top = max(passages, key=lambda p: max(p["scores"].values()))
    return [("highest-scoring passage (below every threshold)", [(top, [])])]


def _fit(line: str, width: int, indent: str) -> list[str]:
    """A line of our own as it is (its double spaces kept) if it fits, else wrapped."""
    if _columns(indent + plain(line)) <= width:
        return [indent + plain(line)]
    return wrap([(line, None)], width, indent, indent + "  ")


def legend(colour: bool, width: int) -> list[str]:
    """The key to the evidence marks, in the marks themselves."""
    keys = [part for label in LABEL_COLOURS for part in ((" ", None), (label, label))]
    return wrap([("Evidence:", None), *keys], width, "  ", colour=colour)


def _distinct(passages: list[dict[str, Any]]) -> list[tuple[dict[str, Any], list[int]]]:
    """Each passage text once, with the indexes of its later copies."""
    first: dict[str, tuple[dict[str, Any], list[int]]] = {}
    for p in passages:
        first.setdefault(p["text"], (p, []))[1].append(p["index"])
    return [(p, indexes[1:]) for p, indexes in first.values()]


def marked(text: str, evidence: list[dict[str, Any]]) -> list[tuple[str, str | None]]:
    """``text`` as segments, each evidence span tagged with its label (overlapping spans
    merged; a span supporting graphic is graphic's)."""
    spans: list[list[Any]] = []
    for start, end, label in sorted((e["start"], e["end"], e["label"]) for e in evidence):
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
            spans[-1][2] = "graphic" if "graphic" in (label, spans[-1][2]) else label
        else:
            spans.append([start, end, label])
    out: list[tuple[str, str | None]] = []
    pos = 0
    for start, end, label in spans:
        out += [(text[pos:start], None), (text[start:end], label)]
        pos = end
    out.append((text[pos:], None))
    return out


def wrap(
    segments: list[tuple[str, str | None]],
    width: int,
    indent: str,
    later: str | None = None,
    colour: bool = False,
) -> list[str]:
    """Lines of at most ``width`` columns, broken between words only (a word longer than
    a line gets a line of its own); the first starts with ``indent``, the rest with
    ``later`` (default ``indent``). Words of a marked segment carry its label's mark."""
    words: list[tuple[str, int]] = []  # (as printed, columns)
    glued = False  # the next piece continues the last word ("Iraq" marked, then "i")
    for text, label in segments:
        pieces = re.split(r"\s+", plain(text))
        for n, piece in enumerate(pieces):
            if piece:
                shown, cols = piece, _columns(piece)
                if label:
                    shown = _mark(piece, label, colour, n == 0, n == len(pieces) - 1)
                    cols = _columns(_mark(piece, label, False, n == 0, n == len(pieces) - 1))
                if glued and n == 0 and words:
                    words[-1] = (words[-1][0] + shown, words[-1][1] + cols)
                else:
                    words.append((shown, cols))
        glued = bool(pieces[-1])
    later = indent if later is None else later
    lines: list[str] = []
    line, used, empty = indent, _columns(indent), True
    for shown, cols in words:
        if not empty and used + 1 + cols > width:
            lines.append(line)
            line, used, empty = later, _columns(later), True
        if not empty:
            line, used = line + " ", used + 1
        line, used, empty = line + shown, used + cols, False
    lines.append(line)
    return lines


def _columns(text: str) -> int:
    """The terminal columns ``text`` takes: wide (CJK) characters two, combining marks none."""
    if text.isascii():
        return len(text)
    return sum(
        0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1
        for c in text
    )


def _mark(term: str, label: str, colour: bool, first: bool = True, last: bool = True) -> str:
    """A marked word: in its label's colour, or inside its label's brackets (the opening
    one on the span's first word, the closing one on its last)."""
    if colour:
        return f"{LABEL_COLOURS[label]}{term}{RESET}"
    opening, closing = BRACKETS[label]
    return (opening if first else "") + term + (closing if last else "")


def _dim(text: str, colour: bool) -> str:
    return f"{DIM}{text}{RESET}" if colour else text


def plain(text: str) -> str:
    """Untrusted text made safe for a terminal: control characters escaped, lines joined."""
    text = text.replace("\r\n", " ").replace("\n", " ")
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
