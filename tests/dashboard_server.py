"""A real `streamlit run app.py` on a free loopback port, for the browser tests and the
latency benchmark (which may run another checkout's app)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

UNSET = ("LABELER_MODEL", "LABELER_ADMINS", "LABELER_MIN_DWELL_MS")  # the real dwell rule


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_dashboard(
    app: Path,
    db: Path,
    home: Path,
    log: Path,
    *,
    timeout: float = 120,
    env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen, str]:
    """Start ``app``'s dashboard on the store ``db`` (with ``env`` added to its environment)
    and wait until it is healthy: (server, url). The server is killed, and its log raised,
    if it never gets there."""
    port = free_port()
    extra = env or {}
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    env |= {"LABELER_DB": str(db), "LABELER_HOME": str(home), "PYTHONPATH": str(app), **extra}
    command = [sys.executable, "-m", "streamlit", "run", str(app / "app.py")]
    for option, value in [
        ("server.headless", "true"),
        ("server.port", str(port)),
        ("server.address", "127.0.0.1"),
        ("browser.gatherUsageStats", "false"),
        ("server.fileWatcherType", "none"),
    ]:
        command += [f"--{option}", value]
    with open(log, "wb") as out:
        server = subprocess.Popen(
            command,
            cwd=app,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return server, url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"streamlit not healthy after {timeout} s:\n{log.read_text()}")


def stop(server: subprocess.Popen) -> None:
    """Stop a dashboard started here: SIGTERM, then SIGKILL if it lingers."""
    server.terminate()
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


@contextmanager
def served(
    app: Path, db: Path, tmp: Path, home: Path | None = None, env: dict[str, str] | None = None
) -> Iterator[str]:
    """``start_dashboard`` on ``db``, its log in ``tmp`` (its home too, unless given): its
    url while the block runs, the server stopped after it."""
    home = home or tmp / "home"
    server, url = start_dashboard(app, db, home, tmp / "streamlit.log", timeout=60, env=env)
    try:
        yield url
    finally:
        stop(server)
