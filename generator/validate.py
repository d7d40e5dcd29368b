"""Stage 2: check chain templates and instances; build the models the renderer uses.

Every check appends diagnostics and carries on: one run reports every problem of
every file. A file with problems yields no model, so nothing is rendered from it.
"""

from __future__ import annotations

import datetime
import difflib
import re
import zoneinfo
from collections.abc import Collection, Iterator
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from jsonschema.protocols import Validator
from jsonschema.validators import create

from generator import cron, schemacheck
from generator.diagnostics import Diagnostic, JsonPath
from generator.diagnostics import foreign_characters as _foreign
from generator.load import Document
from generator.model import Instance, Parameter, Template
from generator.placeholders import PlaceholderError, compile_tree, placeholder_scope

#: Names wfchain itself puts into the workflows.
ENTRY_TEMPLATE = "main"
HANDOFF_NAME = "wfchain-handoff"
_RESERVED_SPEC_FIELDS = ("entrypoint", "templates", "arguments", "serviceAccountName",
                         "workflowTemplateRef")
_DEPENDS_TOKEN = re.compile(r"[A-Za-z0-9][-A-Za-z0-9]*")
_DEPENDS_RESULTS = frozenset({"Succeeded", "Failed", "Errored", "Skipped", "Omitted",
                              "Daemoned", "AnySucceeded", "AllFailed"})
_JSON_TYPES = {"string": "string", "integer": "integer", "number": "number",
               "boolean": "boolean"}
_DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_CONSTRAINTS = ("enum", "pattern", "minLength", "maxLength", "minimum", "maximum")
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@cache
def known_timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


def _timezone_hint(name: str) -> str:
    """'did you mean' for a time zone written in the wrong case or slightly misspelt."""
    zones = sorted(known_timezones())
    by_case = [zone for zone in zones if zone.lower() == name.lower()]
    close = by_case or difflib.get_close_matches(name, zones, n=1, cutoff=0.8)
    if close:
        return f"did you mean '{close[0]}'?"
    return "use an IANA name such as Europe/Berlin"


