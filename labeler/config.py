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
    return _model(flag)[0]


def model_origin(flag: str | None = None) -> str:
    """Where the model in use comes from, in words, by the same rule as ``model_dir``."""
    return _model(flag)[1]


def _model(flag: str | None) -> tuple[Path | None, str]:
    """The one rule for which model is in use: its directory (None: the shipped model)
    and where it comes from, in words."""
    if flag:
        return Path(flag), f"from --model ({flag})"
    value = os.environ.get("LABELER_MODEL")
    if value:
        return Path(value), f"from LABELER_MODEL ({value})"
    from labeler.promotions import Promotions

    promotions = Promotions(home())
    current = promotions.current()
    if current:
        return promotions.path(current), f"promoted from the registry ({current})"
    return None, "shipped with the package"


def training_data(flag: str | None = None) -> Path:
    """The training data directory: --data, else LABELER_DATA, else ``training/data`` in
    the working directory when there is one, else the checkout's (beside the package).
    The data is never installed with the package: a wheel needs --data or LABELER_DATA."""
    value = flag or os.environ.get("LABELER_DATA")
    if value:
        return Path(value)
    here = Path("training") / "data"
    if here.is_dir():
        return here
    return Path(__file__).resolve().parent.parent / "training" / "data"


def store_target(flag: str | None = None) -> str:
    """The review store: --store, else LABELER_DB, else labeler.db under LABELER_HOME.

    A ``postgresql://`` URL names a PostgreSQL store; anything else a SQLite file.
    """
    return flag or os.environ.get("LABELER_DB") or str(home() / "labeler.db")


def created_store_target(flag: str | None = None) -> str:
    """The store a command may create (``score --store``, the dashboard), as
    ``store_target``; when that is the default, LABELER_HOME is made if missing, so the
    default store works on first use. A store named in a missing folder stays an error
    (a typo, most likely)."""
    if not flag and not os.environ.get("LABELER_DB"):
        home().mkdir(parents=True, exist_ok=True)
    return store_target(flag)


def min_dwell() -> timedelta:
    """LABELER_MIN_DWELL_MS, default 500: a decision sooner than this after its passage was
    served is refused, since nobody has read it yet (a key held down or pressed twice)."""
    return timedelta(milliseconds=float(os.environ.get("LABELER_MIN_DWELL_MS") or 500))


def lock_wait() -> float:
    """LABELER_LOCK_WAIT, seconds, default 15: how long the dashboard waits for a review
    store another process holds locked (a backup, a sqlite3 shell) before saying so."""
    return float(os.environ.get("LABELER_LOCK_WAIT") or 15)


def admins() -> set[str]:
    """LABELER_ADMINS, comma-separated names (or e-mails with st.login): who may retrain,
    promote and roll back. Blank entries are dropped, so "" is never an admin."""
    return {a.strip() for a in os.environ.get("LABELER_ADMINS", "").split(",") if a.strip()}
