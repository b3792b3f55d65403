"""The review store used the careless, busy and hostile way (issue 16, the store's items):
overridden thresholds, a rolled-back model, a read-only copy, a held write lock, a review
landing mid-read, huge document ids, a lost server or file, and the cost of a key press
and of a re-scored archive. Real SQLite files, the real PostgreSQL server, the real CLI
in a subprocess, the real app under AppTest; another process holds a lock for real."""

from __future__ import annotations

import json
import os
import random
import shutil
import string
import subprocess
import sys
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from labeler import score_text
from labeler.scoring import score_documents
from labeler.store.review import GRAPHIC, NOT_VIOLENT, Review, standing
from labeler.store.store import QueueFilter, Store, StoreError
from tests.reviewing import Clock, decide, press, undo_last

from .conftest import POSTGRES, ROOT

VIOLENT = "Gunmen stormed the village at dawn and shot dead eleven people."
GORY = "The man was stabbed again and again and bled to death in the alley, his throat cut."
CALM = "The council approved a new budget for the library."
THREAT = "He said he would hurt her if she told anyone."  # under the flag, at the review point
REVIEW_LABELS = "0013_review_labels"


def labeler(*args: str, timeout: float = 120, **env: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, from the checkout root."""
    return subprocess.run(
        [sys.executable, "-m", "labeler", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
        env={**os.environ, **env},
    )


def add_texts(store: Store, model, texts: dict[str, str]) -> None:
    records = score_documents(list(texts.items()), model)
    store.documents.add_many(list(zip(records, texts.values(), strict=True)), model.thresholds)


def store_rows(db: Path) -> list[tuple]:
    """What the store holds of each passage's score, in a stable order."""
    with Store(db) as store:
        return [
            tuple(row)
            for row in store.db.execute(
                'SELECT d.record_id, p."index", s.model, s.flags, s.severity, s.evidence'
                " FROM scores s JOIN passages p ON p.id = s.passage_id"
                ' JOIN documents d ON d.id = p.document_id ORDER BY d.record_id, p."index"'
            )
        ]


# 5. --threshold with --store ---------------------------------------------------------


def test_a_threshold_override_filters_the_output_and_the_store_keeps_the_models_flags(
    tmp_path,
):
    src = tmp_path / "in.jsonl"
    docs = {"calm": CALM, "violent": VIOLENT, "gory": GORY}
    src.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in docs.items()))
    over, plain = (
        labeler("score", str(src), *options, "--store", str(tmp_path / f"{name}.db"),
                "-o", str(tmp_path / f"{name}.jsonl"), "--quiet")
        for name, options in (("over", ["--threshold", "graphic=0.01"]), ("plain", []))
    )  # fmt: skip
    assert over.returncode == 0 and plain.returncode == 0, over.stderr + plain.stderr

    def graphic(name: str) -> set[str]:
        lines = (tmp_path / name).read_text().splitlines()
        return {r["id"] for r in map(json.loads, lines) if "graphic" in r["flags"]}

    assert graphic("over.jsonl") > graphic("plain.jsonl")  # the output follows the override
    assert store_rows(tmp_path / "over.db") == store_rows(tmp_path / "plain.db")


# 6. the model in use, after a rollback ------------------------------------------------


@pytest.fixture()
def rolled_back(tmp_path, model, monkeypatch):
    """A store whose passage was scored by the shipped model (the one in use) and, later,
    by a version that has since been rolled back and that flagged nothing."""
    db = tmp_path / "review.db"
    monkeypatch.setenv("LABELER_DB", str(db))
    with Store(db) as store:
        record = score_text(VIOLENT, "d1", model)
        store.documents.add(record, VIOLENT, model.thresholds)
        passages = [
            {**p, "scores": {"violence": 0.02, "graphic": 0.0}, "flags": [], "severity": 0,
             "evidence": []}
            for p in record["passages"]
        ]  # fmt: skip
        newer = {**record, "model": "2099-rolled-back", "flags": [], "severity": 0,
                 "passages": passages}  # fmt: skip
        store.documents.add(newer, VIOLENT, model.thresholds)
    return db


