"""Outputs that must never destroy anything, end to end through the ``labeler`` program
(issue 16: items 1-4, 19, 21, 22, 25, 26, 28, 29).

Each test runs the real CLI in a subprocess on real files and stores (and real model
folders), and checks what a user sees: the exit status, one clear line (never a
traceback), and that nothing was replaced, mixed or lost.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

from labeler.learn.registry import Registry
from labeler.model import CARD_FILE, MODEL_FILE, default_model_dir, sha256_of
from labeler.store.review import GRAPHIC, Labels
from labeler.store.store import Store

from .conftest import DATA, ROOT
from .reviewing import decide
from .test_hostile_paths import docs, jsonl, labeler, one_line


def _store(tmp_path: Path, n: int = 3) -> Path:
    """A SQLite review store holding ``n`` scored documents, made by ``score --store``."""
    src = jsonl(tmp_path / "in.jsonl", docs(n))
    store = tmp_path / "review.db"
    assert (
        labeler("score", src, "--store", store, "--quiet", "-o", tmp_path / "s.jsonl").returncode
        == 0
    )
    return store


def _counts(store: Path) -> str:
    result = labeler("check", "--store", store)
    assert result.returncode == 0, result.stderr
    return result.stdout.decode()


# 1. export -o onto the store: refused, the store kept ------------------------------


@pytest.mark.parametrize(
    "target", ["the store", "its -wal", "its -shm", "a symlink to it", "a hard link to it"]
)
def test_export_onto_the_store_or_its_files_is_refused_and_the_store_kept(tmp_path, target):
    store = _store(tmp_path)
    before = store.read_bytes()
    out = {
        "the store": store,
        "its -wal": tmp_path / "review.db-wal",
        "its -shm": tmp_path / "review.db-shm",
        "a symlink to it": tmp_path / "link.jsonl",
        "a hard link to it": tmp_path / "hard.jsonl",
    }[target]
    if target == "a symlink to it":
        out.symlink_to(store)
    elif target == "a hard link to it":
        os.link(store, out)
    result = labeler("export", "--store", store, "-o", out)
    assert result.returncode == 2, result.stderr
    assert f"-o {out} is the review store's file" in one_line(result)
    assert store.read_bytes() == before and "3 documents" in _counts(store)


# 28. score -o beside the store ----------------------------------------------------


@pytest.mark.parametrize("flag,companion", [("-o", "-wal"), ("--errors", "-shm")])
def test_score_output_onto_the_stores_wal_or_shm_is_refused(tmp_path, flag, companion):
    store = _store(tmp_path)
    src = jsonl(tmp_path / "more.jsonl", docs(4, "A calm day."))
    out = tmp_path / f"review.db{companion}"
    result = labeler("score", src, "--store", store, flag, out, "--quiet")
    assert result.returncode == 2
    assert f"{flag} {out} is the review store's file {out}" in one_line(result)
    assert not out.exists() and "3 documents" in _counts(store)


# 2. -o naming a FIFO or a device: written into, never replaced -------------------------


def _drain(fifo: Path) -> tuple[threading.Thread, list[bytes]]:
    """A reader on ``fifo`` (what a user's ``cat fifo`` would be), collecting all it reads."""
    got: list[bytes] = []

    def read() -> None:
        with fifo.open("rb") as f:
            got.append(f.read())

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return reader, got


def _reviewed_store(tmp_path: Path, n: int) -> Path:
    """A store of ``n`` documents, each passage reviewed (violent) by one reviewer."""
    store = _store(tmp_path, n)
    with Store(store) as s:
        for (pid,) in s.db.execute("SELECT id FROM passages ORDER BY id").fetchall():
            decide(s, pid, "ana", "correct", Labels(1, 0, 2))
    return store


@pytest.mark.parametrize("command", ["score", "export"])
def test_an_output_fifo_is_written_into_and_never_replaced(tmp_path, command):
    store = _reviewed_store(tmp_path, 5)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader, got = _drain(fifo)
    args = ["score", tmp_path / "in.jsonl"] if command == "score" else ["export", "--store", store]
    result = labeler(*args, "-o", fifo, "--quiet" if command == "score" else "--format=jsonl")
    reader.join(10)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced by a regular file"
    rows = [json.loads(line) for line in got[0].decode().splitlines()]
    assert len(rows) == 5 and all(r["id"].startswith("d") for r in rows)
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name or ".tmp" in p.name]


