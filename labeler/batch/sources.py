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
followed, each folder once (``files``). JSON Lines are read by ``jsonl``, CSV by
``csv_rows``, and the bytes counted for the ETA by ``streams``.
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
import itertools
import stat
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import orjson

from labeler.batch.csv_rows import read_csv
from labeler.batch.documents import Document, InputError, Item, ReadOptions, size_limit
from labeler.batch.files import format_of, shown, walk
from labeler.batch.html_text import html_to_text
from labeler.batch.jsonl import read_jsonl
from labeler.batch.streams import BOM, SNIFF_BYTES, Chunks, Counted, Progress

FORMATS = ("auto", "text", "html", "jsonl", "csv")
UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
BINARY_CONTROL = 0.05  # share of control bytes in a sample (with a NUL) that makes it binary
# C0 control bytes that plain text does not use (tab, newlines, form feed, escape do)
_CONTROL_BYTES = bytes(set(range(32)) - {8, 9, 10, 12, 13, 27})


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
    kind = format_of(Path(name))
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
    kind = options.input_format if options.input_format != "auto" else format_of(Path(name))
    yield from _read_kind(Counted(stream, raw, progress), name, kind, options)


def _read_stream(
    stream: Any, name: str, options: ReadOptions, progress: Progress
) -> Iterator[Item]:
    kind = options.input_format
    if kind == "auto":
        head = _up_to_first_word(stream, options.max_bytes)
        kind = "jsonl" if head.removeprefix(BOM).lstrip().startswith(b"{") else "text"
        rest = iter(functools.partial(stream.read1, 1 << 16), b"")
        stream = io.BufferedReader(Chunks(itertools.chain([head], rest)))
    yield from _read_kind(Counted(stream, None, progress), name, kind, options)


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


def _read_kind(stream: Counted, name: str, kind: str, options: ReadOptions) -> Iterator[Item]:
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
            jsonl = read_jsonl(stream, name, options)
            yield from _or_error(jsonl, name, "no documents: only blank lines")
        elif kind == "csv":
            rows = read_csv(stream, name, options)
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


def _read_whole(stream: Counted, name: str, kind: str, options: ReadOptions) -> Iterator[Item]:
    data = stream.read(options.max_bytes + 1)
    if len(data) > options.max_bytes or stream.read(1):
        yield InputError(name, None, f"document is larger than the {size_limit(options)} limit")
        return
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        yield InputError(name, line, f"not valid UTF-8 (byte {err.start})")
        return
    if len(text) > options.max_chars:
        yield InputError(name, None, f"document is larger than the {size_limit(options)} limit")
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
