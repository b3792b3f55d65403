"""Batch scoring: stream documents through the model in bounded batches, in order.

Documents are read lazily, grouped into batches of bounded size, scored (in
worker processes with ``jobs > 1``, or on a dask cluster), formatted, and
written in input order, so memory stays flat however large the input. With an
output file, results go to ``OUT.partial`` and a small state file records,
after every batch, how many input records are done and how many bytes of
output and errors belong to them: a crash leaves no file that looks complete,
and ``--resume`` truncates to the last recorded batch and carries on from the
next input record.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import json
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import asdict, dataclass, field
from functools import lru_cache, partial
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

from labeler.batch import writers
from labeler.batch.sources import (
    KNOWN_SUFFIXES,
    Document,
    InputError,
    Item,
    Progress,
    ReadOptions,
    _suffix,
    expand,
    read_inputs,
    total_bytes,
)
from labeler.labels import LABELS
from labeler.model import Model, load_model
from labeler.scoring import score_documents
from labeler.store.db import POSTGRES_SCHEMES

BATCH_CHARS = 400_000
BATCH_DOCS = 2_000
SHOWN_ERRORS = 20
PARALLEL_AFTER = 4  # batches
WINDOW_PER_JOB = 4  # batches in flight per worker
GC_THRESHOLD = 50_000  # allocations between young-generation collections


class UsageError(Exception):
    """Options that cannot work together (exit code 2)."""


class RunError(Exception):
    """A run that cannot go on: an output cannot be written, a resume cannot match (exit 1)."""


@dataclass(frozen=True)
class Settings:
    """Everything a worker needs to score and format a batch."""

    model_dir: str | None = None
    format: str = "jsonl"
    thresholds: dict[str, float | str] = field(default_factory=dict)  # number or "flag"|"review"
    only_flagged: bool = False
    min_severity: int = 0
    colour: bool = False
    keep_for_store: bool = False  # return (record, text) pairs for the review store

    def keep(self, item: dict[str, Any]) -> bool:
        """Whether a document (or, in CSV, a passage) passes the output filters."""
        return (bool(item["flags"]) or not self.only_flagged) and (
            item["severity"] >= self.min_severity
        )


@dataclass
class Stats:
    documents: int = 0
    passages: int = 0
    errors: int = 0
    flagged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LABELS, 0))

    def add(self, other: Stats) -> None:
        self.documents += other.documents
        self.passages += other.passages
        self.errors += other.errors
        for label in LABELS:
            self.flagged[label] += other.flagged[label]


@dataclass
class BatchResult:
    output: str
    errors: str
    messages: list[str]
    stats: Stats
    items: int
    last: dict[str, Any]
    stored: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    digests: bytes = b""  # each input record's item_digest, in order


def item_digest(item: Item) -> bytes:
    """sha256 of everything that is read from one input record, for ``--resume`` to check
    that the records already done are still the same (not only the last one)."""
    digest = hashlib.sha256()
    fields = item.fields if isinstance(item, Document) else None
    extra = json.dumps(fields, sort_keys=True, default=str) if fields else ""
    parts = [type(item).__name__, *map(str, item[:4]), extra]
    for part in parts:
        data = part.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "little") + data)
    return digest.digest()


@lru_cache(maxsize=2)
def cached_model(model_dir: str | None) -> Model:
    """One model per process (workers load it once, from its verified files)."""
    return load_model(model_dir)


def item_key(item: Item) -> dict[str, Any]:
    """What identifies an input record on resume: its place, and its id or error."""
    if isinstance(item, Document):
        return {"path": item.path, "line": item.line, "id": item.id}
    return {"path": item.path, "line": item.line, "error": item.reason}


def score_batch(settings: Settings, items: list[Item], model: Model | None = None) -> BatchResult:
    """Score and format one batch; errors pass through in their place.

    ``model`` is given where it was shipped to the worker once (dask: a remote
    worker may not have the model directory); otherwise each process loads it.
    """
    model = model if model is not None else cached_model(settings.model_dir)
    docs = [item for item in items if isinstance(item, Document)]
    records = iter(score_documents([(d.id, d.text) for d in docs], model, settings.thresholds))
    out, errors, messages, stats = [], [], [], Stats()
    stored: list[tuple[dict[str, Any], str]] = []
    for item in items:
        if isinstance(item, InputError):
            stats.errors += 1
            messages.append(item.message())
            errors.append(writers.jsonl(item._asdict()))  # path, line, reason, original
            continue
        record = next(records)
        record["source"] = {"path": item.path, "line": item.line}
        if item.fields:
            record["fields"] = item.fields
        stats.documents += 1
        stats.passages += len(record["passages"])
        for label in record["flags"]:
            stats.flagged[label] += 1
        out.append(_format(record, settings))
        if settings.keep_for_store:
            stored.append((record, item.text))
    digests = b"".join(map(item_digest, items))
    return BatchResult(
        "".join(out),
        "".join(errors),
        messages,
        stats,
        len(items),
        item_key(items[-1]),
        stored,
        digests,
    )


def start_worker(parent: int) -> None:
    """Set up a joblib worker process: it ignores Ctrl-C (the parent handles it) and
    exits as soon as ``parent`` is gone, killed with -9 or stopped by Ctrl-C, instead of
    living on with nobody to read its results."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int, every: float = 0.2) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


