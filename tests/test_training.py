"""Retraining from training/data must reproduce the shipped model."""

import numpy as np
import pytest

from labeler.learn.dataset import load_rows, split_of
from labeler.learn.training import train

from .conftest import DATA


@pytest.fixture(scope="module")
def retrained():
    return train(DATA)


def test_retraining_reproduces_the_shipped_model(model, retrained):
    new, rows = retrained
    test = [r.text for r in rows if split_of(r.group) == "test"][:500]
    np.testing.assert_allclose(new.predict_proba(test), model.predict_proba(test), atol=1e-6)
    assert new.card["thresholds"] == model.card["thresholds"]
    assert new.card["data_hash"] == model.card["data_hash"]


def test_card_records_data_libraries_and_test_metrics(model):
    card = model.card
    assert card["data_files"] and all(len(h) == 64 for h in card["data_files"].values())
    assert {"scikit-learn", "numpy"} <= set(card["libraries"])
    for label in ("violence", "graphic"):
        pooled = card["metrics"]["test"][label]["(pooled)"]
        assert pooled["auprc"] > pooled["positives"] / pooled["n"]  # better than chance


def test_evaluate_command_writes_pr_curves(tmp_path):
    from labeler.cli import main

    assert main(["evaluate", "--data", str(DATA), "--reports", str(tmp_path)]) == 0
    assert (tmp_path / "pr_violence.png").stat().st_size > 1000
    assert (tmp_path / "pr_graphic.png").exists() and (tmp_path / "metrics.json").exists()


def test_rows_without_a_label_are_never_read_as_negative():
    rows = load_rows(DATA)
    assert any(r.labels["graphic"] is None for r in rows)
