"""``python -m labeler``: as the ``labeler`` command, but Python was started by the caller,
so a Ctrl-C before this line runs is Python's own (a traceback); from here on it is
held pending for ``labeler.cli.entry`` (see there), also while labeler.cli is imported."""

import signal
import sys

if sys.argv[1:2] != ["dashboard"] and hasattr(signal, "pthread_sigmask"):
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})

from labeler.cli import entry  # noqa: E402

entry()
