"""``wfchain new``: start an instance or a template from a ready-to-edit file.

The files are text written here line by line (not dumped data), because their point
is the comments: the schema header for editors, each parameter's description and
constraints. Both pass ``wfchain validate`` as written, except that an instance's
required parameters without a default are left empty (YAML null) for the user to
fill in: validation points at each one until it has a value.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path, PurePosixPath
from typing import Any

from generator import cron
from generator.model import Template
from generator.validate import known_timezones

DEFAULT_NAMESPACE = "default"
DEFAULT_SCHEDULE = "0 2 * * *"
DEFAULT_TIMEZONE = "UTC"

DNS1123 = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS1035 = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
_WIDTH = 88
_PLAIN_ZONE = re.compile(r"^[A-Za-z][A-Za-z0-9/_+-]*$")


class ScaffoldError(Exception):
    """The requested file cannot be written (bad name, or it exists)."""


def check_instance(name: str, namespace: str, schedule: str, timezone: str) -> None:
    """Refuse names, schedules and time zones the written file could not validate with."""
    if not DNS1035.match(name):
        raise ScaffoldError(f"'{name}' is not a valid instance name: a DNS-1035 label "
                            "(lowercase letters, digits and '-', starting with a letter, "
                            "at most 63 characters)")
    if not DNS1123.match(namespace):
        raise ScaffoldError(f"'{namespace}' is not a valid namespace: a DNS-1123 label "
                            "(lowercase letters, digits and '-', at most 63 characters)")
    try:
        parsed = cron.parse(schedule)
    except cron.CronError as exc:
        raise ScaffoldError(f"invalid cron schedule '{schedule}': {exc}") from None
    if not cron.can_ever_fire(parsed):
        raise ScaffoldError(f"cron schedule '{schedule}' can never fire")
    if timezone not in known_timezones():
        raise ScaffoldError(f"unknown time zone '{timezone}' (use an IANA name such as "
                            "Europe/Berlin)")


def check_template_name(name: str) -> None:
    if not DNS1123.match(name):
        raise ScaffoldError(f"'{name}' is not a valid template name: a DNS-1123 label "
                            "(lowercase letters, digits and '-', at most 63 characters)")


def _schema_header(folder: str, depth: int, schema: str) -> str:
    """The yaml-language-server line pointing at ``schemas/<schema>`` at the project root,
    from a file ``depth`` folders below ``folder``."""
    ups = len(PurePosixPath(folder).parts) + depth
    return f"# yaml-language-server: $schema={'../' * ups}schemas/{schema}"


def _comment(text: str, indent: str = "") -> list[str]:
    lines: list[str] = []
    for paragraph in text.strip().splitlines() or [""]:
        wrapped = textwrap.wrap(paragraph, _WIDTH - len(indent) - 2) or [""]
        lines += [f"{indent}# {line}".rstrip() for line in wrapped]
    return lines


def _scalar(value: Any) -> str:
    """A YAML flow scalar for a parameter value (JSON is valid YAML here)."""
    return json.dumps(value, ensure_ascii=False)


def _constraints(spec: dict[str, Any], required: bool) -> str:
    notes = [spec["type"]]
    if required:
        notes.append("required")
    elif "default" in spec:
        notes.append(f"optional, default {_scalar(spec['default'])}")
    else:
        notes.append("optional")
    if "enum" in spec:
        notes.append("one of " + ", ".join(_scalar(v) for v in spec["enum"]))
    if "pattern" in spec:
        notes.append(f"matching {spec['pattern']}")
    for key, label in (("minimum", "at least"), ("maximum", "at most"),
                       ("minLength", "length at least"), ("maxLength", "length at most")):
        if key in spec:
            notes.append(f"{label} {spec[key]}")
    return "; ".join(notes)


def instance_text(template: Template, name: str, namespace: str, instances_dir: str,
                  schedule: str = DEFAULT_SCHEDULE, timezone: str = DEFAULT_TIMEZONE) -> str:
    declared: dict[str, Any] = template.document.data.get("parameters") or {}
    lines = [_schema_header(instances_dir, 1, "instance.schema.json")]
    about = f"Instance '{name}' of the chain template '{template.name}'"
    if template.description:
        about += f": {template.description}"
    lines += _comment(about)
    lines += _comment("Fill in every parameter marked 'required', then run `wfchain validate`. "
                      "Reference: docs/instances.md in the wfchain documentation.")
    lines += [f"template: {template.name}",
              "# description: What this instance is for.",
              *_comment("When workflow 1 starts: five cron fields (minute hour day-of-month "
                        "month day-of-week), read in the time zone below."),
              f"schedule: {_scalar(schedule)}",
              "# IANA time zone name, e.g. Europe/Berlin.",
              f"timezone: {timezone if _PLAIN_ZONE.match(timezone) else _scalar(timezone)}",
              "# Dates (YYYY-MM-DD) on which the schedule does not fire:",
              "# exclusionDates:",
              '#   - "2026-12-25"']
    values: list[tuple[bool, str]] = []  # (commented out, line)
    for pname, parameter in template.parameters.items():
        spec = declared.get(pname, {})
        for line in _comment(parameter.description, "  ") if parameter.description else []:
            values.append((False, line))
        values += [(False, line) for line in
                   _comment(_constraints(spec, parameter.required), "  ")]
        if parameter.required:
            values.append((False, f"  {pname}:"))
        else:
            values.append((True, f"  {pname}: {_scalar(parameter.default)}"))
    if any(parameter.required for parameter in template.parameters.values()):
        lines += ["params:", *[f"  # {line.lstrip()}" if off else line for off, line in values]]
    elif values:
        # params: must stay a mapping, so the whole block is commented out.
        lines += ["# Every parameter has a default; to change one, uncomment 'params:' "
                  "and its line.", "# params:", *[f"#{line}" for _, line in values]]
    return "\n".join(lines) + "\n"


def template_text(name: str, templates_dir: str) -> str:
    """A minimal valid chain template: one parameter, one task per workflow, one value
    handed from workflow 1 to workflow 2."""
    header = _schema_header(templates_dir, 1, "template.schema.json")
    return f"""{header}
