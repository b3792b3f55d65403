"""Where a run's output goes: a stream, or a file written resumably.

With an output file, results go to ``OUT.partial`` and a small state file records,
after every batch, how many input records are done and how many bytes of output and
errors belong to them: a crash leaves no file that looks complete, and ``--resume``
truncates to the last recorded batch and carries on from the next input record.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from itertools import islice
from pathlib import Path
from typing import IO, Any

from labeler.batch.batches import BatchResult, RunError, Stats, UsageError, item_digest, item_key
from labeler.batch.documents import Item
from labeler.outputs import temp_name, try_lock


class StreamSink:
    """Output to an open stream (stdout, or a device or FIFO named by -o): written as it
    comes, nothing to resume."""

    skip = 0
    last: dict[str, Any] | None = None
    digest: str | None = None
    finished = False
    note: str | None = None

    def __init__(
        self, stream: IO[str], errors_path: Path | None, header: str, name: str = "stdout"
    ) -> None:
        self.stream, self.name = stream, name
        self.errors_path = errors_path
        with _writing(errors_path):
            self.errors = errors_path.open("w", encoding="utf-8") if errors_path else None
        self.stats = Stats()
        with _writing(name):
            stream.write(header)

    def write(self, result: BatchResult) -> None:
        with _writing(self.name):
            self.stream.write(result.output)
            self.stream.flush()
        self.stats.add(result.stats)
        if self.errors:
            with _writing(self.errors_path):
                self.errors.write(result.errors)
                self.errors.flush()

    def finish(self) -> None:
        if self.errors:
            with _writing(self.errors_path):
                self.errors.close()


@contextmanager
def device_sink(path: Path, errors_path: Path | None, header: str) -> Iterator[StreamSink]:
    """Output written straight into ``path``, an existing device or FIFO: renaming a
    finished file over it, as for a regular file, would replace it."""
    with _writing(path):
        stream = path.open("w", encoding="utf-8", newline="")
    with stream:
        yield StreamSink(stream, errors_path, header, str(path))


@contextmanager
def _writing(path: Path | str | None, then: str = "") -> Iterator[None]:
    """Turn a failed write (a full disk, a read-only folder) into one clear RunError.
    A closed pipe is not a failure: it goes up as it is, for the program to end quietly."""
    try:
        yield
    except BrokenPipeError:
        raise
    except OSError as err:
        raise RunError(f"cannot write {path}: {err.strerror or err}{then}") from None


class FileSink:
    """Output to ``path`` via ``path.partial`` and a state file, atomically renamed at the end."""

    def __init__(
        self, path: Path, errors_path: Path | None, header: str, run: dict[str, Any], resume: bool
    ) -> None:
        self.path, self.errors_path, self.run = path, errors_path, run
        self.partial = path.with_name(path.name + ".partial")
        self.state_path = path.with_name(path.name + ".partial.json")
        self.stats, self.skip, self.last = Stats(), 0, None
        self.digest: str | None = None  # of the records done, as the state file has it
        self.hasher = hashlib.sha256()  # of the records written so far
        self.finished, self.note = False, None  # type: tuple[bool, str | None]
        self.kept = f"; {self.partial} is kept: fix that, then run again with --resume"
        self.lock: int | None = None  # the .partial, open and locked for the run
        if self.state_path.exists() and not self.partial.exists():
            if self._finished_earlier(resume):
                return
        self._claim()
        try:
            self._open(header, resume)
        except BaseException:
            self.release()
            raise

    def _claim(self) -> None:
        """Lock ``.partial`` (created if missing, not emptied) for as long as this run
        writes: a second run on the same -o, fresh or resumed, is refused, never mixed in.
        A .partial renamed away before the lock was taken belongs to a run that just
        finished: refused too, rather than written under a name no longer its own."""
        with _writing(self.partial):
            fd = os.open(self.partial, os.O_RDWR | os.O_CREAT, 0o666)
        if not try_lock(fd) or not _names(fd, self.partial):
            os.close(fd)
            raise UsageError(
                f"another labeler run is writing {self.path} (its {self.partial} is in use): "
                "wait for it to finish, or write somewhere else"
            )
        self.lock = fd

    def release(self) -> None:
        """Let the next run on this -o have it (after the output is in place, or given up)."""
        if self.lock is not None:
            os.close(self.lock)
            self.lock = None

    def _open(self, header: str, resume: bool) -> None:
        """Start the output afresh, or reopen it where the interrupted run's state says."""
        if self.state_path.exists() and not resume:
            raise UsageError(
                f"{self.partial} is left from an interrupted run: add --resume to "
                f"continue it, or delete it to start again"
            )
        errors_path = self.errors_path
        state = self._load_state() if resume and self.state_path.exists() else None
        self.out: IO[str]
        self.errors: IO[str] | None
        if state is None:
            with _writing(self.partial):
                self.out = self.partial.open("w", encoding="utf-8", newline="")
            with _writing(errors_path):
                self.errors = errors_path.open("w", encoding="utf-8") if errors_path else None
            with _writing(self.partial, self.kept):
                self.out.write(header)
                self._save(0, None)
        else:
            self.skip, self.last = state["items"], state["last"]
            self.digest = state.get("digest")
            self.stats = Stats(**state["stats"])
            self.out = _truncated(self.partial, state["output_bytes"])
            self.errors = _truncated(errors_path, state["errors_bytes"]) if errors_path else None

    def _finished_earlier(self, resume: bool) -> bool:
        """A state file without its .partial: a run stopped between renaming its output
        into place and removing the state file. Its output is complete: say so and
        finish the cleanup (with --resume there is nothing left to do)."""
        if not self.path.exists():
            raise RunError(
                f"cannot resume: {self.partial} is gone; delete {self.state_path} to start again"
            )
        if not resume:  # a fresh run: go on, and overwrite it as usual
            self.state_path.unlink()
            self.note = f"removed {self.state_path}, left from an earlier run that finished"
            return False
        state = self._load_state()
        self.finished, self.stats = True, Stats(**state["stats"])
        self.skip, self.last, self.digest = state["items"], state["last"], state.get("digest")
        return True

    def settle(self, items: Iterator[Item]) -> None:
        """For a run found finished: its records are the input's, all of them (checked
        like a resume), so its output is complete; finish the cleanup and say so."""
        if next(resume_from(items, self), None) is not None:
            raise RunError(
                f"cannot resume: {self.partial} is gone but the run had not finished "
                f"({self.skip:,} records done); delete {self.state_path} and start again"
            )
        self.state_path.unlink()
        self.note = (
            f"{self.path} is complete: the run finished it but stopped before removing "
            f"{self.state_path}, which is now removed"
        )

    def _load_state(self) -> dict[str, Any]:
        try:
            state: dict[str, Any] = json.loads(self.state_path.read_text(encoding="utf-8"))
            state["items"], state["stats"], state["output_bytes"]  # noqa: B018
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise RunError(
                f"cannot resume: {self.state_path} is damaged ({err}); delete it and "
                f"{self.partial} to start again"
            ) from None
        if state.get("run") != self.run:
            raise UsageError(
                f"cannot resume {self.partial}: it was started with other inputs, options or model"
            )
        errors = str(self.errors_path.resolve()) if self.errors_path else None
        if state.get("errors", errors) != errors:
            had = state.get("errors")
            first = f"wrote its errors to {had}" if had else "had no --errors"
            raise UsageError(
                f"cannot resume {self.partial}: the interrupted run {first}; "
                f"resume with the same --errors as the first run"
            )
        return state

    def write(self, result: BatchResult) -> None:
        with _writing(self.partial, self.kept):
            self.out.write(result.output)
        if self.errors:
            with _writing(self.errors_path, self.kept):
                self.errors.write(result.errors)
        self.stats.add(result.stats)
        self.skip += result.items
        self.hasher.update(result.digests)
        self._save(self.skip, result.last)

    def _save(self, items: int, last: dict[str, Any] | None) -> None:
        """Make the output durable, then record how much of it is complete."""
        for stream, path in ((self.out, self.partial), (self.errors, self.errors_path)):
            if stream:
                with _writing(path, self.kept):
                    stream.flush()
                    _fsync(stream.fileno())
        state = {
            "run": self.run,
            "errors": str(self.errors_path.resolve()) if self.errors_path else None,
            "items": items,
            "last": last,
            "digest": self.hasher.hexdigest(),
            "stats": asdict(self.stats),
            "output_bytes": self.out.tell(),
            "errors_bytes": self.errors.tell() if self.errors else 0,
        }
        tmp = temp_name(self.state_path)
        with _writing(tmp, self.kept):
            tmp.write_text(json.dumps(state), encoding="utf-8")
            os.replace(tmp, self.state_path)

    def finish(self) -> None:
        if self.finished:
            return
        with _writing(self.partial, self.kept):
            self.out.close()
            if self.errors:
                self.errors.close()
            os.replace(self.partial, self.path)
        self.state_path.unlink(missing_ok=True)  # a run started since may have removed it


