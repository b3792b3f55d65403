"""Adjudication, the admin log and double review on purpose, on a real SQLite file and a real
PostgreSQL server (issue 19, section 3)."""

from __future__ import annotations

import io
import json

import pytest

from labeler import score_text
from labeler.learn.dataset import reviewed_rows
from labeler.store.administration import DOUBLE_REVIEW, chosen_for_double_review
from labeler.store.export import write
from labeler.store.review import GRAPHIC, NOT_VIOLENT, VIOLENT_NOT_GRAPHIC, label_text
from labeler.store.store import QueueFilter, Store, StoreError
from tests.reviewing import decide
from tests.test_store import Clock

VIOLENT = "Soldiers shot {i} protesters in the square."
CALM = "The library of Northfield extended its opening hours for the {i}th time."
STORY = "\n\n".join((VIOLENT if i % 2 else CALM).format(i=i) for i in range(1, 41))


@pytest.fixture()
def store(store_target, model):
    s = Store(store_target, now=Clock())
    text = STORY
    s.documents.add(score_text(text, "story", model), text, model.thresholds)
    yield s
    s.close()


def test_an_adjudicated_label_is_final_for_training_and_export(store):
    decide(store, 1, "ana", "correct", GRAPHIC)
    decide(store, 1, "ben", "correct", NOT_VIOLENT)
    (item,) = store.labelled.items()
    assert item.disputed and item.unresolved
    rows, left_out = reviewed_rows(store.labelled.items())
    assert rows == [] and left_out == [1]  # unresolved: not trained on
    store.adjudications.record(1, "boss", VIOLENT_NOT_GRAPHIC, "shooting, not gore")
    (item,) = store.labelled.items()
    assert item.disputed and not item.unresolved and item.current == VIOLENT_NOT_GRAPHIC
    assert item.by_reviewer == {"ana": GRAPHIC, "ben": NOT_VIOLENT}  # what they said stays
    rows, left_out = reviewed_rows(store.labelled.items())
    assert left_out == [] and [(r.labels, r.severity) for r in rows] == [
        ({"violence": 1, "graphic": 0}, 2)
    ]
    out = io.StringIO()
    write(store.labelled.rows(), out, "jsonl")
    row = json.loads(out.getvalue())
    assert (row["severity"], row["reviewer"], row["note"]) == (2, "boss", "shooting, not gore")
    # a later review does not undo the settlement; a second adjudication is appended
    decide(store, 1, "cy", "correct", GRAPHIC)
    assert store.labelled.items()[0].current == VIOLENT_NOT_GRAPHIC
    store.adjudications.record(1, "chief", GRAPHIC)
    assert store.labelled.items()[0].current == GRAPHIC
    assert [a.adjudicator for a in store.adjudications.by_passage(1)[1]] == ["boss", "chief"]
    log = store.admin.entries()
    assert [(e.action, e.actor) for e in log] == [("adjudicate", "chief"), ("adjudicate", "boss")]
    assert f"{label_text(VIOLENT_NOT_GRAPHIC)} (shooting, not gore)" in log[1].detail
    assert store.maintenance.integrity() == []


def test_an_adjudication_needs_an_adjudicator_and_a_passage(store):
    with pytest.raises(StoreError, match="adjudicator"):
        store.adjudications.record(1, "  ", GRAPHIC)
    with pytest.raises(StoreError, match="no passage 999"):
        store.adjudications.record(999, "boss", GRAPHIC)
    assert store.adjudications.by_passage() == {} and store.admin.entries() == []


def test_the_admin_log_is_append_only_and_names_who_did_what(store):
    store.admin.log("retrain", "boss", "candidate v2: gate passed")
    store.admin.log("promote", "boss", "v2")
    with pytest.raises(StoreError, match="admin action must be one of"):
        store.admin.log("drop tables", "boss", "")
    with pytest.raises(StoreError, match="who did it"):
        store.admin.log("rollback", "", "")
    assert [(e.action, e.actor, e.detail) for e in store.admin.entries()] == [
        ("promote", "boss", "v2"),
        ("retrain", "boss", "candidate v2: gate passed"),
    ]
    with pytest.raises(Exception, match="(?i)check"):  # the table refuses other actions too
        store.db.execute(
            "INSERT INTO admin_log (action, actor, detail, at) VALUES ('delete', 'x', '', 'now')"
        )


def test_a_double_review_share_serves_first_labels_to_a_second_reviewer(store):
    assert store.admin.double_review_percent() == 0.0
    decide(store, 1, "ana", "confirm")
    assert store.queue.next("bob")["id"] == 2  # no share set: bob gets the next new passage
    store.admin.set_double_review_percent(100, "boss")
    decide(store, 3, "ana", "correct", GRAPHIC)
    served = store.queue.next("bob")  # document order would give passage 2 (or 4)
    assert served["id"] == 3
    assert store.queue.next("ana")["id"] != 3  # never to the first reviewer
    store.reviews.record(served["claim"], "correct", NOT_VIOLENT)
    assert store.queue.next("cy")["id"] not in (1, 3)  # two people labelled it: done
    assert [i.passage_id for i in store.labelled.items() if i.disputed] == [3]
    assert ("setting", "boss", "double review: 100% of passages") in [
        (e.action, e.actor, e.detail) for e in store.admin.entries()
    ]
    reasons = store.db.execute("SELECT passage_id, reason FROM second_looks").fetchall()
    assert [tuple(r) for r in reasons] == [(3, DOUBLE_REVIEW)]


def test_the_double_review_share_is_about_the_share_set_and_follows_the_filter(store):
    store.admin.set_double_review_percent(25, "boss")
    for passage_id in range(1, 41):
        decide(store, passage_id, "ana", "confirm")
    chosen = {p for p in range(1, 41) if chosen_for_double_review(p, 25)}
    assert 4 <= len(chosen) <= 16  # a quarter of 40, give or take the hash
    stored = {r[0] for r in store.db.execute("SELECT passage_id FROM second_looks")}
    assert stored == chosen
    flagged = [p for p in sorted(chosen) if "violence" in store.documents.passage(p)["flags"]]
    assert flagged and len(flagged) < len(chosen)  # the filter has something to tell apart
    served = store.queue.next("bob", queue=QueueFilter(label="violence"))
    assert served["id"] == flagged[0]
    with pytest.raises(StoreError, match="0 to 100"):
        store.admin.set_double_review_percent(150, "boss")