def _device(tmp_path: Path) -> Path:
    """A character device of our own (a /dev/null twin, major 1 minor 3) in tmp_path:
    the machine's /dev/null is never put at risk."""
    node = tmp_path / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        node.open("w").close()
    except OSError as err:  # not root, or a nodev mount
        pytest.skip(f"cannot make a device node here: {err}")
    return node


@pytest.mark.parametrize("command", ["score", "export"])
def test_an_output_device_is_written_into_and_never_replaced(tmp_path, command):
    store = _reviewed_store(tmp_path, 3)
    node = _device(tmp_path)
    rdev = os.lstat(node).st_rdev
    args = ["score", tmp_path / "in.jsonl"] if command == "score" else ["export", "--store", store]
    result = labeler(*args, "-o", node)
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(node).st_mode) and os.lstat(node).st_rdev == rdev
    assert not [p for p in tmp_path.iterdir() if ".partial" in p.name or ".tmp" in p.name]


def test_resume_into_a_device_is_refused_before_anything_is_opened(tmp_path):
    src = jsonl(tmp_path / "in.jsonl", docs(3))
    node = _device(tmp_path)
    result = labeler("score", src, "-o", node, "--resume")
    assert result.returncode == 2
    assert f"--resume needs -o to be a regular file: {node}" in one_line(result)
    assert stat.S_ISCHR(os.lstat(node).st_mode)


# 3. two runs on one -o at once -------------------------------------------------------


def _batch_lines(n: int, start: int = 0) -> bytes:
    return b"".join(
        json.dumps({"id": f"a{i}", "text": f"Gunmen shot dead {i} people."}).encode() + b"\n"
        for i in range(start, start + n)
    )


def test_a_second_run_on_the_same_output_is_refused_while_the_first_writes(tmp_path):
    """Run A reads stdin and so stays mid-run for as long as the test likes; run B, the
    same command with --resume (the state file says A's first batch is done, and B's
    input starts with the same records), must be refused rather than write into A's
    .partial; so must a fresh run. A then finishes with exactly its own records."""
    out = tmp_path / "out.jsonl"
    fast = ["--jobs", "1", "--fast"]  # the word model alone: the runs' files are the point
    cmd = [sys.executable, "-m", "labeler", "score", "-", "-o", str(out), *fast]
    first = subprocess.Popen(
        cmd, cwd=ROOT, stdin=subprocess.PIPE, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL
    )
    first.stdin.write(_batch_lines(8500))  # more than the 4 batches read before scoring
    first.stdin.flush()
    state = tmp_path / "out.jsonl.partial.json"
    deadline = time.monotonic() + 60
    while not (state.exists() and json.loads(state.read_text() or "{}").get("items")):
        assert time.monotonic() < deadline and first.poll() is None, "run A never wrote a batch"
        time.sleep(0.05)
    for extra in (["--resume"], []):
        second = labeler("score", "-", "-o", out, *fast, *extra, input=_batch_lines(9000))
        assert second.returncode == 2, second.stderr
        assert f"another labeler run is writing {out}" in one_line(second)
    first.stdin.write(_batch_lines(500, 8500))
    first.stdin.close()
    assert first.wait(60) == 0, first.stderr.read()
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert ids == [f"a{i}" for i in range(9000)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl"]


RACE = 20_000  # records a run: with --fast, about two seconds of writing


def test_two_runs_started_together_never_mix_their_outputs(tmp_path):
    """As the issue found it: two runs on one -o at the same instant. Every time, the
    output is all of one run's records, never a mix; a run that does not write it is
    refused with one line (or, if it started after the other finished, rewrote it). The
    word model alone, on enough records that the two runs overlap for seconds."""
    inputs = {}
    for name in ("left", "right"):
        inputs[name] = jsonl(
            tmp_path / f"{name}.jsonl",
            [{"id": f"{name}{i}", "text": f"Gunmen shot dead {i} people."} for i in range(RACE)],
        )
    out = tmp_path / "out.jsonl"
    for _trial in range(4):
        procs = {
            name: subprocess.Popen(
                [sys.executable, "-m", "labeler", "score", str(src), "-o", str(out)]
                + ["--jobs", "1", "--fast", "--quiet"],
                cwd=ROOT,
                stderr=subprocess.PIPE,
            )
            for name, src in inputs.items()
        }
        status = {name: (p.wait(120), p.stderr.read().decode()) for name, p in procs.items()}
        assert any(code == 0 for code, _ in status.values()), status
        for code, err in status.values():
            assert code in (0, 2) and "Traceback" not in err, err
            assert code == 0 or f"another labeler run is writing {out}" in err
        ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
        assert ids in ([f"left{i}" for i in range(RACE)], [f"right{i}" for i in range(RACE)])
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "left.jsonl",
            "out.jsonl",
            "right.jsonl",
        ]
        out.unlink()


