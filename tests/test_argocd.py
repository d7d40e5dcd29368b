"""The Argo CD side: the ApplicationSet finds exactly the instance folders, the
manifests build with kustomize and pass yamllint, and every resource has its wave."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from generator.argoschema import ArgoSchemas
from generator.cli import cli

ROOT = Path(__file__).resolve().parents[1]
Kustomize = Callable[[Path], subprocess.CompletedProcess[str]]

CONFIG = """\
eventBus:
  create: true
  version: "2.10.10"
argocd:
  repoURL: https://git.example.com/platform/workflows.git
  revision: release-1
  project: workflows
"""
#: The order Argo CD must apply things in (lower waves first).
WAVES = {"EventBus": -1, "ServiceAccount": 0, "Role": 0, "RoleBinding": 0,
         "WorkflowTemplate": 1, "EventSource": 2, "Sensor": 3}


def make_project(target: Path, config: str) -> Path:
    shutil.copytree(ROOT / "templates", target / "templates")
    shutil.copytree(ROOT / "instances", target / "instances")
    (target / "wfchain.yaml").write_text(config)
    result = CliRunner().invoke(cli, ["-C", str(target), "render", "-q"])
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_project(tmp_path_factory.mktemp("argocd") / "repo", CONFIG)


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    return data


def resources(rendered: Path) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for path in sorted(rendered.rglob("*.yaml")):
        document = load(path)
        if document.get("kind") != "Kustomization":
            out.append((path.relative_to(rendered).as_posix(), document))
    return out


def go_path_match(pattern: str, path: str) -> bool:
    """Go's path.Match as the git directory generator uses it: '*' stays in a segment."""
    parts, names = pattern.split("/"), path.split("/")
    return len(parts) == len(names) and all(fnmatchcase(n, p) for p, n in zip(parts, names,
                                                                           strict=True))


def generated_apps(repo: Path, appset: dict[str, Any]) -> dict[str, dict[str, str]]:
    """What the ApplicationSet controller would make of this repository: for every
    directory it selects, the templated name, path and destination namespace."""
    directories = appset["spec"]["generators"][0]["git"]["directories"]
    include = [d["path"] for d in directories if not d.get("exclude")]
    exclude = [d["path"] for d in directories if d.get("exclude")]
    template = appset["spec"]["template"]
    apps = {}
    for folder in sorted(p for p in repo.rglob("*") if p.is_dir()):
        path = folder.relative_to(repo).as_posix()
        if any(part.startswith(".") for part in path.split("/")):
            continue  # the generator skips hidden directories
        if not any(go_path_match(p, path) for p in include):
            continue
        if any(go_path_match(p, path) for p in exclude):
            continue

        def fill(text: str, path: str = path) -> str:
            segments = path.split("/")
            text = re.sub(r"\{\{ index \.path\.segments (\d+) \}\}",
                          lambda m: segments[int(m.group(1))], text)
            text = text.replace("{{ .path.basename }}", segments[-1])
            text = text.replace("{{ .path.path }}", path)
            assert "{{" not in text, text
            return text

        name = fill(template["metadata"]["name"])
        apps[name] = {"path": fill(template["spec"]["source"]["path"]),
                      "namespace": fill(template["spec"]["destination"]["namespace"])}
    return apps


def test_the_applicationset_makes_one_application_per_instance_folder(project: Path) -> None:
    appset = load(project / "rendered" / "_argocd" / "applicationset.yaml")
    apps = generated_apps(project, appset)
    instances = sorted(p.relative_to(project / "instances").with_suffix("").as_posix()
                       for p in (project / "instances").rglob("*.yaml"))
    assert len(instances) >= 2
    assert sorted(app["path"] for app in apps.values()) == [f"rendered/{i}" for i in instances]
    for name, app in apps.items():
        namespace, instance = app["path"].split("/")[1:]
        assert app["namespace"] == namespace
        assert name == f"wfchain.{namespace}.{instance}"
        assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*",
                            name) and len(name) <= 253


