"""The review store: scored documents, their passages, and every review decision.

``db`` adapts the two engines (SQLite, and ``postgres``), ``store`` is one connection
and its parts (``documents``, ``queue``, ``reviews``, ``adjudication``, ``warnings``,
``labelled``, ``rescoring``, ``administration``, ``maintenance``), ``review`` holds the
review rules (what a decision means), and ``export`` writes the reviewed passages. The
names below are imported on first use.
"""

from __future__ import annotations

from labeler.lazy import exports

TYPE_CHECKING = False
if TYPE_CHECKING:
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


__getattr__ = exports(__name__, _FROM)
