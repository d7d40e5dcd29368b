"""Fuzz the whole render with mutated instance and template files (SECURITY.md, "In git
and CI"): whatever the inputs, ``wfchain render`` exits 0 or 1 (never 3, never a
traceback); on 1 it prints only diagnostics and leaves ``rendered/`` as it was; on 0 it
writes YAML; and it never touches anything outside ``rendered/``.

``WFCHAIN_FUZZ_EXAMPLES`` sets the number of examples (default 40, a few seconds);
``make fuzz`` runs 10,000.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir, storage_directory

from generator.cli import cli

BASE = Path(__file__).resolve().parent / "fixtures" / "base"
TEMPLATE = "templates/hello-chain/template.yaml"
INSTANCE = "instances/team-a/hello.yaml"
EXAMPLES = int(os.environ.get("WFCHAIN_FUZZ_EXAMPLES", "40"))

#: `path:line:col: [level] $.path: message (check)`, one line each.
DIAGNOSTIC = re.compile(
    r"^[^\n:]+:\d+:\d+: \[(error|warning)\] \$[^\n]*?: [^\n]+ \([a-z][a-z0-9-]*\)$")

settings.register_profile(
    "wfchain-fuzz",
    # a render takes tens of milliseconds, so the per-example deadline and the
    # "too slow" health check would only measure the machine
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # nothing written to the repository or $HOME; the same examples on every CI run
    database=None,
    derandomize=bool(os.environ.get("CI")),
    print_blob=True,
)
FUZZ = settings(settings.get_profile("wfchain-fuzz"), max_examples=EXAMPLES)

# ---------------------------------------------------------------------------- strategies
_NASTY = ["${{", "}}", "{{", "{%", "%}", "{#", "\n", "\x00", "\ufeff", "\r\n", "\t", "'",
          '"', ": ", "- ", "&a", "*a", "!!python/object:os.system", "<<", "#", "---", "...",
          "\\", "\u202e", "é", "😀", "${{ params.greeting }}", "${{ instance.id }}",
          "${{ params.repeat }}", "${{ '' ~ params.loud }}", "{{workflow.name}}",
          "${{ 'a' * 10**9 }}", "${{ params.nope }}", "${{ 1/0 }}", "${{ }}", "${{ x"]


def _big(alphabet: str) -> st.SearchStrategy[str]:
    return st.builds(lambda c, n: c * n, st.sampled_from(alphabet),
                     st.sampled_from([1000, 70_000, 1_100_000]))


strings = st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from(_NASTY) | st.text(max_size=5), max_size=6).map("".join),
    st.sampled_from(_NASTY),
)
placeholder = st.builds(
    lambda expr: "${{ " + expr + " }}",
    st.sampled_from(["params.greeting", "params.repeat", "params.loud", "instance.id",
                     "instance.namespace", "webhook.url", "names.workflow2", "params.nope",
                     "params.greeting | upper", "params.repeat * 2", "params.greeting ~ 1",
                     "params.repeat / 0", "params.greeting.__class__", "cycler", "[1, 2]",
                     "none", "{'a': 1}", "params.greeting | int", "'x' * params.repeat",
                     "'%s' % params", "params | tojson"]) | strings)
scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), strings,
                    placeholder, _big("a\n{$"))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(strings, inner, max_size=4), max_leaves=12)
keys = st.sampled_from(["template", "schedule", "timezone", "params", "greeting", "repeat",
                        "loud", "name", "tasks", "templates", "dependencies", "depends",
                        "after", "parameters", "value", "spec", "metadata"]) | strings


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, (*prefix, index))


@st.composite
def _mutated_tree(draw: st.DrawFn, tree: Any) -> Any:
    """A few random edits of a parsed YAML tree: set, delete or add values anywhere."""
    tree = copy.deepcopy(tree)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(list(_paths(tree))))
        parent, node = None, tree
        for part in path:
            parent, node = node, node[part]
        action = draw(st.sampled_from(["set", "delete", "add", "duplicate"]))
        if action == "set" or (parent is None and action == "delete"):
            new = draw(values)
            if parent is None:
                tree = new
            else:
                parent[path[-1]] = new
        elif action == "delete":
            assert parent is not None
            del parent[path[-1]]
        elif action == "add" and isinstance(node, dict):
            node[draw(keys)] = draw(values)
        elif action == "add" and isinstance(node, list):
            node.insert(draw(st.integers(0, len(node))), draw(values))
        elif action == "duplicate" and isinstance(node, list) and node:
            node.append(copy.deepcopy(node[draw(st.integers(0, len(node) - 1))]))
    return tree


def _dump(tree: Any) -> str:
    return yaml.safe_dump(tree, allow_unicode=True, sort_keys=False, width=1_000_000)


@st.composite
def _dag_edit(draw: st.DrawFn, tree: dict[str, Any]) -> dict[str, Any]:
    """Edits of workflow 1's and 2's DAG: new tasks, dependencies on unknown or the
    task's own names, cycles, duplicate names, a hand-off after unknown tasks."""
    tree = copy.deepcopy(tree)
    names = st.sampled_from(["say", "echo", "x", "wfchain-handoff", "main", ""]) | strings
    for section in ("workflow1", "workflow2"):
        tasks = tree[section]["tasks"]
        for _ in range(draw(st.integers(0, 3))):
            task: dict[str, Any] = {"name": draw(names), "template": draw(names)}
            style = draw(st.sampled_from(["none", "dependencies", "depends"]))
            if style == "dependencies":
                task["dependencies"] = draw(st.lists(names, max_size=3))
            elif style == "depends":
                task["depends"] = " && ".join(draw(st.lists(names, max_size=3)))
            tasks.append(task)
        if draw(st.booleans()):
            tasks[0]["dependencies"] = [tasks[-1]["name"]]
    if draw(st.booleans()):
        tree["handoff"]["after"] = draw(st.lists(names, max_size=3))
    return tree


