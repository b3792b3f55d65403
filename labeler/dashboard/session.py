"""What every page of one run works with: the store it opens (and how store trouble is
shown, as one line, never a traceback) and the model in use. Callbacks open their own
store with ``open_store`` too: they run outside the page's ``with`` block."""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st

from labeler import config
from labeler.scoring import cached_model
from labeler.store.db import POSTGRES_SCHEMES, StoreLocked, StoreUnavailable
from labeler.store.store import Store, StoreError


def current_model_dir() -> str | None:
    """The promoted model's directory (or LABELER_MODEL's), as the CLI scores with."""
    return str(config.model_dir() or "") or None


def current_version() -> str:
    """The version of the model in use (cached: version directories never change)."""
    return str(cached_model(current_model_dir()).card["version"])


def open_store() -> Store:
    """A connection for this run: SQLite connections must stay in one thread, and
    Streamlit runs each rerun (and its callbacks) in whichever thread it likes. The store
    is never created here (``labeler dashboard --create`` makes one): one that does not
    exist, or was deleted, is reported, not replaced."""
    target = config.store_target()
    keep_sqlite_open(target)
    return Store(
        target,
        min_dwell=config.min_dwell(),
        model=cached_model(current_model_dir()).version,  # its scores are shown
        create=False,
        lock_wait=config.lock_wait(),
    )


@contextmanager
def store_trouble_shown() -> Iterator[None]:
    """A store that is gone, unreachable or locked is one line on the page, no traceback."""
    try:
        yield
    except StoreError as trouble:
        st.error(trouble_line(trouble))


def store_trouble_noticed(callback: Callable[..., None]) -> Callable[..., None]:
    """A callback whose store trouble becomes the notice shown next, no traceback."""

    @functools.wraps(callback)
    def wrapper(*args: Any) -> None:
        try:
            callback(*args)
        except StoreError as trouble:
            st.session_state["notice"] = trouble_line(trouble)

    return wrapper


def trouble_line(trouble: StoreError) -> str:
    """The one line a store error is shown as; a store out of reach says so first."""
    if isinstance(trouble, StoreUnavailable | StoreLocked):
        return f"The review store is unavailable: {trouble}"
    return str(trouble)


@st.cache_resource(show_spinner=False)
def keep_sqlite_open(target: str) -> sqlite3.Connection | None:
    """An idle connection to a SQLite store, held for the server's life and never used.

    Each run opens and closes its own connection; when the one closing is the file's last,
    SQLite checkpoints the WAL into the database and deletes it, and the next run's open
    rebuilds it: 10-30 ms a decision (twice: its callback, then the pane's rerun). With
    this one held open, closing is cheap, and SQLite still checkpoints as the WAL grows."""
    if str(target).startswith(POSTGRES_SCHEMES):
        return None
    held = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
    held.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # no transaction left open
    return held