# 19 and 29. closed pipes and closed standard streams -------------------------------------


BUFFERED = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # as users run it


def _into_closed_pipe(*args) -> subprocess.CompletedProcess:
    """Run labeler with its stdout a pipe whose reader has already gone (``| head``,
    after head has exited)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run(
            [sys.executable, "-m", "labeler", *map(str, args)],
            cwd=ROOT,
            env=BUFFERED,
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=60,
        )
    finally:
        os.close(write)


@pytest.mark.parametrize("command", ["score", "export", "small export", "models"])
def test_a_closed_pipe_ends_quietly(tmp_path, command):
    """Output larger than Python's buffer fails as it is written; a smaller one only as
    Python flushes on its way out, where it once printed "Exception ignored"."""
    store = _reviewed_store(tmp_path, 30 if command != "small export" else 1)
    args = {
        "score": ["score", tmp_path / "in.jsonl", "--quiet"],
        "export": ["export", "--store", store],
        "small export": ["export", "--store", store],
        "models": ["models", "list"],
    }[command]
    result = _into_closed_pipe(*args)
    assert result.stderr.decode() == "" and result.returncode == 141


def test_a_reader_that_stops_early_ends_the_run_quietly(tmp_path):
    """``labeler score big.jsonl | head -1``: the first line arrives, then the pipe closes."""
    src = jsonl(tmp_path / "in.jsonl", docs(12_000))
    proc = subprocess.Popen(
        [sys.executable, "-m", "labeler", "score", str(src), "--jobs", "1", "--quiet"],
        cwd=ROOT,
        env=BUFFERED,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert json.loads(proc.stdout.readline())["id"] == "d0"
    proc.stdout.close()
    assert proc.wait(60) == 141
    assert proc.stderr.read().decode() == ""


@pytest.mark.parametrize("stream,redirect", [("output", ">&-"), ("input", "<&-")])
def test_a_closed_standard_stream_is_a_usage_error(tmp_path, stream, redirect):
    src = jsonl(tmp_path / "in.jsonl", docs(2))
    args = "score" if stream == "input" else f"score {src}"
    result = subprocess.run(
        f"{sys.executable} -m labeler {args} {redirect}",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert f"standard {stream} is closed" in one_line(result)


# 4. concurrent promotions and rollbacks ------------------------------------------------


LOOP = """
import sys
from pathlib import Path
from labeler.learn.registry import Registry

registry, action, n = Registry(Path(sys.argv[1])), sys.argv[2], int(sys.argv[3])
for _ in range(n):
    if action == "promote":
        registry.promote("a")
    else:
        registry.promote("b")
        registry.rollback()
