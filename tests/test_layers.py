"""Layers point one way: every import in labeler/ follows README's ```layers block, and no
modules import each other in a cycle (tools/structure.py reads the imports)."""

import subprocess
import sys
from pathlib import Path

from tools.structure import Structure

from .conftest import ROOT


def test_every_import_goes_down_the_readme_layers():
    wrong = Structure().against_layers()
    assert not wrong, "\n".join(wrong)


def test_no_modules_import_each_other_in_a_cycle():
    cycles = Structure().cycles()
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def write(root: Path, files: dict[str, str]) -> Structure:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return Structure(root)


def test_the_check_sees_local_and_relative_imports_and_skips_type_checking_ones(tmp_path):
    shape = write(
        tmp_path,
        {
            "README.md": "```layers\ncli: the shell\nstore: below\ncore: the rest\n```\n",
            "labeler/__init__.py": "",
            "labeler/cli.py": "from labeler import passages\n",
            "labeler/passages.py": "def f():\n    from labeler.store import db\n",
            "labeler/store/__init__.py": "",
            "labeler/store/db.py": "from . import queue\n",
            "labeler/store/queue.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from labeler.cli import x\n"
                "import labeler.store.db\n"
            ),
        },
    )
    assert shape.against_layers() == [
        "labeler/passages.py:2: labeler.passages (core) imports labeler.store.db (store), "
        "which is not below it in README's layers"
    ]
    assert shape.cycles() == [["labeler.store.db", "labeler.store.queue", "labeler.store.db"]]


def test_a_part_left_out_of_the_layers_is_reported(tmp_path):
    shape = write(
        tmp_path,
        {
            "README.md": "```layers\ncore: all\n```\n",
            "labeler/__init__.py": "",
            "labeler/extra/__init__.py": "import labeler\n",
        },
    )
    assert shape.against_layers() == [
        "labeler/extra/__init__.py:1: part extra is not in README's layers"
    ]


def test_the_command_prints_sizes_graph_and_cycles_and_passes():
    out = subprocess.run(
        [sys.executable, "-m", "tools.structure"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "labeler/cli/options.py" in out.stdout and "store -> core:" in out.stdout
    assert out.stdout.endswith(
        "Imports against the layers: none\nImport cycles between modules: none\n"
    )
