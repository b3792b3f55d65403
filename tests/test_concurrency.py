"""Several reviewer processes on one SQLite store: every decision kept, once; no shared claims."""

from __future__ import annotations

import multiprocessing as mp

from labeler import score_text
from labeler.review import GRAPHIC
from labeler.store import Store

REVIEWERS, DECISIONS_EACH = 8, 60


def reviewer(path: str, name: str, out: mp.Queue) -> None:
    store = Store(path)
    served = []
    for _ in range(DECISIONS_EACH):
        passage = store.claim_next(name)
        if passage is None:
            break
        served.append(passage["id"])
        store.record_review(passage["id"], name, "correct", GRAPHIC)
    store.close()
    out.put((name, served))


def test_eight_reviewers_at_once_lose_nothing_and_never_share_a_passage(tmp_path, model):
    path = tmp_path / "review.db"
    store = Store(path)
    texts = [f"Report {i}: gunmen attacked the village and shot {i} people." for i in range(500)]
    store.add_records([(score_text(t, f"d{i}", model), t) for i, t in enumerate(texts)])
    store.close()
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=reviewer, args=(str(path), f"r{k}", out)) for k in range(REVIEWERS)]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    served = [pid for ids in results.values() for pid in ids]
    assert len(served) == REVIEWERS * DECISIONS_EACH
    assert len(set(served)) == len(served), "a passage was served to two reviewers"
    store = Store(path)
    rows = store.db.execute("SELECT passage_id, reviewer FROM reviews").fetchall()
    assert len(rows) == len(served) and len(set(rows)) == len(rows)
    assert {tuple(r) for r in rows} == {(pid, name) for name, ids in results.items() for pid in ids}
    assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()