def _format(record: dict[str, Any], settings: Settings) -> str:
    if settings.format == "csv":
        return writers.csv_passages(record, settings.keep)
    if not settings.keep(record):
        return ""
    if settings.format == "report":
        return writers.report(record, settings.colour)
    return writers.jsonl(record)


def batches(items: Iterable[Item]) -> Iterator[list[Item]]:
    """Consecutive runs of items, bounded in documents and characters."""
    batch: list[Item] = []
    chars = 0
    for item in items:
        batch.append(item)
        chars += len(item.text) if isinstance(item, Document) else 0
        if chars >= BATCH_CHARS or len(batch) >= BATCH_DOCS:
            yield batch
            batch, chars = [], 0
    if batch:
        yield batch


def scored(
    settings: Settings, work: Iterable[list[Item]], jobs: int, client: Any = None
) -> Iterator[BatchResult]:
    """Results in input order, computed here, by ``jobs`` worker processes, or on
    the dask cluster behind ``client``.

    Inputs of up to PARALLEL_AFTER batches are scored in this process: starting
    workers (each loads the model) costs more than it saves on them. Otherwise
    batches go to the workers a window at a time, so however fast they are, at
    most ``WINDOW_PER_JOB * jobs`` batches are ever held in memory. On a dask
    cluster every batch goes to the workers: they are running already.
    """
    if client is not None:
        yield from _scored_on_dask(settings, work, client)
        return
    work = iter(work)
    head = list(islice(work, PARALLEL_AFTER))
    if jobs <= 1 or len(head) < PARALLEL_AFTER:
        yield from (score_batch(settings, batch) for batch in chain(head, work))
        return
    from joblib import Parallel, delayed
    from joblib.parallel import LokyBackend

    _fix_mmap_threshold()
    _prepare_workers()
    windows = chain([head], iter(lambda: list(islice(work, WINDOW_PER_JOB * jobs)), []))
    workers = LokyBackend(initializer=start_worker, initargs=(os.getpid(),))
    with Parallel(n_jobs=jobs, backend=workers) as parallel:
        for window in windows:
            yield from parallel(delayed(score_batch)(settings, batch) for batch in window)


TRACKER_WARNING = "ignore:resource_tracker:UserWarning"


def _prepare_workers() -> None:
    """Before the first worker starts: keep this thread's signal mask, and keep the
    resource trackers quiet.

    multiprocessing's resource tracker starts with the first worker, and on its way
    unblocks SIGINT in the thread starting it (Python 3.11's ``ensure_running``
    unblocks instead of restoring): every later worker would inherit that and see
    Ctrl-C while its interpreter starts ("Fatal Python error: init_import_site"). The
    CLI blocks SIGINT for that reason, so the tracker is started here and the mask put
    back. And when the run is interrupted or killed, loky's tracker cleans up after it
    with a many-line warning ("leaked semlock objects"): Ctrl-C prints one line.
    """
    from multiprocessing import resource_tracker

    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    resource_tracker.ensure_running()
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    filters = os.environ.get("PYTHONWARNINGS", "")
    if TRACKER_WARNING not in filters:  # inherited by the trackers and the workers
        os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [filters, TRACKER_WARNING]))


def _scored_on_dask(
    settings: Settings, work: Iterable[list[Item]], client: Any
) -> Iterator[BatchResult]:
    """Results in input order from the cluster's workers, with the same ``score_batch``.

    The model goes to every worker once (scatter), and each task refers to that
    copy instead of carrying its own. A sliding window of WINDOW_PER_JOB batches
    per worker thread keeps the workers busy while bounding what is in memory.
    Tasks are impure (``pure=False``): hashing every batch to dedupe would cost
    more than scoring it. The batch rides inside a ``partial``, which dask passes
    as it is: as an argument, dask would walk every field of every document
    looking for futures (1 s of this process's time per 200,000 documents).
    """
    model = client.scatter(cached_model(settings.model_dir), broadcast=True, hash=False)
    window = WINDOW_PER_JOB * max(1, sum(client.nthreads().values()))
    pending: deque[Any] = deque()
    for batch in work:
        pending.append(client.submit(partial(score_batch, settings, batch), model, pure=False))
        if len(pending) >= window:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()


