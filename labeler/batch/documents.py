"""What reading an input yields: a document to score, or an error naming the file, the line
(or row) and what is wrong; the options that say how a record is read; and the document a
JSON object or CSV row makes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

ORIGINAL_KEPT = 2000  # characters of a bad line kept in the errors file


class Document(NamedTuple):
    """One document to score; ``line`` is its line or CSV row (None for whole files)."""

    id: str
    text: str
    path: str
    line: int | None = None
    fields: dict[str, Any] | None = None  # other JSONL/CSV fields, carried through


class InputError(NamedTuple):
    """A record or file that cannot be scored, and why."""

    path: str
    line: int | None
    reason: str
    original: str | None = None

    def message(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.reason}"


Item = Document | InputError


@dataclass
class ReadOptions:
    """How records are read: the fields that hold the text and the id, the largest text,
    and the format ("auto": by the file's name)."""

    text_field: str = "text"
    id_field: str = "id"
    max_chars: int = 10_000_000
    input_format: str = "auto"

    @property
    def max_bytes(self) -> int:
        """The most bytes ``max_chars`` characters can take in UTF-8."""
        return 4 * self.max_chars


def record(obj: dict[str, Any], name: str, number: int, options: ReadOptions) -> Item:
    """A Document from a JSONL object or CSV row, or the reason it is not one."""
    if options.text_field not in obj:
        present = ", ".join(sorted(map(str, obj))) or "none"
        reason = f"no '{options.text_field}' field (fields: {present})"
        return InputError(name, number, reason)
    text = obj[options.text_field]
    if not isinstance(text, str):
        reason = f"field '{options.text_field}' is {kind_of(text)}, expected a string"
        return InputError(name, number, reason)
    if len(text) > options.max_chars:
        return InputError(name, number, f"text is larger than the {size_limit(options)} limit")
    raw_id = obj.get(options.id_field)
    doc_id = f"{name}:{number}" if raw_id in (None, "") else str(raw_id)
    if len(obj) <= 2 and options.id_field in obj and options.id_field != options.text_field:
        return Document(doc_id, text, name, number)  # no other fields: none to copy
    extra = {k: v for k, v in obj.items() if k != options.text_field and k != options.id_field}
    return Document(doc_id, text, name, number, extra or None)


def original(raw: bytes) -> str:
    """The start of a bad line, for the errors file."""
    return raw[:ORIGINAL_KEPT].decode("utf-8", "replace").rstrip("\r\n")


def size_limit(options: ReadOptions) -> str:
    """The size limit as a reason names it: "10,000,000-character"."""
    return f"{options.max_chars:,}-character"


def kind_of(value: Any) -> str:
    """A JSON value's kind as a reason names it: "an array", "null"."""
    names = {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return names.get(type(value), type(value).__name__)
