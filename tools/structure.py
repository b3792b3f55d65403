"""The shape of ``labeler/``: module sizes, imports between its parts, cycles, the layers.

``python -m tools.structure`` prints it all and exits 1 when an import goes against the
README's layers or modules import each other in a cycle; ``tests/test_layers.py`` asks the
same class. Imports are read with ``ast``, function-local ones too; those under
``if TYPE_CHECKING:`` never run, so they are left out.

A module's *part* is its subpackage (``labeler/store/db.py``: store), or its own name when
the README's layers name it (``labeler/__main__.py``: __main__), else core (``labeler/passages.py``,
``labeler/__init__.py``).
"""

from __future__ import annotations

import ast
import re
import sys
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "labeler"
LARGE = 500  # lines: a module over this is marked, a candidate to split


@dataclass(frozen=True)
class Import:
    """One module importing another, and the line that does it."""

    source: str
    target: str
    path: Path  # the importing file, relative to the checkout
    line: int


class Structure:
    """The package in the checkout at ``root``, read from disk once."""

    def __init__(self, root: Path = ROOT) -> None:
        self.root = root

    @cached_property
    def modules(self) -> dict[str, Path]:
        """Every module by dotted name (a package is its ``__init__.py``)."""
        found = {}
        for path in sorted((self.root / PACKAGE).rglob("*.py")):
            parts = path.relative_to(self.root).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
        return found

    @cached_property
    def imports(self) -> list[Import]:
        """Every import of a module of the package by another, as the code runs them."""
        found = []
        for source, path in self.modules.items():
            where = path.relative_to(self.root)
            for node in _run_time_imports(ast.parse(path.read_text(encoding="utf-8"))):
                for target in self._targets(node, source, path.name == "__init__.py"):
                    if target in self.modules:
                        found.append(Import(source, target, where, node.lineno))
        return found

    def _targets(self, node: ast.Import | ast.ImportFrom, source: str, package: bool) -> list[str]:
        """The modules a statement imports: ``from labeler.batch import writers`` is the
        module ``labeler.batch.writers``, ``from labeler.store import Store`` the package."""
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        base = node.module or ""
        if node.level:  # relative: counted from the importing module's package
            here = source.split(".")[: len(source.split(".")) - node.level + package]
            base = ".".join([*here, *([base] if base else [])])
        named = [f"{base}.{alias.name}" for alias in node.names]
        submodules = [m for m in named if m in self.modules]
        return submodules if len(submodules) == len(named) else [base, *submodules]

    @cached_property
    def layers(self) -> list[list[str]]:
        """The README's layers, highest first: its ```layers block, a row a line, the
        row's parts before the colon."""
        readme = (self.root / "README.md").read_text(encoding="utf-8")
        block = re.search(r"```layers\n(.*?)```", readme, re.S)
        if not block:
            raise SystemExit("README.md has no ```layers block")
        return [
            [name.strip() for name in line.split(":", 1)[0].split(",")]
            for line in block.group(1).splitlines()
            if line.strip()
        ]

    def part(self, module: str) -> str:
        """Which part of the layers a module belongs to (see the module docstring)."""
        inside = self.modules[module].relative_to(self.root / PACKAGE).parts
        if len(inside) > 1:
            return inside[0]
        named = {name for row in self.layers for name in row}
        return Path(inside[0]).stem if Path(inside[0]).stem in named else "core"

    def sizes(self) -> list[tuple[int, Path]]:
        """Lines per module, largest first."""
        counted = [
            (len(path.read_text(encoding="utf-8").splitlines()), path.relative_to(self.root))
            for path in self.modules.values()
        ]
        return sorted(counted, key=lambda c: (-c[0], c[1]))

    def part_graph(self) -> Counter[tuple[str, str]]:
        """How many import statements go from each part to each other part."""
        pairs = ((self.part(i.source), self.part(i.target)) for i in self.imports)
        return Counter((a, b) for a, b in pairs if a != b)

    def against_layers(self) -> list[str]:
        """Each import up the layers or sideways (to another part of its own row), and
        each part the layers leave out, in words."""
        row_of = {name: depth for depth, row in enumerate(self.layers) for name in row}
        wrong = []
        for i in self.imports:
            source, target = self.part(i.source), self.part(i.target)
            if source == target:
                continue
            missing = [p for p in (source, target) if p not in row_of]
            if missing:
                wrong.append(f"{i.path}:{i.line}: part {missing[0]} is not in README's layers")
            elif row_of[target] <= row_of[source]:
                wrong.append(
                    f"{i.path}:{i.line}: {i.source} ({source}) imports {i.target} "
                    f"({target}), which is not below it in README's layers"
                )
        return wrong

    def cycles(self) -> list[list[str]]:
        """A cycle through each group of modules that import each other (``[a, b, a]``);
        a module importing itself is one too."""
        graph: dict[str, set[str]] = {m: set() for m in self.modules}
        for i in self.imports:
            graph[i.source].add(i.target)
        reach = {m: _reachable(m, graph) for m in graph}
        groups = {frozenset(n for n in reach[m] if m in reach[n]) for m in graph if m in reach[m]}
        return sorted(_cycle_through(sorted(group), graph) for group in groups)

    def report(self) -> tuple[list[str], bool]:
        """The printed report, and whether it is clean: no import against the layers, no
        cycle."""
        lines = [f"Lines per module under {PACKAGE}/, largest first (* over {LARGE}):"]
        for count, path in self.sizes():
            lines.append(f"  {count:5d} {'*' if count > LARGE else ' '} {path}")
        lines.append("Imports between parts (importing part -> imported part: statements):")
        lines += [f"  {a} -> {b}: {n}" for (a, b), n in sorted(self.part_graph().items())]
        lines.append("Layers (README.md, highest first; a part imports only rows below its own):")
        lines += [f"  {', '.join(row)}" for row in self.layers]
        wrong, looped = self.against_layers(), self.cycles()
        lines.append(f"Imports against the layers: {len(wrong) or 'none'}")
        lines += [f"  {w}" for w in wrong]
        lines.append(f"Import cycles between modules: {len(looped) or 'none'}")
        lines += [f"  {' -> '.join(cycle)}" for cycle in looped]
        return lines, not wrong and not looped


