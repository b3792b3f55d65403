"""Security checks of issue 6 that are not about one module's behaviour alone.

- Injection strings in every value that reaches SQL (store filters, reviewer names, notes,
  document ids, source paths, model versions, second-look reasons, CLI and dashboard
  inputs) are data: they match only themselves, round-trip, and every table survives.
- No SQL in labeler/**/*.py or app.py is built by formatting with anything but a short list
  of fixed fragments (a static scan, with a self-test showing it catches the real thing).
- The escaping used for every dashboard HTML fragment holds for any text (hypothesis).
- The server's upload limit (.streamlit/config.toml) is the app's.

Elsewhere: markup in passages, file names, document ids, reviewer names and notes stays
inert in a real browser (tests/test_browser.py, also the upload limit against a client
that skips the browser's check); uploads of a wrong type, binary data or over the size
limit are refused with nothing stored (tests/test_app.py); a model file whose sha256 does
not match its card, or that holds Python objects (would need pickle), is refused with a
clear error (tests/test_model.py: test_tampered_artifact_is_refused_before_loading,
test_python_objects_in_a_model_file_are_refused_even_with_a_matching_hash).
"""

from __future__ import annotations

import ast
import json
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labeler import score_text
from labeler.store.db import storable
from labeler.store.review import GRAPHIC, NOT_VIOLENT
from labeler.store.store import QueueFilter, Store, StoreError
from tests.reviewing import decide, note_box, press, undo_last

from .conftest import ROOT

EVIL = [
    "'; DROP TABLE reviews; --",
    '" OR 1=1 --',
    "x' OR '1'='1",
    "%",
    "_",
    "\\",
    "\0",
    "?",
    "%s",
    "'); DELETE FROM documents; --",
]
VIOLENT = "Gunmen stormed the village at dawn and shot dead eleven people."
TABLES = {"documents", "passages", "scores", "reviews", "claims", "second_looks", "migrations"}


@pytest.fixture()
def store(store_target):
    s = Store(store_target)
    yield s
    s.close()


def add(store: Store, model, doc_id: str, source: str, text: str, version: str | None = None):
    record = score_text(text, doc_id, model)
    record["source"] = {"path": source, "line": None}
    record["fields"] = {"desk": doc_id}
    if version is not None:
        record["model"] = version
    store.documents.add(record, text, model.thresholds)
    return store.documents.passage_id(doc_id, 0)


def tables_intact(store: Store) -> None:
    assert TABLES <= set(store.db.schema())
    assert store.maintenance.integrity() == []


@pytest.mark.parametrize("evil", EVIL, ids=repr)
def test_injection_strings_in_store_values_are_data(store, model, evil):
    """Each string as a document id, source file, passage text, fields and model version,
    beside an ordinary document that a LIKE, an OR or a broken quote would match too."""
    plain = add(store, model, "plain", "plain.txt", VIOLENT)
    version = storable(f"v-{evil}")
    mine = add(store, model, evil, evil, f"{VIOLENT} {evil}", version=version)
    stored = storable(evil)  # NUL becomes U+FFFD (PostgreSQL cannot hold it), nothing else
    p = store.documents.passage(mine)
    assert (p["record_id"], p["source_path"], p["text"]) == (stored, stored, f"{VIOLENT} {stored}")
    assert store.documents.passage(plain)["record_id"] == "plain"
    fields = store.db.execute("SELECT fields FROM documents WHERE id = ?", (p["document_id"],))
    assert json.loads(fields.fetchone()[0]) == {"desk": evil}
    assert stored in store.queue.choices()["source_path"]

    # filters: each matches the one document with exactly that value, never the other
    by_source = store.queue.next("ana", queue=QueueFilter(source_path=stored))
    assert by_source["id"] == mine
    assert store.queue.next("ana", queue=QueueFilter(source_path=f"{stored}x")) is None
    store.queue.release(by_source["claim"])  # ana's claim stands until released (or decided)
    assert store.queue.next("ben", queue=QueueFilter(model=version))["id"] == mine
    assert store.queue.next("cy", queue=QueueFilter(model=version[2:])) is None
    with pytest.raises(StoreError, match="label must be one of"):
        QueueFilter(label=evil)
    with pytest.raises(TypeError):  # a severity is a number: a string never gets to SQL
        store.queue.next("dan", queue=QueueFilter(min_severity=evil))  # type: ignore[arg-type]
    with pytest.raises(StoreError, match="order must be one of"):
        store.queue.next("dan", order=evil)
    with pytest.raises(StoreError, match="no passage"):
        store.documents.passage_id(f"{stored}x", 0)
    tables_intact(store)


