"""Read documents from files, folders and stdin, streaming, one record at a time.

Every input yields, in order, either a :class:`Document` or an :class:`InputError`
naming the file and line (or row) and what is wrong, so a bad record is reported
and the rest still scored. Nothing is read whole except a single text document,
and that only up to ``max_chars`` (a larger one is an error, not a memory spike).

Formats, by extension (a ``.gz`` suffix is decompressed first):
``.txt``/``.md`` and anything unknown named explicitly: one document per file;
``.html``/``.htm``: one document, tags stripped (offsets index the extracted text);
``.jsonl``/``.ndjson``: one JSON object per line; ``.csv``: one row per document
with a header. ``-`` is stdin: JSONL when its first character other than white
space is ``{``, else one text. Folders are read at any depth, links to folders
followed, each folder once.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import itertools
import json
import os
import stat
import sys
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson

from labeler.batch.html_text import html_to_text

TEXT_SUFFIXES = {".txt", ".md", ".text", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES
FORMATS = ("auto", "text", "html", "jsonl", "csv")
# What the dashboard's uploader accepts: the formats by name, not gzipped (Streamlit checks
# the last suffix only).
UPLOAD_TYPES = sorted(suffix.lstrip(".") for suffix in KNOWN_SUFFIXES)
ORIGINAL_KEPT = 2000  # characters of a bad line kept in the errors file
MAX_NESTING = 100  # levels of JSON arrays and objects in a record (the output holds ~250)
INT64_LIMIT = 1 << 63  # orjson reads integers in [-2**63, 2**64) exactly, others as floats
_SCALARS = frozenset({str, int, bool, type(None)})  # JSON values orjson reads exactly
SNIFF_BYTES = 8192
BOM = b"\xef\xbb\xbf"
UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
BINARY_CONTROL = 0.05  # share of control bytes in a sample (with a NUL) that makes it binary
# C0 control bytes that plain text does not use (tab, newlines, form feed, escape do)
_CONTROL_BYTES = bytes(set(range(32)) - {8, 9, 10, 12, 13, 27})


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
    text_field: str = "text"
    id_field: str = "id"
    max_chars: int = 10_000_000
    input_format: str = "auto"

    @property
    def max_bytes(self) -> int:
        """The most bytes ``max_chars`` characters can take in UTF-8."""
        return 4 * self.max_chars


class Progress:
    """Bytes of input consumed so far, for the progress bar's ETA, and the files a folder
    scan passed over (path, why), for the run to name."""

    def __init__(self) -> None:
        self.done = 0
        self.skipped: list[tuple[str, str]] = []


def total_bytes(inputs: list[str]) -> int | None:
    """Size of all named inputs, or None when one is stdin."""
    total = 0
    for name in inputs:
        if name == "-":
            return None
        path = Path(name)
        files = expand(path) if path.is_dir() else [path]
        total += sum(f.stat().st_size for f in files if f.is_file())
    return total


def expand(folder: Path) -> list[Path]:
    """Files under ``folder`` of a known format, in a fixed (sorted) order."""
    return walk(folder).files


class Walk(NamedTuple):
    """What reading a folder finds."""

    files: list[Path]  # of a known format, in sorted path order
    unreadable: list[InputError]  # a folder that cannot be listed (the top one too), by path
    skipped: list[tuple[str, str]]  # (path, why) of each file or link passed over, by path
    folders: set[tuple[int, int]]  # (device, inode) of every folder met, links followed


def walk(folder: Path) -> Walk:
    """Every file under ``folder``, links to folders followed, each folder read once.

    A link to a folder already read (or being read: a loop) is passed over and named.
    Walked with a stack of its own, not recursion, so no depth of nesting overflows it.
    """
    files, unreadable, skipped = [], [], []
    first_seen: dict[tuple[int, int], Path] = {}
    stack = [folder]
    while stack:
        current = stack.pop()
        try:
            info = current.stat()
            first = first_seen.setdefault((info.st_dev, info.st_ino), current)
            if first is not current:
                skipped.append((shown(current), _read_already(current, first)))
                continue
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as err:
            reason = f"cannot read folder: {err.strerror or err}"
            unreadable.append(InputError(shown(current), None, reason))
            continue
        subfolders = []
        for entry in entries:
            path = current / entry.name
            if entry.is_dir():  # a link to a folder too
                subfolders.append(path)
            elif _suffix(path) in KNOWN_SUFFIXES:
                files.append(path)
            else:
                kind = _suffix(path) or "no extension"
                skipped.append((shown(path), f"unsupported type ({kind})"))
        stack += reversed(subfolders)  # depth first, in name order: the first way in wins
    # by path components: a.txt, b/c.md, e.jsonl
    return Walk(
        sorted(files),
        sorted(unreadable, key=lambda e: Path(e.path)),
        sorted(skipped, key=lambda s: Path(s[0])),
        set(first_seen),
    )


def _read_already(link: Path, first: Path) -> str:
    """Why a folder met again through ``link`` is passed over."""
    if first in link.parents:
        return f"a link back to {shown(first)}, which contains it (a loop)"
    return f"the same folder as {shown(first)}, read there"


def shown(path: Path | str) -> str:
    """``path`` as text that can be written anywhere: bytes of a file name that are not
    UTF-8 (which Python keeps as lone surrogates) become ``\\xNN``."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def read_inputs(
    inputs: list[str], options: ReadOptions, progress: Progress | None = None
) -> Iterator[Item]:
    """Every document (or error) of every input, in order; no inputs means stdin."""
    progress = progress or Progress()
    for name in inputs or ["-"]:
        if name == "-":
            yield from _read_stream(sys.stdin.buffer, "<stdin>", options, progress)
            continue
        path = Path(name)
        if path.is_dir():
            found = walk(path)
            progress.skipped += found.skipped
            yield from found.unreadable
            for file in found.files:
                yield from _read_file(file, options, progress)
        else:
            yield from _read_file(path, options, progress)


