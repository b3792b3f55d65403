"""Retraining from training/data must reproduce the shipped model."""

import numpy as np
import pytest

from labeler.dataset import load_rows, split_of
from labeler.training import train

from .conftest import DATA


def _subset(rows, every=6):
    """A small, fixed subset of every source (tests never retrain the full model)."""
    return [r for i, r in enumerate(rows) if i % every == 0]


@pytest.fixture(scope="module")
def rows():
    return load_rows(DATA)


@pytest.fixture(scope="module")
def small(rows):
    return train(DATA, rows=_subset(rows), embeddings=True)


def test_training_is_deterministic(rows, small):
    again, _ = train(DATA, rows=_subset(rows), embeddings=True)
    first, part = small
    test = [r.text for r in part if split_of(r.group) == "test"][:300]
    np.testing.assert_array_equal(first.predict_proba(test), again.predict_proba(test))
    assert first.card["operating_points"] == again.card["operating_points"]


def test_shipped_model_was_trained_on_this_data(model, rows):
    from labeler.training import make_card

    card = make_card(DATA, rows, {}, 1.0, 0.8)
    assert card["data_hash"] == model.card["data_hash"]


def test_both_operating_points_are_tuned_on_validation(small):
    new, _ = small
    points = new.card["operating_points"]
    for label in ("violence", "graphic"):
        assert points["review"][label]["threshold"] <= points["flag"][label]["threshold"]
        assert points["review"][label]["recall"] >= 0.9 or points["review"][label]["recall"] == 1
    assert new.severity_coef is not None and new.card["embeddings"]["sha256"]


def test_severity_is_learned_not_a_cut_on_the_violence_score(small, rows):
    from labeler.evaluation import severity_kappa

    new, _ = small
    test = [r for r in rows if split_of(r.group) == "test" and r.severity is not None][:400]
    F = new.features([r.text for r in test])
    described = new.described(F)
    violence = new.proba(F)[:, 0]
    # a cut on violence would order them: some described passage scores below one in passing
    assert violence[described].min() < violence[~described].max()
    assert severity_kappa(new, test)["kappa"] > 0.3


def test_leave_one_source_out_fold_never_sees_its_source(rows):
    from labeler.training import loso_folds

    for name, rest, held in loso_folds(_subset(rows, 20)):
        assert held and not {r.source for r in rest} & {r.source for r in held}, name


def test_shipped_card_reports_loso_per_source(model):
    loso = model.card["leave_one_source_out"]
    assert {"news", "fan fiction", "Reddit", "HateCheck", "ETHOS", "XSTest", "authored"} <= set(
        loso
    )
    for labels in loso.values():
        assert {"auprc", "recall_flag", "recall_review"} <= set(labels["violence"])


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
