"""Exit codes, and the one place where exceptions become them."""

from __future__ import annotations

import os
import traceback
from collections.abc import Callable

import click

from generator.pipeline import UsageError
from generator.write import UnsafePathError

OK = 0
FINDINGS = 1
USAGE = 2
UNEXPECTED = 3

def run_guarded(function: Callable[[], int]) -> int:
    """Call a command function; map our error types to exit codes, never a traceback
    for a user error. ``WFCHAIN_DEBUG=1`` prints tracebacks of unexpected errors."""
    try:
        return function()
    except UsageError as exc:
        click.echo(f"wfchain: error: {exc}", err=True)
        return USAGE
    except UnsafePathError as exc:
        click.echo(f"wfchain: error: {exc}", err=True)
        return FINDINGS
    except KeyboardInterrupt:
        click.echo("wfchain: interrupted", err=True)
        return UNEXPECTED
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        click.echo(f"wfchain: error: {exc.strerror or exc}{where}", err=True)
        return UNEXPECTED
    except Exception as exc:
        if os.environ.get("WFCHAIN_DEBUG"):
            traceback.print_exc()
        click.echo(f"wfchain: unexpected error: {type(exc).__name__}: {exc} "
                   "(set WFCHAIN_DEBUG=1 for a traceback; please report it)", err=True)
        return UNEXPECTED
