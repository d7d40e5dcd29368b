"""Golden render tests: ``tests/cases/render/<case>/input`` renders to exactly
``tests/cases/render/<case>/expected``, byte for byte, no file more or less.

Regenerate with WFCHAIN_REGENERATE_GOLDEN=1 (never in CI) and review the diff.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import cli

CASES_DIR = Path(__file__).parent / "cases" / "render"
CASES = sorted(p.name for p in CASES_DIR.iterdir() if (p / "input").is_dir())
REGENERATE = os.environ.get("WFCHAIN_REGENERATE_GOLDEN") == "1" and not os.environ.get("CI")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES)
def test_golden_render(case: str, tmp_path: Path) -> None:
    project = tmp_path / "p"
    shutil.copytree(CASES_DIR / case / "input", project)
    result = CliRunner().invoke(cli, ["-C", str(project), "render", "-q", "-o",
                                      str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    expected = CASES_DIR / case / "expected"
    if REGENERATE:
        shutil.rmtree(expected, ignore_errors=True)
        shutil.copytree(tmp_path / "out", expected)
    assert tree(tmp_path / "out") == tree(expected)


@pytest.mark.parametrize("case", CASES)
def test_golden_output_passes_yamllint(case: str) -> None:
    """What wfchain writes passes yamllint as the PR pipeline runs it, also where a
    template's values are long (they are folded, not left over the line limit)."""
    root = Path(__file__).resolve().parents[1]
    result = subprocess.run(
        [sys.executable, "-m", "yamllint", "-s", "-c", str(root / ".yamllint"),
         str(CASES_DIR / case / "expected")], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 3
