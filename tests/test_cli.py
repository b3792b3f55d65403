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


def test_usage_error_exits_2():
    assert run("nonsense").returncode == 2


@pytest.mark.parametrize("command", ["score", "train", "evaluate", "rubric", "export", "dashboard"])
def test_every_command_has_help_with_an_example(command):
    out = run(command, "--help")
    assert out.returncode == 0 and "Example" in out.stdout


def test_tampered_model_gives_clear_error(tmp_path):
    import shutil

    from labeler.model import default_model_dir

    target = tmp_path / "m"
    shutil.copytree(default_model_dir(), target)
    (target / "model.npz").write_bytes(b"not a model")
    out = run("score", str(EXAMPLE), env={"LABELER_MODEL": str(target)})
    assert out.returncode == 1 and "does not match" in out.stderr and out.stdout == ""


def test_model_registry_mistakes_are_clear_errors_not_tracebacks():
    missing = run("models", "promote")
    assert missing.returncode == 2 and "promote needs a VERSION" in missing.stderr
    unknown = run("models", "promote", "no-such-version")
    assert unknown.returncode == 1 and "no model version no-such-version" in unknown.stderr
    assert "Traceback" not in missing.stderr + unknown.stderr
