"""A chain as a picture: Mermaid and Graphviz DOT text, and SVG through Graphviz.

One chain is drawn left to right as it runs::

    calendar EventSource (schedule, time zone) -> Sensor trigger1
      -> workflow 1's DAG (the template's tasks, then wfchain-handoff)
      -> POST of the hand-off parameters to the webhook URL -> webhook EventSource
      -> Sensor trigger2 -> workflow 2's DAG

The model (:class:`Chain`) is built from a validated instance (real names, schedule
and URL) or from a template alone (placeholder names such as ``<id>``). Output is
deterministic: node ids derive from names (task names cannot contain ``_``, so
``w1_`` + the name with ``-`` replaced is unique and never a Mermaid keyword),
tasks keep the template's order and each task's dependencies are sorted. Every
label is escaped for its language, so names, URLs and expressions cannot break
the syntax.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.config import Config
from generator.diagnostics import Diagnostic, finalize, has_errors
from generator.identity import Names
from generator.model import Instance, Template
from generator.pipeline import TEMPLATE_FILE, Build, UsageError
from generator.placeholders import PlaceholderError, materialize
from generator.render import placeholder_context
from generator.validate import HANDOFF_NAME

FORMATS = ("mermaid", "dot", "svg")

#: What a template-only picture shows where an instance would supply a value.
PLACEHOLDER_ID = "<id>"
PLACEHOLDER_NAMESPACE = "<namespace>"
PLACEHOLDER_SCHEDULE = "<schedule>"
PLACEHOLDER_TIMEZONE = "<timezone>"

_DEPENDS_ITEM = re.compile(r"([A-Za-z0-9][-A-Za-z0-9]*)(?:\.([A-Za-z]+))?")
_DEPENDS_RESULTS = frozenset({"Succeeded", "Failed", "Errored", "Skipped", "Omitted",
                              "Daemoned", "AnySucceeded", "AllFailed"})
_DEPENDS_TERM = r"[A-Za-z0-9][-A-Za-z0-9]*(\.[A-Za-z]+)?"
#: ``a && b.Succeeded``: fully told by the edges (and their result labels)
_CONJUNCTION = re.compile(rf"^{_DEPENDS_TERM}(&&{_DEPENDS_TERM})*$")


class MissingToolError(Exception):
    """A program the output needs (Graphviz's ``dot`` for SVG) is not on PATH."""


# --------------------------------------------------------------------------- model


@dataclass(frozen=True, order=True)
class Dependency:
    task: str
    #: the task result a ``depends`` expression asks for ("Failed", ...), "" for plain
    result: str = ""


@dataclass(frozen=True)
class Task:
    name: str
    #: what the task runs when that is not simply the template of the same name
    runs: str
    dependencies: tuple[Dependency, ...]
    #: the ``depends`` expression when it is more than ``a && b.Succeeded``, else ""
    condition: str
    #: the task's ``when`` expression, else ""
    when: str = ""


@dataclass(frozen=True)
class Workflow:
    name: str
    tasks: tuple[Task, ...]

    def roots(self) -> list[Task]:
        return [t for t in self.tasks if not t.dependencies]


@dataclass(frozen=True)
class Chain:
    title: str
    names: Names
    schedule: str
    timezone: str
    exclusion_dates: tuple[str, ...]
    workflow1: Workflow
    handoff: tuple[str, ...]
    workflow2: Workflow


def _dependencies(task: Mapping[str, Any]) -> tuple[tuple[Dependency, ...], str]:
    if "depends" in task:
        expression = " ".join(str(task["depends"]).split())
        found: set[Dependency] = set()
        for name, result in _DEPENDS_ITEM.findall(expression):
            if name not in _DEPENDS_RESULTS:
                found.add(Dependency(name, result))
        plain = _CONJUNCTION.match(expression.replace(" ", ""))
        return tuple(sorted(found)), "" if plain else expression
    names = {str(d) for d in task.get("dependencies", [])}
    return tuple(Dependency(n) for n in sorted(names)), ""


def _runs(task: Mapping[str, Any]) -> str:
    if "templateRef" in task and isinstance(task["templateRef"], Mapping):
        ref = task["templateRef"]
        kind = "clusterWorkflowTemplate" if ref.get("clusterScope") else "templateRef"
        return f"{kind}: {ref.get('name', '')}/{ref.get('template', '')}"
    if "inline" in task:
        return "inline template"
    template = task.get("template")
    if template is not None and str(template) != task["name"]:
        return f"template: {template}"
    return ""


def _workflow(name: str, section: Mapping[str, Any], extra: Task | None = None) -> Workflow:
    tasks = []
    for raw in section["tasks"]:
        dependencies, condition = _dependencies(raw)
        tasks.append(Task(str(raw["name"]), _runs(raw), dependencies, condition,
                          str(raw.get("when", ""))))
    if extra is not None:
        tasks.append(extra)
    return Workflow(name, tuple(tasks))


def chain(title: str, names: Names, schedule: str, timezone: str,
          exclusion_dates: Iterable[str], sections: Mapping[str, Any]) -> Chain:
    """The chain of one instance (or one template) from its workflow1/handoff/workflow2
    sections (a template's data, placeholders materialized or not)."""
    handoff = sections["handoff"]
    params = tuple(str(p["name"]) for p in handoff["parameters"])
    after = tuple(Dependency(str(a)) for a in sorted({str(a) for a in handoff["after"]}))
    handoff_task = Task(HANDOFF_NAME, "", after, "")
    return Chain(
        title=title,
        names=names,
        schedule=schedule,
        timezone=timezone,
        exclusion_dates=tuple(sorted(exclusion_dates)),
        workflow1=_workflow(names.workflow1, sections["workflow1"], handoff_task),
        handoff=params,
        workflow2=_workflow(names.workflow2, sections["workflow2"]),
    )


def placeholder_names(cluster_domain: str, port: int, endpoint: str) -> Names:
    """Names as a template alone can tell them: ``<id>-workflow1``, ..."""
    return Names(PLACEHOLDER_ID, PLACEHOLDER_NAMESPACE, cluster_domain, port, endpoint)


def instance_chain(instance: Instance, template: Template) -> Chain:
    """The chain of a validated instance (names assigned), placeholders evaluated.

    Raises :class:`~generator.placeholders.PlaceholderError` like the renderer would."""
    names = instance.names
    assert names is not None
    context = placeholder_context(instance, names)
    sections = {key: materialize(template.compiled[key], context)
                for key in ("workflow1", "handoff", "workflow2")}
    return chain(f"{instance.key} (template {template.name})", names,
                 instance.schedule.expression, instance.timezone, instance.exclusion_dates,
                 sections)


def template_chain(template: Template, config: Config) -> Chain:
    """A template's chain with placeholder names; ``${{ ... }}`` shown as written."""
    names = placeholder_names(config.cluster_domain, config.webhook_port,
                              config.webhook_endpoint)
    return chain(f"template {template.name}", names, PLACEHOLDER_SCHEDULE,
                 PLACEHOLDER_TIMEZONE, (), template.document.data)


def _template_by_ref(result: Build, ref: str) -> Template | None:
    """A template by name, by its folder or by its template.yaml (relative to the
    current directory or the project root)."""
    if ref in result.templates:
        return result.templates[ref]
    wanted = {(base / ref).resolve() for base in (Path.cwd(), result.root)}
    folder = result.root / result.config.templates_dir
    for name, template in result.templates.items():
        if {(folder / name).resolve(), (folder / name / TEMPLATE_FILE).resolve()} & wanted:
            return template
    return None


def chains_for(result: Build, target: str | None) -> tuple[list[Chain], list[Diagnostic]]:
    """The chains to draw: the instance or template ``target`` names, or every instance.

    Problems are returned when the chosen chain (or, for every instance, anything) is
    invalid; :class:`~generator.pipeline.UsageError` when ``target`` names nothing."""
    if target is None:
        if has_errors(result.diagnostics):
            return [], result.diagnostics
        if not result.instances:
            raise UsageError("there are no instances to draw; name a template to draw it")
        instances = sorted(result.instances, key=lambda i: (i.namespace, i.name))
    else:
        try:
            instances = [] if target in result.templates else [result.find(target)]
        except UsageError:
            instances = []
        if not instances:
            template = _template_by_ref(result, target)
            if template is not None:
                return [template_chain(template, result.config)], []
            if has_errors(result.diagnostics):
                return [], result.diagnostics
            raise UsageError(f"'{target}' is neither a valid instance (namespace/name or "
                             "its file) nor a template (name or folder)")
    chains: list[Chain] = []
    problems: list[Diagnostic] = []
    for instance in instances:
        template = result.templates[instance.template_name]
        try:
            chains.append(instance_chain(instance, template))
        except PlaceholderError as exc:
            problems.append(template.document.diagnostic(exc.path, exc.message, "placeholder"))
    return chains, finalize(problems)


# --------------------------------------------------------------------------- layout
# Both languages are written from one tree of groups (subgraphs) and a list of edges.


@dataclass(frozen=True)
class _Node:
    id: str
    lines: tuple[str, ...]
    kind: str  # one of _STYLES


@dataclass(frozen=True)
class _Edge:
    source: str
    target: str
    lines: tuple[str, ...] = ()
    #: the group the edge enters: Mermaid draws to the subgraph, DOT clips at it
    group: str = ""


@dataclass(frozen=True)
class _Group:
    id: str
    title: str
    nodes: tuple[_Node, ...]
    groups: tuple[_Group, ...] = ()


def _node_id(prefix: str, name: str) -> str:
    return prefix + name.replace("-", "_")


def _workflow_group(group_id: str, prefix: str, workflow: Workflow, handoff: bool
                    ) -> tuple[_Group, list[_Edge]]:
    nodes: list[_Node] = []
    edges: list[_Edge] = []
    for task in workflow.tasks:
        lines = [task.name]
        if task.runs:
            lines.append(task.runs)
        if task.condition:
            lines.append(f"depends: {task.condition}")
        if task.when:
            lines.append(f"when: {task.when}")
        kind = "handoff" if handoff and task.name == HANDOFF_NAME else "task"
        nodes.append(_Node(_node_id(prefix, task.name), tuple(lines), kind))
        for dep in task.dependencies:
            edges.append(_Edge(_node_id(prefix, dep.task), _node_id(prefix, task.name),
                               (dep.result,) if dep.result else ()))
    return _Group(group_id, f"WorkflowTemplate {workflow.name}", tuple(nodes)), edges


def _chain_parts(item: Chain, prefix: str) -> tuple[list[_Node], list[_Group], list[_Edge]]:
    names = item.names
    cron_lines = ["calendar EventSource", names.cron_eventsource,
                  f"schedule: {item.schedule}", f"timezone: {item.timezone}"]
    if item.exclusion_dates:
        cron_lines.append("except: " + ", ".join(item.exclusion_dates))
    nodes = [
        _Node(prefix + "cron", tuple(cron_lines), "event"),
        _Node(prefix + "trigger1", ("Sensor", names.trigger1), "sensor"),
        _Node(prefix + "webhook", ("webhook EventSource", names.webhook_eventsource), "event"),
        _Node(prefix + "trigger2", ("Sensor", names.trigger2), "sensor"),
    ]
    group1, edges1 = _workflow_group(prefix + "workflow1", prefix + "w1_", item.workflow1, True)
    group2, edges2 = _workflow_group(prefix + "workflow2", prefix + "w2_", item.workflow2, False)
    sent = ", ".join(item.handoff)
    edges = [
        _Edge(prefix + "cron", prefix + "trigger1", ("fires",)),
        _Edge(prefix + "trigger1", _node_id(prefix + "w1_", item.workflow1.roots()[0].name),
              ("submits",), group1.id),
        *edges1,
        _Edge(_node_id(prefix + "w1_", HANDOFF_NAME), prefix + "webhook",
              (f"POST {sent}" if sent else "POST (no parameters)", names.webhook_url)),
        _Edge(prefix + "webhook", prefix + "trigger2", ("event",)),
        _Edge(prefix + "trigger2", _node_id(prefix + "w2_", item.workflow2.roots()[0].name),
              (f"submits with {sent}" if sent else "submits",), group2.id),
        *edges2,
    ]
    return nodes, [group1, group2], edges


def _layout(chains: Sequence[Chain]) -> tuple[str, _Group, list[_Edge]]:
    """(title, root group, edges); several chains each get a group of their own."""
    if len(chains) == 1:
        nodes, groups, edges = _chain_parts(chains[0], "")
        return chains[0].title, _Group("", "", tuple(nodes), tuple(groups)), edges
    outer: list[_Group] = []
    all_edges: list[_Edge] = []
    for index, item in enumerate(chains):
        nodes, groups, edges = _chain_parts(item, f"c{index}_")
        outer.append(_Group(f"c{index}", item.title, tuple(nodes), tuple(groups)))
        all_edges += edges
    return f"{len(chains)} chains", _Group("", "", (), tuple(outer)), all_edges


def _kinds(group: _Group) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for node in group.nodes:
        found.setdefault(node.kind, []).append(node.id)
    for child in group.groups:
        for kind, ids in _kinds(child).items():
            found.setdefault(kind, []).extend(ids)
    return found


def _clean(line: str) -> str:
    """One label line: whitespace (newlines, tabs, runs of spaces) becomes one space."""
    return " ".join(line.split())


#: fill and stroke colours per node kind (the same in both languages)
_STYLES = {
    "event": ("#fff4dd", "#c99a2e"),
    "sensor": ("#e8f0fe", "#4a76c9"),
    "task": ("#ffffff", "#666666"),
    "handoff": ("#e6f4ea", "#2f8f4e"),
}


# --------------------------------------------------------------------------- mermaid

#: Characters that end or alter a quoted Mermaid label, as Mermaid entity codes
#: (``#<decimal>;``, which Mermaid turns into HTML character references).
_MERMAID_ESCAPES = {c: f"#{ord(c)};" for c in '"#&<>|`'}
_MERMAID_SHAPES = {"event": ('(["', '"])'), "sensor": ('{{"', '"}}'),
                   "task": ('["', '"]'), "handoff": ('[/"', '"/]')}


def mermaid_text(line: str) -> str:
    """Escape one line of a quoted Mermaid label."""
    return "".join(_MERMAID_ESCAPES.get(c, c) for c in _clean(line))


def _mermaid_label(lines: Iterable[str]) -> str:
    return "<br/>".join(mermaid_text(line) for line in lines)


def _mermaid_group(group: _Group, indent: str, out: list[str]) -> None:
    for node in group.nodes:
        left, right = _MERMAID_SHAPES[node.kind]
        out.append(f"{indent}{node.id}{left}{_mermaid_label(node.lines)}{right}")
    for child in group.groups:
        out.append(f'{indent}subgraph {child.id}["{mermaid_text(child.title)}"]')
        _mermaid_group(child, indent + "  ", out)
        out.append(f"{indent}end")


def to_mermaid(chains: Sequence[Chain]) -> str:
    """A Mermaid flowchart (renders on GitHub inside a ```mermaid fence)."""
    title, root, edges = _layout(chains)
    out = ["flowchart LR", f"  %% wfchain graph: {_clean(title)}"]
    _mermaid_group(root, "  ", out)
    for edge in edges:
        target = edge.group or edge.target
        if edge.lines:
            out.append(f'  {edge.source} -->|"{_mermaid_label(edge.lines)}"| {target}')
        else:
            out.append(f"  {edge.source} --> {target}")
    kinds = _kinds(root)
    for kind, (fill, stroke) in _STYLES.items():
        if kind in kinds:
            out.append(f"  classDef {kind} fill:{fill},stroke:{stroke},color:#1f1f1f")
            out.append(f"  class {','.join(kinds[kind])} {kind}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- dot

_DOT_SHAPES = {"event": "ellipse", "sensor": "hexagon", "task": "box", "handoff": "parallelogram"}


def dot_string(text: str) -> str:
    """A DOT double-quoted string (an escString: a backslash must be doubled)."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_label(lines: Iterable[str]) -> str:
    return dot_string("\n".join(_clean(line) for line in lines)).replace("\n", "\\n")


def _dot_group(group: _Group, indent: str, out: list[str]) -> None:
    for node in group.nodes:
        fill, stroke = _STYLES[node.kind]
        style = "rounded,filled" if node.kind == "task" else "filled"
        out.append(f"{indent}{dot_string(node.id)} [label={_dot_label(node.lines)}, "
                   f"shape={_DOT_SHAPES[node.kind]}, style={dot_string(style)}, "
                   f"fillcolor={dot_string(fill)}, color={dot_string(stroke)}];")
    for child in group.groups:
        out.append(f"{indent}subgraph {dot_string('cluster_' + child.id)} {{")
        out.append(f"{indent}  label={dot_string(_clean(child.title))};")
        out.append(f'{indent}  style="rounded"; color="#999999";')
        _dot_group(child, indent + "  ", out)
        out.append(f"{indent}}}")


def to_dot(chains: Sequence[Chain]) -> str:
    """A Graphviz digraph (``dot -Tsvg`` lays it out)."""
    title, root, edges = _layout(chains)
    out = [
        f"digraph {dot_string('wfchain')} {{",
        f"  graph [label={dot_string('wfchain graph: ' + _clean(title))}, labelloc=t, "
        'rankdir=LR, compound=true, fontname="Helvetica", fontsize=12];',
        '  node [fontname="Helvetica", fontsize=10];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    _dot_group(root, "  ", out)
    for edge in edges:
        attrs = []
        if edge.lines:
            attrs.append(f"label={_dot_label(edge.lines)}")
        if edge.group:
            attrs.append(f"lhead={dot_string('cluster_' + edge.group)}")
        suffix = f" [{', '.join(attrs)}]" if attrs else ""
        out.append(f"  {dot_string(edge.source)} -> {dot_string(edge.target)}{suffix};")
    out.append("}")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- svg


def to_svg(chains: Sequence[Chain], dot: str | None = None) -> str:
    """SVG laid out by Graphviz's ``dot`` (found on PATH unless given)."""
    program = dot or shutil.which("dot")
    if program is None:
        raise MissingToolError(
            "--format svg needs Graphviz's 'dot' program, which is not on PATH: install "
            "Graphviz (e.g. 'apt-get install graphviz' or 'brew install graphviz'), or use "
            "--format dot and lay the graph out elsewhere")
    completed = subprocess.run([program, "-Tsvg"], input=to_dot(chains), capture_output=True,
                               text=True, encoding="utf-8", check=False, timeout=120)
    if completed.returncode != 0:
        raise RuntimeError(f"Graphviz 'dot' failed (exit {completed.returncode}): "
                           f"{completed.stderr.strip()}")
    return completed.stdout


def render(chains: Sequence[Chain], fmt: str) -> str:
    if fmt == "mermaid":
        return to_mermaid(chains)
    if fmt == "dot":
        return to_dot(chains)
    if fmt == "svg":
        return to_svg(chains)
    raise ValueError(f"unknown graph format {fmt!r}")
