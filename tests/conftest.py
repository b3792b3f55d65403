"""Shared fixtures: the real shipped model, an isolated LABELER_HOME, review stores."""

from __future__ import annotations

import os
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
    # AppTest clicks come milliseconds apart: the dashboard's refusal of decisions made
    # too soon after a passage was served is tested on its own (test_app, test_browser).
    monkeypatch.setenv("LABELER_MIN_DWELL_MS", "0")


@pytest.fixture(scope="session")
def model():
    from labeler import load_model

    return load_model()


POSTGRES = os.environ.get("LABELER_TEST_POSTGRES")  # a server the tests may make schemas on


@pytest.fixture(params=["sqlite", "postgresql"])
def store_target(request, tmp_path):
    """A blank review store on each engine: a SQLite file, and a fresh schema on the
    PostgreSQL server named by LABELER_TEST_POSTGRES (.ci/run starts one)."""
    if request.param == "sqlite":
        yield str(tmp_path / "review.db")
        return
    if not POSTGRES:
        pytest.skip("LABELER_TEST_POSTGRES is not set: no PostgreSQL server to test against")
    from tests.reviewer_process import scratch_postgres

    with scratch_postgres(POSTGRES) as url:
        yield url


@pytest.fixture(scope="session")
def encoder():
    """The shipped sentence encoder (int8), loaded once for the whole session."""
    from labeler.encoder import load_encoder

    return load_encoder()


@pytest.fixture(scope="session")
def encoder_fp32():
    from labeler.encoder import load_encoder

    return load_encoder(quantized=False)
