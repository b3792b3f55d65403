"""Export from the review store: reviewed passages (for training and audit), and each
document's warning (for the newsroom)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TextIO

from labeler.formats import csv_safe, jsonl
from labeler.outputs import final_path, refuse_store_files, temp_name, written_in_place
from labeler.store.db import POSTGRES_SCHEMES
from labeler.store.store import Store

COLUMNS = [
    "id",
    "text",
    "violence",
    "graphic",
    "severity",
    "reviewer",
    "decided_at",
    "note",
    "model",
    "model_violence",
    "model_graphic",
    "warning_level",
    "warning",
    "warning_categories",
    "warning_status",
]
WARNING_COLUMNS = [
    "id",
    "path",
    "level",
    "categories",
    "warning",
    "status",
    "decided_by",
    "decided_at",
    "needs_decision",
    "suggested",
    "passages",
    "reviewed",
    "waiting",
    "skipped",
]


def write(rows: Iterable[dict[str, Any]], f: TextIO, fmt: str) -> int:
    """Write reviewed rows to ``f`` as JSONL or CSV (cells escaped against formulas);
    returns how many rows were written."""
    return _write(rows, f, fmt, COLUMNS, _flat_reviewed)


def _flat_reviewed(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "model_violence": row["model_scores"]["violence"],
        "model_graphic": row["model_scores"]["graphic"],
        "warning_level": row["warning"]["level"],
        "warning": row["warning"]["text"],
        "warning_categories": " ".join(row["warning"]["categories"]),
        "warning_status": row["warning"]["status"],
    }


def write_warnings(rows: Iterable[dict[str, Any]], f: TextIO, fmt: str) -> int:
    """Write document warning rows (``DocumentWarning.row``) to ``f`` as JSONL or CSV."""
    return _write(
        rows, f, fmt, WARNING_COLUMNS, lambda r: {**r, "categories": " ".join(r["categories"])}
    )


def _write(
    rows: Iterable[dict[str, Any]],
    f: TextIO,
    fmt: str,
    columns: list[str],
    flat: Callable[[dict[str, Any]], dict[str, Any]],
) -> int:
    """Rows as JSONL, or as CSV with ``columns`` of each row made ``flat``."""
    writer = csv.writer(f) if fmt == "csv" else None
    if writer:
        writer.writerow(columns)
    count = 0
    for row in rows:
        count += 1
        if writer is None:
            f.write(jsonl(row))
        else:
            cells = flat(row)
            writer.writerow([csv_safe(cells[c]) for c in columns])
    return count


def render(rows: list[dict], fmt: str) -> str:
    """Reviewed rows as JSONL or CSV text (CSV cells escaped against formulas)."""
    buffer = io.StringIO()
    write(rows, buffer, fmt)
    return buffer.getvalue()


def export(target: str | Path, output: Path | None, fmt: str | None, stdout: TextIO) -> int:
    """Write every reviewed passage to ``output``, or to ``stdout`` when ``output`` is
    None; returns the count (``_export`` says how)."""
    return _export(
        target, output, fmt, stdout, lambda store, f, fmt: write(store.labelled.rows(), f, fmt)
    )


def export_warnings(
    target: str | Path, output: Path | None, fmt: str | None, stdout: TextIO
) -> int:
    """Write every document's warning as it stands to ``output``, or to ``stdout``;
    returns the count (``_export`` says how)."""
    return _export(
        target,
        output,
        fmt,
        stdout,
        lambda store, f, fmt: write_warnings(
            (w.row() for w in store.warnings.of_documents()), f, fmt
        ),
    )


def _export(
    target: str | Path,
    output: Path | None,
    fmt: str | None,
    stdout: TextIO,
    writing: Callable[[Store, TextIO, str], int],
) -> int:
    """Run ``writing`` on the store, into ``output`` or ``stdout``, in ``fmt`` (default:
    CSV for a .csv file, else JSONL). Only reads: a read-only store exports.

    A regular file is written to a temporary file beside it, then renamed into place; a
    device or FIFO is written straight into (renaming over it would replace it). An
    ``output`` that is one of the store's own files is refused before anything is opened.
    """
    fmt = fmt or ("csv" if output is not None and output.suffix.lower() == ".csv" else "jsonl")
    if output is not None and not str(target).startswith(POSTGRES_SCHEMES):
        refuse_store_files([("-o", output)], Path(target))
    with Store(target, reading=True) as store:
        if output is None:
            count = writing(store, stdout, fmt)
            stdout.flush()  # all of it delivered before the count is reported
            return count
        if written_in_place(output):
            with output.open("w", encoding="utf-8", newline="") as f:
                return writing(store, f, fmt)
        final = final_path(output)
        tmp = temp_name(final)
        try:
            with tmp.open("w", encoding="utf-8", newline="") as f:
                count = writing(store, f, fmt)
            os.replace(tmp, final)
        finally:
            tmp.unlink(missing_ok=True)
    return count
