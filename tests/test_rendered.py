"""The bundled examples, rendered: official schemas (strict), kustomize, yamllint,
Argo's conventions, and the committed rendered/ equal to a fresh render."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from generator.argoschema import ArgoSchemas
from generator.cli import cli

ROOT = Path(__file__).resolve().parents[1]


def files_of(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = tmp_path_factory.mktemp("fresh")
    for name in ("templates", "instances"):
        shutil.copytree(ROOT / name, project / name)
    if (ROOT / "wfchain.yaml").exists():
        shutil.copy2(ROOT / "wfchain.yaml", project / "wfchain.yaml")
    result = CliRunner().invoke(cli, ["-C", str(project), "render", "-q"])
    assert result.exit_code == 0, result.output
    return project / "rendered"


@pytest.fixture(scope="module")
def documents(fresh: Path) -> list[tuple[str, dict[str, Any]]]:
    yaml = YAML(typ="safe")
    return [(p.relative_to(fresh).as_posix(), yaml.load(p.read_text(encoding="utf-8")))
            for p in sorted(fresh.rglob("*.yaml"))]


def resources(documents: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
    """The chains' resources: no Kustomizations, nor the Argo CD side in _argocd/
    (tests/test_argocd.py covers that)."""
    return [(path, doc) for path, doc in documents
            if doc.get("kind") != "Kustomization" and not path.startswith("_argocd/")]


def test_bundled_examples_are_substantial(documents: list[tuple[str, dict[str, Any]]]) -> None:
    folders = {path.rsplit("/", 1)[0] for path, _ in documents if path.count("/") == 2}
    namespaces = {folder.split("/")[0] for folder in folders}
    templates = {doc["metadata"]["labels"]["wfchain.dev/template"]
                 for _, doc in resources(documents)}
    assert len(folders) >= 6
    assert len(namespaces) >= 2
    assert len(templates) >= 3


def test_every_document_passes_the_official_schemas_strictly(
        documents: list[tuple[str, dict[str, Any]]], argo_schemas: ArgoSchemas) -> None:
    problems = [f"{path}: {problem}" for path, doc in resources(documents)
                for problem in argo_schemas.validate(doc)]
    assert problems == []
    kinds = {doc["kind"] for _, doc in resources(documents)}
    assert kinds == {"WorkflowTemplate", "EventSource", "Sensor", "ServiceAccount", "Role",
                     "RoleBinding", "NetworkPolicy"}


def test_strictness_is_real(documents: list[tuple[str, dict[str, Any]]],
                            argo_schemas: ArgoSchemas) -> None:
    """An unknown field in each kind of rendered document is caught."""
    for _, doc in resources(documents):
        spoiled = dict(doc)
        spoiled["spec" if "spec" in doc else "metadata"] = {
            **doc.get("spec", doc["metadata"]), "unknownField": 1}
        assert argo_schemas.validate(spoiled), doc["kind"]


def test_kustomize_builds_every_instance_and_the_whole_tree(
        fresh: Path, kustomize: Callable[[Path], subprocess.CompletedProcess[str]]) -> None:
    yaml = YAML(typ="safe")
    for kustomization in sorted(fresh.glob("*/*/kustomization.yaml")):
        result = kustomize(kustomization.parent)
        assert result.returncode == 0, result.stderr
        built = list(yaml.load_all(result.stdout))
        assert len(built) == len(yaml.load(kustomization.read_text())["resources"])
    result = kustomize(fresh)
    assert result.returncode == 0, result.stderr


def test_yamllint_passes(fresh: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "yamllint", "-s", "-c", str(ROOT / ".yamllint"), str(fresh)],
        capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_committed_rendered_is_a_fresh_render(fresh: Path) -> None:
    committed = files_of(ROOT / "rendered")
    assert committed == files_of(fresh), "run `make render` and commit rendered/"


def test_argo_conventions(documents: list[tuple[str, dict[str, Any]]]) -> None:
    by_folder: dict[str, dict[str, dict[str, Any]]] = {}
    for path, doc in documents:
        folder, _, name = path.rpartition("/")
        by_folder.setdefault(folder, {})[name] = doc
    for folder, docs in by_folder.items():
        if folder.count("/") != 1:
            continue
        wt1 = docs["workflowtemplate-workflow1.yaml"]
        ident = wt1["metadata"]["labels"]["app.kubernetes.io/instance"]
        namespace = folder.split("/")[0]
        assert len(ident) <= 39
        assert len(f"{ident}-webhook-eventsource-svc") <= 63
        webhook = docs["eventsource-webhook.yaml"]
        cron = docs["eventsource-cron.yaml"]
        t1 = docs["sensor-trigger1.yaml"]
        t2 = docs["sensor-trigger2.yaml"]
        assert webhook["metadata"]["name"] == f"{ident}-webhook"
        assert cron["metadata"]["name"] == f"{ident}-cron"
        assert t1["metadata"]["name"] == f"{ident}-trigger1"
        assert t2["metadata"]["name"] == f"{ident}-trigger2"
        for doc in docs.values():
            if doc["kind"] == "Kustomization":
                continue
            labels = doc["metadata"]["labels"]
            assert doc["metadata"]["namespace"] == namespace
            assert labels["app.kubernetes.io/managed-by"] == "wfchain"
            assert labels["app.kubernetes.io/instance"] == ident
        # webhook: one event, POST, url "", service port -> targetPort == webhook port
        (event_name, event), = webhook["spec"]["webhook"].items()
        port = webhook["spec"]["service"]["ports"][0]
        assert event["method"] == "POST" and event["url"] == ""
        assert port["targetPort"] == int(event["port"])
        # trigger1 listens to the cron EventSource and submits workflow 1
        dep1 = t1["spec"]["dependencies"][0]
        (cron_event,) = cron["spec"]["calendar"]
        assert (dep1["eventSourceName"], dep1["eventName"]) == (f"{ident}-cron", cron_event)
        submitted1 = t1["spec"]["triggers"][0]["template"]["argoWorkflow"]["source"]["resource"]
        assert submitted1["spec"]["workflowTemplateRef"]["name"] == wt1["metadata"]["name"]
        # trigger2 listens to the webhook and maps body.<x> to argument <x>
        dep2 = t2["spec"]["dependencies"][0]
        assert (dep2["eventSourceName"], dep2["eventName"]) == (f"{ident}-webhook", event_name)
        trigger2 = t2["spec"]["triggers"][0]
        assert trigger2["retryStrategy"]["steps"] >= 1
        wt2 = docs["workflowtemplate-workflow2.yaml"]
        submitted2 = trigger2["template"]["argoWorkflow"]["source"]["resource"]
        assert submitted2["spec"]["workflowTemplateRef"]["name"] == wt2["metadata"]["name"]
        args = submitted2["spec"].get("arguments", {}).get("parameters", [])
        for index, parameter in enumerate(trigger2["template"]["argoWorkflow"].get(
                "parameters", [])):
            assert parameter["src"]["dataKey"] == f"body.{args[index]['name']}"
            assert parameter["dest"] == f"spec.arguments.parameters.{index}.value"
        # the hand-off step runs last, after the tasks the fragment names
        main = wt1["spec"]["templates"][0]
        assert main["name"] == wt1["spec"]["entrypoint"] == "main"
        assert main["dag"]["tasks"][-1]["name"] == "wfchain-handoff"
        # RBAC: sensors may create workflows, workflow pods may report results
        role = docs["role-sensor.yaml"]
        assert {"apiGroups": ["argoproj.io"], "resources": ["workflows"],
                "verbs": ["create", "list"]} in role["rules"]
        for rule in role["rules"] + docs["role-workflow.yaml"]["rules"]:
            assert "*" not in rule["verbs"] and "*" not in rule["resources"]
        assert docs["role-workflow.yaml"]["rules"] == [
            {"apiGroups": ["argoproj.io"], "resources": ["workflowtaskresults"],
             "verbs": ["create", "patch"]}]
        assert t1["spec"]["template"]["serviceAccountName"] == \
            docs["serviceaccount-sensor.yaml"]["metadata"]["name"]
        assert wt1["spec"]["serviceAccountName"] == \
            docs["serviceaccount-workflow.yaml"]["metadata"]["name"]


def test_every_file_says_it_is_generated(fresh: Path) -> None:
    for path in sorted(fresh.rglob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith("# Generated by wfchain. Do not edit"), path
