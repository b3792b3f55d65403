"""Starting the admin's long jobs (retrain, re-score) in the background, and reading where
they are.

A job is the ``labeler`` command itself, started in its own process with ``--progress``
(``labeler.jobs``): the dashboard's pages keep working while it runs, since the server
only reads the job's status file, and the job survives a closed browser. One job of a
kind runs at a time per registry (retrain) or per store (re-score). Its output goes to a
log file beside the status, shown when a job stops without finishing.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import streamlit as st

from labeler import config
from labeler.jobs import now, read_status, write_status

STARTING_GRACE = 120  # seconds a job may take to write its first progress


def status_path(kind: str) -> Path:
    """The status file of the ``kind`` job ("retrain": one per registry; "rescore": one per
    store, named by a hash of the store's target)."""
    jobs = config.home() / "jobs"
    if kind == "rescore":
        digest = hashlib.sha256(config.store_target().encode()).hexdigest()[:12]
        return jobs / f"rescore-{digest}.json"
    return jobs / f"{kind}.json"


@st.cache_resource(show_spinner=False)
def _children() -> dict[Path, subprocess.Popen]:  # type: ignore[type-arg]
    """The jobs this server started, by status file: polled, so a finished one is reaped
    rather than left a zombie, and one that died before its first word is seen as such."""
    return {}


def alive(pid: int) -> bool:
    """Whether process ``pid`` is running (a zombie is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][:1] != "Z"
    except OSError:  # no /proc (not Linux): kill(0) said it exists
        return True


def state(kind: str) -> dict[str, Any] | None:
    """The job's status with ``state``: "running", "finished" (outcome or error) or
    "stopped" (its process ended without saying how); None if it never ran."""
    path = status_path(kind)
    child = _children().get(path)
    ended = child is not None and child.poll() is not None  # reaps it
    status = read_status(path)
    if status is None:
        return None
    if status.get("finished_at"):
        return {**status, "state": "finished"}
    pid = status.get("pid")  # the job's own, written with its progress
    if pid is not None and not ended and alive(int(pid)):
        return {**status, "state": "running"}
    if pid is None and not ended and age(status.get("started_at")) < STARTING_GRACE:
        return {**status, "state": "running"}
    return {**status, "state": "stopped", "log_tail": log_tail(kind)}


def start(kind: str, args: list[str], actor: str) -> str | None:
    """Start ``labeler KIND ARGS`` in the background for ``actor``; a refusal (one is
    already running) as a message, else None."""
    running = state(kind)
    if running is not None and running["state"] == "running":
        return (
            f"A {kind} job is already running, started by {running.get('started_by')} at "
            f"{str(running.get('started_at'))[:19].replace('T', ' ')}."
        )
    path = status_path(kind)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    write_status(path, kind=kind, started_by=actor, started_at=now(), step="starting", done=0.0)
    command = [sys.executable, "-m", "labeler", kind, *args]
    command += ["--progress", str(path), "--admin", actor]
    with path.with_suffix(".log").open("wb") as log:
        child = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C to the dashboard does not stop it
            env={**os.environ, "LABELER_DB": config.store_target()},
        )
    _children()[path] = child
    return None


def log_tail(kind: str, lines: int = 12) -> str:
    """The end of the job's output: what to show when it stopped without finishing."""
    try:
        text = status_path(kind).with_suffix(".log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def age(stamp: Any) -> float:
    """Seconds since an ISO time stamp (infinite for one that is not)."""
    from datetime import datetime, timezone

    try:
        return (datetime.now(timezone.utc) - datetime.fromisoformat(str(stamp))).total_seconds()
    except ValueError:
        return float("inf")
