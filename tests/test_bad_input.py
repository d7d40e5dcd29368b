"""Every kind of bad input: the exact diagnostics, exit 1, and rendered/ untouched.

Each case under ``tests/bad_cases/<case>/`` starts from the small project in
``tests/fixtures/base`` and changes it with ``files/`` (files added or replaced) and
``replace.yaml`` (text replacements: file, old, new). ``expected.txt`` is the exact
output of ``wfchain render``. Regenerate with WFCHAIN_REGENERATE_GOLDEN=1 (then
review the diff); CI never regenerates.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from generator.cli import cli

HERE = Path(__file__).parent
BASE = HERE / "fixtures" / "base"
CASES = sorted(p.name for p in (HERE / "bad_cases").iterdir() if p.is_dir())
REGENERATE = os.environ.get("WFCHAIN_REGENERATE_GOLDEN") == "1" and not os.environ.get("CI")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def make_case(case: str, target: Path) -> Path:
    shutil.copytree(BASE, target)
    case_dir = HERE / "bad_cases" / case
    files = case_dir / "files"
    if files.is_dir():
        for source in sorted(files.rglob("*")):
            if source.is_file():
                dest = target / source.relative_to(files)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, dest)
    replacements = case_dir / "replace.yaml"
    if replacements.is_file():
        for item in YAML(typ="safe").load(replacements.read_text()):
            path = target / item["file"]
            text = path.read_text()
            assert item["old"] in text, f"{case}: replace.yaml 'old' text not found in {path}"
            path.write_text(text.replace(item["old"], item["new"], 1))
    return target


@pytest.fixture(scope="module")
def rendered_base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    project = tmp_path_factory.mktemp("base") / "p"
    shutil.copytree(BASE, project)
    result = CliRunner().invoke(cli, ["-C", str(project), "render", "-q"])
    assert result.exit_code == 0, result.output
    return snapshot(project / "rendered")


def write_rendered(project: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        path = project / "rendered" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


@pytest.mark.parametrize("case", CASES)
def test_bad_input(case: str, tmp_path: Path, rendered_base: dict[str, bytes]) -> None:
    project = make_case(case, tmp_path / "p")
    write_rendered(project, rendered_base)
    before = snapshot(project / "rendered")

    result = CliRunner().invoke(cli, ["-C", str(project), "render"])

    expected_file = HERE / "bad_cases" / case / "expected.txt"
    if REGENERATE:
        expected_file.write_text(result.stdout)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.stdout == expected_file.read_text()
    assert result.stderr.endswith("wfchain: nothing written\n")
    assert snapshot(project / "rendered") == before


def test_validate_reports_the_same(tmp_path: Path) -> None:
    project = make_case("many-files", tmp_path / "p")
    result = CliRunner().invoke(cli, ["-C", str(project), "validate"])
    assert result.exit_code == 1
    expected = (HERE / "bad_cases" / "many-files" / "expected.txt").read_text()
    assert result.stdout == expected


def test_all_cases_have_expectations() -> None:
    assert len(CASES) >= 20
    for case in CASES:
        assert (HERE / "bad_cases" / case / "expected.txt").is_file(), case
