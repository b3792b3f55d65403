"""Export reviewed passages from the review store, for training and for audit."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import orjson

from labeler.store import Store
from labeler.writers import csv_safe

COLUMNS = [
    "id",
    "text",
    "violence",
    "graphic",
    "severity",
    "reviewer",
    "decided_at",
    "model",
    "model_violence",
    "model_graphic",
]


def render(rows: list[dict], fmt: str) -> str:
    """Reviewed rows as JSONL or CSV text (CSV cells escaped against formulas)."""
    if fmt != "csv":
        return "".join(orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE).decode() for r in rows)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in rows:
        flat = {
            **row,
            "model_violence": row["model_scores"]["violence"],
            "model_graphic": row["model_scores"]["graphic"],
        }
        writer.writerow([csv_safe(flat[c]) for c in COLUMNS])
    return buffer.getvalue()


def export(target: str | Path, output: Path, fmt: str | None = None) -> int:
    """Write every reviewed passage to ``output`` (temp file, then rename); returns the count."""
    fmt = fmt or ("csv" if output.suffix.lower() == ".csv" else "jsonl")
    store = Store(target)
    tmp = output.with_name(output.name + ".partial")
    count = 0
    try:
        with tmp.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f) if fmt == "csv" else None
            if writer:
                writer.writerow(COLUMNS)
            for row in store.reviewed():
                count += 1
                if writer is None:
                    f.write(orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE).decode())
                    continue
                scores = row.pop("model_scores")
                flat = {
                    **row,
                    "model_violence": scores["violence"],
                    "model_graphic": scores["graphic"],
                }
                writer.writerow([csv_safe(flat[c]) for c in COLUMNS])
        os.replace(tmp, output)
    finally:
        store.close()
        tmp.unlink(missing_ok=True)
    return count
