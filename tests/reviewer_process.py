"""Reviewers as separate OS processes: claim, decide, repeat; each reports its commits.

Used by the concurrency and fault tests and by ``bench_reviewers.py``, as is
``scratch_postgres``, the empty PostgreSQL schema each of them runs on. A worker
prints one line per decision already committed: ``{"passage": id, "ms": latency}``,
where latency covers claiming the next passage and recording the decision, as a
reviewer waits for it. Run one: ``python reviewer_process.py STORE NAME COUNT``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from labeler import score_text
from labeler.model import Model
from labeler.store.review import GRAPHIC
from labeler.store.store import Store

HERE = Path(__file__).resolve()


@dataclass
class Outcome:
    served: dict[str, list[int]] = field(default_factory=dict)  # reviewer -> passages decided
    latencies_ms: list[float] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)  # reviewer -> what it printed on stderr


def fill(target: str, model: Model, n: int) -> None:
    """One passage per document, scored by ``model``'s word model (``--fast``'s): what is
    tested is the queue and the reviews, and the encoder would take a minute for 10,000."""
    store = Store(target)
    words = model.words_only()
    texts = [f"Report {i}: gunmen attacked the village and shot {i} people." for i in range(n)]
    store.documents.add_many(
        [(score_text(t, f"d{i}", words), t) for i, t in enumerate(texts)], words.thresholds
    )
    store.close()


@contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """A store URL on a new, empty schema of the server at ``url``, dropped afterwards."""
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
        try:
            yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
        finally:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")


def start(target: str, name: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HERE), target, name, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=HERE.parent.parent,
    )


def run_reviewers(target: str, reviewers: int, decisions: int) -> Outcome:
    """``reviewers`` processes at once, ``decisions`` in total; what each reported."""
    procs = {f"r{k}": start(target, f"r{k}", decisions // reviewers) for k in range(reviewers)}
    outcome = Outcome()
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=900)
        lines = [json.loads(line) for line in out.splitlines()]
        outcome.served[name] = [line["passage"] for line in lines]
        outcome.latencies_ms += [line["ms"] for line in lines]
        if proc.returncode != 0:
            outcome.failures[name] = err
    return outcome


def main(target: str, name: str, count: int) -> None:
    store = Store(target)
    for _ in range(count):
        started = time.perf_counter()
        passage = store.queue.next(name)
        if passage is None:
            break
        store.reviews.record(passage["claim"], "correct", GRAPHIC, note=f"by {name}")
        ms = (time.perf_counter() - started) * 1000
        print(json.dumps({"passage": passage["id"], "ms": round(ms, 3)}), flush=True)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
