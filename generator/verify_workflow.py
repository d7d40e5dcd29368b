"""Workflow sanity: an offline ``argo lint`` for the WorkflowSpecs of a set.

Checked for every WorkflowTemplate, ClusterWorkflowTemplate, Workflow,
CronWorkflow and every Workflow a Sensor submits:

* ``workflow-template-ref``: a ``workflowTemplateRef`` names a WorkflowTemplate of
  the set (in the Workflow's namespace; a ClusterWorkflowTemplate with
  ``clusterScope: true``), and such a Workflow carries no ``templates``;
* ``workflow-argument``: a Workflow submitted from a WorkflowTemplate gives every
  argument the template leaves without a value;
* ``workflow-template``: template names are unique, ``entrypoint`` and every
  task's/step's ``template`` exist (``templateRef`` is resolved too);
* ``dag-task``, ``dag-dependency``, ``dag-cycle``: unique task names,
  ``dependencies`` and ``depends`` not both, every dependency names a task of the
  DAG, no cycle;
* ``input-missing``: a task/step passes every input parameter without a default
  that its template declares (the entrypoint's come from the workflow arguments);
* ``param-reference``: ``{{inputs.parameters.x}}``, ``{{inputs.artifacts.x}}``,
  ``{{workflow.parameters.x}}``, ``{{tasks.t.outputs.parameters.y}}`` and
  ``{{steps.s.outputs.parameters.y}}`` resolve; a task only refers to tasks it
  (transitively) depends on.  Expression templates ``{{=...}}`` and other
  variables (``{{workflow.name}}``, ``{{item}}``, ...) are left alone.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from generator.diagnostics import Diagnostic, JsonPath
from generator.verify import (
    ARGO_GROUP,
    Chain,
    WorkflowSpec,
    as_dict,
    as_list,
    as_str,
    did_you_mean,
    listing,
    namespace_text,
    parameter_names,
    parameters,
)

_REFERENCE = re.compile(r"\{\{\s*([^{}=][^{}]*?)\s*\}\}")
_DEPENDS_TOKEN = re.compile(r"\s*(&&|\|\||!|\(|\)|[^\s&|!()]+)")
_DEPENDS_RESULTS = frozenset({
    "Succeeded", "Failed", "Errored", "Skipped", "Omitted", "Daemoned",
    "AnySucceeded", "AllFailed",
})


def check(chain: Chain) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for spec in chain.workflow_specs:
        problems += _Linter(chain, spec).run()
    return problems


def strings(node: Any, path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    """Every string value under ``node`` with its path (mapping keys excluded)."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from strings(value, (*path, index))


def references(node: Any, path: JsonPath) -> Iterator[tuple[JsonPath, str]]:
    """``(path, variable)`` of every ``{{variable}}`` under ``node``."""
    for where, text in strings(node, path):
        if "{{" in text:
            for match in _REFERENCE.finditer(text):
                yield where, match.group(1)


def resolve_template_ref(chain: Chain, namespace: str, ref: dict[str, Any]
                         ) -> tuple[str, dict[str, Any] | None]:
    """``(description, spec)`` of the WorkflowTemplate a ``workflowTemplateRef`` or
    ``templateRef`` names (spec None when it is not in the set)."""
    name = as_str(ref.get("name"))
    if ref.get("clusterScope") is True:
        found = chain.get(ARGO_GROUP, "ClusterWorkflowTemplate", "", name)
        return f"ClusterWorkflowTemplate '{name}'", found.spec if found else None
    found = chain.get(ARGO_GROUP, "WorkflowTemplate", namespace, name)
    return f"WorkflowTemplate '{name}'", found.spec if found else None


def _missing_ref(chain: Chain, namespace: str, ref: dict[str, Any]) -> str:
    name = as_str(ref.get("name"))
    if ref.get("clusterScope") is True:
        known = chain.names(ARGO_GROUP, "ClusterWorkflowTemplate", "")
        return f"no ClusterWorkflowTemplate '{name}' in the set{did_you_mean(name, known)}"
    known = chain.names(ARGO_GROUP, "WorkflowTemplate", namespace)
    return (f"no WorkflowTemplate '{name}' in {namespace_text(namespace)}"
            f"{did_you_mean(name, known)}")


def _needs_value(parameter: dict[str, Any]) -> bool:
    return all(parameter.get(k) is None for k in ("value", "default", "valueFrom"))


