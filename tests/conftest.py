"""Shared fixtures.

Reference data (the official Argo schemas and upstream examples) is not part of the
project: it is read from ``shared/`` beside the project root, or from the folders
``WFCHAIN_ARGO_SCHEMAS`` / ``WFCHAIN_ARGO_EXAMPLES`` point at. Missing reference
data fails the tests loudly; it is never a reason to skip.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.argoschema import ArgoSchemas

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def reference_dir(env: str, default: Path) -> Path:
    value = os.environ.get(env)
    path = Path(value) if value else default
    if not path.is_dir():
        pytest.fail(f"reference data not found at {path}: set {env} to the folder "
                    "(it is not part of this project)")
    return path


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def schema_dir() -> Path:
    return reference_dir("WFCHAIN_ARGO_SCHEMAS", SHARED / "argo-schemas")


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return reference_dir("WFCHAIN_ARGO_EXAMPLES", SHARED / "argo-examples")


@pytest.fixture(scope="session")
def argo_schemas(schema_dir: Path) -> ArgoSchemas:
    return ArgoSchemas.load(schema_dir)


def kustomize_command() -> list[str]:
    """`kustomize build`, or `kubectl kustomize` where only kubectl exists."""
    beside_python = str(Path(sys.executable).parent)  # .ci/run may put kubectl in .venv
    for name, sub in (("kustomize", "build"), ("kubectl", "kustomize")):
        found = shutil.which(name) or shutil.which(name, path=beside_python)
        if found:
            return [found, sub]
    pytest.fail("neither kustomize nor kubectl is installed (.ci/run installs kubectl)")


@pytest.fixture(scope="session")
def kustomize() -> Callable[[Path], subprocess.CompletedProcess[str]]:
    command = kustomize_command()

    def run(folder: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*command, str(folder)], capture_output=True, text=True,
                              check=False, timeout=300)

    return run


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the bundled templates, instances and config in a temporary folder."""
    target = tmp_path / "project"
    target.mkdir()
    for name in ("templates", "instances"):
        shutil.copytree(ROOT / name, target / name)
    config = ROOT / "wfchain.yaml"
    if config.exists():
        shutil.copy2(config, target / "wfchain.yaml")
    return target


@pytest.fixture(autouse=True)
def _no_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never touch the real $HOME."""
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))
