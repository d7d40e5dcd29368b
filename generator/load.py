"""Stage 1: read YAML files into plain data, keeping where every key and value stands.

wfchain reads instances, templates and its config with ruamel.yaml's round-trip
loader, which records the line and column of every node.  We convert the tree to
plain ``dict``/``list``/``str``/``int``/``float``/``bool``/``None`` values (what
JSON Schema and the renderer want) and keep a side table of positions keyed by the
JSON path of each node, so that any later stage can point at ``file:line:col``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, TaggedScalar
from ruamel.yaml.constructor import ConstructorError, DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.reader import ReaderError
from ruamel.yaml.scalarbool import ScalarBoolean

from generator.diagnostics import Diagnostic, JsonPath, Level, json_path

Position = tuple[int, int]

#: Files larger than this are refused before parsing (instances and templates are small).
MAX_FILE_BYTES = 1024 * 1024
#: Deeper nesting than this is refused (no legitimate template needs it).
MAX_DEPTH = 64
#: At most this many values may be copied in by aliases (``*name``, ``<<: *name``):
#: nine nested aliases of ten items each ("billion laughs") would be 10**9 values.
MAX_ALIAS_VALUES = 100_000
#: Integers must fit in 64 bits (Kubernetes' int64; Python could not even print
#: the huge ones).
MAX_INT_BITS = 64

_CORE_TAG = "tag:yaml.org,2002:"
#: The only YAML tags a node may carry: what JSON has, plus dates and merge keys.
_ALLOWED_TAGS = frozenset(_CORE_TAG + name for name in (
    "str", "int", "float", "bool", "null", "map", "seq", "timestamp", "merge"))
_SURROGATE = re.compile("[\ud800-\udfff]")
_INT_TAG = _CORE_TAG + "int"
_STR_TAG = _CORE_TAG + "str"
_DECIMAL = re.compile(r"[-+]?[0-9][0-9_]*")
_BOM = "\ufeff"


class _TooBig:
    """An integer with more digits than Python converts (thousands): far beyond 64 bits."""


def resolved(path: Path) -> Path | None:
    """``path`` with every symbolic link resolved; None for a link loop (or a path the
    system cannot resolve), which no caller may follow."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def leads_outside(root: Path, path: Path) -> bool:
    """Whether ``path`` leads out of ``root`` (through a symbolic link), or loops."""
    target, base = resolved(path), resolved(root)
    return target is None or base is None or not target.is_relative_to(base)


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


def _alias_hint(text: str, line: int) -> str:
    """A hint for the classic mistake ``schedule: * * * * *``: unquoted, ``*`` starts an
    alias."""
    lines = text.split("\n")
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    if re.search(r"(?:^|:\s|-\s)\*[\s*]", source):
        return " (a plain value cannot start with '*', which YAML reads as an alias: quote it, " \
            "e.g. schedule: \"*/5 * * * *\")"
    return ""


def _tag_name(tag: str) -> str:
    return "!!" + tag[len(_CORE_TAG):] if tag.startswith(_CORE_TAG) else tag


class _NodeError(ConstructorError):
    """A node wfchain refuses, with the check to report it under."""

    def __init__(self, problem: str, mark: Any, check: str) -> None:
        super().__init__(None, None, problem, mark)
        self.check = check


def _short(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


class _Constructor(RoundTripConstructor):
    """ruamel's round-trip constructor, refusing every tag but the core ones before it
    builds anything (``!!python/object``, ``!!binary``, ``!!set``, ``!custom``, ...), and
    turning a value its tag cannot read (``!!int abc``) into an error at the node."""

    def construct_object(self, node: Any, deep: bool = False) -> Any:
        tag = getattr(node.tag, "value", node.tag)
        if isinstance(tag, str) and tag not in _ALLOWED_TAGS:
            raise _NodeError(f"YAML tag '{_tag_name(tag)}' is not supported", node.start_mark,
                             "yaml-tag")
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, KeyError, ArithmeticError):
            if tag == _INT_TAG and isinstance(node.value, str) and \
                    _DECIMAL.fullmatch(node.value):
                # too many digits for Python to convert: the converter reports it at its path
                return _TooBig()
            what = _short(node.value) if isinstance(node.value, str) else "the value"
            raise _NodeError(f"cannot read {what} as {_tag_name(str(tag))}", node.start_mark,
                             "yaml-tag") from None


