"""Make ``store_0258c5a.sql`` and ``store_0258c5a.json``: a SQLite review store made by the
code of commit 0258c5a (schema up to migration 0013, the last before the columns took the
records' names), and what that code read back from it through the store's API.

Run it with that commit's package, not this checkout's, e.g.::

    mkdir /tmp/old && git archive 0258c5a labeler | tar -x -C /tmp/old
    cd /tmp/old && PYTHONPATH=/tmp/old python /path/to/tests/data/make_store_0258c5a.py \
        /path/to/tests/data

``test_upgrade.py`` loads the dump (SQLite) or the rows (PostgreSQL) and checks that
today's code migrates the store and reads back the same.
"""

from __future__ import annotations

import io
import json
import sqlite3
import sys
import tempfile
from dataclasses import astuple
from datetime import datetime, timedelta, timezone
from pathlib import Path

from labeler import score_text
from labeler.model import load_model
from labeler.store.export import write, write_warnings
from labeler.store.migrations import MIGRATIONS
from labeler.store.review import GRAPHIC, NOT_VIOLENT
from labeler.store.store import Store

COMMIT = "0258c5a"
VIOLENT = "Gunmen stormed the village at dawn and shot dead eleven people."
CALM = "The council approved a new budget for the library."
GORY = "His skull was split open and his brains spilled onto the pavement."
DOCUMENTS = [  # (id, source path, text): a repeated id, a path id, a long id
    ("d1", "wire.jsonl", f"{VIOLENT}\n\n{CALM}"),
    ("d2", "wire.jsonl", GORY),
    ("d1", "late.jsonl", f"{CALM}\n\n{GORY}"),
    ("wire/d3.txt", None, f"{VIOLENT}\n\n{VIOLENT}"),
    ("https://example.org/?q=" + "x" * 3000, "web.jsonl", CALM),
]
OLDER = "2026-01-01-older"  # a second model version's scores


class Clock:
    """One second a reading, from a fixed time: the same stamps on every run."""

    def __init__(self) -> None:
        self.t = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.t += timedelta(seconds=1)
        return self.t


def fill(store: Store) -> None:
    """Documents, two model versions' scores, every kind of decision, an adjudication, a
    warning decision, a second look, a claim still held, a setting and the admin log."""
    model = load_model()
    for doc_id, source, text in DOCUMENTS:
        record = score_text(text, doc_id, model)
        record["source"] = {"path": source, "line": 1 if source else None}
        store.documents.add(record, text, model.thresholds)
        passages = [(store.documents.passage_id(doc_id, p["index"]), p) for p in record["passages"]]
        store.rescoring.add_scores(OLDER, passages[:1], model.thresholds)
    store.admin.set_double_review_percent(50, "admin")
    decide(store, 1, "ana", "correct", GRAPHIC, "gunmen")
    decide(store, 1, "ben", "correct", NOT_VIOLENT)
    decide(store, 2, "ana", "confirm")
    decide(store, 3, "ben", "skip")
    decide(store, 4, "ana", "confirm")
    store.reviews.undo("ana", store.reviews.last("ana").id)
    decide(store, 6, "ana", "confirm")
    store.adjudications.record(1, "ed", GRAPHIC, "the gunmen shot them")
    store.queue.flag_for_second_look(2, "disputed")
    warning, _ = store.warnings.view(1)
    store.warnings.record(1, "ed", "accept", warning.suggested)
    store.admin.log("retrain", "admin", "round 4")
    store.queue.claim(5, "cy")  # still held when the store was dumped


def decide(store: Store, passage_id: int, reviewer: str, decision: str, *args: object) -> None:
    claim = store.queue.claim(passage_id, reviewer)
    store.reviews.record(claim, decision, *args)


def read_back(store: Store) -> dict:
    """What the old code read from the store through its API."""
    exported, warnings = io.StringIO(), io.StringIO()
    write(store.labelled.rows(), exported, "jsonl")
    write_warnings((w.row() for w in store.warnings.of_documents()), warnings, "jsonl")
    passages = store.db.execute("SELECT id FROM passages ORDER BY id").fetchall()
    reviewers = ("ana", "ben", "cy")
    return {
        "export": exported.getvalue(),
        "warnings": warnings.getvalue(),
        "passages": {p[0]: store.documents.passage(p[0]) for p in passages},
        "passage_ids": [[key, i, store.documents.passage_id(key, i)] for key, i in [("d2", 0)]],
        "recent": {r: [[*astuple(d.review), d.doc_key, d.idx] for d in store.reviews.recent(r)]
                   for r in reviewers},
        "progress": {r: store.queue.progress(r) for r in reviewers},
        "choices": store.queue.choices(),
        "scored_by": store.rescoring.scored_by(),
        "counts": store.maintenance.counts(),
        "admin": [list(astuple(e)) for e in store.admin.entries()],
    }  # fmt: skip


def rows(path: Path) -> dict:
    """Every table's columns and rows, in order."""
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    out = {}
    for table in sorted(tables):
        cursor = conn.execute(f"SELECT * FROM {table} ORDER BY rowid")
        out[table] = {"columns": [c[0] for c in cursor.description], "rows": cursor.fetchall()}
    conn.close()
    return out


def main(folder: Path) -> None:
    assert MIGRATIONS[-1][0] == "0013_review_labels", "run with the code of 0258c5a"
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "review.db"
        with Store(path, now=Clock()) as store:
            fill(store)
            expected = read_back(store)
        conn = sqlite3.connect(path)
        dump = "\n".join(conn.iterdump()) + "\n"
        conn.close()
        (folder / f"store_{COMMIT}.sql").write_text(dump, encoding="utf-8")
        made = {"commit": COMMIT, "tables": rows(path), "read_back": expected}
        text = json.dumps(made, indent=1, ensure_ascii=False, default=list)
        (folder / f"store_{COMMIT}.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