def _text_edit(text: str) -> st.SearchStrategy[str]:
    """Insert or delete text at a random position of the original file."""
    return st.builds(lambda at, cut, insert: text[:at] + insert + text[at + cut:],
                     st.integers(0, len(text)), st.integers(0, 20), strings)


def _file(original: str) -> st.SearchStrategy[bytes | None]:
    tree = yaml.safe_load(original)
    as_bytes = st.builds(lambda s: s.encode("utf-8", "surrogatepass"), st.one_of(
        _mutated_tree(tree).map(_dump), _text_edit(original)))
    return st.one_of(st.none(), as_bytes, st.binary(max_size=200),
                     st.builds(lambda t, tail: t.encode("utf-8", "surrogatepass") + tail,
                               _mutated_tree(tree).map(_dump), st.binary(max_size=8)))


_TEMPLATE_TEXT = (BASE / TEMPLATE).read_text(encoding="utf-8")
_INSTANCE_TEXT = (BASE / INSTANCE).read_text(encoding="utf-8")
template_files = st.one_of(
    _file(_TEMPLATE_TEXT),
    _dag_edit(yaml.safe_load(_TEMPLATE_TEXT)).map(lambda t: _dump(t).encode("utf-8")),
)
instance_files = _file(_INSTANCE_TEXT)


# ---------------------------------------------------------------------------- the test
def _snapshot(folder: Path, skip: str | None = None) -> dict[str, bytes | None]:
    out: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if skip is not None and relative.parts[0] == skip:
            continue
        out[relative.as_posix()] = path.read_bytes() if path.is_file() else None
    return out


@pytest.fixture(scope="module")
def rendered_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/fixtures/base rendered once; every example starts from a copy."""
    project = tmp_path_factory.mktemp("fuzz") / "base"
    shutil.copytree(BASE, project)
    result = CliRunner().invoke(cli, ["-C", str(project), "render", "-q"])
    assert result.exit_code == 0, result.output
    return project


def check_render(base: Path, template: bytes | None, instance: bytes | None) -> None:
    """The properties above, for one pair of files (None: the original)."""
    with tempfile.TemporaryDirectory(prefix="wfchain-fuzz-") as folder:
        project = Path(folder) / "project"
        shutil.copytree(base, project, symlinks=True)
        if template is not None:
            (project / TEMPLATE).write_bytes(template)
        if instance is not None:
            (project / INSTANCE).write_bytes(instance)
        inputs = _snapshot(project, skip="rendered")
        rendered = _snapshot(project / "rendered")
        result = CliRunner().invoke(cli, ["-C", str(project), "render", "-q"])
        output = result.output
        assert result.exit_code in (0, 1), output
        assert result.exception is None or isinstance(result.exception, SystemExit), output
        assert "Traceback" not in output and "unexpected error" not in output, output
        assert _snapshot(project, skip="rendered") == inputs
        if result.exit_code == 1:
            lines = result.stdout.splitlines()
            assert lines, output
            for line in lines:
                assert DIAGNOSTIC.match(line), line
            assert _snapshot(project / "rendered") == rendered
        else:
            files = [p for p in (project / "rendered").rglob("*") if p.is_file()]
            assert files
            for path in files:
                list(yaml.safe_load_all(path.read_text(encoding="utf-8")))


@pytest.fixture
def private_hypothesis_home(tmp_path: Path) -> Iterator[None]:
    """Even without an example database hypothesis caches data in its home folder
    (``.hypothesis/`` in the working directory): a long fuzz run uses a temporary one.
    (Whether the repository's folder stays as it was is not asserted: other hypothesis
    tests, possibly in another process, share it.)"""
    previous = storage_directory(intent_to_write=False)
    set_hypothesis_home_dir(str(tmp_path / "hypothesis"))
    try:
        yield
    finally:
        set_hypothesis_home_dir(str(previous))


@pytest.mark.fuzz
@pytest.mark.usefixtures("private_hypothesis_home")
@FUZZ
@given(template=template_files, instance=instance_files)
def test_render_never_breaks(rendered_base: Path, template: bytes | None,
                             instance: bytes | None) -> None:
    check_render(rendered_base, template, instance)

