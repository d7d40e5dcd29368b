"""Command line: parses options, calls one function per command, exits with its code."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import cast

import click

from generator import __version__, commands, listing, progress, scaffold
from generator import graph as chart
from generator.diagnostics import FORMATS, Format
from generator.errors import run_guarded
from generator.lock import DEFAULT_TIMEOUT

_FORMAT = click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
                       show_default=True, help="How diagnostics are printed.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wfchain")
@click.option("-C", "--project-dir",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=Path(), show_default=True,
              help="Project root holding templates/, instances/ and wfchain.yaml.")
@click.option("--config", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None,
              help="Config file (default: <project-dir>/wfchain.yaml if present).")
@click.pass_context
def cli(ctx: click.Context, project_dir: Path, config: Path | None) -> None:
    """Render chained Argo Workflows (cron -> workflow 1 -> webhook -> workflow 2)."""
    ctx.obj = (project_dir, config)


def _root(ctx: click.Context) -> tuple[Path, Path | None]:
    return cast(tuple[Path, Path | None], ctx.obj)


@cli.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@_FORMAT
@click.pass_context
def validate(ctx: click.Context, files: tuple[Path, ...], fmt: str) -> None:
    """Check every template and instance; print all problems (only those of FILES,
    and of the config file, when files are given, as pre-commit does)."""
    root, config = _root(ctx)
    ctx.exit(run_guarded(lambda: commands.validate(root, config, cast(Format, fmt), files)))


@cli.command()
@click.argument("instances", nargs=-1)
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Output folder (default: paths.output of the config, 'rendered').")
@click.option("-q", "--quiet", is_flag=True, help="Print problems only.")
@click.option("--check", is_flag=True,
              help="Write nothing; exit 1 with a diff when the output folder is not what a "
              "render would write (stale, missing, orphaned or hand-edited files).")
@click.option("--lock-timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT,
              show_default=True, metavar="SECONDS",
              help="How long to wait for another render of the same folder.")
@_FORMAT
@click.pass_context
def render(ctx: click.Context, instances: tuple[str, ...], output: Path | None, quiet: bool,
           check: bool, lock_timeout: float, fmt: str) -> None:
    """Render all instances (or the given namespace/name or files) into rendered/."""
    root, config = _root(ctx)
    with progress.reporting(progress.terminal(quiet=quiet)):
        if check:
            code = run_guarded(lambda: commands.check(root, config, instances, output,
                                                      cast(Format, fmt), lock_timeout))
        else:
            code = run_guarded(lambda: commands.render(root, config, instances, output,
                                                       cast(Format, fmt), quiet, lock_timeout))
    ctx.exit(code)


@cli.command()
@click.argument("instance")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.pass_context
def show(ctx: click.Context, instance: str, fmt: str) -> None:
    """Show an instance's ID, every resource name and the webhook URL."""
    root, config = _root(ctx)
    ctx.exit(run_guarded(lambda: commands.show(root, config, instance, fmt)))


