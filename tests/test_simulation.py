"""The feedback loop, simulated with real labels (tests/feedback_simulation.py, which
benchmarks/bench_feedback.py prints)."""

from tests.feedback_simulation import simulate


def test_reviews_of_a_weak_source_raise_its_auprc_and_the_gate_refuses_flipped_labels():
    result = simulate(rounds=3, batch=199)  # the whole review pool, in three batches
    curve = result["curve"]
    assert curve == sorted(curve) and curve[-1] > curve[0] + 0.02, curve
    assert result["corrupted_gate"]["passed"] is False
    assert result["corrupted_gate"]["regressions"]
