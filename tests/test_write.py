"""Writing rendered/: all or nothing, owned files only, never outside the folder.

The atomicity tests run `wfchain render` as a real process, stop it at a known point
(WFCHAIN_TEST_PAUSE) and kill it with SIGKILL; rendered/ must be byte for byte what
it was (or, after the swap, exactly the new tree), and the next render must finish
and leave nothing behind.
"""

from __future__ import annotations

import errno
import json
import os
import queue
import shutil
import signal
import stat
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator import write as write_module
from generator.pipeline import build
from generator.render import RenderedFile
from generator.write import (
    MANIFEST,
    NO_EXCHANGE_ENV,
    OWNERSHIP_MARK,
    UnsafePathError,
    recover,
    sha256,
    staging_folders,
    write_tree,
)

ROOT = Path(__file__).resolve().parents[1]
MARK = OWNERSHIP_MARK + ". Do not edit.\n"


# ---------------------------------------------------------------------------- helpers

def state(folder: Path) -> dict[str, tuple[str, bytes, int]]:
    """Everything under ``folder``, symlinks not followed: kind, content, mode."""
    out: dict[str, tuple[str, bytes, int]] = {}
    if not folder.exists():
        return out
    for current, dirnames, filenames in os.walk(folder):
        for name in [*dirnames, *filenames]:
            path = Path(current) / name
            info = path.lstat()
            relative = path.relative_to(folder).as_posix()
            if stat.S_ISLNK(info.st_mode):
                out[relative] = ("symlink", os.readlink(path).encode(), 0)
            elif stat.S_ISDIR(info.st_mode):
                out[relative] = ("dir", b"", stat.S_IMODE(info.st_mode))
            else:
                out[relative] = ("file", path.read_bytes(), stat.S_IMODE(info.st_mode))
    return out


def generated(path: str, body: str) -> RenderedFile:
    return RenderedFile(path, MARK + body)


def wfchain_env(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WFCHAIN_")}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def wfchain(project: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", "-C", str(project), *args],
                          capture_output=True, text=True, timeout=300, check=False,
                          env=wfchain_env(**extra))


@dataclass
class Running:
    """A wfchain process whose stderr a thread drains (and closes at its end)."""

    process: subprocess.Popen[str]
    pump: threading.Thread

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.pump.join()
        assert self.process.returncode == -signal.SIGKILL

    def wait(self) -> int:
        code = self.process.wait(timeout=300)
        self.pump.join()
        return code


def start(project: Path, *args: str, until: str, **extra: str) -> Running:
    """Start wfchain and return once it printed a stderr line containing ``until``."""
    process = subprocess.Popen([sys.executable, "-m", "generator", "-C", str(project), *args],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env=wfchain_env(**extra))
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert process.stderr is not None
        with process.stderr:
            for line in process.stderr:
                lines.put(line)
        lines.put(None)

    running = Running(process, threading.Thread(target=pump, daemon=True))
    running.pump.start()
    seen = []
    while True:
        try:
            line = lines.get(timeout=300)  # a guard against a hang, not a timing check
        except queue.Empty:
            running.kill()
            pytest.fail(f"wfchain never printed {until!r}; stderr so far: {''.join(seen)}")
        if line is None:
            running.wait()
            pytest.fail(f"wfchain exited ({process.returncode}) before printing {until!r}: "
                        f"{''.join(seen)}")
        seen.append(line)
        if until in line:
            return running


def small_project(target: Path) -> Path:
    """One template, two instances, a config: enough for every kind of change."""
    (target / "templates").mkdir(parents=True)
    shutil.copytree(ROOT / "templates" / "nightly-etl", target / "templates" / "nightly-etl")
    (target / "instances" / "analytics").mkdir(parents=True)
    for name in ("sales-eu", "sales-cn"):
        shutil.copy2(ROOT / "instances" / "analytics" / f"{name}.yaml",
                     target / "instances" / "analytics" / f"{name}.yaml")
    return target


def render_in_process(project: Path) -> None:
    result = build(project)
    assert result.ok, result.diagnostics
    write_tree(project / "rendered", result.files)


# ---------------------------------------------------------------------------- unit level

