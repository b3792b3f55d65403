"""Each rule that used to live in two or three places, tested once at its single home."""

from __future__ import annotations

import numpy as np
import pytest

from labeler.learn.dataset import PassageKey, group_bucket, split_of
from labeler.learn.gate import regressions
from labeler.learn.quality import suspicious
from labeler.learn.thresholds import f1, precision_recall


def test_precision_and_recall_at_a_threshold_and_where_they_are_undefined():
    truth = np.array([1, 1, 0, 0, 1])
    flagged = np.array([0.9, 0.4, 0.8, 0.1, 0.7]) >= 0.5
    assert precision_recall(truth, flagged) == {"precision": 0.6667, "recall": 0.6667}
    assert f1(truth, flagged) == 0.6667
    assert precision_recall([0, 0, 1], [False, False, False]) == {"precision": None, "recall": 0.0}
    assert precision_recall([0, 0], [True, False]) == {"precision": 0.0, "recall": None}
    assert f1([0, 0], [False, False]) == 0.0


def test_regressions_compare_only_known_values_with_enough_positives():
    before = {"news": 0.90, "fiction": 0.50, "small": 0.90, "undefined": None, "better": 0.4}
    after = {"news": 0.87, "fiction": 0.49, "small": 0.10, "undefined": 0.9, "better": 0.6}
    positives = {"news": 40, "fiction": 12, "small": 4, "undefined": 9, "better": 9}
    kept = regressions(before, after, positives, tolerance=0.02, min_positives=5)
    assert kept == ["news"]
    assert regressions(before, after, positives, tolerance=0.05, min_positives=5) == []
    assert regressions(before, after, positives, tolerance=0.02, min_positives=1) == [
        "news",
        "small",
    ]
    with pytest.raises(TypeError):
        regressions(before, after, positives, 0.02, 5)  # type: ignore[misc]  # keyword-only


def test_suspicious_reviews_are_the_labels_the_model_finds_improbable():
    labels = np.array([[1, 0], [0, 0], [1, 1], [0, 0]])
    proba = np.array([[0.05, 0.01], [0.95, 0.50], [0.92, 0.15], [0.11, 0.09]])
    flagged = suspicious(labels, proba, confidence=0.9)
    assert flagged.tolist() == [[True, False], [True, False], [False, False], [False, False]]
    assert suspicious(labels, proba, confidence=0.8).tolist()[2] == [False, True]


def test_groups_hash_to_one_bucket_for_the_split_and_for_folds():
    groups = [f"story-{i}" for i in range(200)]
    assert all(0 <= group_bucket(g, 3) < 3 for g in groups)
    assert {group_bucket(g, 3) for g in groups} == {0, 1, 2}
    splits = {g: split_of(g) for g in groups}
    assert all(
        (splits[g] == "test") == (group_bucket(g, 20) < 4) for g in groups
    )  # the split is the same hash, in 20 buckets


def test_a_reviewed_passage_key_names_its_row_and_its_group():
    key = PassageKey("desk/story#1.txt", 4)
    assert key.row_id == "review:desk/story#1.txt#4"
    assert key.group == "review-doc:desk/story#1.txt"
