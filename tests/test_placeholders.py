"""wfchain's ``${{ }}`` never collides with what templates legitimately contain: Argo's
``{{inputs.parameters.x}}`` / ``{{=expr}}``, Argo Events' Go templates and bash all
pass through a render byte for byte, with no escaping, next to real placeholders."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from generator.cli import cli

BASE = Path(__file__).parent / "fixtures" / "base"
TEMPLATE = "templates/hello-chain/template.yaml"

#: Text that must come out exactly as written (each one a line of workflow 1's script).
UNTOUCHED = [
    'echo "{{inputs.parameters.greeting}}" "{{workflow.uid}}" "{{ inputs.parameters.greeting }}"',
    "echo '{{=sprig.upper(inputs.parameters.greeting)}}' {{workflow.name}}",
    "echo '{{ .Input.body.x }}' '{{ index .Input.body \"load-date\" }}'",
    'echo "${HOME}" "$HOME" "$(date +%F)" `id -u` "${#HOME}" "${HOME:-x}" "$((1 + 2))"',
    '[[ -n "$HOME" ]] && [ -z "" ] && echo "${arr[@]}" "${!ref}"',
    "echo '{% raw %}' '{# not a comment #}' '{{' '}}' '$' '${' '${}' '$ {{ x }}'",
]


def _render(tmp_path: Path, script: str, value: str = '"${{ params.greeting }}"') -> dict:
    project = tmp_path / "p"
    shutil.copytree(BASE, project)
    template = project / TEMPLATE
    text = template.read_text(encoding="utf-8")
    block = "\n".join("            " + line for line in script.split("\n"))
    text = text.replace('          - echo "$GREETING" | tee /tmp/said\n',
                        f"          - |\n{block}\n")
    text = text.replace('value: "${{ params.greeting }}"', f"value: {value}")
    # an input for the {{inputs.parameters.greeting}} references to resolve
    text = text.replace("    - name: say\n      outputs:", "    - name: say\n      inputs:\n"
                        "        parameters:\n          - name: greeting\n"
                        "            default: hi\n      outputs:")
    template.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(cli, ["-C", str(project), "render", "-q"])
    assert result.exit_code == 0, result.output
    workflow1 = project / "rendered" / "team-a" / "hello" / "workflowtemplate-workflow1.yaml"
    data: dict = YAML(typ="safe").load(workflow1.read_text(encoding="utf-8"))
    return next(t for t in data["spec"]["templates"] if t["name"] == "say")


def test_argo_go_template_and_bash_syntax_pass_through_byte_for_byte(tmp_path: Path) -> None:
    script = "\n".join(UNTOUCHED)
    say = _render(tmp_path, script + "\necho '${{ instance.id }}' ${{ params.repeat * 2 }}")
    rendered = say["container"]["args"][0]
    lines = rendered.rstrip("\n").split("\n")
    assert lines[:-1] == UNTOUCHED
    assert lines[-1] == "echo 'hello-ou2xsn' 2"  # the real placeholders next to them


@pytest.mark.parametrize(("value", "expected"), [
    ('"${{ params.greeting }}"', "hello"),
    ('"{{inputs.parameters.greeting}}-${{ params.greeting }}-{{=b}}"',
     "{{inputs.parameters.greeting}}-hello-{{=b}}"),
    ("'${HOME}/${{ params.greeting | upper }}/$(x)'", "${HOME}/HELLO/$(x)"),
    ('"${{ \'${{\' }} stays text"', "${{ stays text"),
])
def test_placeholders_inside_scalars_with_foreign_syntax(tmp_path: Path, value: str,
                                                          expected: str) -> None:
    say = _render(tmp_path, "echo ok", value)
    assert say["container"]["env"][0]["value"] == expected
