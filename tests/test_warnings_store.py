"""Warnings follow the labels: the store's documents, their suggested warnings recomputed
from the passages' current labels, the editor's decisions over them, and the commands that
export them (`labeler warnings`, `labeler export`), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest

from labeler import score_text
from labeler.store.review import GRAPHIC, NOT_VIOLENT
from labeler.store.store import Store, StoreError
from tests.reviewing import decide

from .conftest import ROOT

SHOOTING = "Gunmen shot dead eleven villagers in a dawn raid on Tuesday, police said."
STABBING = "A man was stabbed outside a pub in Leeds.\n\nThe pub reopened on Friday."
SPORT = "United murdered them in the second half.\n\nThe keeper was shell-shocked after five goals."
CALM = "The council approved the library budget on Tuesday."


@pytest.fixture()
def store(store_target, model):
    """A store of four documents: a shooting, a stabbing, a football report the model
    flags, and a calm one."""
    s = Store(store_target)
    for key, text in [
        ("shooting", SHOOTING),
        ("stabbing", STABBING),
        ("sport", SPORT),
        ("calm", CALM),
    ]:
        record = score_text(text, key, model)
        record["source"] = {"path": f"wire/{key}.txt", "line": None}
        s.documents.add(record, text, model.thresholds)
    yield s
    s.close()


def warnings_by_key(store: Store) -> dict:
    return {w.id: w for w in store.warnings.of_documents()}


def flagged_passages(store: Store, key: str) -> list[int]:
    view = warnings_by_key(store)[key]
    _, passages = store.warnings.view(view.document_id)
    return [p["id"] for p in passages if p["model_flags"]]


def test_every_document_has_its_suggested_warning_and_counts(store):
    rows = warnings_by_key(store)
    assert list(rows) == ["shooting", "stabbing", "sport", "calm"]
    shooting = rows["shooting"]
    assert shooting.suggested == {
        "level": "violence",
        "text": "Contains descriptions of violence: shooting",
        "categories": ["shooting", "killing"],
    }
    assert (shooting.status, shooting.needs_decision, shooting.path) == (
        "suggested",
        True,
        "wire/shooting.txt",
    )
    assert (rows["stabbing"].passages, rows["stabbing"].waiting, rows["stabbing"].reviewed) == (
        2,
        2,
        0,
    )
    assert rows["stabbing"].headline == "A man was stabbed outside a pub in Leeds."
    assert rows["calm"].suggested["level"] == "none" and not rows["calm"].needs_decision
    assert rows["sport"].suggested["level"] == "violence"  # the model's mistake, for now


def test_a_reviewers_correction_changes_the_suggested_warning_at_once(store):
    """The football report's flagged passage marked not violent: no warning suggested; the
    shooting marked graphic: a graphic warning."""
    for passage_id in flagged_passages(store, "sport"):
        decide(store, passage_id, "rita", "correct", NOT_VIOLENT)
    (shot,) = flagged_passages(store, "shooting")
    decide(store, shot, "rita", "correct", GRAPHIC)
    rows = warnings_by_key(store)
    assert rows["sport"].suggested == {"level": "none", "text": None, "categories": []}
    assert not rows["sport"].needs_decision and rows["sport"].reviewed >= 1
    assert rows["shooting"].suggested["text"] == (
        "Contains graphic descriptions of violence: shooting"
    )


def test_an_adjudicated_label_stands_over_the_reviewers_in_the_warning(store):
    """Two reviewers disagree on the shooting (not violent, graphic); an adjudicator settles
    it as graphic: the warning is the adjudicated label's, whoever decided last."""
    (shot,) = flagged_passages(store, "shooting")
    decide(store, shot, "rita", "correct", GRAPHIC)
    store.adjudications.record(shot, "ada", GRAPHIC, "the wound is described")
    decide(store, shot, "ron", "correct", NOT_VIOLENT)
    assert warnings_by_key(store)["shooting"].suggested["level"] == "graphic"


def test_an_editors_decision_stands_over_the_suggestion_and_is_kept_append_only(store):
    shooting = warnings_by_key(store)["shooting"]
    store.warnings.record(shooting.document_id, "eda", "accept", shooting.suggested)
    accepted = warnings_by_key(store)["shooting"]
    assert (accepted.status, accepted.needs_decision) == ("accepted", False)
    assert accepted.decision.editor == "eda" and accepted.warning == shooting.suggested
    own = {"level": "graphic", "text": "Contains a massacre", "categories": ["shooting"]}
    store.warnings.record(shooting.document_id, "eli", "edit", own)
    edited = warnings_by_key(store)["shooting"]
    assert (edited.status, edited.warning, edited.decision.editor) == ("edited", own, "eli")
    none = {"level": "none", "text": None, "categories": []}
    store.warnings.record(shooting.document_id, "eda", "none", none)
    assert warnings_by_key(store)["shooting"].status == "no warning needed"
    history = store.db.execute(
        "SELECT reviewer, decision, level FROM document_reviews ORDER BY id"
    ).fetchall()
    assert [tuple(r) for r in history] == [
        ("eda", "accept", "violence"),
        ("eli", "edit", "graphic"),
        ("eda", "none", "none"),
    ]


