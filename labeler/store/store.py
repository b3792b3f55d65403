"""The review store: scored documents, their passages, and every review decision.

SQLite is the embedded default (WAL mode, every write in one transaction). The
schema is built by named, ordered migrations recorded in ``migrations``; the
SQL is plain and parameterised only, so the same statements can serve another
DB-API database later. Reviews are append-only: an undo or a change of mind is
a new row, and a passage's current label is derived (``labeler.store.review``).
Re-scoring a document with a new model version adds a score row beside the old
one and never touches its reviews.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from itertools import groupby
from pathlib import Path
from typing import Any

from labeler.labels import LABELS
from labeler.passages import is_junk
from labeler.store.db import Row, StoreError, connect, retrying, storable
from labeler.store.review import (
    DECISIONS,
    JUNK,
    LABELLED,
    SKIPPED,
    WAITING,
    Labels,
    Review,
    Reviewed,
    current_labels,
    model_labels,
    pick_diverse,
    queue_state,
    standing,
    uncertainty,
)
from labeler.warning import LEVELS

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_documents_passages_scores_reviews",
        """
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            doc_key TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            source_path TEXT,
            source_line INTEGER,
            fields TEXT,
            added_at TEXT NOT NULL,
            UNIQUE (doc_key, text_hash)
        );
        CREATE TABLE passages (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents (id),
            idx INTEGER NOT NULL,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            text TEXT NOT NULL,
            UNIQUE (document_id, idx)
        );
        CREATE TABLE scores (
            passage_id INTEGER NOT NULL REFERENCES passages (id),
            model_version TEXT NOT NULL,
            violence REAL NOT NULL,
            graphic REAL NOT NULL,
            flags TEXT NOT NULL,
            severity INTEGER NOT NULL,
            evidence TEXT NOT NULL,
            scored_at TEXT NOT NULL,
            PRIMARY KEY (passage_id, model_version)
        );
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            passage_id INTEGER NOT NULL REFERENCES passages (id),
            reviewer TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('confirm', 'correct', 'skip', 'undo')),
            violence INTEGER,
            graphic INTEGER,
            severity INTEGER,
            note TEXT,
            model_version TEXT,
            decided_at TEXT NOT NULL
        );
        CREATE INDEX reviews_by_passage ON reviews (passage_id);
        CREATE TABLE claims (
            passage_id INTEGER PRIMARY KEY REFERENCES passages (id),
            reviewer TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        """,
    ),
    (
        "0002_queue_priority_columns",
        """
        ALTER TABLE scores ADD COLUMN top REAL;
        ALTER TABLE scores ADD COLUMN margin REAL;
        UPDATE scores SET top = CASE WHEN violence > graphic THEN violence ELSE graphic END;
        CREATE INDEX scores_by_top ON scores (top DESC);
        CREATE INDEX scores_by_margin ON scores (margin);
        """,
    ),
    (
        "0003_second_looks",
        """
        CREATE TABLE second_looks (
            passage_id INTEGER PRIMARY KEY REFERENCES passages (id),
            reason TEXT NOT NULL,
            flagged_at TEXT NOT NULL
        );
        """,
    ),
    (
        # The queue follows partial indexes of passages nobody has reviewed yet, so
        # finding the next one does not get slower as reviews pile up at its head.
        "0004_waiting_queue",
        """
        ALTER TABLE scores ADD COLUMN waiting INTEGER NOT NULL DEFAULT 1;
        UPDATE scores SET waiting = 0
            WHERE EXISTS (SELECT 1 FROM reviews r WHERE r.passage_id = scores.passage_id);
        DROP INDEX scores_by_top;
        DROP INDEX scores_by_margin;
        CREATE INDEX waiting_by_passage ON scores (passage_id) WHERE waiting = 1;
        CREATE INDEX waiting_by_top ON scores (top DESC) WHERE waiting = 1;
        CREATE INDEX waiting_by_margin ON scores (margin) WHERE waiting = 1;
        """,
    ),
    (
        # A batch of documents is added set-wide and found again by its stamp.
        "0005_documents_by_added_at",
        "CREATE INDEX documents_by_added_at ON documents (added_at)",
    ),
    (
        # A decision names the claim it was served under; a passage's queue state says
        # labelled, waiting, skipped or junk (``labeler.store.review``), not just "waiting".
        # Skips and undone passages of earlier versions are mended from their reviews
        # when the store opens (``Store.migrate``).
        "0006_claims_and_queue_states",
        """
        ALTER TABLE scores RENAME COLUMN waiting TO queue_state;
        CREATE INDEX scores_by_state ON scores (queue_state, passage_id);
        ALTER TABLE claims ADD COLUMN token TEXT;
        ALTER TABLE claims ADD COLUMN claimed_at TEXT;
        ALTER TABLE reviews ADD COLUMN claim TEXT;
        CREATE TABLE document_reviews (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents (id),
            reviewer TEXT NOT NULL,
            level TEXT NOT NULL CHECK (level IN ('none', 'violence', 'graphic')),
            warning TEXT,
            decided_at TEXT NOT NULL
        );
        CREATE INDEX document_reviews_by_document ON document_reviews (document_id);
        """,
    ),
]
# (table, parent table, column): rows the schema's foreign keys say must have a parent
ORPHAN_CHECKS = (
    ("passages", "documents", "document_id"),
    ("scores", "passages", "passage_id"),
    ("reviews", "passages", "passage_id"),
    ("claims", "passages", "passage_id"),
    ("document_reviews", "documents", "document_id"),
)
SELECT_REVIEWS = (
    "SELECT id, passage_id, reviewer, decision, violence, graphic, severity, decided_at, note"
    " FROM reviews"
)
DEFAULT_THRESHOLDS = {"violence": 0.5, "graphic": 0.5}
NO_WARNING: dict[str, Any] = {"level": "none", "text": None}  # no editor has set one
ACTIVE_WINDOW = 50  # most uncertain candidates considered for diversity
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

    label: str | None = None  # flagged with this label
    min_severity: int = 0
    score_band: tuple[float, float] = (0.0, 1.0)  # highest label score within
    source_path: str | None = None
    model_version: str | None = None

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
        if self.label is not None:
            clauses.append(" AND s.flags LIKE ?")
            params.append(f'%"{self.label}"%')
        if self.source_path is not None:
            clauses.append(
                " AND EXISTS (SELECT 1 FROM passages p JOIN documents d ON d.id = p.document_id"
                " WHERE p.id = s.passage_id AND d.source_path = ?)"
            )
            params.append(self.source_path)
        if self.model_version is not None:
            clauses.append(" AND s.model_version = ?")
            params.append(self.model_version)
        return "".join(clauses), tuple(params)


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class Store:
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
        """Apply every migration not yet recorded, under the write lock.

        The lock is taken before reading what is done, so processes opening a
        blank store at once apply each migration once, never twice.
        """
        applied = []
        with self.db.write():
            self.db.execute(
                "CREATE TABLE IF NOT EXISTS migrations"
                " (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            done = {row[0] for row in self.db.execute("SELECT name FROM migrations")}
            for name, sql in MIGRATIONS:
                if name in done:
                    continue
                for statement in filter(str.strip, sql.split(";")):
                    self.db.execute(self.db.ddl(statement))
                self.db.execute(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, self._stamp())
                )
                applied.append(name)
            if "0006_claims_and_queue_states" in applied:
                reviewed = self.db.execute("SELECT DISTINCT passage_id FROM reviews").fetchall()
                self._refresh_states([row[0] for row in reviewed])
        return applied

    @retrying
    def add_records(
        self, pairs: list[tuple[dict[str, Any], str]], thresholds: dict[str, float] | None = None
    ) -> None:
        """Store many scored documents in one transaction (see ``add_record``)."""
        with self.db.write():
            self._add(pairs, self._stamp(), thresholds or DEFAULT_THRESHOLDS)

    @retrying
    def add_record(
        self, record: dict[str, Any], text: str, thresholds: dict[str, float] | None = None
    ) -> int:
        """Store a scored document (idempotent by id + text hash); returns its row id.

        A record scored by a model version not yet stored for it adds scores for
        that version; passages, earlier scores and reviews are kept. ``thresholds``
        (the scoring model's) rank the queue's most-uncertain-first order.
        """
        with self.db.write():
            return self._add([(record, text)], self._stamp(), thresholds or DEFAULT_THRESHOLDS)[0]

    def _add(
        self, pairs: list[tuple[dict[str, Any], str]], stamp: str, thresholds: dict[str, float]
    ) -> list[int]:
        """Add documents in a handful of set-wide statements, not several per document:
        on a PostgreSQL server each statement is a round trip. Returns their row ids."""
        keys = [(storable(str(record["id"])), text_hash(text)) for record, text in pairs]
        self.db.executemany(
            "INSERT INTO documents (doc_key, text_hash, source_path, source_line, fields,"
            " added_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (doc_key, text_hash) DO NOTHING",
            [
                (*key, *_document_fields(record), stamp)
                for key, (record, _) in zip(keys, pairs, strict=True)
            ],
        )
        added = {  # documents new in this transaction carry its stamp
            (key, digest): doc_id
            for doc_id, key, digest in self.db.execute(
                "SELECT id, doc_key, text_hash FROM documents WHERE added_at = ?", (stamp,)
            )
        }
        ids = [added.get(key) or self._document_id(key) for key in keys]
        self.db.executemany(
            "INSERT INTO passages (document_id, idx, start_char, end_char, text)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (document_id, idx) DO NOTHING",
            [
                (doc_id, p["index"], p["start"], p["end"], p["text"])
                for key, doc_id, (record, _) in zip(keys, ids, pairs, strict=True)
                if key in added
                for p in record["passages"]
            ],
        )
        rescored = {i for key, i in zip(keys, ids, strict=True) if key not in added}
        passage_ids = self._passage_ids(stamp, rescored)
        self.db.executemany(
            "INSERT INTO scores (passage_id, model_version, violence, graphic, flags, severity,"
            " evidence, scored_at, top, margin, queue_state)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (passage_id, model_version) DO NOTHING",
            [
                _score_row(passage_ids[doc_id, p["index"]], record["model"], p, stamp, thresholds)
                for doc_id, (record, _) in zip(ids, pairs, strict=True)
                for p in record["passages"]
            ],
        )
        for doc_id in rescored:  # a re-scored document keeps its passages' review states
            reviewed = self.db.execute(
                "SELECT DISTINCT r.passage_id FROM reviews r JOIN passages p"
                " ON p.id = r.passage_id WHERE p.document_id = ?",
                (doc_id,),
            ).fetchall()
            self._refresh_states([row[0] for row in reviewed])
        return ids

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

    def _document_id(self, key: tuple[str, str]) -> int:
        row = self.db.execute(
            "SELECT id FROM documents WHERE doc_key = ? AND text_hash = ?", key
        ).fetchone()
        return int(row[0])

    def _passage_ids(self, stamp: str, old_documents: set[int]) -> dict[tuple[int, int], int]:
        """(document id, passage index) -> passage id, for the documents just added (one
        query) and for those stored before (one query each)."""
        rows = self.db.execute(
            "SELECT p.document_id, p.idx, p.id FROM passages p"
            " JOIN documents d ON d.id = p.document_id WHERE d.added_at = ?",
            (stamp,),
        ).fetchall()
        for doc_id in old_documents:
            rows += self.db.execute(
                "SELECT document_id, idx, id FROM passages WHERE document_id = ?", (doc_id,)
            ).fetchall()
        return {(doc_id, idx): pid for doc_id, idx, pid in rows}

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

    def claim_is_current(self, claim: Claim) -> bool:
        """Whether ``claim`` is still its reviewer's claim (nothing decided it since)."""
        row = self.db.execute(
            "SELECT 1 FROM claims WHERE passage_id = ? AND reviewer = ? AND token = ?",
            (claim.passage_id, claim.reviewer, claim.token),
        ).fetchone()
        return row is not None

    def _check_claim(self, claim: Claim) -> None:
        row = self.db.execute(
            "SELECT claimed_at FROM claims WHERE passage_id = ? AND reviewer = ? AND token = ?",
            (claim.passage_id, claim.reviewer, claim.token),
        ).fetchone()
        if row is None:
            raise StaleDecision(
                f"not recorded: passage {claim.passage_id} is no longer your current passage"
            )
        shown = datetime.fromisoformat(row[0])
        if self.now() - shown < self.min_dwell:
            raise StaleDecision(
                f"not recorded: passage {claim.passage_id} was on screen for under"
                f" {self.min_dwell.total_seconds():g} s (a key pressed twice?)"
            )

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

    def last_decision(self, reviewer: str) -> Review | None:
        """``reviewer``'s latest decision still standing (what undo undoes)."""
        latest: Review | None = None
        for _, reviews in self._reviews_by_passage(reviewer):
            mine = [r for r in standing(reviews) if r.reviewer == reviewer]
            if mine and (latest is None or mine[-1].id > latest.id):
                latest = mine[-1]
        return latest

    def reviewed_items(self) -> list[Reviewed]:
        """Every passage with a standing label: model flags and each reviewer's latest labels."""
        scored = self._reviewed_passages()
        out = []
        for passage_id, reviews in self._reviews_by_passage():
            latest: dict[str, Labels] = {}
            for review in standing(reviews):
                if review.labels is not None:
                    latest[review.reviewer] = review.labels
            current = current_labels(reviews)
            if current is not None:
                p = scored[passage_id]
                flags = tuple(json.loads(p["flags"] or "[]"))
                out.append(
                    Reviewed(passage_id, flags, latest, current, p["doc_key"], p["idx"], p["text"])
                )
        return out

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

    def _reviewed_passages(self) -> dict[int, Row]:
        """Each reviewed passage with its document key and latest score, in one query."""
        rows = self.db.execute(
            "SELECT p.id, p.document_id, p.idx, p.text, d.doc_key, s.model_version, s.violence,"
            " s.graphic, s.flags FROM passages p JOIN documents d ON d.id = p.document_id"
            " LEFT JOIN scores s ON s.passage_id = p.id"
            " WHERE EXISTS (SELECT 1 FROM reviews r WHERE r.passage_id = p.id)"
            " ORDER BY p.id, s.scored_at"
        )
        return {row["id"]: row for row in rows}  # the last row of each passage: its latest score

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
        mine = 0
        if reviewer:
            for _, reviews in self._reviews_by_passage(reviewer):
                kept = [r for r in standing(reviews) if r.reviewer == reviewer]
                mine += any(r.labels is not None for r in kept)
        out = {
            "reviewed": by_state[LABELLED],
            "remaining": scored["passages"] - sum(by_state.values()),
            "skipped": by_state[SKIPPED],
            "by_you": mine,
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

    def reviews(self, passage_id: int) -> list[Review]:
        rows = self.db.execute(
            f"{SELECT_REVIEWS} WHERE passage_id = ? ORDER BY id",
            (passage_id,),
        )
        return [_review(row) for row in rows]

    def current_labels(self, passage_id: int) -> Labels | None:
        return current_labels(self.reviews(passage_id))

    @retrying
    def claim_next(
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
        away goes back to the queue; two reviewers never hold the same one.
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
        with self.db.write():
            self._release(reviewer)
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
            if not rows:
                return None
            row = rows[0]
            if order == "active":
                recent = [
                    r[0]
                    for r in self.db.execute(
                        "SELECT p.text FROM reviews r JOIN passages p ON p.id = r.passage_id"
                        " WHERE r.reviewer = ? ORDER BY r.id DESC LIMIT ?",
                        (reviewer, RECENT_SEEN),
                    )
                ]
                row = (pick_diverse([(r[0], r[1]) for r in rows], recent),)
            claim = self._claim(int(row[0]), reviewer, ttl)
        return {**self.passage(claim.passage_id), "claim": claim}

    @retrying
    def claim(
        self, passage_id: int, reviewer: str, ttl: timedelta = timedelta(minutes=10)
    ) -> Claim | None:
        """Claim one given passage (after an undo, to decide it again); None if another
        reviewer holds it. Releases the reviewer's previous claim."""
        self.passage(passage_id)  # a clear StoreError for a passage that does not exist
        with self.db.write():
            self._release(reviewer)
            held = self.db.execute(
                "SELECT 1 FROM claims WHERE passage_id = ?", (passage_id,)
            ).fetchone()
            return None if held else self._claim(passage_id, reviewer, ttl)

    @retrying
    def release(self, claim: Claim) -> None:
        """Give a claimed passage back undecided (the reviewer changed queue or name)."""
        with self.db.write():
            self.db.execute("DELETE FROM claims WHERE token = ?", (claim.token,))

    def _release(self, reviewer: str) -> None:
        """Drop expired claims, and ``reviewer``'s own: a reviewer holds one passage."""
        self.db.execute(
            "DELETE FROM claims WHERE expires_at <= ? OR reviewer = ?", (self._stamp(), reviewer)
        )

    def _claim(self, passage_id: int, reviewer: str, ttl: timedelta) -> Claim:
        now = self.now()
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
        self.passage(passage_id)
        with self.db.write():
            self.db.execute(
                "INSERT INTO second_looks (passage_id, reason, flagged_at) VALUES (?, ?, ?)"
                " ON CONFLICT (passage_id) DO NOTHING",
                (passage_id, reason, self._stamp()),
            )

    @retrying
    def claim_second_look(
        self, reviewer: str, ttl: timedelta = timedelta(minutes=10)
    ) -> dict[str, Any] | None:
        """Claim the oldest flagged passage that ``reviewer`` has not reviewed and that no
        second person has reviewed since it was flagged."""
        with self.db.write():
            self._release(reviewer)
            row = self.db.execute(
                "SELECT f.passage_id FROM second_looks f"
                " WHERE NOT EXISTS (SELECT 1 FROM reviews r WHERE r.passage_id = f.passage_id"
                "   AND (r.reviewer = ? OR r.decided_at > f.flagged_at))"
                " AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.passage_id = f.passage_id)"
                " ORDER BY f.flagged_at, f.passage_id LIMIT 1",
                (reviewer,),
            ).fetchone()
            if row is None:
                return None
            claim = self._claim(int(row[0]), reviewer, ttl)
        return {**self.passage(claim.passage_id), "claim": claim}

    def passage_id(self, doc_key: str, idx: int) -> int:
        row = self.db.execute(
            "SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id"
            " WHERE d.doc_key = ? AND p.idx = ?",
            (doc_key, idx),
        ).fetchone()
        if row is None:
            raise StoreError(f"no passage {idx} in document {doc_key!r}")
        return int(row[0])

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
            "model_version": [
                r[0]
                for r in self.db.execute(
                    "SELECT DISTINCT model_version FROM scores ORDER BY model_version"
                )
            ],
        }

    def reviewed(self) -> Iterator[dict[str, Any]]:
        """Every passage with a current label, in the training-data schema, with the note of
        the decision that gave it and its document's warning as an editor last set it."""
        scored = self._reviewed_passages()
        warnings = self.document_warnings()
        for passage_id, reviews in self._reviews_by_passage():
            labels = current_labels(reviews)
            if labels is None:
                continue
            p = scored[passage_id]
            last = [r for r in standing(reviews) if r.labels == labels][-1]
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
        problems = self.db.integrity()
        for table, parent, column in ORPHAN_CHECKS:
            count = self.db.execute(
                f"SELECT COUNT(*) FROM {table} t WHERE NOT EXISTS"
                f" (SELECT 1 FROM {parent} x WHERE x.id = t.{column})"
            ).fetchone()[0]
            if count:
                problems.append(f"{count} {table} rows refer to a missing {parent} row")
        return problems


def _document_fields(record: dict[str, Any]) -> tuple[Any, Any, str | None]:
    source = record.get("source") or {}
    fields = json.dumps(record["fields"]) if record.get("fields") else None
    return source.get("path"), source.get("line"), fields


def _score_row(
    passage_id: int, model: str, p: dict[str, Any], stamp: str, thresholds: dict[str, float]
) -> tuple[Any, ...]:
    """A passage's row in ``scores``; ``thresholds`` (the scoring model's) give its margin."""
    return (
        passage_id,
        model,
        p["scores"]["violence"],
        p["scores"]["graphic"],
        json.dumps(p["flags"]),
        p["severity"],
        json.dumps(p["evidence"]),
        stamp,
        max(p["scores"].values()),
        uncertainty(p["scores"], thresholds),
        JUNK if is_junk(p["text"]) else WAITING,
    )


def _labels(labels: Labels | None) -> tuple[int | None, int | None, int | None]:
    return (labels.violence, labels.graphic, labels.severity) if labels else (None, None, None)


def _review(row: Row) -> Review:
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
