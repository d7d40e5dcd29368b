"""Read Kubernetes manifests for ``wfchain verify``: files, folders, multi-document YAML.

:class:`generator.load.YamlLoader` reads one document per file and keeps the
position of every node.  Hand-written manifests often hold several documents
separated by ``---``; :func:`split_documents` cuts the text at the document
markers (lines starting with ``---`` or ``...`` in column 1, which YAML forbids
inside any scalar) and each part is loaded with the lines before it blanked out,
so that positions stay those of the whole file.  Duplicate keys are errors (the
loader rejects them).

Rendered files (``wfchain render`` verifying what it is about to write) are
parsed without positions (:func:`parse_rendered`, fast); positions are computed
only for a file that has a finding (:meth:`Manifest.document`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from generator.diagnostics import Diagnostic, JsonPath, Level, json_path
from generator.load import Document, LoadError, YamlLoader

# libyaml's parser: about 20 times faster than a pure-Python one
_FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_MARKER = re.compile(r"^(?:---|\.\.\.)(?:[ \t]|$)")
YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class Manifest:
    """One YAML document of a file, as plain data, with a way to find positions."""

    file: str
    index: int
    data: Any
    #: positions of the document (loaded lazily from ``text`` when not given)
    positions: Document | None = None
    #: the document's text with the lines before it blanked (for lazy positions)
    text: str | None = field(default=None, repr=False)

    # ------------------------------------------------------------------ identity
    @property
    def api_version(self) -> str:
        value = self.data.get("apiVersion") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else ""

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def kind(self) -> str:
        value = self.data.get("kind") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else ""

    @property
    def metadata(self) -> dict[str, Any]:
        value = self.data.get("metadata") if isinstance(self.data, dict) else None
        return value if isinstance(value, dict) else {}

    @property
    def name(self) -> str:
        value = self.metadata.get("name")
        return value if isinstance(value, str) else ""

    @property
    def namespace(self) -> str:
        """``metadata.namespace``, '' when unset (the namespace it is applied to)."""
        value = self.metadata.get("namespace")
        return value if isinstance(value, str) else ""

    @property
    def spec(self) -> dict[str, Any]:
        value = self.data.get("spec") if isinstance(self.data, dict) else None
        return value if isinstance(value, dict) else {}

    def describe(self) -> str:
        return f"{self.kind} '{self.name}'"

    # ------------------------------------------------------------------ positions
    def document(self, loader: YamlLoader | None = None) -> Document | None:
        if self.positions is None and self.text is not None:
            try:
                self.positions = (loader or YamlLoader()).load_bytes(
                    self.text.encode("utf-8"), self.file)
            except LoadError:
                return None
        return self.positions

    def diagnostic(self, path: JsonPath, message: str, check: str, *,
                   level: Level = Level.ERROR, key: bool = False) -> Diagnostic:
        document = self.document()
        line, column = document.position(path, key=key) if document else (0, 0)
        return Diagnostic(self.file, line, column, json_path(path), message, check, level)


def split_documents(text: str) -> list[tuple[int, str]]:
    """``(document number, text)`` of each non-empty document.  A document's text
    keeps the lines before it as empty lines (and its ``---`` marker as spaces), so
    that a loader reports line and column numbers of the whole file."""
    lines = text.split("\n")
    markers = [number for number, line in enumerate(lines) if _MARKER.match(line)]
    parts: list[tuple[int, str]] = []
    begin = 0
    for number, end in enumerate([*markers, len(lines)]):
        body = lines[begin:end]
        if body and begin in markers:
            body[0] = "   " + body[0][3:]
        if any(line.strip() and not line.lstrip().startswith("#") for line in body):
            parts.append((number, "\n" * begin + "\n".join(body) + "\n"))
        begin = end
    return parts


def load_text(loader: YamlLoader, raw: bytes, display: str
              ) -> tuple[list[Manifest], list[Diagnostic]]:
    """Every non-empty document of one file."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # let the loader produce its positioned encoding diagnostic
        try:
            loader.load_bytes(raw, display)
        except LoadError as exc:
            return [], [exc.diagnostic]
        return [], []
    manifests: list[Manifest] = []
    problems: list[Diagnostic] = []
    for index, part in split_documents(text):
        try:
            document = loader.load_bytes(part.encode("utf-8"), display)
        except LoadError as exc:
            problems.append(exc.diagnostic)
            continue
        if document.data is None:
            continue
        manifests.append(Manifest(display, index, document.data, document))
    return manifests, problems


def collect_files(paths: Sequence[Path]) -> tuple[list[tuple[Path, str]], list[str]]:
    """``(path, display)`` of every YAML file under the given files and folders
    (folders recursively, hidden entries skipped, sorted), and the paths that do not
    exist."""
    found: list[tuple[Path, str]] = []
    missing: list[str] = []
    for path in paths:
        if path.is_dir():
            for child in sorted(_walk(path), key=lambda p: p.as_posix()):
                found.append((child, child.as_posix()))
        elif path.is_file():
            found.append((path, path.as_posix()))
        else:
            missing.append(str(path))
    seen: set[Path] = set()
    unique: list[tuple[Path, str]] = []
    for path, display in found:
        resolved = path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append((path, display))
    return unique, missing


def _walk(folder: Path) -> Iterator[Path]:
    for child in folder.iterdir():
        if child.name.startswith("."):
            continue
        if child.is_dir():
            yield from _walk(child)
        elif child.is_file() and child.name.endswith(YAML_SUFFIXES):
            yield child


def load_files(files: Iterable[tuple[Path, str]], loader: YamlLoader | None = None
               ) -> tuple[list[Manifest], list[Diagnostic]]:
    loader = loader or YamlLoader()
    manifests: list[Manifest] = []
    problems: list[Diagnostic] = []
    for path, display in files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            problems.append(Diagnostic(display, 1, 1, "$",
                                       f"cannot read file: {exc.strerror}", "io"))
            continue
        found, errors = load_text(loader, raw, display)
        manifests += found
        problems += errors
    return manifests, problems


def parse_rendered(text: str, display: str) -> Manifest:
    """A rendered (single-document, machine-written) file, parsed without positions."""
    data = yaml.load(text, Loader=_FastLoader)  # noqa: S506 - a safe loader
    return Manifest(display, 0, data, None, text)
