"""JSON Lines: one document per line, each line's fault its own error.

A record is refused when it cannot be written back out as read: nested too deep, or
holding an integer beyond 64 bits outside its id.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import orjson

from labeler.batch.documents import (
    InputError,
    Item,
    ReadOptions,
    kind_of,
    original,
    record,
    size_limit,
)
from labeler.batch.streams import BOM, Counted, physical_lines

MAX_NESTING = 100  # levels of JSON arrays and objects in a record (the output holds ~250)
INT64_LIMIT = 1 << 63  # orjson reads integers in [-2**63, 2**64) exactly, others as floats
_SCALARS = frozenset({str, int, bool, type(None)})  # JSON values orjson reads exactly


def read_jsonl(stream: Counted, name: str, options: ReadOptions) -> Iterator[Item]:
    """A JSON Lines stream's documents (or errors), one for each line not blank."""
    for number, raw in enumerate(physical_lines(stream, options.max_bytes), 1):
        if raw is None:
            yield InputError(name, number, f"line is larger than the {size_limit(options)} limit")
        elif b"\0" in raw:
            reason = f"binary data in the line (a NUL byte at byte {raw.index(0) + 1})"
            yield InputError(name, number, reason, original(raw))
        elif raw.strip():
            yield _json_document(raw[3:] if raw.startswith(BOM) else raw, name, number, options)


def _json_document(raw: bytes, name: str, number: int, options: ReadOptions) -> Item:
    try:
        obj = orjson.loads(raw)
    except orjson.JSONDecodeError as err:
        try:
            raw.decode("utf-8")
            reason = f"malformed JSON: {err.msg} (column {err.colno})"
        except UnicodeDecodeError as bad:
            reason = f"not valid UTF-8 (byte {bad.start})"
        return InputError(name, number, reason, original(raw))
    if not isinstance(obj, dict):
        reason = f"expected a JSON object, got {kind_of(obj)}"
        return InputError(name, number, reason, original(raw))
    if raw.count(b"[") + raw.count(b"{") > MAX_NESTING and _nested_deeper(obj, MAX_NESTING):
        reason = f"JSON nested more than {MAX_NESTING} levels deep"
        return InputError(name, number, reason, original(raw))
    if not _SCALARS.issuperset(map(type, obj.values())) and any(map(_rounded, _leaves(obj))):
        exact = _exact(raw, options)
        if isinstance(exact, str):
            return InputError(name, number, exact, original(raw))
        obj = exact
    item = record(obj, name, number, options)
    return item._replace(original=original(raw)) if isinstance(item, InputError) else item


def _nested_deeper(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest more than ``limit`` levels deep in ``value``.

    The parser reads 1,024 levels, but such a record cannot be scored as read:
    its fields are written back out (orjson writes at most 254 levels) and its
    id made a string (``str`` of a list that deep overflows Python's stack).
    Walked with a stack of its own, not recursion, for the same reason.
    """
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            if level > limit:
                return True
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return False


def _leaves(value: Any) -> Iterator[Any]:
    """Every value in ``value`` that is not an array or object, at any depth."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += item.values()
        elif isinstance(item, list):
            stack += item
        else:
            yield item


def _rounded(value: Any) -> bool:
    """Whether ``value`` may be an integer orjson could not hold (it reads one beyond 64
    bits as a float: distinct ids would collide); a float literal can look the same."""
    return type(value) is float and abs(value) >= INT64_LIMIT and value.is_integer()


def _beyond_64_bits(value: Any) -> bool:
    return type(value) is int and not -INT64_LIMIT <= value < 2 * INT64_LIMIT


def _exact(raw: bytes, options: ReadOptions) -> dict[str, Any] | str:
    """A record read again keeping every integer's digits (by the standard library's
    slower parser, for the rare record that needs it), or why it cannot be scored: an
    integer beyond 64 bits is kept only as an id (which becomes text); in any other
    field it could not be written back out exactly. (Integers of over ~310 digits do
    not get here: orjson calls them malformed.)"""
    obj = json.loads(raw)  # orjson read it: valid, nested at most MAX_NESTING deep
    for key, value in obj.items():
        if key not in (options.id_field, options.text_field):
            if any(map(_beyond_64_bits, _leaves(value))):
                return (
                    f"field '{key}' holds an integer beyond 64 bits, which cannot be "
                    "written out exactly: quote it as a string"
                )
    return obj  # type: ignore[no-any-return]
