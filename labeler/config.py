"""One place that resolves settings: defaults, then environment, then flags."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """LABELER_HOME, default ~/.labeler: where stores and model registries live."""
    return Path(os.environ.get("LABELER_HOME") or Path.home() / ".labeler")


def model_dir(flag: str | None = None) -> Path | None:
    """The model directory to load: --model, else LABELER_MODEL, else the registry's
    promoted version under LABELER_HOME, else None (the shipped model)."""
    value = flag or os.environ.get("LABELER_MODEL")
    if value:
        return Path(value)
    from labeler.registry import Registry

    registry = Registry(home())
    current = registry.current()
    return registry.path(current) if current else None


def store_target(flag: str | None = None) -> str:
    """The review store: --store, else LABELER_DB, else labeler.db under LABELER_HOME.

    A ``postgresql://`` URL names a PostgreSQL store; anything else a SQLite file.
    """
    return flag or os.environ.get("LABELER_DB") or str(home() / "labeler.db")
