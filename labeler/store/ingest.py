"""Adding scored documents to the review store: idempotent, a batch in a few statements.

A document is known by its id and the hash of its text; adding it again adds nothing,
and re-scoring it with another model version adds scores beside the old ones and keeps
every review. The thresholds of the model that scored a batch rank the queue's
most-uncertain-first order, so they are always given.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from labeler.passages import is_junk
from labeler.store.db import Database, retrying, storable
from labeler.store.review import JUNK, WAITING, Review, uncertainty


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def key_hash(key: str) -> str:
    """What a stored key of any length (a document id, a reviewer name) is indexed by: the
    hash of the text as stored (``storable``)."""
    return text_hash(storable(key))


class Ingest:
    """Adding documents, passages and scores (a part of :class:`Store`)."""

    db: Database

    if TYPE_CHECKING:  # the rest of the store

        def _stamp(self) -> str: ...

        def _refresh_states(self, passage_ids: list[int]) -> dict[int, list[Review]]: ...

    @retrying
    def add_records(
        self, pairs: Sequence[tuple[Mapping[str, Any], str]], thresholds: dict[str, float]
    ) -> None:
        """Store many scored documents in one transaction (see ``add_record``)."""
        with self.db.write():
            self._add(pairs, self._stamp(), thresholds)

    @retrying
    def add_record(self, record: Mapping[str, Any], text: str, thresholds: dict[str, float]) -> int:
        """Store a scored document (idempotent by id + text hash); returns its row id.

        A record scored by a model version not yet stored for it adds scores for
        that version; passages, earlier scores and reviews are kept. ``thresholds``
        (the scoring model's, required: no default stands in for them) rank the queue's
        most-uncertain-first order.
        """
        with self.db.write():
            return self._add([(record, text)], self._stamp(), thresholds)[0]

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
            "INSERT INTO documents (doc_key, key_hash, text_hash, source_path, source_line,"
            " fields, added_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (key_hash, text_hash) DO NOTHING",
            [
                (key[0], *hashes, *_document_fields(record), stamp)
                for key, hashes, (record, _) in zip(keys, hashed, pairs, strict=True)
            ],
        )
        added = {  # documents new in this transaction carry its stamp
            (key_hash, digest): doc_id
            for doc_id, key_hash, digest in self.db.execute(
                "SELECT id, key_hash, text_hash FROM documents WHERE added_at = ?", (stamp,)
            )
        }
        stored = self._document_ids([h for h in hashed if h not in added])
        ids = [added.get(h) or stored[h] for h in hashed]
        self.db.executemany(
            "INSERT INTO passages (document_id, idx, start_char, end_char, text)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (document_id, idx) DO NOTHING",
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
            "INSERT INTO scores (passage_id, model_version, violence, graphic, flags, review,"
            " severity, evidence, scored_at, top, margin, queue_state)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (passage_id, model_version) DO NOTHING",
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
            self._refresh_states([row[0] for row in reviewed])
        return ids

    def _document_ids(self, hashed: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """(key hash, text hash) -> row id of documents stored before, a few statements for
        any number of them."""
        wanted = set(hashed)
        rows = self.db.select_in(
            "SELECT id, key_hash, text_hash FROM documents WHERE key_hash IN ({})",
            sorted({key_hash for key_hash, _ in wanted}),
        )
        return {(k, t): doc_id for doc_id, k, t in rows if (k, t) in wanted}

    def _passage_ids(self, stamp: str, old_documents: list[int]) -> dict[tuple[int, int], int]:
        """(document id, passage index) -> passage id, for the documents just added (one
        query) and for those stored before (a few, for any number of them)."""
        rows = self.db.execute(
            "SELECT p.document_id, p.idx, p.id FROM passages p"
            " JOIN documents d ON d.id = p.document_id WHERE d.added_at = ?",
            (stamp,),
        ).fetchall()
        rows += self.db.select_in(
            "SELECT document_id, idx, id FROM passages WHERE document_id IN ({})", old_documents
        )
        return {(doc_id, idx): pid for doc_id, idx, pid in rows}


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
