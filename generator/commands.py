"""One function per CLI command; each returns an exit code."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from pathlib import Path

import click

from generator import drift, listing, scaffold, schemacheck
from generator import graph as chart
from generator.config import load_config
from generator.diagnostics import (
    Diagnostic,
    Format,
    finalize,
    format_diagnostics,
    has_errors,
)
from generator.errors import FINDINGS, OK, UNEXPECTED
from generator.load import YamlLoader, leads_outside, resolved
from generator.lock import DEFAULT_TIMEOUT, LockTimeout
from generator.pipeline import TEMPLATE_FILE, Build, UsageError, build, select
from generator.render import RenderedFile
from generator.write import UnsafePathError, write_tree


def _report(diagnostics: Sequence[Diagnostic], fmt: Format) -> None:
    text = format_diagnostics(diagnostics, fmt)
    if text:
        click.echo(text, nl=False)
    if diagnostics and fmt == "text":
        errors = sum(1 for d in diagnostics if d.level.value == "error")
        files = len({d.file for d in diagnostics})
        click.echo(f"wfchain: {errors} error(s), {len(diagnostics) - errors} warning(s) "
                   f"in {files} file(s)", err=True)


def validate(root: Path, config: Path | None, fmt: Format, files: Sequence[Path] = ()) -> int:
    result = build(root, config)
    diagnostics = result.diagnostics
    if files:
        # The whole project is still checked (an instance needs its template); only
        # the problems of the given files, and of the config file, are reported.
        shown = {_project_path(root, file) for file in files}
        shown.add(result.config.source or "<defaults>")
        diagnostics = finalize(
            [d for d in diagnostics if d.file in shown] +
            [problem for file in files if (problem := _not_checked(root, result, file))])
    _report(diagnostics, fmt)
    if has_errors(diagnostics):
        return FINDINGS
    if fmt == "text" and files:
        click.echo(f"wfchain: {len(files)} file(s): valid", err=True)
    elif fmt == "text":
        click.echo(f"wfchain: {len(result.templates)} template(s), {len(result.instances)} "
                   "instance(s): valid", err=True)
    return OK


def _not_checked(root: Path, result: Build, file: Path) -> Diagnostic | None:
    """An error for a file given to ``validate`` that the project check does not cover
    (so that "valid" never stands for "not looked at")."""
    shown = _project_path(root, file)
    config = result.config
    if not (Path.cwd() / file).is_file():
        return Diagnostic(shown, 1, 1, "$", "no such file", "path")
    parts = shown.split("/")
    if any(part.startswith(".") for part in parts[:-1]) or parts[-1].startswith("."):
        pass  # hidden files and folders are skipped by the project check
    elif shown == config.source or (
            shown.startswith(config.instances_dir + "/") and shown.endswith(".yaml")) or (
            shown.startswith(config.templates_dir + "/") and parts[-1] == TEMPLATE_FILE and
            len(parts) == len(config.templates_dir.split("/")) + 2):
        return None
    return Diagnostic(shown, 1, 1, "$", "not a file wfchain checks: give instance files "
                      f"({config.instances_dir}/<namespace>/<name>.yaml), template files "
                      f"({config.templates_dir}/<name>/{TEMPLATE_FILE}) or the config file",
                      "path")


def _project_path(root: Path, file: Path) -> str:
    """``file`` (relative to the working directory) as diagnostics name it."""
    absolute, base = resolved(Path.cwd() / file), resolved(root)
    if absolute is None or base is None or not absolute.is_relative_to(base):
        return file.as_posix()
    return absolute.relative_to(base).as_posix()


def _output_dir(result: Build, output: Path | None) -> Path:
    if output is not None:
        return output
    return result.root / result.config.output_dir


def _selection(result: Build, refs: Sequence[str]) -> tuple[list[RenderedFile], bool]:
    """The files a render (or check) of ``refs`` covers, and whether that is all of them
    (then files wfchain wrote that are not among them are orphans)."""
    if not refs:
        return result.files, True
    chosen = {f"{i.namespace}/{i.name}/" for i in select(result, refs)}
    return [f for f in result.files if f.path == "kustomization.yaml" or
            any(f.path.startswith(prefix) for prefix in chosen)], False


def _target(result: Build, output: Path | None) -> Path:
    target = _output_dir(result, output)
    root, resolved_target = resolved(result.root), resolved(target)
    if root is None or resolved_target is None:
        raise UsageError(f"refusing to use {target} as the output folder: a symbolic link "
                         "on its path loops")
    sources = [found for name in (result.config.templates_dir, result.config.instances_dir)
               if (found := resolved(root / name)) is not None]
    if resolved_target == root or resolved_target in root.parents or any(
            resolved_target.is_relative_to(source) or source.is_relative_to(resolved_target)
            for source in sources):
        raise UsageError(f"refusing to use {target} as the output folder: it holds the "
                         "project's sources")
    if output is None and not resolved_target.is_relative_to(root):
        # paths.output comes from the (reviewed, but possibly hostile) config: -o is the
        # only way to write outside the project
        raise UnsafePathError(f"refusing to write outside the project: paths.output "
                              f"'{result.config.output_dir}' leads to {resolved_target} "
                              "(through a symbolic link); use -o to choose a folder elsewhere")
    return target


def _shown(root: Path, path: Path) -> str:
    """``path`` as messages show it: relative to the project when it is inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _waiting(message: str) -> None:
    click.echo(f"wfchain: {message}", err=True)