def _names(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the open file ``fd``."""
    try:
        here, there = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (there.st_dev, there.st_ino)


def _fsync(fd: int) -> None:
    """fsync, where there is something to make durable: a device (--errors /dev/null)
    cannot be synced, and need not be."""
    try:
        os.fsync(fd)
    except OSError as err:
        if err.errno not in (errno.EINVAL, errno.ENOTSUP, errno.EROFS):
            raise


def _truncated(path: Path, size: int) -> IO[str]:
    try:
        stream = path.open("r+", encoding="utf-8", newline="")
        stream.truncate(size)
    except OSError as err:
        raise RunError(
            f"cannot resume: {path}: {err.strerror or err}; the interrupted run's output "
            f"cannot be continued without it"
        ) from None
    stream.seek(size)
    return stream


def resume_from(items: Iterator[Item], sink: FileSink | StreamSink) -> Iterator[Item]:
    """Drop the ``sink.skip`` records already done, checking the input has not changed:
    the last one done must be the same record, and the digest of all of them the same."""
    if sink.skip:  # skipped one at a time: the records done are never all held at once
        hasher, final, count = hashlib.sha256(), None, 0
        for final in islice(items, sink.skip):
            hasher.update(item_digest(final))
            count += 1
        if count < sink.skip or final is None or item_key(final) != sink.last:
            raise UsageError("cannot resume: the input no longer matches the interrupted run")
        if sink.digest is not None and hasher.hexdigest() != sink.digest:
            raise UsageError(
                f"cannot resume: the {sink.skip:,} input records already done have changed "
                "since the interrupted run (their digest differs); start again without --resume"
            )
        if isinstance(sink, FileSink):
            sink.hasher = hasher
    return items