def test_the_config_file_decides_repository_revision_and_project(project: Path) -> None:
    appset = load(project / "rendered" / "_argocd" / "applicationset.yaml")
    git = appset["spec"]["generators"][0]["git"]
    source = appset["spec"]["template"]["spec"]["source"]
    assert git["repoURL"] == source["repoURL"] == "https://git.example.com/platform/workflows.git"
    assert git["revision"] == source["targetRevision"] == "release-1"
    assert appset["spec"]["template"]["spec"]["project"] == "workflows"
    policy = appset["spec"]["template"]["spec"]["syncPolicy"]
    assert policy["automated"] == {"prune": True, "selfHeal": True}
    assert appset["spec"]["template"]["metadata"]["finalizers"] == [
        "resources-finalizer.argocd.argoproj.io"]
    assert appset["spec"]["goTemplate"] is True
    assert appset["metadata"]["namespace"] == "argocd"
    bus_app = load(project / "rendered" / "_argocd" / "application-eventbus.yaml")
    assert bus_app["spec"]["source"]["path"] == "rendered/_eventbus"
    assert bus_app["spec"]["source"]["targetRevision"] == "release-1"


def test_a_nested_output_folder_shifts_the_segments(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo",
                           CONFIG + "  path: deploy/rendered\n  createNamespace: true\n")
    appset = load(project / "rendered" / "_argocd" / "applicationset.yaml")
    nested = tmp_path / "git"
    shutil.copytree(project / "rendered", nested / "deploy" / "rendered")
    apps = generated_apps(nested, appset)
    assert "wfchain.analytics.sales-eu" in apps
    assert apps["wfchain.analytics.sales-eu"] == {"path": "deploy/rendered/analytics/sales-eu",
                                                  "namespace": "analytics"}
    assert appset["spec"]["template"]["spec"]["syncPolicy"]["syncOptions"] == [
        "CreateNamespace=true"]


def test_every_resource_carries_its_sync_wave(project: Path) -> None:
    seen = set()
    for path, document in resources(project / "rendered"):
        annotations = document["metadata"].get("annotations", {})
        wave = annotations.get("argocd.argoproj.io/sync-wave")
        assert isinstance(wave, str), path  # Argo CD wants a string
        kind = document["kind"]
        seen.add(kind)
        if kind in WAVES:
            assert int(wave) == WAVES[kind], path
    assert set(WAVES) <= seen
    assert {"ApplicationSet", "Application"} <= seen


def test_the_argocd_manifests_build_and_pass_yamllint(project: Path, root: Path,
                                                      kustomize: Kustomize) -> None:
    rendered = project / "rendered"
    for folder in [rendered / "_argocd", rendered / "_eventbus", rendered]:
        result = kustomize(folder)
        assert result.returncode == 0, result.stderr
    built = [d for d in YAML(typ="safe").load_all(kustomize(rendered / "_argocd").stdout) if d]
    assert sorted(d["kind"] for d in built) == ["Application", "ApplicationSet"]
    buses = [d for d in YAML(typ="safe").load_all(kustomize(rendered).stdout)
             if d and d["kind"] == "EventBus"]
    namespaces = {p.parent.name for p in (project / "instances").rglob("*.yaml")}
    assert sorted(b["metadata"]["namespace"] for b in buses) == sorted(namespaces)
    lint = subprocess.run([sys.executable, "-m", "yamllint", "--strict", "-c",
                           str(root / ".yamllint"), str(rendered / "_argocd"),
                           str(rendered / "_eventbus"), str(rendered / "kustomization.yaml")],
                          capture_output=True, text=True, check=False, timeout=120)
    assert lint.returncode == 0, lint.stdout


def test_the_eventbus_passes_the_official_schema(project: Path,
                                                 argo_schemas: ArgoSchemas) -> None:
    for path in sorted((project / "rendered" / "_eventbus").glob("*.yaml")):
        document = load(path)
        if document["kind"] == "EventBus":
            assert argo_schemas.validate(document) == [], path
            assert document["spec"]["jetstream"] == {"version": "2.10.10", "replicas": 3}


def test_without_argocd_settings_nothing_argocd_is_rendered(tmp_path: Path) -> None:
    project = make_project(tmp_path / "repo", "")
    assert not (project / "rendered" / "_argocd").exists()
    assert not (project / "rendered" / "_eventbus").exists()
    assert "_eventbus" not in (project / "rendered" / "kustomization.yaml").read_text()


def test_bad_argocd_settings_are_reported_with_their_position(tmp_path: Path) -> None:
    (tmp_path / "wfchain.yaml").write_text("argocd:\n  repoURL: not a url\n  project: Bad\n")
    result = CliRunner().invoke(cli, ["-C", str(tmp_path), "validate"])
    assert result.exit_code == 1
    assert "wfchain.yaml:2:12: [error] $.argocd.repoURL:" in result.stdout
    assert "wfchain.yaml:3:12: [error] $.argocd.project:" in result.stdout
