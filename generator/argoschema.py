"""Strict validation of rendered manifests against the official Argo JSON schemas.

The schemas are reference data that is *not* part of this project: callers pass
their location (a folder or single files, like kubeconform's
``--schema-location``).  A folder contributes every ``*.json`` file in it
(``*.schema.json`` included) that has a top-level ``definitions`` object; other
JSON files there are ignored.  Files are read in the given order, a folder's
files in name order; when two files define the same ``(apiVersion, kind)`` the
first one wins.

What is validated
-----------------
Documents are dispatched on ``(apiVersion, kind)``:

* ``argoproj.io/v1alpha1`` kinds of the definitions named
  ``io.argoproj.events.v1alpha1.X`` and ``io.argoproj.workflow.v1alpha1.X``
  that carry ``x-kubernetes-group-version-kind`` (EventBus, EventSource, Sensor,
  Workflow, WorkflowTemplate, CronWorkflow, ClusterWorkflowTemplate,
  WorkflowEventBinding with the official files);
* the Kubernetes kinds of :data:`K8S_KINDS` (``v1`` ServiceAccount, Secret,
  ConfigMap; ``rbac.authorization.k8s.io/v1`` Role, RoleBinding;
  ``networking.k8s.io/v1`` NetworkPolicy) when a loaded file defines them.

Anything else is reported as ``no schema for apiVersion X kind Y``.  The
``apiVersion``/``kind`` ``const`` values of the Argo definitions are checked
like any other keyword.  ``format`` is not checked (no format checker).

For a Sensor, every trigger's ``template.argoWorkflow.source.resource`` and
``template.k8s.source.resource`` (also inside ``dlqTrigger``) whose
``(apiVersion, kind)`` is known is validated as well; its problems carry the
full path from the Sensor's root.  Embedded resources of other kinds (the
schema types them as a free-form object) are not checked.

Deliberate deviations from the official schemas
-----------------------------------------------
* Strictness: every schema object that has ``properties`` but neither
  ``additionalProperties`` nor ``patternProperties`` is treated as
  ``additionalProperties: false``, so unknown (typically misplaced or
  misspelled) fields are rejected, as ``kubectl --validate=strict`` would.
  Free-form objects (``type: object`` without ``properties``, e.g. the Sensor's
  ``K8SResource``) and maps (``additionalProperties: {...}``) stay open.
* ``io.k8s.apimachinery.pkg.util.intstr.IntOrString`` and
  ``io.k8s.apimachinery.pkg.api.resource.Quantity`` are typed string-only in
  the Argo Workflows schema (Quantity in the Argo Events one too), but the CRDs
  and the Kubernetes API accept an integer or a string
  (``targetPort: 12000``, ``cpu: 1``).  Both accept integers or strings here;
  floats are still rejected (the CRDs' ``x-kubernetes-int-or-string`` rejects
  them too).
* Kept as upstream: ``metadata`` of custom resources is the full ObjectMeta;
  a webhook EventSource's ``url`` stays required (a Go field without
  ``omitempty``), so generators must emit ``url: ""``.

The transformed definitions are built once per file in :meth:`ArgoSchemas.load`
(descriptions and titles dropped), together with one jsonschema validator per
kind (Draft 2020-12 when the file says so, Draft 7 otherwise); the schemas
themselves are never meta-validated (that alone takes seconds).
"""

from __future__ import annotations

import json
import pathlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jsonschema import (
    Draft4Validator,
    Draft6Validator,
    Draft7Validator,
    Draft201909Validator,
    Draft202012Validator,
)
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.protocols import Validator

__all__ = [
    "ARGO_API_VERSION",
    "INT_OR_STRING_DEFINITIONS",
    "K8S_KINDS",
    "ArgoSchemas",
    "SchemaLoadError",
    "SchemaProblem",
]

PathElement = str | int
JsonPath = tuple[PathElement, ...]

ARGO_API_VERSION = "argoproj.io/v1alpha1"
_ARGO_GROUP = "argoproj.io"
_ARGO_DEFINITION_PREFIXES = ("io.argoproj.events.v1alpha1.", "io.argoproj.workflow.v1alpha1.")

#: Kubernetes kinds validated when a loaded schema file defines them.
K8S_KINDS: frozenset[tuple[str, str]] = frozenset(
    {
        ("v1", "ServiceAccount"),
        ("v1", "Secret"),
        ("v1", "ConfigMap"),
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
    }
)

#: Definitions typed string-only upstream that the API accepts as integer too.
INT_OR_STRING_DEFINITIONS: tuple[str, ...] = (
    "io.k8s.apimachinery.pkg.util.intstr.IntOrString",
    "io.k8s.apimachinery.pkg.api.resource.Quantity",
)

