"""The admin log from the command line (issue 19, section 4): `labeler models promote` and
`rollback` say who and when in the review store's admin log, as `retrain` and `rescore` do, and
`labeler admin-log` shows it. The real CLI in a subprocess, on a real store."""

from __future__ import annotations

import getpass
import os
import re
import subprocess
import sys

from labeler.learn.registry import Registry
from labeler.store.store import Store
from tests.test_rescore import model_as

from .conftest import ROOT

STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d"


def run(*args: str, home, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k != "LABELER_DB"}
    return subprocess.run(
        [sys.executable, "-m", "labeler", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**environ, "LABELER_HOME": str(home), **env},
        timeout=120,
    )


def logged(target: str) -> list[tuple[str, str, str]]:
    with Store(target) as store:
        return [(e.action, e.actor, e.detail) for e in store.admin.entries()]


def test_promote_and_rollback_are_in_the_admin_log_and_admin_log_shows_them(store_target, tmp_path):
    home = tmp_path / "home"
    registry = Registry(home)
    model_as(registry.root / "v-next", "v-next")
    Store(store_target).close()  # a blank store
    promoted = run("models", "promote", "v-next", "--store", store_target, "--admin", "boss",
                   home=home)  # fmt: skip
    assert promoted.returncode == 0, promoted.stderr
    assert registry.current() == "v-next"
    rolled = run("models", "rollback", "--store", store_target, "--admin", "ana", home=home)
    assert rolled.returncode == 0, rolled.stderr
    assert registry.current() is None
    assert logged(store_target) == [
        ("rollback", "ana", "from v-next to the shipped model"),
        ("promote", "boss", "v-next, replacing the shipped model"),
    ]
    shown = run("admin-log", "--store", store_target, home=home)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert len(lines) == 2, shown.stdout
    assert re.fullmatch(rf"{STAMP}  ana  rollback  from v-next to the shipped model", lines[0])
    assert re.fullmatch(rf"{STAMP}  boss  promote  v-next, replacing the shipped model", lines[1])


def test_a_promote_or_rollback_that_fails_logs_nothing(tmp_path):
    home, db = tmp_path / "home", str(tmp_path / "review.db")
    Store(db).close()
    unknown = run("models", "promote", "nope", "--store", db, "--admin", "boss", home=home)
    assert unknown.returncode == 1 and "Traceback" not in unknown.stderr
    assert unknown.stderr.splitlines() == [
        f"labeler: cannot promote nope: no model version nope in {home / 'models'}"
    ]
    nothing = run("models", "rollback", "--store", db, "--admin", "boss", home=home)
    assert nothing.returncode == 1 and "Traceback" not in nothing.stderr
    assert nothing.stderr.splitlines() == [
        "labeler: nothing to roll back: the shipped model is current"
    ]
    assert logged(db) == [] and Registry(home).current() is None
    unlogged = run("models", "promote", "nope", home=home)  # no store: one line, the failure
    assert unlogged.returncode == 1 and unlogged.stderr.splitlines() == [
        f"labeler: cannot promote nope: no model version nope in {home / 'models'}"
    ]


def test_without_store_the_default_store_logs_the_system_user(tmp_path):
    home, db = tmp_path / "home", str(tmp_path / "review.db")
    model_as(Registry(home).root / "v-next", "v-next")
    Store(db).close()
    done = run("models", "promote", "v-next", home=home, LABELER_DB=db)
    assert done.returncode == 0, done.stderr
    assert logged(db) == [("promote", getpass.getuser(), "v-next, replacing the shipped model")]


def test_with_no_store_at_all_the_change_is_made_and_said_to_be_unlogged(tmp_path):
    home = tmp_path / "home"
    registry = Registry(home)
    model_as(registry.root / "v-next", "v-next")
    done = run("models", "promote", "v-next", home=home)
    assert done.returncode == 0, done.stderr
    assert registry.current() == "v-next"
    assert done.stderr.splitlines() == [
        f"labeler: no review store at {home / 'labeler.db'}: this promote is in no admin log "
        "(name one with --store)"
    ]


def test_a_named_store_that_is_missing_or_admin_without_a_store_changes_nothing(tmp_path):
    home = tmp_path / "home"
    registry = Registry(home)
    model_as(registry.root / "v-next", "v-next")
    typo = tmp_path / "typo.db"
    named = run("models", "promote", "v-next", "--store", str(typo), home=home)
    assert named.returncode == 1 and "Traceback" not in named.stderr
    assert named.stderr.splitlines()[0].startswith(f"labeler: review store {typo} does not exist")
    admin = run("models", "promote", "v-next", "--admin", "boss", home=home)
    assert admin.returncode == 2 and admin.stderr.splitlines() == [
        f"labeler: --admin names who the admin log records, but there is no review store at "
        f"{home / 'labeler.db'} (name one with --store)"
    ]
    assert registry.current() is None and not typo.exists()


def test_admin_log_of_an_empty_or_missing_store(tmp_path):
    home, db = tmp_path / "home", str(tmp_path / "review.db")
    Store(db).close()
    empty = run("admin-log", "--store", db, home=home)
    assert (empty.returncode, empty.stdout) == (0, "")
    assert empty.stderr == "labeler: no admin action yet\n"
    missing = run("admin-log", "--store", str(tmp_path / "typo.db"), home=home)
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert len(missing.stderr.splitlines()) == 1


def test_admin_log_shows_names_and_details_inert_on_a_terminal(tmp_path):
    home, db = tmp_path / "home", str(tmp_path / "review.db")
    with Store(db) as store:
        store.admin.log("setting", "bo\x1b[2Jss", "double review:\n10%\x07")
    shown = run("admin-log", "--store", db, home=home)
    assert shown.returncode == 0, shown.stderr
    (line,) = shown.stdout.splitlines()
    assert line.endswith("  bo\\x1b[2Jss  setting  double review: 10%\\x07")


def test_a_change_the_admin_log_refuses_is_made_and_said_to_be_unlogged(tmp_path):
    home, db = tmp_path / "home", str(tmp_path / "review.db")
    registry = Registry(home)
    model_as(registry.root / "v-next", "v-next")
    with Store(db) as store, store.db.write():  # a store whose admin log takes no more rows
        store.db.execute(
            "CREATE TRIGGER full BEFORE INSERT ON admin_log BEGIN SELECT RAISE(ABORT, 'full'); END"
        )
    done = run("models", "promote", "v-next", "--store", db, "--admin", "boss", home=home)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    (line,) = done.stderr.splitlines()
    assert line.startswith(
        f"labeler: promote done (v-next, replacing the shipped model), but the admin log of "
        f"{db} could not record it: "
    )
    assert registry.current() == "v-next"
