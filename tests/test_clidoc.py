"""docs/cli.md is generated from the click commands: the committed file must equal a
fresh generation (`make docs` regenerates it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import click

from generator.cli import cli
from generator.clidoc import generate


def _all_paths(group: click.Group, prefix: str = "wfchain") -> list[str]:
    ctx = click.Context(group, info_name=prefix)
    paths = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        paths.append(f"{prefix} {name}")
        if isinstance(command, click.Group):
            paths += _all_paths(command, f"{prefix} {name}")
    return paths


def test_committed_reference_is_current(root: Path) -> None:
    committed = (root / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == generate(cli), "docs/cli.md is stale: run `make docs`"


def test_every_command_and_option_is_documented() -> None:
    text = generate(cli)
    for path in _all_paths(cli):
        assert re.search(rf"^#+ {re.escape(path)}$", text, flags=re.MULTILINE), path
    for option in ("--format [mermaid\\|dot\\|svg]", "--now DATETIME", "-t, --template TEXT",
                   "-C, --project-dir DIRECTORY"):
        assert f"| `{option}` |" in text


def test_generation_does_not_depend_on_the_terminal() -> None:
    environment = {**os.environ, "COLUMNS": "40"}
    narrow = subprocess.run([sys.executable, "-m", "generator.clidoc"], capture_output=True,
                            text=True, check=True, env=environment)
    assert narrow.stdout == generate(cli)


def test_check_mode_reports_a_stale_file(tmp_path: Path) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text("# old\n", encoding="utf-8")
    completed = subprocess.run([sys.executable, "-m", "generator.clidoc", "--check", str(stale)],
                               capture_output=True, text=True, check=False)
    assert completed.returncode == 1
    assert "run `make docs`" in completed.stderr
    fresh = tmp_path / "fresh.md"
    subprocess.run([sys.executable, "-m", "generator.clidoc", "--output", str(fresh)], check=True)
    ok = subprocess.run([sys.executable, "-m", "generator.clidoc", "--check", str(fresh)],
                        check=False)
    assert ok.returncode == 0


def test_placeholders_in_help_are_code_not_html() -> None:
    text = generate(cli)
    assert "`<id>`" in text
    prose = [line for line in text.splitlines() if not line.startswith(("```", "wfchain "))]
    for line in prose:
        stripped = re.sub(r"`[^`]*`", "", line)
        assert not re.search(r"<[a-z]", stripped), line