def _suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def _read_file(path: Path, options: ReadOptions, progress: Progress) -> Iterator[Item]:
    """A regular file's documents, named by its ``shown`` path; anything else (a FIFO, a
    device, a socket) is an error and is never opened: opening a FIFO would wait for a
    writer for ever."""
    name = shown(path)
    try:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            yield InputError(name, None, f"not a regular file ({_file_kind(mode)}): skipped")
            return
        raw = path.open("rb")
    except OSError as err:
        yield InputError(name, None, f"cannot read: {err.strerror or err}")
        return
    with raw:
        yield from _read_named(raw, name, options, progress)


def _file_kind(mode: int) -> str:
    kinds = [
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a folder"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a file")


def is_upload_type(name: str) -> bool:
    """Whether an uploaded file's name has one of UPLOAD_TYPES' suffixes.

    >>> is_upload_type("Wire.JSONL"), is_upload_type("wire.jsonl.gz"), is_upload_type("x.exe")
    (True, False, False)
    """
    return Path(name).suffix.lower().lstrip(".") in UPLOAD_TYPES


def read_upload(name: str, data: bytes, options: ReadOptions) -> Iterator[Item]:
    """An uploaded file's documents (or errors), read from memory: ``name`` decides the
    format and names the documents, and never becomes a path."""
    yield from _read_named(io.BytesIO(data), name, options, Progress())


def upload_fields(name: str, data: bytes, sample: int = 200) -> list[str]:
    r"""The fields an uploaded CSV's header names, or the keys of an uploaded JSONL's first
    ``sample`` objects in the order first seen: what a column picker offers for the text
    and the id. [] for any other kind of file, or when none can be read (reading the file
    then says why).

    >>> upload_fields("a.csv", b"\xef\xbb\xbfid,body\n1,Shots fired.\n")
    ['id', 'body']
    >>> upload_fields("a.jsonl", b'{"n": 1, "story": "x"}\nnot json\n{"story": "y", "by": 2}\n')
    ['n', 'story', 'by']
    """
    kind = _kind(Path(name))
    if kind not in ("csv", "jsonl"):
        return []
    head = data[: 1 << 20]
    text = head.decode(UTF16_BOMS.get(head[:2], "utf-8-sig"), errors="replace")
    if kind == "csv":
        try:
            header = next(csv.reader(io.StringIO(text)), [])
        except csv.Error:
            return []
        return list(dict.fromkeys(header))
    keys: dict[str, None] = {}
    for line in text.splitlines()[:sample]:
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(obj, dict):
            keys.update(dict.fromkeys(map(str, obj)))
    return list(keys)


