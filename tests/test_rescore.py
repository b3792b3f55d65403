"""Re-scoring the review store with the current model (issue 19, section 4): the real CLI in a
subprocess, on a real store, every review kept, resumable."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from labeler import score_text
from labeler.batch.rescore import rescore
from labeler.model import load_model
from labeler.store.review import GRAPHIC, LABELLED, NOT_VIOLENT, SKIPPED
from labeler.store.store import Store
from tests.reviewing import decide, model_as

from .conftest import ROOT

TEXTS = [
    "Gunmen shot dead eleven villagers.\n\nThe market reopened on Monday.",
    "The council approved the budget.\n\nA man was stabbed in the alley and bled to death.",
    "Rain is expected over the hills.\n\nSoldiers fired on the crowd, killing four.",
]


@pytest.fixture()
def reviewed(store_target, model):
    """A store scored by the shipped model, with a label, a skip and a disagreement."""
    with Store(store_target) as store:
        for i, text in enumerate(TEXTS):
            store.documents.add(score_text(text, f"doc{i}", model), text, model.thresholds)
        decide(store, 1, "ana", "correct", GRAPHIC, note="kept")
        decide(store, 2, "ana", "skip")
        decide(store, 3, "ana", "confirm")
        decide(store, 3, "ben", "correct", NOT_VIOLENT)
    return store_target


def snapshot(store: Store) -> tuple:
    reviews = store.db.execute("SELECT * FROM reviews ORDER BY id").fetchall()
    states = store.db.execute(
        "SELECT passage_id, model, queue_state FROM scores ORDER BY 1, 2"
    ).fetchall()
    return [tuple(r) for r in reviews], [tuple(s) for s in states]


def run(*args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "labeler", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_rescore_scores_every_passage_with_the_current_model_and_keeps_every_review(
    reviewed, tmp_path
):
    with Store(reviewed) as store:
        reviews_before, _ = snapshot(store)
        passages = store.maintenance.counts()["passages"]
    newer = model_as(tmp_path / "newer", "newer-model")
    done = run("rescore", "--store", reviewed, "--admin", "boss", "--batch", "2",
               env={"LABELER_MODEL": str(newer)})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"re-scored {passages} passages with model newer-model" in done.stderr
    with Store(reviewed) as store:
        reviews_after, states = snapshot(store)
        assert reviews_after == reviews_before  # not one review touched
        assert store.rescoring.scored_by() == {
            load_model().version: passages,
            "newer-model": passages,
        }
        state = {(pid, version): s for pid, version, s in states}
        for pid in range(1, passages + 1):  # each passage's state is the same for both versions
            assert len({s for (p, _), s in state.items() if p == pid}) == 1
        assert state[1, "newer-model"] == LABELLED and state[2, "newer-model"] == SKIPPED
        assert store.documents.passage(1)["model"] == "newer-model"  # what the dashboard shows
        first = score_text(TEXTS[0], "doc0", load_model(newer))["passages"][0]
        assert store.documents.passage(1)["review"] == first["review"]  # its review labels kept too
        assert store.reviews.current_labels(1) == GRAPHIC
        (entry,) = store.admin.entries()
        assert (entry.action, entry.actor) == ("rescore", "boss")
        assert store.maintenance.integrity() == []
    again = run("rescore", "--store", reviewed, env={"LABELER_MODEL": str(newer)})
    assert "re-scored 0 passages" in again.stderr and f"({passages} already" in again.stderr


def test_a_stopped_rescore_continues_where_it_was(reviewed, tmp_path):
    newer = load_model(model_as(tmp_path / "newer", "newer-model"))
    batches = []

    def stop_after_two(step: str, done: float) -> None:
        batches.append(step)
        if len(batches) == 3:  # the first line, then two batches stored
            raise KeyboardInterrupt

    with Store(reviewed) as store, pytest.raises(KeyboardInterrupt):
        rescore(store, newer, batch=1, progress=stop_after_two)
    with Store(reviewed) as store:
        assert store.rescoring.scored_by()["newer-model"] == 2
        result = rescore(store, newer, batch=4)
        total = store.maintenance.counts()["passages"]
        assert (result.scored, result.already) == (total - 2, 2)
        rows = store.db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT passage_id) FROM scores WHERE model = ?",
            ("newer-model",),
        ).fetchone()
        assert tuple(rows) == (total, total)  # each passage exactly once


def test_rescore_of_a_missing_store_is_one_line(tmp_path):
    done = run("rescore", "--store", str(tmp_path / "typo.db"))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        f"labeler: review store {tmp_path / 'typo.db'} does not exist "
        "(labeler score --store, or labeler dashboard --create, makes one)"
    ]
