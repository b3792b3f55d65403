"""Re-score the review store with the current model: ``labeler rescore`` and the
dashboard's "Re-score the store".

Passages are read back from the store in batches (``store.rescoring.unscored``), scored as
``labeler score`` scores them (``score_passages``) and stored beside their old scores, one
transaction a batch; every review stays. Stopped at any point, it continues where it was
when run again: what is left is whatever has no score of the model's version yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from labeler.jobs import Progress, quiet
from labeler.model import Model
from labeler.scoring import score_passages
from labeler.store.store import Store

BATCH = 2_000  # passages a transaction


@dataclass(frozen=True)
class Rescored:
    version: str
    scored: int  # passages scored by this run
    already: int  # passages that had a score of this version before it


def rescore(store: Store, model: Model, batch: int = BATCH, progress: Progress = quiet) -> Rescored:
    """Score every passage of ``store`` that ``model``'s version has not scored, in batches."""
    total = store.rescoring.count_unscored(model.version)
    already = store.maintenance.counts()["passages"] - total
    done, after = 0, 0
    progress(f"0 of {total:,} passages re-scored", 0.0 if total else 1.0)
    while left := store.rescoring.unscored(model.version, after, batch):
        records, _ = score_passages([passage for _, passage in left], model)
        ids = [passage_id for passage_id, _ in left]
        store.rescoring.add_scores(
            model.version, list(zip(ids, records, strict=True)), model.thresholds
        )
        done, after = done + len(left), ids[-1]
        progress(f"{done:,} of {total:,} passages re-scored", done / max(total, 1))
    return Rescored(model.version, done, already)