def _read_named(
    raw: IO[bytes], name: str, options: ReadOptions, progress: Progress
) -> Iterator[Item]:
    stream: Any = gzip.GzipFile(fileobj=raw) if name.endswith(".gz") else raw
    kind = options.input_format if options.input_format != "auto" else _kind(Path(name))
    yield from _read_kind(_Counted(stream, raw, progress), name, kind, options)


def _read_stream(
    stream: Any, name: str, options: ReadOptions, progress: Progress
) -> Iterator[Item]:
    kind = options.input_format
    if kind == "auto":
        head = _up_to_first_word(stream, options.max_bytes)
        kind = "jsonl" if head.removeprefix(BOM).lstrip().startswith(b"{") else "text"
        rest = iter(functools.partial(stream.read1, 1 << 16), b"")
        stream = io.BufferedReader(_Chunks(itertools.chain([head], rest)))
    yield from _read_kind(_Counted(stream, None, progress), name, kind, options)


def _up_to_first_word(stream: Any, limit: int) -> bytes:
    """A stream's first bytes, up to its first one that is not white space (or its end,
    or ``limit`` bytes): a pipe may deliver blank lines alone, long before the first
    record, and the format is judged by what comes after them."""
    head = bytearray()
    while len(head) <= limit:
        chunk = stream.read1(SNIFF_BYTES)
        head += chunk
        if not chunk or (chunk.strip() and head.removeprefix(BOM).strip()):
            break
    return bytes(head)


def _kind(path: Path) -> str:
    suffix = _suffix(path)
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in HTML_SUFFIXES:
        return "html"
    return "text"


def _read_kind(stream: _Counted, name: str, kind: str, options: ReadOptions) -> Iterator[Item]:
    try:
        head = stream.peek()
        encoding = UTF16_BOMS.get(head[:2])
        if encoding is not None:  # UTF-16 text (e.g. saved from Windows): read as text
            stream = stream.transcoded(encoding)
            head = stream.peek()
        not_text = _utf16_without_bom(head) or (None if kind == "jsonl" else _binary(head))
        if not head:
            yield InputError(name, None, "empty file: no documents")
        elif not_text:
            yield InputError(name, None, not_text)
        elif kind == "jsonl":
            jsonl = _read_jsonl(stream, name, options)
            yield from _or_error(jsonl, name, "no documents: only blank lines")
        elif kind == "csv":
            rows = _read_csv(stream, name, options)
            yield from _or_error(rows, name, "no documents: a header and no rows")
        else:
            yield from _read_whole(stream, name, kind, options)
    except (OSError, EOFError) as err:  # gzip.BadGzipFile is an OSError
        yield InputError(name, None, f"cannot read: {err}")
    except zlib.error as err:  # a damaged .gz: not an OSError
        yield InputError(name, None, f"cannot read: corrupt gzip data ({err})")
    except UnicodeDecodeError as err:  # only a transcoded (UTF-16) stream raises it
        yield InputError(name, None, f"not valid {err.encoding.upper()} ({err.reason})")


def _utf16_without_bom(head: bytes) -> str | None:
    """Why a file whose first bytes are ``head`` cannot be read: it is UTF-16 without a
    byte-order mark (every other byte a NUL), named so it can be converted."""
    if b"\0" not in head:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if len(head) >= 8 and min(even, odd) == 0 and max(even, odd) >= len(head) // 4:
        order = "LE" if odd else "BE"
        return (
            f"UTF-16{order} text without a byte-order mark: convert it to UTF-8 "
            f"(e.g. iconv -f UTF-16{order} -t UTF-8)"
        )
    return None