def render(root: Path, config: Path | None, refs: Sequence[str], output: Path | None,
           fmt: Format, quiet: bool, lock_timeout: float = DEFAULT_TIMEOUT) -> int:
    result = build(root, config)
    _report(result.diagnostics, fmt)
    if has_errors(result.diagnostics):
        click.echo("wfchain: nothing written", err=True)
        return FINDINGS
    files, complete = _selection(result, refs)
    target = _target(result, output)
    try:
        report = write_tree(target, files, prune=complete, lock_timeout=lock_timeout,
                            on_wait=_waiting)
    except LockTimeout as exc:
        click.echo(f"wfchain: error: {exc}; nothing written", err=True)
        return UNEXPECTED
    shown = _shown(result.root, target)
    for leftover in report.recovered:
        click.echo(f"wfchain: removed {leftover}, left by an interrupted render", err=True)
    if not quiet:
        click.echo(f"wfchain: {len(result.instances)} instance(s) -> {shown}: "
                   f"{len(report.written)} written, {len(report.unchanged)} unchanged, "
                   f"{len(report.removed)} removed", err=True)
        for foreign in report.foreign:
            if complete and drift.unmanaged(foreign):
                click.echo(f"wfchain: warning: {shown}/{foreign}: not generated by wfchain, in "
                           "a folder Argo CD syncs as an Application (`render --check` fails "
                           "until it is removed)", err=True)
            else:
                click.echo(f"wfchain: left alone (not generated by wfchain): "
                           f"{shown}/{foreign}", err=True)
    return OK


def check(root: Path, config: Path | None, refs: Sequence[str], output: Path | None,
          fmt: Format, lock_timeout: float = DEFAULT_TIMEOUT) -> int:
    """``render --check``: exit 0 when the output folder is what a render would write,
    1 (with a diff of every difference) when not; writes nothing."""
    result = build(root, config)
    target = _target(result, output)
    shown = _shown(result.root, target)
    if has_errors(result.diagnostics):
        if fmt == "json":
            click.echo(drift.format_report(drift.DriftReport(shown), fmt, result.diagnostics),
                       nl=False)
        else:
            _report(result.diagnostics, fmt)
        click.echo(f"wfchain: cannot check {shown}/: the sources have errors", err=True)
        return FINDINGS
    files, complete = _selection(result, refs)
    try:
        report = drift.check(target, files, shown=shown, complete=complete,
                             lock_timeout=lock_timeout, on_wait=_waiting)
    except LockTimeout as exc:
        click.echo(f"wfchain: error: {exc}", err=True)
        return UNEXPECTED
    click.echo(drift.format_report(report, fmt, result.diagnostics), nl=False)
    if fmt != "json":
        for line in drift.summary(report):
            click.echo(f"wfchain: {line}", err=True)
    return OK if report.current else FINDINGS


def show(root: Path, config: Path | None, ref: str, fmt: str) -> int:
    result = build(root, config, render=False)
    instance = result.find(ref)
    names = instance.names
    assert names is not None
    info = {
        "instance": instance.key,
        "file": instance.file,
        "template": instance.template_name,
        "schedule": instance.schedule.expression,
        "timezone": instance.timezone,
        **names.as_dict(),
    }
    if fmt == "json":
        click.echo(json.dumps(info, indent=2))
    else:
        width = max(len(k) for k in info)
        for key, value in info.items():
            click.echo(f"{key.ljust(width)}  {value}")
    problems = [d for d in result.diagnostics if d.file == instance.file]
    _report(problems, "text")
    return FINDINGS if has_errors(problems) else OK


# --------------------------------------------------------------------------- graph, list, new


def _problems(diagnostics: Sequence[Diagnostic]) -> None:
    """Problems on standard error: standard output carries the command's result."""
    text = format_diagnostics(diagnostics, "text")
    if text:
        click.echo(text, nl=False, err=True)


def graph(root: Path, config: Path | None, target: str | None, fmt: str,
          output: Path | None) -> int:
    result = build(root, config, render=False)
    chains, problems = chart.chains_for(result, target)
    _problems(problems)
    if has_errors(problems):
        click.echo("wfchain: nothing drawn", err=True)
        return FINDINGS
    try:
        text = chart.render(chains, fmt)
    except chart.MissingToolError as exc:
        raise UsageError(str(exc)) from None
    if output is None:
        click.echo(text, nl=False)
        return OK
    try:
        output.write_text(text, encoding="utf-8", newline="\n")
    except OSError as exc:
        raise UsageError(f"cannot write {output}: {exc.strerror}") from None
    return OK


