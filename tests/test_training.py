"""Training end to end on a sample of training/data, and the shipped model's card.
(Whether all of training/data reproduces the shipped model: python -m training.reproduce.)"""

from labeler.labels import LABELS
from labeler.learn.dataset import load_rows


def test_card_records_data_libraries_and_test_metrics(model):
    card = model.card
    assert card["data_files"] and all(len(h) == 64 for h in card["data_files"].values())
    assert {"scikit-learn", "numpy", "onnxruntime", "tokenizers"} <= set(card["libraries"])
    assert card["metrics"]["severity"]["weighted_kappa"] > 0.5  # the bar is 0.6: not reached
    for label in LABELS:  # the review point lies below the flag, for recall
        assert card["review_thresholds"][label] <= card["thresholds"][label]
    for label in ("violence", "graphic"):
        pooled = card["metrics"]["test"][label]["(pooled)"]
        assert pooled["auprc"] > pooled["positives"] / pooled["n"]  # better than chance


def test_labeler_train_writes_a_model_that_loads_scores_and_describes_itself(
    small_model, small_data
):
    """``labeler train`` (train_and_save, leave-one-source-out included) end to end, on
    small_data (the conftest fixture runs it): a model folder that loads, flags what is
    violent and not what is calm, and a card with its test metrics and the table of
    leave-one-source-out per source."""
    from labeler.model import load_model

    model = load_model(small_model)
    violent = "Gunmen stormed the village at dawn and shot dead eleven people."
    calm = "The council approved a new budget for the library."
    p = model.predict_proba([violent, calm])
    v = list(model.thresholds).index("violence")
    assert p[0, v] >= model.thresholds["violence"] > p[1, v]
    card = model.card
    assert set(card["metrics"]["test"]) == set(LABELS)
    assert card["data_files"] and card["rows_by_source"]
    held_out = card["leave_one_source_out"]["sentence"]["violence"]
    assert set(held_out) <= {row.source for row in load_rows(small_data)}
    assert all(0 <= fold["auprc"] <= 1 for fold in held_out.values())
    assert "violence" in (small_model / "card.md").read_text(encoding="utf-8")


def test_evaluate_command_writes_pr_curves(tmp_path, small_data):
    from labeler.cli import main

    assert main(["evaluate", "--data", str(small_data), "--reports", str(tmp_path)]) == 0
    assert (tmp_path / "pr_violence.png").stat().st_size > 1000
    assert (tmp_path / "pr_graphic.png").exists() and (tmp_path / "metrics.json").exists()


def test_rows_without_a_graphic_label_are_never_counted_as_not_graphic(small_model, small_data):
    """Many rows say whether a passage is violent but not whether it is graphic (None).
    The test metrics ``labeler train`` writes count only the rows that carry each label."""
    from labeler.learn.dataset import split_of
    from labeler.model import load_model

    test = [r for r in load_rows(small_data) if split_of(r.group) == "test"]
    unlabelled = [r for r in test if r.labels["graphic"] is None]
    assert unlabelled, "small_data has test rows without a graphic label"
    metrics = load_model(small_model).card["metrics"]["test"]
    assert metrics["violence"]["(pooled)"]["n"] == len(test)
    assert metrics["graphic"]["(pooled)"]["n"] == len(test) - len(unlabelled)
