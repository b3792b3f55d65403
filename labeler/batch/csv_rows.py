"""CSV: one document per row, under a header that names the text column.

A row that cannot be read is an error of its own, named by the line it starts on, and the
reader resynchronises after it, so the good rows after a bad one are still read.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from typing import Any

from labeler.batch.documents import (
    ORIGINAL_KEPT,
    InputError,
    Item,
    ReadOptions,
    record,
    size_limit,
)
from labeler.batch.streams import Counted, physical_lines


def read_csv(stream: Counted, name: str, options: ReadOptions) -> Iterator[Item]:
    """A CSV stream's documents (or errors), row by row, each named by its first line."""
    csv.field_size_limit(options.max_chars)
    lines = _CsvLines(stream, name, options)
    reader = csv.reader(lines)
    lines.start_record()
    header = _next_row(reader, lines)
    if isinstance(header, InputError) or header is None:
        yield header or InputError(name, None, "empty file: no documents")
        return
    wrong = _header_fault(header, options)
    if wrong:
        yield InputError(name, lines.first, wrong)
        return
    while True:
        lines.start_record()
        row = _next_row(reader, lines)
        yield from lines.take_errors()
        first = lines.first  # a row is named by the line it starts on
        if row is None:
            return
        if isinstance(row, InputError):
            if lines.in_quotes():  # resynchronise: skip to the end of this record
                last = lines.skip_record()
                yield from lines.take_errors()
                reason = f"{row.reason}; skipped the record (lines {first} to {last})"
                row = row._replace(line=first, reason=reason)
            yield row
        elif lines.ended:  # only a quote left open reads on past the end of the last line
            reason = "malformed CSV: a quoted field is never closed (the row runs to the end)"
            yield InputError(name, first, reason, ",".join(row)[:ORIGINAL_KEPT])
        elif row and row != [""]:
            yield _csv_document(header, row, name, first, options)


def _header_fault(header: list[str], options: ReadOptions) -> str | None:
    """Why a CSV header cannot be read by name: no text column, or a column named twice
    (which of the two a row's value comes from would be a guess). Columns with no name
    (trailing commas) cannot be asked for, and may repeat."""
    if options.text_field not in header:
        return f"no '{options.text_field}' column (columns: {', '.join(header)})"
    counts = Counter(column for column in header if column)
    for column, count in counts.most_common(1):
        if count > 1:
            times = "twice" if count == 2 else f"{count} times"
            return f"the header names column '{column}' {times}: rename or remove one"
    return None


def _csv_document(
    header: list[str], row: list[str], name: str, number: int, options: ReadOptions
) -> Item:
    original = ",".join(row)[:ORIGINAL_KEPT]
    if len(row) != len(header):
        reason = f"row has {len(row)} fields, the header has {len(header)}"
        return InputError(name, number, reason, original)
    item = record(dict(zip(header, row, strict=True)), name, number, options)
    return item._replace(original=original) if isinstance(item, InputError) else item


def _next_row(reader: Any, lines: _CsvLines) -> list[str] | InputError | None:
    try:
        return next(reader)  # type: ignore[no-any-return]
    except StopIteration:
        return None
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            reason = f"a field is larger than the {size_limit(lines.options)} limit"
            return InputError(lines.name, lines.number, reason)
        return InputError(lines.name, lines.number, f"malformed CSV: {err}")


class _CsvLines:
    """Decoded physical lines for csv.reader; undecodable or huge lines become errors."""

    def __init__(self, stream: Counted, name: str, options: ReadOptions) -> None:
        self._lines = physical_lines(stream, options.max_bytes)
        self.name, self.number, self.options = name, 0, options
        self._errors: list[InputError] = []
        self.ended = False  # csv.reader asked for a line after the last one
        self._quotes = 0  # quote characters in the lines of the current record
        self.first = 0  # the line the current record starts on (0: none read yet)

    def start_record(self) -> None:
        self._quotes, self.first = 0, 0

    def in_quotes(self) -> bool:
        """Whether the lines read since ``start_record`` end inside a quoted field
        (each quote opens or closes one; a doubled quote does both)."""
        return self._quotes % 2 == 1

    def skip_record(self) -> int:
        """Read on to the line that closes the open quoted field; returns its number.

        How the reader recovers from a record it cannot take (a field over the size
        limit): without this, csv.reader would take the rest of the field's lines as
        records of their own, each an error, and lose the good rows after it.
        """
        for _ in self:
            if not self.in_quotes():
                break
        return self.number

    def __iter__(self) -> _CsvLines:
        return self

    def __next__(self) -> str:
        for raw in self._lines:
            self.number += 1
            if raw is None:
                reason = f"line is larger than the {size_limit(self.options)} limit"
                self._errors.append(InputError(self.name, self.number, reason))
                continue
            try:
                line = raw.decode("utf-8-sig" if self.number == 1 else "utf-8")
                self._quotes += line.count('"')
                self.first = self.first or self.number
                return line
            except UnicodeDecodeError as err:
                original = raw[:ORIGINAL_KEPT].decode("utf-8", "replace")
                reason = f"not valid UTF-8 (byte {err.start})"
                self._errors.append(InputError(self.name, self.number, reason, original))
        self.ended = True
        raise StopIteration

    def take_errors(self) -> list[InputError]:
        errors, self._errors = self._errors, []
        return errors