def list_instances(root: Path, config: Path | None, fmt: str, now: datetime.datetime | None,
                   runs: int) -> int:
    result = build(root, config, render=False)
    _problems(result.diagnostics)
    moment = now if now is not None else listing.current_time()
    table = listing.rows(result.instances, moment, runs)
    click.echo(listing.to_json(table, moment) if fmt == "json" else listing.to_text(table),
               nl=False)
    return FINDINGS if has_errors(result.diagnostics) else OK


def new_instance(root: Path, config: Path | None, name: str, template_name: str,
                 namespace: str, schedule: str, timezone: str) -> int:
    try:
        scaffold.check_instance(name, namespace, schedule, timezone)
    except scaffold.ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    result = build(root, config, render=False, project=False)
    template = result.templates.get(template_name)
    if template is None:
        folder = f"{result.config.templates_dir}/{template_name}/"
        problems = [d for d in result.diagnostics if d.file.startswith(folder)]
        if not problems and not result.templates:
            problems = result.diagnostics  # e.g. the config file is broken
        if has_errors(problems):
            _problems(problems)
            click.echo(f"wfchain: fix the template '{template_name}' first", err=True)
            return FINDINGS
        known = ", ".join(sorted(result.templates)) or "none"
        raise UsageError(f"unknown template '{template_name}' (known: {known})")
    display = f"{result.config.instances_dir}/{namespace}/{name}.yaml"
    text = scaffold.instance_text(template, name, namespace, result.config.instances_dir,
                                  schedule, timezone)
    try:
        scaffold.write_new(root / display, text)
    except scaffold.ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    missing = [p.name for p in template.parameters.values() if p.required]
    todo = f"; fill in {', '.join(missing)}" if missing else ""
    click.echo(f"wfchain: wrote {display}{todo}; then run `wfchain validate`", err=True)
    return OK


def export_schemas(root: Path, output: Path | None) -> int:
    """``wfchain schemas``: the shipped schemas, written where the scaffold headers point."""
    target = output if output is not None else root / "schemas"
    if output is None and (target.is_symlink() or leads_outside(root, target)):
        # schemas/ comes from git: a link there must not make wfchain write elsewhere
        raise UsageError(f"refusing to write the schemas through the symbolic link {target}")
    written = []
    try:
        target.mkdir(parents=True, exist_ok=True)
        for name in schemacheck.SHIPPED_SCHEMAS:
            data = schemacheck.shipped_schema_text(name).encode("utf-8")
            path = target / name
            if path.is_symlink() or (path.exists() and not path.is_file()):
                raise UsageError(f"refusing to replace {path}: it is not a regular file")
            if not path.is_file() or path.read_bytes() != data:
                # a new file, swapped in: never written through a link a checkout holds
                partial = target / f".{name}.wfchain-tmp"
                partial.unlink(missing_ok=True)
                with partial.open("xb") as stream:
                    stream.write(data)
                partial.replace(path)
                written.append(name)
    except OSError as exc:
        raise UsageError(f"cannot write the schemas to {target}: {exc.strerror}") from None
    shown = _shown(root, target)
    click.echo(f"wfchain: {shown}/: {len(written)} written, "
               f"{len(schemacheck.SHIPPED_SCHEMAS) - len(written)} unchanged", err=True)
    return OK


def new_template(root: Path, config: Path | None, name: str) -> int:
    try:
        scaffold.check_template_name(name)
    except scaffold.ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    settings, problems = load_config(root, YamlLoader(), config)
    _problems(problems)
    if has_errors(problems):
        return FINDINGS
    display = f"{settings.templates_dir}/{name}/{TEMPLATE_FILE}"
    try:
        scaffold.write_new(root / display, scaffold.template_text(name, settings.templates_dir))
    except scaffold.ScaffoldError as exc:
        raise UsageError(str(exc)) from None
    click.echo(f"wfchain: wrote {display}; then run `wfchain new instance NAME --template "
               f"{name}`", err=True)
    return OK


def verify(root: Path, paths: Sequence[Path], schema_locations: Sequence[Path], fmt: Format,
           now: datetime.datetime | None) -> int:
    """Verify the manifests under ``paths`` (default: the configured output folder)."""
    from generator.argoschema import SchemaLoadError
    from generator.verify import verify_paths

    if not paths:
        settings, problems = load_config(root, YamlLoader())
        if has_errors(problems):
            _report(problems, fmt)
            return FINDINGS
        paths = [root / settings.output_dir]
    try:
        diagnostics, count = verify_paths(paths, schema_locations, now=now)
    except FileNotFoundError as exc:
        raise UsageError(f"no such file or folder: {exc}") from None
    except SchemaLoadError as exc:
        raise UsageError(f"--schema-location: {exc}") from None
    _report(diagnostics, fmt)
    if has_errors(diagnostics):
        return FINDINGS
    if fmt == "text":
        click.echo(f"wfchain: {count} manifest(s) verified", err=True)
    return OK
