import numpy as np
import pytest

from labeler.labels import LABELS, decide, flag_names, rubric

T = {"violence": 0.5, "graphic": 0.7}


@pytest.mark.parametrize(
    ("scores", "flags", "severity"),
    [
        ([0.1, 0.0], [], 0),
        ([0.55, 0.0], ["violence"], 1),
        ([0.95, 0.1], ["violence"], 2),
        ([0.95, 0.8], ["violence", "graphic"], 3),
        ([0.2, 0.9], ["violence", "graphic"], 3),  # graphic implies violence
    ],
)
def test_decide(scores, flags, severity):
    f, s, _ = decide(np.array([scores]), T, described_at=0.9)
    assert flag_names(f) == [flags]
    assert s.tolist() == [severity]


def test_threshold_is_inclusive():
    f, _, _ = decide(np.array([[0.5, 0.7]]), T, described_at=0.9)
    assert f.tolist() == [[True, True]]


def test_rubric_defines_every_label():
    text = rubric()
    assert all(f"`{label}`" in text for label in LABELS)
    assert "severity" in text
