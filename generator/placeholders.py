"""wfchain's own placeholders: ``${{ expression }}`` inside YAML scalar values.

The syntax was chosen so it cannot collide with what templates legitimately contain:
Argo's ``{{inputs.parameters.x}}`` and ``{{=expr}}`` and Argo Events' Go templates
(``{{ .Input.body.x }}``) have no ``$`` before the braces, and in shell ``${{`` is
not valid parameter expansion (``${VAR}``, ``$(...)``, ``${#x}``, ``[[ ]]`` all pass
through).  Only the expression between ``${{`` and ``}}`` is evaluated, by Jinja's
*sandboxed* expression compiler with ``StrictUndefined``; no Jinja statements or
blocks exist, and text outside placeholders is never touched or escaped.

Placeholders are only looked for in scalar *values* (never keys) after the YAML is
parsed, so a value can never change the YAML structure. A plain (unquoted) scalar
that is exactly one placeholder takes the value's native type (``${{ params.n }}``
-> ``5``); a quoted or composite scalar is always a string.

Templates are compiled once: :func:`compile_tree` turns a template's data into a tree
in which strings with placeholders are :class:`Expr` nodes; :func:`materialize`
evaluates that tree for one instance.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError, Undefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

from generator.diagnostics import JsonPath

_PLACEHOLDER = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)
OPEN = "${{"


class PlaceholderError(Exception):
    """An expression failed to compile or evaluate; ``path`` locates the scalar."""

    def __init__(self, path: JsonPath, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


@dataclass(frozen=True)
class Expr:
    """A scalar with placeholders: literal text and compiled expressions, in order."""

    path: JsonPath
    parts: tuple[str | tuple[str, Callable[..., Any]], ...]
    native: bool


#: The largest value (characters, items or bytes) one operation in a placeholder may
#: build, and the largest result: the size limit of an input file.
MAX_SIZE = 1 << 20
#: What all operations of one placeholder together may build.
MAX_BUDGET = 8 * MAX_SIZE
#: The largest integer ``**`` may build (about 20,000 digits).
MAX_INT_BITS = 1 << 16

_PRINTF = re.compile(r"%(?:\([^)]*\))?[#0 +-]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?(.)", re.DOTALL)


def _size(value: object, printed: str = "") -> int:
    """Characters, bytes and items in ``value``, nested values counted each time they
    occur (as printing them would); stops counting soon after MAX_SIZE. With ``printed``
    (what prints it), anything but data (a function, a generator: their text holds a
    memory address) is refused."""
    total, stack = 0, [value]
    while stack and total <= MAX_SIZE:
        item = stack.pop()
        if printed and not isinstance(item, _DATA):
            raise SecurityError(f"{printed} cannot print a {type(item).__name__}, only "
                                "strings, numbers, booleans, lists and mappings")
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, Mapping):
            total += len(item)
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item)
            stack += item
        else:
            total += 1
    return total


#: What can be printed: data, never code (see _size).
_DATA = (str, bytes, int, float, type(None), Undefined, Mapping, list, tuple, set, frozenset)

#: Filters that turn their input into text.
_PRINTING = frozenset(["capitalize", "center", "e", "escape", "forceescape", "format",
                       "indent", "lower", "pprint", "replace", "safe", "string", "striptags",
                       "title", "trim", "truncate", "upper", "urlencode", "urlize",
                       "wordcount", "wordwrap", "xmlattr"])


def _limit(size: int, what: str) -> None:
    if size > MAX_SIZE:
        raise SecurityError(f"{what} would build a value of {size} characters or items or "
                            f"more; the limit is {MAX_SIZE}")


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0


def _count(text: str | bytes, part: object) -> int:
    """How often ``replace`` would insert its replacement."""
    if isinstance(text, str) and isinstance(part, str):
        return text.count(part) if part else len(text) + 1
    if isinstance(text, bytes) and isinstance(part, bytes):
        return text.count(part) if part else len(text) + 1
    return 0


def _arg(args: Sequence[Any], kwargs: Mapping[str, Any], index: int, name: str,
         default: Any = None) -> Any:
    return args[index] if len(args) > index else kwargs.get(name, default)


def _fields(fmt: str | bytes, what: str, braces: bool) -> tuple[int, int]:
    """How many fields a printf-style (or, with ``braces``, ``str.format``) string has,
    and the sum of their widths and precisions."""
    count, widths = 0, 0
    if not braces:
        text = fmt.decode("latin-1") if isinstance(fmt, bytes) else fmt
        for match in _PRINTF.finditer(text):
            if match.group(3) == "%":
                continue
            if "*" in (match.group(1), match.group(2)):
                raise SecurityError(f"{what}: '*' widths are not supported")
            count += 1
            widths += int(match.group(1) or 0) + int(match.group(2) or 0)
    elif isinstance(fmt, str):
        try:
            parsed = list(string.Formatter().parse(fmt))
        except ValueError as exc:
            raise SecurityError(f"{what}: {exc}") from None
        for _literal, field, spec, _conversion in parsed:
            if field is None:
                continue
            if spec and "{" in spec:
                raise SecurityError(f"{what}: nested fields in a format spec are not supported")
            count += 1
            widths += sum(int(number) for number in re.findall(r"\d+", spec or ""))
    return count, widths


class _CodeGenerator(CodeGenerator):
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.tilde((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with bounded work: operations that can build big values
    (``*``, ``**``, ``%``, ``+``, padding, ``replace``, ``join``, ``format``, ...) are
    checked before they run, so ``'a' * 10**9`` is refused instead of eating the memory."""

    intercepted_binops = frozenset(["*", "**", "%", "+"])
    code_generator_class = _CodeGenerator

    def __init__(self) -> None:
        super().__init__(undefined=StrictUndefined, autoescape=False)
        self.spent = 0

    def build(self, size: int, what: str) -> None:
        """Check and count a value an operation is about to build."""
        _limit(size, what)
        self.spent += size
        if self.spent > MAX_BUDGET:
            raise SecurityError(f"{what}: the placeholder would build more than "
                                f"{MAX_BUDGET} characters or items in all")

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        what = f"'{operator}'"
        if operator == "**" and isinstance(left, int) and isinstance(right, int):
            if right > 0 and abs(left) > 1 and left.bit_length() * right > MAX_INT_BITS:
                raise SecurityError(f"{what} would build a number of about "
                                    f"{left.bit_length() * right} bits; the limit is "
                                    f"{MAX_INT_BITS}")
        elif operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(sequence, str | bytes | list | tuple) and isinstance(times, int):
                    self.build(_size(sequence) * max(times, 0), what)
        elif operator == "+" and not isinstance(left, int | float):
            self.build(_size(left) + _size(right), what)
        elif operator == "%" and isinstance(left, str | bytes):
            self.printf(left, right, what)
        return super().call_binop(context, operator, left, right)

    def printf(self, fmt: str | bytes, args: Any, what: str) -> None:
        count, widths = _fields(fmt, what, braces=False)
        self.build(len(fmt) + widths + count * _size(args, what), what)

    def tilde(self, parts: Sequence[Any]) -> str:
        """``a ~ b``: checked before the text is joined."""
        self.build(sum(_size(part, "'~'") for part in parts), "'~'")
        return "".join(map(str, parts))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        target = getattr(__obj, "__wrapped__", __obj)
        owner = getattr(target, "__self__", None)
        name = getattr(target, "__name__", "")
        if isinstance(owner, str | bytes):
            args = __self.check_method(owner, f"'{name}()'", args, kwargs)
        elif isinstance(owner, int) and name == "to_bytes":
            __self.build(_int(_arg(args, kwargs, 0, "length", 1)), "'to_bytes()'")
        result = super().call(__context, __obj, *args, **kwargs)
        # Whatever a call returns counts too: methods not checked above (encode, hex, ...)
        # can grow a value, step by step, from a size that passed every check.
        __self.build(_size(result), f"'{name}()'" if name else "a call")
        return result

    def check_method(self, text: str | bytes, what: str, args: tuple[Any, ...],
                     kwargs: Mapping[str, Any]) -> tuple[Any, ...]:
        """Check a call of a str (or bytes) method; returns the arguments to call with."""
        name = what[1:-3]
        size = len(text)
        if name in ("center", "ljust", "rjust", "zfill"):
            self.build(_int(_arg(args, kwargs, 0, "width", 0)), what)
        elif name == "expandtabs":
            tabs = text.count("\t") if isinstance(text, str) else text.count(b"\t")
            self.build(size + tabs * _int(_arg(args, kwargs, 0, "tabsize", 8)), what)
        elif name == "replace" and len(args) >= 2:
            self.build(size + _count(text, args[0]) * _size(args[1]), what)
        elif name == "join" and args:
            items = list(args[0])
            self.build(_size(items, what) + size * len(items), what)
            return (items, *args[1:])
        elif name in ("format", "format_map"):
            count, widths = _fields(text, what, braces=True)
            self.build(size + widths + count * (_size(args, what) + _size(kwargs, what)),
                       what)
        elif name == "translate":
            raise SecurityError(f"{what} is not supported in placeholders")
        return args


