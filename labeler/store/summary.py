"""A review store at a glance: what it holds and how far its review has come, for the line
``labeler dashboard`` prints at start and the dashboard's landing page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from labeler.store.store import Store


@dataclass(frozen=True)
class Summary:
    documents: int
    passages: int
    waiting: int  # passages with no label yet (junk is never served, nor counted)
    labelled: int
    skipped: int


def summary(store: Store) -> Summary:
    """The store's counts, by the queue's own rule for what waits and what is labelled."""
    counts = store.maintenance.counts()
    progress = store.queue.progress()
    return Summary(
        counts["documents"],
        counts["passages"],
        progress["remaining"],
        progress["reviewed"],
        progress["skipped"],
    )


def describe(s: Summary) -> str:
    """The summary in one line.

    >>> describe(Summary(2, 1200, 1000, 150, 3))
    '2 documents, 1,200 passages: 1,000 waiting, 150 labelled, 3 skipped'
    """
    return (
        f"{s.documents:,} documents, {s.passages:,} passages: {s.waiting:,} waiting, "
        f"{s.labelled:,} labelled, {s.skipped:,} skipped"
    )
