"""Deciding passages the way the dashboard does: claim first, then decide under the claim."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from labeler import score_text
from labeler.store.review import Labels
from labeler.store.store import Store


class Clock:
    """A store's clock that moves one second a reading: decisions in a known order."""

    def __init__(self) -> None:
        self.t = datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.t += timedelta(seconds=1)
        return self.t


def model_as(directory: Path, version: str) -> Path:
    """The shipped model under another version name (the artifact's hash still matches)."""
    shutil.copytree(
        Path(__file__).resolve().parents[1] / "labeler" / "models" / "default", directory
    )
    card = json.loads((directory / "card.json").read_text())
    card["version"] = version
    (directory / "card.json").write_text(json.dumps(card))
    return directory


def add_documents(store: Store, docs, model) -> None:
    """Score each (document id, source path, text) with ``model`` into ``store``, the way
    ``labeler score --store`` adds a file's documents."""
    for doc_id, source, text in docs:
        record = score_text(text, doc_id, model)
        record["source"] = {"path": source, "line": None}
        store.documents.add(record, text, model.thresholds)


def decide(
    store: Store,
    passage_id: int,
    reviewer: str,
    decision: str,
    labels: Labels | None = None,
    note: str | None = None,
) -> int:
    """Claim ``passage_id`` for ``reviewer`` and record one decision under that claim."""
    claim = store.queue.claim(passage_id, reviewer)
    assert claim is not None, f"passage {passage_id} is held by another reviewer"
    return store.reviews.record(claim, decision, labels, note)


def undo_last(store: Store, reviewer: str) -> int | None:
    """Undo ``reviewer``'s latest standing decision, if any; its passage id."""
    last = store.reviews.last(reviewer)
    return None if last is None else store.reviews.undo(reviewer, last.id)


def press(at, key: str):
    """Click the decision button with keyboard shortcut ``key`` in a dashboard AppTest
    (its widget key names the claim it was drawn for), and rerun."""
    (button,) = [b for b in at.button if b.key and b.key.startswith(f"act-{key}-")]
    return button.click().run()


def press_undo(at):
    (button,) = [b for b in at.button if b.key and b.key.startswith("undo-")]
    return button.click().run()


def note_box(at):
    """The note box (one, for every passage)."""
    return at.text_input(key="note")


def progress_line(at) -> str:
    (line,) = [c.value for c in at.caption if c.value.startswith("Labelled ")]
    return line
