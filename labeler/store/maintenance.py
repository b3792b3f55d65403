"""Keeping a store sound: its schema brought up to date, its consistency checked, and what
it holds counted (``labeler check``).

The schema is built by named, ordered migrations recorded in ``migrations``; some mend
what earlier versions stored (queue states, key hashes, reviewers' progress) under the
same write lock.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from labeler.store.db import Database, StoreError, key_hash, retrying
from labeler.store.migrations import (
    KEY_HASHES,
    QUEUE_STATES,
    REVIEWER_PROGRESS,
    apply_migrations,
    integrity,
    pending,
)
from labeler.store.review import labels_standing
from labeler.store.reviews import refresh_states

if TYPE_CHECKING:
    from labeler.store.reviews import Reviews


class Maintenance:
    """Migrations, the integrity check and the store's counts (a part of the store);
    ``reviews`` are what reviewers' progress is counted from."""

    def __init__(self, db: Database, stamp: Callable[[], str], reviews: Reviews) -> None:
        self.db = db
        self.stamp = stamp
        self.reviews = reviews

    def migrate(self) -> list[str]:
        """Apply every migration not yet recorded (``labeler.store.migrations``); returns
        the names applied. Finding none pending is a read: opening a store takes no lock,
        so a process holding the write lock never stalls a reader."""
        waiting = self.db.retried(lambda: pending(self.db))
        if not waiting:
            return []
        if self.db.read_only:
            raise StoreError(
                f"review store {self.db.name} is read-only and needs an upgrade"
                f" ({', '.join(waiting)}): open it once where it can be written"
            )
        return self._apply_migrations()

    @retrying
    def _apply_migrations(self) -> list[str]:
        """The migrations, and what each needs mended after its SQL, under the write lock."""
        with self.db.write():
            applied = apply_migrations(self.db, self.stamp())
            if QUEUE_STATES in applied:  # mend skips and undos of earlier versions
                reviewed = self.db.execute("SELECT DISTINCT passage_id FROM reviews").fetchall()
                refresh_states(self.db, [row[0] for row in reviewed])
            if KEY_HASHES in applied:
                self._hash_document_keys()
            if REVIEWER_PROGRESS in applied:
                self._count_reviewer_progress()
        return applied

    def _hash_document_keys(self) -> None:
        rows = self.db.execute("SELECT id, record_id FROM documents").fetchall()
        self.db.executemany(
            "UPDATE documents SET record_id_hash = ? WHERE id = ?",
            [(key_hash(record_id), doc_id) for doc_id, record_id in rows],
        )
        if self.db.dialect == "postgresql":  # its index of whole ids, which long ids break
            # (named, as PostgreSQL named it, after the column's name before 0014)
            self.db.execute("ALTER TABLE documents DROP CONSTRAINT documents_doc_key_text_hash_key")

    def _count_reviewer_progress(self) -> None:
        counts: dict[str, int] = {}
        for _, reviews in self.reviews.by_passage():
            for reviewer in {r.reviewer for r in reviews}:
                counts[reviewer] = counts.get(reviewer, 0) + labels_standing(reviews, reviewer)
        self.db.executemany(
            "INSERT INTO reviewer_progress (reviewer_hash, reviewer, labelled) VALUES (?, ?, ?)",
            [(key_hash(name), name, count) for name, count in sorted(counts.items())],
        )

    def integrity(self) -> list[str]:
        """Problems found by the engine's own check and by the store's invariants."""
        return integrity(self.db)

    def counts(self) -> dict[str, int]:
        """How many documents, passages and reviews the store holds."""
        row = self.db.execute(
            "SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM passages),"
            " (SELECT COUNT(*) FROM reviews)"
        ).fetchone()
        return {"documents": row[0], "passages": row[1], "reviews": row[2]}