def test_first_write_creates_files_and_a_deterministic_manifest(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    files = [generated("ns/a/x.yaml", "x: 1\n"), generated("kustomization.yaml", "k: 1\n")]
    report = write_tree(out, files)
    assert report.written == ["kustomization.yaml", "ns/a/x.yaml"]
    assert (out / "ns/a/x.yaml").read_text() == MARK + "x: 1\n"
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["files"] == {
        "kustomization.yaml": sha256((MARK + "k: 1\n").encode()),
        "ns/a/x.yaml": sha256((MARK + "x: 1\n").encode()),
    }
    first = (out / MANIFEST).read_bytes()
    write_tree(tmp_path / "again", list(reversed(files)))
    assert (tmp_path / "again" / MANIFEST).read_bytes() == first
    assert staging_folders(out) == []


def test_an_unchanged_render_touches_nothing(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    files = [generated("ns/a/x.yaml", "x: 1\n"), generated("ns/a/y.yaml", "y: 1\n")]
    write_tree(out, files)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*")}
    root_inode = out.stat().st_ino
    report = write_tree(out, files)
    assert report.written == [] and report.removed == []
    assert report.unchanged == ["ns/a/x.yaml", "ns/a/y.yaml"]
    assert {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*")} == before
    assert out.stat().st_ino == root_inode


def test_only_changed_files_are_rewritten(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    write_tree(out, [generated("ns/a/x.yaml", "x: 1\n"), generated("ns/a/y.yaml", "y: 1\n")])
    kept = (out / "ns/a/y.yaml").stat()
    report = write_tree(out, [generated("ns/a/x.yaml", "x: 2\n"),
                              generated("ns/a/y.yaml", "y: 1\n")])
    assert report.written == ["ns/a/x.yaml"]
    assert (out / "ns/a/x.yaml").read_text() == MARK + "x: 2\n"
    same = (out / "ns/a/y.yaml").stat()
    assert (same.st_ino, same.st_mtime_ns) == (kept.st_ino, kept.st_mtime_ns)
    assert out.is_dir() and not out.is_symlink()


def test_prune_removes_only_what_wfchain_wrote(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("outside\n")
    write_tree(out, [generated("ns/a/x.yaml", "x\n"), generated("ns/b/y.yaml", "y\n")])
    # Things a person put there, and an old generated file the manifest does not list.
    (out / "NOTES.md").write_text("mine\n")
    (out / "ns/b/extra.txt").write_text("mine too\n")
    (out / "link").symlink_to(outside)
    (out / "empty").mkdir()
    (out / "private").mkdir(mode=0o750)
    (out / "private").chmod(0o750)
    (out / "private/secret.txt").write_text("s\n")
    (out / "ns/old.yaml").write_text(MARK + "old\n")
    report = write_tree(out, [generated("ns/a/x.yaml", "x\n")])
    assert report.removed == ["ns/b/y.yaml", "ns/old.yaml"]
    assert report.foreign == ["NOTES.md", "link", "ns/b/extra.txt", "private/secret.txt"]
    after = state(out)
    assert after["NOTES.md"] == ("file", b"mine\n", 0o644)
    assert after["ns/b/extra.txt"][1] == b"mine too\n"
    assert after["link"] == ("symlink", str(outside).encode(), 0)
    assert after["empty"][0] == "dir"
    assert after["private"] == ("dir", b"", 0o750)
    assert "ns/b/y.yaml" not in after and "ns/old.yaml" not in after
    assert (outside / "keep.txt").read_text() == "outside\n"
    assert sorted(json.loads((out / MANIFEST).read_text())["files"]) == ["ns/a/x.yaml"]


def test_an_emptied_instance_folder_disappears(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    write_tree(out, [generated("ns/a/x.yaml", "x\n"), generated("ns/b/y.yaml", "y\n")])
    write_tree(out, [generated("ns/a/x.yaml", "x\n")])
    assert sorted(state(out)) == [MANIFEST, "ns", "ns/a", "ns/a/x.yaml"]


def test_a_partial_render_keeps_the_other_instances(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    write_tree(out, [generated("ns/a/x.yaml", "x\n"), generated("ns/b/y.yaml", "y\n")])
    report = write_tree(out, [generated("ns/a/x.yaml", "x2\n")], prune=False)
    assert report.written == ["ns/a/x.yaml"] and report.removed == []
    assert (out / "ns/b/y.yaml").read_text() == MARK + "y\n"
    assert sorted(json.loads((out / MANIFEST).read_text())["files"]) == [
        "ns/a/x.yaml", "ns/b/y.yaml"]


@pytest.mark.parametrize("bad", ["../escape.yaml", "/etc/passwd", "ns/../../x.yaml",
                                 "ns//x.yaml", "ns/./x.yaml", "ns\\..\\x.yaml", MANIFEST, ""])
def test_no_path_escapes_the_output_folder(tmp_path: Path, bad: str) -> None:
    out = tmp_path / "rendered"
    write_tree(out, [generated("ns/a/x.yaml", "x\n")])
    before = state(tmp_path)
    with pytest.raises(UnsafePathError):
        write_tree(out, [generated("ns/a/x.yaml", "x2\n"), generated(bad, "evil\n")])
    assert state(tmp_path) == before


def test_symlinks_are_never_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "rendered"
    out.mkdir()
    (out / "ns").symlink_to(outside)  # a generated path would go through it
    before = state(tmp_path)
    with pytest.raises(UnsafePathError, match="ns is in the way"):
        write_tree(out, [generated("ns/a/x.yaml", "x\n")])
    assert state(tmp_path) == before
    assert list(outside.iterdir()) == []

    linked = tmp_path / "linked"
    linked.symlink_to(outside, target_is_directory=True)
    with pytest.raises(UnsafePathError, match="symlink"):
        write_tree(linked, [generated("ns/a/x.yaml", "x\n")])
    assert list(outside.iterdir()) == []


def test_a_directory_in_the_way_is_reported_and_nothing_changes(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    write_tree(out, [generated("ns/a/x.yaml", "x\n")])
    (out / "ns/a/y.yaml").mkdir()
    before = state(tmp_path)
    with pytest.raises(UnsafePathError, match=r"ns/a/y.yaml is a directory"):
        write_tree(out, [generated("ns/a/x.yaml", "x2\n"), generated("ns/a/y.yaml", "y\n")])
    assert state(tmp_path) == before


def test_a_disk_error_while_staging_changes_nothing(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "rendered"
    write_tree(out, [generated("ns/a/x.yaml", "x\n")])
    before = state(tmp_path)
    real = write_module._write_new
    calls = []

    def disk_full(path: Path, data: bytes) -> None:  # the disk fills up at the 2nd file
        calls.append(path)
        if len(calls) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        real(path, data)

    monkeypatch.setattr(write_module, "_write_new", disk_full)
    with pytest.raises(OSError, match="No space left"):
        write_tree(out, [generated("ns/a/x.yaml", "x2\n"), generated("ns/b/y.yaml", "y\n")])
    assert state(tmp_path) == before  # the staging folder is gone too


def test_the_two_rename_fallback_gives_the_same_tree(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    files = [generated("ns/a/x.yaml", "x\n"), generated("ns/b/y.yaml", "y\n")]
    write_tree(tmp_path / "one", files[:1])
    write_tree(tmp_path / "one", files)
    monkeypatch.setenv(NO_EXCHANGE_ENV, "1")
    write_tree(tmp_path / "two", files[:1])
    write_tree(tmp_path / "two", files)
    assert state(tmp_path / "one") == state(tmp_path / "two")
    assert staging_folders(tmp_path / "two") == []


def test_recovery_puts_back_a_tree_moved_away_by_a_dead_fallback(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    write_tree(out, [generated("ns/a/x.yaml", "x\n")])
    before = state(out)
    # What a render killed between the two renames of the fallback leaves.
    staging = tmp_path / "rendered.wfchain-dead.tmp"
    staging.mkdir()
    (staging / "tree").mkdir()
    (staging / "tree" / "half.yaml").write_text("half\n")
    out.rename(staging / "old")
    assert recover(out) == ["rendered.wfchain-dead.tmp"]
    assert state(out) == before
    assert not staging.exists()


def test_leftover_staging_folders_are_removed_by_the_next_render(tmp_path: Path) -> None:
    out = tmp_path / "rendered"
    write_tree(out, [generated("ns/a/x.yaml", "x\n")])
    (tmp_path / "rendered.wfchain-old.tmp" / "tree").mkdir(parents=True)
    (tmp_path / "rendered.other.tmp").mkdir()  # not wfchain's: left alone
    report = write_tree(out, [generated("ns/a/x.yaml", "x\n")])
    assert report.recovered == ["rendered.wfchain-old.tmp"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rendered", "rendered.other.tmp"]


# ---------------------------------------------------------------------------- SIGKILL

@dataclass
class Change:
    old: Path  # a rendered project whose sources then changed
    new: Path  # the same, rendered after the change
    files: list[RenderedFile]  # what a render of the changed sources writes


@pytest.fixture(scope="module")
def changing_project(tmp_path_factory: pytest.TempPathFactory) -> Change:
    """A rendered project whose sources changed so that a render writes, adds and prunes
    files; rendered/ also holds foreign files and a symlink."""
    base = small_project(tmp_path_factory.mktemp("kill") / "project")
    render_in_process(base)
    (base / "rendered" / "NOTES.md").write_text("kept by hand\n")
    (base / "rendered" / "analytics" / "README").write_text("mine\n")
    (base / "rendered" / "docs").symlink_to("../templates")
    instances = base / "instances" / "analytics"
    text = (instances / "sales-eu.yaml").read_text()
    (instances / "sales-eu.yaml").write_text(text.replace('"0 2 * * *"', '"30 3 * * *"'))
    (instances / "sales-cn.yaml").rename(instances / "sales-apac.yaml")
    new = tmp_path_factory.mktemp("kill-new") / "project"
    shutil.copytree(base, new, symlinks=True)
    result = build(new)
    assert result.ok, result.diagnostics
    write_tree(new / "rendered", result.files)
    return Change(base, new, result.files)


POINTS = ["files:1", "files:4", "commit", "committed"]


@pytest.mark.parametrize("point", [*POINTS, "moved"])
def test_sigkill_at_any_point_leaves_the_old_or_the_new_tree(
        tmp_path: Path, changing_project: Change, point: str) -> None:
    old, new = changing_project.old, changing_project.new
    project = tmp_path / "project"
    shutil.copytree(old, project, symlinks=True)
    before = state(project / "rendered")
    extra = {"WFCHAIN_TEST_PAUSE": point}
    if point == "moved":  # only the two-rename fallback has this point
        extra[NO_EXCHANGE_ENV] = "1"
    start(project, "render", until=f"test pause at {point}", **extra).kill()
    if point == "committed":
        assert state(project / "rendered") == state(new / "rendered")
    elif point == "moved":
        assert not (project / "rendered").exists()  # the next run puts it back
    else:
        assert state(project / "rendered") == before
    assert len(staging_folders(project / "rendered")) == 1
    # The next render finishes and cleans up.
    report = write_tree(project / "rendered", changing_project.files)
    assert len(report.recovered) == 1
    assert state(project / "rendered") == state(new / "rendered")
    assert staging_folders(project / "rendered") == []
    assert sorted(p.name for p in project.iterdir()) == ["instances", "rendered", "templates"]


def test_a_render_that_fails_validation_changes_nothing(
        tmp_path: Path, changing_project: Change) -> None:
    project = tmp_path / "project"
    shutil.copytree(changing_project.old, project, symlinks=True)
    broken = project / "instances" / "analytics" / "sales-eu.yaml"
    broken.write_text(broken.read_text().replace('"30 3 * * *"', '"61 3 * * *"'))
    before = state(project)
    result = wfchain(project, "render")
    assert result.returncode == 1
    assert "sales-eu.yaml" in result.stdout and "nothing written" in result.stderr
    assert state(project) == before


# ---------------------------------------------------------------------------- two at once

def test_concurrent_renders_take_turns(tmp_path: Path, changing_project: Change) -> None:
    old, new = changing_project.old, changing_project.new
    project = tmp_path / "project"
    shutil.copytree(old, project, symlinks=True)
    first = start(project, "render", until="test pause at commit",
                  WFCHAIN_TEST_PAUSE="commit")
    impatient = wfchain(project, "render", "--lock-timeout", "0")
    assert impatient.returncode == 3
    assert "another wfchain process" in impatient.stderr
    assert "gave up after 0 s" in impatient.stderr and "nothing written" in impatient.stderr
    second = start(project, "render", until="waiting up to 60 s")
    first.kill()  # the kernel drops the dead process's lock; the waiting render goes on
    assert second.wait() == 0
    assert state(project / "rendered") == state(new / "rendered")
    assert staging_folders(project / "rendered") == []
