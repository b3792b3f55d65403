"""Settling disagreements: an adjudicator picks a passage's final label, with a note.

Adjudications are append-only, like reviews: a second one on the same passage is a new
row, and the latest stands. An adjudicated label is the passage's current label for
training and export (``labeler.store.labelled``), whatever reviewers
decided before or after; reviewers' own decisions stay as they were, so agreement
between them is still measured on what they said. Who may adjudicate is the caller's
rule (the dashboard: admins); each one is also written to the admin log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from labeler.store.db import Database, StoreError, retrying
from labeler.store.review import Labels, label_text

if TYPE_CHECKING:
    from labeler.store.administration import Administration
    from labeler.store.documents import Documents


@dataclass(frozen=True)
class Adjudication:
    """One adjudicator's final label for one passage."""

    id: int
    passage_id: int
    adjudicator: str
    labels: Labels
    note: str | None
    decided_at: str


SELECT_ADJUDICATIONS = (
    "SELECT id, passage_id, adjudicator, violence, graphic, severity, note, decided_at"
    " FROM adjudications"
)


class Adjudications:
    """Recording and reading adjudications (a part of the store); each is also written to
    ``admin``'s log, and must name a passage of ``documents``."""

    def __init__(
        self,
        db: Database,
        stamp: Callable[[], str],
        documents: Documents,
        admin: Administration,
    ) -> None:
        self.db = db
        self.stamp = stamp
        self.documents = documents
        self.admin = admin

    @retrying
    def record(
        self, passage_id: int, adjudicator: str, labels: Labels, note: str | None = None
    ) -> int:
        """Record ``adjudicator``'s final label for a passage, and log it, in one transaction;
        returns the adjudication's id."""
        if not adjudicator.strip():
            raise StoreError("an adjudication needs an adjudicator")
        passage = self.documents.passage(passage_id)  # a clear StoreError for an unknown passage
        note = (note or "").strip() or None
        with self.db.write():
            cursor = self.db.execute(
                "INSERT INTO adjudications (passage_id, adjudicator, violence, graphic,"
                " severity, note, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    passage_id,
                    adjudicator,
                    labels.violence,
                    labels.graphic,
                    labels.severity,
                    note,
                    self.stamp(),
                ),
            )
            adjudication_id = int(cursor.fetchone()[0])
            self.admin.append(
                "adjudicate",
                adjudicator,
                f"passage {passage['index'] + 1} of {passage['record_id']}: "
                f"{label_text(labels)}" + (f" ({note})" if note else ""),
            )
        return adjudication_id

    def by_passage(self, passage_id: int | None = None) -> dict[int, list[Adjudication]]:
        """Every adjudication (or one passage's), oldest first, by passage."""
        if passage_id is None:
            rows = self.db.execute(f"{SELECT_ADJUDICATIONS} ORDER BY id")
        else:
            rows = self.db.execute(
                f"{SELECT_ADJUDICATIONS} WHERE passage_id = ? ORDER BY id", (passage_id,)
            )
        out: dict[int, list[Adjudication]] = {}
        for row in rows:
            out.setdefault(row["passage_id"], []).append(_adjudication(row))
        return out

    def final_labels(self) -> Callable[[int], Adjudication | None]:
        """A lookup of each passage's standing adjudication (its latest), read once."""
        latest = {pid: found[-1] for pid, found in self.by_passage().items()}
        return latest.get


def _adjudication(row: Any) -> Adjudication:
    return Adjudication(
        row["id"],
        row["passage_id"],
        row["adjudicator"],
        Labels(row["violence"], row["graphic"], row["severity"]),
        row["note"],
        row["decided_at"],
    )
