"""The ``posthog-escalation`` command line: a thin adapter over the package's functions.

Each module in this package registers its own commands; :func:`main` turns every
:class:`~posthog_escalation.errors.EscalationError` into one line on stderr and an exit
code (2 for bad input, 1 otherwise). ``--debug`` shows the traceback as well.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import typer
from typer._click.exceptions import ClickException

from ..errors import EscalationError
from . import core, docs, evals, followthrough, hogql, issues, run, serve, skill
from .common import app, err_console

for _module in (core, run, hogql, docs, issues, followthrough, skill, serve, evals):
    _module.register(app)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns (and, as a script, exits with) the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    command = typer.main.get_command(app)
    try:
        result = command.main(args=args, prog_name="posthog-escalation", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        err_console.print("Aborted.")
        code = 1
    except ClickException as exc:
        exc.show()
        code = exc.exit_code
    except EscalationError as exc:
        if debug:
            traceback.print_exc()
        err_console.print(f"[bold red]error:[/] {exc.one_line()}", highlight=False, soft_wrap=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        code = 130
    if argv is None:
        sys.exit(code)
    return code


__all__ = ["app", "main"]
