"""JSON Schema checks of wfchain's own files, reported at file:line:col.

The schemas in ``schemas/`` ship inside the package and are read with
``importlib.resources``; each validator is built once per run.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator

from generator.diagnostics import Diagnostic, JsonPath, foreign_characters
from generator.load import Document

_JSON_TYPES = {
    dict: "object",
    list: "array",
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    type(None): "null",
}


#: The schemas wfchain ships for its own files (``wfchain schemas`` writes them).
SHIPPED_SCHEMAS = ("config.schema.json", "instance.schema.json", "template.schema.json")


def shipped_schema_text(name: str) -> str:
    """A schema file of the package's ``schemas/`` folder, e.g. ``instance.schema.json``."""
    return resources.files("generator").joinpath("schemas", name).read_text(encoding="utf-8")


@cache
def shipped_schema(name: str) -> dict[str, Any]:
    """A schema from the package's ``schemas/`` folder, parsed."""
    schema: dict[str, Any] = json.loads(shipped_schema_text(name))
    return schema


@cache
def shipped_validator(name: str) -> Validator:
    return make_validator(shipped_schema(name))


def make_validator(schema: dict[str, Any]) -> Validator:
    validator: Validator = Draft202012Validator(schema)
    return validator


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _json_type(value: Any) -> str:
    return _JSON_TYPES.get(type(value), type(value).__name__)


def _leaf_errors(error: ValidationError) -> Iterator[ValidationError]:
    if error.validator in ("anyOf", "oneOf") and error.context:
        best = best_match(error.context)
        yield best
    else:
        yield error


def explain(error: ValidationError, base: JsonPath) -> list[tuple[JsonPath, bool, str]]:
    """(path, points-at-key, message) for one jsonschema error."""
    path: JsonPath = (*base, *error.absolute_path)
    schema: dict[str, Any] = error.schema if isinstance(error.schema, dict) else {}
    custom = schema.get("x-error-message")
    kind = error.validator
    instance = error.instance
    expected: Any = error.validator_value
    if kind == "additionalProperties" and isinstance(instance, dict):
        known = set(schema.get("properties", {}))
        extras = sorted(k for k in instance if k not in known)
        return [((*path, k), True, f"unknown field '{k}'{foreign_characters(k)}")
                for k in extras]
    if kind == "required" and isinstance(instance, dict):
        missing = [r for r in expected if r not in instance]
        return [(path, False, f"missing required field '{m}'") for m in missing]
    if kind == "propertyNames" or (error.absolute_schema_path and
                                   "propertyNames" in error.absolute_schema_path):
        message = custom or error.message
        return [((*path, str(instance)), True, f"invalid name {_short(instance)}: {message}")]
    if custom and kind in ("pattern", "maxLength", "minLength", "format"):
        odd = foreign_characters(instance) if isinstance(instance, str) else ""
        return [(path, False, f"{_short(instance)} {custom}{odd}")]
    if kind == "type":
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        if instance is None:
            return [(path, False, f"expected {wanted}, got an empty value (null)")]
        return [(path, False, f"expected {wanted}, got {_json_type(instance)} {_short(instance)}")]
    if kind == "const":
        return [(path, False, f"must be {_short(expected)}, got {_short(instance)}")]
    if kind == "enum":
        allowed = ", ".join(_short(v) for v in expected)
        return [(path, False, f"{_short(instance)} is not one of: {allowed}")]
    if kind == "uniqueItems":
        return [(path, False, "items must be unique")]
    if kind == "minItems":
        return [(path, False, f"must have at least {expected} item(s)")]
    if kind in ("maxLength", "minLength") and isinstance(instance, str):
        return [(path, False, f"{_short(instance)} is too long (at most {expected} "
                 "characters)" if kind == "maxLength" else f"{_short(instance)} is too short")]
    message = error.message
    if len(message) > 200:
        message = message[:197] + "..."
    return [(path, False, message)]


def check(document: Document, validator: Validator, *, data: Any = None,
          base: JsonPath = (), check_name: str = "schema") -> list[Diagnostic]:
    """All schema problems of ``data`` (default: the whole document) as diagnostics."""
    target = document.data if data is None else data
    problems: list[Diagnostic] = []
    for error in validator.iter_errors(target):
        for leaf in _leaf_errors(error):
            for path, key, message in explain(leaf, base):
                problems.append(document.diagnostic(path, message, check_name, key=key))
    return problems
