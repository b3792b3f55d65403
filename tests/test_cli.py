import json
import os
import subprocess
import sys

import pytest

from .conftest import EXAMPLE, ROOT


def run(*args, **kw):
    env = {**os.environ, **kw.pop("env", {})}
    return subprocess.run(
        [sys.executable, "-m", "labeler", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        **kw,
    )


def test_score_example_writes_one_record_per_file():
    out = run("score", str(EXAMPLE))
    assert out.returncode == 0, out.stderr
    (line,) = out.stdout.splitlines()
    record = json.loads(line)
    assert record["id"] == str(EXAMPLE) and "violence" in record["flags"]


def test_unreadable_and_invalid_files_are_named_and_the_rest_still_scored(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9 attack".encode("latin-1"))
    missing = tmp_path / "missing.txt"
    out = run("score", str(missing), str(bad), str(EXAMPLE))
    assert out.returncode == 1
    assert f"{missing}: cannot read" in out.stderr
    assert f"{bad}: cannot read: not valid UTF-8 (byte 3)" in out.stderr
    assert [json.loads(x)["id"] for x in out.stdout.splitlines()] == [str(EXAMPLE)]


def test_usage_error_exits_2():
    assert run("score").returncode == 2
    assert run("nonsense").returncode == 2


@pytest.mark.parametrize("command", ["score", "train", "evaluate", "rubric"])
def test_every_command_has_help_with_an_example(command):
    out = run(command, "--help")
    assert out.returncode == 0 and "Example" in out.stdout


def test_tampered_model_gives_clear_error(tmp_path):
    import shutil

    from labeler.model import default_model_dir

    target = tmp_path / "m"
    shutil.copytree(default_model_dir(), target)
    (target / "model.skops").write_bytes(b"not a model")
    out = run("score", str(EXAMPLE), env={"LABELER_MODEL": str(target)})
    assert out.returncode == 1 and "does not match" in out.stderr and out.stdout == ""
