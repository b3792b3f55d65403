"""Retraining from reviews: registry, gate, promote and rollback, on a real store."""

from __future__ import annotations

import json

import pytest

from labeler import score_text
from labeler.cli import main
from labeler.config import model_dir
from labeler.model import load_model
from labeler.registry import Registry
from labeler.review import Labels
from labeler.store import Store
from tests.reviewing import decide

from .conftest import DATA


def seed_rows(n: int) -> list[dict]:
    with (DATA / "seed" / "labels.jsonl").open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    return [r for r in rows if r["source"] == "ag_news_test"][:n]


def reviewed_store(path, model, flip: bool) -> None:
    """Reviewers label real news passages; with ``flip`` every label is the opposite."""
    store = Store(path)
    for i, row in enumerate(seed_rows(300)):
        record = score_text(row["text"], f"news-{i}", model)
        store.add_record(record, row["text"])
        if flip:
            violence = 1 - row["violence"]
            labels = Labels(violence, 0, 2 if violence else 0)
        else:
            labels = Labels(row["violence"], row["graphic"], row["severity"])
        for p in record["passages"]:
            decide(store, store.passage_id(f"news-{i}", p["index"]), "ana", "correct", labels)
    store.close()


@pytest.fixture(scope="module")
def shipped():
    return load_model()


def test_consistent_reviews_train_a_version_that_passes_the_gate(tmp_path, shipped, capsys):
    db = tmp_path / "review.db"
    reviewed_store(db, shipped, flip=False)
    assert main(["retrain", "--store", str(db), "--data", str(DATA), "--tolerance", "0.05"]) == 0
    out = capsys.readouterr().out
    assert "gate: passed" in out and "reviewed" in out
    assert "threshold violence: " in out and "precision/recall" in out
    registry = Registry(tmp_path / "home")
    version = registry.current()
    card = load_model(registry.path(version)).card
    assert card["reviewed_rows"] >= 300 and card["rows_by_source"]["reviewed"]["test"] > 0
    retuned = card["threshold_retuning"]["violence"]
    assert card["thresholds"]["violence"] == round(retuned["after"], 6)
    assert retuned["positives"] >= 5 and retuned["after_pr"]["precision"] >= 0.8
    assert model_dir() == registry.path(version)  # scoring now uses it
    assert main(["models", "rollback"]) == 0
    assert registry.current() is None and model_dir() is None


def test_the_gate_refuses_a_corrupted_batch_and_keeps_the_current_model(tmp_path, shipped, capsys):
    db = tmp_path / "review.db"
    reviewed_store(db, shipped, flip=True)
    assert main(["retrain", "--store", str(db), "--data", str(DATA)]) == 1
    out = capsys.readouterr().out
    assert "gate: REFUSED" in out and "REGRESSION" in out
    registry = Registry(tmp_path / "home")
    assert registry.current() is None and len(registry.versions()) == 1
    assert registry.versions()[0]["gate"]["passed"] is False


def test_forced_promotion_is_recorded_in_the_card(tmp_path, shipped, capsys):
    db = tmp_path / "review.db"
    reviewed_store(db, shipped, flip=True)
    assert main(["retrain", "--store", str(db), "--data", str(DATA), "--force"]) == 0
    registry = Registry(tmp_path / "home")
    card = load_model(registry.path(registry.current())).card
    assert card["forced"] is True and card["gate"]["passed"] is False
    assert card["metrics"]["test"]["violence"]["reviewed"]["n"] > 0
    assert main(["models", "list"]) == 0
    assert "*" in capsys.readouterr().out


def test_quality_check_finds_the_flipped_review(tmp_path, shipped, capsys):
    db = tmp_path / "review.db"
    reviewed_store(db, shipped, flip=False)
    store = Store(db)  # one reviewer slip: a plain shooting report marked not violent
    text = "Gunmen opened fire on a crowded market, killing nine people and wounding dozens."
    store.add_record(score_text(text, "slip", shipped), text)
    pid = store.passage_id("slip", 0)
    decide(store, pid, "ana", "correct", Labels(0, 0, 0))
    store.close()
    assert main(["quality", "--store", str(db), "--data", str(DATA), "--flag"]) == 0
    found = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    slip = [f for f in found if f["id"] == "review:slip#0"]
    assert slip and slip[0]["label"] == "violence" and slip[0]["model"] > 0.9
    assert len(found) < 30  # the consistent reviews are mostly left alone
    store = Store(db)
    passages = {f["id"] for f in found}
    flagged = {store.claim_second_look(f"second-{i}")["id"] for i in range(len(passages))}
    assert pid in flagged
