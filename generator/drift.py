"""The drift check: is ``rendered/`` exactly what ``wfchain render`` would write?

``wfchain render --check`` builds everything in memory, compares it with the output
folder and changes nothing. Every generated file that differs gets a status and a
unified diff from what is on disk (``a/rendered/...``) to what a render would write
(``b/rendered/...``):

- ``stale``: the sources changed since the file was rendered;
- ``missing``: a render would create it;
- ``orphaned``: wfchain wrote it, but no instance produces it any more;
- ``edited``: it is not what wfchain wrote (the manifest records the sha256 of
  every file wfchain wrote), so someone changed it by hand.

Files wfchain does not own are not drift; they are listed as foreign.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from generator.diagnostics import Diagnostic, Format
from generator.lock import DEFAULT_TIMEOUT, output_lock
from generator.render import RenderedFile
from generator.write import (
    MANIFEST,
    Snapshot,
    expected_files,
    safe_relative,
    scan,
    sha256,
    staging_folders,
)


class Status(StrEnum):
    STALE = "stale"
    MISSING = "missing"
    ORPHANED = "orphaned"
    EDITED = "edited"


_MESSAGES = {
    Status.STALE: "its sources changed since it was rendered; run `wfchain render`",
    Status.MISSING: "a render would create it; run `wfchain render`",
    Status.ORPHANED: "no instance produces it any more; run `wfchain render` to remove it",
    Status.EDITED: "changed by hand since wfchain wrote it, and a render would overwrite "
                   "it; change the instance or template instead and run `wfchain render`",
}
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@", re.MULTILINE)


@dataclass(frozen=True)
class FileDrift:
    """One generated file that is not what a render would write."""

    path: str  # as shown to the user: <output>/<relative path>
    status: Status
    diff: str

    @property
    def message(self) -> str:
        return _MESSAGES[self.status]

    @property
    def line(self) -> int:
        """First line of the file on disk that differs (1 when it does not exist)."""
        match = _HUNK.search(self.diff)
        if match is None or self.status is Status.MISSING:
            return 1
        return max(int(match.group(1)), 1)

    def diagnostic(self) -> Diagnostic:
        return Diagnostic(self.path, self.line, 1, "$", f"{self.status.value}: {self.message}",
                          "drift")

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "status": self.status.value, "line": self.line,
                "message": self.message, "diff": self.diff}


@dataclass
class DriftReport:
    output: str  # the output folder as shown to the user, e.g. "rendered"
    drifts: list[FileDrift] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    #: staging folders of interrupted renders (the next render removes them)
    leftovers: list[str] = field(default_factory=list)

    @property
    def current(self) -> bool:
        return not self.drifts

    def counts(self) -> dict[str, int]:
        return {status.value: sum(1 for d in self.drifts if d.status is status)
                for status in Status}


def unified_diff(old: bytes | None, new: bytes | None, shown: str) -> str:
    """A git-style unified diff; ``None`` stands for a file that does not exist."""
    before = _lines(old)
    after = _lines(new)
    out = []
    for line in difflib.unified_diff(before, after,
                                     f"a/{shown}" if old is not None else "/dev/null",
                                     f"b/{shown}" if new is not None else "/dev/null"):
        out.append(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n")
    return "".join(out)


def _lines(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return data.decode("utf-8", errors="replace").splitlines(keepends=True)


def check(output: Path, files: Iterable[RenderedFile], *, shown: str, complete: bool = True,
          lock_timeout: float = DEFAULT_TIMEOUT,
          on_wait: Callable[[str], None] | None = None) -> DriftReport:
    """Compare ``output`` with ``files``. ``complete``: ``files`` is the whole render, so
    files wfchain owns that are not among them are orphans, and the manifest counts;
    otherwise (some instances only) just ``files`` are compared."""
    report = DriftReport(shown)
    if not output.parent.is_dir():
        snapshot = scan(output)
        return _compare(report, snapshot, files, complete)
    with output_lock(output, shared=True, timeout=lock_timeout, on_wait=on_wait):
        report.leftovers = [path.name for path in staging_folders(output)]
        snapshot = scan(output)
        return _compare(report, snapshot, files, complete)


def _compare(report: DriftReport, snapshot: Snapshot, files: Iterable[RenderedFile],
             complete: bool) -> DriftReport:
    if complete:
        wanted = expected_files(files, snapshot, prune=True)
    else:
        wanted = {safe_relative(f.path): f.content.encode("utf-8") for f in files}
    for path, data in sorted(wanted.items()):
        shown = f"{report.output}/{path}"
        if not snapshot.is_file(path):
            report.drifts.append(FileDrift(shown, Status.MISSING,
                                           unified_diff(None, data, shown)))
            continue
        current = snapshot.read(path)
        if current == data:
            continue
        recorded = snapshot.manifest.get(path)
        edited = recorded is not None and recorded != sha256(current)
        report.drifts.append(FileDrift(shown, Status.EDITED if edited else Status.STALE,
                                       unified_diff(current, data, shown)))
    for path, entry in sorted(snapshot.entries.items()):
        if entry.kind == "dir" or path in wanted:
            continue
        shown = f"{report.output}/{path}"
        if path != MANIFEST and snapshot.owned(path):
            if complete:
                report.drifts.append(FileDrift(shown, Status.ORPHANED,
                                               unified_diff(snapshot.read(path), None, shown)))
        elif path != MANIFEST:
            report.foreign.append(shown)
    return report


def format_report(report: DriftReport, fmt: Format,
                  diagnostics: Sequence[Diagnostic] = ()) -> str:
    """What goes to stdout: the diffs (text), annotations plus grouped diffs (github),
    or one JSON object (json)."""
    if fmt == "json":
        document = {
            "output": report.output,
            "current": report.current and not diagnostics,
            "counts": report.counts(),
            "files": [d.as_dict() for d in report.drifts],
            "foreign": report.foreign,
            "leftovers": report.leftovers,
            "diagnostics": [d.as_dict() for d in diagnostics],
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if fmt == "github":
        out = [d.diagnostic().github() + "\n" for d in report.drifts]
        for drift in report.drifts:
            out.append(f"::group::{drift.status.value}: {drift.path}\n")
            out.append(drift.diff)
            out.append("::endgroup::\n")
        return "".join(out)
    return "".join(d.diff for d in report.drifts)


def summary(report: DriftReport) -> list[str]:
    """Lines for stderr: one per file, then the verdict."""
    lines = [f"{d.path}: {d.status.value}: {d.message}" for d in report.drifts]
    lines += [f"{path}: left alone (not generated by wfchain)" for path in report.foreign]
    lines += [f"{name}: left by an interrupted render; the next `wfchain render` removes it"
              for name in report.leftovers]
    if report.current:
        lines.append(f"{report.output}/ is up to date")
    else:
        counts = ", ".join(f"{n} {status}" for status, n in report.counts().items() if n)
        lines.append(f"{report.output}/ is out of date ({counts}): run `wfchain render` "
                     "and commit the result")
    return lines
