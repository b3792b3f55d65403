"""The store's administration: the admin log, and the double-review share.

The admin log is append-only: who retrained, promoted, rolled back, re-scored, adjudicated
or changed a setting, when, and what came of it. Nothing updates or deletes a row.

Double review on purpose: a share of passages (``double_review``, in percent) is chosen by
:func:`chosen_for_double_review` and served to a second reviewer (``labeler.store.queue``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from labeler.store.db import Database, StoreError, retrying

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
    """The admin log and store settings (a part of the store)."""

    def __init__(self, db: Database, stamp: Callable[[], str]) -> None:
        self.db = db
        self.stamp = stamp

    def append(self, action: str, actor: str, detail: str) -> None:
        """Append one admin action (inside the caller's write transaction)."""
        if action not in ACTIONS:
            raise StoreError(f"admin action must be one of {', '.join(ACTIONS)}, not {action!r}")
        if not actor.strip():
            raise StoreError("an admin action needs the name of who did it")
        self.db.execute(
            "INSERT INTO admin_log (action, actor, detail, at) VALUES (?, ?, ?, ?)",
            (action, actor, detail, self.stamp()),
        )

    @retrying
    def log(self, action: str, actor: str, detail: str) -> None:
        """Append one admin action to the log, in its own transaction."""
        with self.db.write():
            self.append(action, actor, detail)

    def entries(self, limit: int = 200) -> list[LogEntry]:
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
                (DOUBLE_REVIEW_SETTING, f"{percent:g}", actor, self.stamp()),
            )
            self.append("setting", actor, f"double review: {percent:g}% of passages")