def _binary(head: bytes) -> str | None:
    """Why a text or CSV file whose first bytes are ``head`` is not text, or None.

    Judged by content, not by one byte: a sample with NUL bytes is binary when it is
    not UTF-8 or has many control bytes; one stray NUL in a text does not make it
    binary. JSONL is not judged here but line by line: a line with a NUL is an error
    of its own, wherever it lies.
    """
    if b"\0" not in head:
        return None
    try:
        head.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError as err:
        utf8 = err.start >= len(head) - 3  # only the sample's cut through a character
    control = sum(map(head.count, (bytes([b]) for b in _CONTROL_BYTES)))
    if not utf8 or control > BINARY_CONTROL * len(head):
        return "binary file (contains NUL bytes), not text"
    return None


def _read_whole(stream: _Counted, name: str, kind: str, options: ReadOptions) -> Iterator[Item]:
    data = stream.read(options.max_bytes + 1)
    if len(data) > options.max_bytes or stream.read(1):
        yield InputError(name, None, f"document is larger than the {_limit(options)} limit")
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        yield InputError(name, line, f"not valid UTF-8 (byte {err.start})")
        return
    if len(text) > options.max_chars:
        yield InputError(name, None, f"document is larger than the {_limit(options)} limit")
        return
    yield Document(name, html_to_text(text) if kind == "html" else text, name)


def _or_error(items: Iterator[Item], name: str, reason: str) -> Iterator[Item]:
    """``items``, or if there are none an error: a file of only blank lines, or a CSV
    header alone, holds no document, and is reported like an empty file, not passed over."""
    empty = True
    for item in items:
        empty = False
        yield item
    if empty:
        yield InputError(name, None, reason)


def _read_jsonl(stream: _Counted, name: str, options: ReadOptions) -> Iterator[Item]:
    for number, raw in enumerate(_lines(stream, options.max_bytes), 1):
        if raw is None:
            yield InputError(name, number, f"line is larger than the {_limit(options)} limit")
        elif b"\0" in raw:
            reason = f"binary data in the line (a NUL byte at byte {raw.index(0) + 1})"
            yield InputError(name, number, reason, _original(raw))
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
        return InputError(name, number, reason, _original(raw))
    if not isinstance(obj, dict):
        reason = f"expected a JSON object, got {_kind_of(obj)}"
        return InputError(name, number, reason, _original(raw))
    if raw.count(b"[") + raw.count(b"{") > MAX_NESTING and _nested_deeper(obj, MAX_NESTING):
        reason = f"JSON nested more than {MAX_NESTING} levels deep"
        return InputError(name, number, reason, _original(raw))
    if not _SCALARS.issuperset(map(type, obj.values())) and any(map(_rounded, _leaves(obj))):
        exact = _exact(raw, options)
        if isinstance(exact, str):
            return InputError(name, number, exact, _original(raw))
        obj = exact
    item = _record(obj, name, number, options)
    return item._replace(original=_original(raw)) if isinstance(item, InputError) else item


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


def _original(raw: bytes) -> str:
    """The start of a bad line, for the errors file."""
    return raw[:ORIGINAL_KEPT].decode("utf-8", "replace").rstrip("\r\n")


def _record(obj: dict[str, Any], name: str, number: int, options: ReadOptions) -> Item:
    """A Document from a JSONL object or CSV row, or the reason it is not one."""
    if options.text_field not in obj:
        present = ", ".join(sorted(map(str, obj))) or "none"
        reason = f"no '{options.text_field}' field (fields: {present})"
        return InputError(name, number, reason)
    text = obj[options.text_field]
    if not isinstance(text, str):
        reason = f"field '{options.text_field}' is {_kind_of(text)}, expected a string"
        return InputError(name, number, reason)
    if len(text) > options.max_chars:
        return InputError(name, number, f"text is larger than the {_limit(options)} limit")
    raw_id = obj.get(options.id_field)
    doc_id = f"{name}:{number}" if raw_id in (None, "") else str(raw_id)
    if len(obj) <= 2 and options.id_field in obj and options.id_field != options.text_field:
        return Document(doc_id, text, name, number)  # no other fields: none to copy
    extra = {k: v for k, v in obj.items() if k != options.text_field and k != options.id_field}
    return Document(doc_id, text, name, number, extra or None)


