"""Files a command writes, written so that nothing is overwritten by mistake.

A regular output file is written beside itself and renamed into place at the end, so
a reader never sees half of it. An existing device, FIFO or socket (``-o /dev/null``, a
named pipe) is written straight into instead: renaming a file over it would replace
it. A writer holds an exclusive lock while it writes, so a second writer is refused
(or waits, for short updates), and each writer's temporary file carries its process
id, so two never share one.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; writers are not serialised there
    fcntl = None  # type: ignore[assignment]

STORE_COMPANIONS = ("", "-wal", "-shm", "-journal")  # a SQLite file and the files beside it


def written_in_place(path: Path) -> bool:
    """Whether ``path`` exists and is neither a regular file nor a folder (after links):
    a device, a FIFO or a socket, which is written into and never replaced."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def final_path(path: Path) -> Path:
    """Where writing ``path`` lands: a symlink's target, so that renaming the finished
    file into place replaces the target and keeps the link (``-o /dev/stdout`` must not
    replace the machine's /dev/stdout)."""
    return path.resolve() if path.is_symlink() else path


def same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file: the same inode (a symlink, a hard link), or, for
    a file not created yet, the same resolved path."""
    try:
        sa, sb = os.stat(a), os.stat(b)
        return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)
    except OSError:
        return a.resolve() == b.resolve()


class Refused(Exception):
    """An output that would overwrite what it must not: a usage error (exit 2)."""


def refuse_store_files(outputs: list[tuple[str, Path]], store: Path) -> None:
    """Refuse (flag, path) outputs that would overwrite a file of the SQLite store
    ``store``: the store itself, its -wal, -shm or -journal, directly or through a link.
    The -wal and -shm files come and go: an output named after one is lost when SQLite
    next removes it, and replacing one loses the store's recent writes."""
    for flag, path in outputs:
        for companion in STORE_COMPANIONS:
            file = store.with_name(store.name + companion)
            if same_file(path, file):
                raise Refused(
                    f"{flag} {path} is the review store's file {file}: refusing to overwrite it"
                )


def temp_name(path: Path) -> Path:
    """This process's temporary file beside ``path``: two writers never share one."""
    return path.with_name(f"{path.name}.{os.getpid()}.tmp")


def try_lock(fd: int) -> bool:
    """Take an exclusive lock on the open file ``fd`` without waiting; False when another
    process holds it. Released when the file is closed (or the process ends, even by
    kill -9)."""
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``lock_path`` (created if missing, never removed, so
    every process locks the same file), waiting for another holder to finish."""
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
