"""One batch of input records: bounded in size, scored and formatted in one call.

``score_batch`` is the unit of work every scheduler runs (here, in worker processes or
on a dask cluster); input errors pass through it in their place, so output order is
input order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from labeler.batch import writers
from labeler.batch.documents import Document, InputError, Item
from labeler.formats import jsonl
from labeler.labels import LABELS
from labeler.model import Model
from labeler.records import DocumentRecord
from labeler.scoring import Origin, cached_model, score_documents

BATCH_CHARS = 400_000
BATCH_DOCS = 2_000


class UsageError(Exception):
    """Options that cannot work together (exit code 2)."""


class RunError(Exception):
    """A run that cannot go on: an output cannot be written, a resume cannot match (exit 1)."""


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs to score and format a batch."""

    model_dir: str | None = None
    fast: bool = False  # the word model alone
    format: str = "jsonl"
    thresholds: dict[str, float] = field(default_factory=dict)
    only_flagged: bool = False
    only_review: bool = False  # flagged or to review (at a label's review point)
    min_severity: int = 0
    colour: bool = False
    width: int = 80  # a report's line width, in terminal columns
    keep_for_store: bool = False  # return (record, text) pairs for the review store

    def keep(self, item: Mapping[str, Any]) -> bool:
        """Whether a document (or, in CSV, a passage) passes the output filters."""
        return (
            (bool(item["flags"]) or not self.only_flagged)
            and (bool(item["flags"] or item["review"]) or not self.only_review)
            and item["severity"] >= self.min_severity
        )


@dataclass
class Stats:
    documents: int = 0
    passages: int = 0
    errors: int = 0
    flagged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))

    def add(self, other: Stats) -> None:
        self.documents += other.documents
        self.passages += other.passages
        self.errors += other.errors
        for label in LABELS:
            self.flagged[label] += other.flagged[label]


@dataclass
class BatchResult:
    output: str
    errors: str
    messages: list[str]
    stats: Stats
    items: int
    last: dict[str, Any]
    stored: list[tuple[DocumentRecord, str]] = field(default_factory=list)
    digests: bytes = b""  # each input record's item_digest, in order


def item_digest(item: Item) -> bytes:
    """sha256 of everything that is read from one input record, for ``--resume`` to check
    that the records already done are still the same (not only the last one)."""
    digest = hashlib.sha256()
    fields = item.fields if isinstance(item, Document) else None
    extra = json.dumps(fields, sort_keys=True, default=str) if fields else ""
    for part in (type(item).__name__, *map(str, item[:4]), extra):
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little"))  # two updates: no copy of the text
        digest.update(data)
    return digest.digest()


def item_key(item: Item) -> dict[str, Any]:
    """What identifies an input record on resume: its place, and its id or error."""
    if isinstance(item, Document):
        return {"path": item.path, "line": item.line, "id": item.id}
    return {"path": item.path, "line": item.line, "error": item.reason}


def score_batch(settings: Settings, items: list[Item], model: Model | None = None) -> BatchResult:
    """Score and format one batch; errors pass through in their place.

    ``model`` is given where it was shipped to the worker once (dask: a remote
    worker may not have the model directory); otherwise each process loads it.
    """
    model = model if model is not None else cached_model(settings.model_dir, settings.fast)
    docs = [item for item in items if isinstance(item, Document)]
    texts = [(d.id, d.text) for d in docs]
    origins = [Origin(d.path, d.line, d.fields) for d in docs]
    scored = score_documents(texts, model, settings.thresholds, origins=origins)
    for_store = scored
    if settings.keep_for_store and {**model.thresholds, **settings.thresholds} != model.thresholds:
        # thresholds given on the command line filter the output; the store keeps the
        # model's own flags, which a reviewer's Confirm turns into training labels
        for_store = score_documents(texts, model, origins=origins)
    records, store_records = iter(scored), iter(for_store)
    out, errors, messages, stats = [], [], [], Stats()
    stored: list[tuple[DocumentRecord, str]] = []
    for item in items:
        if isinstance(item, InputError):
            stats.errors += 1
            messages.append(item.message())
            errors.append(jsonl(item._asdict()))  # path, line, reason, original
            continue
        record, store_record = next(records), next(store_records)
        stats.documents += 1
        stats.passages += len(record["passages"])
        for label in record["flags"]:
            stats.flagged[label] += 1
        out.append(_format(record, settings))
        if settings.keep_for_store:
            stored.append((store_record, item.text))
    digests = b"".join(map(item_digest, items))
    return BatchResult(
        "".join(out),
        "".join(errors),
        messages,
        stats,
        len(items),
        item_key(items[-1]),
        stored,
        digests,
    )


def _format(record: DocumentRecord, settings: Settings) -> str:
    if settings.format == "csv":
        return writers.csv_passages(record, settings.keep)
    if not settings.keep(record):
        return ""
    if settings.format == "report":
        return writers.report(record, settings.colour, settings.width)
    return jsonl(record)


def batches(items: Iterable[Item]) -> Iterator[list[Item]]:
    """Consecutive runs of items, bounded in documents and characters."""
    batch: list[Item] = []
    chars = 0
    for item in items:
        batch.append(item)
        chars += len(item.text) if isinstance(item, Document) else 0
        if chars >= BATCH_CHARS or len(batch) >= BATCH_DOCS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch
