"""Long admin jobs run in the background (retrain, re-score): the status file they keep.

The dashboard starts a job as a ``labeler`` command in its own process, with
``--progress FILE``; the command writes to FILE what it is doing and the share done, and
at the end its outcome (or the error that stopped it). The dashboard only reads the file,
so its other pages keep working while the job runs, and a reload, or another admin's
browser, finds the job where it is. Each write replaces the whole file atomically: a
reader never sees half of one.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

Progress = Callable[[str, float], None]  # (what is happening, share done in [0, 1])


def quiet(step: str, done: float) -> None:
    """Progress nobody watches."""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def read_status(path: Path) -> dict[str, Any] | None:
    """A job's status, or None when there is none (or it cannot be read yet)."""
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return status if isinstance(status, dict) else None


def write_status(path: Path, **changes: Any) -> dict[str, Any]:
    """Merge ``changes`` into the job's status file (atomically); returns the status."""
    status = {**(read_status(path) or {}), **changes}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(status, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return status


def progress_to(path: Path | None) -> Progress:
    """A progress callback writing to ``path`` (None: one that does nothing)."""

    def report(step: str, done: float) -> None:
        if path is not None:
            done = round(min(max(done, 0.0), 1.0), 4)
            write_status(path, pid=os.getpid(), step=step, done=done, updated_at=now())

    return report


def finish(path: Path | None, outcome: dict[str, Any] | None, error: str | None = None) -> None:
    """Record how the job ended: its outcome, or the error that stopped it."""
    if path is not None:
        write_status(path, pid=os.getpid(), finished_at=now(), outcome=outcome, error=error)
