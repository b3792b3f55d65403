"""Names a package exports, imported on first use (PEP 562), so that importing the
package, or one of its modules, loads nothing else: ``labeler --help`` stays instant."""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (see labeler.cli)
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


def exports(package: str, where: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports each name of ``where`` (name -> module) from
    its module the first time it is asked for."""

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(import_module(where[name]), name)

    return __getattr__
