"""The review store and review logic, on a real SQLite file and a real PostgreSQL server,
without Streamlit."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from labeler import score_text
from labeler.labels import LABELS
from labeler.store.migrations import MIGRATIONS
from labeler.store.review import GRAPHIC, NOT_VIOLENT, VIOLENT_NOT_GRAPHIC, Labels
from labeler.store.store import QueueFilter, Store, StoreError
from tests.reviewing import Clock, decide, undo_last

TABLES = ("documents", "passages", "scores")
VIOLENT = "Gunmen stormed the village at dawn and shot dead eleven people."
CALM = "The council approved a new budget for the library."
THREAT = "He said he would hurt her if she told anyone."  # under the flag, at the review point


@pytest.fixture()
def store(store_target, model):
    s = Store(store_target, now=Clock())
    yield s
    s.close()


def add(store, model, doc_id, text):
    record = score_text(text, doc_id, model)
    store.documents.add(record, text, model.thresholds)
    return record


SCHEMA = {
    "documents": [
        "id", "record_id", "text_hash", "source_path", "source_line", "fields", "added_at",
        "record_id_hash",
    ],
    "passages": ["id", "document_id", "index", "start", "end", "text"],
    "scores": [
        "passage_id", "model", "violence", "graphic", "flags", "severity", "evidence",
        "scored_at", "top", "margin", "queue_state", "review",
    ],
    "reviews": [
        "id", "passage_id", "reviewer", "decision", "violence", "graphic", "severity", "note",
        "model", "decided_at", "claim",
    ],
    "claims": ["passage_id", "reviewer", "expires_at", "token", "claimed_at"],
    "document_reviews": [
        "id", "document_id", "reviewer", "level", "warning", "decided_at", "decision", "categories",
    ],
    "document_reviews_by_document": [],
    "scores_by_state": [],
    "second_looks": ["passage_id", "reason", "flagged_at"],
    "migrations": ["name", "applied_at"],
    "reviews_by_passage": [],
    "waiting_by_passage": [],
    "waiting_by_top": [],
    "waiting_by_margin": [],
    "documents_by_added_at": [],
    "documents_by_record_id_hash": [],
    "reviews_by_reviewer": [],
    "reviewer_progress": ["reviewer_hash", "reviewer", "labelled"],
    "adjudications": [
        "id", "passage_id", "adjudicator", "violence", "graphic", "severity", "note", "decided_at",
    ],
    "adjudications_by_passage": [],
    "admin_log": ["id", "action", "actor", "detail", "at"],
    "store_settings": ["name", "value", "set_by", "set_at"],
}  # fmt: skip


def test_blank_database_migrates_to_the_exact_schema(store_target):
    store = Store(store_target)
    assert store.db.schema() == SCHEMA
    assert [r[0] for r in store.db.execute("SELECT name FROM migrations")] == [
        name for name, _ in MIGRATIONS
    ]
    assert store.maintenance.migrate() == []  # idempotent
    assert store.maintenance.integrity() == []
    with pytest.raises(Exception, match="(?i)check"):  # the decision CHECK constraint holds
        store.db.execute(
            "INSERT INTO reviews (passage_id, reviewer, decision, decided_at)"
            " VALUES (1, 'ana', 'approve', 'now')"
        )
    if store.db.dialect == "sqlite":
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()


def served(store, queue: QueueFilter) -> set[int]:
    """Every passage the queue ``queue`` serves, claimed one by one and then given back."""
    claims = []
    while (next_one := store.queue.next("ana", order="score", queue=queue)) is not None:
        claims.append(next_one["claim"])
    for claim in claims:
        store.queue.release(claim)
    return {claim.passage_id for claim in claims}


def test_the_store_keeps_review_labels_and_the_queue_serves_flagged_or_to_review(store, model):
    records = {k: add(store, model, k, text) for k, text in (("v", VIOLENT), ("t", THREAT),
                                                             ("c", CALM))}  # fmt: skip
    assert records["t"]["review"] and not records["t"]["flags"]  # the cases this test needs
    assert records["v"]["flags"] and not records["c"]["review"]
    ids = {k: store.documents.passage_id(k, 0) for k in records}
    for k, record in records.items():
        assert store.documents.passage(ids[k])["review"] == record["passages"][0]["review"]
    assert served(store, QueueFilter(to_review=True)) == {ids["v"], ids["t"]}
    for label in LABELS:  # a label chosen: that label's review point
        wanted = {ids[k] for k, record in records.items() if label in record["review"]}
        assert served(store, QueueFilter(label=label, to_review=True)) == wanted
    assert served(store, QueueFilter()) == set(ids.values())  # the filter off: every passage
    assert store.queue.claimed("score", QueueFilter(to_review=True)) == 0


def test_adding_is_idempotent_and_rescoring_keeps_reviews(store, model):
    record = add(store, model, "d1", f"{VIOLENT}\n\n{CALM}")
    add(store, model, "d1", f"{VIOLENT}\n\n{CALM}")
    assert store.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 1
    assert store.db.execute("SELECT COUNT(*) FROM passages").fetchone()[0] == 2
    decide(store, 1, "ana", "correct", GRAPHIC)
    rescored = dict(record, model="next-version")
    store.documents.add(rescored, f"{VIOLENT}\n\n{CALM}", model.thresholds)
    assert store.db.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == 4
    assert store.reviews.current_labels(1) == GRAPHIC


def test_a_batch_mixing_new_old_and_repeated_documents_stores_each_once(store, model):
    add(store, model, "old", f"{VIOLENT}\n\n{CALM}")
    decide(store, 1, "ana", "correct", GRAPHIC)
    texts = {"old": f"{VIOLENT}\n\n{CALM}", "new": CALM, "another": VIOLENT}
    batch = [(score_text(t, k, model), t) for k, t in texts.items()]
    rescored = dict(batch[0][0], model="next-version")
    store.documents.add_many([*batch, batch[1], (rescored, texts["old"])], model.thresholds)
    counts = {t: store.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}
    assert counts == {"documents": 3, "passages": 4, "scores": 6}
    assert store.reviews.current_labels(1) == GRAPHIC
    assert store.queue.next("ben")["id"] != 1  # the reviewed passage stays out of the queue


def test_confirm_correct_skip_and_undo(store, model):
    add(store, model, "d1", VIOLENT)
    decide(store, 1, "ana", "confirm")
    assert store.reviews.current_labels(1) == Labels(1, 0, store.documents.passage(1)["severity"])
    decide(store, 1, "ana", "correct", VIOLENT_NOT_GRAPHIC, note="a shooting report")
    assert store.reviews.current_labels(1) == VIOLENT_NOT_GRAPHIC
    undo_last(store, "ana")
    assert store.reviews.current_labels(1).violence == 1  # back to the confirm
    undo_last(store, "ana")
    assert store.reviews.current_labels(1) is None
    decide(store, 1, "ana", "skip")
    assert store.reviews.current_labels(1) is None
    assert [r.decision for r in store.reviews.of(1)] == [
        "confirm",
        "correct",
        "undo",
        "undo",
        "skip",
    ]


def test_bad_reviews_are_refused_and_nothing_is_written(store, model):
    add(store, model, "d1", VIOLENT)
    with pytest.raises(StoreError, match="decision must be one of"):
        decide(store, 1, "ana", "approve")
    with pytest.raises(StoreError, match="needs the corrected labels"):
        decide(store, 1, "ana", "correct")
    with pytest.raises(StoreError, match="no passage 99"):
        decide(store, 99, "ana", "confirm")
    with pytest.raises(ValueError, match="graphic implies violence"):
        Labels(0, 1, 3)
    assert store.reviews.of(1) == []


def test_two_reviewers_never_hold_the_same_passage_and_claims_expire(store, model):
    add(store, model, "d1", f"{VIOLENT}\n\n{CALM}")
    first = store.queue.next("ana")
    second = store.queue.next("ben")
    assert first["id"] != second["id"]
    assert store.queue.next("cy") is None
    store.now.t += timedelta(minutes=11)
    assert store.queue.next("cy")["id"] in {first["id"], second["id"]}


def test_export_rows_follow_the_training_schema_and_disagreement_is_seen(store, model):
    add(store, model, "d1", VIOLENT)
    decide(store, 1, "ana", "correct", GRAPHIC)
    decide(store, 1, "ben", "correct", NOT_VIOLENT)
    assert store.labelled.items()[0].disputed
    (row,) = store.labelled.rows()
    assert row["text"] == VIOLENT and row["reviewer"] == "ben" and row["violence"] == 0
    assert set(row) == {
        "id",
        "text",
        "violence",
        "graphic",
        "severity",
        "reviewer",
        "decided_at",
        "note",
        "model",
        "model_scores",
        "warning",
    }


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.text(min_size=1, max_size=300))
def test_any_unicode_round_trips_through_the_store(store, model, text):
    key = f"doc\u202e<script>{uuid.uuid4()}"
    record = score_text(text, key, model)
    store.documents.add(record, text, model.thresholds)
    for p in record["passages"]:
        stored = store.documents.passage(store.documents.passage_id(key, p["index"]))
        assert stored["text"] == p["text"].replace("\x00", "\ufffd") and stored["record_id"] == key
        assert text[stored["start"] : stored["end"]] == p["text"]


def test_nul_and_lone_surrogates_are_stored_as_replacement_characters(store, model):
    text = "Gunmen shot\x00 two men.\ud800"  # as JSON escapes can produce; PostgreSQL refuses NUL
    store.documents.add(score_text(text, "d1", model), text, model.thresholds)
    stored = store.documents.passage(1)
    assert stored["text"] == "Gunmen shot\ufffd two men.\ufffd"
    assert len(stored["text"]) == stored["end"] - stored["start"]  # offsets hold
    store.documents.add(score_text(text, "d1", model), text, model.thresholds)  # still idempotent
    assert store.db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 1


def test_score_into_the_store_twice_then_export_csv_and_jsonl(tmp_path, store_target):
    import csv
    import json
    import subprocess
    import sys

    from .conftest import ROOT

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "=cmd()", "text": f"{VIOLENT}\n\n{CALM}"}) + "\n")
    db = store_target

    def labeler(*args):
        return subprocess.run(
            [sys.executable, "-m", "labeler", *map(str, args)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )

    for _ in range(2):  # idempotent: a re-run adds nothing
        assert labeler("score", src, "--store", db, "--quiet").returncode == 0
    store = Store(db)
    assert store.db.execute("SELECT COUNT(*) FROM passages").fetchone()[0] == 2
    decide(store, 1, "ana", "correct", GRAPHIC, note="<img onerror=alert(1)>")
    store.close()
    out_csv, out_jsonl = tmp_path / "r.csv", tmp_path / "r.jsonl"
    assert labeler("export", "--store", db, "-o", out_csv).returncode == 0
    assert labeler("export", "--store", db, "-o", out_jsonl).returncode == 0
    (row,) = list(csv.DictReader(out_csv.open()))
    assert row["id"] == "'=cmd()#0" and row["graphic"] == "1" and row["reviewer"] == "ana"
    (record,) = [json.loads(x) for x in out_jsonl.read_text().splitlines()]
    assert record["text"] == VIOLENT and record["severity"] == 3
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")) == []


def test_statistics_from_reviews(store, model):
    from labeler.store.agreement import statistics

    add(store, model, "d1", f"{VIOLENT}\n\n{CALM}")
    decide(store, 1, "ana", "confirm")  # model flagged violence: confirmed
    decide(store, 1, "ben", "correct", NOT_VIOLENT)  # ben disagrees
    decide(store, 2, "ana", "correct", NOT_VIOLENT)  # calm, not flagged: agrees
    stats = statistics(store.labelled.items())
    violence = stats["labels"]["violence"]
    assert stats["reviewed"] == 2 and stats["unresolved"] == [1] and stats["resolved"] == []
    # n beside every figure; two passages are too few for any of them
    assert (violence["precision"].n, violence["agreement"].n, violence["kappa"].n) == (1, 2, 1)
    assert not any(e.enough or e.value is not None for e in violence.values())


def test_queue_orders_and_filters(store, model):
    from labeler.store.store import QueueFilter

    add(store, model, "d1", f"{CALM}\n\n{VIOLENT}")
    by_score = store.queue.next("ana", order="score")
    assert by_score["text"] == VIOLENT
    store.db.execute("DELETE FROM claims")
    only_calm = QueueFilter(score_band=(0.0, 0.3))
    assert store.queue.next("ana", queue=only_calm)["text"] == CALM
    store.db.execute("DELETE FROM claims")
    t = model.thresholds  # the scoring model's, given when the documents were added
    margin = {
        p["text"]: min(abs(p["violence"] - t["violence"]), abs(p["graphic"] - t["graphic"]))
        for p in (store.documents.passage(1), store.documents.passage(2))
    }
    closest = min(margin, key=margin.get)
    assert store.queue.next("ana", order="uncertain")["text"] == closest
    store.db.execute("DELETE FROM claims")
    assert store.queue.next("ana", queue=QueueFilter(label="violence"))["text"] == VIOLENT
    assert store.queue.choices()["model"] == [model.version]


@pytest.mark.parametrize("evil", ["x' OR '1'='1", "'; DROP TABLE reviews; --", "%", "_"])
def test_injection_strings_in_filters_match_nothing_and_harm_nothing(store, model, evil):
    from labeler.store.store import QueueFilter

    add(store, model, "d1", VIOLENT)
    assert store.queue.next("ana", queue=QueueFilter(source_path=evil)) is None
    assert store.queue.next("ana", queue=QueueFilter(model=evil)) is None
    with pytest.raises(StoreError, match="label must be one of"):
        QueueFilter(label=evil)
    assert store.db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 0
    assert store.queue.next(evil)["text"] == VIOLENT  # a reviewer name is just data


def test_score_into_store_keeps_good_records_and_reports_bad_ones(store, tmp_path):
    from labeler.batch.documents import ReadOptions
    from labeler.batch.into_store import score_into_store
    from labeler.batch.sources import read_inputs

    src = tmp_path / "upload.jsonl"
    src.write_text('{"id": "a", "text": "Gunmen shot dead two men."}\nnot json\n{"id": "b"}\n')
    stats, messages = score_into_store(read_inputs([str(src)], ReadOptions()), store)
    assert stats.documents == 1 and stats.errors == 2
    assert messages[0].startswith(f"{src}:2: malformed JSON")
    assert store.db.execute("SELECT record_id FROM documents").fetchall()[0][0] == "a"


def test_active_order_is_uncertain_first_but_skips_near_duplicates(store, model):
    dup = "Troops fired on the crowd in the main square, killing {} people, witnesses said."
    for i in range(5):
        add(store, model, f"dup{i}", dup.format(i + 2))
    add(store, model, "other", "A bus carrying pilgrims was attacked on the highway at night.")
    store.db.execute("UPDATE scores SET margin = passage_id * 0.01")  # dup0 most uncertain
    store.db.execute("UPDATE scores SET margin = 0.5 WHERE passage_id = 6")  # the odd one last
    first = store.queue.next("ana", order="active")
    decide(store, first["id"], "ana", "skip")
    second = store.queue.next("ana", order="active")
    assert first["id"] == 1 and second["id"] == 6  # not another copy of the same report
    assert store.queue.next("ben", order="uncertain")["id"] == 2  # plain order takes the copy


def test_second_looks_go_to_a_different_reviewer_once(store, model):
    add(store, model, "d1", VIOLENT)
    decide(store, 1, "ana", "correct", NOT_VIOLENT)
    assert store.queue.next_second_look("ben") is None
    store.queue.flag_for_second_look(1, "model says violence 0.97")
    assert store.queue.next_second_look("ana") is None  # not the reviewer who made the call
    assert store.queue.next_second_look("ben")["id"] == 1
    decide(store, 1, "ben", "confirm")
    assert store.queue.next_second_look("cy") is None  # a second person has looked
    assert store.labelled.items()[0].disputed


def test_an_unreachable_store_is_a_clear_error_with_the_password_masked(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "reviewed.jsonl"
    url = "postgresql://editor:s3cret@127.0.0.1:1/reviews"  # nothing listens on port 1
    result = subprocess.run(
        [sys.executable, "-m", "labeler", "export", "--store", url, "-o", str(out)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "cannot open the review store postgresql://editor:***@127.0.0.1:1/reviews" in (
        result.stderr
    )
    assert "s3cret" not in result.stderr and "Traceback" not in result.stderr
    assert not out.exists()
    src = tmp_path / "in.txt"
    src.write_text(VIOLENT)
    scored = tmp_path / "scored.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "labeler", "score", str(src), "--store", url, "-o", str(scored)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "cannot open the review store" in result.stderr
    assert list(tmp_path.glob("scored*")) == []  # no output, not even a partial one
    notes = tmp_path / "notes.db"
    notes.write_text("some notes, not a database")
    with pytest.raises(StoreError, match="file is not a database"):
        Store(notes)


def test_the_integrity_check_reports_an_orphaned_review(tmp_path):
    store = Store(tmp_path / "review.db")
    store.db.execute("PRAGMA foreign_keys=OFF")  # as a hand edit or an old bug might leave it
    store.db.execute(
        "INSERT INTO reviews (passage_id, reviewer, decision, decided_at)"
        " VALUES (42, 'ana', 'skip', 'now')"
    )
    problems = store.maintenance.integrity()
    assert "1 reviews rows refer to a missing passages row" in problems
    assert any("reviews row 1 refers to a missing passages row" in p for p in problems)
    store.close()


# PostgreSQL only: SQLite's busy handler waits 30 s before a retry would be needed
@pytest.mark.parametrize("store_target", ["postgresql"], indirect=True)
def test_a_write_that_meets_a_held_lock_is_retried_not_failed(store_target, model):
    """On PostgreSQL with a 50 ms lock timeout, another session holds the write lock for
    0.6 s: the decision waits out several timeouts with backoff, then lands once."""
    import threading
    import time

    from labeler.store.postgres import WRITE_LOCK

    store = Store(f"{store_target}%20-clock_timeout%3D50")  # options: search_path, lock_timeout
    add(store, model, "d1", VIOLENT)
    holder = Store(store_target)
    locked = threading.Event()

    def hold() -> None:
        with holder.db.write():
            holder.db.execute("SELECT pg_advisory_xact_lock(?)", (WRITE_LOCK,))
            locked.set()
            time.sleep(0.6)

    thread = threading.Thread(target=hold)
    thread.start()
    locked.wait(5)
    started = time.monotonic()
    decide(store, 1, "ana", "confirm")
    assert time.monotonic() - started >= 0.4  # it did wait for the holder...
    thread.join()
    assert [r.decision for r in store.reviews.of(1)] == ["confirm"]  # ...and landed once
    store.close()
    holder.close()


def test_labeler_check_reports_counts_and_integrity(store_target, tmp_path):
    import subprocess
    import sys

    def check():
        return subprocess.run(
            [sys.executable, "-m", "labeler", "check", "--store", store_target],
            capture_output=True,
            text=True,
        )

    src = tmp_path / "in.txt"
    src.write_text(f"{VIOLENT}\n\n{CALM}")
    subprocess.run([sys.executable, "-m", "labeler", "score", str(src), "--store", store_target,
                    "--quiet"], check=True, capture_output=True)  # fmt: skip
    result = check()
    assert result.returncode == 0, result.stderr
    assert "1 documents, 2 passages, 0 reviews; integrity ok" in result.stdout
    if store_target.endswith(".db"):  # damage it as a hand edit might (SQLite lets one)
        store = Store(store_target)
        store.db.execute("PRAGMA foreign_keys=OFF")
        store.db.execute("DELETE FROM documents")
        store.close()
        result = check()
        assert result.returncode == 1
        assert "2 passages rows refer to a missing documents row" in result.stderr


def test_thresholds_are_required_when_adding_documents(store, model):
    """The queue's uncertainty is measured from the scoring model's thresholds: no default
    of 0.5 silently stands in for them."""
    record = score_text(VIOLENT, "d1", model)
    with pytest.raises(TypeError):
        store.documents.add(record, VIOLENT)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        store.documents.add_many([(record, VIOLENT)])  # type: ignore[call-arg]
    store.documents.add(record, VIOLENT, model.thresholds)
    (margin,) = store.db.execute("SELECT margin FROM scores").fetchone()
    t = model.thresholds
    p = record["passages"][0]["scores"]
    assert margin == pytest.approx(min(abs(p[k] - t[k]) for k in t))
