"""Each part of the review store on its own, on a real SQLite file: built from a connection,
a clock and only the parts it is handed, as ``Store`` builds it. Records are written by
hand (no model), so what each part is given is in plain sight."""

from __future__ import annotations

from datetime import timedelta

import pytest

from labeler.store.adjudication import Adjudications
from labeler.store.administration import Administration
from labeler.store.connection import connect
from labeler.store.db import Database, StoreError
from labeler.store.documents import Documents
from labeler.store.labelled import Labelled
from labeler.store.maintenance import Maintenance
from labeler.store.migrations import MIGRATIONS, apply_migrations
from labeler.store.queue import Queue, StaleDecision
from labeler.store.rescoring import Rescoring
from labeler.store.review import GRAPHIC, NOT_VIOLENT
from labeler.store.reviews import Reviews
from labeler.store.warnings import Warnings
from tests.reviewing import Clock

THRESHOLDS = {"violence": 0.5, "graphic": 0.5}
TEXTS = ("Gunmen shot dead eleven people.", "The council approved a budget.")


def passage(index: int, start: int, text: str, violence: float) -> dict:
    flags = ["violence"] if violence >= 0.5 else []
    return {
        "index": index,
        "start": start,
        "end": start + len(text),
        "text": text,
        "scores": {"violence": violence, "graphic": 0.1},
        "flags": flags,
        "review": flags,
        "severity": 2 if flags else 0,
        "evidence": [],
    }


def record(doc_id: str = "d1", model: str = "m1") -> tuple[dict, str]:
    """A scored document of two passages, the first flagged, and its text."""
    text = "\n\n".join(TEXTS)
    passages = [passage(0, 0, TEXTS[0], 0.9), passage(1, len(TEXTS[0]) + 2, TEXTS[1], 0.1)]
    return {"id": doc_id, "model": model, "passages": passages}, text


@pytest.fixture()
def clock():
    return Clock()


@pytest.fixture()
def db(tmp_path, clock):
    """A blank store's connection, its schema made by the migrations alone."""
    database = connect(tmp_path / "parts.db")
    with database.write():
        apply_migrations(database, clock().isoformat())
    yield database
    database.close()


def stamp_of(clock):
    return lambda: clock().isoformat(timespec="microseconds")


@pytest.fixture()
def documents(db: Database, clock) -> Documents:
    part = Documents(db, stamp_of(clock), model=None)
    part.add(*record(), THRESHOLDS)
    return part


@pytest.fixture()
def admin(db, clock) -> Administration:
    return Administration(db, stamp_of(clock))


@pytest.fixture()
def queue(db, clock, documents, admin) -> Queue:
    return Queue(db, clock, stamp_of(clock), timedelta(0), documents, admin)


@pytest.fixture()
def reviews(db, clock, documents, queue) -> Reviews:
    return Reviews(db, stamp_of(clock), documents, queue)


def test_documents_are_added_once_and_read_back(db, clock, documents):
    again = documents.add(*record(), THRESHOLDS)  # the same id and text: nothing new
    assert again == 1
    first = documents.passage(documents.passage_id("d1", 0))
    assert (first["text"], first["flags"], first["model"]) == (TEXTS[0], ["violence"], "m1")
    assert [p["text"] for p in documents.passages_of(1, "m1")] == list(TEXTS)
    documents.add_many([record("d2"), record("d3")], THRESHOLDS)
    assert documents.passage_id("d3", 1) == 6
    with pytest.raises(StoreError, match="no passage 99"):
        documents.passage(99)


def test_the_queue_serves_each_passage_to_one_reviewer_under_a_claim(db, clock, documents, admin):
    queue = Queue(db, clock, stamp_of(clock), timedelta(seconds=30), documents, admin)
    ana = queue.next("ana", order="score")
    ben = queue.next("ben", order="score")
    assert (ana["text"], ben["text"]) == TEXTS  # the flagged one first, each to one reviewer
    assert queue.next("cy") is None
    assert queue.held("ana") == ana["claim"] and queue.is_current(ben["claim"])
    with pytest.raises(StaleDecision, match="under 30 s"):
        queue.check(ana["claim"])  # decided before it can have been read
    queue.release(ben["claim"])
    assert not queue.is_current(ben["claim"])
    assert queue.next("cy")["text"] == TEXTS[1]
    assert queue.progress("ana")["remaining"] == 2


