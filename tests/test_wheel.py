"""The built wheel, not the checkout: installed in a fresh virtual environment outside the
checkout, ``labeler dashboard`` serves the packaged app.

The wheel declares its dependencies (the dashboard's as an extra); the fresh environment
takes them from the one running the tests (a .pth file naming its site-packages, whose own
.pth files, such as the checkout's editable install, are not read), rather than installing
them again: the package itself is the wheel's.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from .conftest import ROOT

SHIPPED = ("labeler", "bin")  # what the wheel is built from, with pyproject.toml and README


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built from a copy of the package sources (so the checkout gets no build/)."""
    src = tmp_path_factory.mktemp("src")
    for name in SHIPPED:
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("dist")
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet"]
    done = subprocess.run([*build, "-w", str(out), str(src)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("labeler-*.whl")
    return built


def test_the_wheel_holds_the_dashboard_and_its_config(wheel):
    archive = zipfile.ZipFile(wheel)
    names = set(archive.namelist())
    for part in ("app.py", "render.py", ".streamlit/config.toml"):
        assert f"labeler/dashboard/{part}" in names
    assert "labeler/models/default/model.npz" in names and "labeler/rubric.md" in names
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    requires = [
        line.split(":", 1)[1].strip()
        for line in archive.read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist:")
    ]
    assert any(
        r.startswith("streamlit") and re.search(r"extra == .dashboard.", r) for r in requires
    )
    assert any(r.startswith(("onnxruntime", "scikit-learn")) and "extra" not in r for r in requires)


def test_labeler_dashboard_from_the_installed_wheel_answers_health(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    (site,) = venv.glob("lib/python*/site-packages")
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", str(wheel)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = tmp_path / "home"
    log = (tmp_path / "dashboard.log").open("wb")
    server = subprocess.Popen(
        [str(venv / "bin" / "labeler"), "dashboard", "--headless", "--port", str(port),
         "--store", str(tmp_path / "review.db"), "--create"],
        cwd=tmp_path,  # outside the checkout: nothing of it on sys.path or as config
        env={**env, "LABELER_HOME": str(home)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the dashboard and the streamlit it starts, stopped together
    )  # fmt: skip
    try:
        answer = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and server.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/_stcore/health"
                with urllib.request.urlopen(url, timeout=2) as r:
                    answer = r.read()
                break
            except OSError:
                time.sleep(0.5)
        shown = (tmp_path / "dashboard.log").read_text(errors="replace")[-3000:]
        assert answer == b"ok", shown
        app = subprocess.run(
            [str(python), "-c", "import labeler.dashboard.app as a; print(a.__file__)"],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
        )
        assert Path(app.stdout.strip()).is_relative_to(venv), app.stdout + app.stderr
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
        log.close()
