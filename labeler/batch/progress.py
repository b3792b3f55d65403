"""What a run tells the person watching it: a progress bar while it goes, a summary after."""

from __future__ import annotations

import time
from pathlib import Path
from typing import IO

from labeler.batch.batches import Stats
from labeler.batch.streams import Progress

SHOWN_ERRORS = 20


def plural(count: int, noun: str) -> str:
    """``1 document``, ``2 documents``.

    >>> plural(1, "passage"), plural(1_000, "passage")
    ('1 passage', '1,000 passages')
    """
    return f"{count:,} {noun}" + ("" if count == 1 else "s")


def summary(stats: Stats, seconds: float, errors_path: Path | None, shown: int) -> str:
    rate = stats.passages / seconds if seconds > 0 else 0.0
    flagged = ", ".join(f"{label} {n:,}" for label, n in stats.flagged.items())
    line = (
        f"labeler: {plural(stats.documents, 'document')}, {plural(stats.passages, 'passage')} in "
        f"{seconds:.1f} s ({rate:,.0f} passages/s); flagged documents: {flagged}; "
        f"errors: {stats.errors:,}"
    )
    if stats.errors:
        line += (
            f" (written to {errors_path})" if errors_path else " (use --errors FILE to keep them)"
        )
        if shown > SHOWN_ERRORS:
            line += f"; {shown - SHOWN_ERRORS:,} error messages not shown"
    return line


class ProgressBar:
    """Documents, passages/s and ETA on one self-overwriting stderr line (terminals only)."""

    def __init__(
        self, stream: IO[str], total: int | None, progress: Progress, enabled: bool
    ) -> None:
        self.stream, self.total, self.progress, self.enabled = stream, total, progress, enabled
        self.start = time.monotonic()
        self.last = self.start - 1.0  # draw on the first update
        self.shown = False

    def update(self, stats: Stats) -> None:
        now = time.monotonic()
        if not self.enabled or now - self.last < 0.2:
            return
        self.last = now
        elapsed = now - self.start
        rate = stats.passages / elapsed if elapsed else 0.0
        line = f"{stats.documents:,} documents  {rate:,.0f} passages/s"
        if self.total and self.progress.done:
            fraction = min(1.0, self.progress.done / self.total)
            eta = elapsed * (1 - fraction) / fraction
            line += f"  {fraction:5.1%}  ETA {eta:,.0f} s"
        self.stream.write("\r\x1b[2K" + line)
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()
            self.shown = False
