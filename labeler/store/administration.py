"""The store's administration: the admin log, and the double-review share.

The admin log is append-only: who retrained, promoted, rolled back, re-scored, adjudicated
or changed a setting, when, and what came of it. Nothing updates or deletes a row.

Double review on purpose: with a share set (``double_review``, in percent), a passage that
gets its first label is, if :func:`chosen_for_double_review`, put among the second looks
with the reason ``DOUBLE_REVIEW``; the queue then serves it to the next reviewer who has
not decided it, ahead of new passages, so about that share of passages is labelled by two
people and their agreement can be measured.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from labeler.store.db import Database, StoreError, retrying
from labeler.store.review import Labels

if TYPE_CHECKING:
    from labeler.store.queue import QueueFilter

ACTIONS = ("retrain", "promote", "rollback", "rescore", "adjudicate", "setting")
DOUBLE_REVIEW = "double review"  # the second-look reason of passages chosen by the share
DOUBLE_REVIEW_SETTING = "double_review"  # percent of passages, 0-100


@dataclass(frozen=True)
class LogEntry:
    id: int
    action: str
    actor: str
    detail: str
    at: str


def chosen_for_double_review(passage_id: int, percent: float) -> bool:
    """Whether a passage is in the double-review share: a fixed hash of its id, so the
    choice is the same every time it is asked and spread evenly over documents.

    >>> 900 < sum(chosen_for_double_review(i, 10) for i in range(10_000)) < 1100
    True
    """
    digest = hashlib.sha256(f"double-review:{passage_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 10_000 < percent * 100


class Administration:
    """The admin log and store settings (a part of :class:`Store`)."""

    db: Database

    if TYPE_CHECKING:  # the rest of the store

        def _stamp(self) -> str: ...

    def _log(self, action: str, actor: str, detail: str) -> None:
        """Append one admin action (inside the caller's write transaction)."""
        if action not in ACTIONS:
            raise StoreError(f"admin action must be one of {', '.join(ACTIONS)}, not {action!r}")
        if not actor.strip():
            raise StoreError("an admin action needs the name of who did it")
        self.db.execute(
            "INSERT INTO admin_log (action, actor, detail, at) VALUES (?, ?, ?, ?)",
            (action, actor, detail, self._stamp()),
        )

    @retrying
    def log_action(self, action: str, actor: str, detail: str) -> None:
        """Append one admin action to the log, in its own transaction."""
        with self.db.write():
            self._log(action, actor, detail)

    def admin_log(self, limit: int = 200) -> list[LogEntry]:
        """The latest admin actions, newest first."""
        rows = self.db.execute(
            "SELECT id, action, actor, detail, at FROM admin_log ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [LogEntry(*row) for row in rows]

    def double_review_percent(self) -> float:
        """The share of passages served to a second reviewer, in percent (0: none)."""
        row = self.db.execute(
            "SELECT value FROM store_settings WHERE name = ?", (DOUBLE_REVIEW_SETTING,)
        ).fetchone()
        return float(row[0]) if row else 0.0

    @retrying
    def set_double_review_percent(self, percent: float, actor: str) -> None:
        """Set the double-review share (0 to 100 percent) and log who changed it."""
        if not 0 <= percent <= 100:
            raise StoreError(f"the double-review share is 0 to 100 percent, not {percent}")
        with self.db.write():
            self.db.execute(
                "INSERT INTO store_settings (name, value, set_by, set_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
                " set_by = excluded.set_by, set_at = excluded.set_at",
                (DOUBLE_REVIEW_SETTING, f"{percent:g}", actor, self._stamp()),
            )
            self._log("setting", actor, f"double review: {percent:g}% of passages")

    def _choose_for_double_review(
        self, passage_id: int, reviewer: str, labels: Labels | None
    ) -> None:
        """After a decision (inside its transaction): a passage's first label, in the
        double-review share, puts it among the second looks."""
        if labels is None:
            return
        percent = self.double_review_percent()
        if not percent or not chosen_for_double_review(passage_id, percent):
            return
        labelled_by_another = self.db.execute(
            "SELECT 1 FROM reviews WHERE passage_id = ? AND reviewer <> ?"
            " AND decision IN ('confirm', 'correct') LIMIT 1",
            (passage_id, reviewer),
        ).fetchone()
        if labelled_by_another:
            return  # this is the second look, or a later one
        self.db.execute(
            "INSERT INTO second_looks (passage_id, reason, flagged_at) VALUES (?, ?, ?)"
            " ON CONFLICT (passage_id) DO NOTHING",
            (passage_id, DOUBLE_REVIEW, self._stamp()),
        )

    def _double_review_due(self, reviewer: str, queue: QueueFilter) -> int | None:
        """The oldest passage chosen for double review that ``reviewer`` has not decided,
        that nobody has decided since it was chosen, that nobody holds, and that passes
        the reviewer's queue filter (inside the claim's transaction)."""
        where, params = queue.where("s.top")
        row = self.db.execute(
            "SELECT f.passage_id FROM second_looks f JOIN scores s ON s.passage_id = f.passage_id"
            " WHERE f.reason = ?"
            " AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.passage_id = f.passage_id"
            "   AND (r.reviewer = ? OR r.decided_at > f.flagged_at))"
            " AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.passage_id = f.passage_id)"
            f"{where} ORDER BY f.flagged_at, f.passage_id LIMIT 1",
            (DOUBLE_REVIEW, reviewer, *params),
        ).fetchone()
        return None if row is None else int(row[0])
