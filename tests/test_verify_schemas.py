"""The offline default Argo schemas of `wfchain verify` (generator/data/argo-default.schema.json).

* regenerating them from hera (tools/gen_default_schemas.py) gives the same bytes;
* they and the official schemas (reference data, ``--schema-location``) give the
  same diagnostics on the bundled examples, the broken corpus and the upstream
  Argo Events examples;
* the deliberate corrections of hera's models are in effect, and the documented
  gaps are what docs/verify.md says they are.
"""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from generator.argoschema import ArgoSchemas
from generator.verify import Verifier, default_schema_location
from tests.verify_corpus import (
    NOW,
    ROOT,
    load_cases,
    rendered_project,
    run_case,
    verify_folder,
    write_files,
)

CASES = load_cases()
API = "argoproj.io/v1alpha1"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_default_schemas",
                                                  ROOT / "tools" / "gen_default_schemas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def default() -> Verifier:
    return Verifier.load(now=NOW)


@pytest.fixture(scope="module")
def official(schema_dir: Path) -> Verifier:
    return Verifier.load([schema_dir], now=NOW)


@pytest.fixture(scope="module")
def default_schemas() -> ArgoSchemas:
    return ArgoSchemas.load(default_schema_location())


# ---------------------------------------------------------------- provenance


def test_regenerating_gives_the_same_bytes() -> None:
    generator = _generator()
    committed = default_schema_location().read_text(encoding="utf-8")
    assert generator.render() == committed, (
        "generator/data/argo-default.schema.json is not what tools/gen_default_schemas.py "
        "generates: run it and commit the result")


def test_default_is_packaged_and_covers_the_chain_kinds(default_schemas: ArgoSchemas) -> None:
    assert default_schema_location().is_file()
    assert default_schemas.kinds() >= {
        (API, "EventSource"), (API, "Sensor"), (API, "EventBus"), (API, "WorkflowTemplate"),
        (API, "Workflow"), (API, "CronWorkflow"), (API, "ClusterWorkflowTemplate"),
        ("v1", "ServiceAccount"), ("rbac.authorization.k8s.io/v1", "Role"),
        ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    }
    raw = json.loads(default_schema_location().read_text(encoding="utf-8"))
    assert "hera 7.1.0" in raw["$comment"]


# ---------------------------------------------------------------- agreement


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_default_and_official_agree_on_the_corpus(case: Any, default: Verifier,
                                                  official: Verifier, tmp_path: Path) -> None:
    found = run_case(case, official, tmp_path)
    assert found == case.expect
    assert run_case(case, default, tmp_path) == found


def test_default_and_official_agree_on_bundled_examples(default: Verifier, official: Verifier,
                                                       tmp_path: Path) -> None:
    write_files(rendered_project(), tmp_path)
    assert verify_folder(tmp_path, official) == []
    assert verify_folder(tmp_path, default) == []


def test_default_and_official_agree_on_upstream_examples(
        examples_dir: Path, default: Verifier, official: Verifier) -> None:
    found = verify_folder(examples_dir, official)
    assert found  # the upstream examples have known mistakes (see test_verify.py)
    assert verify_folder(examples_dir, default) == found


# ---------------------------------------------------------------- corrections


def _webhook() -> dict[str, Any]:
    return {
        "apiVersion": API, "kind": "EventSource", "metadata": {"name": "w"},
        "spec": {
            "service": {"ports": [{"port": 12000, "targetPort": 12000}]},
            "webhook": {"e": {"port": "12000", "endpoint": "/e", "method": "POST", "url": "",
                              "maxPayloadSize": 1024}},
        },
    }


def _sensor() -> dict[str, Any]:
    return {
        "apiVersion": API, "kind": "Sensor", "metadata": {"name": "s"},
        "spec": {
            "dependencies": [{"name": "d", "eventSourceName": "w", "eventName": "e"}],
            "triggers": [{
                "template": {"name": "t", "argoWorkflow": {"operation": "submit", "source": {
                    "resource": {"apiVersion": API, "kind": "Workflow",
                                 "metadata": {"generateName": "x-"},
                                 "spec": {"workflowTemplateRef": {"name": "x"}}}}}},
                "retryStrategy": {"steps": 3, "duration": "10s", "factor": 2, "jitter": 0.2},
            }],
        },
    }


def _messages(schemas: ArgoSchemas, document: dict[str, Any]) -> list[str]:
    return [str(p) for p in schemas.validate(document)]


@pytest.mark.parametrize("build", [_webhook, _sensor])
def test_corrections_accept_real_manifests(default_schemas: ArgoSchemas,
                                           argo_schemas: ArgoSchemas, build: Any) -> None:
    assert _messages(default_schemas, build()) == []
    assert _messages(argo_schemas, build()) == []


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["spec"]["webhook"]["e"].pop("url"),
     "spec.webhook.e: 'url' is a required property"),
    (lambda d: d["spec"]["webhook"]["e"].__setitem__("port", 12000),
     "spec.webhook.e.port: 12000 is not of type 'string'"),
    (lambda d: d["spec"]["webhook"]["e"].__setitem__("webhookContext", {}),
     "spec.webhook.e.webhookContext: unknown field 'webhookContext'"),
    (lambda d: d["spec"]["webhook"]["e"].__setitem__("maxPayloadSize", "1k"),
     "spec.webhook.e.maxPayloadSize: '1k' is not of type 'integer'"),
])
def test_corrections_reject_like_the_official_schema(
        default_schemas: ArgoSchemas, argo_schemas: ArgoSchemas, change: Any,
        expected: str) -> None:
    document = _webhook()
    change(document)
    assert _messages(default_schemas, copy.deepcopy(document)) == [expected]
    assert _messages(argo_schemas, document) == [expected]


# ---------------------------------------------------------------- documented gaps


def test_documented_gaps(default_schemas: ArgoSchemas, argo_schemas: ArgoSchemas) -> None:
    """docs/verify.md, 'Where the default differs': keep it true."""
    # hera 7.1.0 models Argo Workflows 4.0.5: fields added later are unknown to it
    template: dict[str, Any] = {
        "apiVersion": API, "kind": "WorkflowTemplate", "metadata": {"name": "t"},
        "spec": {"entrypoint": "m", "templates": [{"name": "m", "pendingTimeout": "1m",
                                                    "container": {"image": "busybox"}}]},
    }
    assert _messages(argo_schemas, template) == []
    assert _messages(default_schemas, template) == [
        "spec.templates[0].pendingTimeout: unknown field 'pendingTimeout'"]
    # required fields of Argo Events types outside the chain's are not enforced
    calendar_filter = _sensor()
    calendar_filter["spec"]["dependencies"][0]["filters"] = {"time": {"start": "01:00"}}
    assert _messages(argo_schemas, calendar_filter) == [
        "spec.dependencies[0].filters.time: 'stop' is a required property"]
    assert _messages(default_schemas, calendar_filter) == []
    # an EventBus's spec is not checked by the default
    bus = {"apiVersion": API, "kind": "EventBus", "metadata": {"name": "default"},
           "spec": {"nats": {"nativ": {}}}}
    assert _messages(argo_schemas, bus) == ["spec.nats.nativ: unknown field 'nativ'"]
    assert _messages(default_schemas, bus) == []
