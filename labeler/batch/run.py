"""A whole ``labeler score`` run: check the paths, read the inputs, score them in batches
(``schedule``), write the output (``sinks``), add to the store (``into_store``), report
(``progress``).

Documents are read lazily, grouped into batches of bounded size (``batches``), scored
(in worker processes with ``jobs > 1``, or on a dask cluster), formatted, and written in
input order, so memory stays flat however large the input.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from labeler.batch import writers
from labeler.batch.batches import RunError, Settings, Stats, UsageError, batches
from labeler.batch.documents import ReadOptions
from labeler.batch.files import KNOWN_SUFFIXES, Walk, format_suffix, total_bytes, walk
from labeler.batch.into_store import open_store
from labeler.batch.progress import SHOWN_ERRORS, ProgressBar, summary
from labeler.batch.schedule import cluster, collect_less, scored
from labeler.batch.sinks import FileSink, StreamSink, device_sink, resume_from
from labeler.batch.sources import read_inputs
from labeler.batch.streams import Progress
from labeler.model import Model
from labeler.outputs import final_path, refuse_store_files, same_file, written_in_place
from labeler.scoring import cached_model
from labeler.store.db import POSTGRES_SCHEMES

if TYPE_CHECKING:
    from labeler.store.store import Store

__all__ = ["Job", "RunError", "Settings", "Stats", "UsageError", "run"]


@dataclass
class Job:
    """A whole ``labeler score`` run, as the CLI parsed it."""

    inputs: list[str]
    settings: Settings
    read: ReadOptions
    output: Path | None = None
    errors: Path | None = None
    jobs: int = 1
    resume: bool = False
    quiet: bool = False
    store: str | None = None  # a SQLite path or PostgreSQL URL
    backend: str | None = None  # "local", "dask", or None: dask if there is a scheduler
    scheduler: str | None = None  # a dask scheduler's address (else a LocalCluster)


def run(job: Job, stdout: IO[str], stderr: IO[str]) -> Stats:
    """Score every input; returns the totals (``errors`` > 0 means some records failed).

    A dask cluster is connected to before any output is opened, so a bad
    scheduler address leaves nothing behind.
    """
    check_paths(job)
    with cluster(job) as client:
        return _run(job, client, stdout, stderr)


def check_paths(job: Job) -> None:
    """Refuse, before anything is opened, outputs that would destroy an input or each other.

    Every file the run writes (``-o``, its ``.partial`` and state file, ``--errors``,
    a SQLite store) must be a file that can be created, not a folder; none may be an
    input (the same path, or the same file through a symlink or hard link), lie where
    an input folder would read it, be another of the outputs, or be one of a SQLite
    store's files (the store, its -wal, -shm or -journal).
    """
    outputs: list[tuple[str, Path]] = []
    if job.output is not None:
        final = final_path(job.output)
        partial = final.with_name(final.name + ".partial")
        outputs += [("-o", job.output), ("-o", partial), ("-o", Path(f"{partial}.json"))]
    if job.errors is not None:
        outputs.append(("--errors", job.errors))
    sqlite = job.store is not None and not job.store.startswith(POSTGRES_SCHEMES)
    if sqlite:
        outputs.append(("--store", Path(str(job.store))))
    for flag, path in outputs[:1] + outputs[3:]:
        if path.is_dir():
            raise UsageError(f"{flag} {path} is a folder: name a file to write")
        parent = path.parent
        if not parent.is_dir():
            raise UsageError(f"{flag} {path}: folder {parent} does not exist")
    if sqlite:
        refuse_store_files(outputs[:-1], Path(str(job.store)))
    for i, (flag, path) in enumerate(outputs):
        for other_flag, other in outputs[i + 1 :]:
            if flag != other_flag and same_file(path, other):
                raise UsageError(f"{flag} and {other_flag} are the same file ({path})")
    for name in job.inputs:
        if name == "-":
            continue
        source = Path(name)
        found = walk(source) if source.is_dir() else None
        for flag, path in outputs:
            if same_file(path, source):
                raise UsageError(
                    f"{flag} {path} is also an input ({name}): refusing to overwrite it"
                )
            if found is not None and _read_from_folder(path, found):
                raise UsageError(
                    f"{flag} {path} is inside the input folder {name}, which would read "
                    "it as an input: write it somewhere else"
                )


def _read_from_folder(path: Path, found: Walk) -> bool:
    """Whether reading a folder (``found`` by ``walk``) would read ``path``: it lies in
    one of the folders read (links followed) with a format's suffix, or is the same file
    as one of the files found."""
    resolved = path.resolve()
    try:
        parent = resolved.parent.stat()
    except OSError:
        return False
    known = format_suffix(resolved) in KNOWN_SUFFIXES
    if known and (parent.st_dev, parent.st_ino) in found.folders:
        return True
    return path.exists() and any(same_file(path, f) for f in found.files)


def _run(job: Job, client: Any, stdout: IO[str], stderr: IO[str]) -> Stats:
    """Score every input, on ``client``'s cluster if there is one.

    Meant for a process of its own (the CLI), which is why it tunes the GC.
    """
    model = cached_model(job.settings.model_dir, job.settings.fast)
    if model.sentence is not None:
        from labeler.encoder import check_installed

        check_installed()  # before any output: a missing encoder writes nothing
    collect_less()
    with open_store(job.store) as store:  # before any output: an unreachable store writes nothing
        return _score_all(job, client, model, store, stdout, stderr)


def _score_all(
    job: Job, client: Any, model: Model, store: Store | None, stdout: IO[str], stderr: IO[str]
) -> Stats:
    """The run itself, with the model loaded and the store (if any) open."""
    header = writers.csv_header() if job.settings.format == "csv" else ""
    if job.output is None or written_in_place(job.output):
        if job.resume:
            raise UsageError(
                "--resume needs -o OUT (output to a file)"
                if job.output is None
                else f"--resume needs -o to be a regular file: {job.output} is written "
                "straight into, so there is nothing to resume"
            )
        if job.output is None:
            stream = StreamSink(stdout, job.errors, header)
            return _score_into(job, client, model, store, stream, stderr)
        with device_sink(job.output, job.errors, header) as device:
            return _score_into(job, client, model, store, device, stderr)
    run_key = {
        "inputs": [str(Path(i).resolve()) if i != "-" else i for i in job.inputs],
        "settings": {k: v for k, v in asdict(job.settings).items() if k not in ("colour", "width")},
        "read": asdict(job.read),
        "model": model.version,
    }
    sink = FileSink(final_path(job.output), job.errors, header, run_key, job.resume)
    try:
        if sink.finished:
            sink.settle(read_inputs(job.inputs, job.read))
        if sink.note:
            print(f"labeler: {sink.note}", file=stderr)
        if sink.finished:
            return sink.stats
        return _score_into(job, client, model, store, sink, stderr)
    finally:
        sink.release()


def _score_into(
    job: Job,
    client: Any,
    model: Model,
    store: Store | None,
    sink: FileSink | StreamSink,
    stderr: IO[str],
) -> Stats:
    """Score every input into ``sink``, and into the store if there is one."""
    progress = Progress()
    bar = ProgressBar(
        stderr, total_bytes(job.inputs), progress, enabled=not job.quiet and stderr.isatty()
    )
    items = resume_from(read_inputs(job.inputs, job.read, progress), sink)
    start, shown = time.monotonic(), 0
    done = Stats()
    for result in scored(job.settings, batches(items), job.jobs, client):
        if store is not None:  # idempotent: safe to redo after a crash
            store.documents.add_many(result.stored, model.thresholds)
        sink.write(result)
        done.add(result.stats)
        for message in result.messages[: max(0, SHOWN_ERRORS - shown)]:
            bar.clear()
            print(f"labeler: {writers.plain(message)}", file=stderr)  # names are untrusted
        shown += len(result.messages)
        bar.update(done)
    sink.finish()
    bar.clear()
    total = sink.stats  # a FileSink's include the records done before a resume
    if not job.quiet:
        for path, why in progress.skipped[:SHOWN_ERRORS]:
            print(f"labeler: skipped {writers.plain(path)}: {why}", file=stderr)
        if len(progress.skipped) > SHOWN_ERRORS:
            print(f"labeler: skipped {len(progress.skipped):,} files in all", file=stderr)
        print(summary(total, time.monotonic() - start, job.errors, shown), file=stderr)
    return total
