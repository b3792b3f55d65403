"""Shared fixtures: the real shipped model, an isolated LABELER_HOME, review stores."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "news_isis_executions.txt"
DATA = ROOT / "training" / "data"
WHOLE = ("authored", "xstest")  # small_data keeps these hard-case sets whole


@pytest.fixture(autouse=True)
def isolated_home(tmp_path, monkeypatch):
    """Tests never touch the user's files or pick up their model setting."""
    monkeypatch.setenv("LABELER_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LABELER_MODEL", raising=False)
    # AppTest clicks come milliseconds apart: the dashboard's refusal of decisions made
    # too soon after a passage was served is tested on its own (test_app, test_browser).
    monkeypatch.setenv("LABELER_MIN_DWELL_MS", "0")


@contextmanager
def built_once(tmp_path_factory, name: str) -> Iterator[tuple[Path, bool]]:
    """A folder of the whole run, shared by its xdist workers (each has its own session,
    so a session fixture alone would build it once a worker): yields the folder and
    whether it is still to be built, holding a file lock meanwhile, so the first worker
    builds it and the others wait for it and read it."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, each worker's basetemp lies in it
    folder, done = root / name, root / f"{name}.done"
    with (root / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield folder, not done.exists()
        done.touch()


@pytest.fixture(scope="session")
def small_data(tmp_path_factory):
    """training/data in miniature, to retrain on in seconds: every 6th row of each
    labelled file (every source, in its own split), all of the hard cases written for the
    model (authored, xstest) and all of the gate's regression cases. One folder for the
    whole run, its rows embedded once into the embedding cache beside it (keyed by each
    text's hash), so no worker and no test encodes them again."""
    with built_once(tmp_path_factory, "training") as (folder, build):
        data = folder / "data"
        if build:
            from labeler.learn.dataset import load_rows
            from labeler.learn.embeddings import CachedEncoder, cache_dir

            for path in sorted(DATA.rglob("*.jsonl")):
                lines = path.read_text(encoding="utf-8").splitlines(True)
                whole = path.name == "regression_cases.jsonl" or path.parent.name in WHOLE
                kept = lines if whole else lines[::6]
                target = data / path.relative_to(DATA)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text("".join(kept), encoding="utf-8")
            CachedEncoder(cache_dir(data)).encode([row.text for row in load_rows(data)])
    return data


@pytest.fixture(scope="session")
def small_model(small_data, tmp_path_factory):
    """``labeler train`` on ``small_data``, end to end (leave-one-source-out, evaluation,
    card, reports): the model folder it writes, once for the whole run. The current model
    of tests whose gate must compare like with like (a candidate from small_data against
    the shipped model, trained on fifteen times the rows, would lose on every source)."""
    from labeler.cli import main

    with built_once(tmp_path_factory, "small_model") as (out, build):
        if build:
            args = ["train", "--data", str(small_data), "--out", str(out / "model")]
            assert main([*args, "--reports", str(out / "reports")]) == 0
    return out / "model"


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
