"""Repository-wide settings: ``wfchain.yaml`` at the project root over shipped defaults.

The defaults live in ``generator/data/defaults.yaml`` (read with importlib.resources)
and are documented in docs/config.md; the file's schema is schemas/config.schema.json.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path, PurePosixPath
from typing import Any

from generator import schemacheck
from generator.diagnostics import Diagnostic
from generator.load import Document, LoadError, YamlLoader, leads_outside, resolved

CONFIG_FILE = "wfchain.yaml"


@dataclass(frozen=True)
class EventBusSettings:
    """``eventBus``: render one EventBus per namespace (see generator/argocd.py)."""

    create: bool = False
    version: str = "latest"
    replicas: int = 3


@dataclass(frozen=True)
class ArgoCDSettings:
    """``argocd``: where Argo CD finds rendered/ (see docs/argocd.md)."""

    repo_url: str
    revision: str
    project: str
    namespace: str
    name: str
    server: str
    #: the output folder's path inside the git repository
    path: str
    create_namespace: bool


@dataclass(frozen=True)
class Config:
    cluster_domain: str
    event_bus: str
    webhook_port: int
    webhook_endpoint: str
    handoff_image: str
    handoff_retries: int
    handoff_timeout: int
    sensor_retry: dict[str, Any]
    templates_dir: str
    instances_dir: str
    output_dir: str
    #: the config file that was read, relative to the root ('' for defaults only)
    source: str
    event_bus_settings: EventBusSettings = EventBusSettings()
    #: None unless argocd.repoURL is set
    argocd: ArgoCDSettings | None = None
    #: webhook.auth: bearer-token authentication unless an instance opts out
    webhook_auth: bool = True
    webhook_auth_key: str = "token"
    #: webhook.networkPolicy
    network_policy: bool = True
    #: handoff.runAsUser
    handoff_user: int = 65532


@cache
def _defaults_text() -> bytes:
    return resources.files("generator").joinpath("data", "defaults.yaml").read_bytes()


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _pinned(image: str) -> bool:
    if "@sha256:" in image:
        return True
    last = image.rsplit("/", 1)[-1]
    return ":" in last and not last.endswith(":latest")


def load_config(root: Path, loader: YamlLoader, explicit: Path | None = None
                ) -> tuple[Config, list[Diagnostic]]:
    defaults = loader.load_bytes(_defaults_text(), "<defaults>").data
    path = explicit if explicit is not None else root / CONFIG_FILE
    display = _display(path, root)
    user: dict[str, Any] = {}
    problems: list[Diagnostic] = []
    document: Document | None = None
    if explicit is None and (path.is_file() or path.is_symlink()) and \
            leads_outside(root, path):
        # the project's own config comes from git (a pull request): it must not make
        # wfchain read, and print, a file from elsewhere; --config is the user's choice
        problems.append(Diagnostic(display, 1, 1, "$", "leads outside the project through a "
                                   "symbolic link (or loops); wfchain reads only files "
                                   "inside the project", "path"))
    elif explicit is not None or path.is_file():
        try:
            document = loader.load_path(path, display)
        except LoadError as exc:
            problems.append(exc.diagnostic)
        else:
            if document.data is None:
                user = {}
            elif not isinstance(document.data, dict):
                problems.append(document.diagnostic((), "the config file must be a mapping",
                                                    "schema"))
            else:
                user = document.data
                problems += schemacheck.check(document, schemacheck.shipped_validator(
                    "config.schema.json"))
    merged = _merge(defaults, user) if not problems else defaults
    image = str(merged["handoff"]["image"])
    if document is not None and not problems and not _pinned(image):
        problems.append(document.diagnostic(
            ("handoff", "image"),
            f"image {image!r} is not pinned: use a digest (@sha256:...) or an exact tag",
            "config"))
    config = Config(
        cluster_domain=merged["clusterDomain"],
        event_bus=merged["eventBusName"],
        webhook_port=int(merged["webhook"]["port"]),
        webhook_endpoint=merged["webhook"]["endpoint"],
        handoff_image=image,
        handoff_retries=int(merged["handoff"]["retries"]),
        handoff_timeout=int(merged["handoff"]["timeoutSeconds"]),
        sensor_retry=dict(merged["sensor"]["retryStrategy"]),
        templates_dir=merged["paths"]["templates"],
        instances_dir=merged["paths"]["instances"],
        output_dir=merged["paths"]["output"],
        source=display if document is not None else "",
        event_bus_settings=EventBusSettings(
            create=bool(merged["eventBus"]["create"]),
            version=str(merged["eventBus"]["version"]),
            replicas=int(merged["eventBus"]["replicas"]),
        ),
        argocd=_argocd(merged["argocd"], merged["paths"]["output"]),
        webhook_auth=bool(merged["webhook"]["auth"]["enabled"]),
        webhook_auth_key=str(merged["webhook"]["auth"]["secretKey"]),
        network_policy=bool(merged["webhook"]["networkPolicy"]),
        handoff_user=int(merged["handoff"]["runAsUser"]),
    )
    return config, problems


def _argocd(section: dict[str, Any], output: str) -> ArgoCDSettings | None:
    if not section["repoURL"]:
        return None
    return ArgoCDSettings(
        repo_url=str(section["repoURL"]),
        revision=str(section["revision"]),
        project=str(section["project"]),
        namespace=str(section["namespace"]),
        name=str(section["name"]),
        server=str(section["server"]),
        path=PurePosixPath(str(section["path"] or output)).as_posix(),
        create_namespace=bool(section["createNamespace"]),
    )


def _display(path: Path, root: Path) -> str:
    if path == root / CONFIG_FILE:
        return CONFIG_FILE  # the project's own file, even where it is a link
    target, base = resolved(path), resolved(root)
    if target is None or base is None or not target.is_relative_to(base):
        return path.as_posix()
    return target.relative_to(base).as_posix()
