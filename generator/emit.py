"""Stage 5: turn plain data into YAML text, deterministically and fast.

wfchain writes YAML with its own small emitter instead of a general YAML library:
the rendered manifests only contain mappings, sequences, strings, integers, floats,
booleans and nulls, and owning the emitter gives three things a generic dumper does
not: the same bytes on every machine and library version, output that passes
yamllint's default rules, and speed (no representer/serializer machinery).

Rules:
- two-space indentation, block style, sequences indented under their key;
- mapping keys keep their insertion order (the renderer decides the order);
- a string is written plain only when it is unambiguous for YAML 1.1 *and* 1.2
  readers (so ``on``, ``no``, ``1e3``, ``2026-01-01`` and ``0x1`` are quoted);
- multi-line strings use literal block style (``|`` / ``|-``) when that round-trips
  exactly and passes yamllint, else double quotes;
- everything else is double-quoted with JSON-compatible escapes; non-printable
  characters are escaped, other Unicode is written as is (UTF-8);
- a plain or double-quoted scalar that would make its line longer than
  :data:`WIDTH` is folded at single spaces onto continuation lines (YAML folds each
  such line break back into one space, so the value reads back exactly), so long
  values with spaces pass yamllint's ``line-length`` rule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./@=:()+~$^;<-]*(?: [A-Za-z0-9_./@=:()+~$^;<-]+)*$")
_AMBIGUOUS_WORDS = frozenset(
    {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf", "_"}
)
# YAML's printable set, minus what we prefer to escape anyway (tab, CR, NEL, BOM, U+2028/9).
_NEEDS_ESCAPE = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
#: yamllint's line-length limit that rendered files keep where a value allows it
WIDTH = 120
#: A continuation line of a plain scalar starts with one of these (never with an
#: indicator such as '-', '?', ':' that some parsers might read as structure).
_SAFE_START = re.compile(r"[A-Za-z0-9_/(]")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\x00": "\\0"}


def is_plain_safe(value: str) -> bool:
    if not _PLAIN.fullmatch(value):
        return False
    if value.lower() in _AMBIGUOUS_WORDS:
        return False
    # '#' is never allowed; ': ' and a trailing ':' would start a mapping value.
    return ": " not in value and not value.endswith(":")


def quote(value: str) -> str:
    out = []
    for char in value:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            out.append(escaped)
        elif _NEEDS_ESCAPE.match(char):
            code = ord(char)
            if code <= 0xFF:
                out.append(f"\\x{code:02x}")
            elif code <= 0xFFFF:
                out.append(f"\\u{code:04x}")
            else:
                out.append(f"\\U{code:08x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def _literal_ok(value: str) -> bool:
    """Can ``value`` be written as a literal block (| or |-) that reads back exactly?"""
    if "\n" not in value or _NEEDS_ESCAPE.search(value):
        return False
    body = value[:-1] if value.endswith("\n") else value
    if body.endswith("\n") or not body:
        return False  # would need keep-chomping (|+); quote instead
    lines = body.split("\n")
    if lines[0].startswith(" ") or lines[0] == "":
        return False  # would need an indentation indicator
    blank_run = 0
    for line in lines:
        if line != line.rstrip(" "):
            return False  # trailing spaces: yamllint would reject them
        blank_run = blank_run + 1 if line == "" else 0
        if blank_run > 2:
            return False  # yamllint's empty-lines rule
    return True


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        return text if ("." in text or "e" in text) else text + ".0"
    if isinstance(value, str):
        return value if is_plain_safe(value) else quote(value)
    raise TypeError(f"cannot emit {type(value).__name__}")


def _fold(text: str, column: int, indent: int) -> str:
    """``text`` (a plain or double-quoted scalar starting at ``column``) broken at single
    spaces so that lines stay within :data:`WIDTH` where the words allow it;
    continuation lines are indented by ``indent + 2``."""
    if column + len(text) <= WIDTH or " " not in text:
        return text
    plain = not text.startswith('"')
    pad = " " * (indent + 2)
    lines: list[str] = []
    line, start = "", column
    for index, word in enumerate(text.split(" ")):
        breakable = (index > 0 and line and word and not line.endswith(" ") and
                     (not plain or _SAFE_START.match(word)))
        if breakable and start + len(line) + 1 + len(word) > WIDTH:
            lines.append(line)
            line, start = word, len(pad)
        else:
            line = word if index == 0 else f"{line} {word}"
    lines.append(line)
    return ("\n" + pad).join(lines)


def _key(key: str) -> str:
    return key if is_plain_safe(key) else quote(key)


def _block(value: str, indent: int) -> str:
    header = "|" if value.endswith("\n") else "|-"
    pad = " " * indent
    body = value[:-1] if value.endswith("\n") else value
    lines = [(pad + line) if line else "" for line in body.split("\n")]
    return header + "\n" + "\n".join(lines)


def _emit_mapping(node: Mapping[str, Any], indent: int, out: list[str], first_inline: bool) -> None:
    pad = " " * indent
    for position, (key, value) in enumerate(node.items()):
        prefix = "" if (first_inline and position == 0) else pad
        head = f"{prefix}{_key(key)}:"
        if isinstance(value, Mapping):
            if value:
                out.append(head + "\n")
                _emit_mapping(value, indent + 2, out, False)
            else:
                out.append(head + " {}\n")
        elif isinstance(value, list | tuple):
            if value:
                out.append(head + "\n")
                _emit_sequence(value, indent + 2, out, False)
            else:
                out.append(head + " []\n")
        elif isinstance(value, str) and _literal_ok(value):
            out.append(head + " " + _block(value, indent + 2) + "\n")
        else:
            text = scalar(value)
            if isinstance(value, str):
                text = _fold(text, indent + len(head) - len(prefix) + 1, indent)
            out.append(head + " " + text + "\n")


def _emit_sequence(node: Sequence[Any], indent: int, out: list[str], first_inline: bool) -> None:
    pad = " " * indent
    for position, item in enumerate(node):
        prefix = "" if (first_inline and position == 0) else pad
        if isinstance(item, Mapping) and item:
            out.append(prefix + "- ")
            _emit_mapping(item, indent + 2, out, True)
        elif isinstance(item, list | tuple) and item:
            out.append(prefix + "- ")
            _emit_sequence(item, indent + 2, out, True)
        elif isinstance(item, Mapping):
            out.append(prefix + "- {}\n")
        elif isinstance(item, list | tuple):
            out.append(prefix + "- []\n")
        elif isinstance(item, str) and _literal_ok(item):
            out.append(prefix + "- " + _block(item, indent + 2) + "\n")
        else:
            text = scalar(item)
            if isinstance(item, str):
                text = _fold(text, indent + 2, indent)
            out.append(prefix + "- " + text + "\n")


def dump(document: Any, header: Sequence[str] = ()) -> str:
    """One YAML document; ``header`` lines become ``# `` comments above it."""
    out = [f"# {line}\n" if line else "#\n" for line in header]
    if isinstance(document, Mapping) and document:
        _emit_mapping(document, 0, out, False)
    elif isinstance(document, list | tuple) and document:
        _emit_sequence(document, 0, out, False)
    else:
        out.append(scalar(document) if not isinstance(document, Mapping | list | tuple) else
                   ("{}" if isinstance(document, Mapping) else "[]"))
        out.append("\n")
    return "".join(out)
