"""Training rows and the fixed, grouped train/validation/test split.

Every data file under the training data directory is JSONL with ``id, text,
violence, graphic, source, group``; ``null`` means "not annotated", never 0.
Hand-labelled rows (seed, round 4) carry ``source_id`` and override the public
row with that id, whichever file is read first. A row's split is a hash of its
group, so a story, work or template is always on one side, and adding data never
moves an existing group.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from labeler.labels import LABELS

TEST_BUCKETS = range(0, 4)  # of 20: 20% test
VAL_BUCKETS = range(4, 7)  # 15% validation (calibration check, thresholds)


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    source: str
    group: str
    labels: dict[str, int | None]
    severity: int | None = None
    passage_id: int | None = None  # a reviewed row's passage in the review store


def split_of(group: str) -> str:
    """'train', 'val' or 'test', fixed for ever by the group's name."""
    bucket = int(hashlib.sha256(group.encode("utf-8")).hexdigest(), 16) % 20
    return "test" if bucket in TEST_BUCKETS else "val" if bucket in VAL_BUCKETS else "train"


REGRESSION_CASES = "regression_cases.jsonl"  # the gate's must-flag cases: never trained on
# Files under the data directory that training does not read: the gate's cases.
NOT_TRAINING = (REGRESSION_CASES,)


def data_files(directory: Path) -> list[Path]:
    return sorted(
        p
        for p in directory.rglob("*.jsonl")
        if not p.relative_to(directory).as_posix().startswith(NOT_TRAINING)
    )


def load_rows(directory: Path) -> list[Row]:
    """All labelled rows, hand labels (rows with ``source_id``) overriding public ones
    whichever file comes first, sorted by id."""
    rows: dict[str, Row] = {}
    hand: set[str] = set()
    for path in data_files(directory):
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                raw = json.loads(line)
                row = _row(raw, path, n)
                if "source_id" in raw:
                    hand.add(row.id)
                elif row.id in hand:
                    continue  # a hand label already stands for this public row
                rows[row.id] = row
    return sorted(rows.values(), key=lambda r: r.id)


def _row(raw: dict, path: Path, line: int) -> Row:
    try:
        labels = {label: raw[label] for label in LABELS}
        if labels["violence"] == 0 and labels["graphic"] is None:
            labels["graphic"] = 0  # graphic implies violence
        return Row(
            id=raw.get("source_id", raw["id"]),
            text=raw["text"],
            source=raw["source"],
            group=raw["group"],
            labels=labels,
            severity=raw.get("severity"),
        )
    except KeyError as err:
        raise ValueError(f"{path}:{line}: missing field {err}") from None
