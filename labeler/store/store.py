"""The review store: one connection and the parts that share it.

``documents`` adds scored documents and reads their passages, ``queue`` serves passages
under claims and counts progress, ``reviews`` records decisions and reads them back,
``adjudications`` settles disagreements, ``warnings`` keeps documents' content warnings,
``labelled`` reads the passages with a label as it stands (training, export), ``rescoring``
adds another model version's scores, ``admin`` keeps the admin log and settings, and
``maintenance`` migrates, checks and counts. Each part has a narrow public interface and
is handed the parts it needs.

SQLite is the embedded default (WAL mode, every write in one transaction). The SQL is
plain and parameterised only, so the same statements serve PostgreSQL
(``labeler.store.db``). Reviews are append-only: an undo or a change of mind is a new
row, and a passage's current label is derived (``labeler.store.review``). Re-scoring a
document with a new model version adds a score row beside the old one and never touches
its reviews; what is shown and confirmed are the scores of the model in use
(``model``), else the newest.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from labeler.store.adjudication import Adjudications
from labeler.store.administration import Administration
from labeler.store.connection import connect
from labeler.store.db import LOCK_WAIT, StoreError
from labeler.store.documents import Documents
from labeler.store.labelled import Labelled
from labeler.store.maintenance import Maintenance
from labeler.store.migrations import MIGRATIONS
from labeler.store.queue import Claim, Queue, QueueFilter, StaleDecision
from labeler.store.rescoring import Rescoring
from labeler.store.reviews import Reviews
from labeler.store.warnings import Warnings

__all__ = ["MIGRATIONS", "Claim", "QueueFilter", "StaleDecision", "Store", "StoreError"]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Store:
    """A review store: a SQLite file path or a PostgreSQL URL (``labeler.store.db``).

    ``model``: the model in use, whose scores a passage is shown and confirmed
    with. ``create``: a SQLite file that does not exist is made (else StoreUnavailable,
    so a store deleted under a running dashboard is not silently replaced by an empty
    one). ``reading``: the caller only reads (check, export): the store must exist, and
    a file that cannot be written is opened read-only (``db.read_only``). A write waits
    at most ``lock_wait`` seconds for another process's lock. ``now`` is injectable for
    tests; a decision sooner than ``min_dwell`` after its claim is refused.
    """

    def __init__(
        self,
        target: str | Path,
        now: Any = utc_now,
        min_dwell: timedelta = timedelta(0),
        *,
        model: str | None = None,
        create: bool = True,
        reading: bool = False,
        lock_wait: float = LOCK_WAIT,
    ) -> None:
        self.now = now
        self.db = connect(
            target, create=create and not reading, reading=reading, lock_wait=lock_wait
        )
        db, stamp = self.db, self.stamp
        self.admin = Administration(db, stamp)
        self.documents = Documents(db, stamp, model)
        self.rescoring = Rescoring(db, stamp)
        self.queue = Queue(db, now, stamp, min_dwell, self.documents, self.admin)
        self.reviews = Reviews(db, stamp, self.documents, self.queue)
        self.adjudications = Adjudications(db, stamp, self.documents, self.admin)
        self.warnings = Warnings(db, stamp, model, self.reviews, self.adjudications)
        self.labelled = Labelled(db, model, self.reviews, self.adjudications, self.warnings)
        self.maintenance = Maintenance(db, stamp, self.reviews)
        try:
            self.maintenance.migrate()
        except BaseException:
            self.db.close()
            raise

    def __enter__(self) -> Store:
        return self

    def __exit__(self, kind: object, error: BaseException | None, traceback: object) -> None:
        """Close; a driver error that ends the block leaves it as a one-line StoreError."""
        self.close()
        if isinstance(error, self.db.errors):
            raise self.db.failure(error) from None

    def close(self) -> None:
        self.db.close()

    def stamp(self) -> str:
        """Now, as the store writes it."""
        return self.now().isoformat(timespec="microseconds")
