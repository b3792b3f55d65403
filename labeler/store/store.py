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
one and never touches its reviews; what is shown and confirmed are the scores of the
model in use (``model_version``), else the newest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from itertools import groupby
from pathlib import Path
from typing import Any

from labeler.passages import is_junk
from labeler.store.adjudication import Adjudication, Adjudications
from labeler.store.administration import Administration
from labeler.store.db import LOCK_WAIT, ResultRow, StoreError, connect, retrying
from labeler.store.ingest import Ingest, key_hash, text_hash
from labeler.store.migrations import (
    KEY_HASHES,
    MIGRATIONS,
    QUEUE_STATES,
    REVIEWER_PROGRESS,
    apply_migrations,
    integrity,
    pending,
)
from labeler.store.queue import REVIEWER_IS, Claim, Queue, QueueFilter, StaleDecision
from labeler.store.rescoring import Rescoring
from labeler.store.review import (
    DECISIONS,
    Decided,
    Labels,
    Review,
    Reviewed,
    current_labels,
    labels_standing,
    latest_standing,
    model_labels,
    queue_state,
    standing,
)
from labeler.store.warnings import Warnings

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
# A passage's score rows in the order that puts the one shown first (or last): the model
# in use's (the parameter), else the newest.
SHOWN_FIRST = "CASE WHEN s.model_version = ? THEN 0 ELSE 1 END, s.scored_at DESC"
SHOWN_LAST = "CASE WHEN s.model_version = ? THEN 1 ELSE 0 END, s.scored_at"
NEWEST_PAGE = 8  # a reviewer's decisions read newest first: this many, then twice as many...


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Store(Ingest, Queue, Adjudications, Administration, Rescoring, Warnings):
    """A review store: a SQLite file path or a PostgreSQL URL (``labeler.store.db``).

    ``model_version``: the model in use, whose scores a passage is shown and confirmed
    with. ``create``: a SQLite file that does not exist is made (else StoreUnavailable,
    so a store deleted under a running dashboard is not silently replaced by an empty
    one). ``reading``: the caller only reads (check, export): the store must exist, and
    a file that cannot be written is opened read-only (``db.read_only``). A write waits
    at most ``lock_wait`` seconds for another process's lock. ``now`` is injectable for
    tests.
    """

    def __init__(
        self,
        target: str | Path,
        now: Any = utc_now,
        min_dwell: timedelta = timedelta(0),
        *,
        model_version: str | None = None,
        create: bool = True,
        reading: bool = False,
        lock_wait: float = LOCK_WAIT,
    ) -> None:
        self.now = now
        self.min_dwell = min_dwell  # a decision sooner than this after its claim is refused
        self.model_version = model_version
        self.db = connect(
            target, create=create and not reading, reading=reading, lock_wait=lock_wait
        )
        try:
            self.migrate()
        except BaseException:
            self.db.close()
            raise

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        """Close; a driver error that ends the block leaves it as a one-line StoreError."""
        self.close()
        if isinstance(error, self.db.errors):
            raise self.db.failure(error) from None

    def close(self) -> None:
        self.db.close()

    def _stamp(self) -> str:
        return self.now().isoformat(timespec="microseconds")

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
            applied = apply_migrations(self.db, self._stamp())
            if QUEUE_STATES in applied:  # mend skips and undos of earlier versions
                reviewed = self.db.execute("SELECT DISTINCT passage_id FROM reviews").fetchall()
                self._refresh_states([row[0] for row in reviewed])
            if KEY_HASHES in applied:
                self._hash_document_keys()
            if REVIEWER_PROGRESS in applied:
                self._count_reviewer_progress()
        return applied

    def _hash_document_keys(self) -> None:
        rows = self.db.execute("SELECT id, doc_key FROM documents").fetchall()
        self.db.executemany(
            "UPDATE documents SET key_hash = ? WHERE id = ?",
            [(key_hash(doc_key), doc_id) for doc_id, doc_key in rows],
        )
        if self.db.dialect == "postgresql":  # its index of whole ids, which long ids break
            self.db.execute("ALTER TABLE documents DROP CONSTRAINT documents_doc_key_text_hash_key")

    def _count_reviewer_progress(self) -> None:
        counts: dict[str, int] = {}
        for _, reviews in self._reviews_by_passage():
            for reviewer in {r.reviewer for r in reviews}:
                counts[reviewer] = counts.get(reviewer, 0) + labels_standing(reviews, reviewer)
        self.db.executemany(
            "INSERT INTO reviewer_progress (reviewer_hash, reviewer, labelled) VALUES (?, ?, ?)",
            [(key_hash(name), name, count) for name, count in sorted(counts.items())],
        )

    def _refresh_states(self, passage_ids: list[int]) -> dict[int, list[Review]]:
        """Set each passage's queue state from its reviews (inside the caller's transaction),
        in a few statements for any number of passages; returns the reviews, by passage."""
        texts = dict(
            self.db.select_in("SELECT id, text FROM passages WHERE id IN ({})", passage_ids)
        )
        reviews: dict[int, list[Review]] = {passage_id: [] for passage_id in passage_ids}
        for row in self.db.select_in(
            f"{SELECT_REVIEWS} WHERE passage_id IN ({{}}) ORDER BY id", passage_ids
        ):
            reviews[row["passage_id"]].append(_review(row))
        self.db.executemany(
            "UPDATE scores SET queue_state = ? WHERE passage_id = ?",
            [
                (queue_state(reviews[passage_id], junk=is_junk(texts[passage_id])), passage_id)
                for passage_id in passage_ids
            ],
        )
        return reviews

    @retrying  # a read too can meet a WAL index being rebuilt after a crash
    def passage(self, passage_id: int) -> dict[str, Any]:
        """A passage with its document's identity and the scores of the model in use, or,
        where that model never scored it, its newest scores; ``review`` is None for scores
        stored before the store kept review labels."""
        row = self.db.execute(
            "SELECT p.id, p.document_id, p.idx, p.start_char, p.end_char, p.text, d.doc_key,"
            " d.source_path, s.model_version, s.violence, s.graphic, s.flags, s.review,"
            " s.severity, s.evidence FROM passages p JOIN documents d ON d.id = p.document_id"
            f" LEFT JOIN scores s ON s.passage_id = p.id WHERE p.id = ? ORDER BY {SHOWN_FIRST}"
            " LIMIT 1",
            (passage_id, self.model_version),
        ).fetchone()
        if row is None:
            raise StoreError(f"no passage {passage_id}")
        out = dict(row)
        out["flags"] = json.loads(out["flags"] or "[]")
        out["review"] = None if out["review"] is None else json.loads(out["review"])
        out["evidence"] = json.loads(out["evidence"] or "[]")
        return out

    def passage_id(self, doc_key: str, idx: int) -> int:
        row = self.db.execute(
            "SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id"
            " WHERE d.key_hash = ? AND d.doc_key = ? AND p.idx = ?",
            (key_hash(doc_key), doc_key, idx),
        ).fetchone()
        if row is None:
            raise StoreError(f"no passage {idx} in document {doc_key!r}")
        return int(row[0])

    def document_passages(self, document_id: int, model_version: str) -> list[dict[str, Any]]:
        """All of a document's passages in reading order, with ``model_version``'s flags and
        evidence: what a reviewer reads around a passage, and what its warning is made from
        (the warning of `labeler score`, which reads them all)."""
        rows = self.db.execute(
            "SELECT p.id, p.idx, p.text, s.flags, s.evidence FROM passages p"
            " LEFT JOIN scores s ON s.passage_id = p.id AND s.model_version = ?"
            " WHERE p.document_id = ? ORDER BY p.idx",
            (model_version, document_id),
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
            copies = self._copies(claim.passage_id)
            ids = self._append(
                copies,
                claim.reviewer,
                decision,
                labels,
                note,
                current["model_version"],
                claim.token,
            )
            self._choose_for_double_review(claim.passage_id, claim.reviewer, labels)
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
        model_version: str | None,
        token: str | None,
    ) -> list[int]:
        """Insert one review row per passage, refresh their queue states, and count what
        the decision changed in the passages ``reviewer``'s standing decisions label."""
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
        reviews = self._refresh_states(passage_ids)
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

    def recent_decisions(self, reviewer: str, limit: int = 5) -> list[Decided]:
        """``reviewer``'s latest decisions still standing, newest first, one for each
        passage served (its copies, decided with it, are not listed again).

        Read from the passages of the reviewer's latest rows, with each one's whole
        history by the reviewer, so that an undo cancels what it cancelled."""
        rows = self.db.execute(
            "SELECT r.id, r.passage_id, r.reviewer, r.decision, r.violence, r.graphic,"
            " r.severity, r.decided_at, r.note, r.claim, p.idx, d.doc_key FROM reviews r"
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
                out.append(Decided(review, row["doc_key"], row["idx"]))
        return out[::-1][:limit]

    def reviews(self, passage_id: int) -> list[Review]:
        rows = self.db.execute(
            f"{SELECT_REVIEWS} WHERE passage_id = ? ORDER BY id",
            (passage_id,),
        )
        return [_review(row) for row in rows]

    def decisions(self) -> list[Review]:
        """Every stored decision, oldest first: what per-reviewer figures are made from."""
        return [_review(row) for row in self.db.execute(f"{SELECT_REVIEWS} ORDER BY id")]

    def current_labels(self, passage_id: int) -> Labels | None:
        return current_labels(self.reviews(passage_id))

    def reviewed_items(self) -> list[Reviewed]:
        """Every passage with a standing label: model flags, each reviewer's latest labels,
        and the adjudicated label where an adjudicator settled it."""
        out = []
        for p, kept, current, final in self._labelled():
            latest: dict[str, Labels] = {}
            for review in kept:
                if review.labels is not None:
                    latest[review.reviewer] = review.labels
            flags = tuple(json.loads(p["flags"] or "[]"))
            adjudicated = final.labels if final else None
            out.append(
                Reviewed(
                    p["id"], flags, latest, current, p["doc_key"], p["idx"], p["text"], adjudicated
                )
            )
        return out

    def reviewed(self) -> Iterator[dict[str, Any]]:
        """Every passage with a current label, in the training-data schema, with the note of
        the decision that gave it (an adjudication, where there is one) and its document's
        warning as it stands (an editor's, else the suggestion from the current labels) and
        its status.

        Its id is ``DOCUMENT#INDEX``; a document whose id an earlier one in the store
        already has (ids in a JSONL need not be unique) adds ``@`` and the start of its
        text's hash, so no two rows share an id and an earlier row's id never changes.
        """
        labelled = list(self._labelled())
        documents = {p["document_id"] for p, _, _, _ in labelled}
        warnings = {w.document_id: w for w in self.document_warnings(documents)}
        tags = self._later_namesakes()
        for p, kept, labels, final in labelled:
            if final is not None:
                who, when, note = final.adjudicator, final.decided_at, final.note
            else:
                last = [r for r in kept if r.labels == labels][-1]
                who, when, note = last.reviewer, last.decided_at, last.note
            tag = tags.get(p["document_id"])
            yield {
                "id": f"{p['doc_key']}#{p['idx']}" + (f"@{tag}" if tag else ""),
                "text": p["text"],
                "violence": labels.violence,
                "graphic": labels.graphic,
                "severity": labels.severity,
                "reviewer": who,
                "decided_at": when,
                "note": note,
                "model": p["model_version"],
                "model_scores": {"violence": p["violence"], "graphic": p["graphic"]},
                "warning": {
                    **warnings[p["document_id"]].warning,
                    "status": warnings[p["document_id"]].status,
                },
            }

    def _later_namesakes(self) -> dict[int, str]:
        """Documents with the id of an earlier document, each with the start of its text
        hash, which sets its exported rows apart."""
        rows = self.db.execute(
            "SELECT id, doc_key, text_hash FROM documents WHERE doc_key IN"
            " (SELECT doc_key FROM documents GROUP BY doc_key HAVING COUNT(*) > 1)"
            " ORDER BY doc_key, id"
        )
        tags, seen = {}, set()
        for row in rows:
            if row["doc_key"] in seen:
                tags[row["id"]] = row["text_hash"][:16]
            seen.add(row["doc_key"])
        return tags

    def _labelled(
        self,
    ) -> Iterator[tuple[ResultRow, list[Review], Labels, Adjudication | None]]:
        """The one walk over the reviews: each passage with a current label, with its
        score row (``passage``'s choice), its decisions still standing, that label, and
        the adjudication that set it (an adjudicated label stands over reviewers' own).
        Passages, reviews and adjudications are read in one snapshot: a review landing
        meanwhile is in every read or in none."""
        with self.db.snapshot():
            scored = self._reviewed_passages()
            grouped = list(self._reviews_by_passage())
            final = self.final_labels()
        for passage_id, reviews in grouped:
            kept = standing(reviews)
            labelled = [r.labels for r in kept if r.labels is not None]
            adjudication = final(passage_id)
            if adjudication is not None:
                yield scored[passage_id], kept, adjudication.labels, adjudication
            elif labelled:
                yield scored[passage_id], kept, labelled[-1], None

    def _reviews_by_passage(self) -> Iterator[tuple[int, list[Review]]]:
        """Every review, grouped by passage, in one query (not one per passage)."""
        rows = self.db.execute(f"{SELECT_REVIEWS} ORDER BY passage_id, id")
        for passage_id, group in groupby(map(_review, rows), key=lambda r: r.passage_id):
            yield passage_id, list(group)

    def _reviewed_passages(self) -> dict[int, ResultRow]:
        """Each reviewed passage with its document key and score row, in one query."""
        rows = self.db.execute(
            "SELECT p.id, p.document_id, p.idx, p.text, d.doc_key, s.model_version, s.violence,"
            " s.graphic, s.flags FROM passages p JOIN documents d ON d.id = p.document_id"
            " LEFT JOIN scores s ON s.passage_id = p.id"
            " WHERE EXISTS (SELECT 1 FROM reviews r WHERE r.passage_id = p.id)"
            f" ORDER BY p.id, {SHOWN_LAST}",
            (self.model_version,),
        )
        return {row["id"]: row for row in rows}  # each passage's last row: the one shown

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
