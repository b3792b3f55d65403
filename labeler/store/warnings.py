"""Documents and their content warnings: the suggestion follows the labels, the editor decides.

A document's suggested warning is recomputed from its passages' current labels — a
reviewer's decision, where there is one, stands for that passage instead of the model's
flags — whenever it is read, so a correction changes it at once (``labeler.warning`` makes
the line). An editor's decision over it (accepted, edited, or no warning needed) is kept
append-only in ``document_reviews``; the latest one stands. A part of the store.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import groupby
from typing import TYPE_CHECKING, Any

from labeler.depicted_acts import BY_KEY
from labeler.passages import is_junk
from labeler.store.db import Database, StoreError, retrying
from labeler.store.review import JUNK, LABELLED, SKIPPED, WAITING, Labels, current_labels
from labeler.warning import LEVELS, ContentWarning, document_warning

if TYPE_CHECKING:
    from labeler.store.adjudication import Adjudications
    from labeler.store.reviews import Reviews

# A passage with each of its score rows, oldest first; the document ids go in "IN ({})".
ALL_PASSAGES = (
    'SELECT p.id, p.document_id, p."index", p.text, s.flags, s.evidence, s.queue_state,'
    " s.model, s.violence, s.graphic FROM passages p"
    ' LEFT JOIN scores s ON s.passage_id = p.id ORDER BY p.document_id, p."index", s.scored_at'
)
PASSAGES_OF = (
    'SELECT p.id, p.document_id, p."index", p.text, s.flags, s.evidence, s.queue_state,'
    " s.model, s.violence, s.graphic FROM passages p"
    " LEFT JOIN scores s ON s.passage_id = p.id WHERE p.document_id IN ({})"
    ' ORDER BY p.document_id, p."index", s.scored_at'
)
# An editor's decision: the suggestion as it stood, their own line, or none at all.
DECISIONS = {"accept": "accepted", "edit": "edited", "none": "no warning needed"}
SUGGESTED = "suggested"  # no editor has decided: the suggestion stands, and says so
STATUSES = (SUGGESTED, *DECISIONS.values())


def flags_of(model_flags: Iterable[str], labels: Labels | None) -> list[str]:
    """A passage's flags as they stand: a reviewer's labels where there are some, else
    the model's.

    >>> flags_of(["violence"], Labels(0, 0, 0)), flags_of(["violence"], None)
    ([], ['violence'])
    """
    if labels is None:
        return list(model_flags)
    return ["violence"] * labels.violence + ["graphic"] * labels.graphic


@dataclass(frozen=True)
class Decision:
    """An editor's latest decision on a document's warning."""

    status: str  # "accepted", "edited" or "no warning needed"
    warning: ContentWarning
    editor: str
    decided_at: str


@dataclass(frozen=True)
class DocumentWarning:
    """One document: what it is, its warning as it stands, and how far review has got."""

    document_id: int
    id: str  # the document's id (record_id)
    path: str | None  # the file it came from
    headline: str | None  # its first passage that is not scraped junk
    suggested: ContentWarning  # from the passages' current labels
    decision: Decision | None
    passages: int  # not counting scraped junk
    reviewed: int
    waiting: int
    skipped: int

    @property
    def warning(self) -> ContentWarning:
        """What goes above the article: the editor's decision, else the suggestion."""
        return self.decision.warning if self.decision else self.suggested

    @property
    def status(self) -> str:
        return self.decision.status if self.decision else SUGGESTED

    @property
    def needs_decision(self) -> bool:
        """A warning is suggested and no editor has decided, or an editor accepted one (or
        none) that reviewers' labels have changed since: "edited" is the editor's own."""
        if self.decision is None:
            return self.suggested["level"] != "none"
        if self.decision.status == DECISIONS["edit"]:
            return False
        return (self.suggested["level"], self.suggested["text"]) != (
            self.decision.warning["level"],
            self.decision.warning["text"],
        )

    def row(self) -> dict[str, Any]:
        """The export row (``labeler warnings``): an undecided document says "suggested"."""
        return {
            "id": self.id,
            "path": self.path,
            "level": self.warning["level"],
            "categories": self.warning["categories"],
            "warning": self.warning["text"],
            "status": self.status,
            "decided_by": self.decision.editor if self.decision else None,
            "decided_at": self.decision.decided_at if self.decision else None,
            "needs_decision": self.needs_decision,
            "suggested": self.suggested["text"],
            "passages": self.passages,
            "reviewed": self.reviewed,
            "waiting": self.waiting,
            "skipped": self.skipped,
        }