@pytest.mark.parametrize("evil", EVIL, ids=repr)
def test_injection_strings_as_reviewer_names_notes_and_reasons_are_data(store, model, evil):
    plain = add(store, model, "plain", "plain.txt", VIOLENT)
    other = add(store, model, "other", "other.txt", VIOLENT)
    decide(store, plain, "ana", "correct", GRAPHIC, note="ana's note")
    name = storable(evil)
    claimed = store.queue.next(name, order="document")
    assert claimed["id"] == other  # ana's reviewed passage is not served again
    decide(store, other, name, "correct", NOT_VIOLENT, note=evil)
    store.queue.flag_for_second_look(other, storable(f"reason {evil}"))

    assert [r.reviewer for r in store.reviews.of(other)] == [name]
    assert store.queue.progress(name)["by_you"] == 1  # "%" or "_" counts no one else's
    assert store.reviews.last(name).passage_id == other
    assert store.reviews.last("ana").passage_id == plain
    notes = store.db.execute("SELECT reviewer, note FROM reviews ORDER BY id").fetchall()
    assert [tuple(n) for n in notes] == [("ana", "ana's note"), (name, storable(evil))]
    reason = store.db.execute("SELECT reason FROM second_looks").fetchone()[0]
    assert reason == storable(f"reason {evil}")
    assert store.queue.next_second_look(name) is None  # not the reviewer who made the call
    assert store.queue.next_second_look("ana")["id"] == other
    undo_last(store, name)
    assert (
        store.reviews.current_labels(other) is None
        and store.reviews.current_labels(plain) == GRAPHIC
    )
    tables_intact(store)
    assert store.db.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == 3


