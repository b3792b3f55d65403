"""Re-scoring stored passages with another model version: which are left, and their scores.

A re-score adds a score row for the new version beside the old ones; passages, reviews,
claims and adjudications are never touched, and a passage keeps its queue state (a
labelled or skipped passage stays so). Each batch is one transaction, and what is left
is whatever has no score of that version yet, so a re-score stopped at any point simply
continues where it was when run again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from labeler.passages import Passage
from labeler.store.db import Database, retrying
from labeler.store.documents import score_row

NOT_SCORED_BY = "NOT EXISTS (SELECT 1 FROM scores s WHERE s.passage_id = p.id AND s.model = ?)"


class Rescoring:
    """Passages left to re-score, and adding their scores (a part of the store)."""

    def __init__(self, db: Database, stamp: Callable[[], str]) -> None:
        self.db = db
        self.stamp = stamp

    def count_unscored(self, version: str) -> int:
        """Passages with no score of ``version``."""
        row = self.db.execute(
            f"SELECT COUNT(*) FROM passages p WHERE {NOT_SCORED_BY}", (version,)
        ).fetchone()
        return int(row[0])

    def unscored(self, version: str, after: int, limit: int) -> list[tuple[int, Passage]]:
        """Up to ``limit`` passages with no score of ``version``, by id after ``after``:
        (passage id, the passage as it was split from its document)."""
        rows = self.db.execute(
            'SELECT p.id, p."index", p."start", p."end", p.text FROM passages p'
            f" WHERE p.id > ? AND {NOT_SCORED_BY} ORDER BY p.id LIMIT ?",
            (after, version, limit),
        )
        return [(r[0], Passage(r[1], r[2], r[3], r[4])) for r in rows]

    @retrying
    def add_scores(
        self,
        version: str,
        scored: Sequence[tuple[int, Mapping[str, Any]]],
        thresholds: dict[str, float],
    ) -> None:
        """Store ``version``'s scores of passages already in the store (passage id and its
        passage record), in one transaction; a passage keeps the queue state its other
        score rows have. A score the version already has is left as it was."""
        stamp = self.stamp()
        with self.db.write():
            self.db.executemany(
                "INSERT INTO scores (passage_id, model, violence, graphic, flags,"
                " review, severity, evidence, scored_at, top, margin, queue_state)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE("
                "(SELECT MIN(o.queue_state) FROM scores o WHERE o.passage_id = ?), ?))"
                " ON CONFLICT (passage_id, model) DO NOTHING",
                [
                    (*row[:-1], passage_id, row[-1])  # the state a new passage would have last
                    for passage_id, p in scored
                    for row in [score_row(passage_id, version, p, stamp, thresholds)]
                ],
            )

    def scored_by(self) -> dict[str, int]:
        """How many passages each model version has scored."""
        rows = self.db.execute("SELECT model, COUNT(*) FROM scores GROUP BY model ORDER BY 1")
        return {r[0]: int(r[1]) for r in rows}
