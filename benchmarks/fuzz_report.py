"""Run the fuzz tests and report how many generated inputs were tried and how many failed.

    python benchmarks/fuzz_report.py            # the figures, then exit 1 if anything failed

The counts are parsed from Hypothesis's own statistics (``--hypothesis-show-statistics``)
for every phase of every property test in tests/test_fuzz.py: an input is "tried" when
the test body ran on it (passing or failing); "invalid" ones were generated but
rejected before the body ran, and are shown apart. The fixed hostile cases (enormous
lines, pathological HTML, the CLI on stdin) are plain tests, counted by pytest.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHASE = re.compile(r"(\d+) passing, (\d+) failing, and (\d+) invalid test cases")
OUTCOME = re.compile(r"(\d+) (passed|failed|error)")


def main() -> int:
    command = [
        sys.executable,
        "-m",
        "pytest",
        "tests/test_fuzz.py",
        "--hypothesis-show-statistics",
        "-q",
        "-p",
        "no:cacheprovider",
        *sys.argv[1:],
    ]
    start = time.monotonic()
    env = {**os.environ, "LABELER_FUZZ": "full"}  # every input, not the suite's quarter
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env)
    seconds = time.monotonic() - start
    phases = [tuple(map(int, m)) for m in PHASE.findall(run.stdout)]
    if not phases:
        print(run.stdout[-3000:], run.stderr[-3000:], sep="\n", file=sys.stderr)
        print("fuzz_report: no Hypothesis statistics in the pytest output", file=sys.stderr)
        return 2
    passing = sum(p for p, _, _ in phases)
    failing = sum(f for _, f, _ in phases)
    invalid = sum(i for _, _, i in phases)
    summary = run.stdout.strip().splitlines()[-1]
    outcomes = {kind: int(n) for n, kind in OUTCOME.findall(summary)}
    print(f"fuzz inputs tried:  {passing + failing:,} ({invalid:,} more generated but invalid)")
    print(f"failing inputs:     {failing:,}")
    print(
        f"tests:              {outcomes.get('passed', 0)} passed, "
        f"{outcomes.get('failed', 0)} failed, {outcomes.get('error', 0)} errors"
    )
    print(f"time:               {seconds:.1f} s  ({' '.join(command[2:])})")
    if run.returncode != 0:
        print(run.stdout[-5000:], file=sys.stderr)
    return 0 if run.returncode == 0 and failing == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
