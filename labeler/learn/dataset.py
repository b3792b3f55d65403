"""Training rows, from the data files and from reviews, and the fixed, grouped
train/validation/test split.

Every data file under the training data directory is JSONL with ``id, text,
violence, graphic, source, group``; ``null`` means "not annotated", never 0.
Hand-labelled rows (the seed set, round 4) carry ``source_id`` and override the
public row with the same id, whichever file comes first. A row's split is a hash of
its group, so a story, work or template is always on one side, and adding data never
moves an existing group. Reviewed passages become rows of their own source
(``reviewed``), grouped by document, so a reviewed document is on one side too.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from labeler.labels import LABELS

if TYPE_CHECKING:
    from labeler.store.review import Reviewed

TEST_BUCKETS = range(0, 4)  # of 20: 20% test
VAL_BUCKETS = range(4, 7)  # 15% validation (calibration check, thresholds)
REVIEWED = "reviewed"  # the source name of passages labelled in the review store
# What people call each source (data files say "source": the left-hand names).
SOURCE_NAMES = {
    "ag_news_test": "News (AG News)",
    "india_police_events": "News (Indian police events)",
    "trigger_warnings_passages": "Fan fiction (AO3)",
    "goemotions_reddit": "Reddit comments",
    "hatecheck": "Hate-speech tests (HateCheck)",
    "ethos": "Hateful comments (ETHOS)",
    "xstest": "Harmless violent words (XSTest)",
    "authored": "Hand-written hard cases",
    "gutenberg_books": "Public-domain books",
    "gutenberg_reportage": "Historical reportage",
    "stormfront_posts": "Extremist forum posts",
    "gum_gentle": "Open news, interviews, letters",
    REVIEWED: "Reviewed passages (this store)",
    "(pooled)": "All sources",
    "(fixed test split)": "Training data's test split",
}


def source_name(source: str) -> str:
    """A source as people call it; an unknown one with its underscores made spaces.

    >>> source_name("hatecheck"), source_name("new_pool")
    ('Hate-speech tests (HateCheck)', 'New pool')
    """
    return SOURCE_NAMES.get(source) or source.replace("_", " ").strip().capitalize() or source


@dataclass(frozen=True)
class Row:
    id: str
    text: str
    source: str
    group: str
    labels: dict[str, int | None]
    severity: int | None = None
    passage_id: int | None = None  # a reviewed row's passage in the review store


@dataclass(frozen=True)
class PassageKey:
    """A reviewed passage as a training row knows it: its document's id and its index there.

    >>> key = PassageKey("story.txt", 3)
    >>> key.row_id, key.group
    ('review:story.txt#3', 'review-doc:story.txt')
    """

    document: str
    index: int

    @property
    def row_id(self) -> str:
        """The training row's id (what ``labeler quality`` prints)."""
        return f"review:{self.document}#{self.index}"

    @property
    def group(self) -> str:
        """Its split group: the document, so passages of one document stay together."""
        return f"review-doc:{self.document}"


def group_bucket(group: str, buckets: int) -> int:
    """The bucket of ``buckets`` a group falls in, fixed for ever by the group's name: the
    split (20 buckets) and the quality check's folds both hash groups this way.

    >>> group_bucket("story-1", 20) == group_bucket("story-1", 20) < 20
    True
    """
    return int(hashlib.sha256(group.encode("utf-8")).hexdigest(), 16) % buckets


def split_of(group: str) -> str:
    """'train', 'val' or 'test', fixed for ever by the group's name."""
    bucket = group_bucket(group, 20)
    return "test" if bucket in TEST_BUCKETS else "val" if bucket in VAL_BUCKETS else "train"


REGRESSION_CASES = "regression_cases.jsonl"  # the gate's must-flag cases: never trained on
# Files under the data directory that training does not read: only the gate's cases, which
# must stay unseen to mean anything. Round 4 (training/data/round4) is trained on.
NOT_TRAINING = (REGRESSION_CASES,)


class DataError(ValueError):
    """Training data that cannot be used: a missing or empty folder, a malformed row."""


def data_files(directory: Path) -> list[Path]:
    """The data files training reads; a missing folder, or one without any, is a
    DataError naming it, before anything is trained or changed."""
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(f"training data {directory}: no such folder (see --data, LABELER_DATA)")
    files = sorted(
        p
        for p in directory.rglob("*.jsonl")
        if not p.relative_to(directory).as_posix().startswith(NOT_TRAINING)
    )
    if not files:
        raise DataError(f"training data {directory}: no .jsonl data files in it")
    return files


def load_rows(directory: Path) -> list[Row]:
    """All labelled rows, hand labels overriding public ones, sorted by id.

    A hand-labelled row wins whatever the file order: ``trigger_warnings_passages/``
    sorts after ``round4/`` and ``seed/``, and once silently put its public labels back.
    """
    rows: dict[str, Row] = {}
    hand: set[str] = set()
    for path in data_files(directory):
        with path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                try:
                    raw = json.loads(line)
                except ValueError as err:
                    raise DataError(f"{path}:{n}: not JSON ({err})") from None
                row = _row(raw, path, n)
                if "source_id" in raw:
                    hand.add(row.id)
                elif row.id in hand:
                    continue
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
        raise DataError(f"{path}:{line}: missing field {err}") from None


def reviewed_rows(items: list[Reviewed]) -> tuple[list[Row], list[int]]:
    """Training rows from current review labels (``store.labelled.items``); passages
    reviewers disagree on are left out (their ids are returned) until an adjudicator picks
    the final label, which is then the one trained on."""
    rows, disputed = [], []
    for item in items:
        if item.unresolved:
            disputed.append(item.passage_id)
            continue
        key = PassageKey(item.record_id, item.index)
        labels: dict[str, int | None] = {
            "violence": item.current.violence,
            "graphic": item.current.graphic,
        }
        rows.append(
            Row(
                key.row_id,
                item.text,
                REVIEWED,
                key.group,
                labels,
                item.current.severity,
                item.passage_id,
            )
        )
    return rows, disputed


def settled(items: list[Reviewed]) -> set[int]:
    """Passages two or more reviewers have decided, or an adjudicator has: trusted by the
    batch check."""
    return {i.passage_id for i in items if len(i.by_reviewer) >= 2 or i.adjudicated}
