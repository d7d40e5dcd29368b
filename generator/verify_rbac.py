"""RBAC: the accounts that submit and run workflows exist and may do so.

* ``rbac-service-account``: a Sensor's ``spec.template.serviceAccountName`` and a
  WorkflowSpec's ``serviceAccountName`` name a ServiceAccount of the set (the
  namespace's ``default`` account, used when none is named, always exists);
* ``rbac-permission``: a Sensor whose triggers create Workflows (``argoWorkflow``
  or ``k8s`` with a Workflow resource) may ``create`` ``workflows.argoproj.io`` in
  the Workflow's namespace; a workflow's account may ``create`` and ``patch``
  ``workflowtaskresults.argoproj.io`` (what the Argo executor needs);
* ``rbac-binding``: a RoleBinding's ``roleRef`` to a Role names a Role of the set;
* ``rbac-wildcard`` (warning): ``*`` in a rule's apiGroups, resources or verbs;
* ``rbac-cluster-scope`` (warning): a ClusterRoleBinding, which grants in every
  namespace (a chain needs nothing beyond its own namespace); binding the built-in
  ``cluster-admin`` is an error.

Grants are computed like the API server does: Roles bound by RoleBindings in the
namespace, ClusterRoles bound by RoleBindings or ClusterRoleBindings; a subject
``ServiceAccount`` without ``namespace`` in a RoleBinding means the binding's
namespace; the groups ``system:serviceaccounts`` and
``system:serviceaccounts:<namespace>`` count.  A rule with ``resourceNames`` never
grants ``create``.  ClusterRoles not in the set (``edit``, ...) grant nothing here.
"""

from __future__ import annotations

from typing import Any

from generator.diagnostics import Diagnostic, JsonPath, Level
from generator.verify import (
    ARGO_GROUP,
    Chain,
    Manifest,
    as_dict,
    as_list,
    as_str,
    did_you_mean,
    namespace_text,
    sensor_resources,
)

RBAC_GROUP = "rbac.authorization.k8s.io"
DEFAULT_ACCOUNT = "default"
EXECUTOR_VERBS = ("create", "patch")


def check(chain: Chain) -> list[Diagnostic]:
    return _Rbac(chain).run()