def test_an_accepted_warning_needs_a_decision_again_when_the_labels_change_it(store):
    shooting = warnings_by_key(store)["shooting"]
    store.warnings.record(shooting.document_id, "eda", "accept", shooting.suggested)
    (shot,) = flagged_passages(store, "shooting")
    decide(store, shot, "rita", "correct", GRAPHIC)
    now = warnings_by_key(store)["shooting"]
    assert now.status == "accepted" and now.warning == shooting.suggested  # it still stands
    assert now.needs_decision and now.suggested["level"] == "graphic"


@pytest.mark.parametrize(
    "decision, warning, error",
    [
        ("accept", {"level": "graphic", "text": "x", "categories": ["gore"]}, "category 'gore'"),
        ("accept", {"level": "none", "text": "x", "categories": []}, "warning line"),
        ("edit", {"level": "violence", "text": "  ", "categories": []}, "warning line"),
        ("none", {"level": "violence", "text": "x", "categories": []}, "warning line"),
        ("shrug", {"level": "none", "text": None, "categories": []}, "decision must be"),
    ],
)
def test_a_warning_decision_that_makes_no_sense_is_refused_and_not_written(
    store, decision, warning, error
):
    document_id = warnings_by_key(store)["shooting"].document_id
    with pytest.raises(StoreError, match=error):
        store.warnings.record(document_id, "eda", decision, warning)
    with pytest.raises(StoreError, match="no document"):
        store.warnings.record(10_000, "eda", "none", {"level": "none", "text": None})
    with pytest.raises(StoreError, match="needs an editor"):
        store.warnings.record(document_id, " ", "none", {"level": "none", "text": None})
    assert store.db.execute("SELECT COUNT(*) FROM document_reviews").fetchone()[0] == 0


def test_a_warning_saved_before_decisions_had_a_kind_reads_as_the_editors_own(store):
    document_id = warnings_by_key(store)["shooting"].document_id
    with store.db.write():  # as the dashboard saved it before migration 0007
        store.db.execute(
            "INSERT INTO document_reviews (document_id, reviewer, level, warning, decided_at)"
            " VALUES (?, 'old', 'violence', 'Contains a shooting', '2026-11-01T00:00:00')",
            (document_id,),
        )
    old = warnings_by_key(store)["shooting"]
    assert (old.status, old.warning["text"], old.warning["categories"]) == (
        "edited",
        "Contains a shooting",
        [],
    )


def labeler(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "labeler", *args], cwd=ROOT, capture_output=True, text=True
    )


def reviewed_and_decided(store) -> None:
    """Reviews on two documents, an editor's decision on one; the others untouched."""
    for passage_id in flagged_passages(store, "sport"):
        decide(store, passage_id, "rita", "correct", NOT_VIOLENT)
    (shot,) = flagged_passages(store, "shooting")
    decide(store, shot, "rita", "correct", GRAPHIC)
    stabbing = warnings_by_key(store)["stabbing"]
    store.warnings.record(stabbing.document_id, "eda", "accept", stabbing.suggested)


def test_labeler_warnings_exports_one_row_per_document_undecided_ones_suggested(
    store, store_target
):
    reviewed_and_decided(store)
    out = labeler("warnings", "--store", store_target)
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip() == "labeler: exported 4 document warnings to stdout"
    rows = {r["id"]: r for r in map(json.loads, out.stdout.splitlines())}
    shooting, stabbing, sport = rows["shooting"], rows["stabbing"], rows["sport"]
    assert (shooting["status"], shooting["level"], shooting["decided_by"]) == (
        "suggested",
        "graphic",
        None,
    )
    assert shooting["warning"] == "Contains graphic descriptions of violence: shooting"
    assert (shooting["reviewed"], shooting["waiting"], shooting["path"]) == (
        1,
        0,
        "wire/shooting.txt",
    )
    assert (stabbing["status"], stabbing["decided_by"], stabbing["needs_decision"]) == (
        "accepted",
        "eda",
        False,
    )
    assert stabbing["decided_at"] and stabbing["categories"] == ["stabbing"]
    assert (sport["status"], sport["level"], sport["warning"]) == ("suggested", "none", None)
    csv_out = labeler("warnings", "--store", store_target, "--format", "csv")
    table = list(csv.DictReader(io.StringIO(csv_out.stdout)))
    assert [r["status"] for r in table] == ["suggested", "accepted", "suggested", "suggested"]
    assert table[0]["categories"] == "shooting killing" and table[0]["level"] == "graphic"


def test_labeler_export_carries_each_documents_warning_as_it_stands(store, store_target):
    """An undecided document's rows carry the suggestion from the current labels and say
    so: never level "none" for a graphic story because no editor saved one."""
    reviewed_and_decided(store)
    out = labeler("export", "--store", store_target)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    shooting = next(r for r in rows if r["id"] == "shooting#0")
    assert shooting["warning"] == {
        "level": "graphic",
        "text": "Contains graphic descriptions of violence: shooting",
        "categories": ["shooting", "killing"],
        "status": "suggested",
    }
    sport = next(r for r in rows if r["id"].startswith("sport#"))
    assert sport["warning"]["level"] == "none" and sport["warning"]["status"] == "suggested"
