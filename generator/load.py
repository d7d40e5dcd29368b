"""Stage 1: read YAML files into plain data, keeping where every key and value stands.

wfchain reads instances, templates and its config with ruamel.yaml's round-trip
loader, which records the line and column of every node.  We convert the tree to
plain ``dict``/``list``/``str``/``int``/``float``/``bool``/``None`` values (what
JSON Schema and the renderer want) and keep a side table of positions keyed by the
JSON path of each node, so that any later stage can point at ``file:line:col``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarbool import ScalarBoolean

from generator.diagnostics import Diagnostic, JsonPath, Level, json_path

Position = tuple[int, int]

#: Files larger than this are refused before parsing (instances and templates are small).
MAX_FILE_BYTES = 1024 * 1024
#: Deeper nesting than this is refused (no legitimate template needs it).
MAX_DEPTH = 64


class LoadError(Exception):
    """A file could not be turned into data; carries the diagnostic to report."""

    def __init__(self, diagnostic: Diagnostic) -> None:
        super().__init__(diagnostic.text())
        self.diagnostic = diagnostic


@dataclass
class Document:
    """Plain data loaded from one YAML file, with positions (1-based line, column)."""

    file: str
    data: Any
    values: dict[JsonPath, Position] = field(default_factory=dict)
    keys: dict[JsonPath, Position] = field(default_factory=dict)
    #: paths of plain (unquoted) scalars that contain a ``${{`` placeholder
    plain_placeholders: set[JsonPath] = field(default_factory=set)

    def position(self, path: JsonPath, *, key: bool = False) -> Position:
        """Where the node at ``path`` stands; falls back to the closest known parent."""
        table = self.keys if key else self.values
        if path in table:
            return table[path]
        if key and path in self.values:
            return self.values[path]
        while path:
            path = path[:-1]
            if path in self.values:
                return self.values[path]
        return (1, 1)

    def diagnostic(
        self,
        path: JsonPath,
        message: str,
        check: str,
        *,
        key: bool = False,
        level: Level = Level.ERROR,
    ) -> Diagnostic:
        line, column = self.position(path, key=key)
        return Diagnostic(self.file, line, column, json_path(path), message, check, level)


class YamlLoader:
    """One parser for a whole run (constructing ruamel's YAML() per file is costly)."""

    def __init__(self) -> None:
        self._yaml = YAML(typ="rt", pure=True)
        self._yaml.allow_duplicate_keys = False
        self._yaml.preserve_quotes = True

    def load_path(self, path: Path, display: str) -> Document:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise LoadError(
                Diagnostic(display, 1, 1, "$", f"cannot read file: {exc.strerror}", "io")
            ) from None
        return self.load_bytes(raw, display)

    def load_bytes(self, raw: bytes, display: str) -> Document:
        def fail(message: str, check: str, line: int = 1, column: int = 1) -> LoadError:
            return LoadError(Diagnostic(display, line, column, "$", message, check))

        if len(raw) > MAX_FILE_BYTES:
            raise fail(f"file is larger than {MAX_FILE_BYTES} bytes", "size")
        if raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            raise fail("file is not valid UTF-8", "encoding", line, column) from None
        if "\x00" in text:
            offset = text.index("\x00")
            line = text.count("\n", 0, offset) + 1
            raise fail("file contains a NUL character", "encoding", line, 1) from None
        try:
            node = self._yaml.load(text)
        except DuplicateKeyError as exc:
            mark = exc.problem_mark
            line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            first = exc.context_mark.line + 1 if exc.context_mark is not None else 0
            key = _one_line(exc.problem or "").split('"')
            name = key[1] if len(key) > 2 else "?"
            raise fail(f"duplicate key '{name}' (the mapping starts on line {first})",
                       "duplicate-key", line, column) from None
        except MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
            problem = exc.problem or exc.context or "invalid YAML"
            raise fail(_one_line(problem), "yaml-syntax", line, column) from None
        except YAMLError as exc:
            raise fail(_one_line(str(exc)), "yaml-syntax") from None
        except RecursionError:
            raise fail("YAML nesting is too deep", "yaml-syntax") from None
        finally:
            # ruamel keeps one record per loaded document in a reused YAML(); drop them.
            doc_infos = getattr(self._yaml, "doc_infos", None)
            if isinstance(doc_infos, list):
                doc_infos.clear()
        document = Document(display, None)
        document.data = _Converter(document).convert(node, (), 0)
        return document


def _one_line(message: str) -> str:
    return " ".join(message.split())


class _Converter:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.problems: list[Diagnostic] = []

    def convert(self, node: Any, path: JsonPath, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise LoadError(self.document.diagnostic(path, "YAML nesting is too deep", "size"))
        if isinstance(node, TaggedScalar) or _custom_tag(node):
            raise LoadError(
                self.document.diagnostic(path, "custom YAML tags are not supported", "yaml-tag")
            )
        if isinstance(node, CommentedMap):
            out: dict[str, Any] = {}
            for key in node:
                if not isinstance(key, str):
                    line, column = node.lc.key(key)
                    raise LoadError(
                        Diagnostic(
                            self.document.file,
                            line + 1,
                            column + 1,
                            json_path(path),
                            f"mapping key {key!r} is not a string",
                            "yaml-key",
                        )
                    )
                child = (*path, key)
                kline, kcol = node.lc.key(key)
                vline, vcol = node.lc.value(key)
                self.document.keys[child] = (kline + 1, kcol + 1)
                self.document.values[child] = (vline + 1, vcol + 1)
                out[key] = self.convert(node[key], child, depth + 1)
            return out
        if isinstance(node, CommentedSeq):
            items: list[Any] = []
            for index, item in enumerate(node):
                child = (*path, index)
                line, column = node.lc.item(index)
                self.document.values[child] = (line + 1, column + 1)
                items.append(self.convert(item, child, depth + 1))
            return items
        if type(node) is str and "${{" in node:
            self.document.plain_placeholders.add(path)
        return _scalar(node)


def _custom_tag(node: Any) -> bool:
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", None)
    return isinstance(value, str) and value.startswith("!") and not value.startswith("!!")


def _scalar(node: Any) -> Any:
    if node is None:
        return None
    if isinstance(node, bool | ScalarBoolean):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    if isinstance(node, datetime.datetime | datetime.date):
        return node.isoformat()
    return str(node)


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}
