"""`wfchain graph`: golden Mermaid and DOT pictures, SVG through real Graphviz, escaping.

Golden cases live in ``tests/cases/graph/<case>/``: ``args`` (the arguments after
``wfchain graph``), an optional ``project/`` (else the bundled examples of the
repository are drawn) and ``expected.mmd`` / ``expected.dot``, compared byte for
byte. Regenerate them after an intended change with::

    WFCHAIN_REGENERATE_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_graph.py

(never in CI: the tests refuse to regenerate when ``CI`` is set).
"""

from __future__ import annotations

import functools
import os
import shlex
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from generator import graph
from generator.cli import cli
from generator.identity import Names
from generator.pipeline import Build, build

CASES = Path(__file__).parent / "cases" / "graph"
CASE_NAMES = sorted(p.name for p in CASES.iterdir() if p.is_dir())
SUFFIX = {"mermaid": "mmd", "dot": "dot"}
SVG = "{http://www.w3.org/2000/svg}"


def _regenerate() -> bool:
    if not os.environ.get("WFCHAIN_REGENERATE_GOLDEN"):
        return False
    if os.environ.get("CI"):
        pytest.fail("WFCHAIN_REGENERATE_GOLDEN is not allowed in CI")
    return True


def _project(case: Path, root: Path) -> Path:
    return case / "project" if (case / "project").is_dir() else root


def _graph(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), "graph", *args], catch_exceptions=False)


def _dot_program() -> str:
    program = shutil.which("dot")
    if program is None:
        pytest.fail("Graphviz 'dot' is not installed: .ci/run installs it "
                    "(apt-get install graphviz)")
    return program


def test_there_are_cases() -> None:
    assert {"escaping-all", "escaping-template", "bundled-instance-sales-eu"} <= set(CASE_NAMES)


@functools.cache
def _build(project: Path) -> Build:
    """One build per project: loading the bundled examples is the slow part."""
    return build(project, render=False)


def _chains(project: Path, args: tuple[str, ...]) -> list[graph.Chain]:
    chains, problems = graph.chains_for(_build(project), *args or (None,))
    assert problems == []
    return chains


def _case(name: str, root: Path) -> list[graph.Chain]:
    case = CASES / name
    args = shlex.split((case / "args").read_text(encoding="utf-8"))
    return _chains(_project(case, root), tuple(args))


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
@pytest.mark.parametrize("name", CASE_NAMES)
def test_golden(name: str, fmt: str, root: Path) -> None:
    text = graph.render(_case(name, root), fmt)
    expected = CASES / name / f"expected.{SUFFIX[fmt]}"
    if _regenerate():
        expected.write_text(text, encoding="utf-8", newline="\n")
    assert expected.is_file(), f"missing {expected}: run with WFCHAIN_REGENERATE_GOLDEN=1"
    assert text == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", CASE_NAMES)
def test_svg_parses_and_shows_the_chain(name: str, root: Path) -> None:
    program = _dot_program()
    svg = graph.to_svg(_case(name, root), program)
    tree = ET.fromstring(svg)
    assert tree.tag == f"{SVG}svg"
    texts = {"".join(t.itertext()) for t in tree.iter(f"{SVG}text")}
    assert "wfchain-handoff" in texts
    assert any(t.startswith("http://") for t in texts)  # the webhook URL on the hand-off edge
    assert any(t.startswith("schedule: ") for t in texts)