class _Rbac:
    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self.problems: list[Diagnostic] = []

    def run(self) -> list[Diagnostic]:
        for kind in ("Role", "ClusterRole"):
            for role in self.chain.of_kind(RBAC_GROUP, kind):
                self._wildcards(role)
        for binding in self.chain.of_kind(RBAC_GROUP, "ClusterRoleBinding"):
            self._cluster_binding(binding)
        for binding in self.chain.of_kind(RBAC_GROUP, "RoleBinding"):
            ref = as_dict(binding.data.get("roleRef"))
            name = as_str(ref.get("name"))
            if ref.get("kind") == "Role" and \
                    self.chain.get(RBAC_GROUP, "Role", binding.namespace, name) is None:
                known = self.chain.names(RBAC_GROUP, "Role", binding.namespace)
                self.problems.append(binding.diagnostic(
                    ("roleRef", "name"), f"{binding.describe()} refers to Role '{name}', which "
                    f"is not in {namespace_text(binding.namespace)}{did_you_mean(name, known)}",
                    "rbac-binding"))
        for sensor in self.chain.argo("Sensor"):
            self._sensor(sensor)
        for spec in self.chain.workflow_specs:
            account = spec.spec.get("serviceAccountName")
            if spec.embedded and ("workflowTemplateRef" in spec.spec) and account is None:
                continue  # runs as the WorkflowTemplate's account, checked there
            if spec.kind in ("WorkflowTemplate", "ClusterWorkflowTemplate") or \
                    "templates" in spec.spec or account is not None:
                self._executor(spec.manifest, (*spec.path, "serviceAccountName"),
                               as_str(account) or DEFAULT_ACCOUNT, spec.namespace,
                               spec.describe())
        return self.problems

    # ------------------------------------------------------------------ checks
    def _account_exists(self, manifest: Manifest, path: JsonPath, account: str,
                        namespace: str) -> bool:
        if account == DEFAULT_ACCOUNT or self.chain.get("", "ServiceAccount", namespace, account):
            return True
        known = self.chain.names("", "ServiceAccount", namespace)
        self.problems.append(manifest.diagnostic(
            path, f"ServiceAccount '{account}' is not in {namespace_text(namespace)}"
            f"{did_you_mean(account, known)}", "rbac-service-account"))
        return False

    def _sensor(self, sensor: Manifest) -> None:
        path: JsonPath = ("spec", "template", "serviceAccountName")
        account = as_str(as_dict(sensor.spec.get("template")).get("serviceAccountName")) or \
            DEFAULT_ACCOUNT
        namespaces = sorted({
            as_str(as_dict(resource.get("metadata")).get("namespace")) or sensor.namespace
            for _, resource in sensor_resources(sensor)
            if resource.get("kind") == "Workflow"
            and as_str(resource.get("apiVersion")).startswith(ARGO_GROUP + "/")
        })
        if not namespaces or not self._account_exists(sensor, path, account, sensor.namespace):
            return
        for namespace in namespaces:
            if not self.allowed(account, sensor.namespace, namespace, ARGO_GROUP, "workflows",
                                "create"):
                where = namespace_text(namespace)
                self.problems.append(sensor.diagnostic(
                    path, f"ServiceAccount '{account}' may not create workflows.argoproj.io in "
                    f"{where}, but {sensor.describe()} submits Workflows there",
                    "rbac-permission"))

    def _executor(self, manifest: Manifest, path: JsonPath, account: str, namespace: str,
                  described: str) -> None:
        if not self._account_exists(manifest, path, account, namespace):
            return
        missing = [verb for verb in EXECUTOR_VERBS
                   if not self.allowed(account, namespace, namespace, ARGO_GROUP,
                                       "workflowtaskresults", verb)]
        if missing:
            self.problems.append(manifest.diagnostic(
                path, f"ServiceAccount '{account}' may not {' and '.join(missing)} "
                f"workflowtaskresults.argoproj.io in {namespace_text(namespace)}; the Argo "
                f"executor of {described} needs create and patch", "rbac-permission"))

    def _wildcards(self, role: Manifest) -> None:
        for index, rule in enumerate(as_list(role.data.get("rules"))):
            for key in ("apiGroups", "resources", "verbs"):
                values = as_list(as_dict(rule).get(key))
                if "*" in values:
                    self.problems.append(role.diagnostic(
                        ("rules", index, key, values.index("*")),
                        f"{role.describe()} grants '*' {key}: grant only what is needed",
                        "rbac-wildcard", level=Level.WARNING))

    def _cluster_binding(self, binding: Manifest) -> None:
        name = as_str(as_dict(binding.data.get("roleRef")).get("name"))
        if name == "cluster-admin":
            self.problems.append(binding.diagnostic(
                ("roleRef", "name"), f"{binding.describe()} grants cluster-admin, everything "
                "in every namespace: bind a Role with exactly what is needed",
                "rbac-cluster-scope"))
            return
        self.problems.append(binding.diagnostic(
            ("roleRef",), f"{binding.describe()} grants ClusterRole '{name}' in every "
            "namespace: a chain needs nothing beyond its own (use a RoleBinding)",
            "rbac-cluster-scope", level=Level.WARNING))

    # ------------------------------------------------------------------ grants
    def allowed(self, account: str, account_namespace: str, namespace: str, group: str,
                resource: str, verb: str) -> bool:
        return any(_grants(rule, group, resource, verb)
                   for rule in self._rules(account, account_namespace, namespace))

    def _rules(self, account: str, account_namespace: str, namespace: str
               ) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = []
        bindings = [b for b in self.chain.of_kind(RBAC_GROUP, "RoleBinding")
                    if b.namespace == namespace]
        bindings += self.chain.of_kind(RBAC_GROUP, "ClusterRoleBinding")
        for binding in bindings:
            default_namespace = binding.namespace
            if not any(_is_subject(s, account, account_namespace, default_namespace)
                       for s in as_list(binding.data.get("subjects"))):
                continue
            ref = as_dict(binding.data.get("roleRef"))
            name = as_str(ref.get("name"))
            role = (self.chain.get(RBAC_GROUP, "Role", namespace, name)
                    if ref.get("kind") == "Role" and binding.kind == "RoleBinding"
                    else self.chain.get(RBAC_GROUP, "ClusterRole", "", name)
                    if ref.get("kind") == "ClusterRole" else None)
            if role is not None:
                rules += [r for r in as_list(role.data.get("rules")) if isinstance(r, dict)]
        return rules


def _is_subject(subject: Any, account: str, account_namespace: str,
                binding_namespace: str) -> bool:
    subject = as_dict(subject)
    kind, name = subject.get("kind"), as_str(subject.get("name"))
    if kind == "ServiceAccount":
        namespace = as_str(subject.get("namespace")) or binding_namespace
        return name == account and namespace == account_namespace
    if kind == "Group":
        return name in ("system:serviceaccounts", f"system:serviceaccounts:{account_namespace}")
    if kind == "User":
        return name == f"system:serviceaccount:{account_namespace}:{account}"
    return False


def _grants(rule: dict[str, Any], group: str, resource: str, verb: str) -> bool:
    def has(key: str, value: str) -> bool:
        values = as_list(rule.get(key))
        return bool(value in values or "*" in values)

    if rule.get("resourceNames") and verb == "create":
        return False
    return has("apiGroups", group) and has("resources", resource) and has("verbs", verb)
