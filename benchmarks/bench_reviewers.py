"""Eight reviewers at once on SQLite and on PostgreSQL: decisions lost, duplicated, latency.

Run: ``python benchmarks/bench_reviewers.py [POSTGRES_URL]`` (default: LABELER_TEST_POSTGRES).
Each engine gets a fresh store of real-model-scored passages; eight reviewer
processes then claim and decide 10,000 of them. Printed per engine: decisions
recorded, lost (reported committed but absent), duplicated (a passage decided
twice, or served to two reviewers), p50/p99 latency of claim+decide, and throughput.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from labeler import load_model  # noqa: E402
from labeler.model import Model  # noqa: E402
from labeler.store.store import Store  # noqa: E402
from tests.reviewer_process import fill, run_reviewers, scratch_postgres  # noqa: E402

REVIEWERS, DECISIONS = 8, 10_000


def measure(target: str, model: Model) -> dict[str, float]:
    fill(target, model, DECISIONS + 100)
    started = time.perf_counter()
    outcome = run_reviewers(target, REVIEWERS, DECISIONS)
    seconds = time.perf_counter() - started
    reported = [(pid, name) for name, ids in outcome.served.items() for pid in ids]
    store = Store(target)
    rows = [tuple(r) for r in store.db.execute("SELECT passage_id, reviewer FROM reviews")]
    problems = store.maintenance.integrity()
    store.close()
    per_passage = [pid for pid, _ in rows]
    cut = statistics.quantiles(outcome.latencies_ms, n=100)
    return {
        "recorded": len(rows),
        "lost": len(set(reported) - set(rows)),
        "duplicated": len(per_passage) - len(set(per_passage)),
        "failed reviewers": len(outcome.failures),
        "integrity problems": len(problems),
        "p50 ms": cut[49],
        "p99 ms": cut[98],
        "decisions/s": len(rows) / seconds,
    }


def main() -> None:
    model = load_model()
    url = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("LABELER_TEST_POSTGRES")
    with tempfile.TemporaryDirectory() as tmp:
        report("sqlite", measure(str(Path(tmp) / "review.db"), model))
    if url:
        with scratch_postgres(url) as target:
            report("postgresql", measure(target, model))
    else:
        print("postgresql: skipped (give a server URL or set LABELER_TEST_POSTGRES)")


def report(engine: str, figures: dict[str, float]) -> None:
    shown = ", ".join(
        f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in figures.items()
    )
    print(f"{engine}: {REVIEWERS} reviewers, {shown}", flush=True)


if __name__ == "__main__":
    main()