def test_the_store_serves_the_scores_of_the_model_in_use_then_the_newest(rolled_back, model):
    with Store(rolled_back, model=model.version) as store:
        assert store.documents.passage(1)["model"] == model.version
        assert store.documents.passage(1)["flags"] == ["violence"]
    with Store(rolled_back, model="never-scored-anything") as store:
        assert store.documents.passage(1)["model"] == "2099-rolled-back"  # falls back: newest


def test_the_dashboard_shows_and_confirm_records_the_model_in_use(rolled_back, model):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    at.sidebar.radio(key="order").set_value("Document order")
    at.sidebar.text_input(key="reviewer").input("ana").run()
    shown = " ".join(m.value for m in at.markdown)
    assert f"model {model.version}" in shown and "2099-rolled-back" not in shown
    press(at, "Y")
    with Store(rolled_back) as store:
        (review,) = store.reviews.of(1)
        (version,) = store.db.execute("SELECT model FROM reviews").fetchone()
    assert version == model.version
    assert review.labels is not None and review.labels.violence == 1  # the model's own flag


# 14. a read-only store ----------------------------------------------------------------


def on_read_only_mount(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``labeler ARGS`` with ``folder`` read-only: a read-only bind mount in a mount
    namespace of its own when run as root (file modes do not stop root), else file modes."""
    command = [sys.executable, "-m", "labeler", *args]
    if os.geteuid() != 0:
        folder.chmod(0o555)
        for path in folder.iterdir():
            path.chmod(0o444)
        try:
            return subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=120)
        finally:
            folder.chmod(0o755)
    if shutil.which("unshare") is None:
        pytest.fail("running as root, a read-only mount needs unshare (util-linux)")
    script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && exec "$@"'
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(folder), *command],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_a_store_on_a_read_only_mount_is_checked_and_exported(tmp_path, model):
    backup = tmp_path / "backup"
    backup.mkdir()
    db = backup / "review.db"
    with Store(db, now=Clock()) as store:
        add_texts(store, model, {"d1": f"{VIOLENT}\n\n{CALM}"})
        decide(store, 1, "ana", "correct", GRAPHIC)
    assert sorted(p.name for p in backup.iterdir()) == ["review.db"]  # a closed, clean copy
    check = on_read_only_mount(backup, "check", "--store", str(db))
    assert check.returncode == 0, check.stdout + check.stderr
    assert "1 documents, 2 passages, 1 reviews; integrity ok (read-only)" in check.stdout
    assert "damaged" not in check.stdout + check.stderr
    out = tmp_path / "reviewed.jsonl"
    export = on_read_only_mount(backup, "export", "--store", str(db), "-o", str(out))
    assert export.returncode == 0, export.stderr
    (row,) = map(json.loads, out.read_text().splitlines())
    assert row["id"] == "d1#0" and row["graphic"] == 1
    assert sorted(p.name for p in backup.iterdir()) == ["review.db"]  # nothing written there


@pytest.mark.parametrize(
    "name", ["a b?x=1#f%20.db", "\u00e9\U0001f600.db", os.fsdecode(b"bad\xff name.db")]
)
def test_a_store_named_like_a_uri_or_not_utf8_opens_as_that_file(tmp_path, name):
    """The store is opened by URI (so that "must exist" and "read-only" are the engine's own
    modes): a name with URI syntax or bytes that are not UTF-8 still names its file."""
    path = tmp_path / name
    Store(path).close()
    with Store(path, create=False) as store, Store(path, reading=True) as reader:
        assert (
            store.maintenance.counts()
            == reader.maintenance.counts()
            == {"documents": 0, "passages": 0, "reviews": 0}
        )
    assert os.listdir(os.fsencode(tmp_path)) == [os.fsencode(name)]


# 15. a held write lock ----------------------------------------------------------------

HOLD = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("held", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


@contextmanager
def write_lock_held(db: Path):
    """Another process holding the store's write lock, as a sqlite3 shell's BEGIN
    IMMEDIATE or a long import does, until the block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        yield
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=30)