"""


def _version(home: Path, name: str) -> Path:
    """A stored model version ``name``: the shipped model under that version."""
    folder = home / "models" / name
    shutil.copytree(default_model_dir(), folder)
    card = json.loads((folder / CARD_FILE).read_text())
    (folder / CARD_FILE).write_text(json.dumps({**card, "version": name}))
    return folder


def test_concurrent_promotions_and_rollbacks_lose_nothing(tmp_path):
    home = tmp_path / "home"
    for name in ("a", "b"):
        _version(home, name)
    n = 25
    loops = [
        subprocess.Popen(
            [sys.executable, "-c", LOOP, str(home), action, str(n)],
            cwd=ROOT,
            stderr=subprocess.PIPE,
        )
        for action in ("promote", "promote-and-roll-back")
    ]
    for loop in loops:
        assert loop.wait(120) == 0, loop.stderr.read().decode()
    state = json.loads((home / "models" / "registry.json").read_text())
    assert len(state["history"]) == n, "a promotion or rollback was lost"
    assert sorted(p.name for p in (home / "models").iterdir()) == [
        "a",
        "b",
        "registry.json",
        "registry.lock",
    ]
    src = jsonl(tmp_path / "in.jsonl", docs(2))
    assert labeler("score", src, env={"LABELER_HOME": str(home)}).returncode == 0


# 22. promote only what loads; list what can be listed ----------------------------------


def test_promoting_a_version_that_cannot_load_is_refused(tmp_path):
    home = tmp_path / "home"
    bad = _version(home, "2026-01-01-bad")
    with (bad / MODEL_FILE).open("r+b") as f:
        f.seek(200)
        f.write(b"\0" * 64)
    env = {"LABELER_HOME": str(home)}
    result = labeler("models", "promote", "2026-01-01-bad", env=env)
    assert result.returncode == 1
    line = one_line(result)
    assert "cannot promote 2026-01-01-bad" in line and "sha256" in line
    assert Registry(home).current() is None
    src = jsonl(tmp_path / "in.jsonl", docs(2))
    assert labeler("score", src, env=env).returncode == 0


def test_one_bad_version_folder_does_not_hide_the_others(tmp_path):
    home = tmp_path / "home"
    _version(home, "2026-01-01-good")
    broken = _version(home, "2026-01-02-broken")
    (broken / CARD_FILE).write_text("{not json")
    result = labeler("models", "list", env={"LABELER_HOME": str(home)})
    assert result.returncode == 1
    assert "  2026-01-01-good  reviewed rows 0" in result.stdout.decode()
    line = one_line(result)
    assert "not a model version" in line and str(broken / CARD_FILE) in line


# 25 and 21. numeric options; bad data folders; bad model folders ---------------------------


@pytest.mark.parametrize(
    "args,option",
    [
        (["retrain", "--tolerance", "nan"], "--tolerance"),
        (["retrain", "--tolerance", "inf"], "--tolerance"),
        (["quality", "--confidence", "nan"], "--confidence"),
        (["quality", "--folds", "0"], "--folds"),
    ],
)
def test_numbers_that_would_switch_a_check_off_are_refused(tmp_path, args, option):
    store = _store(tmp_path)
    result = labeler(*args, "--store", store)
    assert result.returncode == 2
    err = result.stderr.decode()
    assert "Traceback" not in err and f"argument {option}:" in err.splitlines()[-1]
    assert not (tmp_path / "home" / "models").exists()


@pytest.mark.parametrize("command", ["retrain", "quality"])
@pytest.mark.parametrize("data", ["missing", "empty"])
def test_a_missing_or_empty_data_folder_is_one_line(tmp_path, command, data):
    store = _reviewed_store(tmp_path, 3)
    before = store.read_bytes()
    folder = tmp_path / data
    if data == "empty":
        folder.mkdir()
    result = labeler(command, "--store", store, "--data", folder)
    assert result.returncode == 1
    assert f"training data {folder}" in one_line(result)
    assert store.read_bytes() == before


def _rewrite_config(model: Path, **change) -> None:
    """Change the artifact's config (and vouch for the new artifact in the card)."""
    path = model / MODEL_FILE
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(str(np.lib.format.read_array(io.BytesIO(members["config.npy"]))))
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.array(json.dumps({**config, **change})))
    members["config.npy"] = buffer.getvalue()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    card = json.loads((model / CARD_FILE).read_text())
    card["artifact"]["sha256"] = sha256_of(path)
    (model / CARD_FILE).write_text(json.dumps(card))


@pytest.mark.parametrize("fault", ["extra threshold label", "invalid token pattern"])
def test_a_model_folder_with_a_bad_card_or_config_is_one_line(tmp_path, fault):
    model = tmp_path / "model"
    shutil.copytree(default_model_dir(), model)
    if fault == "extra threshold label":
        card = json.loads((model / CARD_FILE).read_text())
        card["thresholds"]["gore"] = 0.5
        (model / CARD_FILE).write_text(json.dumps(card))
        expected = "a threshold for 'gore', not a label"
    else:
        _rewrite_config(model, token_pattern="(?u)\\b(\\w\\w+")
        expected = "config token_pattern is not a regular expression"
    src = jsonl(tmp_path / "in.jsonl", docs(2))
    result = labeler("score", src, "--model", model, "--store", tmp_path / "review.db")
    assert result.returncode == 1
    assert expected in one_line(result)