def _pattern(validator: Validator, pattern: str, instance: Any, schema: Any
             ) -> Iterator[ValidationError]:
    """JSON Schema's ``pattern`` with ECMA-262's ``$`` (the end of the text): Python's
    ``$`` also matches before a final newline, which let ``"name\\n"`` pass."""
    if isinstance(instance, str) and not re.search(re.sub(r"(?<!\\)\$", r"\\Z", pattern),
                                                   instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


#: Draft 2020-12 with that ``pattern`` (what ``jsonschema.validators.extend`` builds,
#: spelled out with ``create`` because ``extend`` is untyped).
_StrictValidator = create(
    meta_schema=Draft202012Validator.META_SCHEMA,
    validators={**Draft202012Validator.VALIDATORS, "pattern": _pattern},
    type_checker=Draft202012Validator.TYPE_CHECKER,
    format_checker=Draft202012Validator.FORMAT_CHECKER,
)


@cache
def shipped_validator(name: str) -> Validator:
    """The validator of one of wfchain's schemas (``instance.schema.json``, ...)."""
    validator: Validator = _StrictValidator(schemacheck.shipped_schema(name))
    return validator


# --------------------------------------------------------------------------- templates


def check_template(document: Document, folder_name: str) -> tuple[Template | None,
                                                                   list[Diagnostic]]:
    data = document.data
    if not isinstance(data, dict):
        return None, [document.diagnostic((), "a chain template must be a YAML mapping",
                                          "schema")]
    problems = schemacheck.check(document, shipped_validator("template.schema.json"))
    if problems:
        return None, problems
    name = data["metadata"]["name"]
    if name != folder_name:
        problems.append(document.diagnostic(
            ("metadata", "name"),
            f"template name '{name}' does not match its folder '{folder_name}'"
            f"{_foreign(folder_name)}", "template"))
    parameters, param_problems = _check_parameters(document, data.get("parameters") or {})
    problems += param_problems
    style = "dependencies"
    for section in ("workflow1", "workflow2"):
        section_style, section_problems = _check_workflow(document, section, data[section])
        problems += section_problems
        if section == "workflow1":
            style = section_style
    problems += _check_handoff(document, data)
    errors: list[PlaceholderError] = []
    plain = frozenset(document.plain_placeholders)
    scope = placeholder_scope(sorted(parameters))
    compiled = {section: compile_tree(data[section], (section,), plain, errors, scope)
                for section in ("workflow1", "handoff", "workflow2")}
    problems += [document.diagnostic(e.path, e.message, "placeholder") for e in errors]
    template = Template(
        name=folder_name,
        document=document,
        description=data["metadata"].get("description", ""),
        parameters=parameters,
        params_validator=schemacheck.make_validator(_params_schema(parameters)),
        compiled=compiled,
        workflow1_style=style,
        handoff_names=tuple(p["name"] for p in data["handoff"]["parameters"]),
        valid=not problems,
    )
    return template, problems


def _check_parameters(document: Document, declared: dict[str, Any]
                      ) -> tuple[dict[str, Parameter], list[Diagnostic]]:
    problems: list[Diagnostic] = []
    parameters: dict[str, Parameter] = {}
    for pname, spec in declared.items():
        path: JsonPath = ("parameters", pname)
        ptype = spec["type"]
        has_default = "default" in spec
        if spec.get("required") and has_default:
            problems.append(document.diagnostic((*path, "required"),
                                                "a parameter with a default cannot be required",
                                                "template"))
        if has_default and not _matches_type(spec["default"], ptype):
            problems.append(document.diagnostic((*path, "default"),
                                                f"default does not have type {ptype}",
                                                "template"))
        for index, option in enumerate(spec.get("enum", [])):
            if not _matches_type(option, ptype):
                problems.append(document.diagnostic((*path, "enum", index),
                                                    f"enum value does not have type {ptype}",
                                                    "template"))
        if "pattern" in spec:
            try:
                re.compile(spec["pattern"])
            except re.error as exc:
                problems.append(document.diagnostic((*path, "pattern"),
                                                    f"invalid regular expression: {exc}",
                                                    "template"))
        parameters[pname] = Parameter(
            name=pname, type=ptype, required=not has_default and spec.get("required", True),
            default=spec.get("default"), description=spec.get("description", ""),
            constraints={k: spec[k] for k in _CONSTRAINTS if k in spec})
    return parameters, problems


def _matches_type(value: Any, ptype: str) -> bool:
    if ptype == "boolean":
        return isinstance(value, bool)
    if ptype == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if ptype == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


def _params_schema(parameters: dict[str, Parameter]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for param in parameters.values():
        spec = {key: value for key, value in param.constraints.items()}
        properties[param.name] = {"type": _JSON_TYPES[param.type], **spec}
    return {
        "type": "object",
        "additionalProperties": False,
        "required": sorted(p.name for p in parameters.values() if p.required),
        "properties": properties,
    }


def _task_dependencies(task: dict[str, Any]) -> list[str]:
    if "depends" in task:
        names = []
        for token in _DEPENDS_TOKEN.findall(task["depends"]):
            if token not in _DEPENDS_RESULTS:
                names.append(token)
        return names
    return list(task.get("dependencies", []))


def _check_workflow(document: Document, section: str, workflow: dict[str, Any]
                    ) -> tuple[str, list[Diagnostic]]:
    problems: list[Diagnostic] = []

    def add(path: JsonPath, message: str, key: bool = False) -> None:
        problems.append(document.diagnostic((section, *path), message, "template", key=key))

    templates = workflow["templates"]
    template_names: set[str] = set()
    for index, tmpl in enumerate(templates):
        tname = tmpl["name"]
        if tname in (ENTRY_TEMPLATE, HANDOFF_NAME):
            add(("templates", index, "name"), f"template name '{tname}' is reserved by wfchain")
        elif tname in template_names:
            add(("templates", index, "name"), f"duplicate template name '{tname}'")
        template_names.add(tname)
    tasks = workflow["tasks"]
    task_names: dict[str, int] = {}
    uses_depends = any("depends" in t for t in tasks)
    uses_dependencies = any("dependencies" in t for t in tasks)
    for index, task in enumerate(tasks):
        tname = task["name"]
        if tname == HANDOFF_NAME:
            add(("tasks", index, "name"), f"task name '{tname}' is reserved by wfchain")
        elif tname in task_names:
            add(("tasks", index, "name"), f"duplicate task name '{tname}'")
        task_names.setdefault(tname, index)
        if "depends" in task and "dependencies" in task:
            add(("tasks", index), "a task uses either 'depends' or 'dependencies', not both")
        if "template" in task and task["template"] not in template_names:
            add(("tasks", index, "template"), f"unknown template '{task['template']}'")
    if uses_depends and uses_dependencies:
        add(("tasks",), "a DAG uses either 'depends' or 'dependencies' in all its tasks, "
            "not both")
    for index, task in enumerate(tasks):
        field = "depends" if "depends" in task else "dependencies"
        for dep in _task_dependencies(task):
            if dep not in task_names:
                add(("tasks", index, field), f"unknown task '{dep}'")
    cycle = _find_cycle({t["name"]: _task_dependencies(t) for t in tasks})
    if cycle:
        add(("tasks", task_names[cycle[0]], "name"),
            "dependency cycle: " + " -> ".join([*cycle, cycle[0]]))
    for field in _RESERVED_SPEC_FIELDS:
        if field in workflow.get("spec", {}):
            add(("spec", field), f"'{field}' is set by wfchain and cannot be given here",
                key=True)
    return ("depends" if uses_depends else "dependencies"), problems


def _find_cycle(graph: dict[str, list[str]]) -> list[str]:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for dep in graph.get(node, []):
            if dep not in graph:
                continue
            if state.get(dep) == 1:
                return stack[stack.index(dep):]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def _check_handoff(document: Document, data: dict[str, Any]) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    handoff = data["handoff"]
    tasks = {t["name"] for t in data["workflow1"]["tasks"]}
    for index, after in enumerate(handoff["after"]):
        if after not in tasks:
            problems.append(document.diagnostic(("handoff", "after", index),
                                                f"unknown workflow1 task '{after}'", "template"))
    received = {p["name"]: p for p in
                data["workflow2"].get("arguments", {}).get("parameters", [])}
    seen: set[str] = set()
    for index, item in enumerate(handoff["parameters"]):
        pname = item["name"]
        if pname in seen:
            problems.append(document.diagnostic(("handoff", "parameters", index, "name"),
                                                f"duplicate hand-off parameter '{pname}'",
                                                "template"))
        seen.add(pname)
        if pname not in received:
            problems.append(document.diagnostic(
                ("handoff", "parameters", index, "name"),
                f"workflow2 does not declare the argument '{pname}' (add it to "
                "workflow2.arguments.parameters)", "template"))
    for index, arg in enumerate(data["workflow2"].get("arguments", {}).get("parameters", [])):
        if "value" not in arg and arg["name"] not in seen:
            problems.append(document.diagnostic(
                ("workflow2", "arguments", "parameters", index),
                f"argument '{arg['name']}' has no value and the hand-off does not send it",
                "template"))
    return problems


# --------------------------------------------------------------------------- instances


def instance_location(relative: tuple[str, ...]) -> tuple[str, str] | None:
    """(namespace, name) from a path under instances/, or None if misplaced."""
    if len(relative) != 2 or not relative[1].endswith(".yaml"):
        return None
    return relative[0], relative[1][: -len(".yaml")]


def check_instance(document: Document, folder: str, stem: str,
                   templates: dict[str, Template], broken: Collection[str] = ()
                   ) -> tuple[Instance | None, list[Diagnostic]]:
    """Checks one instance. Every field that has the right type is checked further, so
    one run reports all of a file's problems."""
    data = document.data
    if not isinstance(data, dict):
        return None, [document.diagnostic((), "an instance must be a YAML mapping", "schema")]
    problems = schemacheck.check(document, shipped_validator("instance.schema.json"))
    problems += _check_location(document, data, folder, stem)
    schedule = _check_schedule(document, data.get("schedule"), problems)
    timezone = data.get("timezone", "UTC")
    if isinstance(timezone, str) and timezone not in known_timezones():
        problems.append(document.diagnostic(("timezone",), f"unknown time zone '{timezone}' "
                                            f"({_timezone_hint(timezone)})", "timezone"))
    exclusions = data.get("exclusionDates", [])
    for index, day in enumerate(exclusions if isinstance(exclusions, list) else []):
        if isinstance(day, str) and _ISO_DATE.match(day):
            try:
                datetime.date.fromisoformat(day)
            except ValueError:
                problems.append(document.diagnostic(("exclusionDates", index),
                                                    f"'{day}' is not a calendar date", "schema"))
    template_name = data.get("template")
    template = templates.get(template_name) if isinstance(template_name, str) else None
    raw_params = data.get("params") or {}
    params = dict(raw_params) if isinstance(raw_params, dict) else {}
    if isinstance(template_name, str) and template is None and template_name not in broken:
        known = ", ".join(sorted(templates)) or "none"
        problems.append(document.diagnostic(("template",), f"unknown template "
                                            f"'{template_name}' (known: {known})", "template"))
    elif template is not None and isinstance(raw_params, dict):
        problems += schemacheck.check(document, template.params_validator, data=params,
                                      base=("params",), check_name="params")
        for pname, value in params.items():
            param = template.parameters.get(pname)
            if param is not None and param.type == "integer" and isinstance(value, float):
                problems.append(document.diagnostic(
                    ("params", pname), f"expected integer, got number {value!r}", "params"))
        for pname, param in template.parameters.items():
            if pname not in params and not param.required:
                params[pname] = param.default
    if problems or schedule is None or template is None or not template.valid:
        # (a template with problems reports them itself; nothing is rendered from it)
        return None, problems
    return Instance(
        document=document,
        namespace=data.get("namespace", folder),
        name=data.get("name", stem),
        template_name=template.name,
        schedule=schedule,
        timezone=timezone,
        exclusion_dates=tuple(exclusions),
        params=params,
        pinned_id=data.get("id"),
        description=data.get("description", ""),
        webhook_auth=dict(data.get("webhookAuth") or {}),
    ), []


def _check_location(document: Document, data: dict[str, Any], folder: str, stem: str
                    ) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    if not _DNS1123.fullmatch(folder):
        problems.append(document.diagnostic(
            (), f"folder '{folder}' is not a valid namespace (DNS-1123 label){_foreign(folder)}",
            "path"))
    if not _DNS1035.fullmatch(stem):
        problems.append(document.diagnostic(
            (), f"file name '{stem}' is not a valid instance name (DNS-1035 label: lowercase "
            f"letters, digits and '-', starting with a letter, at most 63 characters)"
            f"{_foreign(stem)}", "path"))
    namespace = data.get("namespace", folder)
    name = data.get("name", stem)
    if isinstance(namespace, str) and namespace != folder:
        problems.append(document.diagnostic(
            ("namespace",), f"namespace '{namespace}' does not match the folder '{folder}'",
            "path"))
    if isinstance(name, str) and name != stem:
        problems.append(document.diagnostic(
            ("name",), f"name '{name}' does not match the file name '{stem}.yaml'", "path"))
    return problems


def _check_schedule(document: Document, expression: Any, problems: list[Diagnostic]
                    ) -> cron.Schedule | None:
    if not isinstance(expression, str):
        return None
    try:
        schedule = cron.parse(expression)
    except cron.CronError as exc:
        # robfig's message, as Argo Events would log it, plus the usual cause
        hint = " (Sunday is 0, not 7)" if str(exc).startswith(
            "day-of-week: end of range (7) above maximum (6)") else ""
        problems.append(document.diagnostic(("schedule",), f"invalid cron schedule: {exc}"
                                            f"{hint}", "cron"))
        return None
    if not cron.can_ever_fire(schedule):
        problems.append(document.diagnostic(
            ("schedule",), f"cron schedule '{expression}' can never fire "
            "(no month has such a day)", "cron"))
        return None
    return schedule
