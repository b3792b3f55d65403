"""Which files are read, and as what: a file's format by its name, the files a folder holds
(links to folders followed, each folder once), and names that can be written anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from labeler.batch.documents import InputError

TEXT_SUFFIXES = {".txt", ".md", ".text", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
CSV_SUFFIXES = {".csv"}
KNOWN_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES | CSV_SUFFIXES
# What the dashboard's uploader accepts: the formats by name, not gzipped (Streamlit checks
# the last suffix only).
UPLOAD_TYPES = sorted(suffix.lstrip(".") for suffix in KNOWN_SUFFIXES)


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
            elif format_suffix(path) in KNOWN_SUFFIXES:
                files.append(path)
            else:
                kind = format_suffix(path) or "no extension"
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


def format_suffix(path: Path) -> str:
    """The lower-case suffix that names a file's format (a ``.gz`` after it set aside)."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def format_of(path: Path) -> str:
    """The format a file's name says: jsonl, csv, html, else text."""
    suffix = format_suffix(path)
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix in CSV_SUFFIXES:
        return "csv"
    if suffix in HTML_SUFFIXES:
        return "html"
    return "text"


def is_upload_type(name: str) -> bool:
    """Whether an uploaded file's name has one of UPLOAD_TYPES' suffixes.

    >>> is_upload_type("Wire.JSONL"), is_upload_type("wire.jsonl.gz"), is_upload_type("x.exe")
    (True, False, False)
    """
    return Path(name).suffix.lower().lstrip(".") in UPLOAD_TYPES
