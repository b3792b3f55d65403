"""Which model version is current, as read from LABELER_HOME/models (the registry).

Every command that scores asks this (``config.model_dir``), so it lives below the
learning loop; ``labeler.learn.registry`` adds the writes (new versions, promotions,
rollbacks) on top of it. ``registry.json`` records the promoted versions in order.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from labeler.model import CARD_FILE, ModelError


class Promotions:
    """The registry under ``home``, read: the promotion history and each version's folder."""

    def __init__(self, home: Path) -> None:
        self.root = home / "models"
        self.state_path = self.root / "registry.json"

    def _state(self) -> dict[str, Any]:
        """The promotion history; a damaged registry.json is a clear ModelError."""
        if not self.state_path.exists():
            return {"history": []}
        try:
            state = json.loads(self.state_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:  # UnicodeDecodeError is a ValueError
            raise ModelError(f"{self.state_path}: not a readable registry ({err})") from None
        history = state.get("history") if isinstance(state, dict) else None
        if not isinstance(history, list) or not all(isinstance(v, str) for v in history):
            raise ModelError(
                f'{self.state_path}: not a registry (expected {{"history": [versions]}}); '
                "fix it, or delete it to go back to the shipped model"
            )
        return state  # type: ignore[no-any-return]

    def current(self) -> str | None:
        history = self._state()["history"]
        return history[-1] if history else None

    def previous(self) -> str | None:
        """The version a rollback returns to (None: the shipped model)."""
        history = self._state()["history"]
        return history[-2] if len(history) > 1 else None

    def path(self, version: str) -> Path:
        directory = self.root / version
        if not version or directory.parent != self.root or not (directory / CARD_FILE).is_file():
            raise ModelError(f"no model version {version} in {self.root}")
        return directory
