"""The review store: scored documents, their passages, and every review decision.

``db`` adapts the two engines (SQLite, PostgreSQL), ``store`` persists documents,
claims and reviews, ``review`` holds the review rules (what a decision means), and
``export`` writes the reviewed passages. The names below are imported on first use.
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from labeler.store.db import StoreError  # noqa: F401
    from labeler.store.store import Claim, QueueFilter, StaleDecision, Store  # noqa: F401

_FROM = {
    "Claim": "labeler.store.store",
    "QueueFilter": "labeler.store.store",
    "StaleDecision": "labeler.store.store",
    "Store": "labeler.store.store",
    "StoreError": "labeler.store.db",
}

__all__ = sorted(_FROM)


def __getattr__(name: str) -> Any:
    if name not in _FROM:
        raise AttributeError(f"module 'labeler.store' has no attribute {name!r}")
    return getattr(import_module(_FROM[name]), name)
