"""The review store's schema: named, ordered migrations, and the checks that it holds.

Each migration is applied once, in order, inside the store's write transaction, and
recorded in ``migrations``; the SQL is SQLite's, translated for PostgreSQL by
``Database.ddl``. What SQL alone cannot do (hashing, the review rules) is mended by the
store right after (``Maintenance.migrate``). ``integrity`` runs the engine's own check and the
store's invariants.
"""

from __future__ import annotations

from labeler.store.db import Database

MIGRATIONS: list[tuple[str, str]] = [
    (
        "0001_documents_passages_scores_reviews",
        """
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY,
            doc_key TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            source_path TEXT,
            source_line INTEGER,
            fields TEXT,
            added_at TEXT NOT NULL,
            UNIQUE (doc_key, text_hash)
        );
        CREATE TABLE passages (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents (id),
            idx INTEGER NOT NULL,
            start_char INTEGER NOT NULL,
            end_char INTEGER NOT NULL,
            text TEXT NOT NULL,
            UNIQUE (document_id, idx)
        );
        CREATE TABLE scores (
            passage_id INTEGER NOT NULL REFERENCES passages (id),
            model_version TEXT NOT NULL,
            violence REAL NOT NULL,
            graphic REAL NOT NULL,
            flags TEXT NOT NULL,
            severity INTEGER NOT NULL,
            evidence TEXT NOT NULL,
            scored_at TEXT NOT NULL,
            PRIMARY KEY (passage_id, model_version)
        );
        CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            passage_id INTEGER NOT NULL REFERENCES passages (id),
            reviewer TEXT NOT NULL,
            decision TEXT NOT NULL CHECK (decision IN ('confirm', 'correct', 'skip', 'undo')),
            violence INTEGER,
            graphic INTEGER,
            severity INTEGER,
            note TEXT,
            model_version TEXT,
            decided_at TEXT NOT NULL
        );
        CREATE INDEX reviews_by_passage ON reviews (passage_id);
        CREATE TABLE claims (
            passage_id INTEGER PRIMARY KEY REFERENCES passages (id),
            reviewer TEXT NOT NULL,
            expires_at TEXT NOT NULL
        );
        """,
    ),
    (
        "0002_queue_priority_columns",
        """
        ALTER TABLE scores ADD COLUMN top REAL;
        ALTER TABLE scores ADD COLUMN margin REAL;
        UPDATE scores SET top = CASE WHEN violence > graphic THEN violence ELSE graphic END;
        CREATE INDEX scores_by_top ON scores (top DESC);
        CREATE INDEX scores_by_margin ON scores (margin);
        """,
    ),
    (
        "0003_second_looks",
        """
        CREATE TABLE second_looks (
            passage_id INTEGER PRIMARY KEY REFERENCES passages (id),
            reason TEXT NOT NULL,
            flagged_at TEXT NOT NULL
        );
        """,
    ),
    (
        # The queue follows partial indexes of passages nobody has reviewed yet, so
        # finding the next one does not get slower as reviews pile up at its head.
        "0004_waiting_queue",
        """
        ALTER TABLE scores ADD COLUMN waiting INTEGER NOT NULL DEFAULT 1;
        UPDATE scores SET waiting = 0
            WHERE EXISTS (SELECT 1 FROM reviews r WHERE r.passage_id = scores.passage_id);
        DROP INDEX scores_by_top;
        DROP INDEX scores_by_margin;
        CREATE INDEX waiting_by_passage ON scores (passage_id) WHERE waiting = 1;
        CREATE INDEX waiting_by_top ON scores (top DESC) WHERE waiting = 1;
        CREATE INDEX waiting_by_margin ON scores (margin) WHERE waiting = 1;
        """,
    ),
    (
        # A batch of documents is added set-wide and found again by its stamp.
        "0005_documents_by_added_at",
        "CREATE INDEX documents_by_added_at ON documents (added_at)",
    ),
    (
        # A decision names the claim it was served under; a passage's queue state says
        # labelled, waiting, skipped or junk (``labeler.store.review``), not just "waiting".
        # Skips and undone passages of earlier versions are mended from their reviews
        # when the store opens (``Maintenance.migrate``).
        "0006_claims_and_queue_states",
        """
        ALTER TABLE scores RENAME COLUMN waiting TO queue_state;
        CREATE INDEX scores_by_state ON scores (queue_state, passage_id);
        ALTER TABLE claims ADD COLUMN token TEXT;
        ALTER TABLE claims ADD COLUMN claimed_at TEXT;
        ALTER TABLE reviews ADD COLUMN claim TEXT;
        CREATE TABLE document_reviews (
            id INTEGER PRIMARY KEY,
            document_id INTEGER NOT NULL REFERENCES documents (id),
            reviewer TEXT NOT NULL,
            level TEXT NOT NULL CHECK (level IN ('none', 'violence', 'graphic')),
            warning TEXT,
            decided_at TEXT NOT NULL
        );
        CREATE INDEX document_reviews_by_document ON document_reviews (document_id);
        """,
    ),
    (
        # A document is found by the hash of its id: a PostgreSQL index entry holds about
        # 2.7 KB at most, a document id any length. The hashes are filled in, and on
        # PostgreSQL the unique constraint on the id itself dropped, by ``Maintenance.migrate``;
        # SQLite, which has no such limit, keeps that index (dropping a table's constraint
        # there means rebuilding the table), unused by the store's statements.
        "0007_hashed_document_keys",
        """
        ALTER TABLE documents ADD COLUMN key_hash TEXT;
        CREATE UNIQUE INDEX documents_by_key_hash ON documents (key_hash, text_hash);
        """,
    ),
    (
        # A reviewer's latest decision and the count of passages their decisions label are
        # read on every key press: the first from the newest end of their reviews, the
        # second kept as it changes (filled in from the reviews by ``Maintenance.migrate``), so
        # neither reads a reviewer's whole history. A name is any length, a PostgreSQL
        # index entry at most about 2.7 KB: reviews are indexed by a name's first 100
        # characters (``REVIEWER_IS``), the counts by the name's hash.
        "0008_reviewer_progress",
        """
        CREATE INDEX reviews_by_reviewer ON reviews (substr(reviewer, 1, 100), id);
        CREATE TABLE reviewer_progress (
            reviewer_hash TEXT PRIMARY KEY,
            reviewer TEXT NOT NULL,
            labelled INTEGER NOT NULL
        );
        """,
    ),
    (
        # Where reviewers disagree, an adjudicator picks the final label; append-only, the
        # latest one stands (``labeler.store.adjudication``).
        "0009_adjudications",
        """
        CREATE TABLE adjudications (
            id INTEGER PRIMARY KEY,
            passage_id INTEGER NOT NULL REFERENCES passages (id),
            adjudicator TEXT NOT NULL,
            violence INTEGER NOT NULL,
            graphic INTEGER NOT NULL,
            severity INTEGER NOT NULL,
            note TEXT,
            decided_at TEXT NOT NULL
        );
        CREATE INDEX adjudications_by_passage ON adjudications (passage_id);
        """,
    ),
    (
        # Who retrained, promoted, rolled back, re-scored, adjudicated or changed a setting,
        # and when: append-only (``labeler.store.administration``).
        "0010_admin_log",
        """
        CREATE TABLE admin_log (
            id INTEGER PRIMARY KEY,
            action TEXT NOT NULL CHECK (action IN
                ('retrain', 'promote', 'rollback', 'rescore', 'adjudicate', 'setting')),
            actor TEXT NOT NULL,
            detail TEXT NOT NULL,
            at TEXT NOT NULL
        );
        """,
    ),
    (
        # Settings that belong to the store, not to one reviewer: the double-review share.
        "0011_store_settings",
        """
        CREATE TABLE store_settings (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            set_by TEXT NOT NULL,
            set_at TEXT NOT NULL
        );
        """,
    ),
    (
        # An editor's decision on a warning says what it was (accept the suggestion, edit
        # it, no warning needed) and keeps the categories of the warning decided.
        "0012_warning_decisions",
        """
        ALTER TABLE document_reviews ADD COLUMN decision TEXT;
        ALTER TABLE document_reviews ADD COLUMN categories TEXT;
        """,
    ),
    (
        # Each score keeps its review labels (the labels at their review point, a superset
        # of its flags), so the queue can serve "flagged or to review". Scores stored before
        # have none (NULL: not known, never made up); the queue counts their flags alone.
        "0013_review_labels",
        "ALTER TABLE scores ADD COLUMN review TEXT",
    ),
    (
        # The columns take the names the records and exports use: a passage's "index",
        # "start" and "end" (quoted: keywords on one engine or the other), a score's or
        # review's "model". A record's "id" is its document's record_id (and its hash
        # record_id_hash, the index renamed with it): "id" is, in every table, the row's
        # own key, which "document_id" refers to. Constraints keep their names.
        "0014_record_vocabulary",
        """
        ALTER TABLE passages RENAME COLUMN idx TO "index";
        ALTER TABLE passages RENAME COLUMN start_char TO "start";
        ALTER TABLE passages RENAME COLUMN end_char TO "end";
        ALTER TABLE scores RENAME COLUMN model_version TO model;
        ALTER TABLE reviews RENAME COLUMN model_version TO model;
        ALTER TABLE documents RENAME COLUMN doc_key TO record_id;
        ALTER TABLE documents RENAME COLUMN key_hash TO record_id_hash;
        DROP INDEX documents_by_key_hash;
        CREATE UNIQUE INDEX documents_by_record_id_hash ON documents (record_id_hash, text_hash);
        """,
    ),
]
QUEUE_STATES = "0006_claims_and_queue_states"  # mended from reviews once applied
KEY_HASHES = "0007_hashed_document_keys"  # each document's key hash filled in once applied
REVIEWER_PROGRESS = "0008_reviewer_progress"  # counted from the reviews once applied
# (table, parent table, column): rows the schema's foreign keys say must have a parent
ORPHAN_CHECKS = (
    ("passages", "documents", "document_id"),
    ("scores", "passages", "passage_id"),
    ("reviews", "passages", "passage_id"),
    ("claims", "passages", "passage_id"),
    ("document_reviews", "documents", "document_id"),
    ("adjudications", "passages", "passage_id"),
)