def _run_time_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """The import statements that may run: the body of ``if TYPE_CHECKING:`` never does."""
    found: list[ast.Import | ast.ImportFrom] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        elif isinstance(node, ast.If) and _type_checking(node.test):
            pending.extend(node.orelse)
        else:
            pending.extend(ast.iter_child_nodes(node))
    return found


def _type_checking(test: ast.expr) -> bool:
    """``TYPE_CHECKING`` or ``typing.TYPE_CHECKING``."""
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
    return name == "TYPE_CHECKING"


def _reachable(start: str, graph: dict[str, set[str]]) -> set[str]:
    """The modules ``start`` imports, directly or not (itself only through a cycle)."""
    seen: set[str] = set()
    pending = list(graph[start])
    while pending:
        node = pending.pop()
        if node not in seen:
            seen.add(node)
            pending.extend(graph[node])
    return seen


def _cycle_through(group: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest way from the group's first module back to itself (breadth first)."""
    start, frontier = group[0], [group[0]]
    came_from: dict[str, str] = {}
    while start not in came_from:
        reached = []
        for node in frontier:
            for nxt in sorted(graph[node].intersection(group) - came_from.keys()):
                came_from[nxt] = node
                reached.append(nxt)
        frontier = reached
    path, node = [start], came_from[start]
    while node != start:
        path.append(node)
        node = came_from[node]
    return [start, *reversed(path)]


def main() -> int:
    lines, clean = Structure().report()
    try:
        print("\n".join(lines), flush=True)
    except BrokenPipeError:  # read by `head`: what it took is all that was wanted
        sys.stdout = None  # type: ignore[assignment]  # nothing left to flush at exit
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