class YamlLoader:
    """One parser for a whole run (constructing ruamel's YAML() per file is costly)."""

    def __init__(self) -> None:
        self._yaml = self._parser()

    @staticmethod
    def _parser() -> YAML:
        yaml = YAML(typ="rt", pure=True)
        yaml.Constructor = _Constructor
        # ruamel >= 0.19 stops composing deeper documents (before Python's recursion limit);
        # the converter reports nesting beyond MAX_DEPTH with the exact path first.
        yaml.max_depth = MAX_DEPTH + 16
        yaml.allow_duplicate_keys = False
        yaml.preserve_quotes = True
        return yaml

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
        if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            raise fail("file is UTF-16 (it starts with a UTF-16 byte-order mark): save it as "
                       "UTF-8", "encoding")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            start = raw.rfind(b"\n", 0, exc.start) + 1
            line = raw[: exc.start].count(b"\n") + 1
            column = len(raw[start : exc.start].decode("utf-8")) + 1
            raise fail(f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x})", "encoding",
                       line, column) from None
        if text.startswith(_BOM):
            raise fail("file starts with a byte-order mark (U+FEFF): save it as UTF-8 without "
                       "BOM", "encoding")
        if "\x00" in text:
            line, column = _text_position(text, text.index("\x00"))
            utf16 = text.count("\x00") * 4 > len(text)  # every other byte of ASCII text
            hint = " (is it UTF-16? save it as UTF-8)" if utf16 else ""
            raise fail(f"file contains a NUL character{hint}", "encoding", line,
                       column) from None
        loaded = False
        try:
            node = self._yaml.load(text)
            loaded = True
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
            if isinstance(exc, _NodeError):
                raise fail(problem, exc.check, line, column) from None
            if type(exc).__name__ == "MaxDepthExceededError":
                raise fail(_TOO_DEEP, "size", line, column) from None
            if type(exc).__name__ == "ComposerError" and "another document" in problem:
                raise fail("a second YAML document starts here: a file holds exactly one",
                           "yaml-syntax", line, column) from None
            raise fail(_one_line(problem) + _alias_hint(text, line), "yaml-syntax", line,
                       column) from None
        except ReaderError as exc:
            line, column = _text_position(text, exc.position)
            char = exc.character if isinstance(exc.character, int) else 0
            what = f"the control character U+{char:04X}" if char < 0x20 or 0x7F <= char < 0xA0 \
                else f"the character U+{char:04X}"
            raise fail(f"file contains {what}, which YAML does not allow as it is (write it "
                       f"as an escape in a double-quoted string: \"\\u{char:04x}\")",
                       "encoding", line, column) from None
        except YAMLError as exc:
            raise fail(_one_line(str(exc)), "yaml-syntax") from None
        except RecursionError:
            raise fail(_TOO_DEEP, "size") from None
        finally:
            if not loaded:
                # A load that failed part-way leaves ruamel's composer mid-document (its
                # depth counter, the anchors seen): the next file would inherit them.
                self._yaml = self._parser()
            # ruamel keeps one record per loaded document in a reused YAML(); drop them.
            doc_infos = getattr(self._yaml, "doc_infos", None)
            if isinstance(doc_infos, list):
                doc_infos.clear()
        document = Document(display, None)
        document.data = _Converter(document).convert(node, (), 0)
        return document


_TOO_DEEP = f"YAML nesting is too deep (at most {MAX_DEPTH} levels)"


def _one_line(message: str) -> str:
    return " ".join(message.split())


