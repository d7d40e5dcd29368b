"""Schedules, EventBus names and Kubernetes name limits.

* ``calendar``: a calendar event has a ``schedule`` or an ``interval`` (a Go
  duration such as ``10s`` or ``1h30m``);
* ``cron``: ``schedule`` parses as Argo Events parses it (robfig/cron v3, five
  fields; :mod:`generator.cron`) and fires at least once in the 366 days after
  the verification time (catches ``0 0 31 2 *``);
* ``timezone``: ``timezone`` is an IANA zone name (or ``UTC``/``Local``);
* ``exclusion-date``: every ``exclusionDates`` entry has the form
  ``EXDATE:20260102T150405Z`` with a real date (others are silently ignored by
  Argo Events);
* ``eventbus``: where the set defines EventBuses for a namespace, every
  EventSource and Sensor there uses one of them (by ``eventBusName``, default
  ``default``);
* ``name-length``/``name-format``: every ``metadata.name`` is a DNS-1123
  subdomain; Workflow, WorkflowTemplate, ClusterWorkflowTemplate, EventSource and
  Sensor names fit a label value (63 characters), CronWorkflow names 52; an
  EventSource with a Service keeps ``<name>-eventsource-svc`` a DNS-1035 label
  (63 characters, starting with a letter).
"""

from __future__ import annotations

import datetime
import re
import zoneinfo
from typing import Any

from generator import cron
from generator.diagnostics import Diagnostic, JsonPath
from generator.verify import (
    ARGO_GROUP,
    Chain,
    Manifest,
    as_dict,
    as_list,
    as_str,
    namespace_text,
)

WINDOW_DAYS = 366
_DURATION = re.compile(r"^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+$")
_EXDATE = re.compile(r"^EXDATE:(\d{8}T\d{6}Z)$")
_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_MAX = 63
SUBDOMAIN_MAX = 253
NAME_LIMITS = {
    "Workflow": (LABEL_MAX, "it becomes a label value"),
    "WorkflowTemplate": (LABEL_MAX, "it becomes a label value"),
    "ClusterWorkflowTemplate": (LABEL_MAX, "it becomes a label value"),
    "CronWorkflow": (52, "the Workflows it creates append a timestamp"),
    "EventSource": (LABEL_MAX, "it becomes the label value eventsource-name"),
    "Sensor": (LABEL_MAX, "it becomes the label value sensor-name"),
}
SERVICE_SUFFIX = "-eventsource-svc"


def check(chain: Chain, now: datetime.datetime) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for source in chain.argo("EventSource"):
        for name, event in as_dict(source.spec.get("calendar")).items():
            if isinstance(event, dict):
                problems += _calendar(source, ("spec", "calendar", name), event, now)
    problems += _event_buses(chain)
    for manifest in chain.manifests:
        problems += _names(manifest)
    return problems


def _calendar(source: Manifest, path: JsonPath, event: dict[str, Any],
              now: datetime.datetime) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    zone: zoneinfo.ZoneInfo | None = zoneinfo.ZoneInfo("UTC")
    timezone = event.get("timezone")
    if isinstance(timezone, str) and timezone not in ("", "Local"):
        try:
            zone = zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = None
            problems.append(source.diagnostic((*path, "timezone"),
                                              f"unknown time zone '{timezone}'", "timezone"))
    schedule = event.get("schedule")
    interval = event.get("interval")
    if not schedule and not interval:
        problems.append(source.diagnostic(path, "a calendar event needs a schedule or an "
                                          "interval", "calendar"))
    if isinstance(interval, str) and interval and not _DURATION.match(interval):
        problems.append(source.diagnostic((*path, "interval"), f"interval '{interval}' is not "
                                          "a Go duration (e.g. 10s, 1h30m)", "calendar"))
    if isinstance(schedule, str) and schedule:
        try:
            parsed = cron.parse(schedule)
        except cron.CronError as exc:
            problems.append(source.diagnostic((*path, "schedule"),
                                              f"schedule '{schedule}': {exc}", "cron"))
        else:
            if not cron.can_ever_fire(parsed):
                problems.append(source.diagnostic(
                    (*path, "schedule"), f"schedule '{schedule}' can never fire", "cron"))
            elif zone is not None and not cron.fires_within(parsed, zone, now, WINDOW_DAYS):
                problems.append(source.diagnostic(
                    (*path, "schedule"), f"schedule '{schedule}' does not fire in the next "
                    f"{WINDOW_DAYS} days", "cron"))
    for index, entry in enumerate(as_list(event.get("exclusionDates"))):
        problems += _exclusion(source, (*path, "exclusionDates", index), entry)
    return problems


def _exclusion(source: Manifest, path: JsonPath, entry: Any) -> list[Diagnostic]:
    text = as_str(entry)
    match = _EXDATE.match(text)
    if match:
        try:
            datetime.datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ")
            return []
        except ValueError:
            return [source.diagnostic(path, f"exclusion date '{text}' is not a real date",
                                      "exclusion-date")]
    return [source.diagnostic(path, f"exclusion date '{entry}' is ignored by Argo Events: "
                              "entries must look like EXDATE:20260102T150405Z",
                              "exclusion-date")]


def _event_buses(chain: Chain) -> list[Diagnostic]:
    buses: dict[str, set[str]] = {}
    for bus in chain.argo("EventBus"):
        buses.setdefault(bus.namespace, set()).add(bus.name)
    problems: list[Diagnostic] = []
    for kind in ("EventSource", "Sensor"):
        for manifest in chain.argo(kind):
            known = buses.get(manifest.namespace)
            name = as_str(manifest.spec.get("eventBusName")) or "default"
            if known is not None and name not in known:
                path: JsonPath = ("spec", "eventBusName") if "eventBusName" in manifest.spec \
                    else ("spec",)
                problems.append(manifest.diagnostic(
                    path, f"{manifest.describe()} uses EventBus '{name}', but the EventBus in "
                    f"{namespace_text(manifest.namespace)} is {', '.join(sorted(known))}",
                    "eventbus"))
    return problems


def _names(manifest: Manifest) -> list[Diagnostic]:
    name = manifest.name
    if not name or not manifest.kind:
        return []
    path: JsonPath = ("metadata", "name")
    if len(name) > SUBDOMAIN_MAX or not _SUBDOMAIN.match(name):
        return [manifest.diagnostic(path, f"name '{name}' is not a DNS-1123 subdomain "
                                    "(lowercase letters, digits, '-' and '.')", "name-format")]
    if manifest.group != ARGO_GROUP:
        return []
    problems: list[Diagnostic] = []
    limit = NAME_LIMITS.get(manifest.kind)
    if limit is not None and len(name) > limit[0]:
        problems.append(manifest.diagnostic(
            path, f"{manifest.kind} name '{name}' has {len(name)} characters; at most "
            f"{limit[0]} are allowed ({limit[1]})", "name-length"))
    elif manifest.kind == "EventSource" and as_dict(manifest.spec.get("service")).get("ports"):
        service = name + SERVICE_SUFFIX
        if len(service) > LABEL_MAX or not _DNS1035.match(service):
            problems.append(manifest.diagnostic(
                path, f"the Service of EventSource '{name}', '{service}', has {len(service)} "
                f"characters; a Service name is a DNS-1035 label of at most {LABEL_MAX} "
                "characters starting with a letter", "name-length"))
    return problems
