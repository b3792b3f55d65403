"""Command line: ``labeler score``, ``labeler train``, ``labeler evaluate``.

The CLI only parses options and calls library functions; heavy imports happen
inside commands so ``labeler --help`` stays instant. This module runs the process (closed
streams, Ctrl-C, worker processes); options.py holds the parser, and the commands live
by what they work on: scoring.py (scoring, exports), review.py (the review store, the
dashboard), models.py (models and training).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from labeler.cli.exits import (
    EXIT_CLOSED_PIPE,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    INTERRUPTED,
)
from labeler.cli.options import parser
from labeler.cli.review import cmd_dashboard


def main(argv: list[str] | None = None) -> int:
    args, rest = parser().parse_known_args(argv)
    if rest and args.func is not cmd_dashboard:  # only the dashboard passes options on
        parser().parse_args(argv)  # exits 2 naming the unknown options
    closed = closed_streams()
    if closed:
        if sys.stderr is not None:  # else there is nowhere to say it
            print(f"labeler: {closed}", file=sys.stderr)
        return EXIT_USAGE
    from labeler.encoder import EncoderError
    from labeler.learn.dataset import DataError
    from labeler.model import ModelError
    from labeler.outputs import Refused
    from labeler.store.db import StoreError

    try:
        status = cmd_dashboard(args, rest) if args.func is cmd_dashboard else int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, not as an error as Python exits
        return status
    except Refused as err:  # an output that would overwrite what it must not
        print(f"labeler: {err}", file=sys.stderr)
        return EXIT_USAGE
    except (StoreError, ModelError, DataError, EncoderError) as err:  # e.g. an unreachable server
        print(f"labeler: {err}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:  # the reader went away (| head): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no flush error
        return EXIT_CLOSED_PIPE
    except KeyboardInterrupt:
        print(INTERRUPTED[0], file=sys.stderr)
        return EXIT_INTERRUPTED


def closed_streams() -> str | None:
    """What is wrong when the program was started with standard input, output or error
    closed (``>&-``), else None. Each is a usage error: the next file opened would take
    the closed descriptor, and whatever then writes to "stdout" would write into it."""
    for name, stream in (("input", sys.stdin), ("output", sys.stdout), ("error", sys.stderr)):
        if stream is None:
            return f"standard {name} is closed: give it a file, or /dev/null"
    return None


def entry() -> None:
    """The ``labeler`` program: ``main``, with Ctrl-C handled from the first instant.

    SIGINT is blocked before anything heavy is imported, in this thread and so in every
    thread and worker process started later (they inherit the mask): a worker never sees
    Ctrl-C, even while its interpreter starts. One thread waits for it instead, prints
    one line and ends the process with 130. Ending at once is safe: the output, its state
    file and the store are written so that even kill -9 loses nothing (see --resume).
    The ``labeler`` command (bin/labeler) starts Python with SIGINT blocked already, so a
    Ctrl-C while the interpreter itself starts is pending here and reported the same way.
    The dashboard's streamlit is such a child too: it is stopped the same way.
    """
    if not hasattr(signal, "pthread_sigmask"):  # Windows: KeyboardInterrupt, caught in main
        sys.exit(main())
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    threading.Thread(target=_wait_for_interrupt, daemon=True).start()
    sys.exit(main())


def _wait_for_interrupt() -> None:
    """Print the one line, then make sure nothing else reaches the terminal.

    Standard error is pointed at /dev/null before the workers are listed: what this
    process's threads still print (dask's nanny reporting a killed worker) is lost, and
    a worker forked after that inherits the silence. Every worker forked before it is in
    the list and killed, so none is left to read its start-up data and print EOFError.
    """
    signal.sigwait({signal.SIGINT})
    try:
        sys.stderr.write(INTERRUPTED[0] + "\n")
        sys.stderr.flush()
        os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
        for pid in _worker_processes():
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    finally:
        os._exit(EXIT_INTERRUPTED)


def _worker_processes() -> list[int]:
    """This process's children but its resource trackers (Linux; elsewhere none).

    An interrupted run kills them as it ends, so that none prints after its one line.
    The trackers are left to remove what the workers leave, quietly (see
    labeler.batch._prepare_workers).
    """
    pids = []
    for children in Path("/proc/self/task").glob("*/children"):
        try:
            listed = children.read_text().split()
        except OSError:  # a thread that ended
            continue
        for pid in listed:
            try:
                if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                    pids.append(int(pid))
            except OSError:  # a child that ended
                continue
    return pids
