"""Review-store latency at scale: fetch the next queue item and record a decision.

Fills a real store (a temporary SQLite file, or --store, e.g. a PostgreSQL URL) with
--passages passages (real texts from training/data, scored by the shipped model), then
times queue.next for each queue order and reviews.record, printing p50/p99 in
milliseconds (target: under 50 ms each). It then records --reviewed decisions in
document order, as a desk working through an archive would, and times the queue
again: the next item must not get slower as reviews pile up.

    python benchmarks/bench_store.py                # 1,000,000 passages, SQLite
    python benchmarks/bench_store.py --store postgresql://labeler:labeler@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_score import training_texts  # noqa: E402

from labeler import load_model, score_documents  # noqa: E402
from labeler.store.review import GRAPHIC  # noqa: E402
from labeler.store.store import QueueFilter, Store  # noqa: E402


def fill(store: Store, n: int) -> float:
    model = load_model()
    texts = training_texts()
    records = score_documents([(str(i), t) for i, t in enumerate(texts)], model)
    start = time.perf_counter()
    for first in range(0, n, 5000):
        batch = []
        for i in range(first, min(n, first + 5000)):
            record = dict(records[i % len(records)], id=f"doc-{i}")
            batch.append((record, texts[i % len(texts)]))
        store.documents.add_many(batch, model.thresholds)
    return time.perf_counter() - start


def timed(calls: int, fn) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for i in range(calls):
        start = time.perf_counter()
        fn(i)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.99) - 1]


def queue_latency(store: Store, calls: int, tag: str) -> None:
    for order in ("document", "score", "uncertain"):
        p50, p99 = timed(calls, lambda i, o=order: store.queue.next(f"{tag}{o}{i}", order=o))
        print(f"{'claim next, ' + order + ' order':40} {p50:8.2f} {p99:8.2f}")
    flagged = QueueFilter(label="graphic", min_severity=3)
    p50, p99 = timed(calls, lambda i: store.queue.next(f"{tag}f{i}", order="score", queue=flagged))
    print(f"{'claim next, graphic filter, score order':40} {p50:8.2f} {p99:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--reviewed", type=int, default=50_000)
    parser.add_argument("--store", help="store to fill (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(args.store or Path(tmp) / "review.db")
        seconds = fill(store, args.passages)
        print(f"store: {args.passages:,} passages inserted in {seconds:.0f} s")
        print(f"{'operation':40} {'p50 ms':>8} {'p99 ms':>8}")
        queue_latency(store, args.calls, "a")
        p50, p99 = timed(
            args.calls,
            lambda i: store.reviews.record(store.queue.claim(i + 1, "ana"), "correct", GRAPHIC),
        )
        print(f"{'record a decision':40} {p50:8.2f} {p99:8.2f}")
        store.db.execute("DELETE FROM claims")
        start = time.perf_counter()
        for _ in range(args.reviewed):
            passage = store.queue.next("desk")
            store.reviews.record(passage["claim"], "correct", GRAPHIC)
        seconds = time.perf_counter() - start
        print(f"then {args.reviewed:,} decisions in document order ({seconds:.0f} s); after them:")
        queue_latency(store, args.calls, "b")
        store.close()


if __name__ == "__main__":
    main()