class _Linter:
    def __init__(self, chain: Chain, spec: WorkflowSpec) -> None:
        self.chain = chain
        self.ws = spec
        self.spec = spec.spec
        self.problems: list[Diagnostic] = []
        self.templates: dict[str, tuple[int, dict[str, Any]]] = {}
        self.workflow_parameters: set[str] = set(parameter_names(self.spec.get("arguments")))

    def error(self, path: JsonPath, message: str, check: str, *, key: bool = False) -> None:
        self.problems.append(self.ws.diagnostic(path, message, check, key=key))

    # ------------------------------------------------------------------ top level
    def run(self) -> list[Diagnostic]:
        ref = self.spec.get("workflowTemplateRef")
        if isinstance(ref, dict):
            self._template_ref(ref)
            return self.problems
        for index, template in enumerate(as_list(self.spec.get("templates"))):
            if not isinstance(template, dict):
                continue
            name = as_str(template.get("name"))
            if name in self.templates:
                self.error(("templates", index, "name"),
                           f"template name '{name}' is used twice", "workflow-template")
            else:
                self.templates[name] = (index, template)
        entrypoint = self.spec.get("entrypoint")
        if isinstance(entrypoint, str) and self.templates:
            if entrypoint not in self.templates:
                self.error(("entrypoint",), f"entrypoint '{entrypoint}' is not a template of "
                           f"{self.ws.describe()}{did_you_mean(entrypoint, list(self.templates))}",
                           "workflow-template")
            else:
                index, template = self.templates[entrypoint]
                for p_index, parameter in parameters(template.get("inputs")):
                    pname = as_str(parameter.get("name"))
                    if _needs_value(parameter) and pname not in self.workflow_parameters:
                        self.error(("templates", index, "inputs", "parameters", p_index),
                                   f"input parameter '{pname}' of the entrypoint '{entrypoint}' "
                                   "has no value and no workflow argument supplies it "
                                   f"(arguments: {listing(sorted(self.workflow_parameters))})",
                                   "input-missing")
        for name, (index, template) in sorted(self.templates.items(), key=lambda i: i[1][0]):
            del name
            self._template(("templates", index), template)
        self._workflow_references()
        return self.problems

    def _template_ref(self, ref: dict[str, Any]) -> None:
        if self.spec.get("templates"):
            self.error(("templates",), "a Workflow that sets workflowTemplateRef must not also "
                       "carry templates", "workflow-template-ref", key=True)
        described, target = resolve_template_ref(self.chain, self.ws.namespace, ref)
        if target is None:
            self.error(("workflowTemplateRef", "name"),
                       _missing_ref(self.chain, self.ws.namespace, ref), "workflow-template-ref")
            return
        supplied = set(parameter_names(self.spec.get("arguments")))
        for _, parameter in parameters(target.get("arguments")):
            pname = as_str(parameter.get("name"))
            if _needs_value(parameter) and pname not in supplied:
                self.error(("workflowTemplateRef", "name"),
                           f"{described} leaves argument '{pname}' without a value and "
                           f"{self.ws.describe()} does not supply it", "workflow-argument")

    def _workflow_references(self) -> None:
        for key, value in self.spec.items():
            if key == "templates":
                continue
            for where, variable in references(value, (key,)):
                self._workflow_variable(where, variable)

    def _workflow_variable(self, where: JsonPath, variable: str) -> bool:
        if variable.startswith("workflow.parameters."):
            name = variable.removeprefix("workflow.parameters.")
            if name not in self.workflow_parameters:
                self.error(where, f"'{{{{{variable}}}}}' does not resolve: {self.ws.describe()} "
                           f"has no argument '{name}' (arguments: "
                           f"{listing(sorted(self.workflow_parameters))})"
                           f"{did_you_mean(name, sorted(self.workflow_parameters))}",
                           "param-reference")
            return True
        return False

    # ------------------------------------------------------------------ templates
    def _called(self, path: JsonPath, call: dict[str, Any], what: str
                ) -> dict[str, Any] | None:
        """The template a task/step calls (None if unresolvable), reporting problems."""
        name = call.get("template")
        if isinstance(name, str):
            found = self.templates.get(name)
            if found is None:
                self.error((*path, "template"), f"{what} calls template '{name}', which "
                           f"{self.ws.describe()} does not define"
                           f"{did_you_mean(name, list(self.templates))}", "workflow-template")
                return None
            return found[1]
        ref = call.get("templateRef")
        if isinstance(ref, dict):
            described, target = resolve_template_ref(self.chain, self.ws.namespace, ref)
            if target is None:
                self.error((*path, "templateRef", "name"),
                           _missing_ref(self.chain, self.ws.namespace, ref), "template-ref")
                return None
            wanted = as_str(ref.get("template"))
            for template in as_list(target.get("templates")):
                if isinstance(template, dict) and template.get("name") == wanted:
                    return template
            self.error((*path, "templateRef", "template"),
                       f"{described} has no template '{wanted}'", "template-ref")
        return None

    def _inputs_supplied(self, path: JsonPath, call: dict[str, Any], target: dict[str, Any],
                         what: str) -> None:
        supplied = set(parameter_names(call.get("arguments")))
        for _, parameter in parameters(target.get("inputs")):
            pname = as_str(parameter.get("name"))
            if _needs_value(parameter) and pname not in supplied:
                self.error((*path, "name"), f"{what} does not pass input parameter '{pname}' "
                           f"that template '{as_str(target.get('name'))}' requires",
                           "input-missing")

    def _template(self, path: JsonPath, template: dict[str, Any]) -> None:
        inputs = set(parameter_names(template.get("inputs")))
        artifacts = {as_str(a.get("name")) for a in
                     as_list(as_dict(template.get("inputs")).get("artifacts"))
                     if isinstance(a, dict)}
        name = as_str(template.get("name"))
        tasks: dict[str, tuple[int, dict[str, Any]]] = {}
        ancestors: dict[str, set[str]] = {}
        dag = template.get("dag")
        if isinstance(dag, dict):
            tasks, ancestors = self._dag(path, dag)
        steps: dict[str, int] = {}
        for g_index, group in enumerate(as_list(template.get("steps"))):
            for s_index, step in enumerate(as_list(group)):
                if isinstance(step, dict):
                    step_path = (*path, "steps", g_index, s_index)
                    steps.setdefault(as_str(step.get("name")), g_index)
                    target = self._called(step_path, step, f"step '{step.get('name')}'")
                    if target is not None:
                        self._inputs_supplied(step_path, step, target,
                                              f"step '{step.get('name')}'")
        for where, variable in references(template, path):
            if self._workflow_variable(where, variable):
                continue
            head, _, rest = variable.partition(".")
            if head == "inputs":
                kind, _, wanted = rest.partition(".")
                known = inputs if kind == "parameters" else artifacts
                if kind in ("parameters", "artifacts") and wanted and wanted not in known:
                    self.error(where, f"'{{{{{variable}}}}}' does not resolve: template "
                               f"'{name}' has no input {kind[:-1]} '{wanted}' (inputs: "
                               f"{listing(sorted(known))}){did_you_mean(wanted, sorted(known))}",
                               "param-reference")
            elif head == "tasks" and isinstance(dag, dict):
                self._task_reference(path, where, variable, rest, tasks, ancestors)
            elif head == "steps" and "steps" in template:
                step, _, _ = rest.partition(".")
                if step and step not in steps and step != "name":
                    self.error(where, f"'{{{{{variable}}}}}' does not resolve: template "
                               f"'{name}' has no step '{step}'", "param-reference")

    def _task_reference(self, path: JsonPath, where: JsonPath, variable: str, rest: str,
                        tasks: dict[str, tuple[int, dict[str, Any]]],
                        ancestors: dict[str, set[str]]) -> None:
        task, _, tail = rest.partition(".")
        if task == "name" and not tail:
            return
        if task not in tasks:
            self.error(where, f"'{{{{{variable}}}}}' does not resolve: the DAG has no task "
                       f"'{task}'{did_you_mean(task, list(tasks))}", "param-reference")
            return
        # the referring task: where = (*path, 'dag', 'tasks', index, ...)
        depth = len(path)
        if len(where) > depth + 2 and where[depth:depth + 2] == ("dag", "tasks"):
            index = where[depth + 2]
            referring = next((n for n, (i, _) in tasks.items() if i == index), None)
            if referring is not None and task not in ancestors.get(referring, set()):
                self.error(where, f"'{{{{{variable}}}}}': task '{referring}' refers to task "
                           f"'{task}' but does not depend on it", "param-reference")
                return
        kind, _, output = tail.removeprefix("outputs.").partition(".")
        if tail.startswith("outputs.") and kind == "parameters":
            called = tasks[task][1].get("template")
            found = self.templates.get(called) if isinstance(called, str) else None
            if found is not None:
                target = found[1]
                outputs = parameter_names(target.get("outputs"))
                if output not in outputs:
                    self.error(where, f"'{{{{{variable}}}}}' does not resolve: template "
                               f"'{as_str(target.get('name'))}' of task '{task}' has no "
                               f"output parameter '{output}' (outputs: {listing(outputs)})",
                               "param-reference")

    # ------------------------------------------------------------------ DAG
    def _dag(self, path: JsonPath, dag: dict[str, Any]
             ) -> tuple[dict[str, tuple[int, dict[str, Any]]], dict[str, set[str]]]:
        tasks: dict[str, tuple[int, dict[str, Any]]] = {}
        for index, task in enumerate(as_list(dag.get("tasks"))):
            if not isinstance(task, dict):
                continue
            name = as_str(task.get("name"))
            if name in tasks:
                self.error((*path, "dag", "tasks", index, "name"),
                           f"task name '{name}' is used twice in the DAG", "dag-task")
            else:
                tasks[name] = (index, task)
        edges: dict[str, list[str]] = {}
        for name, (index, task) in tasks.items():
            task_path = (*path, "dag", "tasks", index)
            target = self._called(task_path, task, f"task '{name}'")
            if target is not None:
                self._inputs_supplied(task_path, task, target, f"task '{name}'")
            deps: list[str] = []
            if "dependencies" in task and "depends" in task:
                self.error((*task_path, "depends"), f"task '{name}' sets both dependencies and "
                           "depends; use one", "dag-task", key=True)
            for d_index, dep in enumerate(as_list(task.get("dependencies"))):
                dep_name = as_str(dep)
                if dep_name not in tasks:
                    self.error((*task_path, "dependencies", d_index),
                               f"task '{name}' depends on '{dep_name}', which is not a task of "
                               f"the DAG{did_you_mean(dep_name, list(tasks))}", "dag-dependency")
                else:
                    deps.append(dep_name)
            depends = task.get("depends")
            if isinstance(depends, str):
                for dep_name in _depends_tasks(depends):
                    if dep_name not in tasks:
                        self.error((*task_path, "depends"),
                                   f"task '{name}' depends on '{dep_name}', which is not a task "
                                   f"of the DAG{did_you_mean(dep_name, list(tasks))}",
                                   "dag-dependency")
                    else:
                        deps.append(dep_name)
            edges[name] = deps
        self._cycles(path, tasks, edges)
        ancestors: dict[str, set[str]] = {}
        for name in tasks:
            seen: set[str] = set()
            todo = list(edges.get(name, []))
            while todo:
                current = todo.pop()
                if current not in seen:
                    seen.add(current)
                    todo.extend(edges.get(current, []))
            ancestors[name] = seen
        return tasks, ancestors

    def _cycles(self, path: JsonPath, tasks: dict[str, tuple[int, dict[str, Any]]],
                edges: dict[str, list[str]]) -> None:
        state: dict[str, int] = {}
        reported: set[frozenset[str]] = set()

        def visit(node: str, stack: list[str]) -> None:
            state[node] = 1
            stack.append(node)
            for dep in edges.get(node, []):
                if state.get(dep) == 1:
                    cycle = stack[stack.index(dep):]
                    members = frozenset(cycle)
                    if members not in reported:
                        reported.add(members)
                        first = min(cycle, key=lambda n: tasks[n][0])
                        start = cycle.index(first)
                        ordered = cycle[start:] + cycle[:start]
                        loop = " -> ".join([*ordered, first])
                        self.error((*path, "dag", "tasks", tasks[first][0], "name"),
                                   f"the DAG has a dependency cycle: {loop}", "dag-cycle")
                elif state.get(dep) is None:
                    visit(dep, stack)
            stack.pop()
            state[node] = 2

        for name in sorted(tasks, key=lambda n: tasks[n][0]):
            if state.get(name) is None:
                visit(name, [])


def _depends_tasks(expression: str) -> list[str]:
    """Task names of a ``depends`` expression (``a && (b.Failed || !c)``)."""
    names: list[str] = []
    for token in _DEPENDS_TOKEN.findall(expression):
        if token in ("&&", "||", "!", "(", ")"):
            continue
        task, _, result = token.partition(".")
        if result and result not in _DEPENDS_RESULTS:
            task = token  # a dotted name: let the lookup report it whole
        names.append(task)
    return names
