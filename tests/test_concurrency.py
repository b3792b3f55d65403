"""Eight reviewer processes on one store, on each engine: every decision kept exactly
once, no passage served to two reviewers, no lock error reaching a reviewer."""

from __future__ import annotations

from labeler.store.store import Store
from tests.reviewer_process import fill, run_reviewers

# 2,000 decisions by eight processes contend as 10,000 do (every claim races seven others);
# benchmarks/bench_reviewers.py runs the full 10,000 and reports latency
REVIEWERS, DECISIONS = 8, 2_000


def test_eight_reviewers_record_every_decision_exactly_once(store_target, model):
    fill(store_target, model, DECISIONS + 100)
    outcome = run_reviewers(store_target, REVIEWERS, DECISIONS)
    assert outcome.failures == {}  # no "database is locked" or deadlock reached a reviewer
    served = [pid for ids in outcome.served.values() for pid in ids]
    assert len(served) == DECISIONS
    assert len(set(served)) == DECISIONS, "a passage was served to two reviewers"
    store = Store(store_target)
    rows = store.db.execute("SELECT passage_id, reviewer FROM reviews").fetchall()
    assert sorted(tuple(r) for r in rows) == sorted(
        (pid, name) for name, ids in outcome.served.items() for pid in ids
    )  # every decision present, exactly once, by the reviewer who made it
    assert store.maintenance.integrity() == []
    store.close()
