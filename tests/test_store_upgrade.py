"""A store made by the code of commit 0258c5a, before the columns took the records' names,
opened by today's: migrated on both engines, every row kept under its new column name, its
indexes those of a blank store, and read back through the API as that code read it.

The store was made by that code (``data/make_store_0258c5a.py`` says how): on SQLite it is
loaded from its dump; on PostgreSQL its schema is built by the migrations that code had
(kept unchanged here), as that code left a blank store, and its rows are loaded."""

from __future__ import annotations

import io
import json
import sqlite3
from dataclasses import astuple
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from labeler.store import migrations
from labeler.store.connection import connect
from labeler.store.export import write, write_warnings
from labeler.store.migrations import MIGRATIONS, apply_migrations
from labeler.store.store import Store
from tests.data.make_store_0258c5a import CALM, DOCUMENTS, VIOLENT
from tests.reviewing import Clock, add_documents, decide
from tests.test_store import SCHEMA

from .conftest import POSTGRES

DATA = Path(__file__).parent / "data"
MADE = json.loads((DATA / "store_0258c5a.json").read_text(encoding="utf-8"))
RENAMED = {  # (table, the old code's column): today's
    ("documents", "doc_key"): "record_id",
    ("documents", "key_hash"): "record_id_hash",
    ("passages", "idx"): "index",
    ("passages", "start_char"): "start",
    ("passages", "end_char"): "end",
    ("scores", "model_version"): "model",
    ("reviews", "model_version"): "model",
}
PASSAGE_KEYS = {"doc_key": "record_id", "idx": "index", "start_char": "start",
                "end_char": "end", "model_version": "model"}  # fmt: skip
PARENTS = {"documents": 0, "passages": 1}  # loaded first: other tables refer to them
MIGRATION = "0014_record_vocabulary"


def made_at() -> datetime:
    """A clock at the time the store was made: its claim still in force."""
    return datetime(2026, 12, 7, 12, 1, tzinfo=timezone.utc)


def load_sqlite(path: str) -> None:
    conn = sqlite3.connect(path)
    conn.executescript((DATA / "store_0258c5a.sql").read_text(encoding="utf-8"))
    conn.close()


def load_postgres(url: str) -> None:
    """The old code's blank store (its migrations, then what its ``Maintenance.migrate``
    did to a blank PostgreSQL store: the unique constraint on whole ids dropped), then
    its rows, with each identity past the ids it holds."""
    tables = MADE["tables"]
    old = [row[0] for row in tables["migrations"]["rows"]]
    db = connect(url)
    with pytest.MonkeyPatch.context() as patch, db.write():
        patch.setattr(migrations, "MIGRATIONS", [m for m in MIGRATIONS if m[0] in old])
        assert apply_migrations(db, "now") == old
        db.execute("ALTER TABLE documents DROP CONSTRAINT documents_doc_key_text_hash_key")
        db.execute("DELETE FROM migrations")
        for table in sorted(tables, key=lambda t: (t not in PARENTS, PARENTS.get(t), t)):
            found = tables[table]
            columns = ", ".join(found["columns"])
            marks = ", ".join("?" * len(found["columns"]))
            db.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", found["rows"])
            if "id" in found["columns"]:
                db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), ?)",
                    (max(row[0] for row in found["rows"]),),
                )
    db.close()


@pytest.fixture()
def old_store(store_target: str) -> str:
    if store_target.startswith("postgresql"):
        load_postgres(store_target)
    else:
        load_sqlite(store_target)
    return store_target


def indexes(db: Any) -> set[tuple[Any, ...]]:
    """Each index: its table, name (none for SQLite's own) and definition or columns."""
    if db.dialect == "postgresql":
        return set(db.execute(
            "SELECT tablename, indexname, replace(indexdef, current_schema() || '.', '')"
            " FROM pg_indexes WHERE schemaname = current_schema()"
        ).fetchall())  # fmt: skip
    found = set()
    for table, name, sql in db.execute(
        "SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'index'"
    ).fetchall():
        columns = db.execute("SELECT name FROM pragma_index_info(?)", (name,)).fetchall()
        found.add((table, sql and name, sql, tuple(c[0] for c in columns)))
    return found


