"""Continuity: workflow 1's hand-off reaches a webhook, a Sensor reads it, workflow 2 runs.

Hand-off calls are found in the container/script templates of every WorkflowSpec:

* wfchain's hand-off step: the URL in env ``WFCHAIN_WEBHOOK_URL``, the body built by
  the jq program ``{"name": $ENV.WFCHAIN_P0, ...}`` in the script (POST);
* hand-written steps whose command, args or script source run ``curl``: every
  ``http(s)://`` URL in that text (or in an env value the text uses), the method
  from ``-X``/``--request`` (else POST when ``-d``/``--data*``/``--json`` is
  given, else GET), and the body fields when the body is a literal JSON object in
  single quotes after ``-d``/``--data*``/``--json``.

A URL whose host is ``<service>[.<namespace>[.svc[.<cluster-domain>]]]`` with a
service named ``<eventsource>-eventsource-svc`` (wfchain's URL must be of this
form) is resolved: EventSource in that namespace -> its ``spec.service.ports``
(port) -> ``targetPort`` -> a webhook event on that port with that ``endpoint``
and ``method`` (check ``handoff-url``).  Other URLs are not followed.

Also checked: ``webhook-service`` (every service port's targetPort is a webhook
port), ``handoff-env`` (the jq program reads only variables the step sets),
``sensor-dependency`` (EventSource and event exist), ``eventbus`` (Sensor and
EventSource share an EventBus), ``trigger-parameter`` (the dependency exists),
``trigger-datakey`` (a calendar event carries ``eventTime``/``metadata``, a webhook
event ``header``/``body``/``metadata``; ``body.x`` is a field every known hand-off
to that event sends), ``trigger-dest`` (``spec.arguments.parameters.<i>.value``
exists, is the argument named ``x`` when ``body.x`` is a known hand-off field, and
the target WorkflowTemplate declares that argument), ``handoff-auth`` (a webhook
event with ``authSecret`` answers 401 to a hand-off that sends no ``Authorization``
header, or whose token comes from another Secret or key: wfchain's step reads it from
the file ``WFCHAIN_TOKEN_FILE``, which must lie in a mounted Secret volume),
``webhook-auth`` (warning: a webhook event a hand-off calls has no ``authSecret``, so
any pod that reaches it can start the next workflow) and ``handoff-unused``
(warning: a field sent that no trigger parameter reads, or a hand-off no Sensor
listens to).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from generator.diagnostics import Diagnostic, JsonPath, Level
from generator.render import ENV_BEARER_FILE, ENV_URL
from generator.verify import (
    ARGO_GROUP,
    Chain,
    Manifest,
    WorkflowSpec,
    as_dict,
    as_list,
    as_str,
    did_you_mean,
    listing,
    namespace_text,
    parameter_names,
    sensor_triggers,
    trigger_actions,
)
from generator.verify_workflow import resolve_template_ref

_BEARER = re.compile(r"Authorization:\s*Bearer", re.IGNORECASE)
SERVICE_SUFFIX = "-eventsource-svc"
_JQ_FIELD = re.compile(r'"((?:[^"\\]|\\.)+)"\s*:\s*\$ENV\.([A-Za-z_][A-Za-z0-9_]*)')
_JQ_ENV = re.compile(r"\$ENV\.([A-Za-z_][A-Za-z0-9_]*)")
_URL = re.compile(r"https?://[^\s'\"`\\<>|;)]+")
_SHELL_VAR = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?")
_METHOD = re.compile(r"(?:-X|--request)\s*['\"]?([A-Za-z]+)")
_DATA = re.compile(r"(?:^|\s)(?:-d|--data(?:-raw|-binary|-urlencode)?|--json)\s")
_JSON_BODY = re.compile(r"(?:-d|--data(?:-raw|-binary)?|--json)\s+'(\{.*?\})'", re.DOTALL)
_DEST = re.compile(r"^spec\.arguments\.parameters\.(\d+)\.value$")
_TEMPLATE_FIELD = re.compile(r"\.Input\.body\.([A-Za-z0-9_]+)|index\s+\.Input\.body\s+\"([^\"]+)\"")
_GJSON_SPECIAL = re.compile(r"[*?#|@\\]")
EVENT_ROOTS = {"webhook": ("header", "body", "metadata"), "calendar": ("eventTime", "metadata")}


@dataclass
class HandOff:
    spec: WorkflowSpec
    url: str
    url_path: JsonPath  # relative to the spec
    method: str
    fields: list[str] | None  # None: the body is not known
    body_path: JsonPath
    explicit: bool  # wfchain's own hand-off (its URL must resolve)
    #: whether the step sends an ``Authorization: Bearer`` header at all
    sends_bearer: bool = False
    #: (Secret, key, path of the volume's secretName) the token is read from, if known
    token: tuple[str, str, JsonPath] | None = None
    target: tuple[Manifest, str] | None = None


@dataclass
class _Event:
    source: Manifest
    name: str
    type: str


@dataclass
class _State:
    chain: Chain
    problems: list[Diagnostic] = field(default_factory=list)
    handoffs: list[HandOff] = field(default_factory=list)
    #: (namespace, eventsource, event) -> fields read by trigger parameters ('*': all)
    consumed: dict[tuple[str, str, str], set[str]] = field(
        default_factory=lambda: defaultdict(set))
    listened: set[tuple[str, str, str]] = field(default_factory=set)
    #: webhook events already warned about for having no authSecret
    unauthenticated: set[tuple[str, str, str]] = field(default_factory=set)


def check(chain: Chain) -> list[Diagnostic]:
    state = _State(chain)
    for source in chain.argo("EventSource"):
        _webhook_service(state, source)
    for spec in chain.workflow_specs:
        for handoff in _handoffs(state, spec):
            state.handoffs.append(handoff)
            _resolve(state, handoff)
    for sensor in chain.argo("Sensor"):
        _sensor(state, sensor)
    _unused(state)
    return state.problems


# --------------------------------------------------------------------------- hand-offs


def _texts(container: dict[str, Any], path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    for key in ("command", "args"):
        for index, item in enumerate(as_list(container.get(key))):
            if isinstance(item, str):
                yield (*path, key, index), item
    source = container.get("source")
    if isinstance(source, str):
        yield (*path, "source"), source


def _handoffs(state: _State, spec: WorkflowSpec) -> Iterator[HandOff]:
    for t_index, template in enumerate(as_list(spec.spec.get("templates"))):
        if not isinstance(template, dict):
            continue
        for key in ("container", "script"):
            container = template.get(key)
            if not isinstance(container, dict):
                continue
            path: JsonPath = ("templates", t_index, key)
            env: dict[str, tuple[int, str]] = {}
            for e_index, item in enumerate(as_list(container.get("env"))):
                if isinstance(item, dict) and isinstance(item.get("name"), str):
                    env[item["name"]] = (e_index, as_str(item.get("value")))
            texts = list(_texts(container, path))
            handoffs: list[HandOff] = []
            if ENV_URL in env:
                handoffs = [_wfchain_handoff(state, spec, path, env, texts)]
            elif any("curl" in text for _, text in texts):
                handoffs = list(_curl_handoffs(spec, path, env, texts))
            bearer = any(_BEARER.search(text) for _, text in texts)
            token = _token_source(spec, t_index, template, container, env)
            for handoff in handoffs:
                handoff.sends_bearer, handoff.token = bearer, token
                yield handoff


def _token_source(spec: WorkflowSpec, t_index: int, template: dict[str, Any],
                  container: dict[str, Any], env: dict[str, tuple[int, str]]
                  ) -> tuple[str, str, JsonPath] | None:
    """The Secret and key behind the file named by ``WFCHAIN_TOKEN_FILE``: a volume
    mount of the container holding that file, of a Secret volume of the template (or
    of the whole spec), whose ``items`` map the key to that path (no items: the file
    name is the key)."""
    if ENV_BEARER_FILE not in env:
        return None
    token_file = env[ENV_BEARER_FILE][1]
    for mount in as_list(container.get("volumeMounts")):
        mount_path = as_str(as_dict(mount).get("mountPath")).rstrip("/")
        if not mount_path or not token_file.startswith(mount_path + "/"):
            continue
        relative = token_file[len(mount_path) + 1:]
        volume_name = as_str(as_dict(mount).get("name"))
        for where in (("templates", t_index), ()):
            holder = as_dict(template) if where else spec.spec
            for v_index, volume in enumerate(as_list(holder.get("volumes"))):
                secret = as_dict(as_dict(volume).get("secret"))
                if as_dict(volume).get("name") != volume_name or not secret:
                    continue
                name_path: JsonPath = (*where, "volumes", v_index, "secret", "secretName")
                name = as_str(secret.get("secretName"))
                items = [as_dict(i) for i in as_list(secret.get("items"))]
                if not items:
                    return name, relative, name_path
                for item in items:
                    if as_str(item.get("path")) == relative:
                        return name, as_str(item.get("key")), name_path
                return None
    return None


def _wfchain_handoff(state: _State, spec: WorkflowSpec, path: JsonPath,
                     env: dict[str, tuple[int, str]], texts: list[tuple[JsonPath, str]]
                     ) -> HandOff:
    e_index, url = env[ENV_URL]
    fields: list[str] = []
    body_path = path
    for where, text in texts:
        found = _JQ_FIELD.findall(text)
        if found:
            body_path = where
            fields += [json.loads(f'"{name}"') for name, _ in found]
        for variable in _JQ_ENV.findall(text):
            if variable not in env:
                state.problems.append(spec.diagnostic(
                    where, f"the hand-off's jq program reads $ENV.{variable}, but the step "
                    f"sets no such environment variable (env: {listing(list(env))})",
                    "handoff-env"))
    return HandOff(spec, url, (*path, "env", e_index, "value"), "POST", fields, body_path,
                   explicit=True)


def _curl_handoffs(spec: WorkflowSpec, path: JsonPath, env: dict[str, tuple[int, str]],
                   texts: list[tuple[JsonPath, str]]) -> Iterator[HandOff]:
    whole = "\n".join(text for _, text in texts)
    match = _METHOD.search(whole)
    method = match.group(1).upper() if match else ("POST" if _DATA.search(whole) else "GET")
    fields: list[str] | None = None
    body_path = path
    for where, text in texts:
        body = _JSON_BODY.search(text)
        if body:
            try:
                parsed = json.loads(body.group(1))
            except ValueError:
                continue
            if isinstance(parsed, dict):
                fields, body_path = [str(k) for k in parsed], where
                break
    seen: set[str] = set()
    for where, text in texts:
        for url in _URL.findall(text):
            if url not in seen:
                seen.add(url)
                yield HandOff(spec, url, where, method, fields, body_path, explicit=False)
        for variable in _SHELL_VAR.findall(text):
            if variable in env and _URL.fullmatch(env[variable][1]) and \
                    env[variable][1] not in seen:
                seen.add(env[variable][1])
                yield HandOff(spec, env[variable][1], (*path, "env", env[variable][0], "value"),
                              method, fields, body_path, explicit=False)


def _resolve(state: _State, handoff: HandOff) -> None:
    spec = handoff.spec

    def fail(message: str) -> None:
        state.problems.append(spec.diagnostic(handoff.url_path, message, "handoff-url"))

    try:
        parts = urlsplit(handoff.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        fail(f"hand-off URL '{handoff.url}' is not a valid URL: {exc}")
        return
    host = (parts.hostname or "").lower()
    labels = host.split(".")
    service = labels[0]
    in_cluster = len(labels) <= 2 or labels[2] == "svc"
    if not (in_cluster and service.endswith(SERVICE_SUFFIX)):
        if handoff.explicit:
            fail(f"hand-off URL host '{host}' is not the Service of an EventSource "
                 "(<eventsource>-eventsource-svc.<namespace>.svc.<cluster-domain>)")
        return
    namespace = labels[1] if len(labels) >= 2 else spec.namespace
    name = service.removesuffix(SERVICE_SUFFIX)
    chain = state.chain
    source = chain.get(ARGO_GROUP, "EventSource", namespace, name)
    if source is None:
        known = [n + SERVICE_SUFFIX for n in chain.names(ARGO_GROUP, "EventSource", namespace)]
        fail(f"hand-off URL host names Service '{service}' in {namespace_text(namespace)}, but "
             f"there is no EventSource '{name}' there{did_you_mean(service, known)}")
        return
    webhook = as_dict(source.spec.get("webhook"))
    if not webhook:
        fail(f"hand-off URL names {source.describe()}, which has no webhook event")
        return
    ports = [p for p in as_list(as_dict(source.spec.get("service")).get("ports"))
             if isinstance(p, dict)]
    if not ports:
        fail(f"{source.describe()} sets no spec.service.ports, so the controller creates no "
             f"Service '{service}' for the hand-off URL")
        return
    service_port = next((p for p in ports if p.get("port") == port), None)
    if service_port is None:
        fail(f"hand-off URL port {port} is not a port of Service '{service}' "
             f"(ports: {listing([str(p.get('port')) for p in ports])})")
        return
    target_port = str(service_port.get("targetPort", service_port.get("port")))
    on_port = {n: e for n, e in webhook.items()
               if isinstance(e, dict) and str(e.get("port")) == target_port}
    if not on_port:
        return  # reported by _webhook_service at the EventSource
    endpoint = parts.path or "/"
    matches = [n for n, e in sorted(on_port.items()) if e.get("endpoint") == endpoint]
    if not matches:
        endpoints = [as_str(e.get("endpoint")) for e in on_port.values()]
        fail(f"no webhook event of {source.describe()} listens on port {target_port} at "
             f"endpoint '{endpoint}' (endpoints there: {listing(endpoints)})"
             f"{did_you_mean(endpoint, endpoints)}")
        return
    event = matches[0]
    accepted = as_str(on_port[event].get("method")).upper()
    if accepted != handoff.method:
        fail(f"webhook event '{event}' of {source.describe()} accepts only "
             f"{accepted or 'no method'}; the hand-off sends {handoff.method}")
        return
    handoff.target = (source, event)
    _auth(state, handoff, source, event, on_port[event])


def _auth(state: _State, handoff: HandOff, source: Manifest, event: str,
          definition: dict[str, Any]) -> None:
    secret = as_dict(definition.get("authSecret"))
    if not secret:
        key = (source.namespace, source.name, event)
        if key not in state.unauthenticated:
            state.unauthenticated.add(key)
            state.problems.append(source.diagnostic(
                ("spec", "webhook", event), f"webhook event '{event}' has no authSecret: any "
                "pod that reaches it can start the next workflow with values of its choosing",
                "webhook-auth", level=Level.WARNING))
        return
    name, key_name = as_str(secret.get("name")), as_str(secret.get("key"))
    wanted = f"Secret '{name}', key '{key_name}'"
    if not handoff.sends_bearer:
        state.problems.append(handoff.spec.diagnostic(
            handoff.url_path, f"webhook event '{event}' of {source.describe()} demands a bearer "
            f"token ({wanted}), but the hand-off sends no Authorization header: every call "
            "gets HTTP 401", "handoff-auth"))
    elif handoff.explicit and handoff.token is None:
        state.problems.append(handoff.spec.diagnostic(
            handoff.url_path, f"the hand-off's token file (env {ENV_BEARER_FILE}) is in no "
            f"mounted Secret volume; webhook event '{event}' of {source.describe()} checks "
            f"{wanted}", "handoff-auth"))
    elif handoff.token is not None and handoff.token[:2] != (name, key_name):
        state.problems.append(handoff.spec.diagnostic(
            handoff.token[2], f"the hand-off reads its token from Secret '{handoff.token[0]}', "
            f"key '{handoff.token[1]}', but webhook event '{event}' of {source.describe()} "
            f"checks {wanted}: every call gets HTTP 401", "handoff-auth"))


def _webhook_service(state: _State, source: Manifest) -> None:
    webhook = as_dict(source.spec.get("webhook"))
    ports = as_list(as_dict(source.spec.get("service")).get("ports"))
    if not webhook or not ports:
        return
    listening = sorted({str(e.get("port")) for e in webhook.values() if isinstance(e, dict)})
    for index, port in enumerate(ports):
        if not isinstance(port, dict):
            continue
        target = port.get("targetPort", port.get("port"))
        if isinstance(target, str) and not target.isdigit():
            continue  # a named port: nothing to compare
        if str(target) not in listening:
            path: JsonPath = ("spec", "service", "ports", index,
                              "targetPort" if "targetPort" in port else "port")
            state.problems.append(source.diagnostic(
                path, f"Service port {port.get('port')} forwards to port {target}, where no "
                f"webhook event listens (webhook ports: {listing(listening)})",
                "webhook-service"))


# --------------------------------------------------------------------------- sensors


def _event_type(source: Manifest, event: str) -> str | None:
    for key, events in source.spec.items():
        if isinstance(events, dict) and key not in ("service", "template") and event in events:
            return key
    return None


def _sensor(state: _State, sensor: Manifest) -> None:
    chain = state.chain
    bus = as_str(sensor.spec.get("eventBusName")) or "default"
    dependencies: dict[str, tuple[dict[str, Any], _Event | None]] = {}
    for index, dependency in enumerate(as_list(sensor.spec.get("dependencies"))):
        if not isinstance(dependency, dict):
            continue
        path: JsonPath = ("spec", "dependencies", index)
        name = as_str(dependency.get("name"))
        source_name = as_str(dependency.get("eventSourceName"))
        event_name = as_str(dependency.get("eventName"))
        source = chain.get(ARGO_GROUP, "EventSource", sensor.namespace, source_name)
        resolved: _Event | None = None
        if source is None:
            known = chain.names(ARGO_GROUP, "EventSource", sensor.namespace)
            state.problems.append(sensor.diagnostic(
                (*path, "eventSourceName"), f"dependency '{name}': no EventSource "
                f"'{source_name}' in {namespace_text(sensor.namespace)}"
                f"{did_you_mean(source_name, known)}", "sensor-dependency"))
        else:
            kind = _event_type(source, event_name)
            if kind is None:
                events = [e for k, v in source.spec.items()
                          if isinstance(v, dict) and k not in ("service", "template") for e in v]
                state.problems.append(sensor.diagnostic(
                    (*path, "eventName"), f"dependency '{name}': {source.describe()} has no "
                    f"event '{event_name}' (events: {listing(events)})"
                    f"{did_you_mean(event_name, events)}", "sensor-dependency"))
            else:
                resolved = _Event(source, event_name, kind)
                state.listened.add((source.namespace, source.name, event_name))
            source_bus = as_str(source.spec.get("eventBusName")) or "default"
            if source_bus != bus:
                state.problems.append(sensor.diagnostic(
                    (*path, "eventSourceName"), f"dependency '{name}': {source.describe()} "
                    f"publishes to EventBus '{source_bus}', but {sensor.describe()} listens on "
                    f"'{bus}'", "eventbus"))
        dependencies.setdefault(name, (dependency, resolved))
    for t_path, trigger in sensor_triggers(sensor):
        for p_index, parameter in enumerate(as_list(trigger.get("parameters"))):
            if isinstance(parameter, dict):  # parameters of the trigger template itself
                _trigger_parameter(state, sensor, (*t_path, "parameters", p_index),
                                   parameter, dependencies, {})
        for sub, _, action in trigger_actions(trigger):
            resource = as_dict(as_dict(action.get("source")).get("resource"))
            for p_index, parameter in enumerate(as_list(action.get("parameters"))):
                if isinstance(parameter, dict):
                    _trigger_parameter(state, sensor, (*t_path, *sub, "parameters", p_index),
                                       parameter, dependencies, resource)


def _senders(state: _State, event: _Event) -> list[HandOff]:
    return [h for h in state.handoffs if h.target is not None and h.fields is not None
            and h.target[0] is event.source and h.target[1] == event.name]


def _trigger_parameter(state: _State, sensor: Manifest, path: JsonPath,
                       parameter: dict[str, Any],
                       dependencies: dict[str, tuple[dict[str, Any], _Event | None]],
                       resource: dict[str, Any]) -> None:
    src = as_dict(parameter.get("src"))
    dependency_name = as_str(src.get("dependencyName"))
    if dependency_name not in dependencies:
        state.problems.append(sensor.diagnostic(
            (*path, "src", "dependencyName"), f"trigger parameter reads dependency "
            f"'{dependency_name}', which the Sensor does not declare (dependencies: "
            f"{listing(list(dependencies))})", "trigger-parameter"))
        return
    dependency, event = dependencies[dependency_name]
    if event is None:
        return
    key = (event.source.namespace, event.source.name, event.name)
    data_key = src.get("dataKey")
    template = as_str(src.get("dataTemplate"))
    for match in _TEMPLATE_FIELD.finditer(template):
        state.consumed[key].add(match.group(1) or match.group(2))
    if ".Input.body " in template or template.strip() in ("{{ .Input.body }}", "{{.Input.body}}"):
        state.consumed[key].add("*")
    if not isinstance(data_key, str) or "transform" in dependency or \
            _GJSON_SPECIAL.search(data_key):
        return
    head, _, rest = data_key.partition(".")
    roots = EVENT_ROOTS.get(event.type)
    if roots is not None and head not in roots:
        hint = f" (did you mean 'body.{data_key}'?)" if event.type == "webhook" else ""
        state.problems.append(sensor.diagnostic(
            (*path, "src", "dataKey"), f"dataKey '{data_key}' selects nothing: a {event.type} "
            f"event carries {', '.join(roots)}{hint}", "trigger-datakey"))
        return
    if head != "body" or event.type != "webhook":
        return
    wanted = rest.partition(".")[0]
    state.consumed[key].add(wanted or "*")
    senders = _senders(state, event)
    sent = sorted({f for h in senders for f in (h.fields or [])})
    if wanted and senders and any(wanted not in (h.fields or []) for h in senders):
        state.problems.append(sensor.diagnostic(
            (*path, "src", "dataKey"), f"dataKey '{data_key}' reads a field the hand-off to "
            f"{event.source.describe()} does not send (it sends: {listing(sent)})"
            f"{did_you_mean(wanted, sent)}", "trigger-datakey"))
        return
    _dest(state, sensor, path, parameter, resource, wanted if senders else "")


def _dest(state: _State, sensor: Manifest, path: JsonPath, parameter: dict[str, Any],
          resource: dict[str, Any], field_name: str) -> None:
    dest = as_str(parameter.get("dest"))
    match = _DEST.match(dest)
    if resource.get("kind") != "Workflow" or match is None:
        return
    spec = as_dict(resource.get("spec"))
    arguments = parameter_names(spec.get("arguments"))
    index = int(match.group(1))
    if index >= len(arguments):
        state.problems.append(sensor.diagnostic(
            (*path, "dest"), f"dest '{dest}' points past the {len(arguments)} argument(s) of "
            f"the submitted Workflow ({listing(arguments)})", "trigger-dest"))
        return
    argument = arguments[index]
    if field_name and argument != field_name:
        hint = (f"; argument '{field_name}' is at index {arguments.index(field_name)}"
                if field_name in arguments else "")
        state.problems.append(sensor.diagnostic(
            (*path, "dest"), f"dest '{dest}' sets argument '{argument}', but the value read is "
            f"'body.{field_name}'{hint}", "trigger-dest"))
        return
    ref = spec.get("workflowTemplateRef")
    if isinstance(ref, dict):
        namespace = as_str(as_dict(resource.get("metadata")).get("namespace")) or \
            sensor.namespace
        described, target = resolve_template_ref(state.chain, namespace, ref)
        declared = parameter_names(as_dict(target).get("arguments")) if target else None
        if declared is not None and argument not in declared:
            state.problems.append(sensor.diagnostic(
                (*path, "dest"), f"dest '{dest}' sets argument '{argument}', which "
                f"{described} does not declare (arguments: {listing(declared)})",
                "trigger-dest"))


def _unused(state: _State) -> None:
    for handoff in state.handoffs:
        if handoff.target is None:
            continue
        source, event = handoff.target
        key = (source.namespace, source.name, event)
        if key not in state.listened:
            state.problems.append(handoff.spec.diagnostic(
                handoff.url_path, f"no Sensor depends on event '{event}' of "
                f"{source.describe()}: the hand-off goes nowhere", "handoff-unused",
                level=Level.WARNING))
            continue
        consumed = state.consumed.get(key, set())
        if "*" in consumed or handoff.fields is None:
            continue
        for name in handoff.fields:
            if name not in consumed:
                state.problems.append(handoff.spec.diagnostic(
                    handoff.body_path, f"the hand-off sends '{name}' to event '{event}' of "
                    f"{source.describe()}, but no Sensor trigger parameter reads "
                    f"'body.{name}': it is dropped", "handoff-unused", level=Level.WARNING))
