"""The claim queue: which passage a reviewer is served next, and the claim that a decision
must name.

Each order follows a partial index of the passages still waiting, so the next one is
found without sorting; a claim expires after its ``ttl``, so a passage left open goes back
to the queue, and two reviewers never hold the same one. A claim is one screen's: a
reviewer with two tabs holds one passage in each, and a claim ends when it is decided,
released or expired, never because the same reviewer claimed again elsewhere. Progress is
counted from the one rule of ``labeler.store.review``: a passage's queue state.

Double review on purpose: with a share set (``Administration.double_review_percent``), a
passage that gets its first label is, if ``chosen_for_double_review``, put among the second
looks with the reason ``DOUBLE_REVIEW``; the queue then serves it to the next reviewer who
has not decided it, ahead of new passages, so about that share of passages is labelled by
two people and their agreement can be measured.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from labeler.labels import LABELS
from labeler.store.administration import DOUBLE_REVIEW, chosen_for_double_review
from labeler.store.db import Database, StoreError, key_hash, retrying
from labeler.store.review import JUNK, LABELLED, SKIPPED, WAITING, Labels, pick_diverse

if TYPE_CHECKING:
    from labeler.store.administration import Administration
    from labeler.store.documents import Documents

ACTIVE_WINDOW = 50  # most uncertain candidates considered for diversity
# A condition on reviews' reviewer, with the name as its two parameters, that follows the
# reviews_by_reviewer index (of the name's first 100 characters: names are any length).
# The whole name is compared as ``reviewer || ''``: a bare equality on the column makes
# SQLite's planner scan the table instead (3.40; PostgreSQL uses the index either way).
REVIEWER_IS = "substr(reviewer, 1, 100) = substr(?, 1, 100) AND reviewer || '' = ?"
RECENT_SEEN = 20  # a reviewer's latest reviews that candidates must not repeat
# On SQLite, the partial index of waiting passages each order follows: without the hint the
# planner takes scores_by_state (queue_state = 1 looks selective) and sorts every waiting
# passage, 0.7 s at 1M passages instead of 1 ms.
QUEUE_INDEXES = {"score": "waiting_by_top", "uncertain": "waiting_by_margin"}
QUEUE_INDEXES["active"] = QUEUE_INDEXES["uncertain"]
# Counts that change only when scores are added, kept across Store instances (the dashboard
# opens one per rerun): (store, when it was created) -> (its scores' highest rowid, counts).
_SCORED_COUNTS: dict[tuple[str, str], tuple[int, dict[str, int]]] = {}


class StaleDecision(StoreError):
    """A decision for a passage that is not the reviewer's current claim, or made too
    soon after it was served to have been read: nothing was recorded."""


@dataclass(frozen=True)
class Claim:
    """A passage served to one reviewer: a decision must name it (``token``), so a key
    pressed twice, or a page that lags, can never decide a passage nobody saw."""

    passage_id: int
    reviewer: str
    token: str


@dataclass(frozen=True)
class QueueFilter:
    """Which passages the queue serves. Values only ever reach SQL as parameters."""

    label: str | None = None  # flagged with this label (to_review: or at its review point)
    to_review: bool = False  # flagged, or at a label's review point (under the flag)
    min_severity: int = 0
    score_band: tuple[float, float] = (0.0, 1.0)  # highest label score within
    source_path: str | None = None
    model: str | None = None

    def __post_init__(self) -> None:
        if self.label is not None and self.label not in LABELS:
            raise StoreError(f"label must be one of {', '.join(LABELS)}, not {self.label!r}")

    def where(self, top: str) -> tuple[str, tuple[Any, ...]]:
        # only the filters in use: a condition on an indexed column would make the
        # planner range-scan that index and sort, instead of following the queue order
        clauses: list[str] = []
        params: list[Any] = []
        if self.min_severity > 0:
            clauses.append(" AND s.severity >= ?")
            params.append(self.min_severity)
        if self.score_band != (0.0, 1.0):
            clauses.append(f" AND {top} BETWEEN ? AND ?")
            params += list(self.score_band)
        # a score stored before the store kept review labels (NULL) counts by its flags
        if self.label is not None:
            clauses.append(
                " AND COALESCE(s.review, s.flags) LIKE ?"
                if self.to_review
                else " AND s.flags LIKE ?"
            )
            params.append(f'%"{self.label}"%')
        elif self.to_review:
            clauses.append(" AND COALESCE(s.review, s.flags) <> '[]'")
        if self.source_path is not None:
            clauses.append(
                " AND EXISTS (SELECT 1 FROM passages p JOIN documents d ON d.id = p.document_id"
                " WHERE p.id = s.passage_id AND d.source_path = ?)"
            )
            params.append(self.source_path)
        if self.model is not None:
            clauses.append(" AND s.model = ?")
            params.append(self.model)
        return "".join(clauses), tuple(params)


class Queue:
    """The claim queue and progress counts (a part of the store). ``documents`` gives the
    passages served, ``admin`` the double-review share; a decision sooner than
    ``min_dwell`` after its claim is refused."""

    def __init__(
        self,
        db: Database,
        now: Callable[[], datetime],
        stamp: Callable[[], str],
        min_dwell: timedelta,
        documents: Documents,
        admin: Administration,
    ) -> None:
        self.db = db
        self.now = now
        self.stamp = stamp  # now, as stored
        self.min_dwell = min_dwell
        self.documents = documents
        self.admin = admin

    @retrying
    def next(
        self,
        reviewer: str,
        ttl: timedelta = timedelta(minutes=10),
        order: str = "document",
        queue: QueueFilter | None = None,
    ) -> dict[str, Any] | None:
        """Claim the next unreviewed, unclaimed passage for ``reviewer`` (atomically).

        ``order``: "document" (reading order), "score" (highest score first),
        "uncertain" (closest to its model's threshold first), or "skipped" (passages
        everyone so far skipped, in reading order). Claims
        expire after ``ttl``, so a passage left open by a reviewer who walked
        away goes back to the queue; two reviewers never hold the same one. The
        reviewer's other claims (another tab's passage) stay theirs.
        """
        queue = queue or QueueFilter()
        # each order follows a partial index of waiting passages, so the next item is found
        # without sorting; "active" is most uncertain first, skipping near-duplicates of
        # what was just seen. (ORDER BY, the same as a rank for the outer query.)
        orders = {
            "document": ("s.passage_id", "s.passage_id"),
            "score": ("s.top DESC", "-s.top"),
            "uncertain": ("s.margin", "s.margin"),
            "active": ("s.margin", "s.margin"),
            "skipped": ("s.passage_id", "s.passage_id"),
        }
        if order not in orders:
            raise StoreError(f"order must be one of {', '.join(orders)}")
        where, params = queue.where("s.top")
        order_sql, rank = orders[order]
        state = SKIPPED if order == "skipped" else WAITING  # an int constant, not user input
        hint = ""
        if self.db.dialect == "sqlite" and order in QUEUE_INDEXES:
            hint = f" INDEXED BY {QUEUE_INDEXES[order]}"

        def first() -> int | None:
            # The candidates come from scores alone, in index order: joined to passages
            # in one query, PostgreSQL would merge-join from the first passage ever stored.
            rows = self.db.execute(
                f"SELECT p.id, p.text FROM (SELECT s.passage_id, {rank} AS queue_rank"
                f" FROM scores s{hint} WHERE s.queue_state = {state}"  # literal: partial indexes
                " AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.passage_id = s.passage_id)"
                f"{where} ORDER BY {order_sql} LIMIT ?) q"
                " JOIN passages p ON p.id = q.passage_id ORDER BY q.queue_rank",
                (*params, ACTIVE_WINDOW if order == "active" else 1),
            ).fetchall()
            if not rows or order != "active":
                return int(rows[0][0]) if rows else None
            recent = [
                r[0]
                for r in self.db.execute(
                    "SELECT p.text FROM (SELECT passage_id FROM reviews"
                    f" WHERE {REVIEWER_IS} ORDER BY id DESC LIMIT ?) r"
                    " JOIN passages p ON p.id = r.passage_id",
                    (reviewer, reviewer, RECENT_SEEN),
                )
            ]
            return pick_diverse([(r[0], r[1]) for r in rows], recent)

        def double_review_first() -> int | None:
            # a passage chosen for double review goes ahead of new ones (store setting)
            if order != "skipped" and self.admin.double_review_percent():
                due = self._double_review_due(reviewer, queue)
                if due is not None:
                    return due
            return first()

        claim = self._take(reviewer, ttl, double_review_first)
        return (
            None if claim is None else {**self.documents.passage(claim.passage_id), "claim": claim}
        )

    @retrying
    def claim(
        self, passage_id: int, reviewer: str, ttl: timedelta = timedelta(minutes=10)
    ) -> Claim | None:
        """Claim one given passage (after an undo, to decide it again); None if another
        reviewer holds it. If ``reviewer`` holds it already (in another tab), this claim
        takes its place."""
        self.documents.passage(passage_id)  # a clear StoreError for a passage that does not exist

        def unless_held() -> int | None:
            self.db.execute(
                "DELETE FROM claims WHERE passage_id = ? AND reviewer = ?", (passage_id, reviewer)
            )
            held = self.db.execute(
                "SELECT 1 FROM claims WHERE passage_id = ?", (passage_id,)
            ).fetchone()
            return None if held else passage_id

        return self._take(reviewer, ttl, unless_held)

    @retrying
    def release(self, claim: Claim) -> None:
        """Give a claimed passage back undecided (the reviewer changed queue or name)."""
        with self.db.write():
            self.db.execute("DELETE FROM claims WHERE token = ?", (claim.token,))

    def _take(
        self, reviewer: str, ttl: timedelta, candidate: Callable[[], int | None]
    ) -> Claim | None:
        """The one way a claim is made, in one write transaction: drop expired claims, then
        claim the passage ``candidate`` picks, if any, until ``ttl`` from now. The
        reviewer's other claims stand: each is another tab's (the app releases a tab's
        claim when it moves on)."""
        with self.db.write():
            now = self.now()
            self.db.execute(
                "DELETE FROM claims WHERE expires_at <= ?",
                (now.isoformat(timespec="microseconds"),),
            )
            passage_id = candidate()
            if passage_id is None:
                return None
            claim = Claim(passage_id, reviewer, uuid.uuid4().hex)
            self.db.execute(
                "INSERT INTO claims (passage_id, reviewer, expires_at, token, claimed_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    passage_id,
                    reviewer,
                    (now + ttl).isoformat(timespec="microseconds"),
                    claim.token,
                    now.isoformat(timespec="microseconds"),
                ),
            )
        return claim

    @retrying
    def flag_for_second_look(self, passage_id: int, reason: str) -> None:
        """Put a reviewed passage back in front of a different reviewer (e.g. a probable
        labelling mistake found by ``labeler quality``)."""
        self.documents.passage(passage_id)
        with self.db.write():
            self.db.execute(
                "INSERT INTO second_looks (passage_id, reason, flagged_at) VALUES (?, ?, ?)"
                " ON CONFLICT (passage_id) DO NOTHING",
                (passage_id, reason, self.stamp()),
            )

    @retrying
    def next_second_look(
        self, reviewer: str, ttl: timedelta = timedelta(minutes=10)
    ) -> dict[str, Any] | None:
        """Claim the oldest flagged passage that ``reviewer`` has not reviewed and that no
        second person has reviewed since it was flagged."""

        def oldest() -> int | None:
            row = self.db.execute(
                "SELECT f.passage_id FROM second_looks f"
                " WHERE NOT EXISTS (SELECT 1 FROM reviews r WHERE r.passage_id = f.passage_id"
                "   AND (r.reviewer = ? OR r.decided_at > f.flagged_at))"
                " AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.passage_id = f.passage_id)"
                " ORDER BY f.flagged_at, f.passage_id LIMIT 1",
                (reviewer,),
            ).fetchone()
            return None if row is None else int(row[0])

        claim = self._take(reviewer, ttl, oldest)
        return (
            None if claim is None else {**self.documents.passage(claim.passage_id), "claim": claim}
        )

    def held(self, reviewer: str) -> Claim | None:
        """``reviewer``'s newest claim still in force: what a reload, or a new tab, takes
        up (the passage a reviewer had open, rather than a new one and a claim left idle)."""
        row = self.db.execute(
            "SELECT passage_id, token FROM claims WHERE reviewer = ? AND expires_at > ?"
            " AND token IS NOT NULL ORDER BY claimed_at DESC LIMIT 1",
            (reviewer, self.stamp()),
        ).fetchone()
        return None if row is None else Claim(int(row[0]), reviewer, row[1])

    def claimed(self, order: str, queue: QueueFilter) -> int:
        """How many passages ``order`` and ``queue`` would serve but for a claim in force:
        being reviewed (by another reviewer, or in another tab), not yet decided."""
        where, params = queue.where("s.top")
        state = SKIPPED if order == "skipped" else WAITING  # an int constant, not user input
        row = self.db.execute(
            "SELECT COUNT(DISTINCT s.passage_id) FROM scores s"
            " JOIN claims c ON c.passage_id = s.passage_id"
            f" WHERE s.queue_state = {state} AND c.expires_at > ?{where}",
            (self.stamp(), *params),
        ).fetchone()
        return int(row[0])

    def is_current(self, claim: Claim) -> bool:
        """Whether ``claim`` is still its reviewer's claim (nothing decided it since)."""
        row = self.db.execute(
            "SELECT 1 FROM claims WHERE passage_id = ? AND reviewer = ? AND token = ?",
            (claim.passage_id, claim.reviewer, claim.token),
        ).fetchone()
        return row is not None

    def check(self, claim: Claim) -> None:
        """Refuse (StaleDecision) a decision under ``claim`` unless it is still its
        reviewer's claim and was made at least ``min_dwell`` ago (inside the decision's
        transaction)."""
        row = self.db.execute(
            "SELECT claimed_at FROM claims WHERE passage_id = ? AND reviewer = ? AND token = ?",
            (claim.passage_id, claim.reviewer, claim.token),
        ).fetchone()
        if row is None:
            raise StaleDecision("not recorded: it is no longer your current passage")
        shown = datetime.fromisoformat(row[0])
        if self.now() - shown < self.min_dwell:
            raise StaleDecision(
                f"not recorded: it was on screen for under {self.min_dwell.total_seconds():g} s"
                " (a key pressed twice?)"
            )

    def choose_for_double_review(
        self, passage_id: int, reviewer: str, labels: Labels | None
    ) -> None:
        """After a decision (inside its transaction): a passage's first label, in the
        double-review share, puts it among the second looks."""
        if labels is None:
            return
        percent = self.admin.double_review_percent()
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
            (passage_id, DOUBLE_REVIEW, self.stamp()),
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

    def choices(self) -> dict[str, list[str]]:
        """Values the queue can be filtered by: source files and model versions."""
        return {
            "source_path": [
                r[0]
                for r in self.db.execute(
                    "SELECT DISTINCT source_path FROM documents WHERE source_path IS NOT NULL"
                    " ORDER BY source_path"
                )
            ],
            "model": [
                r[0] for r in self.db.execute("SELECT DISTINCT model FROM scores ORDER BY model")
            ],
        }

    def progress(self, reviewer: str | None = None) -> dict[str, int]:
        """How many passages are labelled, waiting and skipped (junk is never queued nor
        counted), how many ``reviewer``'s standing decisions label, and how many waiting
        passages the model flagged for each label. One rule for all: the queue state."""
        # Waiting passages are most of a store: they are counted as all scored passages but
        # the labelled, skipped and junk ones (a passage's score rows share its state), so
        # only those few are counted each time.
        scored = self._scored_counts()
        by_state = {}
        for state in (LABELLED, SKIPPED, JUNK):
            by_state[state] = self.db.execute(
                "SELECT COUNT(DISTINCT passage_id) FROM scores WHERE queue_state = ?", (state,)
            ).fetchone()[0]
        mine = None
        if reviewer:  # kept as decisions are recorded: never the reviewer's whole history
            mine = self.db.execute(
                "SELECT labelled FROM reviewer_progress WHERE reviewer_hash = ?",
                (key_hash(reviewer),),
            ).fetchone()
        out = {
            "reviewed": by_state[LABELLED],
            "remaining": scored["passages"] - sum(by_state.values()),
            "skipped": by_state[SKIPPED],
            "by_you": mine[0] if mine else 0,
        }
        for label in LABELS:
            not_waiting = self.db.execute(
                "SELECT COUNT(DISTINCT passage_id) FROM scores"
                " WHERE queue_state IN (?, ?, ?) AND flags LIKE ?",
                (LABELLED, SKIPPED, JUNK, f'%"{label}"%'),
            ).fetchone()[0]
            out[f"{label}_waiting"] = scored[label] - not_waiting
        return out

    def _scored_counts(self) -> dict[str, int]:
        """Passages with a score, and passages any model version flagged for each label:
        counted afresh only after scores were added. (On SQLite the scores table's highest
        rowid says so, as score rows are never deleted; other engines count each time.)"""
        if self.db.dialect != "sqlite":
            return self._count_scored()
        version = self.db.execute("SELECT MAX(rowid) FROM scores").fetchone()[0] or 0
        created = self.db.execute("SELECT MIN(applied_at) FROM migrations").fetchone()[0]
        key = (self.db.name, str(created))
        cached = _SCORED_COUNTS.get(key)
        if cached is not None and cached[0] == version:
            return cached[1]
        counts = self._count_scored()  # after reading the version: never older than it
        _SCORED_COUNTS[key] = (version, counts)
        return counts

    def _count_scored(self) -> dict[str, int]:
        flagged = ", ".join(
            "COUNT(DISTINCT CASE WHEN flags LIKE ? THEN passage_id END)" for _ in LABELS
        )
        row = self.db.execute(
            f"SELECT COUNT(DISTINCT passage_id), {flagged} FROM scores",
            tuple(f'%"{label}"%' for label in LABELS),
        ).fetchone()
        return {"passages": row[0], **dict(zip(LABELS, row[1:], strict=True))}
