"""`labeler retrain` as an admin's workflow (issue 19, section 4), the real CLI on a real store
and a small real training set: nothing new is a message, a candidate can wait for an admin,
its report compares before and after per label and source, and the admin log says who."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from labeler import score_text
from labeler.learn.registry import Registry
from labeler.store.review import GRAPHIC, NOT_VIOLENT
from labeler.store.store import Store
from tests.reviewing import decide

from .conftest import ROOT

TEXTS = [f"Soldiers shot {i} protesters in Eastbury.\n\nThe fair reopened." for i in range(8)]


def run(*args: str, home) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "labeler", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "LABELER_HOME": str(home)},
        timeout=300,
    )


def test_retrain_with_no_reviews_says_nothing_new_and_trains_nothing(tmp_path, model, small_data):
    db = tmp_path / "review.db"
    with Store(db) as store:
        store.documents.add(score_text(TEXTS[0], "d0", model), TEXTS[0], model.thresholds)
        decide(store, 1, "ana", "correct", GRAPHIC)
        decide(store, 1, "ben", "correct", NOT_VIOLENT)  # disputed: nothing to train on
    done = run("retrain", "--store", str(db), "--data", str(small_data), home=tmp_path / "home")
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert done.stdout.splitlines()[-1] == (
        "Nothing new to learn from: no reviewed passage in the store to train on; 1 disputed "
        "passages await adjudication (labeler train rebuilds the model from the training data "
        "alone)."
    )
    assert Registry(tmp_path / "home").versions() == []


def test_a_candidate_waits_for_an_admin_and_the_same_reviews_again_are_nothing_new(
    tmp_path,
    model,
    small_data,
):
    db, home = tmp_path / "review.db", tmp_path / "home"
    with Store(db) as store:
        for i, text in enumerate(TEXTS):
            store.documents.add(score_text(text, f"d{i}", model), text, model.thresholds)
        for pid in range(1, 2 * len(TEXTS) + 1):
            decide(store, pid, "ana", "correct", GRAPHIC if pid % 2 else NOT_VIOLENT)
    status = tmp_path / "job.json"
    args = ("retrain", "--store", str(db), "--data", str(small_data), "--no-promote")
    first = run(*args, "--admin", "boss", "--progress", str(status), home=home)
    assert first.returncode in (0, 1), first.stderr  # 1: the gate refused; either way stored
    registry = Registry(home)
    (card,) = registry.versions()
    assert registry.current() is None  # --no-promote: an admin decides
    assert first.stdout.splitlines()[-1] == (
        f"candidate {card['version']} stored; {model.version} stays current"
    )
    job = json.loads(status.read_text())
    assert job["done"] == 1.0 and job["finished_at"] and job["error"] is None
    assert job["outcome"]["version"] == card["version"]
    by_source = card["gate"]["by_source"]
    news = by_source["violence"]["ag_news_test"]
    assert {"n", "positives", "current", "candidate"} <= set(news)
    assert set(news["candidate"]["flag"]) == {"precision", "recall"}
    review = news["candidate"]["review"]  # what the candidate's review point would catch
    assert set(review) == {"precision", "recall"} and all(0 <= v <= 1 for v in review.values())
    assert card["gate"]["versions"] == {"current": model.version, "candidate": card["version"]}
    again = run(*args, home=home)
    assert again.returncode == 1 and again.stderr == ""  # 1: these reviews are not in use yet
    assert again.stdout.splitlines()[-1] == (
        f"Nothing new to learn from: version {card['version']} was trained on these same "
        "reviews and training data; it is stored, not current "
        f"(labeler models promote {card['version']} to use it)."
    )
    assert len(registry.versions()) == 1
    with Store(db) as store:
        (entry,) = store.admin.entries()
        assert (entry.action, entry.actor) == ("retrain", "boss")
        assert entry.detail.startswith(f"candidate {card['version']} on 16 reviews: gate ")
