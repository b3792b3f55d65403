"""The store's documents: adding scored ones (idempotent, a batch in a few statements) and
reading their passages back.

A document is known by its id and the hash of its text; adding it again adds nothing,
and re-scoring it with another model version adds scores beside the old ones and keeps
every review. The thresholds of the model that scored a batch rank the queue's
most-uncertain-first order, so they are always given. A passage is shown, and confirmed,
with the scores of the model in use (``model``), else its newest.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from labeler.passages import is_junk
from labeler.store.db import Database, StoreError, key_hash, retrying, storable, text_hash
from labeler.store.review import JUNK, WAITING, uncertainty
from labeler.store.reviews import refresh_states

# A passage's score rows in the order that puts the one shown first: the model in use's
# (the parameter), else the newest.
SHOWN_FIRST = "CASE WHEN s.model = ? THEN 0 ELSE 1 END, s.scored_at DESC"


class Documents:
    """Adding documents, passages and scores, and reading passages (a part of the store)."""

    def __init__(self, db: Database, stamp: Callable[[], str], model: str | None) -> None:
        self.db = db
        self.stamp = stamp
        self.model = model  # the model in use: its scores are the ones shown

    @retrying
    def add_many(
        self, pairs: Sequence[tuple[Mapping[str, Any], str]], thresholds: dict[str, float]
    ) -> None:
        """Store many scored documents in one transaction (see ``add``)."""
        with self.db.write():
            self._add(pairs, self.stamp(), thresholds)

    @retrying
    def add(self, record: Mapping[str, Any], text: str, thresholds: dict[str, float]) -> int:
        """Store a scored document (idempotent by id + text hash); returns its row id.

        A record scored by a model version not yet stored for it adds scores for
        that version; passages, earlier scores and reviews are kept. ``thresholds``
        (the scoring model's, required: no default stands in for them) rank the queue's
        most-uncertain-first order.
        """
        with self.db.write():
            return self._add([(record, text)], self.stamp(), thresholds)[0]

    def _add(
        self,
        pairs: Sequence[tuple[Mapping[str, Any], str]],
        stamp: str,
        thresholds: dict[str, float],
    ) -> list[int]:
        """Add documents in a handful of set-wide statements, not several per document
        (on a PostgreSQL server each statement is a round trip), whether they are new or
        stored before (an archive re-scored). Returns their row ids."""
        keys = [(storable(str(record["id"])), text_hash(text)) for record, text in pairs]
        hashed = [(key_hash(key), digest) for key, digest in keys]  # the index's keys
        self.db.executemany(
            "INSERT INTO documents (record_id, record_id_hash, text_hash, source_path, source_line,"
            " fields, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (record_id_hash, text_hash) DO NOTHING",
            [
                (key[0], *hashes, *_document_fields(record), stamp)
                for key, hashes, (record, _) in zip(keys, hashed, pairs, strict=True)
            ],
        )
        added = {  # documents new in this transaction carry its stamp
            (id_hash, digest): doc_id
            for doc_id, id_hash, digest in self.db.execute(
                "SELECT id, record_id_hash, text_hash FROM documents WHERE added_at = ?", (stamp,)
            )
        }
        stored = self._document_ids([h for h in hashed if h not in added])
        ids = [added.get(h) or stored[h] for h in hashed]
        self.db.executemany(
            'INSERT INTO passages (document_id, "index", "start", "end", text)'
            ' VALUES (?, ?, ?, ?, ?) ON CONFLICT (document_id, "index") DO NOTHING',
            [
                (doc_id, p["index"], p["start"], p["end"], p["text"])
                for h, doc_id, (record, _) in zip(hashed, ids, pairs, strict=True)
                if h in added
                for p in record["passages"]
            ],
        )
        rescored = sorted(set(stored.values()))
        passage_ids = self._passage_ids(stamp, rescored)
        self.db.executemany(
            "INSERT INTO scores (passage_id, model, violence, graphic, flags, review,"
            " severity, evidence, scored_at, top, margin, queue_state)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (passage_id, model) DO NOTHING",
            [
                score_row(passage_ids[doc_id, p["index"]], record["model"], p, stamp, thresholds)
                for doc_id, (record, _) in zip(ids, pairs, strict=True)
                for p in record["passages"]
            ],
        )
        reviewed = self.db.select_in(  # a re-scored document keeps its passages' review states
            "SELECT DISTINCT r.passage_id FROM reviews r JOIN passages p"
            " ON p.id = r.passage_id WHERE p.document_id IN ({})",
            rescored,
        )
        if reviewed:
            refresh_states(self.db, [row[0] for row in reviewed])
        return ids

    def _document_ids(self, hashed: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """(record id hash, text hash) -> row id of documents stored before, a few statements for
        any number of them."""
        wanted = set(hashed)
        rows = self.db.select_in(
            "SELECT id, record_id_hash, text_hash FROM documents WHERE record_id_hash IN ({})",
            sorted({id_hash for id_hash, _ in wanted}),
        )
        return {(k, t): doc_id for doc_id, k, t in rows if (k, t) in wanted}

    def _passage_ids(self, stamp: str, old_documents: list[int]) -> dict[tuple[int, int], int]:
        """(document id, passage index) -> passage id, for the documents just added (one
        query) and for those stored before (a few, for any number of them)."""
        rows = self.db.execute(
            'SELECT p.document_id, p."index", p.id FROM passages p'
            " JOIN documents d ON d.id = p.document_id WHERE d.added_at = ?",
            (stamp,),
        ).fetchall()
        rows += self.db.select_in(
            'SELECT document_id, "index", id FROM passages WHERE document_id IN ({})',
            old_documents,
        )
        return {(doc_id, index): pid for doc_id, index, pid in rows}

    @retrying  # a read too can meet a WAL index being rebuilt after a crash
    def passage(self, passage_id: int) -> dict[str, Any]:
        """A passage with its document's identity and the scores of the model in use, or,
        where that model never scored it, its newest scores; ``review`` is None for scores
        stored before the store kept review labels."""
        row = self.db.execute(
            'SELECT p.id, p.document_id, p."index", p."start", p."end", p.text, d.record_id,'
            " d.source_path, s.model, s.violence, s.graphic, s.flags, s.review,"
            " s.severity, s.evidence FROM passages p JOIN documents d ON d.id = p.document_id"
            f" LEFT JOIN scores s ON s.passage_id = p.id WHERE p.id = ? ORDER BY {SHOWN_FIRST}"
            " LIMIT 1",
            (passage_id, self.model),
        ).fetchone()
        if row is None:
            raise StoreError(f"no passage {passage_id}")
        out = dict(row)
        out["flags"] = json.loads(out["flags"] or "[]")
        out["review"] = None if out["review"] is None else json.loads(out["review"])
        out["evidence"] = json.loads(out["evidence"] or "[]")
        return out

    def passage_id(self, record_id: str, index: int) -> int:
        """The id of passage ``index`` of the document ``record_id``."""
        row = self.db.execute(
            "SELECT p.id FROM passages p JOIN documents d ON d.id = p.document_id"
            ' WHERE d.record_id_hash = ? AND d.record_id = ? AND p."index" = ?',
            (key_hash(record_id), record_id, index),
        ).fetchone()
        if row is None:
            raise StoreError(f"no passage {index} in document {record_id!r}")
        return int(row[0])

    def passages_of(self, document_id: int, model: str) -> list[dict[str, Any]]:
        """All of a document's passages in reading order, with ``model``'s flags and
        evidence: what a reviewer reads around a passage, and what its warning is made from
        (the warning of `labeler score`, which reads them all)."""
        rows = self.db.execute(
            'SELECT p.id, p."index", p.text, s.flags, s.evidence FROM passages p'
            " LEFT JOIN scores s ON s.passage_id = p.id AND s.model = ?"
            ' WHERE p.document_id = ? ORDER BY p."index"',
            (model, document_id),
        )
        return [
            {
                **dict(row),
                "flags": json.loads(row["flags"] or "[]"),
                "evidence": json.loads(row["evidence"] or "[]"),
            }
            for row in rows
        ]


def _document_fields(record: Mapping[str, Any]) -> tuple[Any, Any, str | None]:
    source = record.get("source") or {}
    fields = json.dumps(record["fields"]) if record.get("fields") else None
    return source.get("path"), source.get("line"), fields


def score_row(
    passage_id: int, model: str, p: Mapping[str, Any], stamp: str, thresholds: dict[str, float]
) -> tuple[Any, ...]:
    """A passage's row in ``scores``; ``thresholds`` (the scoring model's) give its margin."""
    return (
        passage_id,
        model,
        p["scores"]["violence"],
        p["scores"]["graphic"],
        json.dumps(p["flags"]),
        json.dumps(p["review"]),
        p["severity"],
        json.dumps(p["evidence"]),
        stamp,
        max(p["scores"].values()),
        uncertainty(p["scores"], thresholds),
        JUNK if is_junk(p["text"]) else WAITING,
    )
