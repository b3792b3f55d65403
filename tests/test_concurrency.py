"""Eight reviewer processes on one store, on each engine: every decision kept exactly
once, no passage served to two reviewers, no lock error reaching a reviewer."""

from __future__ import annotations

import json
import subprocess
import sys

from labeler import score_text
from labeler.store import Store

from .conftest import ROOT

REVIEWERS, DECISIONS = 8, 10_000
WORKER = ROOT / "benchmarks" / "reviewer_process.py"


def fill(target: str, model, passages: int) -> None:
    """One passage per document, scored by the real model."""
    store = Store(target)
    texts = [
        f"Report {i}: gunmen attacked the village and shot {i} people." for i in range(passages)
    ]
    store.add_records([(score_text(t, f"d{i}", model), t) for i, t in enumerate(texts)])
    store.close()


def start_reviewer(target: str, name: str, count: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(WORKER), target, name, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def test_eight_reviewers_record_ten_thousand_decisions_exactly_once(store_target, model):
    fill(store_target, model, DECISIONS + 100)
    procs = {
        f"r{k}": start_reviewer(store_target, f"r{k}", DECISIONS // REVIEWERS)
        for k in range(REVIEWERS)
    }
    served: dict[str, list[int]] = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err  # no "database is locked" or deadlock reached a reviewer
        served[name] = [json.loads(line)["passage"] for line in out.splitlines()]
    everything = [pid for ids in served.values() for pid in ids]
    assert len(everything) == DECISIONS
    assert len(set(everything)) == DECISIONS, "a passage was served to two reviewers"
    store = Store(store_target)
    rows = store.db.execute("SELECT passage_id, reviewer FROM reviews").fetchall()
    assert sorted(tuple(r) for r in rows) == sorted(
        (pid, name) for name, ids in served.items() for pid in ids
    )  # every decision present, exactly once, by the reviewer who made it
    assert store.integrity() == []
    store.close()
