"""How one record or one cell is written, for every output (the batch writers and the
review store's exports alike): a JSON line, and a spreadsheet cell that cannot run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as a formula


def jsonl(record: Mapping[str, Any]) -> str:
    """One JSON line: ``record`` and a newline."""
    return orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE).decode()


def csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas in untrusted cells ("=cmd()" becomes "'=cmd()")."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