_MAX_REPR = 80
_MAX_MESSAGE = 240

# Schema keywords whose value is a map of name -> schema.
_SCHEMA_MAP_KEYWORDS = frozenset(
    {"properties", "patternProperties", "definitions", "$defs", "dependentSchemas"}
)
# Schema keywords whose value is one schema.
_SCHEMA_KEYWORDS = frozenset(
    {
        "additionalProperties",
        "additionalItems",
        "items",
        "contains",
        "not",
        "if",
        "then",
        "else",
        "propertyNames",
        "unevaluatedProperties",
        "unevaluatedItems",
    }
)
# Schema keywords whose value is a list of schemas.
_SCHEMA_LIST_KEYWORDS = frozenset({"allOf", "anyOf", "oneOf", "prefixItems", "items"})
# Annotations that cost memory and are never used in messages.
_DROPPED_KEYWORDS = frozenset({"description", "title"})


@dataclass(frozen=True)
class SchemaProblem:
    """One schema violation: where in the document, and what is wrong."""

    path: JsonPath  # JSON path inside the document, e.g. ("spec", "templates", 0, "dag")
    message: str  # one line, e.g. "unknown field 'foo'", "123 is not of type 'string'"

    def __str__(self) -> str:
        return f"{format_path(self.path)}: {self.message}"


class SchemaLoadError(Exception):
    """A schema location is missing, unreadable, or holds no usable schema."""


def format_path(path: Sequence[PathElement]) -> str:
    """``("spec", "templates", 0, "dag")`` -> ``spec.templates[0].dag`` (``<root>`` if empty)."""
    out = ""
    for element in path:
        if isinstance(element, int):
            out += f"[{element}]"
        else:
            out += f".{element}" if out else element
    return out or "<root>"


@dataclass(frozen=True)
class _KindSchema:
    definition: str
    source: pathlib.Path
    validator: Validator


class ArgoSchemas:
    """Validators for Argo (and a few Kubernetes) kinds, built once at load time."""

    def __init__(self, kinds: Mapping[tuple[str, str], _KindSchema], files: Sequence[pathlib.Path]):
        self._kinds = dict(kinds)
        self._files = tuple(files)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, location: pathlib.Path) -> ArgoSchemas:
        """Load a schema folder or a single schema file."""
        return cls.load_many([location])

    @classmethod
    def load_many(cls, locations: Sequence[pathlib.Path]) -> ArgoSchemas:
        """Load several folders/files; earlier locations win on duplicate kinds."""
        if isinstance(locations, (str, pathlib.PurePath)):
            raise TypeError("load_many() takes a sequence of paths; use load() for one")
        files: list[tuple[pathlib.Path, Mapping[str, Any]]] = []
        for location in locations:
            files.extend(_read_location(pathlib.Path(location)))
        if not files:
            raise SchemaLoadError("no schema location given")
        kinds: dict[tuple[str, str], _KindSchema] = {}
        for path, raw in files:
            for key, kind_schema in _build_kinds(path, raw).items():
                kinds.setdefault(key, kind_schema)
        if not kinds:
            names = ", ".join(str(p) for p, _ in files)
            raise SchemaLoadError(f"no Argo or supported Kubernetes kind defined in {names}")
        return cls(kinds, [p for p, _ in files])

    # ------------------------------------------------------------------ queries
    def kinds(self) -> frozenset[tuple[str, str]]:
        """The ``(apiVersion, kind)`` pairs this instance can validate."""
        return frozenset(self._kinds)

    @property
    def files(self) -> tuple[pathlib.Path, ...]:
        """The schema files that were loaded, in load order."""
        return self._files

    def definition_for(self, api_version: str, kind: str) -> str | None:
        """Name of the schema definition used for a kind (None if unknown)."""
        entry = self._kinds.get((api_version, kind))
        return entry.definition if entry else None

    def validate(self, document: Mapping[str, Any]) -> list[SchemaProblem]:
        """All problems of one manifest, sorted by path then message."""
        problems = set(self._problems(document, (), embedded=False))
        return sorted(problems, key=_problem_sort_key)

    # ------------------------------------------------------------------ internals
    def _problems(
        self, document: object, prefix: JsonPath, *, embedded: bool
    ) -> Iterator[SchemaProblem]:
        if not isinstance(document, Mapping):
            if not embedded:
                yield SchemaProblem(
                    prefix, f"document is a {type(document).__name__}, not a mapping"
                )
            return
        api_version = document.get("apiVersion")
        kind = document.get("kind")
        header_ok = True
        for field, value in (("apiVersion", api_version), ("kind", kind)):
            if value is None:
                header_ok = False
                if not embedded:
                    yield SchemaProblem(prefix, f"missing {field}")
            elif not isinstance(value, str):
                header_ok = False
                if not embedded:
                    yield SchemaProblem(
                        (*prefix, field), f"{_short_repr(value)} is not of type 'string'"
                    )
        if not header_ok:
            return
        assert isinstance(api_version, str) and isinstance(kind, str)
        entry = self._kinds.get((api_version, kind))
        if entry is None:
            if not embedded:
                yield SchemaProblem(prefix, f"no schema for apiVersion {api_version} kind {kind}")
            return
        for error in entry.validator.iter_errors(document):
            yield from _convert_error(error, prefix)
        if api_version == ARGO_API_VERSION and kind == "Sensor":
            for path, resource in _sensor_resources(document):
                yield from self._problems(resource, prefix + path, embedded=True)


