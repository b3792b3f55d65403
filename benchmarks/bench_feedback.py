"""Does the model learn from reviewers? Prints the simulation of tests/feedback_simulation.py:
AUPRC on a weak source after each batch of reviews, and the gate's verdict on a batch with
every label flipped.

    python benchmarks/bench_feedback.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.feedback_simulation import SOURCE, simulate  # noqa: E402


def main() -> None:
    result = simulate()
    print(
        f"AUPRC (violence) on {SOURCE} held-back test part, after each batch of "
        f"{result['batch']} reviewed passages:"
    )
    print("  " + " -> ".join(f"{a:.3f}" for a in result["curve"]))
    verdict = result["corrupted_gate"]
    print(
        f"gate on a batch with every label flipped: "
        f"{'passed' if verdict['passed'] else 'refused'}; regressions:"
    )
    for r in verdict["regressions"]:
        print(f"  {r['label']} {r['source']}: {r['current']:.3f} -> {r['candidate']:.3f}")


if __name__ == "__main__":
    sys.exit(main())
