"""One reviewer as a separate OS process: claim, decide, repeat; report each commit.

Used by the concurrency and fault tests and by ``bench_reviewers.py``. Each line
printed is a decision already committed: ``{"passage": id, "ms": latency}``, where
latency covers claiming the next passage and recording the decision, as a
reviewer waits for it. Run: ``python reviewer_process.py STORE NAME COUNT``.
"""

from __future__ import annotations

import json
import sys
import time

from labeler.review import GRAPHIC
from labeler.store import Store


def main(target: str, name: str, count: int) -> None:
    store = Store(target)
    for _ in range(count):
        started = time.perf_counter()
        passage = store.claim_next(name)
        if passage is None:
            break
        store.record_review(passage["id"], name, "correct", GRAPHIC, note=f"by {name}")
        ms = (time.perf_counter() - started) * 1000
        print(json.dumps({"passage": passage["id"], "ms": round(ms, 3)}), flush=True)
    store.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
