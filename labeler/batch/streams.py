"""Byte streams read once, in lines or in chunks, counting how far through its file each is
(for the progress bar's ETA): files, gzip streams, stdin and UTF-16 text read as UTF-8.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import IO, Any

SNIFF_BYTES = 8192
BOM = b"\xef\xbb\xbf"


class Progress:
    """Bytes of input consumed so far, for the progress bar's ETA, and the files a folder
    scan passed over (path, why), for the run to name."""

    def __init__(self) -> None:
        self.done = 0
        self.skipped: list[tuple[str, str]] = []


def physical_lines(stream: Counted, limit: int) -> Iterator[bytes | None]:
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


class Counted:
    """A byte stream that reports how far through its file it is (for the ETA)."""

    CHECK_EVERY = 512  # reads between position checks: a check is a system call

    def __init__(self, stream: Any, raw: IO[bytes] | None, progress: Progress) -> None:
        self._stream = stream if hasattr(stream, "peek") else io.BufferedReader(stream)
        self._raw, self._progress, self._last = raw, progress, 0

    def peek(self) -> bytes:
        return self._stream.peek(SNIFF_BYTES)[:SNIFF_BYTES]  # type: ignore[no-any-return]

    def transcoded(self, encoding: str) -> Counted:
        """The same stream, from its start, decoded from ``encoding`` (its byte-order
        mark dropped) and read as UTF-8; progress still counts the file's own bytes."""
        text = io.TextIOWrapper(self._stream, encoding=encoding, newline="")
        text.read(1)  # the byte-order mark, which utf-16-le/-be keep as U+FEFF
        utf8 = (chunk.encode("utf-8") for chunk in iter(lambda: text.read(8192), ""))
        return Counted(io.BufferedReader(Chunks(utf8, text)), self._raw, self._progress)

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


class Chunks(io.RawIOBase):
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