def test_cli_writes_what_the_golden_file_holds(tmp_path: Path) -> None:
    case = CASES / "escaping-all"
    for fmt in ("mermaid", "dot"):
        result = _graph(case / "project", "--format", fmt)
        assert result.exit_code == 0, result.stderr
        assert result.stderr == ""
        assert result.stdout == (case / f"expected.{SUFFIX[fmt]}").read_text(encoding="utf-8")
    out = tmp_path / "chain.svg"
    result = _graph(case / "project", "--format", "svg", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""  # no Graphviz warnings
    assert ET.parse(out).getroot().tag == f"{SVG}svg"


def test_dot_labels_survive_graphviz_exactly(tmp_path: Path) -> None:
    """Graphviz reads back every label as written, whatever characters it holds."""
    program = _dot_program()
    nasty = 'a "q" | b #35; c & <br/> `t` %% --> end ; [x] (y) {z} \\ back\\n \\N \\l'
    sections = {
        "workflow1": {"tasks": [{"name": "end", "template": "t", "when": nasty},
                                {"name": "a-b", "depends": "end"}]},
        "handoff": {"after": ["a-b"], "parameters": [{"name": "p-1", "value": "v"}]},
        "workflow2": {"tasks": [{"name": "subgraph"}]},
    }
    names = Names("x-abc", "ns", "cluster.local", 12000, "/handoff")
    chain = graph.chain(nasty, names, "*/5 * * * *", "UTC", [], sections)
    completed = subprocess.run([program, "-Tcanon"], input=graph.to_dot([chain]), text=True,
                               capture_output=True, check=True)
    assert completed.stderr == ""
    # Reading the canonical output back: the escaped label of the task node.
    again = subprocess.run([program, "-Tsvg"], input=completed.stdout, text=True,
                           capture_output=True, check=True)
    texts = ["".join(t.itertext()) for t in ET.fromstring(again.stdout).iter(f"{SVG}text")]
    assert f"when: {nasty}" in texts
    assert f"wfchain graph: {nasty}" in texts


def test_mermaid_escapes_every_character_that_ends_or_alters_a_label() -> None:
    escaped = graph.mermaid_text('say "hi" | #1; a&b <i> `x`')
    assert escaped == "say #34;hi#34; #124; #35;1; a#38;b #60;i#62; #96;x#96;"
    assert graph.mermaid_text("line\nbreak\ttab") == "line break tab"


def test_dot_string_escapes_quotes_and_backslashes() -> None:
    assert graph.dot_string('a "b" \\n') == '"a \\"b\\" \\\\n"'


def test_node_ids_are_stable_and_never_keywords(root: Path) -> None:
    out = _graph(CASES / "escaping-all" / "project", "team-x/odd").stdout
    # Task names 'end', 'graph' and 'subgraph' are Mermaid keywords; ids are prefixed.
    assert '  w1_end["end' in out
    assert '  w1_subgraph["subgraph' in out
    assert '  w2_A_1["A-1' in out
    assert _graph(CASES / "escaping-all" / "project", "team-x/odd").stdout == out


def test_instance_by_file_path_draws_the_same(root: Path) -> None:
    by_key = _graph(root, "analytics/sales-eu").stdout
    by_file = _graph(root, str(root / "instances" / "analytics" / "sales-eu.yaml")).stdout
    assert by_key == by_file


def test_template_by_folder_draws_the_same(root: Path) -> None:
    by_name = _graph(root, "nightly-etl").stdout
    assert _graph(root, str(root / "templates" / "nightly-etl")).stdout == by_name


def test_unknown_target_is_a_usage_error(root: Path) -> None:
    result = _graph(root, "no/such-thing")
    assert result.exit_code == 2
    assert "neither a valid instance" in result.stderr
    assert "Traceback" not in result.stderr


def test_invalid_project_reports_problems_and_draws_nothing(tmp_path: Path) -> None:
    (tmp_path / "instances" / "team-a").mkdir(parents=True)
    (tmp_path / "instances" / "team-a" / "x.yaml").write_text("template: nope\n")
    result = _graph(tmp_path)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "instances/team-a/x.yaml:1:1: [error]" in result.stderr


def test_svg_without_graphviz_is_a_clear_error(root: Path, tmp_path: Path) -> None:
    """Run the real CLI with a PATH on which there is no 'dot'."""
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty)}
    completed = subprocess.run(
        [sys.executable, "-m", "generator", "-C", str(root), "graph", "analytics/sales-eu",
         "--format", "svg"], capture_output=True, text=True, env=env, check=False, timeout=60)
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert "needs Graphviz's 'dot' program" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_output_file(root: Path, tmp_path: Path) -> None:
    out = tmp_path / "chain.mmd"
    result = _graph(root, "analytics/sales-eu", "-o", str(out))
    assert result.exit_code == 0
    assert result.stdout == ""
    assert out.read_text(encoding="utf-8") == _graph(root, "analytics/sales-eu").stdout


def test_readme_shows_a_current_example(root: Path) -> None:
    """The README's Mermaid diagram is what `wfchain graph` draws for that instance."""
    readme = (root / "README.md").read_text(encoding="utf-8")
    start = readme.index("```mermaid\n") + len("```mermaid\n")
    block = readme[start:readme.index("```", start)]
    assert block == _graph(root, "analytics/sales-eu").stdout, (
        "README.md's Mermaid block is stale: paste the output of "
        "`wfchain graph analytics/sales-eu` into it")