def _guard_filter(env: _Sandbox, name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap a built-in filter: its input must be within MAX_SIZE and what the amplifying
    filters build is checked before they run."""
    lead = 1 if hasattr(function, "jinja_pass_arg") else 0
    what = f"filter '{name}'"

    @functools.wraps(function)
    def guarded(*call_args: Any, **kwargs: Any) -> Any:
        first, (value, *args) = call_args[:lead], call_args[lead:]
        _limit(_size(value, what if name in _PRINTING else ""), what)
        for argument in (*args, *kwargs.values()):
            _limit(_size(argument, what), what)
        text = value if isinstance(value, str) else ""
        if name == "center":
            env.build(_int(_arg(args, kwargs, 0, "width", 80)), what)
        elif name == "indent":
            width = _arg(args, kwargs, 0, "width", 4)
            per_line = len(width) if isinstance(width, str) else _int(width)
            env.build(len(text) + (text.count("\n") + 1) * per_line, what)
        elif name == "format" and isinstance(value, str):
            env.printf(value, (args, kwargs), what)
        elif name in ("join", "sum"):
            value = list(value)
            _size(value, what if name == "join" else "")
            extra = _arg(args, kwargs, 0 if name == "join" else 1,
                         "d" if name == "join" else "start", "")
            env.build(_size(value) + _size(extra) * (len(value) if name == "join" else 1),
                      what)
        elif name == "replace" and len(args) >= 2:
            env.build(len(text) + _count(text, str(args[0])) * len(str(args[1])), what)
        elif name == "wordwrap":
            wrap = _arg(args, kwargs, 2, "wrapstring", None)
            env.build(len(text) * max(1, len(wrap) if isinstance(wrap, str) else 1), what)
        elif name in ("batch", "slice"):
            env.build(_int(_arg(args, kwargs, 0, "linecount" if name == "batch" else "slices",
                                0)), what)
        elif name == "tojson":
            indent = _arg(args, kwargs, 0, "indent", None)
            width = len(indent) if isinstance(indent, str) else _int(indent)
            env.build(_size(value) * (1 + width), what)
        elif name == "urlize":
            extra = [_arg(args, kwargs, i, key, None) for i, key in ((2, "target"), (3, "rel"))]
            env.build(len(text) * (1 + sum(len(e) for e in extra if isinstance(e, str))), what)
        return function(*first, value, *args, **kwargs)

    return guarded


def _environment() -> _Sandbox:
    env = _Sandbox()
    # Nothing but plain expressions: no globals such as range/cycler/joiner/namespace/lipsum.
    env.globals.clear()
    # Renders must be reproducible.
    del env.filters["random"]
    env.filters = {name: _guard_filter(env, name, function)
                   for name, function in env.filters.items()}
    return env


_ENV = _environment()


def _compile(source: str, path: JsonPath) -> Callable[..., Any]:
    if not source.strip():
        raise PlaceholderError(path, "empty placeholder '${{ }}'")
    try:
        return _ENV.compile_expression(source, undefined_to_none=False)
    except (RecursionError, MemoryError):
        raise PlaceholderError(path, f"placeholder '${{{{{source}}}}}' is too deeply nested "
                               "to compile") from None
    except TemplateError as exc:
        hint = ""
        if any(token in source for token in ("{{", "{%", "{#")):
            hint = (" (a placeholder holds one expression: Jinja's '{{ }}', '{% %}' and "
                    "'{# #}' do not exist inside '${{ }}')")
        raise PlaceholderError(
            path, f"invalid placeholder '${{{{{source}}}}}': {exc.message or exc}{hint}"
        ) from None


#: Names a placeholder may use, and the attributes each offers (None: any).
Scope = Mapping[str, frozenset[str] | None]

#: The context every instance offers besides ``params`` (see render.placeholder_context).
CONTEXT_KEYS: dict[str, tuple[str, ...]] = {
    "instance": ("id", "name", "namespace", "template", "schedule", "timezone"),
    "webhook": ("url", "host", "port", "endpoint"),
    "names": ("workflow1", "workflow2", "cron", "webhook", "trigger1", "trigger2",
              "sensorServiceAccount", "workflowServiceAccount", "webhookService"),
}


def placeholder_scope(parameters: Sequence[str]) -> dict[str, frozenset[str] | None]:
    """The names a template's placeholders may use, given its declared parameters."""
    scope: dict[str, frozenset[str] | None] = {k: frozenset(v) for k, v in CONTEXT_KEYS.items()}
    scope["params"] = frozenset(parameters)
    return scope


def check_names(source: str, path: JsonPath, scope: Scope) -> None:
    """Static check: every variable and attribute the expression uses exists."""
    try:
        _check_names(source, path, scope)
    except (RecursionError, MemoryError):
        raise PlaceholderError(path, f"placeholder '${{{{{source}}}}}' is too deeply nested "
                               "to compile") from None


def _check_names(source: str, path: JsonPath, scope: Scope) -> None:
    try:
        tree = _ENV.parse("{{ " + source + " }}")
    except TemplateError as exc:
        raise PlaceholderError(
            path, f"invalid placeholder '${{{{{source}}}}}': {exc.message or exc}"
        ) from None
    for name in tree.find_all(nodes.Name):
        if name.ctx == "load" and name.name not in scope:
            known = ", ".join(sorted(scope))
            raise PlaceholderError(
                path, f"undefined placeholder '${{{{ {source.strip()} }}}}': '{name.name}' is "
                f"undefined (known: {known})")
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        base = getattr(node, "node", None)
        if not isinstance(base, nodes.Name) or scope.get(base.name) is None:
            continue
        if isinstance(node, nodes.Getattr):
            attr: object = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            attr = node.arg.value
        else:
            continue
        allowed = scope[base.name]
        if allowed is not None and attr not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise PlaceholderError(
                path, f"undefined placeholder '${{{{ {source.strip()} }}}}': '{base.name}' has "
                f"no '{attr}' (known: {known})")


def compile_scalar(value: str, path: JsonPath, plain: bool, scope: Scope | None = None
                   ) -> str | Expr:
    if OPEN not in value:
        return value
    parts: list[str | tuple[str, Callable[..., Any]]] = []
    last = 0
    for match in _PLACEHOLDER.finditer(value):
        if match.start() > last:
            parts.append(value[last : match.start()])
        source = match.group(1)
        function = _compile(source, path)
        if scope is not None:
            check_names(source, path, scope)
        parts.append((source.strip(), function))
        last = match.end()
    if last < len(value):
        rest = value[last:]
        if OPEN in rest:
            raise PlaceholderError(path, "unclosed placeholder: '${{' without '}}'")
        parts.append(rest)
    native = plain and len(parts) == 1 and not isinstance(parts[0], str)
    return Expr(path, tuple(parts), native)


def compile_tree(
    node: Any,
    path: JsonPath,
    plain_paths: frozenset[JsonPath],
    errors: list[PlaceholderError],
    scope: Scope | None = None,
) -> Any:
    """Compile every placeholder below ``node``; collects errors instead of stopping."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            child = (*path, key)
            if OPEN in key:
                errors.append(PlaceholderError(child, "placeholders are only allowed in values"))
            out[key] = compile_tree(value, child, plain_paths, errors, scope)
        return out
    if isinstance(node, list):
        return [compile_tree(v, (*path, i), plain_paths, errors, scope)
                for i, v in enumerate(node)]
    if isinstance(node, str):
        try:
            return compile_scalar(node, path, path in plain_paths, scope)
        except PlaceholderError as exc:
            errors.append(exc)
            return node
    return node


def _as_text(value: Any, path: JsonPath, source: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise PlaceholderError(
        path, f"'${{{{ {source} }}}}' gives a {type(value).__name__}; only strings, numbers and "
        "booleans can be substituted"
    )


def _evaluate(expr: Expr, context: Mapping[str, Any]) -> Any:
    pieces: list[str] = []
    for part in expr.parts:
        if isinstance(part, str):
            pieces.append(part)
            continue
        source, function = part
        try:
            _ENV.spent = 0
            value = function(**context)
            _limit(_size(value), "the result")
            if isinstance(value, Undefined):
                value._fail_with_undefined_error()
        except UndefinedError as exc:
            raise PlaceholderError(
                expr.path, f"undefined placeholder '${{{{ {source} }}}}': {exc.message}"
            ) from None
        except SecurityError as exc:
            raise PlaceholderError(
                expr.path, f"placeholder '${{{{ {source} }}}}' is not allowed: {exc}"
            ) from None
        except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError,
                AttributeError) as exc:
            raise PlaceholderError(
                expr.path, f"placeholder '${{{{ {source} }}}}' failed: {exc}"
            ) from None
        except (RecursionError, MemoryError):
            raise PlaceholderError(
                expr.path, f"placeholder '${{{{ {source} }}}}' is too complex to evaluate"
            ) from None
        if expr.native:
            _as_text(value, expr.path, source)  # type check only
            return value
        pieces.append(_as_text(value, expr.path, source))
    if sum(map(len, pieces)) > MAX_SIZE:
        raise PlaceholderError(expr.path, f"the value would have more than {MAX_SIZE} "
                               "characters")
    return "".join(pieces)


def materialize(node: Any, context: Mapping[str, Any]) -> Any:
    """Evaluate a compiled tree for one instance (raises the first PlaceholderError)."""
    if isinstance(node, Expr):
        return _evaluate(node, context)
    if isinstance(node, dict):
        return {key: materialize(value, context) for key, value in node.items()}
    if isinstance(node, list):
        return [materialize(value, context) for value in node]
    return node


def has_placeholders(node: Any) -> bool:
    if isinstance(node, Expr):
        return True
    if isinstance(node, dict):
        return any(has_placeholders(v) for v in node.values())
    if isinstance(node, list):
        return any(has_placeholders(v) for v in node)
    return False
