"""Command line: parses options, calls one function per command, exits with its code."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from generator import __version__, commands
from generator.diagnostics import FORMATS, Format
from generator.errors import run_guarded

_FORMAT = click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
                       show_default=True, help="How diagnostics are printed.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wfchain")
@click.option("-C", "--project-dir", type=click.Path(file_okay=False, path_type=Path),
              default=Path(), show_default=True,
              help="Project root holding templates/, instances/ and wfchain.yaml.")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Config file (default: <project-dir>/wfchain.yaml if present).")
@click.pass_context
def cli(ctx: click.Context, project_dir: Path, config: Path | None) -> None:
    """Render chained Argo Workflows (cron -> workflow 1 -> webhook -> workflow 2)."""
    ctx.obj = (project_dir, config)


def _root(ctx: click.Context) -> tuple[Path, Path | None]:
    return cast(tuple[Path, Path | None], ctx.obj)


@cli.command()
@_FORMAT
@click.pass_context
def validate(ctx: click.Context, fmt: str) -> None:
    """Check every template and instance; print all problems."""
    root, config = _root(ctx)
    ctx.exit(run_guarded(lambda: commands.validate(root, config, cast(Format, fmt))))


@cli.command()
@click.argument("instances", nargs=-1)
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: paths.output of the config, 'rendered').")
@click.option("-q", "--quiet", is_flag=True, help="Print problems only.")
@_FORMAT
@click.pass_context
def render(ctx: click.Context, instances: tuple[str, ...], output: Path | None, quiet: bool,
           fmt: str) -> None:
    """Render all instances (or the given namespace/name or files) into rendered/."""
    root, config = _root(ctx)
    ctx.exit(run_guarded(lambda: commands.render(root, config, instances, output,
                                                 cast(Format, fmt), quiet)))


@cli.command()
@click.argument("instance")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
def show(ctx: click.Context, instance: str, fmt: str) -> None:
    """Show an instance's ID, every resource name and the webhook URL."""
    root, config = _root(ctx)
    ctx.exit(run_guarded(lambda: commands.show(root, config, instance, fmt)))


def main() -> None:
    cli(prog_name="wfchain")