def test_injection_strings_through_the_cli_are_data(tmp_path):
    """`labeler score --store`: document ids from the input and the file's own name."""
    from labeler.cli import main

    folder = tmp_path / "'; DROP TABLE documents; --"
    folder.mkdir()
    source = folder / '" OR 1=1 -- %_\\.jsonl'
    lines = [json.dumps({"id": evil, "text": f"{VIOLENT} {evil}"}) for evil in EVIL]
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "review.db"
    out = tmp_path / "out.jsonl"
    argv = ["score", str(source), "--jobs", "1", "--quiet", "--store", str(db), "-o", str(out)]
    assert main(argv) == 0
    store = Store(db)
    rows = store.db.execute("SELECT record_id, source_path FROM documents ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [(storable(evil), str(source)) for evil in EVIL]
    tables_intact(store)
    store.close()


def test_injection_strings_typed_in_the_dashboard_are_data(tmp_path, monkeypatch, model):
    """The dashboard's text inputs that reach SQL: the reviewer name and the note."""
    from streamlit.testing.v1 import AppTest

    db = tmp_path / "review.db"
    monkeypatch.setenv("LABELER_DB", str(db))
    store = Store(db)
    for i in range(len(EVIL)):
        add(store, model, f"d{i}", "plain.txt", VIOLENT)
    store.close()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.run()
    at.sidebar.radio(key="order").set_value("Document order")
    for evil in EVIL:
        at.sidebar.text_input(key="reviewer").input(f"{evil} ").run()  # names are stripped
        note_box(at).input(evil).run()
        press(at, "N")
        assert not at.exception
    store = Store(db)
    rows = store.db.execute("SELECT reviewer, decision, note FROM reviews ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [
        (storable(evil.strip()), "correct", storable(evil)) for evil in EVIL
    ]
    tables_intact(store)
    store.close()


# --- static scan: SQL is never built from values -------------------------------------

SQL_WORDS = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|DROP|CREATE|ALTER|WHERE|FROM|JOIN|AND|OR|ORDER BY|"
    r"LIMIT|LIKE|BETWEEN|VALUES|SET|PRAGMA)\b"
)
EXECUTE = {"execute", "executemany", "executescript"}
# What may be interpolated into SQL text: (file, function, expression), and why it is safe.
FRAGMENTS = {
    ("labeler/store/queue.py", "where", "top"): "a column expression queue.next passes: 's.top'",
    ("labeler/store/queue.py", "first", "where"): "QueueFilter.where: fixed clauses, values as ?",
    ("labeler/store/queue.py", "first", "order_sql"): "looked up in a fixed dict of ORDER BYs",
    ("labeler/store/queue.py", "first", "rank"): "looked up in the same fixed dict",
    ("labeler/store/queue.py", "first", "state"): "SKIPPED or WAITING, the review rules' ints",
    ("labeler/store/queue.py", "first", "hint"): "INDEXED BY a name from QUEUE_INDEXES",
    ("labeler/store/queue.py", "claimed", "where"): "QueueFilter.where, as for first",
    ("labeler/store/queue.py", "claimed", "state"): "SKIPPED or WAITING, as for first",
    ("labeler/store/queue.py", "_count_scored", "flagged"): "one fixed COUNT(CASE ...) per label",
    ("labeler/store/queue.py", "first", "REVIEWER_IS"): "a fixed clause, the name as ?",
    ("labeler/store/reviews.py", "_newest_first", "REVIEWER_IS"): "the same fixed clause",
    ("labeler/store/reviews.py", "recent", "REVIEWER_IS"): "the same fixed clause",
    ("labeler/store/queue.py", "_double_review_due", "where"): "QueueFilter.where",
    ("labeler/store/migrations.py", "integrity", "table"): "from the ORPHAN_CHECKS constant",
    ("labeler/store/migrations.py", "integrity", "parent"): "from the ORPHAN_CHECKS constant",
    ("labeler/store/migrations.py", "integrity", "column"): "from the ORPHAN_CHECKS constant",
    ("labeler/store/postgres.py", "integrity", "found[0]"): "the amcheck extension's schema",
}
# SQL handed to an execute call as something other than a literal, and why it is safe.
PASSED_ON = {
    ("labeler/store/db.py", "execute", "sql"): "the engine adapter passes the store's SQL on",
    ("labeler/store/db.py", "executemany", "sql"): "the engine adapter passes the store's SQL on",
    ("labeler/store/postgres.py", "execute", "_placeholders(sql)"): "the same, with ? made %s",
    ("labeler/store/postgres.py", "executemany", "_placeholders(sql)"): "the same, with ? made %s",
    ("labeler/store/migrations.py", "apply_migrations", "db.ddl(statement)"): "MIGRATIONS",
    ("labeler/store/db.py", "select_in", "sql.format(marks)"): "the store's SQL; IN (?, ?...)",
}


def _is_sql(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(SQL_WORDS.search(node.value))
    )


