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

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined, TemplateError, Undefined, nodes
from jinja2.exceptions import SecurityError, UndefinedError
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


def _environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    # Nothing but plain expressions: no globals such as range/cycler/joiner/namespace/lipsum.
    env.globals.clear()
    return env


_ENV = _environment()


def _compile(source: str, path: JsonPath) -> Callable[..., Any]:
    if not source.strip():
        raise PlaceholderError(path, "empty placeholder '${{ }}'")
    try:
        return _ENV.compile_expression(source, undefined_to_none=False)
    except TemplateError as exc:
        raise PlaceholderError(
            path, f"invalid placeholder '${{{{{source}}}}}': {exc.message or exc}"
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
            value = function(**context)
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
        except (TemplateError, ArithmeticError, TypeError, ValueError, LookupError) as exc:
            raise PlaceholderError(
                expr.path, f"placeholder '${{{{ {source} }}}}' failed: {exc}"
            ) from None
        if expr.native:
            _as_text(value, expr.path, source)  # type check only
            return value
        pieces.append(_as_text(value, expr.path, source))
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