# ---------------------------------------------------------------------- loading


def _read_json(path: pathlib.Path) -> object:
    try:
        with path.open("rb") as handle:
            return json.load(handle)
    except OSError as exc:
        raise SchemaLoadError(f"{path}: cannot read schema: {exc.strerror or exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise SchemaLoadError(f"{path}: not valid JSON: {exc}") from exc


def _has_definitions(raw: object) -> bool:
    return isinstance(raw, Mapping) and isinstance(raw.get("definitions"), Mapping)


def _read_location(location: pathlib.Path) -> list[tuple[pathlib.Path, Mapping[str, Any]]]:
    if location.is_dir():
        try:
            candidates = sorted(
                p for p in location.iterdir() if p.name.endswith(".json") and p.is_file()
            )
        except OSError as exc:
            raise SchemaLoadError(
                f"{location}: cannot list schema folder: {exc.strerror or exc}"
            ) from exc
        found: list[tuple[pathlib.Path, Mapping[str, Any]]] = []
        for candidate in candidates:
            raw = _read_json(candidate)
            if _has_definitions(raw):
                assert isinstance(raw, Mapping)
                found.append((candidate, raw))
        if not found:
            raise SchemaLoadError(f"{location}: no *.json schema with 'definitions' in this folder")
        return found
    if location.is_file():
        raw = _read_json(location)
        if not _has_definitions(raw):
            raise SchemaLoadError(f"{location}: not a JSON schema with a 'definitions' object")
        assert isinstance(raw, Mapping)
        return [(location, raw)]
    if location.exists():
        raise SchemaLoadError(f"{location}: neither a file nor a folder")
    raise SchemaLoadError(f"{location}: schema location does not exist")


def _validator_class(dialect: object) -> type[Validator]:
    text = dialect if isinstance(dialect, str) else ""
    if "2020-12" in text:
        return Draft202012Validator
    if "2019-09" in text:
        return Draft201909Validator
    if "draft-06" in text:
        return Draft6Validator
    if "draft-04" in text:
        return Draft4Validator
    return Draft7Validator  # includes the unversioned "http://json-schema.org/schema#"


def _strict(node: Any) -> Any:
    """Copy of a schema node with closed objects and without annotations."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED_KEYWORDS:
            continue
        if key in _SCHEMA_MAP_KEYWORDS and isinstance(value, Mapping):
            out[key] = {name: _strict(sub) for name, sub in value.items()}
        elif (key in _SCHEMA_KEYWORDS and isinstance(value, Mapping)) or (
            key in _SCHEMA_LIST_KEYWORDS and isinstance(value, list)
        ):
            out[key] = _strict(value)
        else:
            out[key] = value
    if (
        "properties" in out
        and "additionalProperties" not in out
        and "patternProperties" not in out
        and out.get("x-kubernetes-preserve-unknown-fields") is not True
    ):
        out["additionalProperties"] = False
    return out


def _json_pointer_token(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _api_version(gvk: Mapping[str, Any]) -> str | None:
    group, version = gvk.get("group"), gvk.get("version")
    if not isinstance(group, str) or not isinstance(version, str) or not version:
        return None
    return f"{group}/{version}" if group else version


def _build_kinds(path: pathlib.Path, raw: Mapping[str, Any]) -> dict[tuple[str, str], _KindSchema]:
    definitions: dict[str, Any] = {
        name: _strict(schema) for name, schema in raw["definitions"].items()
    }
    for name in INT_OR_STRING_DEFINITIONS:
        if name in definitions and isinstance(definitions[name], dict):
            patched = {
                k: v
                for k, v in definitions[name].items()
                if k not in ("type", "format", "anyOf", "oneOf")
            }
            patched["type"] = ["integer", "string"]
            definitions[name] = patched
    validator_class = _validator_class(raw.get("$schema"))
    dialect = validator_class.META_SCHEMA.get("$schema", "")
    kinds: dict[tuple[str, str], _KindSchema] = {}
    for name in sorted(definitions):
        schema = definitions[name]
        gvks = (
            schema.get("x-kubernetes-group-version-kind") if isinstance(schema, Mapping) else None
        )
        if not isinstance(gvks, list):
            continue
        for gvk in gvks:
            if not isinstance(gvk, Mapping):
                continue
            api_version, kind = _api_version(gvk), gvk.get("kind")
            if api_version is None or not isinstance(kind, str):
                continue
            key = (api_version, kind)
            is_argo = gvk.get("group") == _ARGO_GROUP and name.startswith(_ARGO_DEFINITION_PREFIXES)
            if not (is_argo or key in K8S_KINDS) or key in kinds:
                continue
            root = {
                "$schema": dialect,
                "$ref": f"#/definitions/{_json_pointer_token(name)}",
                "definitions": definitions,  # shared by all kinds of this file
            }
            kinds[key] = _KindSchema(name, path, validator_class(root))
    return kinds


# ---------------------------------------------------------------------- validation


def _sensor_resources(sensor: Mapping[str, Any]) -> Iterator[tuple[JsonPath, object]]:
    spec = sensor.get("spec")
    triggers = spec.get("triggers") if isinstance(spec, Mapping) else None
    if not isinstance(triggers, list):
        return
    for index, trigger in enumerate(triggers):
        yield from _trigger_resources(trigger, ("spec", "triggers", index))


def _trigger_resources(trigger: object, path: JsonPath) -> Iterator[tuple[JsonPath, object]]:
    if not isinstance(trigger, Mapping):
        return
    template = trigger.get("template")
    if isinstance(template, Mapping):
        for trigger_type in ("argoWorkflow", "k8s"):
            body = template.get(trigger_type)
            source = body.get("source") if isinstance(body, Mapping) else None
            resource = source.get("resource") if isinstance(source, Mapping) else None
            if isinstance(resource, Mapping):
                yield (*path, "template", trigger_type, "source", "resource"), resource
    dlq = trigger.get("dlqTrigger")
    if dlq is not None:
        yield from _trigger_resources(dlq, (*path, "dlqTrigger"))


def _most_relevant(error: ValidationError) -> ValidationError:
    """For oneOf/anyOf-style errors, the sub-error that explains most.

    ``best_match`` descends into the context and, unlike for top-level errors,
    prefers the deepest sub-error there (the branch that came closest).
    """
    if error.context:
        best: ValidationError | None = best_match([error])
        if best is not None:
            return best
    return error


def _path_element(key: object) -> PathElement:
    if isinstance(key, int) and not isinstance(key, bool):
        return key
    return key if isinstance(key, str) else repr(key)


def _unknown_fields(instance: Mapping[Any, Any], schema: Mapping[str, Any]) -> list[Any]:
    properties = schema.get("properties", {})
    patterns = list(schema.get("patternProperties", {}))
    unknown = []
    for key in instance:
        if key in properties:
            continue
        if isinstance(key, str) and any(re.search(pattern, key) for pattern in patterns):
            continue
        unknown.append(key)
    return unknown


def _convert_error(error: ValidationError, prefix: JsonPath) -> Iterator[SchemaProblem]:
    error = _most_relevant(error)
    path = prefix + tuple(error.absolute_path)
    instance, schema = error.instance, error.schema
    if (
        error.validator == "additionalProperties"
        and error.validator_value is False
        and isinstance(instance, Mapping)
        and isinstance(schema, Mapping)
    ):
        unknown = _unknown_fields(instance, schema)
        if unknown:
            for key in unknown:
                yield SchemaProblem(
                    (*path, _path_element(key)), f"unknown field {_short_repr(key)}"
                )
            return
    yield SchemaProblem(path, _short_message(error))


def _short_repr(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _MAX_REPR else text[: _MAX_REPR - 3] + "..."


def _short_message(error: ValidationError) -> str:
    message = error.message
    full = repr(error.instance)
    if len(full) > _MAX_REPR and full in message:
        message = message.replace(full, _short_repr(error.instance), 1)
    message = " ".join(message.splitlines())
    if len(message) > _MAX_MESSAGE:
        message = message[: _MAX_MESSAGE - 3] + "..."
    return message


def _path_sort_key(path: Iterable[PathElement]) -> tuple[tuple[int, int, str], ...]:
    return tuple(
        (0, element, "") if isinstance(element, int) else (1, 0, element) for element in path
    )


def _problem_sort_key(problem: SchemaProblem) -> tuple[tuple[tuple[int, int, str], ...], str]:
    return _path_sort_key(problem.path), problem.message