def sql_built_from_values(source: str, path: str) -> list[str]:
    """Places in ``source`` where SQL text is formatted with, or an execute call is given,
    anything but a module-level string constant or what FRAGMENTS or PASSED_ON list."""
    tree = ast.parse(source)
    constants = {  # module-level names bound to a string literal (no f-string)
        target.id
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found: list[str] = []

    def visit(node: ast.AST, function: str) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        where = f"{path}:{getattr(node, 'lineno', '?')} in {function}()"
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
            if SQL_WORDS.search(text):
                for value in node.values:
                    if isinstance(value, ast.FormattedValue):
                        expression = ast.unparse(value.value)
                        if expression in constants:
                            continue  # a module-level string constant: fixed text
                        if (path, function, expression) not in FRAGMENTS:
                            found.append(f"{where}: {{{expression}}} in SQL text")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
            sides = (node.left, node.right)
            if any(map(_is_sql, sides)) and not all(isinstance(s, ast.Constant) for s in sides):
                found.append(f"{where}: SQL text joined with {ast.unparse(node)}")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "format" and _is_sql(node.func.value):
                found.append(f"{where}: SQL text .format()ted")
            if node.func.attr in EXECUTE and node.args:
                sql = node.args[0]
                literal = isinstance(sql, ast.Constant | ast.JoinedStr)  # f-strings: above
                constant = isinstance(sql, ast.Name) and sql.id in constants
                passed = (path, function, ast.unparse(sql)) in PASSED_ON
                if not (literal or constant or passed):
                    found.append(f"{where}: execute({ast.unparse(sql)}) is not a literal")
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(tree, "<module>")
    return found


def test_no_sql_is_built_from_values():
    files = sorted((ROOT / "labeler").rglob("*.py")) + [ROOT / "app.py"]
    found = [
        problem
        for file in files
        for problem in sql_built_from_values(
            file.read_text(encoding="utf-8"), file.relative_to(ROOT).as_posix()
        )
    ]
    assert found == [], (
        "SQL must take values as ? parameters; a fixed fragment that has to be"
        " interpolated goes in FRAGMENTS (or PASSED_ON) with the reason it is safe"
    )


@pytest.mark.parametrize(
    "code",
    [
        "def f(db, name):\n    db.execute(f\"SELECT * FROM reviews WHERE reviewer = '{name}'\")",
        "def f(db, name):\n    db.execute(\"SELECT * FROM reviews WHERE reviewer = '%s'\" % name)",
        "def f(db, n):\n    db.execute(\"DELETE FROM claims WHERE reviewer = '{}'\".format(n))",
        'def f(db, name):\n    db.execute("SELECT * FROM reviews WHERE reviewer = \'" + name)',
        "def f(db, name):\n    sql = f\"DELETE FROM claims WHERE reviewer = '{name}'\"\n"
        "    db.execute(sql)",
        "def f(db, clause):\n    db.executemany(clause, [])",
        "def where(name):\n    return f\" AND d.source_path = '{name}'\"",  # a clause apart
        "def integrity(db, table):\n    db.execute(f'SELECT COUNT(*) FROM {table}')",  # no file
        "Q = f'SELECT * FROM {x}'\ndef f(db):\n    db.execute(Q)",  # not a literal constant
        "def f(db, name):\n    q = 'SELECT * FROM reviews'\n"
        "    db.execute(f'{q} WHERE reviewer = {name}')",
    ],
)
def test_the_sql_scan_catches_sql_built_from_values(code):
    assert sql_built_from_values(code, "labeler/new.py")


def test_the_sql_scan_lets_parameters_and_plain_messages_pass():
    code = (
        "Q = 'SELECT note FROM reviews'\n"
        "def f(db, name, count):\n"
        "    db.execute('SELECT * FROM reviews WHERE reviewer = ?', (name,))\n"
        "    db.execute(Q, ())\n"
        "    db.execute(f'{Q} WHERE id = ?', (count,))\n"
        "    return f'{count} reviews by {name} refer to a missing passage'\n"
    )
    assert sql_built_from_values(code, "labeler/new.py") == []


# --- escaping and limits ---------------------------------------------------------------


@given(st.text(), st.text(), st.lists(st.text(), max_size=5))
def test_headings_and_review_history_never_become_markup(title, detail, cells):
    from labeler.dashboard.render import HISTORY_COLUMNS, caption_html, heading_html, history_html

    rows = [dict(zip(HISTORY_COLUMNS, cells[i:] + cells[:i], strict=False)) for i in range(2)]
    for html in (heading_html(title, detail), caption_html(detail), history_html(rows)):
        ours = re.sub(r"</?(h3|p|table|thead|tbody|tr|th|td)( style=\"[^\"<>]*\")?>|<br>", "", html)
        assert "<" not in ours and ">" not in ours  # only our own tags
        assert "\n" not in html and "$" not in html  # one HTML block; no maths


def test_the_servers_upload_limit_is_the_apps():
    config = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    (server,) = re.findall(r"^maxUploadSize = (\d+)$", config, re.M)
    page = ROOT / "labeler" / "dashboard" / "import_page.py"
    app = ast.parse(page.read_text(encoding="utf-8"))
    (limit,) = [
        node.value.value
        for node in app.body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "MAX_UPLOAD_MB"
    ]
    assert int(server) == limit