@cli.command()
@click.argument("target", required=False, metavar="[INSTANCE|TEMPLATE]")
@click.option("--format", "fmt", type=click.Choice(chart.FORMATS), default="mermaid",
              show_default=True,
              help="mermaid (renders on GitHub), dot (Graphviz) or svg (laid out by Graphviz "
              "'dot', which must be installed).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
@click.pass_context
def graph(ctx: click.Context, target: str | None, fmt: str, output: Path | None) -> None:
    """Draw a chain: schedule -> trigger1 -> workflow 1 -> hand-off -> webhook -> trigger2
    -> workflow 2.

    The target is an instance (namespace/name or its file), with its real names, schedule
    and webhook URL, or a template (its name or folder), with placeholder names such as
    <id>. Without a target every instance is drawn.
    """
    root, config = _root(ctx)
    ctx.exit(run_guarded(lambda: commands.graph(root, config, target, fmt, output)))


def _parse_now(ctx: click.Context, param: click.Parameter, value: str | None
               ) -> datetime.datetime | None:
    if value is None:
        return None
    try:
        return listing.parse_now(value)
    except ValueError:
        raise click.BadParameter(f"'{value}' is not an ISO 8601 date-time such as "
                                 "2026-03-28T12:00:00+01:00") from None


@cli.command("list")
@click.option("--format", "fmt", type=click.Choice(listing.FORMATS), default="text",
              show_default=True)
@click.option("--now", metavar="DATETIME", callback=_parse_now, default=None,
              help="Compute next runs after this ISO 8601 date-time (UTC when it has no "
              "offset) instead of the current time.")
@click.option("--runs", type=click.IntRange(1, 100), default=listing.DEFAULT_RUNS,
              show_default=True, help="How many next run times to show.")
@click.pass_context
def list_(ctx: click.Context, fmt: str, now: datetime.datetime | None, runs: int) -> None:
    """List the instances: ID, template, schedule, time zone, next runs, webhook URL.

    Next run times are computed as Argo Events' calendar EventSource computes them, in
    the instance's time zone (daylight saving included), skipping exclusion dates.
    """
    root, config = _root(ctx)
    ctx.exit(run_guarded(lambda: commands.list_instances(root, config, fmt, now, runs)))


@cli.group()
def new() -> None:
    """Start an instance or a template from a ready-to-edit file (never overwrites)."""


@new.command("instance")
@click.argument("name")
@click.option("-t", "--template", "template_name", required=True,
              help="The chain template the instance uses.")
@click.option("-n", "--namespace", default=scaffold.DEFAULT_NAMESPACE, show_default=True,
              help="Kubernetes namespace: the file goes to instances/<namespace>/<name>.yaml.")
@click.option("--schedule", default=scaffold.DEFAULT_SCHEDULE, show_default=True,
              help="Cron schedule (five fields) of workflow 1.")
@click.option("--timezone", default=scaffold.DEFAULT_TIMEZONE, show_default=True,
              help="IANA time zone of the schedule.")
@click.pass_context
def new_instance(ctx: click.Context, name: str, template_name: str, namespace: str,
                 schedule: str, timezone: str) -> None:
    """Write instances/<namespace>/<name>.yaml with every parameter of the template.

    Required parameters are listed with their descriptions and left empty for you to
    fill in; optional ones are commented out with their defaults.
    """
    root, config = _root(ctx)
    ctx.exit(run_guarded(lambda: commands.new_instance(root, config, name, template_name,
                                                       namespace, schedule, timezone)))


@new.command("template")
@click.argument("name")
@click.pass_context
def new_template(ctx: click.Context, name: str) -> None:
    """Write templates/<name>/template.yaml: a minimal valid chain template to edit."""
    root, config = _root(ctx)
    ctx.exit(run_guarded(lambda: commands.new_template(root, config, name)))


@cli.command()
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder to write to (default: schemas/ in the project).")
@click.pass_context
def schemas(ctx: click.Context, output: Path | None) -> None:
    """Write the JSON Schemas of instances, templates and wfchain.yaml for editors.

    The files that `wfchain new` writes start with a yaml-language-server header
    pointing at schemas/ in the project; run this once (and after upgrading wfchain)
    to give editors completion and checks as you type.
    """
    root, _ = _root(ctx)
    ctx.exit(run_guarded(lambda: commands.export_schemas(root, output)))


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--schema-location", "schema_locations", multiple=True,
              type=click.Path(path_type=Path),
              help="Argo schema.json file or folder (repeatable), e.g. the official files; "
              "default: schemas derived from hera's Argo models, bundled.")
@click.option("--now", metavar="DATETIME", callback=_parse_now, default=None,
              help="Check that schedules fire within 366 days of this ISO 8601 date-time "
              "instead of the current time.")
@_FORMAT
@click.pass_context
def verify(ctx: click.Context, paths: tuple[Path, ...], schema_locations: tuple[Path, ...],
           now: datetime.datetime | None, fmt: str) -> None:
    """Prove offline that the manifests in PATHS (default: rendered/) form a working chain.

    Checks schemas, hand-off URL -> webhook -> Sensor -> WorkflowTemplate continuity,
    RBAC, DAGs and {{...}} references, schedules, EventBus names and name limits.
    """
    root, _ = _root(ctx)
    ctx.exit(run_guarded(lambda: commands.verify(root, paths, schema_locations,
                                                 cast(Format, fmt), now)))


def main() -> None:
    cli(prog_name="wfchain")
