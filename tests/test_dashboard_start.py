"""`labeler dashboard` in its first five minutes, as a real subprocess: it never asks
anything nor mentions telemetry, serves with no terminal, opens a browser only when asked,
refuses a store that does not exist, and says at start which store it serves.

Each run gets a HOME of its own (no ~/.streamlit/credentials.toml: Streamlit's first-run
e-mail prompt would come up), and a fake ``xdg-open`` first on PATH that records the
address it is asked to open instead of opening a browser.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from labeler import score_text
from labeler.store.store import Store
from tests.dashboard_server import free_port

from .conftest import ROOT

SERVES_WITHIN = 30  # seconds from start to an answer on /_stcore/health
ASKS = ("Email", "Welcome to Streamlit", "usage statistics", "gatherUsageStats", "telemetry")


@pytest.fixture()
def home(tmp_path) -> Path:
    """A HOME with no Streamlit credentials, and a bin/xdg-open that writes the address
    it was asked to open to opened.txt."""
    (tmp_path / "bin").mkdir()
    fake = tmp_path / "bin" / "xdg-open"
    fake.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / "opened.txt"}\n')
    fake.chmod(0o755)
    return tmp_path


def start(home: Path, *args: str) -> tuple[subprocess.Popen, Path]:
    """``labeler dashboard ARGS`` with no terminal at all: stdin /dev/null, stdout and
    stderr to a file (returned)."""
    env = {**os.environ, "HOME": str(home), "LABELER_HOME": str(home / "labeler")}
    env["PATH"] = f"{home / 'bin'}{os.pathsep}{env['PATH']}"
    for name in ("LABELER_DB", "DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(name, None)
    out = home / "out.txt"
    with open(out, "wb") as sink:
        server = subprocess.Popen(
            [sys.executable, "-m", "labeler", "dashboard", *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    return server, out


def healthy(server: subprocess.Popen, port: int, out: Path) -> float:
    """Seconds until the server answers ok on /_stcore/health; fails past SERVES_WITHIN."""
    began = time.monotonic()
    while time.monotonic() - began < SERVES_WITHIN and server.poll() is None:
        try:
            url = f"http://127.0.0.1:{port}/_stcore/health"
            with urllib.request.urlopen(url, timeout=1) as answer:
                if answer.read() == b"ok":
                    return time.monotonic() - began
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"no answer on /_stcore/health (exit {server.poll()}):\n{out.read_text()}")


def stop(server: subprocess.Popen) -> None:
    server.terminate()
    server.wait(timeout=20)


def filled_store(path: Path, model) -> Path:
    with Store(path) as store:
        for doc_id, text in [("d1", "Gunmen shot dead eleven villagers.\n\nThe market reopened.")]:
            store.documents.add(score_text(text, doc_id, model), text, model.thresholds)
    return path


@pytest.mark.parametrize("headless", [[], ["--headless"]])
def test_with_no_terminal_it_serves_asks_nothing_and_says_what_it_serves(home, model, headless):
    """With or without --headless, stdin /dev/null, a first run: it answers on
    /_stcore/health within 30 s, prints no prompt and no telemetry notice, opens no
    browser, and prints the store with its counts and the address."""
    db = filled_store(home / "review.db", model)
    port = free_port()
    server, out = start(home, "--store", str(db), "--port", str(port), *headless)
    try:
        healthy(server, port, out)
        time.sleep(1)  # deliberate: a browser Streamlit opens at start has been asked by now
    finally:
        stop(server)
    printed = out.read_text()
    assert [word for word in ASKS if word.lower() in printed.lower()] == [], printed
    assert f"labeler: review store {db}: 1 documents, 2 passages: 2 waiting, 0 labelled" in printed
    assert f"labeler: dashboard at http://127.0.0.1:{port}\n" in printed
    assert not (home / "opened.txt").exists()


def test_it_opens_a_browser_when_asked(home, model):
    port = free_port()
    server, out = start(home, "--store", str(filled_store(home / "r.db", model)), "--port",
                        str(port), "--open")  # fmt: skip
    try:
        healthy(server, port, out)
        deadline = time.monotonic() + 10
        while not (home / "opened.txt").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        stop(server)
    assert (home / "opened.txt").read_text().strip() == f"http://127.0.0.1:{port}"
    assert [word for word in ASKS if word.lower() in out.read_text().lower()] == []


def test_a_store_that_does_not_exist_is_refused_by_name_unless_created(home):
    typo = home / "reveiw.db"
    port = free_port()
    server, out = start(home, "--store", str(typo), "--port", str(port))
    assert server.wait(timeout=30) == 1
    assert out.read_text() == (
        f"labeler: review store {typo} does not exist (labeler score --store, or labeler "
        "dashboard --create, makes one)\n"
    )
    assert not typo.exists()
    server, out = start(home, "--store", str(typo), "--port", str(port), "--create")
    try:
        healthy(server, port, out)
    finally:
        stop(server)
    assert f"labeler: review store {typo}: 0 documents, 0 passages" in out.read_text()
    with Store(typo) as store:
        assert store.maintenance.counts() == {"documents": 0, "passages": 0, "reviews": 0}
