"""The stored reviews: recording reviewers' decisions under their claims, and reading them
back (``labeler.store.review`` says what a decision means; this part keeps them).

Reviews are append-only: an undo or a change of mind is a new row, and a passage's
current label is derived. A decision on a passage is one on its copies too (the same
text in the same document), and it sets their queue state and the reviewer's progress
in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import groupby
from typing import TYPE_CHECKING

from labeler.passages import is_junk
from labeler.store.db import Database, ResultRow, StoreError, key_hash, retrying
from labeler.store.queue import REVIEWER_IS, Claim, StaleDecision
from labeler.store.review import (
    DECISIONS,
    Decided,
    Labels,
    Review,
    current_labels,
    labels_standing,
    latest_standing,
    model_labels,
    queue_state,
    standing,
)

if TYPE_CHECKING:
    from labeler.store.documents import Documents
    from labeler.store.queue import Queue

SELECT_REVIEWS = (
    "SELECT id, passage_id, reviewer, decision, violence, graphic, severity, decided_at, note"
    " FROM reviews"
)
NEWEST_PAGE = 8  # a reviewer's decisions read newest first: this many, then twice as many...


def refresh_states(db: Database, passage_ids: list[int]) -> dict[int, list[Review]]:
    """Set each passage's queue state from its reviews (inside the caller's transaction),
    in a few statements for any number of passages; returns the reviews, by passage."""
    texts = dict(db.select_in("SELECT id, text FROM passages WHERE id IN ({})", passage_ids))
    reviews: dict[int, list[Review]] = {passage_id: [] for passage_id in passage_ids}
    for row in db.select_in(
        f"{SELECT_REVIEWS} WHERE passage_id IN ({{}}) ORDER BY id", passage_ids
    ):
        reviews[row["passage_id"]].append(_review(row))
    db.executemany(
        "UPDATE scores SET queue_state = ? WHERE passage_id = ?",
        [
            (queue_state(reviews[passage_id], junk=is_junk(texts[passage_id])), passage_id)
            for passage_id in passage_ids
        ],
    )
    return reviews


class Reviews:
    """Reviewers' decisions: recorded under a claim, undone, and read back (a part of the
    store). ``documents`` gives the passage decided, ``queue`` the claim it must name."""

    def __init__(
        self, db: Database, stamp: Callable[[], str], documents: Documents, queue: Queue
    ) -> None:
        self.db = db
        self.stamp = stamp
        self.documents = documents
        self.queue = queue

    @retrying
    def record(
        self,
        claim: Claim,
        decision: str,
        labels: Labels | None = None,
        note: str | None = None,
    ) -> int:
        """Append one decision on the claimed passage and on its copies (the same text in the
        same document), which are decided once; ``confirm`` stores the model's labels.

        Refused (:class:`StaleDecision`, nothing written) unless ``claim`` is still the
        reviewer's current claim and was made at least the queue's ``min_dwell`` ago.
        """
        if decision not in DECISIONS or decision == "undo":
            allowed = ", ".join(d for d in DECISIONS if d != "undo")
            raise StoreError(f"decision must be one of {allowed}, not {decision!r}")
        if not claim.reviewer.strip():
            raise StoreError("a review needs a reviewer")
        current = self.documents.passage(claim.passage_id)
        if decision == "confirm":
            labels = model_labels(current["flags"], current["severity"])
        elif decision == "correct" and labels is None:
            raise StoreError("a correction needs the corrected labels")
        elif decision == "skip":
            labels = None
        with self.db.write():
            self.queue.check(claim)
            copies = self._copies(claim.passage_id)
            ids = self._append(
                copies,
                claim.reviewer,
                decision,
                labels,
                note,
                current["model"],
                claim.token,
            )
            self.queue.choose_for_double_review(claim.passage_id, claim.reviewer, labels)
            for passage_id in copies:  # served once, decided once: the claim is spent, and
                # a claim on a copy (another tab's, another reviewer's) is of a decided passage
                self.db.execute("DELETE FROM claims WHERE passage_id = ?", (passage_id,))
        return ids[0]

    def _copies(self, passage_id: int) -> list[int]:
        """The passage and every passage of its document with the same text, first the
        passage itself: a headline repeated in a story is one decision, not two."""
        rows = self.db.execute(
            "SELECT q.id FROM passages p JOIN passages q ON q.document_id = p.document_id"
            " AND q.text = p.text WHERE p.id = ? ORDER BY q.id <> p.id, q.id",
            (passage_id,),
        ).fetchall()
        return [row[0] for row in rows]

    def _append(
        self,
        passage_ids: list[int],
        reviewer: str,
        decision: str,
        labels: Labels | None,
        note: str | None,
        model: str | None,
        token: str | None,
    ) -> list[int]:
        """Insert one review row per passage, refresh their queue states, and count what
        the decision changed in the passages ``reviewer``'s standing decisions label."""
        ids = []
        for passage_id in passage_ids:
            cursor = self.db.execute(
                "INSERT INTO reviews (passage_id, reviewer, decision, violence, graphic, severity,"
                " note, model, decided_at, claim)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    passage_id,
                    reviewer,
                    decision,
                    *(_labels(labels)),
                    note,
                    model,
                    self.stamp(),
                    token,
                ),
            )
            ids.append(int(cursor.fetchone()[0]))
        reviews = refresh_states(self.db, passage_ids)
        new = set(ids)
        change = sum(
            labels_standing(now, reviewer)
            - labels_standing([r for r in now if r.id not in new], reviewer)
            for now in reviews.values()
        )
        if change:
            self.db.execute(
                "INSERT INTO reviewer_progress (reviewer_hash, reviewer, labelled)"
                " VALUES (?, ?, ?) ON CONFLICT (reviewer_hash) DO UPDATE"
                " SET labelled = reviewer_progress.labelled + excluded.labelled",
                (key_hash(reviewer), reviewer, change),
            )
        return ids

    @retrying
    def undo(self, reviewer: str, review_id: int) -> int:
        """Undo ``reviewer``'s latest standing decision, which must be ``review_id`` (the one
        the reviewer was shown: a second press of Undo is refused, not a second undo). The
        passage, and its copies, go back to waiting unless another decision stands.
        Returns the passage id."""
        with self.db.write():
            latest = self.last(reviewer)
            if latest is None or latest.id != review_id:
                raise StaleDecision("not undone: that is no longer your latest decision")
            model = self.documents.passage(latest.passage_id)["model"]
            self._append(
                self._copies(latest.passage_id),
                reviewer,
                "undo",
                None,
                None,
                model,
                None,
            )
        return latest.passage_id

    def last(self, reviewer: str) -> Review | None:
        """``reviewer``'s latest decision still standing (what undo undoes), read from the
        newest end of their decisions: past their latest undos, never their whole history."""
        return latest_standing(self._newest_first(reviewer))

    def _newest_first(self, reviewer: str) -> Iterator[Review]:
        """``reviewer``'s decisions, newest first, a page at a time as they are consumed
        (pages that double: most reads need the first few)."""
        page = NEWEST_PAGE
        rows = self.db.execute(
            f"{SELECT_REVIEWS} WHERE {REVIEWER_IS} ORDER BY id DESC LIMIT ?",
            (reviewer, reviewer, page),
        ).fetchall()
        while rows:
            yield from map(_review, rows)
            if len(rows) < page:
                return
            page *= 2
            rows = self.db.execute(
                f"{SELECT_REVIEWS} WHERE {REVIEWER_IS} AND id < ? ORDER BY id DESC LIMIT ?",
                (reviewer, reviewer, rows[-1]["id"], page),
            ).fetchall()

    def recent(self, reviewer: str, limit: int = 5) -> list[Decided]:
        """``reviewer``'s latest decisions still standing, newest first, one for each
        passage served (its copies, decided with it, are not listed again).

        Read from the passages of the reviewer's latest rows, with each one's whole
        history by the reviewer, so that an undo cancels what it cancelled."""
        rows = self.db.execute(
            "SELECT r.id, r.passage_id, r.reviewer, r.decision, r.violence, r.graphic,"
            ' r.severity, r.decided_at, r.note, r.claim, p."index", d.record_id FROM reviews r'
            " JOIN passages p ON p.id = r.passage_id JOIN documents d ON d.id = p.document_id"
            f" WHERE {REVIEWER_IS} AND r.passage_id IN (SELECT passage_id FROM reviews"
            f"  WHERE {REVIEWER_IS} ORDER BY id DESC LIMIT ?) ORDER BY r.passage_id, r.id",
            (reviewer, reviewer, reviewer, reviewer, 8 * limit),
        ).fetchall()
        where = {row["id"]: row for row in rows}
        kept: list[Review] = []
        for _, reviews in groupby(map(_review, rows), key=lambda r: r.passage_id):
            kept += standing(reviews)
        out: list[Decided] = []
        claims: set[str] = set()
        for review in sorted(kept, key=lambda r: r.id):  # a copy's row comes after its own
            row = where[review.id]
            if row["claim"] is None or row["claim"] not in claims:
                claims.add(row["claim"])
                out.append(Decided(review, row["record_id"], row["index"]))
        return out[::-1][:limit]

    def of(self, passage_id: int) -> list[Review]:
        """One passage's decisions, oldest first."""
        rows = self.db.execute(
            f"{SELECT_REVIEWS} WHERE passage_id = ? ORDER BY id",
            (passage_id,),
        )
        return [_review(row) for row in rows]

    def all(self) -> list[Review]:
        """Every stored decision, oldest first: what per-reviewer figures are made from."""
        return [_review(row) for row in self.db.execute(f"{SELECT_REVIEWS} ORDER BY id")]

    def current_labels(self, passage_id: int) -> Labels | None:
        """A passage's label as reviewers left it (an adjudication is not consulted)."""
        return current_labels(self.of(passage_id))

    def by_passage(self) -> Iterator[tuple[int, list[Review]]]:
        """Every review, grouped by passage, in one query (not one per passage)."""
        rows = self.db.execute(f"{SELECT_REVIEWS} ORDER BY passage_id, id")
        for passage_id, group in groupby(map(_review, rows), key=lambda r: r.passage_id):
            yield passage_id, list(group)


def _labels(labels: Labels | None) -> tuple[int | None, int | None, int | None]:
    return (labels.violence, labels.graphic, labels.severity) if labels else (None, None, None)


def _review(row: ResultRow) -> Review:
    """A review from its row (``SELECT_REVIEWS``'s columns)."""
    labels = None
    if row["violence"] is not None:
        labels = Labels(row["violence"], row["graphic"], row["severity"])
    return Review(
        row["id"],
        row["passage_id"],
        row["reviewer"],
        row["decision"],
        labels,
        row["decided_at"],
        row["note"],
    )
