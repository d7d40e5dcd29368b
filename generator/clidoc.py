"""docs/cli.md, generated from the click command tree so it cannot drift from the code.

    python -m generator.clidoc --output docs/cli.md   # what `make docs` runs
    python -m generator.clidoc --check docs/cli.md    # exit 1 if the file is stale

Everything comes from the commands' own help texts, usages, arguments and options;
nothing depends on the terminal, the machine or the clock.
"""

from __future__ import annotations

import argparse
import inspect
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import click

HEADER = """\
# Command line reference

<!-- Generated from the click commands by `make docs` (python -m generator.clidoc).
     Do not edit: change the help texts in generator/cli.py and regenerate. -->
"""


def _commands(ctx: click.Context) -> Iterator[click.Context]:
    """``ctx`` and the contexts of every subcommand below it, depth first, by name."""
    yield ctx
    command = ctx.command
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is None or sub.hidden:
                continue
            yield from _commands(click.Context(sub, info_name=name, parent=ctx,
                                               **sub.context_settings))


_PLACEHOLDER = re.compile(r"[^\s`]*<[^<>\s`]+>[^\s`]*?(?=[.,;:)]*(\s|$))")


def _prose(text: str) -> str:
    """One line of Markdown prose: words such as ``<id>`` or ``instances/<namespace>`` go
    into code spans (else they would read as HTML tags)."""
    return _PLACEHOLDER.sub(lambda m: f"`{m.group(0)}`", " ".join(text.split()))


def _cell(text: str) -> str:
    """Prose for a table cell (a '|' would end the cell)."""
    return _prose(text).replace("|", "\\|")


def _code_cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _help(command: click.Command) -> list[str]:
    """Help paragraphs; click's ``\\b`` (keep line breaks) paragraphs become code blocks."""
    text = inspect.cleandoc(command.help or "").split("\f", 1)[0]
    out: list[str] = []
    for paragraph in text.split("\n\n"):
        if paragraph.startswith("\b\n"):
            out += ["```text", paragraph[2:].rstrip(), "```", ""]
        elif paragraph.strip():
            out += [_prose(paragraph), ""]
    return out


def _anchor(path: str) -> str:
    return path.replace(" ", "-")


def _section(ctx: click.Context) -> list[str]:
    command = ctx.command
    path = ctx.command_path
    level = "#" * min(2 + path.count(" ") - 1, 4) if " " in path else "##"
    title = path if " " in path else f"{path} (global options)"
    usage = " ".join([path, *command.collect_usage_pieces(ctx)])
    lines = [f"{level} {title}", "", "```text", usage, "```", ""]
    lines += _help(command)
    arguments = [p for p in command.get_params(ctx) if isinstance(p, click.Argument)]
    options = [p for p in command.get_params(ctx) if isinstance(p, click.Option)]
    if arguments:
        lines += ["| argument | |", "| --- | --- |"]
        for argument in arguments:
            count = "one or more" if argument.nargs == -1 and argument.required else \
                "any number" if argument.nargs == -1 else \
                "required" if argument.required else "optional"
            lines.append(f"| `{_code_cell(argument.make_metavar(ctx))}` | {count} |")
        lines.append("")
    records = [r for r in (o.get_help_record(ctx) for o in options) if r is not None]
    if records:
        lines += ["| option | |", "| --- | --- |"]
        lines += [f"| `{_code_cell(names)}` | {_cell(text)} |" for names, text in records]
        lines.append("")
    if isinstance(command, click.Group):
        subs = [(name, command.get_command(ctx, name)) for name in command.list_commands(ctx)]
        lines += ["| command | |", "| --- | --- |"]
        for name, sub in subs:
            if sub is None or sub.hidden:
                continue
            link = _anchor(f"{path} {name}")
            lines.append(f"| [`{name}`](#{link}) | {_cell(sub.get_short_help_str(limit=200))} |")
        lines.append("")
    return lines


def generate(group: click.Command, name: str = "wfchain") -> str:
    """The Markdown reference of ``group`` and all its subcommands."""
    root = click.Context(group, info_name=name, **group.context_settings)
    lines = [HEADER]
    for ctx in _commands(root):
        lines += _section(ctx)
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    from generator.cli import cli  # imported here: the CLI is the thing documented

    parser = argparse.ArgumentParser(prog="python -m generator.clidoc",
                                     description="Generate docs/cli.md from the CLI.")
    action = parser.add_mutually_exclusive_group()
    action.add_argument("--output", type=Path, help="write the reference to this file")
    action.add_argument("--check", type=Path, help="exit 1 if this file is not up to date")
    args = parser.parse_args(argv)
    text = generate(cli)
    if args.output is not None:
        args.output.write_text(text, encoding="utf-8", newline="\n")
        return 0
    if args.check is not None:
        current = args.check.read_text(encoding="utf-8") if args.check.exists() else ""
        if current != text:
            print(f"{args.check} is out of date: run `make docs`", file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
