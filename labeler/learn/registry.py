"""Model versions under LABELER_HOME/models: each trained model, its card, which is current.

``registry.json`` records the promoted versions in order, so ``rollback`` returns
to the one before. A version directory is written once and never changed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from labeler.model import CARD_FILE, Model, ModelError, read_card, save_model


class Registry:
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

    def _save_state(self, state: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_name("registry.json.tmp")
        tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
        os.replace(tmp, self.state_path)

    def add(self, model: Model) -> Path:
        """Store a trained model as a new version (its card's ``version``)."""
        directory = self.root / model.version
        if directory.exists():
            raise ModelError(f"model version {model.version} already exists in {self.root}")
        save_model(model, directory)
        return directory

    def versions(self) -> list[dict[str, Any]]:
        """Every stored version's card, oldest first."""
        if not self.root.exists():
            return []
        cards = [
            read_card(d / CARD_FILE)
            for d in sorted(self.root.iterdir())
            if (d / CARD_FILE).is_file()
        ]
        return sorted(cards, key=lambda c: (c.get("trained_at", ""), c["version"]))

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

    def promote(self, version: str) -> None:
        self.path(version)
        state = self._state()
        state["history"].append(version)
        self._save_state(state)

    def rollback(self) -> str | None:
        """Return to the previously promoted version (None: back to the shipped model)."""
        state = self._state()
        if not state["history"]:
            raise ModelError("nothing to roll back: the shipped model is current")
        state["history"].pop()
        self._save_state(state)
        return self.current()