def blank_indexes(tmp_path: Path, engine: str) -> set[tuple[Any, ...]]:
    """The indexes of a blank store made by today's code, on ``engine``."""
    if engine == "sqlite":
        with Store(tmp_path / "blank.db") as blank:
            return indexes(blank.db)
    from tests.reviewer_process import scratch_postgres

    with scratch_postgres(POSTGRES or "") as url, Store(url) as blank:
        return indexes(blank.db)


def plain(value: Any) -> Any:
    """``value`` as JSON reads it back (tuples as lists, keys as strings)."""
    return json.loads(json.dumps(value, default=list))


def renamed_passage(passage: dict[str, Any]) -> dict[str, Any]:
    return {PASSAGE_KEYS.get(key, key): value for key, value in passage.items()}


def read_back(store: Store) -> dict[str, Any]:
    """What the fixture's generator read from the old store, read by today's API, with
    the old keys and fields where they were renamed."""
    exported, warnings = io.StringIO(), io.StringIO()
    write(store.labelled.rows(), exported, "jsonl")
    write_warnings((w.row() for w in store.warnings.of_documents()), warnings, "jsonl")
    passages = store.db.execute("SELECT id FROM passages ORDER BY id").fetchall()
    reviewers = ("ana", "ben", "cy")
    choices = store.queue.choices()
    return plain({
        "export": exported.getvalue(),
        "warnings": warnings.getvalue(),
        "passages": {p[0]: store.documents.passage(p[0]) for p in passages},
        "passage_ids": [[key, i, store.documents.passage_id(key, i)] for key, i in [("d2", 0)]],
        "recent": {r: [[*astuple(d.review), d.record_id, d.index]
                       for d in store.reviews.recent(r)] for r in reviewers},
        "progress": {r: store.queue.progress(r) for r in reviewers},
        "choices": {"source_path": choices["source_path"], "model_version": choices["model"]},
        "scored_by": store.rescoring.scored_by(),
        "counts": store.maintenance.counts(),
        "admin": [astuple(e) for e in store.admin.entries()],
    })  # fmt: skip


def test_a_store_made_before_the_rename_is_migrated_and_keeps_every_row(old_store, tmp_path):
    with Store(old_store, now=made_at) as store:
        applied = [r[0] for r in store.db.execute("SELECT name FROM migrations ORDER BY name")]
        assert applied == [name for name, _ in MIGRATIONS] and applied[-1] == MIGRATION
        assert store.db.schema() == SCHEMA
        assert indexes(store.db) == blank_indexes(tmp_path, store.db.dialect)
        assert store.maintenance.integrity() == []
        for table, found in MADE["tables"].items():
            columns = [RENAMED.get((table, c), c) for c in found["columns"]]
            quoted = ", ".join(f'"{c}"' for c in columns)
            rows = store.db.execute(f"SELECT {quoted} FROM {table}").fetchall()
            if table == "migrations":  # the old ones as they were, and the new one
                rows = [r for r in rows if r[0] != MIGRATION]
            assert sorted(map(plain, rows), key=repr) == sorted(found["rows"], key=repr), table


def test_a_migrated_store_reads_back_as_the_old_code_read_it(old_store):
    expected = MADE["read_back"]
    expected["passages"] = {k: renamed_passage(p) for k, p in expected["passages"].items()}
    with Store(old_store, now=made_at) as store:
        assert read_back(store) == expected
        assert store.queue.held("cy") is not None  # the claim made before still stands


def test_a_migrated_store_keeps_its_keys_unique_and_goes_on_working(old_store, model):
    """The same documents added again add nothing (the unique keys hold under their new
    names); a new one is stored at its offsets, served, decided and exported."""
    clock = Clock()
    clock.t = made_at()
    with Store(old_store, now=clock) as store:
        before = store.maintenance.counts()
        add_documents(store, DOCUMENTS, model)
        assert store.maintenance.counts() == before
        add_documents(store, [("d4", None, f"{CALM}\n\n{VIOLENT}")], model)
        passage = store.documents.passage(store.documents.passage_id("d4", 1))
        assert [passage[k] for k in ("record_id", "index", "start", "end")] == [
            "d4",
            1,
            len(CALM) + 2,
            len(CALM) + 2 + len(VIOLENT),
        ]
        decide(store, passage["id"], "ana", "confirm")
        assert [r["id"] for r in store.labelled.rows()][-1] == "d4#1"
