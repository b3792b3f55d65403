"""The labelled passages: every passage with a label as it stands, for agreement figures,
training and export.

A passage's label is its standing adjudication's, else the latest of its reviewers'
standing decisions (``labeler.store.review``); it is shown with the scores of the model
in use, else its newest. Everything is read in one snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from labeler.store.db import Database, ResultRow
from labeler.store.review import Labels, Review, Reviewed, standing

if TYPE_CHECKING:
    from labeler.store.adjudication import Adjudication, Adjudications
    from labeler.store.reviews import Reviews
    from labeler.store.warnings import Warnings

# A passage's score rows in the order that puts the one shown last: the model in use's (the
# parameter), else the newest (``labeler.store.documents.SHOWN_FIRST``, reversed).
SHOWN_LAST = "CASE WHEN s.model = ? THEN 1 ELSE 0 END, s.scored_at"


class Labelled:
    """The labelled passages (a part of the store), from ``reviews`` and ``adjudications``,
    with their documents' ``warnings``."""

    def __init__(
        self,
        db: Database,
        model: str | None,
        reviews: Reviews,
        adjudications: Adjudications,
        warnings: Warnings,
    ) -> None:
        self.db = db
        self.model = model  # the model in use: its scores are the ones shown
        self.reviews = reviews
        self.adjudications = adjudications
        self.warnings = warnings

    def items(self) -> list[Reviewed]:
        """Every passage with a standing label: model flags, each reviewer's latest labels,
        and the adjudicated label where an adjudicator settled it."""
        out = []
        for p, kept, current, final in self._walk():
            latest: dict[str, Labels] = {}
            for review in kept:
                if review.labels is not None:
                    latest[review.reviewer] = review.labels
            flags = tuple(json.loads(p["flags"] or "[]"))
            adjudicated = final.labels if final else None
            out.append(
                Reviewed(
                    p["id"],
                    flags,
                    latest,
                    current,
                    p["record_id"],
                    p["index"],
                    p["text"],
                    adjudicated,
                )
            )
        return out

    def rows(self) -> Iterator[dict[str, Any]]:
        """Every passage with a current label, in the training-data schema, with the note of
        the decision that gave it (an adjudication, where there is one) and its document's
        warning as it stands (an editor's, else the suggestion from the current labels) and
        its status.

        Its id is ``DOCUMENT#INDEX``; a document whose id an earlier one in the store
        already has (ids in a JSONL need not be unique) adds ``@`` and the start of its
        text's hash, so no two rows share an id and an earlier row's id never changes.
        """
        labelled = list(self._walk())
        documents = {p["document_id"] for p, _, _, _ in labelled}
        warnings = {w.document_id: w for w in self.warnings.of_documents(documents)}
        tags = self._later_namesakes()
        for p, kept, labels, final in labelled:
            if final is not None:
                who, when, note = final.adjudicator, final.decided_at, final.note
            else:
                last = [r for r in kept if r.labels == labels][-1]
                who, when, note = last.reviewer, last.decided_at, last.note
            tag = tags.get(p["document_id"])
            yield {
                "id": f"{p['record_id']}#{p['index']}" + (f"@{tag}" if tag else ""),
                "text": p["text"],
                "violence": labels.violence,
                "graphic": labels.graphic,
                "severity": labels.severity,
                "reviewer": who,
                "decided_at": when,
                "note": note,
                "model": p["model"],
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
            "SELECT id, record_id, text_hash FROM documents WHERE record_id IN"
            " (SELECT record_id FROM documents GROUP BY record_id HAVING COUNT(*) > 1)"
            " ORDER BY record_id, id"
        )
        tags, seen = {}, set()
        for row in rows:
            if row["record_id"] in seen:
                tags[row["id"]] = row["text_hash"][:16]
            seen.add(row["record_id"])
        return tags

    def _walk(
        self,
    ) -> Iterator[tuple[ResultRow, list[Review], Labels, Adjudication | None]]:
        """The one walk over the reviews: each passage with a current label, with its
        score row (``Documents.passage``'s choice), its decisions still standing, that
        label, and the adjudication that set it (an adjudicated label stands over
        reviewers' own). Passages, reviews and adjudications are read in one snapshot: a
        review landing meanwhile is in every read or in none."""
        with self.db.snapshot():
            scored = self._reviewed_passages()
            grouped = list(self.reviews.by_passage())
            final = self.adjudications.final_labels()
        for passage_id, reviews in grouped:
            kept = standing(reviews)
            labelled = [r.labels for r in kept if r.labels is not None]
            adjudication = final(passage_id)
            if adjudication is not None:
                yield scored[passage_id], kept, adjudication.labels, adjudication
            elif labelled:
                yield scored[passage_id], kept, labelled[-1], None

    def _reviewed_passages(self) -> dict[int, ResultRow]:
        """Each reviewed passage with its document key and score row, in one query."""
        rows = self.db.execute(
            'SELECT p.id, p.document_id, p."index", p.text, d.record_id, s.model, s.violence,'
            " s.graphic, s.flags FROM passages p JOIN documents d ON d.id = p.document_id"
            " LEFT JOIN scores s ON s.passage_id = p.id"
            " WHERE EXISTS (SELECT 1 FROM reviews r WHERE r.passage_id = p.id)"
            f" ORDER BY p.id, {SHOWN_LAST}",
            (self.model,),
        )
        return {row["id"]: row for row in rows}  # each passage's last row: the one shown
