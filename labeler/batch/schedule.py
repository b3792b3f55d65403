"""Scheduling batches: in this process, in joblib worker processes, or on a dask cluster.

Results always come back in input order, and at most a window of batches per worker is
in flight, so memory stays flat. Worker processes ignore Ctrl-C and die with their
parent; processes of our own collect garbage less often while scoring.
"""

from __future__ import annotations

import gc
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from functools import partial
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

from labeler.batch.batches import BatchResult, Settings, UsageError, score_batch
from labeler.batch.documents import Item
from labeler.encoder import share_cores
from labeler.scoring import cached_model

if TYPE_CHECKING:
    from labeler.batch.run import Job

PARALLEL_AFTER = 4  # batches
WINDOW_PER_JOB = 4  # batches in flight per worker
GC_THRESHOLD = 50_000  # allocations between young-generation collections


def start_worker(parent: int) -> None:
    """Set up a joblib worker process: it ignores Ctrl-C (the parent handles it) and
    exits as soon as ``parent`` is gone, killed with -9 or stopped by Ctrl-C, instead of
    living on with nobody to read its results."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()
    share_cores(1)


def _exit_with(parent: int, every: float = 0.2) -> None:
    while os.getppid() == parent:
        time.sleep(every)
    os._exit(1)


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
    back. And when the run is interrupted or killed, the trackers (multiprocessing's,
    which dask's workers use, and loky's) clean up after it with a warning ("leaked
    semaphore objects"), so its filter is set before the first tracker starts: Ctrl-C
    prints one line.
    """
    from multiprocessing import resource_tracker

    filters = os.environ.get("PYTHONWARNINGS", "")
    if TRACKER_WARNING not in filters:  # inherited by the trackers and the workers
        os.environ["PYTHONWARNINGS"] = ",".join(filter(None, [filters, TRACKER_WARNING]))
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    resource_tracker.ensure_running()
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)


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
    model = client.scatter(
        cached_model(settings.model_dir, settings.fast), broadcast=True, hash=False
    )
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
        # Its workers are processes of ours, started as loky's are (see _prepare_workers);
        # they end with this process by dask's own means: each one exits when the pipe it
        # holds from this process closes (distributed.process.AsyncProcess).
        _prepare_workers()
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                dashboard_address=None,
                # its HTTP server (health, metrics) on loopback, on a free port: by
                # default it takes 8787, on every interface, and warns if that is taken
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
            ) as local,
            Client(local) as client,
        ):
            client.run(worker_setup)  # these workers are ours, unlike a --scheduler's
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


def worker_setup() -> None:
    """A LocalCluster worker of ours: one of --jobs single-threaded processes."""
    collect_less()
    share_cores(1)
