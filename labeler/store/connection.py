"""Opening a review store: a PostgreSQL URL, otherwise a SQLite file. It sits above both
engines (``db`` holds SQLite and what they share, ``postgres`` the other), so neither
imports the other."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from labeler.store.db import (
    LOCK_WAIT,
    POSTGRES_SCHEMES,
    Database,
    Sqlite,
    StoreError,
    StoreUnavailable,
    first_line,
    masked,
    missing,
    shown,
    sqlite_failure,
    sqlite_transient,
    with_retries,
)
from labeler.store.postgres import Postgres


def connect(
    target: str | Path, *, create: bool = True, reading: bool = False, lock_wait: float = LOCK_WAIT
) -> Database:
    """A connection to ``target``: a PostgreSQL URL, otherwise a SQLite file path.

    ``create``: a SQLite file that does not exist is made (else: StoreUnavailable).
    ``reading``: the caller only reads, so a file that cannot be written (a backup on a
    read-only mount) is opened read-only instead of failing. Every failure is a
    StoreError whose message shows the URL with its password masked (and the password
    masked wherever the driver's own message repeats it).
    """
    try:
        if str(target).startswith(POSTGRES_SCHEMES):
            return Postgres(str(target), lock_wait)
        path = Path(target)
        if not create and missing(path):
            raise StoreUnavailable(f"review store {path} is unavailable: the file does not exist")
        return with_retries(
            lambda: Sqlite(path, create=create, reading=reading, lock_wait=lock_wait),
            sqlite_transient,
            lock_wait,
            str(path),
        )
    except StoreError:
        raise
    except sqlite3.DatabaseError as error:
        raise sqlite_failure(error, str(target)) from None
    except Exception as error:  # a malformed URL, an unreachable server
        message = masked(first_line(error), target)
        raise StoreUnavailable(f"cannot open the review store {shown(target)}: {message}") from None
