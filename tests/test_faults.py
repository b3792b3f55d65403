"""kill -9 in the middle of writes, on each engine: the store stays sound, no committed
decision is lost, and an interrupted ``score --store`` re-run leaves one copy of each
document."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

from labeler.store.store import Store
from tests.reviewer_process import fill, start

from .conftest import ROOT


def count(target: str, table: str) -> int:
    store = Store(target)
    try:
        return store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    finally:
        store.close()


def test_reviewers_killed_mid_write_lose_no_committed_decision(store_target, model):
    # more passages than all four can claim: a victim never stops early for want of work
    # (with 3,000 for 3 x 3,000 + 300 claims, a victim started late found the queue empty)
    fill(store_target, model, 3 * 3000 + 300 + 100)
    victims = [start(store_target, f"v{k}", 3000) for k in range(3)]
    survivor = start(store_target, "survivor", 300)
    committed: set[tuple[int, str]] = set()
    for k, proc in enumerate(victims):
        for _ in range(40 + 25 * k):  # a different moment for each: mid-claim, mid-decision...
            line = proc.stdout.readline()
            assert line, proc.stderr.read()  # the reviewer is still at work
            committed.add((json.loads(line)["passage"], f"v{k}"))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for line in proc.stdout:  # decisions committed before the kill but not yet read
            committed.add((json.loads(line)["passage"], f"v{k}"))
    out, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err
    committed |= {(json.loads(line)["passage"], "survivor") for line in out.splitlines()}
    store = Store(store_target)
    stored = [tuple(r) for r in store.db.execute("SELECT passage_id, reviewer FROM reviews")]
    assert committed <= set(stored)  # nothing a reviewer was told is saved went missing
    assert len(stored) == len(set(stored)) and len(stored) - len(committed) <= len(victims)
    assert store.maintenance.integrity() == []
    assert store.queue.next("after") is not None  # the store still serves the queue
    store.close()


def test_scorer_killed_mid_write_then_rerun_stores_each_document_once(store_target, tmp_path):
    docs = 6000
    src = tmp_path / "archive.jsonl"
    with src.open("w") as f:
        for i in range(docs):
            text = f"Report {i}: gunmen attacked the village and shot {i % 50} people.\n\nCalm."
            f.write(json.dumps({"id": f"doc{i}", "text": text}) + "\n")
    command = [sys.executable, "-m", "labeler", "score", str(src), "--store", store_target]
    command.append("--fast")  # the word model alone: seconds, not a minute, of store writes
    scorer = subprocess.Popen(
        [*command, "--quiet"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while count(store_target, "documents") == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    scorer.send_signal(signal.SIGKILL)
    scorer.wait()
    interrupted = count(store_target, "documents")
    assert 0 < interrupted < docs, "the kill must land mid-run"
    store = Store(store_target)
    assert store.maintenance.integrity() == []
    store.close()
    rerun = subprocess.run([*command, "--quiet"], cwd=ROOT, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    store = Store(store_target)
    keys = [r[0] for r in store.db.execute("SELECT record_id FROM documents")]
    assert sorted(keys) == sorted(f"doc{i}" for i in range(docs))  # each exactly once
    assert count(store_target, "passages") == 2 * docs
    assert count(store_target, "scores") == 2 * docs
    assert store.maintenance.integrity() == []
    store.close()