# 26. exports: undecided warnings, unique row ids --------------------------------------------


def test_exports_say_undecided_and_never_repeat_a_row_id(tmp_path, store_target):
    """An undecided document's rows carry the warning suggested from its current labels with
    status "suggested" (issue 18), never level "none" as if an editor had decided."""
    src = jsonl(
        tmp_path / "in.jsonl",
        [
            {"id": "dup", "text": "Gunmen shot dead eleven villagers."},
            {"id": "dup", "text": "Rebels burned the market and killed four traders."},
            {"id": "solo", "text": "Troops opened fire on the crowd, killing nine."},
        ],
    )
    assert (
        labeler(
            "score", src, "--store", store_target, "--quiet", "-o", tmp_path / "s.jsonl"
        ).returncode
        == 0
    )
    with Store(store_target) as store:
        passages = store.db.execute(
            "SELECT p.id, p.document_id FROM passages p ORDER BY p.id"
        ).fetchall()
        for pid, _ in passages:
            decide(store, pid, "ana", "correct", Labels(1, 0, 2))
        store.warnings.record(passages[2][1], "ed", "none", {"level": "none", "text": None})
    for fmt in ("jsonl", "csv"):
        out = tmp_path / f"reviewed.{fmt}"
        result = labeler("export", "--store", store_target, "-o", out)
        assert result.returncode == 0, result.stderr
        if fmt == "jsonl":
            rows = [json.loads(line) for line in out.read_text().splitlines()]
            levels = [(r["warning"]["level"], r["warning"]["status"]) for r in rows]
        else:
            rows = list(csv.DictReader(out.open(newline="")))
            levels = [(r["warning_level"], r["warning_status"]) for r in rows]
        ids = [r["id"] for r in rows]
        assert len(set(ids)) == len(ids) == 3, ids
        assert ids[0] == "dup#0" and ids[1].startswith("dup#0@") and ids[2] == "solo#0"
        suggested = ("violence", "suggested")  # the reviewer's label: violent, described
        assert levels == [suggested, suggested, ("none", "no warning needed")]


# 29. the default store on first use; retraining twice on unchanged data ---------------------


def test_the_default_store_works_on_first_use(tmp_path):
    home = tmp_path / "fresh-home"
    src = jsonl(tmp_path / "in.jsonl", docs(2))
    result = labeler(
        "score",
        src,
        "--store",
        "--quiet",
        "-o",
        tmp_path / "s.jsonl",
        env={"LABELER_HOME": str(home), "LABELER_DB": ""},
    )
    assert result.returncode == 0, result.stderr
    assert "2 documents" in _counts(home / "labeler.db")


def test_retraining_twice_on_unchanged_data_says_so_before_training(tmp_path):
    data = tmp_path / "data"
    (data / "seed").mkdir(parents=True)
    with (DATA / "seed" / "labels.jsonl").open() as f:
        (data / "seed" / "labels.jsonl").write_text("".join(next(f) for _ in range(600)))
    store = _store(tmp_path)
    with Store(store) as reviewed:  # something to learn from (no reviews: nothing new at all)
        decide(reviewed, 1, "ana", "correct", GRAPHIC)
    env = {"LABELER_HOME": str(tmp_path / "home")}
    first = labeler("retrain", "--store", store, "--data", data, env=env, timeout=300)
    assert first.returncode in (0, 1) and "gate:" in first.stdout.decode(), first.stderr
    (version,) = [c["version"] for c in Registry(tmp_path / "home").versions()]
    second = labeler("retrain", "--store", store, "--data", data, env=env, timeout=300)
    out = second.stdout.decode()
    assert second.stderr.decode() == "" and "gate:" not in out  # nothing was trained
    assert f"Nothing new to learn from: version {version} was trained on these same" in out
    assert second.returncode == first.returncode
    assert len(Registry(tmp_path / "home").versions()) == 1
