"""One place that resolves settings: defaults, then environment, then flags."""

from __future__ import annotations

import os
from datetime import timedelta
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
    from labeler.learn.registry import Registry

    registry = Registry(home())
    current = registry.current()
    return registry.path(current) if current else None


def store_target(flag: str | None = None) -> str:
    """The review store: --store, else LABELER_DB, else labeler.db under LABELER_HOME.

    A ``postgresql://`` URL names a PostgreSQL store; anything else a SQLite file.
    """
    return flag or os.environ.get("LABELER_DB") or str(home() / "labeler.db")


def min_dwell() -> timedelta:
    """LABELER_MIN_DWELL_MS, default 500: a decision sooner than this after its passage was
    served is refused, since nobody has read it yet (a key held down or pressed twice)."""
    return timedelta(milliseconds=float(os.environ.get("LABELER_MIN_DWELL_MS") or 500))


def admins() -> set[str]:
    """LABELER_ADMINS, comma-separated names (or e-mails with st.login): who may retrain,
    promote and roll back. Blank entries are dropped, so "" is never an admin."""
    return {a.strip() for a in os.environ.get("LABELER_ADMINS", "").split(",") if a.strip()}


def model_origin() -> str:
    """Where the model in use comes from, in words, by the same rule as ``model_dir``."""
    if os.environ.get("LABELER_MODEL"):
        return f"from LABELER_MODEL ({os.environ['LABELER_MODEL']})"
    from labeler.learn.registry import Registry

    current = Registry(home()).current()
    return f"promoted from the registry ({current})" if current else "shipped with the package"
