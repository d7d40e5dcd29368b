"""Tests of generator.argoschema against the official Argo schemas (reference data).

The schemas live outside the project: in ``shared/argo-schemas`` beside the
project root, or wherever ``WFCHAIN_ARGO_SCHEMAS`` points.  The upstream
examples are read from ``shared/argo-examples`` (or ``WFCHAIN_ARGO_EXAMPLES``).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from generator.argoschema import ArgoSchemas, SchemaLoadError, SchemaProblem

SHARED = Path(__file__).resolve().parents[2] / "shared"
API = "argoproj.io/v1alpha1"


def _location(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    path = Path(value) if value else default
    if not path.exists():
        pytest.fail(
            f"Argo reference data not found at {path}; set {env} to its location "
            f"(the official Argo schemas/examples are not part of this project)",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="module")
def schema_dir() -> Path:
    return _location("WFCHAIN_ARGO_SCHEMAS", SHARED / "argo-schemas")


@pytest.fixture(scope="module")
def schemas(schema_dir: Path) -> ArgoSchemas:
    return ArgoSchemas.load(schema_dir)


def _problems(schemas: ArgoSchemas, doc: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    return [(p.path, p.message) for p in schemas.validate(doc)]


# ---------------------------------------------------------------- documents


def workflow_template() -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "WorkflowTemplate",
        "metadata": {"name": "demo", "namespace": "ns", "labels": {"app": "demo"}},
        "spec": {
            "entrypoint": "main",
            "serviceAccountName": "demo-wf",
            "arguments": {"parameters": [{"name": "run-id", "value": "1"}]},
            "templates": [
                {
                    "name": "main",
                    "dag": {
                        "tasks": [
                            {"name": "a", "template": "step"},
                            {"name": "b", "template": "step", "depends": "a"},
                        ]
                    },
                },
                {
                    "name": "step",
                    "inputs": {"parameters": [{"name": "run-id", "value": "x"}]},
                    "container": {
                        "image": "curlimages/curl:8.10.1",
                        "command": ["curl"],
                        "args": ["--fail-with-body", "{{inputs.parameters.run-id}}"],
                        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
                    },
                },
            ],
        },
    }


def calendar_event_source() -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "EventSource",
        "metadata": {"name": "demo-cron"},
        "spec": {
            "calendar": {
                "tick": {
                    "schedule": "30 * * * *",
                    "timezone": "Europe/Paris",
                    "exclusionDates": ["EXDATE:20260102T150405Z"],
                    "metadata": {"instance": "demo"},
                }
            }
        },
    }


def webhook_event_source() -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "EventSource",
        "metadata": {"name": "demo-webhook"},
        "spec": {
            "service": {"ports": [{"port": 12000, "targetPort": 12000}]},
            "webhook": {
                "done": {"port": "12000", "endpoint": "/done", "method": "POST", "url": ""}
            },
        },
    }


def embedded_workflow() -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "Workflow",
        "metadata": {"generateName": "demo-"},
        "spec": {
            "arguments": {"parameters": [{"name": "run-id", "value": ""}]},
            "workflowTemplateRef": {"name": "demo"},
        },
    }


def sensor() -> dict[str, Any]:
    return {
        "apiVersion": API,
        "kind": "Sensor",
        "metadata": {"name": "demo"},
        "spec": {
            "template": {"serviceAccountName": "demo-sensor"},
            "dependencies": [
                {"name": "dep", "eventSourceName": "demo-webhook", "eventName": "done"}
            ],
            "triggers": [
                {
                    "template": {
                        "name": "submit",
                        "argoWorkflow": {
                            "operation": "submit",
                            "source": {"resource": embedded_workflow()},
                            "parameters": [
                                {
                                    "src": {"dependencyName": "dep", "dataKey": "body.run-id"},
                                    "dest": "spec.arguments.parameters.0.value",
                                }
                            ],
                        },
                    },
                    "retryStrategy": {"steps": 3},
                    "atLeastOnce": True,
                }
            ],
        },
    }


def service_account() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "demo-sensor"}}


def role() -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": {"name": "demo-sensor"},
        "rules": [
            {
                "apiGroups": ["argoproj.io"],
                "resources": ["workflows"],
                "verbs": ["create", "list"],
            }
        ],
    }


def role_binding() -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "demo-sensor"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "demo-sensor"},
        "subjects": [{"kind": "ServiceAccount", "name": "demo-sensor", "namespace": "ns"}],
    }


VALID_DOCUMENTS = {
    "workflow-template": workflow_template,
    "calendar-event-source": calendar_event_source,
    "webhook-event-source": webhook_event_source,
    "sensor": sensor,
    "service-account": service_account,
    "role": role,
    "role-binding": role_binding,
}

TRIGGER = ("spec", "triggers", 0)
RESOURCE = (*TRIGGER, "template", "argoWorkflow", "source", "resource")


# ---------------------------------------------------------------- loading


def test_kinds(schemas: ArgoSchemas) -> None:
    assert schemas.kinds() == {
        (API, "ClusterWorkflowTemplate"),
        (API, "CronWorkflow"),
        (API, "EventBus"),
        (API, "EventSource"),
        (API, "Sensor"),
        (API, "Workflow"),
        (API, "WorkflowEventBinding"),
        (API, "WorkflowTemplate"),
        ("v1", "ConfigMap"),
        ("v1", "Secret"),
        ("v1", "ServiceAccount"),
        ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
        ("networking.k8s.io/v1", "NetworkPolicy"),
    }
    assert [p.name for p in schemas.files] == [
        "argo-events-v1.9.11.schema.json",
        "argo-workflows-v4.1.2.schema.json",
    ]


def test_load_single_file_and_many(schema_dir: Path) -> None:
    events = ArgoSchemas.load(schema_dir / "argo-events-v1.9.11.schema.json")
    assert (API, "Sensor") in events.kinds()
    assert (API, "WorkflowTemplate") not in events.kinds()
    assert events.validate(workflow_template()) == [
        SchemaProblem((), f"no schema for apiVersion {API} kind WorkflowTemplate")
    ]
    # an embedded Workflow of an unknown kind is not checked
    bad = sensor()
    bad["spec"]["triggers"][0]["template"]["argoWorkflow"]["source"]["resource"]["spec"]["x"] = 1
    assert events.validate(bad) == []
    both = ArgoSchemas.load_many(
        [
            schema_dir / "argo-workflows-v4.1.2.schema.json",
            schema_dir / "argo-events-v1.9.11.schema.json",
        ]
    )
    assert both.kinds() >= {(API, "Sensor"), (API, "WorkflowTemplate"), ("v1", "ServiceAccount")}
    assert both.validate(bad) == [SchemaProblem((*RESOURCE, "spec", "x"), "unknown field 'x'")]


def test_load_errors(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    with pytest.raises(SchemaLoadError, match="nope"):
        ArgoSchemas.load(missing)
    with pytest.raises(SchemaLoadError, match=r"no \*\.json schema"):
        ArgoSchemas.load(tmp_path)
    broken = tmp_path / "broken.schema.json"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(SchemaLoadError, match=r"broken\.schema\.json"):
        ArgoSchemas.load(tmp_path)
    plain = tmp_path / "plain.json"
    plain.write_text(json.dumps({"type": "object"}), encoding="utf-8")
    with pytest.raises(SchemaLoadError, match=r"plain\.json"):
        ArgoSchemas.load(plain)
    broken.unlink()
    # a folder whose only schema defines no supported kind
    plain.write_text(json.dumps({"definitions": {"a": {"type": "string"}}}), encoding="utf-8")
    with pytest.raises(SchemaLoadError, match="no Argo or supported Kubernetes kind"):
        ArgoSchemas.load(tmp_path)


# ---------------------------------------------------------------- valid documents


@pytest.mark.parametrize("name", sorted(VALID_DOCUMENTS))
def test_valid_documents(schemas: ArgoSchemas, name: str) -> None:
    doc = VALID_DOCUMENTS[name]()
    before = copy.deepcopy(doc)
    assert schemas.validate(doc) == []
    assert doc == before  # validation never mutates (no defaults filled in)


def test_k8s_trigger_and_status_fields(schemas: ArgoSchemas) -> None:
    doc = sensor()
    trigger = doc["spec"]["triggers"][0]
    argo = trigger["template"].pop("argoWorkflow")
    trigger["template"]["k8s"] = {"operation": "create", "source": argo["source"]}
    trigger["policy"] = {"status": {"allow": [200]}}
    assert schemas.validate(doc) == []


# ---------------------------------------------------------------- problems


def test_unknown_fields_at_several_depths(schemas: ArgoSchemas) -> None:
    doc = workflow_template()
    doc["extra"] = 1
    doc["metadata"]["nmae"] = "typo"
    doc["spec"]["entryPoint"] = "main"
    doc["spec"]["templates"][0]["dag"]["tasks"][1]["dependencies"] = ["a"]  # valid field
    doc["spec"]["templates"][0]["dag"]["tasks"][1]["dependson"] = "a"
    doc["spec"]["templates"][1]["container"]["resources"]["limit"] = {"cpu": "1"}
    assert _problems(schemas, doc) == [
        (("extra",), "unknown field 'extra'"),
        (("metadata", "nmae"), "unknown field 'nmae'"),
        (("spec", "entryPoint"), "unknown field 'entryPoint'"),
        (("spec", "templates", 0, "dag", "tasks", 1, "dependson"), "unknown field 'dependson'"),
        (("spec", "templates", 1, "container", "resources", "limit"), "unknown field 'limit'"),
    ]


def test_maps_stay_open(schemas: ArgoSchemas) -> None:
    doc = workflow_template()
    doc["metadata"]["annotations"] = {"any/key": "v", "other": "w"}
    assert schemas.validate(doc) == []
    doc["metadata"]["labels"]["n"] = 1
    assert _problems(schemas, doc) == [(("metadata", "labels", "n"), "1 is not of type 'string'")]


def test_webhook_without_url_fails(schemas: ArgoSchemas) -> None:
    doc = webhook_event_source()
    del doc["spec"]["webhook"]["done"]["url"]
    assert _problems(schemas, doc) == [
        (("spec", "webhook", "done"), "'url' is a required property")
    ]


def test_parameter_value_must_be_string(schemas: ArgoSchemas) -> None:
    doc = workflow_template()
    doc["spec"]["arguments"]["parameters"][0]["value"] = 1
    assert _problems(schemas, doc) == [
        (("spec", "arguments", "parameters", 0, "value"), "1 is not of type 'string'")
    ]


def test_int_or_string(schemas: ArgoSchemas) -> None:
    # events schema: ServicePort.targetPort
    doc = webhook_event_source()
    assert doc["spec"]["service"]["ports"][0]["targetPort"] == 12000
    assert schemas.validate(doc) == []
    doc["spec"]["service"]["ports"][0]["targetPort"] = "http"
    assert schemas.validate(doc) == []
    doc["spec"]["service"]["ports"][0]["targetPort"] = 1.5
    assert _problems(schemas, doc) == [
        (
            ("spec", "service", "ports", 0, "targetPort"),
            "1.5 is not of type 'integer', 'string'",
        )
    ]
    # workflows schema, where IntOrString is string-only upstream
    wt = workflow_template()
    container = wt["spec"]["templates"][1]["container"]
    container["readinessProbe"] = {"tcpSocket": {"port": 8080}}
    assert schemas.validate(wt) == []
    container["readinessProbe"] = {"tcpSocket": {"port": "http"}}
    assert schemas.validate(wt) == []


def test_quantity(schemas: ArgoSchemas) -> None:
    doc = workflow_template()
    resources = doc["spec"]["templates"][1]["container"]["resources"]
    resources["requests"] = {"cpu": 1, "memory": "64Mi"}
    assert schemas.validate(doc) == []
    resources["limits"] = {"cpu": 0.5}
    path = ("spec", "templates", 1, "container", "resources", "limits", "cpu")
    assert _problems(schemas, doc) == [(path, "0.5 is not of type 'integer', 'string'")]


def test_unknown_field_in_embedded_workflow(schemas: ArgoSchemas) -> None:
    doc = sensor()
    resource = doc["spec"]["triggers"][0]["template"]["argoWorkflow"]["source"]["resource"]
    resource["spec"]["foo"] = "bar"
    resource["spec"]["arguments"]["parameters"][0]["value"] = 3
    assert _problems(schemas, doc) == [
        ((*RESOURCE, "spec", "arguments", "parameters", 0, "value"), "3 is not of type 'string'"),
        ((*RESOURCE, "spec", "foo"), "unknown field 'foo'"),
    ]


def test_embedded_resources_in_k8s_and_dlq_triggers(schemas: ArgoSchemas) -> None:
    doc = sensor()
    trigger = doc["spec"]["triggers"][0]
    bad = embedded_workflow()
    bad["spec"]["oops"] = True
    trigger["dlqTrigger"] = {
        "template": {"name": "dlq", "k8s": {"operation": "create", "source": {"resource": bad}}}
    }
    assert _problems(schemas, doc) == [
        (
            (*TRIGGER, "dlqTrigger", "template", "k8s", "source", "resource", "spec", "oops"),
            "unknown field 'oops'",
        )
    ]


def test_embedded_resource_of_unknown_kind_is_not_checked(schemas: ArgoSchemas) -> None:
    doc = sensor()
    doc["spec"]["triggers"][0]["template"]["argoWorkflow"]["source"]["resource"] = {
        "apiVersion": "v1",
        "kind": "Pod",
        "spec": {"anything": 1},
    }
    assert schemas.validate(doc) == []


def test_policy_and_at_least_once_under_template(schemas: ArgoSchemas) -> None:
    doc = sensor()
    template = doc["spec"]["triggers"][0]["template"]
    template["policy"] = {"status": {"allow": [200]}}
    template["atLeastOnce"] = True
    assert _problems(schemas, doc) == [
        ((*TRIGGER, "template", "atLeastOnce"), "unknown field 'atLeastOnce'"),
        ((*TRIGGER, "template", "policy"), "unknown field 'policy'"),
    ]


def test_unknown_kind_and_missing_header(schemas: ArgoSchemas) -> None:
    assert _problems(schemas, {"apiVersion": "v1", "kind": "Pod", "metadata": {}}) == [
        ((), "no schema for apiVersion v1 kind Pod")
    ]
    assert _problems(schemas, {"apiVersion": API, "kind": "Workflw"}) == [
        ((), f"no schema for apiVersion {API} kind Workflw")
    ]
    assert _problems(schemas, {"metadata": {"name": "x"}}) == [
        ((), "missing apiVersion"),
        ((), "missing kind"),
    ]
    assert _problems(schemas, {"apiVersion": API, "kind": 3}) == [
        (("kind",), "3 is not of type 'string'")
    ]


def test_required_and_type_errors(schemas: ArgoSchemas) -> None:
    doc = workflow_template()
    del doc["metadata"]
    doc["spec"]["templates"][0]["dag"]["tasks"][0] = {"template": "step"}
    doc["spec"]["templates"][1]["container"]["command"] = "curl"
    assert _problems(schemas, doc) == [
        ((), "'metadata' is a required property"),
        (("spec", "templates", 0, "dag", "tasks", 0), "'name' is a required property"),
        (("spec", "templates", 1, "container", "command"), "'curl' is not of type 'array'"),
    ]


def test_long_values_are_truncated(schemas: ArgoSchemas) -> None:
    doc = workflow_template()
    doc["spec"]["entrypoint"] = {"key": "x" * 500}
    [problem] = schemas.validate(doc)
    assert problem.path == ("spec", "entrypoint")
    assert problem.message.endswith("... is not of type 'string'")
    assert len(problem.message) < 120
    assert "\n" not in problem.message


def test_results_sorted_and_deterministic(schemas: ArgoSchemas) -> None:
    doc = workflow_template()
    doc["spec"]["templates"][1]["zzz"] = 1
    doc["spec"]["templates"][0]["aaa"] = 1
    doc["spec"]["arguments"]["parameters"][0]["value"] = 2
    doc["spec"]["b"] = 1
    doc["spec"]["a"] = 1
    first = schemas.validate(doc)
    assert first == schemas.validate(copy.deepcopy(doc))
    assert [p.path for p in first] == [
        ("spec", "a"),
        ("spec", "arguments", "parameters", 0, "value"),
        ("spec", "b"),
        ("spec", "templates", 0, "aaa"),
        ("spec", "templates", 1, "zzz"),
    ]
    assert str(first[1]) == "spec.arguments.parameters[0].value: 2 is not of type 'string'"


@pytest.mark.parametrize(
    "dialect", ["https://json-schema.org/draft/2020-12/schema", "http://json-schema.org/schema#"]
)
def test_any_of_reports_most_relevant_error(tmp_path: Path, dialect: str) -> None:
    """Synthetic schema: the official ones use no anyOf/oneOf, the generic path is kept."""
    name = "io.argoproj.workflow.v1alpha1.Thing"
    schema = {
        "$schema": dialect,
        "definitions": {
            name: {
                "type": "object",
                "properties": {
                    "apiVersion": {"const": API, "type": "string"},
                    "kind": {"const": "Thing", "type": "string"},
                    "spec": {
                        "anyOf": [
                            {"type": "integer"},
                            {"type": "object", "properties": {"a": {"type": "string"}}},
                        ]
                    },
                    "when": {"type": "string", "format": "date-time"},
                },
                "x-kubernetes-group-version-kind": [
                    {"group": "argoproj.io", "kind": "Thing", "version": "v1alpha1"}
                ],
            }
        },
    }
    path = tmp_path / "thing.schema.json"
    path.write_text(json.dumps(schema), encoding="utf-8")
    things = ArgoSchemas.load(path)
    assert things.kinds() == {(API, "Thing")}
    doc: dict[str, Any] = {"apiVersion": API, "kind": "Thing", "spec": 3, "when": "not a date"}
    assert things.validate(doc) == []  # format is not checked
    doc["spec"] = {"a": 1}
    assert _problems(things, doc) == [(("spec", "a"), "1 is not of type 'string'")]
    doc["spec"] = {"b": "x"}
    assert _problems(things, doc) == [(("spec", "b"), "unknown field 'b'")]


# ---------------------------------------------------------------- upstream examples

# Problems the upstream Argo Events examples have under the strict schemas:
# (file relative to argo-examples, index of the YAML document, path, message).
EXPECTED_EXAMPLE_PROBLEMS: list[tuple[str, int, tuple[str | int, ...], str]] = [
    (
        "event-sources/webhook.yaml",
        0,
        ("spec", "webhook", "example"),
        "'url' is a required property",
    ),
]


def _example_documents(root: Path) -> Iterator[tuple[str, int, Any]]:
    yaml = YAML(typ="safe")
    for path in sorted(root.rglob("*.yaml")):
        with path.open(encoding="utf-8") as handle:
            for index, doc in enumerate(yaml.load_all(handle)):
                if doc is not None:
                    yield path.relative_to(root).as_posix(), index, doc


def test_upstream_examples(schemas: ArgoSchemas) -> None:
    root = _location("WFCHAIN_ARGO_EXAMPLES", SHARED / "argo-examples")
    found: list[tuple[str, int, tuple[str | int, ...], str]] = []
    kinds: set[str] = set()
    for name, index, doc in _example_documents(root):
        kinds.add(doc["kind"])
        found.extend((name, index, p.path, p.message) for p in schemas.validate(doc))
    for problem in found:
        print(problem)
    assert kinds >= {"EventSource", "Sensor", "EventBus", "WorkflowTemplate", "Role"}
    assert found == EXPECTED_EXAMPLE_PROBLEMS