def test_reviews_are_recorded_under_a_claim_and_undone(documents, queue, reviews):
    claim = queue.next("ana")["claim"]
    review_id = reviews.record(claim, "correct", GRAPHIC, note="a note")
    assert reviews.current_labels(claim.passage_id) == GRAPHIC
    with pytest.raises(StaleDecision):  # the claim is spent
        reviews.record(claim, "confirm")
    assert reviews.last("ana").id == review_id
    assert [d.review.id for d in reviews.recent("ana")] == [review_id]
    assert queue.progress("ana")["by_you"] == 1
    assert reviews.undo("ana", review_id) == claim.passage_id
    assert [r.decision for r in reviews.of(claim.passage_id)] == ["correct", "undo"]
    assert reviews.current_labels(claim.passage_id) is None and reviews.last("ana") is None
    assert [passage_id for passage_id, _ in reviews.by_passage()] == [claim.passage_id]


def test_the_admin_log_and_the_double_review_share(admin):
    admin.log("retrain", "boss", "a new model")
    admin.set_double_review_percent(25, "boss")
    assert admin.double_review_percent() == 25.0
    assert [(e.action, e.actor) for e in admin.entries()] == [
        ("setting", "boss"),
        ("retrain", "boss"),
    ]
    with pytest.raises(StoreError, match="admin action must be one of"):
        admin.log("delete", "boss", "")


def test_adjudications_warnings_and_labelled_passages(db, clock, documents, admin, reviews, queue):
    adjudications = Adjudications(db, stamp_of(clock), documents, admin)
    warnings = Warnings(db, stamp_of(clock), None, reviews, adjudications)
    labelled = Labelled(db, None, reviews, adjudications, warnings)
    reviews.record(queue.claim(1, "ana"), "confirm")
    reviews.record(queue.claim(1, "ben"), "correct", NOT_VIOLENT)
    (item,) = labelled.items()
    assert item.disputed and item.unresolved
    adjudications.record(1, "chief", GRAPHIC, "the second look")
    (item,) = labelled.items()
    assert item.adjudicated == GRAPHIC and not item.unresolved
    assert [(e.action, e.actor) for e in admin.entries()] == [("adjudicate", "chief")]
    (row,) = labelled.rows()
    assert (row["id"], row["severity"], row["reviewer"]) == ("d1#0", 3, "chief")
    (warning,) = warnings.of_documents()
    assert warning.suggested["level"] == "graphic" and warning.status == "suggested"
    warnings.record(1, "ed", "none", {"level": "none", "text": None})
    view, passages = warnings.view(1)
    assert view.status == "no warning needed" and passages[0]["labels"] == GRAPHIC


def test_rescoring_adds_another_versions_scores(db, clock, documents):
    rescoring = Rescoring(db, stamp_of(clock))
    assert rescoring.count_unscored("m2") == 2
    left = rescoring.unscored("m2", after=0, limit=1)
    assert [(passage_id, p.text) for passage_id, p in left] == [(1, TEXTS[0])]
    rescoring.add_scores("m2", [(1, passage(0, 0, TEXTS[0], 0.2))], THRESHOLDS)
    assert rescoring.scored_by() == {"m1": 2, "m2": 1}
    assert rescoring.count_unscored("m2") == 1


def test_maintenance_migrates_a_blank_file_once_checks_and_counts(tmp_path, clock):
    db = connect(tmp_path / "blank.db")
    documents = Documents(db, stamp_of(clock), None)
    admin = Administration(db, stamp_of(clock))
    queue = Queue(db, clock, stamp_of(clock), timedelta(0), documents, admin)
    maintenance = Maintenance(db, stamp_of(clock), Reviews(db, stamp_of(clock), documents, queue))
    assert maintenance.migrate() == [name for name, _ in MIGRATIONS]
    assert maintenance.migrate() == []
    documents.add(*record(), THRESHOLDS)
    assert maintenance.integrity() == []
    assert maintenance.counts() == {"documents": 1, "passages": 2, "reviews": 0}
    db.close()
