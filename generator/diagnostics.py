"""Problems are values.

Every stage of the pipeline returns :class:`Diagnostic` values instead of raising; the
CLI sorts them and prints them in one format::

    path:line:col: [level] $.json.path: message (check)

``--format json`` prints the same records as a JSON array and ``--format github``
prints GitHub Actions workflow commands (``::error file=...``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

JsonPath = tuple[str | int, ...]
Format = Literal["text", "json", "github"]
FORMATS: tuple[Format, ...] = ("text", "json", "github")

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


def json_path(path: JsonPath) -> str:
    """Render a path as a JSONPath: ``$.spec.templates[0]['odd key']``."""
    out = ["$"]
    for part in path:
        if isinstance(part, int):
            out.append(f"[{part}]")
        elif _PLAIN_KEY.match(part):
            out.append(f".{part}")
        else:
            out.append("[" + json.dumps(part, ensure_ascii=False).replace('"', "'") + "]")
    return "".join(out)


@dataclass(frozen=True, order=True)
class Diagnostic:
    """One problem in one file. Line and column are 1-based (0 when unknown)."""

    file: str
    line: int
    column: int
    path: str
    message: str
    check: str
    level: Level = Level.ERROR

    def text(self) -> str:
        return (
            f"{visible(self.file)}:{self.line}:{self.column}: [{self.level.value}] "
            f"{visible(self.path)}: {visible(self.message)} ({self.check})"
        )

    def github(self) -> str:
        command = "error" if self.level is Level.ERROR else "warning"
        message = visible(f"{self.path}: {self.message} ({self.check})")
        return (
            f"::{command} file={_gh_property(visible(self.file))},line={self.line},"
            f"col={self.column},"
            f"title={_gh_property('wfchain ' + self.check)}::{_gh_data(message)}"
        )

    def as_dict(self) -> dict[str, str | int]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "level": self.level.value,
            "path": self.path,
            "message": self.message,
            "check": self.check,
        }


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 \
        else f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` on one line with nothing hidden: control characters (newlines, escape
    sequences, NUL), invisible and bidirectional format characters (zero-width joiners,
    right-to-left overrides) and unusual spaces are written as escapes such as ``\\n``
    and ``\\u200d``, so a hostile name can neither forge a diagnostic line nor hide."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else _escape(c) for c in text)


def foreign_characters(name: str) -> str:
    """Names the characters of ``name`` beyond ASCII: a Cyrillic or fullwidth letter
    looks like the Latin one it imitates, and a zero-width joiner looks like nothing.
    '' for ASCII, else ``; it contains U+0430 CYRILLIC SMALL LETTER A, ...``."""
    odd = sorted({c for c in name if ord(c) > 0x7F}, key=name.index)
    if not odd:
        return ""
    shown = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, 'unnamed character')}"
                      for c in odd[:3])
    return f"; it contains {shown}{', ...' if len(odd) > 3 else ''}"


def _gh_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(value: str) -> str:
    return _gh_data(value).replace(":", "%3A").replace(",", "%2C")


def has_errors(diagnostics: Iterable[Diagnostic]) -> bool:
    return any(d.level is Level.ERROR for d in diagnostics)


def finalize(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Deduplicate and sort: by file, position, then message."""
    return sorted(set(diagnostics))


def format_diagnostics(diagnostics: Sequence[Diagnostic], fmt: Format) -> str:
    """The report for a list of (already finalized) diagnostics, '' when there are none
    in text/github format; json always prints an array."""
    if fmt == "json":
        return json.dumps([d.as_dict() for d in diagnostics], indent=2, ensure_ascii=False) + "\n"
    if fmt == "github":
        return "".join(d.github() + "\n" for d in diagnostics)
    return "".join(d.text() + "\n" for d in diagnostics)
