"""Hostile paths, end to end through the ``labeler`` program (issue 10, sections 1, 3, 4).

Each test runs the real CLI in a subprocess on real files, and checks what a user sees:
the exit status, one clear line naming the file (never a traceback), and that nothing
was written or lost. Where a test needs a file its process cannot read or write, it
drops root's power to ignore permissions (``setpriv``), since chmod alone does not stop
root.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pytest

from labeler.model import CARD_FILE, MODEL_FILE, default_model_dir, sha256_of

from .conftest import ROOT

VIOLENT = "Gunmen stormed the village at dawn and shot dead eleven people."
CALM = "The council approved a new budget for the library."
NO_DAC = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"]


def labeler(*args, env=None, cwd=None, timeout=60, no_dac=False, **kw):
    """Run ``python -m labeler ARGS``; with ``no_dac``, without root's permission bypass."""
    prefix = NO_DAC if no_dac and os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, sys.executable, "-m", "labeler", *map(str, args)],
        capture_output=True,
        cwd=cwd or ROOT,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        **kw,
    )


def one_line(result) -> str:
    """The single line a failure prints: no traceback, nothing else."""
    err = result.stderr.decode()
    assert "Traceback" not in err and "Fatal Python error" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    return err.strip()


def clean(result) -> str:
    """What a run with bad records prints: its messages and summary, no traceback."""
    err = result.stderr.decode()
    assert "Traceback" not in err and "Fatal Python error" not in err, err
    return err


def jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def docs(n: int, text: str = VIOLENT) -> list[dict]:
    return [{"id": f"d{i}", "text": f"{text} Report {i}."} for i in range(n)]


FAST = ("--jobs", "1", "--fast")
RESUMED = 20_000  # records of an interrupted run's input: with --fast, about a second


