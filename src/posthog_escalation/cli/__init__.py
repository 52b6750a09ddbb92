"""The ``posthog-escalation`` command line: a thin adapter over the package's functions.

Each module in this package registers its own commands; :func:`main` turns every
:class:`~posthog_escalation.errors.EscalationError` into one line on stderr and an exit
code (2 for bad input, 1 otherwise), and any other exception into one line naming the
command that crashed (exit code 1). ``--debug`` shows the traceback as well.

Exit codes: 0 done; 1 a failure (the quality gate found errors, a service failed, a crash);
2 bad input; 3 ``run`` did not escalate because the triage report decided against it;
130 interrupted.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import typer
from typer._click.exceptions import ClickException

from ..errors import EscalationError
from . import core, docs, evals, followthrough, hogql, issues, run, serve, skill
from .common import app, err_console, state

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
        _error_line(exc.one_line())
        code = exc.exit_code
    except KeyboardInterrupt:
        err_console.print("Interrupted.")
        code = 130
    except Exception as exc:
        if debug:
            traceback.print_exc()
        _error_line(crash_line(command_name(command, args), exc))
        code = 1
    if argv is None:
        sys.exit(code)
    return code


def _error_line(text: str) -> None:
    from rich.markup import escape

    err_console.print(f"[bold red]error:[/] {escape(text)}", soft_wrap=True)


OPTIONS_WITH_VALUES = frozenset({"--data-dir"})
"""Global options that take a value (the value is not a command name)."""


def command_name(command: typer.core.TyperGroup, args: Sequence[str]) -> str:
    """``posthog-escalation`` and the (sub)command ``args`` name, e.g. ``... docs search``."""
    words = ["posthog-escalation"]
    group: object = command
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg.startswith("-"):
            skip = arg in OPTIONS_WITH_VALUES
            continue
        commands = getattr(group, "commands", None)
        if not isinstance(commands, dict) or arg not in commands:
            break
        words.append(arg)
        group = commands[arg]
    return " ".join(words)


def crash_line(name: str, exc: BaseException) -> str:
    """One line for an unexpected exception: the command, what was raised (credentials
    and configured secrets removed, cut to one short line) and what to do."""
    detail = " ".join(str(exc).split())[:200]
    try:
        from ..scrub import credential_scrubber

        secrets = state._settings.secrets() if state._settings is not None else ()
        detail = credential_scrubber(secrets)(detail)
    except Exception:  # the crash report must not crash
        detail = ""
    what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return (
        f"{name} failed unexpectedly ({what}) — rerun it with --debug for the traceback, "
        "and report it"
    )


__all__ = ["app", "main"]
