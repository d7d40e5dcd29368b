"""``wfchain verify``: offline proof that a set of Argo manifests forms a working chain.

Argo Events' CRDs check nothing inside ``spec`` and ``argo lint`` does not look at
Sensors or EventSources, so a mis-wired chain fails only in the cluster.  The
verifier reads every manifest of a set (wfchain's own output or hand-written
files) and checks, without a cluster:

* **schema** (:mod:`generator.argoschema`): every Argo document, including the
  Workflows embedded in Sensor triggers, strictly against the Argo schemas (the
  official ``schema.json`` files given with ``--schema-location``, or the offline
  default derived from hera's models, see :func:`default_schema_location`);
* **continuity** (:mod:`generator.verify_continuity`): hand-off URL -> webhook
  EventSource, Sensor dependencies, ``workflowTemplateRef``, trigger parameters;
* **RBAC** (:mod:`generator.verify_rbac`);
* **workflow sanity** (:mod:`generator.verify_workflow`): an offline ``argo lint``
  for DAGs and ``{{...}}`` references;
* **schedule and names** (:mod:`generator.verify_schedule`).

Every problem is a :class:`~generator.diagnostics.Diagnostic` pointing at the
file, line and column it concerns; docs/verify.md lists the check ids.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from generator.argoschema import ArgoSchemas
from generator.diagnostics import Diagnostic, JsonPath, Level, finalize
from generator.load import YamlLoader
from generator.verify_load import Manifest, collect_files, load_files, parse_rendered

__all__ = [
    "DEFAULT_SCHEMA",
    "Chain",
    "Manifest",
    "Verifier",
    "default_schema_location",
    "verify_paths",
    "verify_rendered",
]

class RenderedFileLike(Protocol):
    @property
    def path(self) -> str: ...

    @property
    def content(self) -> str: ...


ARGO_GROUP = "argoproj.io"
DEFAULT_SCHEMA = "argo-default.schema.json"
#: Kinds whose ``spec`` is a WorkflowSpec (CronWorkflow: ``spec.workflowSpec``).
WORKFLOW_KINDS = ("Workflow", "WorkflowTemplate", "ClusterWorkflowTemplate", "CronWorkflow")
#: Argo CD's kinds share the argoproj.io group but are no part of the Argo Workflows
#: and Argo Events schemas; they are not checked here.
ARGOCD_KINDS = frozenset({"Application", "ApplicationSet", "AppProject"})
_RESOURCE_PATHS = (("template", "argoWorkflow"), ("template", "k8s"))


def default_schema_location() -> Path:
    """The offline default: schemas generated from hera's Argo models (see
    tools/gen_default_schemas.py and docs/verify.md)."""
    return Path(str(resources.files("generator").joinpath("data", DEFAULT_SCHEMA)))


@dataclass(frozen=True)
class WorkflowSpec:
    """A WorkflowSpec somewhere in the set: a WorkflowTemplate's ``spec``, a
    CronWorkflow's ``spec.workflowSpec`` or a Workflow embedded in a Sensor."""

    manifest: Manifest
    path: JsonPath  # of the spec
    spec: dict[str, Any]
    namespace: str
    kind: str  # kind of the object holding the spec (Workflow for embedded ones)
    embedded: bool = False

    def diagnostic(self, sub: JsonPath, message: str, check: str, *,
                   level: Level = Level.ERROR, key: bool = False) -> Diagnostic:
        return self.manifest.diagnostic((*self.path, *sub), message, check, level=level,
                                        key=key)

    def describe(self) -> str:
        if self.embedded:
            return f"the Workflow submitted by {self.manifest.describe()}"
        return self.manifest.describe()


def as_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def parameters(value: Any) -> list[tuple[int, dict[str, Any]]]:
    """``(index, parameter)`` of an ``arguments``/``inputs`` mapping's parameters."""
    return [(i, p) for i, p in enumerate(as_list(as_dict(value).get("parameters")))
            if isinstance(p, dict)]


def parameter_names(value: Any) -> list[str]:
    return [as_str(p.get("name")) for _, p in parameters(value)]


def did_you_mean(wanted: str, known: Sequence[str]) -> str:
    import difflib

    close = difflib.get_close_matches(wanted, sorted(set(known)), n=1, cutoff=0.85)
    return f" (did you mean '{close[0]}'?)" if close else ""


