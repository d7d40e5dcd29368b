"""Progress of long runs: one status line on a terminal, redrawn in place.

Pipeline stages report through :func:`track` without knowing whether anyone is
watching; the command line decides with :func:`reporting` for the length of one
command. The line is drawn on standard error only when it is a terminal and the
user did not ask for ``--quiet``; otherwise nothing at all is written, so piped
output, CI logs and redirected files never see it. The line is erased when a loop
ends, so messages printed after it start on a clean line.

    with progress.reporting(progress.terminal(quiet=quiet)):
        ...
        for instance in progress.track(instances, "rendering", key):
            ...
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TextIO, TypeVar

T = TypeVar("T")

#: Smallest time between two redraws of the line (seconds); the first and the last
#: step of a loop are always drawn.
REDRAW_INTERVAL = 0.1
_ERASE = "\r\x1b[K"


class Reporter:
    """Receives progress; this base class shows nothing (pipes, --quiet, tests)."""

    def update(self, phase: str, done: int, total: int, item: str) -> None:
        """``done`` of ``total`` items of ``phase``; ``item`` is the one being worked on."""

    def clear(self) -> None:
        """Erase whatever is shown."""


class TerminalReporter(Reporter):
    """Draws ``wfchain: rendering 12/300 analytics/sales-eu`` on one terminal line."""

    def __init__(self, stream: TextIO, *, width: int | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 interval: float = REDRAW_INTERVAL) -> None:
        self.stream = stream
        self.width = width
        self.clock = clock
        self.interval = interval
        self._shown = False
        self._last = float("-inf")

    def _columns(self) -> int:
        if self.width is not None:
            return self.width
        return shutil.get_terminal_size(fallback=(80, 24)).columns

    def update(self, phase: str, done: int, total: int, item: str) -> None:
        now = self.clock()
        if done not in (1, total) and now - self._last < self.interval:
            return
        self._last = now
        line = f"wfchain: {phase} {done}/{total}"
        if item:
            line += f" {item}"
        limit = max(self._columns() - 1, 10)
        if len(line) > limit:
            line = line[: limit - 3] + "..."
        self.stream.write(_ERASE + line)
        self.stream.flush()
        self._shown = True

    def clear(self) -> None:
        if self._shown:
            self.stream.write(_ERASE)
            self.stream.flush()
            self._shown = False


_SILENT = Reporter()
_current: ContextVar[Reporter] = ContextVar("wfchain_progress", default=_SILENT)


def terminal(stream: TextIO | None = None, *, quiet: bool = False) -> Reporter:
    """A reporter for ``stream`` (standard error by default): drawing only when it is
    a terminal, ``quiet`` is false and ``TERM`` is not ``dumb``."""
    target = sys.stderr if stream is None else stream
    if quiet or os.environ.get("TERM") == "dumb":
        return _SILENT
    try:
        interactive = target.isatty()
    except (AttributeError, ValueError):
        interactive = False
    return TerminalReporter(target) if interactive else _SILENT


@contextmanager
def reporting(reporter: Reporter) -> Iterator[Reporter]:
    """Send progress to ``reporter`` inside the block; the line is erased at the end."""
    token = _current.set(reporter)
    try:
        yield reporter
    finally:
        reporter.clear()
        _current.reset(token)


def track(items: Sequence[T], phase: str, label: Callable[[T], str] | None = None
          ) -> Iterator[T]:
    """Yield ``items``, reporting each to the current reporter; erase the line after."""
    reporter = _current.get()
    if reporter is _SILENT:
        yield from items
        return
    total = len(items)
    try:
        for done, item in enumerate(items, 1):
            reporter.update(phase, done, total, label(item) if label else "")
            yield item
    finally:
        reporter.clear()
