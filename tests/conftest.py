"""Shared fixtures: the real shipped model, and an isolated LABELER_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "news_isis_executions.txt"
DATA = ROOT / "training" / "data"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Tests never touch the user's files or pick up their model setting."""
    monkeypatch.setenv("LABELER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABELER_MODEL", raising=False)


@pytest.fixture(scope="session")
def model():
    from labeler import load_model

    return load_model()