def _read_csv(stream: _Counted, name: str, options: ReadOptions) -> Iterator[Item]:
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
    item = _record(dict(zip(header, row, strict=True)), name, number, options)
    return item._replace(original=original) if isinstance(item, InputError) else item


def _next_row(reader: Any, lines: _CsvLines) -> list[str] | InputError | None:
    try:
        return next(reader)  # type: ignore[no-any-return]
    except StopIteration:
        return None
    except csv.Error as err:
        if "field larger than field limit" in str(err):
            reason = f"a field is larger than the {_limit(lines.options)} limit"
            return InputError(lines.name, lines.number, reason)
        return InputError(lines.name, lines.number, f"malformed CSV: {err}")


class _CsvLines:
    """Decoded physical lines for csv.reader; undecodable or huge lines become errors."""

    def __init__(self, stream: _Counted, name: str, options: ReadOptions) -> None:
        self._lines = _lines(stream, options.max_bytes)
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
                reason = f"line is larger than the {_limit(self.options)} limit"
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


def _lines(stream: _Counted, limit: int) -> Iterator[bytes | None]:
    """Physical lines as bytes; a line over ``limit`` bytes is skipped and yields None."""
    readline = stream.raw_readline
    for count, raw in enumerate(iter(lambda: readline(limit + 1), b""), 1):
        if count % stream.CHECK_EVERY == 0:
            stream.update()
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = readline(1 << 20)
            yield None
        else:
            yield raw
    stream.update()


def _kind_of(value: Any) -> str:
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


def _limit(options: ReadOptions) -> str:
    return f"{options.max_chars:,}-character"


class _Counted:
    """A byte stream that reports how far through its file it is (for the ETA)."""

    CHECK_EVERY = 512  # reads between position checks: a check is a system call

    def __init__(self, stream: Any, raw: IO[bytes] | None, progress: Progress) -> None:
        self._stream = stream if hasattr(stream, "peek") else io.BufferedReader(stream)
        self._raw, self._progress, self._last = raw, progress, 0

    def peek(self) -> bytes:
        return self._stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]  # type: ignore[no-any-return]

    def transcoded(self, encoding: str) -> _Counted:
        """The same stream, from its start, decoded from ``encoding`` (its byte-order
        mark dropped) and read as UTF-8; progress still counts the file's own bytes."""
        text = io.TextIOWrapper(self._stream, encoding=encoding, newline="")
        text.read(1)  # the byte-order mark, which utf-16-le/-be keep as U+FEFF
        utf8 = (chunk.encode("utf-8") for chunk in iter(lambda: text.read(8192), ""))
        return _Counted(io.BufferedReader(_Chunks(utf8, text)), self._raw, self._progress)

    def read(self, n: int) -> bytes:
        return self._count(self._stream.read(n))

    @property
    def raw_readline(self) -> Any:
        """The stream's own readline: callers report progress with ``update``."""
        return self._stream.readline

    def update(self) -> None:
        if self._raw is not None:
            position = self._raw.tell()
            self._progress.done += position - self._last
            self._last = position

    def _count(self, data: bytes) -> bytes:
        if self._raw is None:
            self._progress.done += len(data)
        else:
            self.update()
        return data


class _Chunks(io.RawIOBase):
    """A byte stream made of the byte strings ``chunks`` yields, in order: a text
    stream's characters as UTF-8, or bytes read ahead and then the rest of a stream.

    ``source``, what the chunks are read from, lives as long as this stream: a text
    stream closes its file when it is collected, and the file's position is still
    asked for progress after the last chunk.
    """

    def __init__(self, chunks: Iterator[bytes], source: Any = None) -> None:
        self._chunks, self._pending, self._source = chunks, memoryview(b""), source

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = memoryview(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n
