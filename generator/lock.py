"""One writer at a time per output folder.

The lock is an advisory ``flock`` on the folder that *contains* the output folder
(normally the project root). The output folder itself cannot carry the lock: a
render replaces it with a new directory, so a second process that opened the old
one would lock a directory that is no longer ``rendered/``. Locking the parent needs
no lock file, so nothing is left behind for git to see, and the kernel releases the
lock when the holder dies, even by SIGKILL: a crashed render never blocks the next.

Writers take the lock exclusively; the drift check takes it shared, so it never
reads a tree that is half replaced and never blocks another check.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

#: How long a render waits for another one by default (seconds).
DEFAULT_TIMEOUT = 60.0
_POLL = 0.05


class LockTimeout(Exception):
    """Another wfchain process kept the output folder locked for too long."""


@contextmanager
def output_lock(output: Path, *, shared: bool = False, timeout: float = DEFAULT_TIMEOUT,
                on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock of ``output`` for the duration of the ``with`` block.

    ``on_wait`` is called once, with a message, when the lock is busy and the call
    starts waiting; :class:`LockTimeout` is raised after ``timeout`` seconds (0: do
    not wait at all).
    """
    parent = output.parent
    fd = os.open(parent, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        if not _try_lock(fd, mode):
            if on_wait is not None:
                on_wait(f"another wfchain process is using {output.name}/; waiting up to "
                        f"{timeout:g} s for it to finish")
            deadline = time.monotonic() + timeout
            while not _try_lock(fd, mode):
                if time.monotonic() >= deadline:
                    raise LockTimeout(
                        f"gave up after {timeout:g} s: another wfchain process is still "
                        f"using {output}/ (it holds a lock on {parent}); try again, or "
                        "raise --lock-timeout")
                time.sleep(_POLL)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _try_lock(fd: int, mode: int) -> bool:
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True