@pytest.fixture()
def reviewed_db(tmp_path, model, monkeypatch):
    db = tmp_path / "review.db"
    monkeypatch.setenv("LABELER_DB", str(db))
    with Store(db, now=Clock()) as store:
        add_texts(store, model, {"d1": f"{VIOLENT}\n\n{CALM}", "d2": GORY})
        decide(store, 1, "ana", "correct", GRAPHIC)
    return db


def test_check_and_export_read_a_store_another_process_holds_locked(reviewed_db, tmp_path):
    out = tmp_path / "reviewed.jsonl"
    with write_lock_held(reviewed_db):
        check = labeler("check", "--store", str(reviewed_db), timeout=60)
        export = labeler("export", "--store", str(reviewed_db), "-o", str(out), timeout=60)
    assert check.returncode == 0, check.stderr
    assert "3 passages, 1 reviews; integrity ok" in check.stdout
    assert "damaged" not in check.stdout + check.stderr
    assert export.returncode == 0, export.stderr
    assert len(out.read_text().splitlines()) == 1


def test_a_write_to_a_locked_store_waits_a_bounded_time_and_says_locked(reviewed_db):
    with write_lock_held(reviewed_db):
        with Store(reviewed_db, lock_wait=0.5) as store:  # opening reads, and does not wait
            assert store.queue.progress("ana")["by_you"] == 1
            with pytest.raises(StoreError, match=r"is locked by another process") as raised:
                store.queue.next("ben")
    assert str(reviewed_db) in str(raised.value) and "damaged" not in str(raised.value)


def test_the_dashboard_reads_a_locked_store_and_says_so_when_it_must_write(
    reviewed_db, monkeypatch
):
    monkeypatch.setenv("LABELER_LOCK_WAIT", "0.5")
    ana = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    ana.run()
    ana.sidebar.text_input(key="reviewer").input("ana").run()  # a passage on screen
    with write_lock_held(reviewed_db):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.run()
        at.sidebar.radio(key="page").set_value("Statistics").run()
        assert not at.exception
        assert any("1 passages with a current label" in c.value for c in at.caption)
        at.sidebar.radio(key="page").set_value("Review").run()
        at.sidebar.text_input(key="reviewer").input("ben").run()
        assert not at.exception
        assert any("locked by another process" in e.value for e in at.error)
        press(ana, "Y")  # a decision meets the lock: a notice, and the passage stays
        assert not ana.exception
        assert any("locked by another process" in t.value for t in ana.toast)
    with Store(reviewed_db) as store:
        assert store.maintenance.counts()["reviews"] == 1


# 16. a review landing while the reviewed passages are read -----------------------------


def test_a_review_landing_mid_read_is_in_all_of_the_reading_or_in_none_of_it(tmp_path, model):
    db = tmp_path / "review.db"
    texts = {f"d{i}": f"Report {i}: gunmen shot {i} villagers in the market." for i in range(12)}
    with Store(db, now=Clock()) as store:
        add_texts(store, model, texts)
        decide(store, 1, "ana", "correct", GRAPHIC)
    reader, writer = Store(db), Store(db, now=Clock())
    waiting = list(range(2, 13))
    landed = []

    def land(sql: str) -> None:  # another reviewer decides a passage as each read begins
        if sql.lstrip().upper().startswith("SELECT") and waiting:
            landed.append(decide(writer, waiting.pop(0), "ben", "correct", GRAPHIC))

    reader.db.conn.set_trace_callback(land)
    exported = list(reader.labelled.rows())
    items = reader.labelled.items()
    reader.db.conn.set_trace_callback(None)
    assert len(landed) >= 4  # reviews landed between reads, on both walks
    assert len({r["id"] for r in exported}) == len(exported) >= 1
    assert all(r["graphic"] == 1 for r in exported) and len(items) >= len(exported)
    reader.close()
    writer.close()


