"""The feedback loop, simulated with real labels (tests/feedback_simulation.py, which
benchmarks/bench_feedback.py runs on all of training/data)."""

from tests.feedback_simulation import SOURCE, simulate


def test_reviews_of_a_weak_source_raise_its_auprc_and_the_gate_refuses_flipped_labels(small_data):
    result = simulate(rounds=1, data_dir=small_data, reviews=160)
    curve = result["curve"]
    assert curve[-1] > curve[0], curve  # reviewing the source taught the model about it
    verdict = result["corrupted_gate"]
    # the regression cases are there, so the refusal is the flipped labels' doing: the
    # source's own AUPRC drops
    assert verdict["cases"] is not None and verdict["passed"] is False
    assert any(r["source"] == SOURCE for r in verdict["regressions"]), verdict["regressions"]
