"""``labeler score`` on dask.distributed: the same output as a local run, clear errors."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from .conftest import EXAMPLE, ROOT
from .test_batch_cli import CALM, VIOLENT, jsonl_file, run


@pytest.fixture(scope="module")
def scheduler():
    """A two-worker cluster of separate processes, as a real deployment would have."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


PER_FILE = 2_500  # two batches a file (BATCH_DOCS 2,000)


@pytest.fixture()
def corpus(tmp_path):
    """Several files, several batches each, a bad line among them (an error in its place)."""
    root = tmp_path / "corpus"
    root.mkdir()
    for part in range(3):
        rows = [
            {"id": f"{part}-{i}", "text": f"{VIOLENT if i % 3 else CALM} Report {i}."}
            for i in range(PER_FILE)
        ]
        jsonl_file(root / f"part{part}.jsonl", rows)
    with (root / "part1.jsonl").open("a", encoding="utf-8") as f:
        f.write('{"id": "broken", "text": \n')
    (root / "story.txt").write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")
    return root


def scored_files(tmp_path, name: str, *args) -> tuple[int, bytes, bytes]:
    """Exit status, output and errors of one ``labeler score`` run written to files."""
    out, errors = tmp_path / f"{name}.jsonl", tmp_path / f"{name}.errors.jsonl"
    proc = run(*args, "-o", out, "--errors", errors, "--quiet")
    return proc.returncode, out.read_bytes(), errors.read_bytes()


def test_scheduler_output_is_byte_identical_to_a_local_run(scheduler, corpus, tmp_path):
    """With the word model alone: what is compared is the batches' order and the errors'
    places (the whole model on dask workers: the next test)."""
    local = scored_files(tmp_path, "local", corpus, "--fast", "--jobs", "1")
    remote = scored_files(tmp_path, "dask", corpus, "--fast", "--scheduler", scheduler)
    assert local[0] == 1  # the broken line
    assert remote == local
    assert len(local[1].splitlines()) == 3 * PER_FILE + 1  # and the story
    assert not list(tmp_path.glob("*.partial*"))


def test_backend_dask_starts_its_own_local_cluster(tmp_path):
    """The whole model (the encoder too) in dask's worker processes."""
    pytest.importorskip("distributed")
    rows = [{"id": str(i), "text": VIOLENT if i % 2 else CALM} for i in range(2500)]
    src = jsonl_file(tmp_path / "in.jsonl", rows)
    local = run(src, "--jobs", "1")
    remote = run(src, "--backend", "dask", "--jobs", "2")
    assert remote.returncode == local.returncode == 0, remote.stderr
    assert remote.stdout == local.stdout


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize("kind", ["unreachable", "malformed"])
def test_bad_scheduler_address_is_named_and_nothing_is_written(tmp_path, kind):
    pytest.importorskip("distributed")
    address = f"tcp://127.0.0.1:{closed_port()}" if kind == "unreachable" else "no-port-here"
    out_path = tmp_path / "out.jsonl"
    proc = run(
        EXAMPLE,
        "--scheduler",
        address,
        "-o",
        out_path,
        env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"},
    )
    assert proc.returncode == 2
    assert f"cannot connect to the dask scheduler at {address}" in proc.stderr.decode()
    assert list(tmp_path.glob("out.jsonl*")) == []


def test_without_dask_installed_the_error_says_what_to_install():
    hide_dask = (
        "import sys; sys.modules['distributed'] = None; from labeler.cli import main; "
        f"sys.exit(main(['score', {str(EXAMPLE)!r}, '--backend', 'dask']))"
    )
    proc = subprocess.run([sys.executable, "-c", hide_dask], capture_output=True, cwd=ROOT)
    assert proc.returncode == 2 and proc.stdout == b""
    assert "pip install 'labeler[dask]'" in proc.stderr.decode()
