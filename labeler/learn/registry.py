"""Model versions under LABELER_HOME/models: each trained model, its card, which is current.

``registry.json`` records the promoted versions in order, so ``rollback`` returns
to the one before. A version directory is written once and never changed.
Promotions and rollbacks read, change and write ``registry.json`` under a lock
(``registry.lock``), so two at once (two admins, a retrain) never lose one. Each returns
the :class:`Change` it made, which the admin log records as it is (CLI and dashboard alike).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeler.model import CARD_FILE, Model, ModelError, load_model, read_card, save_model
from labeler.outputs import locked, temp_name
from labeler.promotions import Promotions

SHIPPED = "the shipped model"  # what is current when no version was ever promoted


@dataclass(frozen=True)
class Change:
    """A promotion or rollback: the current version before and after it (None: shipped)."""

    action: str  # "promote" or "rollback", as the admin log names them
    before: str | None
    after: str | None

    @property
    def detail(self) -> str:
        """The change in words, for the admin log and the messages saying it was made.

        >>> Change("promote", None, "v2").detail
        'v2, replacing the shipped model'
        >>> Change("rollback", "v2", None).detail
        'from v2 to the shipped model'
        """
        if self.action == "promote":
            return f"{self.after}, replacing {self.before or SHIPPED}"
        return f"from {self.before or SHIPPED} to {self.after or SHIPPED}"


class Registry(Promotions):
    """The registry, to change: new versions, their cards, promotions and rollbacks (reading
    which version is current is ``Promotions``', below the learning loop)."""

    @contextmanager
    def _changing(self) -> Iterator[dict[str, Any]]:
        """The promotion history, to change in place: read under the lock, written back
        (through this process's own temporary file) before the lock is let go."""
        self.root.mkdir(parents=True, exist_ok=True)
        with locked(self.root / "registry.lock"):
            state = self._state()
            yield state
            tmp = temp_name(self.state_path)
            try:
                tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
                os.replace(tmp, self.state_path)
            finally:
                tmp.unlink(missing_ok=True)

    def add(self, model: Model) -> Path:
        """Store a trained model as a new version (its card's ``version``)."""
        directory = self.root / model.version
        try:
            directory.mkdir(parents=True)  # claimed at once: two retrains never share it
        except FileExistsError:
            raise ModelError(
                f"model version {model.version} already exists in {self.root}"
            ) from None
        save_model(model, directory)
        return directory

    def versions(self) -> list[dict[str, Any]]:
        """Every stored version's card, oldest first (versions whose card cannot be read
        are left out: see ``listing``)."""
        return self.listing()[0]

    def listing(self) -> tuple[list[dict[str, Any]], list[str]]:
        """Every readable version's card, oldest first, and a line for each folder that
        is not a readable version: one bad folder does not hide the others."""
        if not self.root.exists():
            return [], []
        cards, bad = [], []
        for d in sorted(p for p in self.root.iterdir() if p.is_dir()):
            try:
                cards.append(read_card(d / CARD_FILE))
            except ModelError as err:
                bad.append(str(err))
        return sorted(cards, key=lambda c: (str(c.get("trained_at", "")), c["version"])), bad

    def promote(self, version: str) -> Change:
        """Make ``version`` current, once it is known to load: a version that cannot
        (a damaged artifact, a card that does not vouch for it) would stop all scoring."""
        try:
            load_model(self.path(version))
        except ModelError as err:
            raise ModelError(f"cannot promote {version}: {err}") from None
        with self._changing() as state:
            history = state["history"]
            before = history[-1] if history else None
            history.append(version)
        return Change("promote", before, version)

    def rollback(self) -> Change:
        """Return to the previously promoted version (after: None, the shipped model)."""
        with self._changing() as state:
            history = state["history"]
            if not history:
                raise ModelError("nothing to roll back: the shipped model is current")
            before = history.pop()
            return Change("rollback", before, history[-1] if history else None)