# Chain template '{name}': workflow 1 runs on each instance's schedule; when it is
# done, the hand-off step POSTs its outputs to the instance's webhook and workflow 2
# starts with them as arguments. Reference: docs/templates.md in the wfchain
# documentation.
apiVersion: wfchain.dev/v1alpha1
kind: ChainTemplate
metadata:
  name: {name}
  description: Say hello in workflow 1 and pass the greeting on to workflow 2.
parameters:
  greeting:
    type: string
    description: The text workflow 1 produces and hands to workflow 2.
workflow1:
  tasks:
    - name: produce
      template: produce
  templates:
    - name: produce
      outputs:
        parameters:
          - name: greeting
            valueFrom:
              path: /tmp/greeting
      container:
        image: docker.io/library/alpine:3.20
        command: [sh, -c]
        args:
          - |
            printf '%s' "$GREETING" > /tmp/greeting
        env:
          - name: GREETING
            value: "${{{{ params.greeting }}}}"
handoff:
  method: webhook
  after: [produce]
  parameters:
    - name: greeting
      value: "{{{{tasks.produce.outputs.parameters.greeting}}}}"
      description: What workflow 1 produced.
workflow2:
  arguments:
    parameters:
      - name: greeting
  tasks:
    - name: consume
      template: consume
  templates:
    - name: consume
      container:
        image: docker.io/library/alpine:3.20
        command: [sh, -c]
        args:
          - |
            echo "workflow 1 says: $GREETING"
        env:
          - name: GREETING
            value: "{{{{workflow.parameters.greeting}}}}"
"""


def write_new(path: Path, text: str) -> None:
    """Create ``path`` with ``text``; never replaces an existing file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        raise ScaffoldError(f"{path} already exists; not overwriting it") from None
