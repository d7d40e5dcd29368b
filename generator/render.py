"""Stage 4: one validated instance + its compiled template -> Kubernetes manifests.

Everything here is pure data transformation: no file system, no clock, no
randomness, so the same inputs always give the same manifests. Names come from
:mod:`generator.identity`; the Argo facts the output relies on are cited inline.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from generator import emit
from generator.config import Config
from generator.diagnostics import Diagnostic
from generator.identity import Names
from generator.model import Instance, Template
from generator.placeholders import PlaceholderError, materialize
from generator.validate import ENTRY_TEMPLATE, HANDOFF_NAME

ARGO = "argoproj.io/v1alpha1"
RBAC = "rbac.authorization.k8s.io/v1"
MANAGED_BY = "app.kubernetes.io/managed-by"
INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
TEMPLATE_LABEL = "wfchain.dev/template"
CRON_EVENT = "schedule"
WEBHOOK_EVENT = "handoff"
ENV_URL = "WFCHAIN_WEBHOOK_URL"
ENV_PARAM = "WFCHAIN_P{}"
ENV_BEARER_FILE = "WFCHAIN_TOKEN_FILE"
BEARER_VOLUME = "wfchain-webhook-token"
BEARER_DIR = "/var/run/wfchain/webhook-token"
BEARER_FILE = "token"
HANDOFF_COMPONENT = "handoff"
NETWORKING = "networking.k8s.io/v1"
#: The labels the EventSource controller gives an EventSource's pods (and selects them
#: with in its Service): pkg/reconciler/eventsource/resource.go.
EVENTSOURCE_POD_LABELS = ("controller", "eventsource-name", "owner-name")
#: Argo CD applies lower waves first: RBAC (ServiceAccount, Role, RoleBinding), then
#: WorkflowTemplates, EventSources, Sensors; keyed by component (docs/argocd.md).
SYNC_WAVE = "argocd.argoproj.io/sync-wave"
SYNC_WAVES = {
    "sensor-rbac": "0", "workflow-rbac": "0", "network-policy": "0",
    "workflow1": "1", "workflow2": "1",
    "cron": "2", "webhook": "2",
    "trigger1": "3", "trigger2": "3",
}


@dataclass(frozen=True)
class RenderedFile:
    """One output file, its path relative to the output folder (posix)."""

    path: str
    content: str


def placeholder_context(instance: Instance, names: Names) -> dict[str, Any]:
    return {
        "instance": {
            "id": names.id,
            "name": instance.name,
            "namespace": instance.namespace,
            "template": instance.template_name,
            "schedule": instance.schedule.expression,
            "timezone": instance.timezone,
        },
        "params": dict(instance.params),
        "webhook": {
            "url": names.webhook_url,
            "host": names.webhook_host,
            "port": names.webhook_port,
            "endpoint": names.webhook_endpoint,
        },
        "names": {
            "workflow1": names.workflow1,
            "workflow2": names.workflow2,
            "cron": names.cron_eventsource,
            "webhook": names.webhook_eventsource,
            "trigger1": names.trigger1,
            "trigger2": names.trigger2,
            "sensorServiceAccount": names.sensor_account,
            "workflowServiceAccount": names.workflow_account,
            "webhookService": names.webhook_service,
        },
    }


class Renderer:
    """Renders instances; holds nothing per instance, so one serves a whole run."""

    def __init__(self, config: Config) -> None:
        self.config = config

    # ------------------------------------------------------------------ helpers
    def _metadata(self, name: str, names: Names, template: Template, component: str
                  ) -> dict[str, Any]:
        return {
            "name": name,
            "namespace": names.namespace,
            "labels": self._labels(names, template, component),
            "annotations": {SYNC_WAVE: SYNC_WAVES[component]},
        }

    @staticmethod
    def _labels(names: Names, template: Template, component: str) -> dict[str, str]:
        return {
            MANAGED_BY: "wfchain",
            INSTANCE_LABEL: names.id,
            COMPONENT_LABEL: component,
            TEMPLATE_LABEL: template.name,
        }

    # ------------------------------------------------------------------ workflows
    def _handoff_template(self, names: Names, items: Sequence[dict[str, Any]]
                          ) -> dict[str, Any]:
        """The step that POSTs the hand-off parameters to the webhook.

        Values never pass through the shell or string concatenation: Argo puts each
        ``{{inputs.parameters.x}}`` into an environment variable, jq builds the JSON
        object from the environment (``$ENV``), and curl sends it from a pipe. The jq
        program and the script are fixed text built from validated names only.

        With webhook authentication the bearer token is read at run time from the
        instance's Secret, mounted read-only, and reaches curl as a header on its
        standard input (``--header @-``; the body then comes from file descriptor 3):
        it is never in an argument vector, an environment variable, a parameter or
        the log.
        """
        fields = ",".join(
            f"\n  {json.dumps(item['name'])}: $ENV.{ENV_PARAM.format(i)}"
            for i, item in enumerate(items)
        )
        program = "{" + fields + ("\n}" if items else "}")
        cfg = self.config
        auth = bool(names.webhook_auth_secret)
        curl = [
            "curl --silent --show-error --fail-with-body \\",
            f"  --retry {cfg.handoff_retries} --retry-all-errors --retry-connrefused"
            f" --retry-delay 2 --max-time {cfg.handoff_timeout} \\",
        ]
        if auth:
            send = [
                'answer=$(printf \'%s\' "$body" | {',
                "  { printf 'Authorization: Bearer '; "
                f"tr -d '\\r\\n' < \"${ENV_BEARER_FILE}\"; echo; }} |",
                *(f"  {line}" for line in curl),
                "    --request POST --header 'Content-Type: application/json' --header @- \\",
                f"    --data-binary @/dev/fd/3 --write-out '\\n%{{http_code}}' \"${ENV_URL}\"",
                "} 3<&0) || rc=$?",
            ]
            check = [
                f'if [ ! -s "${ENV_BEARER_FILE}" ]; then',
                f'  echo "hand-off: no webhook token in ${ENV_BEARER_FILE}" >&2',
                f'  echo "hand-off: create Secret {names.webhook_auth_secret},'
                f' key {names.webhook_auth_key}" >&2',
                "  exit 1",
                "fi",
            ]
        else:
            send = [
                f"answer=$(printf '%s' \"$body\" | {curl[0]}",
                curl[1],
                "  --request POST --header 'Content-Type: application/json' --data-binary @- \\",
                f"  --write-out '\\n%{{http_code}}' \"${ENV_URL}\") || rc=$?",
            ]
            check = []
        script = "\n".join([
            "set -eu",
            *check,
            f"body=$(jq -cn '{program}')",
            "rc=0",
            *send,
            "status=$(printf '%s' \"$answer\" | tail -n 1)",
            "printf '%s\\n' \"$answer\" | sed '$d' >&2",
            'case "$rc:$status" in',
            '  0:2??) echo "hand-off accepted: HTTP $status" ;;',
            f'  *) echo "hand-off failed: HTTP $status (curl exit $rc) from ${ENV_URL}" >&2;'
            " exit 1 ;;",
            "esac",
            "",
        ])
        env = [{"name": ENV_URL, "value": names.webhook_url}]
        if auth:
            env.append({"name": ENV_BEARER_FILE, "value": f"{BEARER_DIR}/{BEARER_FILE}"})
        env += [
            {"name": ENV_PARAM.format(i), "value": f"{{{{inputs.parameters.{item['name']}}}}}"}
            for i, item in enumerate(items)
        ]
        template: dict[str, Any] = {"name": HANDOFF_NAME}
        if items:
            template["inputs"] = {"parameters": [{"name": item["name"]} for item in items]}
        # The pod's labels: the NetworkPolicy of the webhook admits exactly these pods.
        template["metadata"] = {"labels": self.handoff_pod_labels(names)}
        template["retryStrategy"] = {
            "limit": "2",
            "retryPolicy": "Always",
            "backoff": {"duration": "30s", "factor": "2"},
        }
        container: dict[str, Any] = {
            "image": cfg.handoff_image,
            "command": ["/bin/sh", "-c"],
            "args": [script],
            "env": env,
            "securityContext": {
                "runAsNonRoot": True,
                "runAsUser": cfg.handoff_user,
                "runAsGroup": cfg.handoff_user,
                "readOnlyRootFilesystem": True,
                "allowPrivilegeEscalation": False,
                "privileged": False,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"},
            },
        }
        if auth:
            container["volumeMounts"] = [
                {"name": BEARER_VOLUME, "mountPath": BEARER_DIR, "readOnly": True}]
            # optional: a missing Secret fails the step with the message above instead
            # of leaving the pod pending forever.
            template["volumes"] = [{
                "name": BEARER_VOLUME,
                "secret": {
                    "secretName": names.webhook_auth_secret,
                    "items": [{"key": names.webhook_auth_key, "path": BEARER_FILE}],
                    "optional": True,
                },
            }]
        template["container"] = container
        return template

    @staticmethod
    def handoff_pod_labels(names: Names) -> dict[str, str]:
        return {INSTANCE_LABEL: names.id, COMPONENT_LABEL: HANDOFF_COMPONENT}

    def _workflow_spec(self, names: Names, template: Template, section: dict[str, Any],
                       component: str, extra_templates: Sequence[dict[str, Any]],
                       extra_task: dict[str, Any] | None) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "entrypoint": ENTRY_TEMPLATE,
            "serviceAccountName": names.workflow_account,
        }
        arguments = section.get("arguments", {}).get("parameters")
        if arguments:
            spec["arguments"] = {"parameters": arguments}
        extra = dict(section.get("spec", {}))
        metadata = dict(extra.pop("workflowMetadata", {}))
        metadata["labels"] = {**metadata.get("labels", {}),
                              **self._labels(names, template, component)}
        spec["workflowMetadata"] = metadata
        spec.update(extra)
        tasks = list(section["tasks"])
        if extra_task is not None:
            tasks.append(extra_task)
        spec["templates"] = [
            {"name": ENTRY_TEMPLATE, "dag": {"tasks": tasks}},
            *section["templates"],
            *extra_templates,
        ]
        return spec

    def workflow1(self, names: Names, template: Template, section: dict[str, Any],
                  handoff: dict[str, Any]) -> dict[str, Any]:
        items = handoff["parameters"]
        task: dict[str, Any] = {"name": HANDOFF_NAME, "template": HANDOFF_NAME}
        after = list(handoff["after"])
        if template.workflow1_style == "depends":
            task["depends"] = " && ".join(after)
        else:
            task["dependencies"] = after
        if items:
            task["arguments"] = {"parameters": [{"name": i["name"], "value": i["value"]}
                                                for i in items]}
        return {
            "apiVersion": ARGO,
            "kind": "WorkflowTemplate",
            "metadata": self._metadata(names.workflow1, names, template, "workflow1"),
            "spec": self._workflow_spec(names, template, section, "workflow1",
                                        [self._handoff_template(names, items)], task),
        }

    def workflow2(self, names: Names, template: Template, section: dict[str, Any]
                  ) -> dict[str, Any]:
        return {
            "apiVersion": ARGO,
            "kind": "WorkflowTemplate",
            "metadata": self._metadata(names.workflow2, names, template, "workflow2"),
            "spec": self._workflow_spec(names, template, section, "workflow2", [], None),
        }

    # ------------------------------------------------------------------ events
    def cron_eventsource(self, names: Names, template: Template, instance: Instance
                         ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "schedule": instance.schedule.expression,
            "timezone": instance.timezone,
        }
        if instance.exclusion_dates:
            # Argo Events only honours entries of the form EXDATE:20260102T150405Z.
            event["exclusionDates"] = [
                "EXDATE:" + day.replace("-", "") + "T000000Z"
                for day in sorted(instance.exclusion_dates)
            ]
        return {
            "apiVersion": ARGO,
            "kind": "EventSource",
            "metadata": self._metadata(names.cron_eventsource, names, template, "cron"),
            "spec": {
                "eventBusName": self.config.event_bus,
                "calendar": {CRON_EVENT: event},
            },
        }

    def webhook_eventsource(self, names: Names, template: Template) -> dict[str, Any]:
        port = self.config.webhook_port
        event: dict[str, Any] = {
            "port": str(port),
            "endpoint": names.webhook_endpoint,
            "method": "POST",
            "url": "",
        }
        if names.webhook_auth_secret:
            # The server answers 401 unless "Authorization: Bearer <token>" matches.
            event["authSecret"] = {"name": names.webhook_auth_secret,
                                   "key": names.webhook_auth_key}
        return {
            "apiVersion": ARGO,
            "kind": "EventSource",
            "metadata": self._metadata(names.webhook_eventsource, names, template, "webhook"),
            "spec": {
                "eventBusName": self.config.event_bus,
                # The controller creates <name>-eventsource-svc only when ports are set;
                # targetPort must equal the webhook port.
                "service": {"ports": [{"name": "http", "port": port, "targetPort": port}]},
                "webhook": {WEBHOOK_EVENT: event},
            },
        }

    def network_policy(self, names: Names, template: Template) -> dict[str, Any]:
        """Only this instance's hand-off step may reach its webhook pods, on the webhook
        port; nothing else may reach them at all (NetworkPolicies are allow-lists)."""
        selector = {key: names.webhook_eventsource for key in EVENTSOURCE_POD_LABELS}
        selector["controller"] = "eventsource-controller"
        return {
            "apiVersion": NETWORKING,
            "kind": "NetworkPolicy",
            "metadata": self._metadata(names.network_policy, names, template,
                                       "network-policy"),
            "spec": {
                "podSelector": {"matchLabels": selector},
                "policyTypes": ["Ingress"],
                "ingress": [{
                    "from": [{"podSelector": {"matchLabels": self.handoff_pod_labels(names)}}],
                    "ports": [{"protocol": "TCP", "port": self.config.webhook_port}],
                }],
            },
        }

    def _sensor(self, name: str, names: Names, template: Template, component: str,
                dependency: dict[str, str], workflow: dict[str, Any],
                parameters: list[dict[str, Any]]) -> dict[str, Any]:
        argo_workflow: dict[str, Any] = {
            "operation": "submit",
            "source": {"resource": workflow},
        }
        if parameters:
            argo_workflow["parameters"] = parameters
        retry = self.config.sensor_retry
        return {
            "apiVersion": ARGO,
            "kind": "Sensor",
            "metadata": self._metadata(name, names, template, component),
            "spec": {
                "eventBusName": self.config.event_bus,
                "template": {"serviceAccountName": names.sensor_account},
                "dependencies": [dependency],
                "triggers": [
                    {
                        "template": {"name": name, "argoWorkflow": argo_workflow},
                        "retryStrategy": {
                            "steps": retry["steps"],
                            "duration": retry["duration"],
                            "factor": retry["factor"],
                            "jitter": retry["jitter"],
                        },
                    }
                ],
            },
        }

    def _submitted(self, workflow_template: str, names: Names, template: Template,
                   component: str, arguments: list[dict[str, str]]) -> dict[str, Any]:
        spec: dict[str, Any] = {}
        if arguments:
            spec["arguments"] = {"parameters": arguments}
        spec["workflowTemplateRef"] = {"name": workflow_template}
        return {
            "apiVersion": ARGO,
            "kind": "Workflow",
            "metadata": {
                "generateName": f"{workflow_template}-",
                "namespace": names.namespace,
                "labels": self._labels(names, template, component),
            },
            "spec": spec,
        }

    def trigger1(self, names: Names, template: Template) -> dict[str, Any]:
        return self._sensor(
            names.trigger1, names, template, "trigger1",
            {"name": "cron", "eventSourceName": names.cron_eventsource, "eventName": CRON_EVENT},
            self._submitted(names.workflow1, names, template, "workflow1", []),
            [],
        )

    def trigger2(self, names: Names, template: Template, handoff: dict[str, Any]
                 ) -> dict[str, Any]:
        items = handoff["parameters"]
        # dest addresses arguments by index: the order below is the hand-off order.
        arguments = [{"name": item["name"], "value": ""} for item in items]
        parameters = [
            {
                "src": {"dependencyName": "handoff", "dataKey": f"body.{item['name']}"},
                "dest": f"spec.arguments.parameters.{index}.value",
            }
            for index, item in enumerate(items)
        ]
        return self._sensor(
            names.trigger2, names, template, "trigger2",
            {"name": "handoff", "eventSourceName": names.webhook_eventsource,
             "eventName": WEBHOOK_EVENT},
            self._submitted(names.workflow2, names, template, "workflow2", arguments),
            parameters,
        )

    # ------------------------------------------------------------------ RBAC
    def _account(self, name: str, names: Names, template: Template, component: str
                 ) -> list[tuple[str, dict[str, Any]]]:
        return [("serviceaccount", {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": self._metadata(name, names, template, component),
        })]

    def _role(self, name: str, names: Names, template: Template, component: str,
              rules: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
        return [
            ("role", {
                "apiVersion": RBAC,
                "kind": "Role",
                "metadata": self._metadata(name, names, template, component),
                "rules": rules,
            }),
            ("rolebinding", {
                "apiVersion": RBAC,
                "kind": "RoleBinding",
                "metadata": self._metadata(name, names, template, component),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                            "name": name},
                "subjects": [{"kind": "ServiceAccount", "name": name,
                              "namespace": names.namespace}],
            }),
        ]

    def sensor_rbac(self, names: Names, template: Template) -> list[tuple[str, dict[str, Any]]]:
        # Submitting through the argo CLI creates (and lists) Workflows and reads the
        # referenced WorkflowTemplates; nothing else, in this namespace only.
        rules = [
            {"apiGroups": ["argoproj.io"], "resources": ["workflows"],
             "verbs": ["create", "list"]},
            {"apiGroups": ["argoproj.io"], "resources": ["workflowtemplates"],
             "resourceNames": [names.workflow1, names.workflow2], "verbs": ["get"]},
        ]
        component = "sensor-rbac"
        return [*self._account(names.sensor_account, names, template, component),
                *self._role(names.sensor_account, names, template, component, rules)]

    def workflow_rbac(self, names: Names, template: Template
                      ) -> list[tuple[str, dict[str, Any]]]:
        # The Argo executor reports outputs through WorkflowTaskResults.
        rules = [{"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"],
                  "verbs": ["create", "patch"]}]
        component = "workflow-rbac"
        return [*self._account(names.workflow_account, names, template, component),
                *self._role(names.workflow_account, names, template, component, rules)]

    # ------------------------------------------------------------------ instance
    def render(self, instance: Instance, template: Template, config_source: str
               ) -> tuple[list[RenderedFile], list[Diagnostic]]:
        names = instance.names
        assert names is not None
        context = placeholder_context(instance, names)
        sections: dict[str, Any] = {}
        problems: list[Diagnostic] = []
        for key, compiled in template.compiled.items():
            try:
                sections[key] = materialize(compiled, context)
            except PlaceholderError as exc:
                problems.append(template.document.diagnostic(
                    exc.path, f"{exc.message} (rendering {instance.file})", "placeholder"))
        if problems:
            return [], problems
        handoff = sections["handoff"]
        documents: list[tuple[str, dict[str, Any]]] = [
            *[(f"{kind}-sensor", doc) for kind, doc in self.sensor_rbac(names, template)],
            *[(f"{kind}-workflow", doc) for kind, doc in self.workflow_rbac(names, template)],
            ("workflowtemplate-workflow1",
             self.workflow1(names, template, sections["workflow1"], handoff)),
            ("workflowtemplate-workflow2",
             self.workflow2(names, template, sections["workflow2"])),
            ("eventsource-cron", self.cron_eventsource(names, template, instance)),
            ("eventsource-webhook", self.webhook_eventsource(names, template)),
            ("sensor-trigger1", self.trigger1(names, template)),
            ("sensor-trigger2", self.trigger2(names, template, handoff)),
        ]
        if self.config.network_policy:
            documents.insert(6, ("networkpolicy-webhook", self.network_policy(names, template)))
        sources = [instance.file, template.file]
        if config_source:
            sources.append(config_source)
        header = [
            "Generated by wfchain. Do not edit: change the sources and run `wfchain render`.",
            *[("Sources: " if i == 0 else "         ") + s for i, s in enumerate(sources)],
        ]
        folder = f"{instance.namespace}/{instance.name}"
        files = [RenderedFile(f"{folder}/{stem}.yaml", emit.dump(doc, header))
                 for stem, doc in documents]
        kustomization = {
            "apiVersion": "kustomize.config.k8s.io/v1beta1",
            "kind": "Kustomization",
            "resources": [f"{stem}.yaml" for stem, _ in documents],
        }
        files.append(RenderedFile(f"{folder}/kustomization.yaml",
                                  emit.dump(kustomization, header)))
        return files, []


def root_kustomization(folders: Sequence[str]) -> RenderedFile:
    document = {
        "apiVersion": "kustomize.config.k8s.io/v1beta1",
        "kind": "Kustomization",
        "resources": sorted(folders),
    }
    header = ["Generated by wfchain. Do not edit: it lists every rendered instance."]
    return RenderedFile("kustomization.yaml", emit.dump(document, header))