def test_a_snapshot_does_not_see_what_lands_during_it(store_target, model):
    with Store(store_target, now=Clock()) as store, Store(store_target, now=Clock()) as other:
        add_texts(store, model, {"d1": VIOLENT, "d2": CALM})
        with store.db.snapshot():
            before = store.db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
            decide(other, 1, "ben", "confirm")
            during = store.db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
        after = store.db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0]
    assert (before, during, after) == (0, 0, 1)


# 17. long document ids, a lost server, and the upgrade of today's stores ---------------


def test_a_document_id_of_any_length_is_stored_once_and_found(store_target, model):
    texts = {long_id(4000): VIOLENT, "\u00e9" * 5000: CALM, "short": GORY}
    with Store(store_target) as store:
        add_texts(store, model, texts)
        add_texts(store, model, texts)  # again: nothing added
        assert store.maintenance.counts() == {"documents": 3, "passages": 3, "reviews": 0}
        found = store.documents.passage(store.documents.passage_id("\u00e9" * 5000, 0))
        assert found["record_id"] == "\u00e9" * 5000 and found["text"] == CALM


def long_id(length: int) -> str:
    """A URL-like id that does not compress (PostgreSQL compresses index entries)."""
    rng = random.Random(length)
    return "https://example.org/?q=" + "".join(rng.choices(string.ascii_letters, k=length))


def backend_of(url: str, application_name: str, timeout: float = 60) -> int:
    """The PostgreSQL backend serving the session named ``application_name``."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as admin:
        while time.monotonic() < deadline:
            row = admin.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                (application_name,),
            ).fetchone()
            if row:
                return int(row[0])
            time.sleep(0.02)
    raise AssertionError(f"no session {application_name} appeared")


@pytest.mark.parametrize("store_target", ["postgresql"], indirect=True)
def test_a_server_that_goes_away_mid_run_is_one_line(store_target, model, tmp_path):
    import psycopg

    name = f"labeler-test-{os.getpid()}"
    url = f"{store_target}&application_name={name}"
    src = tmp_path / "in.jsonl"
    src.write_text("".join(
        json.dumps({"id": f"d{i}", "text": f"Report {i}: {VIOLENT} {CALM}"}) + "\n"
        for i in range(6000)
    ))  # fmt: skip
    run = subprocess.Popen(
        [sys.executable, "-m", "labeler", "score", str(src), "--store", url,
         "-o", str(tmp_path / "out.jsonl"), "--quiet"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT,
    )  # fmt: skip
    pid = backend_of(POSTGRES or "", name)
    with psycopg.connect(POSTGRES or "", autocommit=True) as admin:  # as a restart does
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
    _, err = run.communicate(timeout=300)
    assert run.returncode == 1, err
    assert "Traceback" not in err and "psycopg" not in err
    (line,) = [x for x in err.splitlines() if x.startswith("labeler: review store")]
    assert "postgresql://" in line and " is unavailable: " in line, line
    # what the client read last: the server's notice, or, when the socket closed first,
    # only that it closed (a race between the server's goodbye and the next query)
    assert "terminat" in line or "server closed the connection" in line, line


def code_before(tmp_path: Path, migration: str) -> Path:
    """The labeler package as it was before ``migration``: the parent of the commit that
    added it (or this checkout's HEAD, before it is added)."""
    log = subprocess.run(
        ["git", "log", "--reverse", "--format=%H", f"-S{migration}", "--",
         "labeler/store/migrations.py"],
        capture_output=True, text=True, cwd=ROOT, check=True,
    ).stdout.split()  # fmt: skip
    commit = f"{log[0]}^" if log else "HEAD"
    old = tmp_path / "old"
    old.mkdir()
    archive = subprocess.run(
        ["git", "archive", commit, "labeler"], capture_output=True, cwd=ROOT, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(old)], input=archive, check=True)
    assert migration not in (old / "labeler" / "store" / "migrations.py").read_text()
    return old


