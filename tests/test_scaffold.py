"""`wfchain new instance` / `wfchain new template`: files that validate as written
(after filling required values), render to schema-valid manifests, pass yamllint and
never replace an existing file."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from ruamel.yaml import YAML

from generator.argoschema import ArgoSchemas
from generator.cli import cli

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted(p.name for p in (ROOT / "templates").iterdir() if p.is_dir())


@pytest.fixture
def templates_only(tmp_path: Path, root: Path) -> Path:
    """The bundled templates and no instances (validating is quicker)."""
    shutil.copytree(root / "templates", tmp_path / "templates")
    return tmp_path


def _run(project: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, ["-C", str(project), *args], catch_exceptions=False)


def _yamllint(root: Path, *files: Path) -> None:
    completed = subprocess.run([sys.executable, "-m", "yamllint", "-s", "-c",
                                str(root / ".yamllint"), *map(str, files)],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr


def _bundled_params(root: Path, template: str) -> dict[str, Any]:
    """The params of a bundled instance of ``template`` (known-good values)."""
    yaml = YAML(typ="safe")
    for path in sorted((root / "instances").rglob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"))
        if data.get("template") == template:
            return dict(data.get("params") or {})
    pytest.fail(f"no bundled instance uses {template}")


def _fill(path: Path, values: dict[str, Any]) -> None:
    """Give every empty required parameter (``  name:``) a value, as a user would."""
    text = path.read_text(encoding="utf-8")
    for name, value in values.items():
        line = f"  {name}: {json.dumps(value, ensure_ascii=False)}"
        text = re.sub(rf"^  {re.escape(name)}:$", lambda _, line=line: line, text,
                      flags=re.MULTILINE)
    path.write_text(text, encoding="utf-8")


def test_new_template_validates_renders_and_passes_the_argo_schemas(
        tmp_path: Path, root: Path, argo_schemas: ArgoSchemas,
        kustomize: Callable[[Path], subprocess.CompletedProcess[str]]) -> None:
    result = _run(tmp_path, "new", "template", "hello")
    assert result.exit_code == 0, result.stderr
    written = tmp_path / "templates" / "hello" / "template.yaml"
    assert result.stderr.startswith("wfchain: wrote templates/hello/template.yaml")
    assert written.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=../../schemas/template.schema.json\n")
    _yamllint(root, written)
    assert _run(tmp_path, "validate").exit_code == 0
    assert _run(tmp_path, "new", "instance", "hi", "--template", "hello").exit_code == 0
    instance = tmp_path / "instances" / "default" / "hi.yaml"
    _fill(instance, {"greeting": "hello from the test"})
    check = _run(tmp_path, "validate")
    assert check.exit_code == 0, check.stdout + check.stderr
    assert _run(tmp_path, "render").exit_code == 0
    yaml = YAML(typ="safe")
    rendered = tmp_path / "rendered" / "default" / "hi"
    problems = []
    for path in sorted(rendered.glob("*.yaml")):
        document = yaml.load(path.read_text(encoding="utf-8"))
        if document["kind"] != "Kustomization":
            problems += [f"{path.name}: {p}" for p in argo_schemas.validate(document)]
    assert problems == []
    built = kustomize(rendered)
    assert built.returncode == 0, built.stderr


@pytest.mark.parametrize("template", BUNDLED)
def test_new_instance_of_each_bundled_template(template: str, templates_only: Path,
                                               root: Path) -> None:
    project = templates_only
    result = _run(project, "new", "instance", "fresh-one", "--template", template,
                  "--namespace", "scratch")
    assert result.exit_code == 0, result.stderr
    path = project / "instances" / "scratch" / "fresh-one.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../schemas/instance.schema.json\n")
    _yamllint(root, path)
    declared = YAML(typ="safe").load(
        (root / "templates" / template / "template.yaml").read_text(encoding="utf-8")
    )["parameters"]
    required = [n for n, spec in declared.items()
                if "default" not in spec and spec.get("required", True)]
    for name, spec in declared.items():
        for word in spec.get("description", "").split()[:3]:
            assert word in text  # every description is there as a comment
        if name in required:
            assert f"\n  {name}:\n" in text
        else:
            assert f"\n  # {name}: {json.dumps(spec['default'])}\n" in text
    assert f"fill in {', '.join(required)}" in result.stderr
    # As written, validation points at exactly the empty required parameters ...
    first = _run(project, "validate")
    assert first.exit_code == 1
    flagged = re.findall(
        r"^instances/scratch/fresh-one\.yaml:\d+:\d+: \[error\] \$\.params\.(\w+):",
        first.stdout, flags=re.MULTILINE)
    assert sorted(flagged) == sorted(required)
    assert first.stdout.count("[error]") == len(required)
    # ... and once they are filled in, everything is valid.
    known_good = _bundled_params(root, template)
    _fill(path, {name: known_good[name] for name in required})
    second = _run(project, "validate")
    assert second.exit_code == 0, second.stdout + second.stderr


def test_refuses_to_overwrite(tmp_path: Path) -> None:
    assert _run(tmp_path, "new", "template", "hello").exit_code == 0
    template = tmp_path / "templates" / "hello" / "template.yaml"
    template.write_text(template.read_text(encoding="utf-8") + "# my edit\n", encoding="utf-8")
    before = template.read_bytes()
    again = _run(tmp_path, "new", "template", "hello")
    assert again.exit_code == 2
    assert "already exists; not overwriting it" in again.stderr
    assert template.read_bytes() == before

    assert _run(tmp_path, "new", "instance", "hi", "-t", "hello", "-n", "team").exit_code == 0
    instance = tmp_path / "instances" / "team" / "hi.yaml"
    instance.write_text("# mine\n", encoding="utf-8")
    again = _run(tmp_path, "new", "instance", "hi", "-t", "hello", "-n", "team")
    assert again.exit_code == 2
    assert instance.read_text(encoding="utf-8") == "# mine\n"


@pytest.mark.parametrize(("args", "message"), [
    (["instance", "Bad_Name", "-t", "nightly-etl"], "not a valid instance name"),
    (["instance", "ok", "-t", "nightly-etl", "-n", "Bad NS"], "not a valid namespace"),
    (["instance", "ok", "-t", "nightly-etl", "--schedule", "61 * * * *"],
     "invalid cron schedule"),
    (["instance", "ok", "-t", "nightly-etl", "--schedule", "0 0 30 2 *"], "can never fire"),
    (["instance", "ok", "-t", "nightly-etl", "--timezone", "Mars/Olympus"],
     "unknown time zone"),
    (["instance", "ok", "-t", "no-such-template"],
     f"unknown template 'no-such-template' (known: {', '.join(BUNDLED)})"),
    (["template", "Bad_Name"], "not a valid template name"),
])
def test_bad_requests_write_nothing(templates_only: Path, args: list[str], message: str
                                   ) -> None:
    project = templates_only
    before = sorted(p.relative_to(project).as_posix() for p in project.rglob("*"))
    result = _run(project, "new", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*")) == before


def test_invalid_template_is_reported(tmp_path: Path) -> None:
    folder = tmp_path / "templates" / "broken"
    folder.mkdir(parents=True)
    (folder / "template.yaml").write_text("apiVersion: wfchain.dev/v1alpha1\n", encoding="utf-8")
    result = _run(tmp_path, "new", "instance", "x", "-t", "broken")
    assert result.exit_code == 1
    assert "templates/broken/template.yaml:1:1: [error]" in result.stderr
    assert not (tmp_path / "instances").exists()


def _template_with(tmp_path: Path, parameters: str) -> None:
    assert _run(tmp_path, "new", "template", "hello").exit_code == 0
    path = tmp_path / "templates" / "hello" / "template.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("parameters:\n")
    end = text.index("workflow1:\n")
    body = text[:start] + parameters + text[end:]
    body = body.replace('"${{ params.greeting }}"', '"${{ params.greeting | default(\'hi\') }}"')
    path.write_text(body, encoding="utf-8")


def test_all_optional_parameters_stay_valid_commented_or_not(tmp_path: Path) -> None:
    _template_with(tmp_path, "parameters:\n  greeting:\n    type: string\n    default: hi\n"
                             "    description: What to say.\n")
    assert _run(tmp_path, "new", "instance", "opt", "-t", "hello").exit_code == 0
    path = tmp_path / "instances" / "default" / "opt.yaml"
    text = path.read_text(encoding="utf-8")
    assert "\n# params:\n#  # What to say.\n" in text
    assert "\n#  greeting: \"hi\"\n" in text
    assert _run(tmp_path, "validate").exit_code == 0
    # Uncommenting 'params:' and the value line gives a valid instance with that value.
    text = text.replace("\n# params:\n", "\nparams:\n").replace('\n#  greeting: "hi"\n',
                                                                 '\n  greeting: "hey"\n')
    path.write_text(text, encoding="utf-8")
    result = _run(tmp_path, "validate")
    assert result.exit_code == 0, result.stdout
    shown = _run(tmp_path, "graph", "default/opt")
    assert shown.exit_code == 0


def test_template_without_parameters_gives_no_params_block(tmp_path: Path) -> None:
    _template_with(tmp_path, "")
    path = tmp_path / "templates" / "hello" / "template.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        '"${{ params.greeting | default(\'hi\') }}"', "hi"), encoding="utf-8")
    assert _run(tmp_path, "new", "instance", "bare", "-t", "hello").exit_code == 0
    text = (tmp_path / "instances" / "default" / "bare.yaml").read_text(encoding="utf-8")
    assert "params" not in text
    result = _run(tmp_path, "validate")
    assert result.exit_code == 0, result.stdout


def test_configured_folders_and_options(tmp_path: Path, root: Path) -> None:
    (tmp_path / "wfchain.yaml").write_text(
        "paths:\n  templates: chains/templates\n  instances: chains/instances\n",
        encoding="utf-8")
    assert _run(tmp_path, "new", "template", "hello").exit_code == 0
    template = tmp_path / "chains" / "templates" / "hello" / "template.yaml"
    assert template.read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=../../../schemas/template.schema.json\n")
    result = _run(tmp_path, "new", "instance", "hi", "-t", "hello", "-n", "team-a",
                  "--schedule", "*/10 * * * *", "--timezone", "America/Sao_Paulo")
    assert result.exit_code == 0, result.stderr
    path = tmp_path / "chains" / "instances" / "team-a" / "hi.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        "# yaml-language-server: $schema=../../../schemas/instance.schema.json\n")
    assert '\nschedule: "*/10 * * * *"\n' in text
    assert "\ntimezone: America/Sao_Paulo\n" in text
    _fill(path, {"greeting": "olá"})
    assert _run(tmp_path, "validate").exit_code == 0
    _yamllint(root, template, path)


def test_schemas_give_the_headers_of_new_files_something_to_point_at(tmp_path: Path) -> None:
    def new(*args: str) -> Result:
        return CliRunner().invoke(cli, ["-C", str(tmp_path), *args])

    assert new("new", "template", "hello").exit_code == 0
    assert new("new", "instance", "greeter", "--template", "hello").exit_code == 0
    first = new("schemas")
    assert first.exit_code == 0, first.output
    assert first.stderr == "wfchain: schemas/: 3 written, 0 unchanged\n"
    for name in ("config", "instance", "template"):
        written = (tmp_path / "schemas" / f"{name}.schema.json").read_bytes()
        assert written == (ROOT / "schemas" / f"{name}.schema.json").read_bytes()
    for created in (tmp_path / "templates" / "hello" / "template.yaml",
                    tmp_path / "instances" / "default" / "greeter.yaml"):
        header = created.read_text(encoding="utf-8").splitlines()[0]
        target = header.removeprefix("# yaml-language-server: $schema=")
        assert target != header and (created.parent / target).resolve().is_file(), header
    assert new("schemas").stderr == "wfchain: schemas/: 0 written, 3 unchanged\n"