def document_warning_of(
    document: Mapping[str, Any], passages: list[dict[str, Any]], decision: Decision | None
) -> DocumentWarning:
    """A document's warning from its passages (each with ``text``, ``flags`` as they stand
    and ``queue_state``) and the editor's latest decision."""
    states = [p["queue_state"] for p in passages]
    return DocumentWarning(
        document_id=document["id"],
        id=document["record_id"],
        path=document["source_path"],
        headline=next((p["text"] for p in passages if not is_junk(p["text"])), None),
        suggested=document_warning(passages),
        decision=decision,
        passages=sum(s != JUNK for s in states),
        reviewed=states.count(LABELLED),
        waiting=states.count(WAITING),
        skipped=states.count(SKIPPED),
    )


def checked_warning(status: str, warning: Mapping[str, Any]) -> ContentWarning:
    """An editor's warning, or StoreError naming what is wrong with it."""
    level, text = warning["level"], (warning["text"] or "").strip() or None
    categories = list(warning.get("categories") or [])
    if level not in LEVELS:
        raise StoreError(f"warning level must be one of {', '.join(LEVELS)}, not {level!r}")
    if (level == "none") != (text is None) or (level == "none") != (status == "none"):
        raise StoreError("a warning line goes with level violence or graphic, and only then")
    unknown = [c for c in categories if c not in BY_KEY]
    if unknown:
        raise StoreError(f"unknown warning category {unknown[0]!r}")
    return {"level": level, "text": text, "categories": categories}