def interrupted(tmp_path: Path, src: Path, *args) -> Path:
    """A ``score SRC --fast -o OUT`` run killed with -9 after its first batches: OUT.partial
    and its state file are left for --resume (the word model alone: resuming is about the
    files). Returns OUT."""
    out = tmp_path / "out.jsonl"
    state = tmp_path / "out.jsonl.partial.json"
    cmd = [sys.executable, "-m", "labeler", "score", str(src), *FAST, "-o", str(out)]
    proc = subprocess.Popen([*cmd, *map(str, args)], cwd=ROOT, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if state.exists() and json.loads(state.read_text())["items"] >= 2000:
            break
        time.sleep(0.01)
    proc.kill()
    proc.wait()
    assert state.exists() and not out.exists(), "the kill must land mid-run"
    return out


# 1. Data loss ---------------------------------------------------------------------------


def test_errors_file_that_is_the_input_is_refused_and_the_input_kept(tmp_path):
    src = jsonl(tmp_path / "x.jsonl", docs(21))
    before = src.read_bytes()
    result = labeler("score", src, "--errors", src)
    assert result.returncode == 2
    assert f"--errors {src} is also an input" in one_line(result)
    assert src.read_bytes() == before and result.stdout == b""


def test_output_that_is_the_input_is_refused_and_the_input_kept(tmp_path):
    src = jsonl(tmp_path / "same.jsonl", docs(5))
    before = src.read_bytes()
    result = labeler("score", src, "-o", src)
    assert result.returncode == 2 and f"-o {src} is also an input" in one_line(result)
    assert src.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["same.jsonl"]


def test_output_and_errors_that_are_the_same_file_are_refused(tmp_path):
    src = jsonl(tmp_path / "in.jsonl", [*docs(3), "not an object"])
    out = tmp_path / "out.jsonl"
    result = labeler("score", src, "-o", out, "--errors", out)
    assert result.returncode == 2 and "-o and --errors are the same file" in one_line(result)
    assert not out.exists()


@pytest.mark.parametrize("link", ["symlink", "hard link", "store", "inside an input folder"])
def test_outputs_that_reach_an_input_another_way_are_refused(tmp_path, link):
    folder = tmp_path / "in"
    folder.mkdir()
    src = jsonl(folder / "a.jsonl", docs(5))
    before = src.read_bytes()
    out = tmp_path / "out.jsonl"
    args = ["score", src, "-o", out]
    if link == "symlink":
        out.symlink_to(src)
    elif link == "hard link":
        os.link(src, out)
    elif link == "store":
        args = ["score", src, "--store", src]
    else:
        args = ["score", folder, "--errors", folder / "errors.jsonl"]
    result = labeler(*args)
    assert result.returncode == 2, result.stderr
    assert "input" in one_line(result)
    assert src.read_bytes() == before
    assert sorted(p.name for p in folder.iterdir()) == ["a.jsonl"]


def test_unreadable_folders_are_input_errors(tmp_path):
    top = tmp_path / "corpus"
    (top / "locked").mkdir(parents=True)
    jsonl(top / "a.jsonl", docs(2))
    jsonl(top / "locked" / "b.jsonl", docs(2))
    closed = tmp_path / "closed"
    closed.mkdir()
    jsonl(closed / "c.jsonl", docs(2))
    os.chmod(top / "locked", 0)
    os.chmod(closed, 0)
    errors = tmp_path / "errors.jsonl"
    try:
        result = labeler("score", top, closed, "--errors", errors, no_dac=True)
    finally:
        os.chmod(top / "locked", 0o755)
        os.chmod(closed, 0o755)
    stderr = clean(result)
    assert result.returncode == 1, stderr
    assert f"{top / 'locked'}: cannot read folder: Permission denied" in stderr
    assert f"{closed}: cannot read folder: Permission denied" in stderr
    assert [json.loads(x)["id"] for x in result.stdout.decode().splitlines()] == ["d0", "d1"]
    assert sorted(json.loads(x)["path"] for x in errors.read_text().splitlines()) == sorted(
        [str(top / "locked"), str(closed)]
    )


def test_an_oversized_quoted_csv_field_is_one_error_and_the_rows_after_it_are_scored(tmp_path):
    src = tmp_path / "big.csv"
    field = ("word " * 20 + "\n") * 110_000  # 11 MB over 110,000 lines, in one quoted field
    with src.open("w", encoding="utf-8") as f:
        f.write(f'id,text\nbefore,"{VIOLENT}"\nhuge,"{field}"\n')
        f.write("".join(f'after{i},"{VIOLENT}"\n' for i in range(3)))
    errors = tmp_path / "errors.jsonl"
    result = labeler("score", src, "--errors", errors)
    assert result.returncode == 1
    ids = [json.loads(x)["id"] for x in result.stdout.decode().splitlines()]
    assert ids == ["before", "after0", "after1", "after2"]
    (error,) = [json.loads(x) for x in errors.read_text().splitlines()]
    assert error["line"] == 3 and "larger than the 10,000,000-character limit" in error["reason"]
    assert "skipped the record (lines 3 to 110003)" in error["reason"]


def test_resume_refuses_an_input_whose_earlier_records_changed(tmp_path):
    rows = docs(RESUMED)
    src = jsonl(tmp_path / "in.jsonl", rows)
    out = interrupted(tmp_path, src)
    rows[5]["text"] = "A different text, written after the interrupted run."
    jsonl(src, rows)  # the last record done is the same: only the digest can tell
    result = labeler("score", src, *FAST, "-o", out, "--resume")
    assert result.returncode == 2
    assert "records already done have changed" in one_line(result)
    assert not out.exists()


def test_one_nul_byte_in_a_jsonl_file_rejects_only_its_line(tmp_path):
    src = tmp_path / "in.jsonl"
    lines = [json.dumps(r).encode() for r in docs(3)]
    lines[1] = b'{"id": "d1", "text": "bad\x00byte"}'
    src.write_bytes(b"\n".join(lines) + b"\n")
    result = labeler("score", src)
    assert result.returncode == 1
    assert f"{src}:2: binary data in the line" in clean(result)
    assert [json.loads(x)["id"] for x in result.stdout.decode().splitlines()] == ["d0", "d2"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_text_is_read_or_named_as_utf16(tmp_path, encoding):
    text = jsonl(tmp_path / "x.jsonl", docs(2)).read_text()
    src = tmp_path / "in.jsonl"
    src.write_bytes(text.encode(encoding))  # "utf-16" writes a byte-order mark
    result = labeler("score", src)
    if encoding == "utf-16":
        assert result.returncode == 0, result.stderr
        assert [json.loads(x)["id"] for x in result.stdout.decode().splitlines()] == ["d0", "d1"]
    else:
        order = encoding[-2:].upper()
        assert result.returncode == 1
        assert f"UTF-16{order} text without a byte-order mark" in clean(result)


# 3. Hangs and stuck runs ----------------------------------------------------------------


def test_a_fifo_is_named_and_skipped_never_opened(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir()
    jsonl(folder / "a.jsonl", docs(2))
    os.mkfifo(folder / "b.txt")
    os.mkfifo(tmp_path / "named.txt")
    result = labeler("score", folder, tmp_path / "named.txt", timeout=30)
    stderr = clean(result)
    assert result.returncode == 1
    assert f"{folder / 'b.txt'}: not a regular file (a FIFO): skipped" in stderr
    assert f"{tmp_path / 'named.txt'}: not a regular file (a FIFO): skipped" in stderr
    assert len(result.stdout.decode().splitlines()) == 2


def test_a_crash_between_the_rename_and_the_state_removal_is_detected(tmp_path):
    rows = docs(RESUMED)
    src = jsonl(tmp_path / "in.jsonl", rows)
    out = interrupted(tmp_path, src)
    # Put the files where a crash right after the output's rename leaves them: the
    # state file's records are all of the input, and the output is renamed into place.
    state = json.loads((tmp_path / "out.jsonl.partial.json").read_text())
    jsonl(src, rows[: state["items"]])
    partial = tmp_path / "out.jsonl.partial"
    with partial.open("r+b") as f:
        f.truncate(state["output_bytes"])
    partial.rename(out)
    expected = out.read_bytes()
    result = labeler("score", src, *FAST, "-o", out, "--resume")
    assert result.returncode == 0
    assert f"{out} is complete" in one_line(result)
    assert out.read_bytes() == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.jsonl"]
    rerun = labeler("score", src, *FAST, "-o", out, "--quiet")
    assert rerun.returncode == 0 and out.read_bytes() == expected


def _gone(pgid: int, within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    os.killpg(pgid, signal.SIGKILL)  # leave nothing behind for the other tests
    return False


def _workers(pid: int) -> list[int]:
    """The children of every thread of ``pid`` (dask starts its workers from its own)."""
    pids = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            pids += [int(c) for c in children.read_text().split()]
        except OSError:
            continue
    return pids


def _starting_worker(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
        maps = Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False
    worker = b"popen_loky_posix" in command or b"spawn_main" in command  # loky, dask
    return worker and "numpy" not in maps


@pytest.fixture(scope="module")
def big_input(tmp_path_factory) -> Path:
    """Long enough that a run with the word model alone (``for_moment("scoring")``) is
    still scoring seconds after its first batches are written."""
    return jsonl(tmp_path_factory.mktemp("big") / "big.jsonl", docs(60_000))


def for_moment(moment: str) -> tuple[str, ...]:
    """A run's options for interrupting it at ``moment``. While "scoring" (the first two
    batches written, the workers busy with the next), the word model alone: the moment is
    the workers' and the writer's, and the encoder would take tens of seconds to reach
    it. The earlier moments (imports, the model loading, the workers starting) keep the
    whole model."""
    return ("--fast",) if moment == "scoring" else ()


def _start(big_input: Path, out: Path, *args: str, program=None) -> subprocess.Popen:
    program = program or [sys.executable, "-m", "labeler"]
    cmd = [*program, "score", str(big_input), "--jobs", "2", *args]
    return subprocess.Popen(
        [*cmd, "-o", str(out), "--quiet"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal's job is
        preexec_fn=_as_a_terminal_starts_it,
    )


def _as_a_terminal_starts_it() -> None:
    """Ctrl-C and Ctrl-\\ at their defaults, as a shell starts a foreground job. pytest may
    run with them ignored (a background job, an xdist worker), and a signal ignored when
    sh starts stays ignored (its trap is silently refused): a Ctrl-C that reached the
    launcher was then lost, and the run went on."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def _wait_for(what: str, proc: subprocess.Popen, out: Path) -> None:
    state = out.with_name(out.name + ".partial.json")
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if what == "state" and state.exists():
            return
        if what == "workers" and any(_starting_worker(c) for c in _workers(proc.pid)):
            return  # a worker process exists and is still starting its interpreter
        if what == "scoring" and state.exists() and json.loads(state.read_text())["items"] > 4000:
            return
        time.sleep(0.002)
    raise AssertionError(f"never reached {what}")


def test_workers_exit_when_their_parent_is_killed(tmp_path, big_input):
    proc = _start(big_input, tmp_path / "out.jsonl", *for_moment("scoring"))
    _wait_for("scoring", proc, tmp_path / "out.jsonl")
    assert _workers(proc.pid), "the run must be using worker processes"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _gone(proc.pid, within=10), "worker processes outlived their parent"


@pytest.mark.parametrize("moment", ["0.3 s", "0.8 s", "state", "workers", "scoring"])
def test_ctrl_c_at_any_moment_ends_with_one_line_and_130(tmp_path, big_input, moment):
    out = tmp_path / "out.jsonl"
    proc = _start(big_input, out, *for_moment(moment))
    if moment.endswith(" s"):  # past the interpreter's own start: in imports, model loading
        time.sleep(float(moment.split()[0]))
    else:
        _wait_for(moment, proc, out)
    os.killpg(proc.pid, signal.SIGINT)  # as a terminal's Ctrl-C: the whole group
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.decode().startswith("labeler: interrupted") and len(err.splitlines()) == 1, err
    assert _gone(proc.pid, within=10), "worker processes outlived an interrupted run"


def _labeler_command() -> Path:
    """The installed ``labeler`` command (bin/labeler), beside this Python."""
    command = Path(sys.executable).with_name("labeler")
    if not command.is_file():
        pytest.skip(f"no {command}: pip install -e . installs the labeler command")
    assert command.read_bytes().startswith(b"#!/bin/sh"), f"{command} is not bin/labeler: reinstall"
    return command


def _running(pid: int) -> str:
    """The program ``pid`` is executing: sh (the launcher), env, or python."""
    try:
        name = Path(os.readlink(f"/proc/{pid}/exe")).name
    except OSError:
        return "gone"
    return "python" if name.startswith("python") else name


def _interrupt(proc: subprocess.Popen) -> tuple[str, int, str]:
    """Ctrl-C as a terminal sends it, to the whole group: what was running, the exit
    status (negative: killed by the signal) and what was printed."""
    running = _running(proc.pid)
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        alive = _signal_states(proc.pid)
        os.killpg(proc.pid, signal.SIGKILL)
        raise AssertionError(f"still running 30 s after Ctrl-C (was {running}): {alive}") from None
    assert _gone(proc.pid, within=10), "worker processes outlived an interrupted run"
    return running, proc.returncode, err.decode()


def _signal_states(pgid: int) -> list[str]:
    """Each process of group ``pgid`` and, per thread, its state and signal masks: where
    a Ctrl-C went when a run did not end."""
    states = []
    for status in Path("/proc").glob("[0-9]*/task/*/status"):
        try:
            if os.getpgid(int(status.parts[2])) != pgid:
                continue
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines())
        except (OSError, ValueError):
            continue
        keys = ("Name", "Pid", "State", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt")
        states.append(" ".join(f"{k}={fields.get(k, '?').strip()}" for k in keys))
    return states


def _one_line_and_130(status: int, err: str) -> bool:
    return status == 130 and err.startswith("labeler: interrupted") and len(err.splitlines()) == 1


def test_ctrl_c_while_python_itself_starts_ends_with_one_line_and_130(tmp_path, big_input):
    """The labeler command, interrupted every 5 ms from 0 to 155 ms, while the interpreter
    starts and imports site and labeler, before any labeler code runs; then twice while
    its 2 worker processes start theirs.

    Once Python runs, the answer is always one line and 130. Before that, in the few ms
    the launcher (sh, then env) takes to start Python with SIGINT blocked, the launcher
    prints the line itself, except while the kernel loads sh or env: any program killed
    then ends by the signal, printing nothing (a shell reports 130). Never a traceback.
    """
    command = [str(_labeler_command())]
    outcomes = []
    for moment in [m / 200 for m in range(32)]:
        proc = _start(big_input, tmp_path / "out.jsonl", program=command)
        time.sleep(moment)
        outcomes.append((moment, *_interrupt(proc)))
    for trial in range(2):
        out = tmp_path / f"out{trial}.jsonl"  # an interrupted run leaves its .partial
        proc = _start(big_input, out, program=command)
        _wait_for("workers", proc, out)
        outcomes.append(("workers", *_interrupt(proc)))
    wrong = [
        outcome
        for outcome in outcomes
        if not _one_line_and_130(*outcome[2:])
        and not (outcome[1] in ("sh", "dash", "env") and outcome[2:] == (-signal.SIGINT, ""))
    ]
    assert not wrong, wrong
    assert sum(o[1] == "python" for o in outcomes) >= len(outcomes) // 2, outcomes


@pytest.mark.parametrize("moment", [0.05, "serving"])
def test_ctrl_c_stops_the_dashboard(tmp_path, moment):
    """The dashboard through the labeler command: SIGINT is unblocked for streamlit, which
    stops on Ctrl-C; a Ctrl-C before it starts is one line and 130."""
    import socket
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [str(_labeler_command()), "dashboard", "--headless", "--port", str(port),
         "--store", str(tmp_path / "r.db"), "--create"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=_as_a_terminal_starts_it,
    )  # fmt: skip
    if moment == "serving":
        deadline = time.monotonic() + 60
        while proc.poll() is None:
            try:
                url = f"http://127.0.0.1:{port}/_stcore/health"
                with urllib.request.urlopen(url, timeout=1) as r:
                    assert r.read() == b"ok"
                break
            except OSError:
                assert time.monotonic() < deadline, "the dashboard never answered"
                time.sleep(0.2)
    else:
        time.sleep(moment)
    _, status, err = _interrupt(proc)
    assert "Traceback" not in err and status == 130, err
    if moment != "serving":
        assert _one_line_and_130(status, err), err


def _start_on_dask(big_input: Path, out: Path, moment: str) -> subprocess.Popen:
    pytest.importorskip("distributed")
    return _start(big_input, out, "--backend", "dask", *for_moment(moment))


@pytest.mark.parametrize("moment", ["workers", "scoring"])
def test_dask_workers_exit_when_their_parent_is_killed(tmp_path, big_input, moment):
    """A LocalCluster's workers are processes of the run: they end with it, also while
    their interpreter is still starting."""
    proc = _start_on_dask(big_input, tmp_path / "out.jsonl", moment)
    _wait_for(moment, proc, tmp_path / "out.jsonl")
    assert _workers(proc.pid), "the run must be using worker processes"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert _gone(proc.pid, within=15), "dask worker processes outlived their parent"


@pytest.mark.parametrize("moment", ["workers", "scoring"])
def test_ctrl_c_on_dask_ends_with_one_line_and_130(tmp_path, big_input, moment):
    proc = _start_on_dask(big_input, tmp_path / "out.jsonl", moment)
    _wait_for(moment, proc, tmp_path / "out.jsonl")
    _, status, err = _interrupt(proc)
    assert _one_line_and_130(status, err), err


# 4. Every failure a clear message -------------------------------------------------------


def test_a_full_disk_is_one_line_and_keeps_the_partial_for_resume(tmp_path):
    src = jsonl(tmp_path / "in.jsonl", [*docs(3), "not an object"])
    out = tmp_path / "out.jsonl"
    result = labeler("score", src, "-o", out, "--errors", "/dev/full")
    assert result.returncode == 1
    line = one_line(result)
    assert "cannot write /dev/full: No space left on device" in line and "--resume" in line
    assert (tmp_path / "out.jsonl.partial").exists() and not out.exists()


@pytest.mark.parametrize("command", ["score", "export"])
def test_an_output_folder_is_refused_before_any_work(tmp_path, command):
    src = jsonl(tmp_path / "in.jsonl", docs(3))
    store = tmp_path / "review.db"
    assert labeler("score", src, "--store", store, "--quiet").returncode == 0
    args = ["score", src] if command == "score" else ["export", "--store", store]
    result = labeler(*args, "-o", tmp_path)
    assert result.returncode == 2
    assert f"-o {tmp_path} is a folder" in one_line(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "review.db"]


def test_resume_with_an_errors_file_the_first_run_did_not_have(tmp_path):
    src = jsonl(tmp_path / "in.jsonl", docs(RESUMED))
    out = interrupted(tmp_path, src)
    result = labeler("score", src, *FAST, "-o", out, "--resume", "--errors", "e.jsonl")
    assert result.returncode == 2
    assert "the interrupted run had no --errors" in one_line(result)
    assert (tmp_path / "out.jsonl.partial").exists()


def test_a_read_only_store_is_one_line_and_writes_nothing(tmp_path):
    src = jsonl(tmp_path / "in.jsonl", docs(3))
    store = tmp_path / "review.db"
    assert labeler("score", src, "--store", store, "--quiet").returncode == 0
    os.chmod(store, 0o444)
    out = tmp_path / "out.jsonl"
    result = labeler("score", src, "--store", store, "-o", out, no_dac=True)
    assert result.returncode == 1
    assert f"review store {store}" in one_line(result) and "readonly" in result.stderr.decode()
    assert not out.exists() and not (tmp_path / "out.jsonl.partial").exists()


def test_check_reports_a_store_corrupted_mid_file(tmp_path):
    src = jsonl(tmp_path / "in.jsonl", docs(3000))
    store = tmp_path / "review.db"
    assert labeler("score", src, *FAST, "--store", store, "--quiet").returncode == 0
    page = sqlite3.connect(store).execute("PRAGMA page_size").fetchone()[0]
    size = store.stat().st_size
    with store.open("r+b") as f:
        for offset in range(size // 3, 2 * size // 3, page * 7):
            f.seek(offset - offset % page)
            f.write(os.urandom(page))
    result = labeler("check", "--store", store)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr.decode()
    assert "integrity" in result.stdout.decode() + result.stderr.decode()


def _model_copy(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(default_model_dir(), target)
    return target


def _card(target: Path) -> dict:
    return json.loads((target / CARD_FILE).read_text())


def _vouch(target: Path) -> None:
    card = _card(target)
    card["artifact"]["sha256"] = sha256_of(target / MODEL_FILE)
    (target / CARD_FILE).write_text(json.dumps(card))


CARDS = {
    "bad JSON": lambda card, path: path.write_text("{not json"),
    "not UTF-8": lambda card, path: path.write_bytes(b'{"version": "\xff"}'),
    "a list": lambda card, path: path.write_text("[1, 2]"),
    "no version": lambda card, path: path.write_text(
        json.dumps({k: v for k, v in card.items() if k != "version"})
    ),
    "symlinked elsewhere": lambda card, path: (
        path.with_name("elsewhere.json").write_text(json.dumps(card)),
        shutil.move(path.with_name("elsewhere.json"), path.parent.parent / "elsewhere.json"),
        path.unlink(),
        path.symlink_to(path.parent.parent / "elsewhere.json"),
    ),
    "threshold -5": lambda card, path: path.write_text(
        json.dumps({**card, "thresholds": {"violence": -5, "graphic": 0.3}})
    ),
    "threshold 7": lambda card, path: path.write_text(
        json.dumps({**card, "thresholds": {"violence": 0.5, "graphic": 7}})
    ),
    "threshold not a number": lambda card, path: path.write_text(
        json.dumps({**card, "thresholds": {"violence": "high", "graphic": 0.3}})
    ),
    "missing label": lambda card, path: path.write_text(
        json.dumps({**card, "thresholds": {"violence": 0.5}})
    ),
}


@pytest.mark.parametrize("case", CARDS)
def test_a_malformed_model_card_is_one_line(tmp_path, case):
    target = _model_copy(tmp_path)
    CARDS[case](_card(target), target / CARD_FILE)
    src = jsonl(tmp_path / "in.jsonl", docs(2))
    result = labeler("score", src, "--model", target)
    assert result.returncode == 1 and result.stdout == b""
    assert str(target / CARD_FILE) in one_line(result)


def _rewrite_npz(target: Path, change) -> None:
    with np.load(target / MODEL_FILE) as arrays:
        parts = dict(arrays)
    change(parts)
    with (target / MODEL_FILE).open("wb") as f:
        np.savez_compressed(f, **parts)


NPZS = {
    "a broken zip": lambda target: (target / MODEL_FILE).write_bytes(
        (target / MODEL_FILE).read_bytes()[:5000]
    ),
    "a config that is not JSON": lambda target: _rewrite_npz(
        target, lambda parts: parts.update(config=np.array("{not json"))
    ),
    "coef of the wrong shape": lambda target: _rewrite_npz(
        target, lambda parts: parts.update(coef=parts["coef"][:, :10])
    ),
    "idf of the wrong shape": lambda target: _rewrite_npz(
        target, lambda parts: parts.update(idf=parts["idf"][:-1])
    ),
}


@pytest.mark.parametrize("case", NPZS)
def test_a_corrupted_npz_is_one_line(tmp_path, case):
    target = _model_copy(tmp_path)
    NPZS[case](target)
    _vouch(target)
    src = jsonl(tmp_path / "in.jsonl", docs(2))
    result = labeler("score", src, "--model", target)
    assert result.returncode == 1 and result.stdout == b""
    assert str(target / MODEL_FILE) in one_line(result)


def _zip_bomb(path: Path, inflated: int) -> None:
    """A model.npz whose terms.npy inflates to ``inflated`` bytes of zeros from a few MB:
    repeated fully-flushed deflate blocks, so building it costs almost nothing."""
    header = b"\x93NUMPY\x01\x00"
    meta = repr({"descr": "<f8", "fortran_order": False, "shape": ((inflated - 128) // 8,)})
    meta = meta.encode().ljust(128 - len(header) - 2 - 1) + b"\n"
    npy_head = header + struct.pack("<H", len(meta)) + meta
    z = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = 1 << 20
    data = [z.compress(npy_head) + z.flush(zlib.Z_FULL_FLUSH)]
    block = z.compress(b"\0" * chunk) + z.flush(zlib.Z_FULL_FLUSH)
    data += [block] * ((inflated - len(npy_head)) // chunk)
    data.append(z.flush())
    body = b"".join(data)
    name = b"terms.npy"
    size = len(npy_head) + chunk * ((inflated - len(npy_head)) // chunk)
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, 0, len(body), size, 9, 0)
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0,
        0,
        len(body),
        size,
        9,
        0,
        0,
        0,
        0,
        0,
        0,
    )
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, len(central) + 9, len(local) + 9 + len(body), 0
    )
    path.write_bytes(local + name + body + central + name + end)
    with zipfile.ZipFile(path) as archive:  # a well-formed zip, as far as its index goes
        assert archive.getinfo("terms.npy").file_size == size


def test_a_zip_bomb_member_is_refused_before_it_is_inflated(tmp_path):
    target = _model_copy(tmp_path)
    _zip_bomb(target / MODEL_FILE, 1 << 30)  # 1 GB from about 1 MB
    assert (target / MODEL_FILE).stat().st_size < 4 << 20
    _vouch(target)
    src = jsonl(tmp_path / "in.jsonl", docs(2))
    # a fresh parent whose only child is the run: its RUSAGE_CHILDREN is that run's peak,
    # whatever earlier tests' children used
    probe = (
        "import resource, subprocess, sys; "
        "r = subprocess.run(sys.argv[1:], capture_output=True); "
        "sys.stderr.buffer.write(r.stderr); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(r.returncode)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe, sys.executable, "-m", "labeler", "score", str(src),
         "--model", str(target)],
        capture_output=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    peak = int(result.stdout.split()[-1])  # KB
    assert result.returncode == 1
    assert "would inflate to" in one_line(result)
    assert peak < 600_000, f"the member was inflated: {peak:,} KB"


def test_a_malformed_registry_is_one_line(tmp_path):
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    (home / "models" / "registry.json").write_text('{"history": "2026-01-01-abc"')
    src = jsonl(tmp_path / "in.jsonl", docs(2))
    for args in (["score", src], ["models", "list"]):
        result = labeler(*args, env={"LABELER_HOME": str(home)})
        assert result.returncode == 1
        assert "registry.json" in one_line(result)


@pytest.mark.parametrize(
    "url", ["postgresql://u:SECRET@[::1/db", "postgresql://u:SECRET@nowhere.invalid:1/db"]
)
@pytest.mark.parametrize("command", ["score", "check", "export"])
def test_a_bad_postgresql_url_is_one_line_with_the_password_masked(tmp_path, url, command):
    src = jsonl(tmp_path / "in.jsonl", docs(2))
    args = {
        "score": ["score", src, "--store", url],
        "check": ["check", "--store", url],
        "export": ["export", "--store", url, "-o", tmp_path / "x.jsonl"],
    }[command]
    result = labeler(*args)
    assert result.returncode == 1
    assert "SECRET" not in (result.stdout + result.stderr).decode()
    assert "u:***@" in one_line(result)


@pytest.mark.parametrize("command", ["check", "export", "quality", "retrain"])
def test_commands_that_read_a_store_never_create_one(tmp_path, command):
    store = tmp_path / "typo" / "review.db"
    args = [command, "--store", store] + (
        ["-o", tmp_path / "x.jsonl"] if command == "export" else []
    )
    result = labeler(*args)
    assert result.returncode == 1
    assert f"review store {store} does not exist" in one_line(result)
    assert not (tmp_path / "typo").exists()
