"""Scored batches into the review store: the CLI's ``score --store`` and the dashboard's
upload. Adding is idempotent, so a run that crashed can simply be run again."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from labeler.batch.batches import Settings, Stats, batches, score_batch
from labeler.batch.documents import Item
from labeler.scoring import cached_model

if TYPE_CHECKING:
    from labeler.store.store import Store


@contextmanager
def open_store(target: str | None) -> Iterator[Store | None]:
    """The store a run adds to (None: no store), checked writable: a read-only one fails
    here, before any output is opened, not after the first batch. Closed at the end."""
    if target is None:
        yield None
        return
    from labeler.store.store import Store

    with Store(target) as store:
        store.db.check_writable()
        yield store


def score_into_store(
    items: Iterable[Item], store: Store, model_dir: str | None = None
) -> tuple[Stats, list[str]]:
    """Score documents (from ``read_inputs`` or ``read_upload``) into the review store, in
    this process, as the dashboard's upload does.

    Returns the totals and the messages for records that could not be scored.
    """
    settings = Settings(model_dir=model_dir, keep_for_store=True)
    thresholds = cached_model(model_dir).thresholds
    stats, messages = Stats(), []
    for batch in batches(items):
        result = score_batch(settings, batch)
        store.documents.add_many(result.stored, thresholds)
        stats.add(result.stats)
        messages += result.messages
    return stats, messages