def _text_position(text: str, offset: int) -> Position:
    """1-based (line, column) of the character at ``offset``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


class _Converter:
    def __init__(self, document: Document) -> None:
        self.document = document
        self.problems: list[Diagnostic] = []
        #: ids of the collections converted so far, and how many values aliases copied
        self.seen: set[int] = set()
        self.copied = 0

    def fail(self, path: JsonPath, message: str, check: str) -> LoadError:
        return LoadError(self.document.diagnostic(path, message, check))

    def convert(self, node: Any, path: JsonPath, depth: int) -> Any:
        if depth > MAX_DEPTH:
            raise self.fail(path, _TOO_DEEP, "size")
        if isinstance(node, _TooBig):
            raise self.fail(path, f"integer does not fit in {MAX_INT_BITS} bits", "size")
        if isinstance(node, TaggedScalar) and getattr(node.tag, "value", None) == _STR_TAG:
            # ``!!str 0123``: a core tag, which ruamel keeps as a TaggedScalar; a string,
            # and never a native placeholder
            text = str(node.value)
            if _SURROGATE.search(text):
                raise self.fail(path, _SURROGATE_MESSAGE, "encoding")
            return text
        if isinstance(node, TaggedScalar) or _custom_tag(node):
            raise self.fail(path, "custom YAML tags are not supported", "yaml-tag")
        if isinstance(node, CommentedMap | CommentedSeq):
            if id(node) in self.seen:  # an alias: every value below is a copy
                self.copied += len(node)
                if self.copied > MAX_ALIAS_VALUES:
                    raise self.fail(path, f"YAML aliases expand to more than {MAX_ALIAS_VALUES}"
                                    " values", "size")
            self.seen.add(id(node))
        if isinstance(node, CommentedMap):
            out: dict[str, Any] = {}
            for key in node:
                kline, kcol, vline, vcol = _key_position(node, key)
                if not isinstance(key, str):
                    raise LoadError(
                        Diagnostic(
                            self.document.file,
                            kline + 1,
                            kcol + 1,
                            json_path(path),
                            f"mapping key {key!r} is not a string",
                            "yaml-key",
                        )
                    )
                child = (*path, key)
                self.document.keys[child] = (kline + 1, kcol + 1)
                if node[key] is None and vline > kline:
                    # an empty value ("key:" and nothing after it): ruamel places it where
                    # the next node starts, possibly past the end of the file
                    vline, vcol = kline, kcol + len(key) + 1
                self.document.values[child] = (vline + 1, vcol + 1)
                if _SURROGATE.search(key):
                    raise self.fail(child, _SURROGATE_MESSAGE, "encoding")
                out[key] = self.convert(node[key], child, depth + 1)
            return out
        if isinstance(node, CommentedSeq):
            items: list[Any] = []
            for index, item in enumerate(node):
                child = (*path, index)
                line, column = _item_position(node, index)
                self.document.values[child] = (line + 1, column + 1)
                items.append(self.convert(item, child, depth + 1))
            return items
        if isinstance(node, str) and _SURROGATE.search(node):
            raise self.fail(path, _SURROGATE_MESSAGE, "encoding")
        if isinstance(node, int) and not isinstance(node, bool) and \
                node.bit_length() > MAX_INT_BITS:
            raise self.fail(path, f"integer does not fit in {MAX_INT_BITS} bits", "size")
        if type(node) is str and "${{" in node:
            self.document.plain_placeholders.add(path)
        return _scalar(node)


_SURROGATE_MESSAGE = ("string holds a UTF-16 surrogate ('\\ud800'-'\\udfff'), which is not "
                      "a character (write '\\U0001F600', not '\\ud83d\\ude00')")


def _own_position(node: Any) -> tuple[int, int]:
    lc = getattr(node, "lc", None)
    line, column = getattr(lc, "line", None), getattr(lc, "col", None)
    return (line, column) if isinstance(line, int) and isinstance(column, int) else (0, 0)


def _key_position(node: CommentedMap, key: Any) -> tuple[int, int, int, int]:
    """(key line, key column, value line, value column), 0-based. A key that a merge
    (``<<: *base``) brought in stands where the merged mapping has it."""
    entry = node.lc.data.get(key) if isinstance(node.lc.data, dict) else None
    if isinstance(entry, list | tuple) and len(entry) >= 4 and \
            all(isinstance(v, int) for v in entry[:4]):
        return entry[0], entry[1], entry[2], entry[3]
    for merged in getattr(node, "merge", None) or ():
        source = merged[-1] if isinstance(merged, tuple) else merged
        if isinstance(source, CommentedMap) and key in source:
            return _key_position(source, key)
    line, column = _own_position(node)
    return line, column, line, column


def _item_position(node: CommentedSeq, index: int) -> tuple[int, int]:
    entry = node.lc.data.get(index) if isinstance(node.lc.data, dict) else None
    if isinstance(entry, list | tuple) and len(entry) >= 2 and \
            all(isinstance(v, int) for v in entry[:2]):
        return entry[0], entry[1]
    return _own_position(node)


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