def _fix_mmap_threshold() -> None:
    """Keep memory flat while results stream in from workers (glibc only).

    Results arrive as multi-megabyte buffers. glibc raises its mmap threshold
    each time such a buffer is freed, after which they come from the heap and
    fragment it: RSS then grows with the input (measured: 170 MB per million
    passages instead of 100). Fixing the threshold keeps big buffers in mmap.
    """
    import ctypes

    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return  # not glibc: nothing to fix
    m_mmap_threshold = -3
    libc.mallopt(m_mmap_threshold, 128 * 1024)


class StreamSink:
    """Output to an open stream (stdout): written as it comes, nothing to resume."""

    skip = 0
    last: dict[str, Any] | None = None
    digest: str | None = None
    finished = False
    note: str | None = None

    def __init__(self, stream: IO[str], errors_path: Path | None, header: str) -> None:
        self.stream = stream
        self.errors_path = errors_path
        with _writing(errors_path):
            self.errors = errors_path.open("w", encoding="utf-8") if errors_path else None
        self.stats = Stats()
        stream.write(header)

    def write(self, result: BatchResult) -> None:
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
def _writing(path: Path | None, then: str = "") -> Iterator[None]:
    """Turn a failed write (a full disk, a read-only folder) into one clear RunError."""
    try:
        yield
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
        if self.state_path.exists() and not self.partial.exists():
            if self._finished_earlier(resume):
                return
        elif self.state_path.exists() and not resume:
            raise UsageError(
                f"{self.partial} is left from an interrupted run: add --resume to "
                f"continue it, or delete it to start again"
            )
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
        tmp = self.state_path.with_name(self.state_path.name + ".tmp")
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
        self.state_path.unlink()


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
    an input folder would read it, or be another of the outputs.
    """
    outputs: list[tuple[str, Path]] = []
    if job.output is not None:
        partial = job.output.with_name(job.output.name + ".partial")
        outputs += [("-o", job.output), ("-o", partial), ("-o", Path(f"{partial}.json"))]
    if job.errors is not None:
        outputs.append(("--errors", job.errors))
    if job.store is not None and not job.store.startswith(POSTGRES_SCHEMES):
        outputs.append(("--store", Path(job.store)))
    for flag, path in outputs[:1] + outputs[3:]:
        if path.is_dir():
            raise UsageError(f"{flag} {path} is a folder: name a file to write")
        parent = path.parent
        if not parent.is_dir():
            raise UsageError(f"{flag} {path}: folder {parent} does not exist")
    for i, (flag, path) in enumerate(outputs):
        for other_flag, other in outputs[i + 1 :]:
            if flag != other_flag and same_file(path, other):
                raise UsageError(f"{flag} and {other_flag} are the same file ({path})")
    for name in job.inputs:
        if name == "-":
            continue
        source = Path(name)
        for flag, path in outputs:
            if same_file(path, source):
                raise UsageError(
                    f"{flag} {path} is also an input ({name}): refusing to overwrite it"
                )
            if source.is_dir() and _read_from_folder(path, source):
                raise UsageError(
                    f"{flag} {path} is inside the input folder {name}, which would read "
                    "it as an input: write it somewhere else"
                )


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: the same inode (a symlink, a hard link), or, for
    a file not created yet, the same resolved path."""
    try:
        sa, sb = os.stat(a), os.stat(b)
        return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)
    except OSError:
        return a.resolve() == b.resolve()


def _read_from_folder(path: Path, folder: Path) -> bool:
    """Whether reading ``folder`` would read ``path``: it lies under it with a format's
    suffix, or is the same file as one of the files it holds."""
    resolved, top = path.resolve(), folder.resolve()
    if top in resolved.parents and _suffix(resolved) in KNOWN_SUFFIXES:
        return True
    if not path.exists():
        return False
    return any(same_file(path, f) for f in expand(folder))


def cluster(job: Job) -> AbstractContextManager[Any]:
    """The dask client the job scores on, or None for the local backend."""
    if job.backend == "local" and job.scheduler:
        raise UsageError("--scheduler needs the dask backend, not --backend local")
    if job.backend != "dask" and not job.scheduler:
        return nullcontext()
    return dask_client(job.scheduler, job.jobs)


@contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A client of the scheduler at ``scheduler``, or of a LocalCluster of ``workers``
    single-threaded processes (scoring holds the GIL: threads would not help).

    dask is imported only here: it is an optional extra. The connect timeout is
    dask's own (``distributed.comm.timeouts.connect``, 30 s unless configured).
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise UsageError(
            "the dask backend needs dask.distributed: pip install 'labeler[dask]'"
        ) from None
    if scheduler is None:
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None) as local,
            Client(local) as client,
        ):
            client.run(collect_less)  # these workers are ours, unlike a --scheduler's
            yield client
        return
    try:
        connected = Client(scheduler)
    except (OSError, ValueError, TypeError) as err:
        raise UsageError(f"cannot connect to the dask scheduler at {scheduler}: {err}") from None
    with connected:
        yield connected


def collect_less() -> None:
    """Tune the GC of a process of our own (not a library caller's) for scoring.

    Scoring makes many short-lived objects and few cycles, so once the model is
    loaded we freeze what exists and collect less often, which saves about a
    tenth of the time (a quarter in a dask worker, whose heap is bigger).
    """
    gc.freeze()
    gc.set_threshold(GC_THRESHOLD, 20, 20)


def _run(job: Job, client: Any, stdout: IO[str], stderr: IO[str]) -> Stats:
    """Score every input, on ``client``'s cluster if there is one.

    Meant for a process of its own (the CLI), which is why it tunes the GC.
    """
    model = cached_model(job.settings.model_dir)
    collect_less()
    store = _open_store(job.store)  # before any output: an unreachable store writes nothing
    header = writers.csv_header() if job.settings.format == "csv" else ""
    if job.output:
        run_key = {
            "inputs": [str(Path(i).resolve()) if i != "-" else i for i in job.inputs],
            "settings": {k: v for k, v in asdict(job.settings).items() if k != "colour"},
            "read": asdict(job.read),
            "model": model.version,
        }
        sink: FileSink | StreamSink = FileSink(job.output, job.errors, header, run_key, job.resume)
    else:
        if job.resume:
            raise UsageError("--resume needs -o OUT (output to a file)")
        sink = StreamSink(stdout, job.errors, header)
    if isinstance(sink, FileSink) and sink.finished:
        sink.settle(read_inputs(job.inputs, job.read))
    if sink.note:
        print(f"labeler: {sink.note}", file=stderr)
    if sink.finished:
        if store is not None:
            store.close()
        return sink.stats
    progress = Progress()
    bar = ProgressBar(
        stderr, total_bytes(job.inputs), progress, enabled=not job.quiet and stderr.isatty()
    )
    items = resume_from(read_inputs(job.inputs, job.read, progress), sink)
    start, shown = time.monotonic(), 0
    done = Stats()
    for result in scored(job.settings, batches(items), job.jobs, client):
        if store is not None:  # idempotent: safe to redo after a crash
            store.add_records(result.stored, model.thresholds)
        sink.write(result)
        done.add(result.stats)
        for message in result.messages[: max(0, SHOWN_ERRORS - shown)]:
            bar.clear()
            print(f"labeler: {writers.plain(message)}", file=stderr)  # names are untrusted
        shown += len(result.messages)
        bar.update(done)
    sink.finish()
    if store is not None:
        store.close()
    bar.clear()
    total = sink.stats  # a FileSink's include the records done before a resume
    if not job.quiet:
        for path, why in progress.skipped[:SHOWN_ERRORS]:
            print(f"labeler: skipped {writers.plain(path)}: {why}", file=stderr)
        if len(progress.skipped) > SHOWN_ERRORS:
            print(f"labeler: skipped {len(progress.skipped):,} files in all", file=stderr)
        print(summary(total, time.monotonic() - start, job.errors, shown), file=stderr)
    return total


def _open_store(target: str | None) -> Any:
    """The store the run adds to, checked writable: a read-only one fails here, before
    any output is opened, not after the first batch."""
    if target is None:
        return None
    from labeler.store.store import Store

    store = Store(target)
    try:
        store.db.check_writable()
    except BaseException:
        store.close()
        raise
    return store


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


def score_into_store(
    items: Iterable[Item], store: Any, model_dir: str | None = None
) -> tuple[Stats, list[str]]:
    """Score documents (from ``read_inputs`` or ``read_upload``) into the review store, in
    this process, as the dashboard's upload does.

    Returns the totals and the messages for records that could not be scored.
    """
    settings = Settings(model_dir=model_dir, keep_for_store=True)
    thresholds = cached_model(model_dir).thresholds
    stats, messages = Stats(), []
    for batch in batches(items):
        result = score_batch(settings, batch)
        store.add_records(result.stored, thresholds)
        stats.add(result.stats)
        messages += result.messages
    return stats, messages