def namespace_text(namespace: str) -> str:
    return f"namespace '{namespace}'" if namespace else "the namespace applied to (none is set)"


def listing(names: Sequence[str]) -> str:
    unique = sorted({n for n in names if n})
    return ", ".join(unique) if unique else "none"


class Chain:
    """An index over one set of manifests (what every check works from)."""

    def __init__(self, manifests: Sequence[Manifest]) -> None:
        self.manifests = list(manifests)
        self._by_key: dict[tuple[str, str, str, str], Manifest] = {}
        self._by_kind: dict[tuple[str, str], list[Manifest]] = defaultdict(list)
        self.duplicates: list[tuple[Manifest, Manifest]] = []
        for manifest in self.manifests:
            if not manifest.kind:
                continue
            self._by_kind[(manifest.group, manifest.kind)].append(manifest)
            namespace = "" if manifest.kind.startswith("Cluster") else manifest.namespace
            key = (manifest.group, manifest.kind, namespace, manifest.name)
            if manifest.name:
                first = self._by_key.setdefault(key, manifest)
                if first is not manifest:
                    self.duplicates.append((manifest, first))
        self.workflow_specs = list(self._workflow_specs())

    def of_kind(self, group: str, kind: str) -> list[Manifest]:
        return self._by_kind.get((group, kind), [])

    def get(self, group: str, kind: str, namespace: str, name: str) -> Manifest | None:
        return self._by_key.get((group, kind, namespace, name))

    def names(self, group: str, kind: str, namespace: str) -> list[str]:
        return [m.name for m in self.of_kind(group, kind) if m.namespace == namespace]

    def argo(self, kind: str) -> list[Manifest]:
        return self.of_kind(ARGO_GROUP, kind)

    def _workflow_specs(self) -> Iterator[WorkflowSpec]:
        for kind in WORKFLOW_KINDS:
            for manifest in self.argo(kind):
                if kind == "CronWorkflow":
                    spec = as_dict(manifest.spec.get("workflowSpec"))
                    yield WorkflowSpec(manifest, ("spec", "workflowSpec"), spec,
                                       manifest.namespace, kind)
                else:
                    yield WorkflowSpec(manifest, ("spec",), manifest.spec,
                                       manifest.namespace, kind)
        for sensor in self.argo("Sensor"):
            for path, resource in sensor_resources(sensor):
                if resource.get("kind") == "Workflow" and \
                        as_str(resource.get("apiVersion")).startswith(ARGO_GROUP + "/"):
                    namespace = as_str(as_dict(resource.get("metadata")).get("namespace"))
                    yield WorkflowSpec(sensor, (*path, "spec"), as_dict(resource.get("spec")),
                                       namespace or sensor.namespace, "Workflow",
                                       embedded=True)


def sensor_triggers(sensor: Manifest) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    """``(path, trigger)`` of a Sensor's triggers (dead-letter triggers included)."""
    for index, trigger in enumerate(as_list(sensor.spec.get("triggers"))):
        if isinstance(trigger, dict):
            path: JsonPath = ("spec", "triggers", index)
            yield path, trigger
            dlq = trigger.get("dlqTrigger")
            if isinstance(dlq, dict):
                yield (*path, "dlqTrigger"), dlq


def trigger_actions(trigger: dict[str, Any]) -> Iterator[tuple[JsonPath, str, dict[str, Any]]]:
    """``(path relative to the trigger, 'argoWorkflow'|'k8s', action)``."""
    for sub in _RESOURCE_PATHS:
        action = as_dict(trigger.get(sub[0])).get(sub[1])
        if isinstance(action, dict):
            yield sub, sub[1], action


def sensor_resources(sensor: Manifest) -> Iterator[tuple[JsonPath, dict[str, Any]]]:
    """``(path, resource)`` of the manifests a Sensor's triggers create."""
    for path, trigger in sensor_triggers(sensor):
        for sub, _, action in trigger_actions(trigger):
            resource = as_dict(action.get("source")).get("resource")
            if isinstance(resource, dict):
                yield (*path, *sub, "source", "resource"), resource


# --------------------------------------------------------------------------- verifier