class Warnings:
    """The store's documents and their warnings (a part of the store): the labels they
    follow are ``reviews``' and ``adjudications``'."""

    def __init__(
        self,
        db: Database,
        stamp: Callable[[], str],
        model: str | None,
        reviews: Reviews,
        adjudications: Adjudications,
    ) -> None:
        self.db = db
        self.stamp = stamp
        self.model = model  # the model in use: its scores are the ones shown
        self.reviews = reviews
        self.adjudications = adjudications

    def of_documents(self, document_ids: Iterable[int] | None = None) -> list[DocumentWarning]:
        """Every document (or those of ``document_ids``), in the order they were added,
        with its warning as it stands."""
        wanted = None if document_ids is None else sorted(set(document_ids))
        if wanted == []:
            return []
        with self.db.snapshot():  # passages, labels and decisions as of one moment
            decisions = self.decisions()
            labels = self._current_labels()
            documents = {
                row["id"]: row
                for row in self.db.execute("SELECT id, record_id, source_path FROM documents")
            }
            grouped = self._passages_by_document(wanted, labels)
        return [
            document_warning_of(documents[document_id], passages, decisions.get(document_id))
            for document_id, passages in grouped
        ]

    def view(self, document_id: int) -> tuple[DocumentWarning, list[dict[str, Any]]]:
        """One document's warning and all its passages, in reading order, each with its
        ``flags`` as they stand, the model's (``model_flags``), the reviewer's ``labels``
        (None if unreviewed) and the model's evidence: the whole document, as an editor
        reads it."""
        with self.db.snapshot():
            row = self.db.execute(
                "SELECT id, record_id, source_path FROM documents WHERE id = ?", (document_id,)
            ).fetchone()
            found = self._passages_by_document([document_id], self._current_labels())
            decision = self.decisions().get(document_id)
        if row is None:
            raise StoreError(f"no document {document_id}")
        passages = next((p for _, p in found), [])
        return document_warning_of(row, passages, decision), passages

    def _current_labels(self) -> dict[int, Labels]:
        """Each labelled passage's label now: its standing adjudication's, else the
        reviewers' latest standing one (``labeler.store.labelled``'s rule)."""
        labels = {
            passage_id: found
            for passage_id, reviews in self.reviews.by_passage()
            if (found := current_labels(reviews)) is not None
        }
        labels.update(
            (pid, found[-1].labels) for pid, found in self.adjudications.by_passage().items()
        )
        return labels

    def _passages_by_document(
        self, document_ids: list[int] | None, labels: dict[int, Labels]
    ) -> list[tuple[int, list[dict[str, Any]]]]:
        """Each document's passages in reading order, with the scores shown for them (the
        model in use's, else the newest), of ``document_ids`` or of every document."""
        if document_ids is None:
            rows = self.db.execute(ALL_PASSAGES).fetchall()
        else:
            rows = self.db.select_in(PASSAGES_OF, document_ids)
        out = []
        for document_id, group in groupby(rows, key=lambda r: r["document_id"]):
            scored: dict[int, list[Any]] = {}
            for row in group:  # each passage's score rows, oldest first
                scored.setdefault(row["id"], []).append(row)
            out.append(
                (
                    document_id,
                    [
                        _passage(self._shown(rs), labels.get(passage))
                        for passage, rs in scored.items()
                    ],
                )
            )
        return out

    def _shown(self, rows: list[Any]) -> Any:
        """The score row a passage is shown with: the model in use's, else the newest."""
        return next((r for r in rows if r["model"] == self.model), rows[-1])

    def decisions(self) -> dict[int, Decision]:
        """Each decided document's latest decision."""
        rows = self.db.execute(
            "SELECT document_id, level, warning, categories, decision, reviewer, decided_at"
            " FROM document_reviews ORDER BY id"
        )
        return {r["document_id"]: _decision(r) for r in rows}

    @retrying
    def record(
        self, document_id: int, editor: str, decision: str, warning: Mapping[str, Any]
    ) -> int:
        """Append an editor's decision on a document's warning: ``accept`` the suggestion
        they were shown (``warning``), ``edit`` it into their own, or ``none`` (no warning
        needed, level "none"). Append-only, like passage reviews: the latest stands."""
        if decision not in DECISIONS:
            raise StoreError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
        if not editor.strip():
            raise StoreError("a warning decision needs an editor")
        checked = checked_warning(decision, warning)
        with self.db.write():
            if (
                self.db.execute("SELECT 1 FROM documents WHERE id = ?", (document_id,)).fetchone()
                is None
            ):
                raise StoreError(f"no document {document_id}")
            cursor = self.db.execute(
                "INSERT INTO document_reviews (document_id, reviewer, level, warning, categories,"
                " decision, decided_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    document_id,
                    editor,
                    checked["level"],
                    checked["text"],
                    json.dumps(checked["categories"]),
                    decision,
                    self.stamp(),
                ),
            )
            return int(cursor.fetchone()[0])


def _passage(row: Any, labels: Labels | None) -> dict[str, Any]:
    model_flags = json.loads(row["flags"] or "[]")
    return {
        "id": row["id"],
        "index": row["index"],
        "text": row["text"],
        "flags": flags_of(model_flags, labels),
        "model_flags": model_flags,
        "labels": labels,
        "evidence": json.loads(row["evidence"] or "[]"),
        "queue_state": row["queue_state"],
        "model": row["model"],
        "scores": {"violence": row["violence"], "graphic": row["graphic"]},
    }


def _decision(row: Any) -> Decision:
    """A stored decision; one written before decisions had a kind is the editor's own line
    (or no warning, at level none), and its categories are unknown: none."""
    kind = row["decision"] or ("none" if row["level"] == "none" else "edit")
    return Decision(
        status=DECISIONS[kind],
        warning={
            "level": row["level"],
            "text": row["warning"],
            "categories": json.loads(row["categories"] or "[]"),
        },
        editor=row["reviewer"],
        decided_at=str(row["decided_at"]),
    )
