"""Progress of long renders: drawn on a real terminal (a pseudo-terminal here), never on
a pipe, never with --quiet, and always erased before anything else is printed."""

from __future__ import annotations

import io
import os
import pty
import re
import select
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest

from generator import progress

ERASE = "\r\x1b[K"
FRAME = re.compile(r"\r\x1b\[Kwfchain: (\w+) (\d+)/(\d+)")


@pytest.fixture
def terminal() -> Iterator[tuple[TextIO, int]]:
    """A real terminal device: (the stream a program writes to, the fd to read it from)."""
    master, slave = pty.openpty()
    stream = open(slave, "w", encoding="utf-8", closefd=True)  # noqa: SIM115
    try:
        yield stream, master
    finally:
        stream.close()
        os.close(master)


def _drain(fd: int) -> str:
    chunks = []
    while select.select([fd], [], [], 0)[0]:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    return b"".join(chunks).decode("utf-8")


class Clock:
    def __init__(self, *times: float) -> None:
        self.times = list(times)

    def __call__(self) -> float:
        return self.times.pop(0)


def test_terminal_draws_and_erases(terminal: tuple[TextIO, int]) -> None:
    stream, master = terminal
    reporter = progress.terminal(stream)
    assert isinstance(reporter, progress.TerminalReporter)
    reporter.clock = Clock(0.0, 1.0, 2.0)
    with progress.reporting(reporter):
        assert list(progress.track(["a/x", "a/y", "b/z"], "rendering", str)) == \
            ["a/x", "a/y", "b/z"]
    out = _drain(master)
    assert FRAME.findall(out) == [("rendering", "1", "3"), ("rendering", "2", "3"),
                                  ("rendering", "3", "3")]
    assert "wfchain: rendering 2/3 a/y" in out
    assert out.endswith(ERASE)  # nothing left on the line


def test_redraws_are_throttled_but_first_and_last_are_drawn(
        terminal: tuple[TextIO, int]) -> None:
    stream, master = terminal
    reporter = progress.TerminalReporter(stream, clock=Clock(0.0, 0.01, 0.02, 0.03, 0.04),
                                         interval=0.1)
    with progress.reporting(reporter):
        list(progress.track(range(5), "writing"))
    assert [done for _, done, _ in FRAME.findall(_drain(master))] == ["1", "5"]


def test_long_lines_are_cut_to_the_terminal_width(terminal: tuple[TextIO, int]) -> None:
    stream, master = terminal
    reporter = progress.TerminalReporter(stream, width=30)
    with progress.reporting(reporter):
        list(progress.track(["namespace/" + "x" * 60], "rendering", str))
    frame = _drain(master).split(ERASE)[1]
    assert frame == "wfchain: rendering 1/1 nam..."
    assert len(frame) == 29


def test_not_a_terminal_quiet_or_dumb_shows_nothing(
        terminal: tuple[TextIO, int], monkeypatch: pytest.MonkeyPatch) -> None:
    stream, _ = terminal
    pipe = io.StringIO()
    assert type(progress.terminal(pipe)) is progress.Reporter
    assert type(progress.terminal(stream, quiet=True)) is progress.Reporter
    monkeypatch.setenv("TERM", "dumb")
    assert type(progress.terminal(stream)) is progress.Reporter
    with progress.reporting(progress.terminal(pipe)):
        assert list(progress.track([1, 2], "rendering")) == [1, 2]
    assert pipe.getvalue() == ""


def test_without_a_reporter_track_just_yields() -> None:
    assert list(progress.track(["a", "b"], "rendering")) == ["a", "b"]


def test_line_is_erased_when_the_work_fails(terminal: tuple[TextIO, int]) -> None:
    stream, master = terminal
    reporter = progress.TerminalReporter(stream)
    with pytest.raises(RuntimeError), progress.reporting(reporter):
        for _ in progress.track([1, 2, 3], "rendering"):
            raise RuntimeError("boom")
    assert _drain(master).endswith(ERASE)


# ------------------------------------------------------------------ the real command


def _render_on_a_terminal(project: Path, *args: str) -> tuple[int, str, str]:
    """Run `wfchain render` with standard error on a pseudo-terminal; (exit, stdout, tty)."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm", "COLUMNS": "120"}
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "generator", "-C", str(project), "render", *args],
            stdout=subprocess.PIPE, stderr=slave, env=env)
        os.close(slave)
        seen: list[bytes] = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the terminal closed: the program ended
                break
            if not data:
                break
            seen.append(data)
        stdout, _ = process.communicate(timeout=120)
    finally:
        os.close(master)
    return process.returncode, stdout.decode(), b"".join(seen).decode()


def test_render_shows_progress_on_a_terminal(project: Path) -> None:
    code, stdout, tty = _render_on_a_terminal(project)
    assert code == 0, tty
    phases = {phase for phase, _, _ in FRAME.findall(tty)}
    assert "rendering" in phases, tty
    # The last frame was erased and the summary starts on the clean line.
    after = tty[tty.rindex(ERASE) + len(ERASE):]
    assert re.match(r"wfchain: \d+ instance\(s\)", after), tty
    assert stdout == ""


def test_render_quiet_on_a_terminal_shows_no_progress(project: Path) -> None:
    code, _, tty = _render_on_a_terminal(project, "--quiet")
    assert code == 0, tty
    assert "\r" not in tty.replace("\r\n", "\n")


def test_render_into_a_pipe_shows_no_progress(project: Path) -> None:
    assert shutil.which(sys.executable)
    completed = subprocess.run([sys.executable, "-m", "generator", "-C", str(project), "render"],
                               capture_output=True, text=True, check=False, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "\r" not in completed.stderr