class Verifier:
    """Holds the schemas (built once); :meth:`verify` checks one set of manifests."""

    def __init__(self, schemas: ArgoSchemas, *, now: datetime.datetime | None = None) -> None:
        self.schemas = schemas
        self.now = now

    @classmethod
    def load(cls, locations: Sequence[Path] = (), *, now: datetime.datetime | None = None
             ) -> Verifier:
        """Schemas from ``--schema-location`` values, else the offline default."""
        if locations:
            return cls(ArgoSchemas.load_many(list(locations)), now=now)
        return cls(_default_schemas(), now=now)

    def verify(self, manifests: Sequence[Manifest], *, complete: bool = True
               ) -> list[Diagnostic]:
        """All problems of one set.  ``complete=False`` (a file of the set could not be
        read) skips the checks that follow references between manifests, which would
        report whatever the unreadable file defines as missing."""
        from generator import verify_continuity, verify_rbac, verify_schedule, verify_workflow

        chain = Chain(manifests)
        now = self.now or datetime.datetime.now(datetime.UTC)
        problems: list[Diagnostic] = []
        problems += self.schema_problems(chain)
        problems += duplicate_problems(chain)
        if complete:
            problems += verify_workflow.check(chain)
            problems += verify_continuity.check(chain)
            problems += verify_rbac.check(chain)
        problems += verify_schedule.check(chain, now)
        return finalize(problems)

    def schema_problems(self, chain: Chain) -> list[Diagnostic]:
        known = self.schemas.kinds()
        problems: list[Diagnostic] = []
        for manifest in chain.manifests:
            data = manifest.data
            if not isinstance(data, dict) or not manifest.kind or not manifest.api_version:
                problems.append(manifest.diagnostic(
                    (), "not a Kubernetes manifest (no apiVersion and kind): not checked",
                    "manifest", level=Level.WARNING))
                continue
            if manifest.group != ARGO_GROUP and (manifest.api_version, manifest.kind) not in known:
                continue  # e.g. a Kustomization or a ConfigMap: not ours to check
            if manifest.group == ARGO_GROUP and manifest.kind in ARGOCD_KINDS:
                continue  # Argo CD's (tests/test_argocd.py builds them with kustomize)
            for problem in self.schemas.validate(data):
                unknown = problem.message.startswith("unknown field ")
                problems.append(manifest.diagnostic(problem.path, problem.message,
                                                    "argo-schema", key=unknown))
        return problems


def duplicate_problems(chain: Chain) -> list[Diagnostic]:
    return [
        manifest.diagnostic(("metadata", "name"),
                            f"{manifest.describe()} is defined twice in "
                            f"{namespace_text(manifest.namespace)} (also in {first.file})",
                            "duplicate-resource")
        for manifest, first in chain.duplicates
    ]


def verify_rendered(verifier: Verifier, files: Sequence[RenderedFileLike], output_dir: str
                    ) -> list[Diagnostic]:
    """Verify the files ``wfchain render`` is about to write (one instance's folder).

    Files are parsed without positions (fast); a file with a finding is parsed again
    with positions.  Diagnostics name ``<output_dir>/<path>``."""
    manifests = [parse_rendered(f.content, f"{output_dir}/{f.path}") for f in files
                 if not f.path.endswith("kustomization.yaml")]
    return verifier.verify(manifests)


@cache
def _default_schemas() -> ArgoSchemas:
    return ArgoSchemas.load(default_schema_location())


def verify_paths(paths: Sequence[Path], schema_locations: Sequence[Path] = (), *,
                 now: datetime.datetime | None = None
                 ) -> tuple[list[Diagnostic], int]:
    """Load every manifest under ``paths`` and verify them as one set.

    Returns the diagnostics and the number of manifests read.  Raises
    :class:`generator.argoschema.SchemaLoadError` for an unusable schema location
    and :class:`FileNotFoundError` for a path that does not exist.
    """
    files, missing = collect_files(paths)
    if missing:
        raise FileNotFoundError(", ".join(missing))
    verifier = Verifier.load(schema_locations, now=now)
    manifests, problems = load_files(files, YamlLoader())
    problems += verifier.verify(manifests, complete=not problems)
    return finalize(problems), len(manifests)