def pending(db: Database) -> list[str]:
    """The migrations not yet recorded: a read, which takes no lock."""
    if not db.has_table("migrations"):
        return [name for name, _ in MIGRATIONS]
    done = {row[0] for row in db.execute("SELECT name FROM migrations")}
    return [name for name, _ in MIGRATIONS if name not in done]


def apply_migrations(db: Database, stamp: str) -> list[str]:
    """Apply every migration not yet recorded, inside the caller's write transaction (taken
    before reading what is done, so processes opening a blank store at once apply each
    migration once, never twice). Returns the names applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)"
    )
    done = {row[0] for row in db.execute("SELECT name FROM migrations")}
    applied = []
    for name, sql in MIGRATIONS:
        if name in done:
            continue
        for statement in filter(str.strip, sql.split(";")):
            db.execute(db.ddl(statement))
        db.execute("INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, stamp))
        applied.append(name)
    return applied


def integrity(db: Database) -> list[str]:
    """Problems found by the engine's own check and by the store's invariants."""
    problems = db.integrity()
    for table, parent, column in ORPHAN_CHECKS:
        count = db.execute(
            f"SELECT COUNT(*) FROM {table} t WHERE NOT EXISTS"
            f" (SELECT 1 FROM {parent} x WHERE x.id = t.{column})"
        ).fetchone()[0]
        if count:
            problems.append(f"{count} {table} rows refer to a missing {parent} row")
    return problems
