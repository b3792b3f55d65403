"""The review store: scored documents, their passages, and every review decision.

``Store`` is one connection and its parts: the schema (``migrations``), adding documents
(``ingest``), the claim queue and progress (``queue``), and here the review writes and
what is read back (passages, reviews, reviewed passages, warnings).

SQLite is the embedded default (WAL mode, every write in one transaction). The
schema is built by named, ordered migrations recorded in ``migrations``; the
SQL is plain and parameterised only, so the same statements can serve another
DB-API database later. Reviews are append-only: an undo or a change of mind is
a new row, and a passage's current label is derived (``labeler.store.review``).
Re-scoring a document with a new model version adds a score row beside the old
one and never touches its reviews.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from itertools import groupby
from pathlib import Path
from typing import Any

from labeler.passages import is_junk
from labeler.store.db import ResultRow, StoreError, connect, retrying
from labeler.store.ingest import Ingest, text_hash
from labeler.store.migrations import MIGRATIONS, QUEUE_STATES, apply_migrations, integrity
from labeler.store.queue import Claim, Queue, QueueFilter, StaleDecision
from labeler.store.review import (
    DECISIONS,
    Decided,
    Labels,
    Review,
    Reviewed,
    current_labels,
    model_labels,
    queue_state,
    standing,
)
from labeler.warning import LEVELS

__all__ = [
    "MIGRATIONS",
    "Claim",
    "QueueFilter",
    "StaleDecision",
    "Store",
    "StoreError",
    "text_hash",
]

SELECT_REVIEWS = (
    "SELECT id, passage_id, reviewer, decision, violence, graphic, severity, decided_at, note"
    " FROM reviews"
)
NO_WARNING: dict[str, Any] = {"level": "none", "text": None}  # no editor has set one


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Store(Ingest, Queue):
    """A review store: a SQLite file path or a PostgreSQL URL (``labeler.store.db``).

    ``now`` is injectable for tests.
    """

    def __init__(
        self, target: str | Path, now: Any = utc_now, min_dwell: timedelta = timedelta(0)
    ) -> None:
        self.now = now
        self.min_dwell = min_dwell  # a decision sooner than this after its claim is refused
        self.db = connect(target)
        self.migrate()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    def _stamp(self) -> str:
        return self.now().isoformat(timespec="microseconds")

    @retrying
    def migrate(self) -> list[str]:
        """Apply every migration not yet recorded, under the write lock
        (``labeler.store.migrations``); returns the names applied."""
        with self.db.write():
            applied = apply_migrations(self.db, self._stamp())
            if QUEUE_STATES in applied:  # mend skips and undos of earlier versions
                reviewed = self.db.execute("SELECT DISTINCT passage_id FROM reviews").fetchall()
                self._refresh_states([row[0] for row in reviewed])
        return applied

    def _refresh_states(self, passage_ids: list[int]) -> None:
        """Set each passage's queue state from its reviews (inside the caller's transaction)."""
        for passage_id in passage_ids:
            text = self.db.execute(
                "SELECT text FROM passages WHERE id = ?", (passage_id,)
            ).fetchone()[0]
            state = queue_state(self.reviews(passage_id), junk=is_junk(text))
            self.db.execute(
                "UPDATE scores SET queue_state = ? WHERE passage_id = ?", (state, passage_id)
            )

    @retrying  # a read too can meet a WAL index being rebuilt after a crash
    def passage(self, passage_id: int) -> dict[str, Any]:
        """A passage with its latest score and its document's identity."""
        row = self.db.execute(
            "SELECT p.id, p.document_id, p.idx, p.start_char, p.end_char, p.text, d.doc_key,"
            " d.source_path, s.model_version, s.violence, s.graphic, s.flags, s.severity,"
            " s.evidence FROM passages p JOIN documents d ON d.id = p.document_id"
            " LEFT JOIN scores s ON s.passage_id = p.id WHERE p.id = ?"
            " ORDER BY s.scored_at DESC LIMIT 1",
            (passage_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"no passage {passage_id}")
        out = dict(row)
        out["flags"] = json.loads(out["flags"] or "[]")
        out["evidence"] = json.loads(out["evidence"] or "[]")
        return out

    def passage_id(self, doc_key: str, idx: int) -> int:
        row = self.db.execute(
            "SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id"
            " WHERE d.doc_key = ? AND p.idx = ?",
            (doc_key, idx),
        ).fetchone()
        if row is None:
            raise StoreError(f"no passage {idx} in document {doc_key!r}")
        return int(row[0])

    def document_passages(
        self, document_id: int, model_version: str, centre: int = 0, span: int = 150
    ) -> list[dict[str, Any]]:
        """A document's passages in reading order, the headline (passage 0) and up to
        ``span`` either side of ``centre``, with ``model_version``'s flags and evidence:
        what a reviewer reads around a passage, and what its warning is made from."""
        rows = self.db.execute(
            "SELECT p.id, p.idx, p.text, s.flags, s.evidence FROM passages p"
            " LEFT JOIN scores s ON s.passage_id = p.id AND s.model_version = ?"
            " WHERE p.document_id = ? AND (p.idx = 0 OR p.idx BETWEEN ? AND ?) ORDER BY p.idx",
            (model_version, document_id, centre - span, centre + span),
        )
        return [
            {
                **dict(row),
                "flags": json.loads(row["flags"] or "[]"),
                "evidence": json.loads(row["evidence"] or "[]"),
            }
            for row in rows
        ]

    @retrying
    def record_review(
        self,
        claim: Claim,
        decision: str,
        labels: Labels | None = None,
        note: str | None = None,
    ) -> int:
        """Append one decision on the claimed passage and on its copies (the same text in the
        same document), which are decided once; ``confirm`` stores the model's labels.

        Refused (:class:`StaleDecision`, nothing written) unless ``claim`` is still the
        reviewer's current claim and was made at least ``min_dwell`` ago.
        """
        if decision not in DECISIONS or decision == "undo":
            allowed = ", ".join(d for d in DECISIONS if d != "undo")
            raise StoreError(f"decision must be one of {allowed}, not {decision!r}")
        if not claim.reviewer.strip():
            raise StoreError("a review needs a reviewer")
        current = self.passage(claim.passage_id)
        if decision == "confirm":
            labels = model_labels(current["flags"], current["severity"])
        elif decision == "correct" and labels is None:
            raise StoreError("a correction needs the corrected labels")
        elif decision == "skip":
            labels = None
        with self.db.write():
            self._check_claim(claim)
            ids = self._append(
                self._copies(claim.passage_id),
                claim.reviewer,
                decision,
                labels,
                note,
                current["model_version"],
                claim.token,
            )
            self.db.execute(
                "DELETE FROM claims WHERE reviewer = ?", (claim.reviewer,)
            )  # served once, decided once: the claim is spent
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
        model_version: str | None,
        token: str | None,
    ) -> list[int]:
        """Insert one review row per passage and refresh their queue states."""
        ids = []
        for passage_id in passage_ids:
            cursor = self.db.execute(
                "INSERT INTO reviews (passage_id, reviewer, decision, violence, graphic, severity,"
                " note, model_version, decided_at, claim)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    passage_id,
                    reviewer,
                    decision,
                    *(_labels(labels)),
                    note,
                    model_version,
                    self._stamp(),
                    token,
                ),
            )
            ids.append(int(cursor.fetchone()[0]))
        self._refresh_states(passage_ids)
        return ids

    @retrying
    def undo(self, reviewer: str, review_id: int) -> int:
        """Undo ``reviewer``'s latest standing decision, which must be ``review_id`` (the one
        the reviewer was shown: a second press of Undo is refused, not a second undo). The
        passage, and its copies, go back to waiting unless another decision stands.
        Returns the passage id."""
        with self.db.write():
            latest = self.last_decision(reviewer)
            if latest is None or latest.id != review_id:
                raise StaleDecision("not undone: that is no longer your latest decision")
            model_version = self.passage(latest.passage_id)["model_version"]
            self._append(
                self._copies(latest.passage_id),
                reviewer,
                "undo",
                None,
                None,
                model_version,
                None,
            )
        return latest.passage_id

    def last_decision(self, reviewer: str) -> Review | None:
        """``reviewer``'s latest decision still standing (what undo undoes)."""
        latest: Review | None = None
        for _, reviews in self._reviews_by_passage(reviewer):
            mine = [r for r in standing(reviews) if r.reviewer == reviewer]
            if mine and (latest is None or mine[-1].id > latest.id):
                latest = mine[-1]
        return latest

    def recent_decisions(self, reviewer: str, limit: int = 5) -> list[Decided]:
        """``reviewer``'s latest decisions still standing, newest first, one for each
        passage served (its copies, decided with it, are not listed again).

        Read from the passages of the reviewer's latest rows, with each one's whole
        history by the reviewer, so that an undo cancels what it cancelled."""
        rows = self.db.execute(
            "SELECT r.id, r.passage_id, r.reviewer, r.decision, r.violence, r.graphic,"
            " r.severity, r.decided_at, r.note, r.claim, p.idx, d.doc_key FROM reviews r"
            " JOIN passages p ON p.id = r.passage_id JOIN documents d ON d.id = p.document_id"
            " WHERE r.reviewer = ? AND r.passage_id IN (SELECT passage_id FROM reviews"
            "  WHERE reviewer = ? ORDER BY id DESC LIMIT ?) ORDER BY r.passage_id, r.id",
            (reviewer, reviewer, 8 * limit),
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
                out.append(Decided(review, row["doc_key"], row["idx"]))
        return out[::-1][:limit]

    def reviews(self, passage_id: int) -> list[Review]:
        rows = self.db.execute(
            f"{SELECT_REVIEWS} WHERE passage_id = ? ORDER BY id",
            (passage_id,),
        )
        return [_review(row) for row in rows]

    def current_labels(self, passage_id: int) -> Labels | None:
        return current_labels(self.reviews(passage_id))

    def reviewed_items(self) -> list[Reviewed]:
        """Every passage with a standing label: model flags and each reviewer's latest labels."""
        out = []
        for p, kept, current in self._labelled():
            latest: dict[str, Labels] = {}
            for review in kept:
                if review.labels is not None:
                    latest[review.reviewer] = review.labels
            flags = tuple(json.loads(p["flags"] or "[]"))
            out.append(Reviewed(p["id"], flags, latest, current, p["doc_key"], p["idx"], p["text"]))
        return out

    def reviewed(self) -> Iterator[dict[str, Any]]:
        """Every passage with a current label, in the training-data schema, with the note of
        the decision that gave it and its document's warning as an editor last set it."""
        warnings = self.document_warnings()
        for p, kept, labels in self._labelled():
            last = [r for r in kept if r.labels == labels][-1]
            yield {
                "id": f"{p['doc_key']}#{p['idx']}",
                "text": p["text"],
                "violence": labels.violence,
                "graphic": labels.graphic,
                "severity": labels.severity,
                "reviewer": last.reviewer,
                "decided_at": last.decided_at,
                "note": last.note,
                "model": p["model_version"],
                "model_scores": {"violence": p["violence"], "graphic": p["graphic"]},
                "warning": warnings.get(p["document_id"], NO_WARNING),
            }

    def _labelled(self) -> Iterator[tuple[ResultRow, list[Review], Labels]]:
        """The one walk over the reviews: each passage with a current label, with its latest
        score row, its decisions still standing, and that label."""
        scored = self._reviewed_passages()
        for passage_id, reviews in self._reviews_by_passage():
            kept = standing(reviews)
            labelled = [r.labels for r in kept if r.labels is not None]
            if labelled:
                yield scored[passage_id], kept, labelled[-1]

    def _reviews_by_passage(
        self, reviewer: str | None = None
    ) -> Iterator[tuple[int, list[Review]]]:
        """Every review, grouped by passage, in one query (not one per passage); with
        ``reviewer``, every review of the passages that reviewer decided."""
        if reviewer is None:
            rows = self.db.execute(f"{SELECT_REVIEWS} ORDER BY passage_id, id")
        else:
            rows = self.db.execute(
                f"{SELECT_REVIEWS} WHERE passage_id IN"
                " (SELECT passage_id FROM reviews WHERE reviewer = ?) ORDER BY passage_id, id",
                (reviewer,),
            )
        for passage_id, group in groupby(map(_review, rows), key=lambda r: r.passage_id):
            yield passage_id, list(group)

    def _reviewed_passages(self) -> dict[int, ResultRow]:
        """Each reviewed passage with its document key and latest score, in one query."""
        rows = self.db.execute(
            "SELECT p.id, p.document_id, p.idx, p.text, d.doc_key, s.model_version, s.violence,"
            " s.graphic, s.flags FROM passages p JOIN documents d ON d.id = p.document_id"
            " LEFT JOIN scores s ON s.passage_id = p.id"
            " WHERE EXISTS (SELECT 1 FROM reviews r WHERE r.passage_id = p.id)"
            " ORDER BY p.id, s.scored_at"
        )
        return {row["id"]: row for row in rows}  # the last row of each passage: its latest score

    @retrying
    def record_document_review(
        self, document_id: int, reviewer: str, level: str, warning: str | None
    ) -> int:
        """Append an editor's decision on a document's warning (accepted or edited);
        append-only like passage reviews, the latest one stands."""
        if level not in LEVELS:
            raise StoreError(f"warning level must be one of {', '.join(LEVELS)}, not {level!r}")
        if not reviewer.strip():
            raise StoreError("a review needs a reviewer")
        text = (warning or "").strip() or None
        if (level == "none") != (text is None):
            raise StoreError("a warning line goes with level violence or graphic, and only then")
        with self.db.write():
            cursor = self.db.execute(
                "INSERT INTO document_reviews (document_id, reviewer, level, warning, decided_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                (document_id, reviewer, level, text, self._stamp()),
            )
            return int(cursor.fetchone()[0])

    def document_warnings(self) -> dict[int, dict[str, Any]]:
        """Each reviewed document's latest warning decision."""
        rows = self.db.execute(
            "SELECT document_id, level, warning, reviewer, decided_at FROM document_reviews"
            " ORDER BY id"
        )
        return {
            r["document_id"]: {
                "level": r["level"],
                "text": r["warning"],
                "reviewer": r["reviewer"],
                "decided_at": r["decided_at"],
            }
            for r in rows
        }

    def counts(self) -> dict[str, int]:
        """How many documents, passages and reviews the store holds."""
        row = self.db.execute(
            "SELECT (SELECT COUNT(*) FROM documents), (SELECT COUNT(*) FROM passages),"
            " (SELECT COUNT(*) FROM reviews)"
        ).fetchone()
        return {"documents": row[0], "passages": row[1], "reviews": row[2]}

    def integrity(self) -> list[str]:
        """Problems found by the engine's own check and by the store's invariants."""
        return integrity(self.db)


def _labels(labels: Labels | None) -> tuple[int | None, int | None, int | None]:
    return (labels.violence, labels.graphic, labels.severity) if labels else (None, None, None)


def _review(row: ResultRow) -> Review:
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