def test_a_store_made_by_todays_code_upgrades_and_keeps_everything(store_target, tmp_path, model):
    old = code_before(tmp_path, "0007_hashed_document_keys")
    src = tmp_path / "in.jsonl"
    src.write_text("".join(
        json.dumps({"id": k, "text": v}) + "\n"
        for k, v in {"d1": f"{VIOLENT}\n\n{CALM}", "d2": GORY}.items()
    ))  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(old)}
    made = subprocess.run(
        [sys.executable, "-m", "labeler", "score", str(src), "--store", store_target,
         "--quiet", "-o", str(tmp_path / "out.jsonl")],
        capture_output=True, text=True, cwd=old, env=env,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    decided = (
        "from labeler.store.store import Store\n"
        "from labeler.store.review import GRAPHIC\n"
        "import sys\n"
        "s = Store(sys.argv[1])\n"
        "for p in (1, 3):\n"
        "    c = s.claim(p, 'ana')\n"
        "    s.record_review(c, 'correct', GRAPHIC)\n"
        "c = s.claim(2, 'ana'); s.record_review(c, 'skip')\n"
    )  # the old code's names
    subprocess.run([sys.executable, "-c", decided, store_target], check=True, cwd=old, env=env)
    with Store(store_target) as store:
        assert store.maintenance.integrity() == []
        assert store.maintenance.counts() == {"documents": 2, "passages": 3, "reviews": 3}
        assert store.queue.progress("ana")["by_you"] == 2
        assert store.reviews.last("ana").passage_id == 2
        add_texts(store, model, {"d1": f"{VIOLENT}\n\n{CALM}", "d2": GORY, long_id(4000): CALM})
        assert store.maintenance.counts() == {"documents": 3, "passages": 4, "reviews": 3}
        assert [r["id"] for r in store.labelled.rows()] == ["d1#0", "d2#0"]
        assert store.documents.passage_id("d2", 0) == 3


def test_a_store_made_before_review_labels_upgrades_and_serves_flagged_or_to_review(
    store_target, tmp_path, model
):
    """Scores stored before the store kept review labels have none (unknown, not made up):
    "flagged or to review" serves those flagged; scores stored after carry theirs."""
    old = code_before(tmp_path, REVIEW_LABELS)
    texts = {"old-v": VIOLENT, "old-t": THREAT, "old-c": CALM}
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in texts.items()))
    made = subprocess.run(
        [sys.executable, "-m", "labeler", "score", str(src), "--store", store_target,
         "--quiet", "-o", str(tmp_path / "out.jsonl")],
        capture_output=True, text=True, cwd=old, env={**os.environ, "PYTHONPATH": str(old)},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    with Store(store_target) as store:
        assert REVIEW_LABELS in [r[0] for r in store.db.execute("SELECT name FROM migrations")]
        assert store.maintenance.integrity() == []
        add_texts(store, model, {"new-t": THREAT, "new-c": CALM})
        ids = {k: store.documents.passage_id(k, 0) for k in [*texts, "new-t", "new-c"]}
        assert store.documents.passage(ids["old-t"])["review"] is None  # scored before: not known
        assert store.documents.passage(ids["new-t"])["review"] == ["violence"]
        assert store.documents.passage(ids["new-c"])["review"] == []
        queue = QueueFilter(to_review=True)
        claims = []
        while (next_one := store.queue.next("ana", queue=queue)) is not None:
            claims.append(next_one["claim"].passage_id)
        assert sorted(claims) == sorted([ids["old-v"], ids["new-t"]])


# 20. a store that is gone -------------------------------------------------------------


def test_the_dashboard_never_recreates_a_deleted_store(reviewed_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    assert not at.exception and not at.error
    for path in reviewed_db.parent.glob("review.db*"):
        path.unlink()
    at.sidebar.radio(key="page").set_value("Statistics").run()
    assert not at.exception
    (error,) = at.error
    assert "unavailable" in error.value and "does not exist" in error.value
    assert not reviewed_db.exists()


def test_every_dashboard_page_says_in_one_line_that_an_unreachable_store_is_unavailable(
    monkeypatch,
):
    monkeypatch.setenv("LABELER_DB", "postgresql://editor:s3cret@127.0.0.1:1/reviews")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    for page in ("Review", "Statistics", "Model", "Import & export"):
        at.session_state["page"] = page  # where a reviewer was when the server went down
        at.run()
        assert not at.exception, page
        (error,) = at.error
        assert "unavailable" in error.value and "\n" not in error.value.strip()
        assert "s3cret" not in error.value


# Performance: a key press, and a re-scored archive -------------------------------------


def vm_steps(store: Store, call) -> int:
    """How many SQLite virtual machine steps (in hundreds) ``call()`` takes: the work it
    does, whatever the machine's speed."""
    steps = [0]

    def count() -> int:
        steps[0] += 1
        return 0

    store.db.conn.set_progress_handler(count, 100)
    try:
        call()
    finally:
        store.db.conn.set_progress_handler(None, 100)
    return steps[0]


def test_a_key_press_does_not_read_the_reviewers_history(tmp_path, model):
    texts = {f"d{i}": f"Report {i}: gunmen shot {i} villagers in the market." for i in range(440)}
    with Store(tmp_path / "review.db", now=Clock()) as store:
        add_texts(store, model, texts)

        def decide_next(reviewer: str, count: int) -> None:
            for _ in range(count):
                claimed = store.queue.next(reviewer, order="document")
                store.reviews.record(claimed["claim"], "correct", NOT_VIOLENT)

        def key_press_reads() -> None:  # what the dashboard reads of a reviewer per key
            store.queue.progress("ana")
            store.reviews.last("ana")

        def anas_work() -> int:  # her progress beyond anyone's, and her latest decision
            store.queue.progress()  # the counts of scores, cached until scores are added
            return vm_steps(store, key_press_reads) - vm_steps(
                store, lambda: store.queue.progress()
            )

        decide_next("ana", 20)
        work = [anas_work()]
        decide_next("ana", 200)  # ten times her history...
        decide_next("ben", 200)  # ...and another reviewer's, newer than hers
        work.append(anas_work())
        assert work[1] <= work[0] + 5, work  # no more work
        print("WORK", work)


def test_a_reviewers_latest_decision_and_count_follow_every_undo(store_target, model):
    """A seeded random sequence of decisions and undos by two reviewers: the store's
    latest decision and count per reviewer always match the review rule's own answer."""
    rng = random.Random(16)
    texts = {f"d{i}": f"Report {i}: gunmen shot {i} villagers in the market." for i in range(8)}
    with Store(store_target, now=Clock()) as store:
        add_texts(store, model, texts)
        for _ in range(40):
            who = rng.choice(["ana", "ben"])
            if rng.random() < 0.3:
                undo_last(store, who)
            else:
                claim = store.queue.claim(rng.randint(1, 8), who)
                if claim is not None:
                    labels = rng.choice([GRAPHIC, NOT_VIOLENT, None])
                    store.reviews.record(claim, "skip" if labels is None else "correct", labels)
            for name in ("ana", "ben"):
                reviews = [r for p in range(1, 9) for r in store.reviews.of(p)]
                assert store.reviews.last(name) == expected_latest(reviews, name)
                assert store.queue.progress(name)["by_you"] == expected_count(reviews, name)
        for passage in range(1, 9):  # then a run of undos longer than a page of reads
            decide(store, passage, "cy", "correct", GRAPHIC)
        for _ in range(6):
            undo_last(store, "cy")
        assert store.reviews.last("cy").passage_id == 2
        assert store.queue.progress("cy")["by_you"] == 2


def test_a_reviewer_name_of_any_length_decides_and_counts(store_target, model):
    longest = "\U0001f600" * 2000  # 8 KB of four-byte characters
    with Store(store_target, now=Clock()) as store:
        add_texts(store, model, {"d1": VIOLENT, "d2": CALM})
        decide(store, 1, longest, "correct", GRAPHIC)
        decide(store, 2, longest + "!", "correct", GRAPHIC)  # the same long start
        assert store.reviews.last(longest).passage_id == 1
        assert store.queue.progress(longest)["by_you"] == 1
        assert store.queue.next(longest, order="active") is None  # all decided


def expected_latest(reviews: list[Review], reviewer: str) -> Review | None:
    """The review rule's answer: the newest of the reviewer's standing decisions."""
    by_passage: dict[int, list[Review]] = {}
    for r in reviews:
        by_passage.setdefault(r.passage_id, []).append(r)
    mine = [r for rs in by_passage.values() for r in standing(rs) if r.reviewer == reviewer]
    return max(mine, key=lambda r: r.id, default=None)


def expected_count(reviews: list[Review], reviewer: str) -> int:
    """Passages where the reviewer's standing decisions include a label."""
    by_passage: dict[int, list[Review]] = {}
    for r in reviews:
        by_passage.setdefault(r.passage_id, []).append(r)
    return sum(
        any(r.reviewer == reviewer and r.labels is not None for r in standing(rs))
        for rs in by_passage.values()
    )


@given(
    st.lists(
        st.tuples(st.sampled_from(["ana", "ben"]), st.integers(1, 3), st.booleans()),
        max_size=40,
    )
)
def test_the_newest_standing_decision_is_found_from_the_newest_end(steps):
    """``latest_standing`` reads a reviewer's decisions newest first and stops early; it
    agrees with applying every undo from the oldest end (``standing``)."""
    from labeler.store.review import latest_standing

    reviews = []
    for i, (who, passage, is_undo) in enumerate(steps, start=1):
        decision = "undo" if is_undo else "confirm"
        reviews.append(Review(i, passage, who, decision, None if is_undo else GRAPHIC))
    for name in ("ana", "ben"):
        mine = [r for r in reversed(reviews) if r.reviewer == name]
        assert latest_standing(mine) == expected_latest(reviews, name)


def test_rescoring_a_stored_archive_takes_a_fixed_number_of_reads(tmp_path, model):
    texts = {f"d{i}": f"Report {i}: gunmen shot {i} villagers.\n\n{CALM}" for i in range(80)}
    records = score_documents(list(texts.items()), model)
    pairs = list(zip(records, texts.values(), strict=True))
    with Store(tmp_path / "review.db", now=Clock()) as store:
        store.documents.add_many(pairs, model.thresholds)
        decide(store, 1, "ana", "correct", GRAPHIC)
        decide(store, 5, "ana", "skip")
        selects = []
        store.db.conn.set_trace_callback(
            lambda sql: selects.append(sql) if sql.lstrip().upper().startswith("SELECT") else None
        )
        reads = []
        for n, version in ((10, "v2"), (80, "v3")):
            selects.clear()
            store.documents.add_many([({**r, "model": version}, t) for r, t in pairs[:n]],
                              model.thresholds)  # fmt: skip
            reads.append(len(selects))
        store.db.conn.set_trace_callback(None)
        assert reads[0] == reads[1] <= 8, reads
        states = dict(store.db.execute(
            "SELECT model, queue_state FROM scores WHERE passage_id = 1"
        ).fetchall())  # fmt: skip
        assert set(states.values()) == {0}  # re-scored, still labelled
        assert Counter(r for (r,) in store.db.execute("SELECT model FROM scores")) == {
            records[0]["model"]: 160,
            "v2": 20,
            "v3": 160,
        }
