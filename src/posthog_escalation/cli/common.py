"""What every command shares: the app, consoles, settings and the global options.

Only typer and rich are imported here: each command imports what it uses when it runs,
so ``--help`` and the commands that need little start fast. For the same reason the
command modules do not use ``from __future__ import annotations``: typer would evaluate
every parameter's annotation from its text at each start; names only a type checker needs
are quoted instead.
"""

import gc
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .. import __version__
from ..errors import ConfigError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

    from ..config import Settings

app = typer.Typer(
    name="posthog-escalation",
    help="Quantified, evidenced, routed escalations for PostHog support tickets.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class LazyConsole:
    """A rich ``Console`` made when first used: importing ``rich.console`` is a good part
    of what ``--help`` would otherwise spend. Attribute access goes to the console; pass
    :attr:`rich` where rich wants the console itself (a progress bar)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    @property
    def rich(self) -> "Console":
        """The console itself."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.rich, name)


console: Any = LazyConsole(soft_wrap=True, highlight=False)
err_console: Any = LazyConsole(stderr=True, soft_wrap=True, highlight=False)
"""Output consoles. Automatic highlighting is off: it would bold whatever digits and
words a message happens to hold; commands style what they mean to."""

WIDE = 100_000


def print_table(table: "Table", target: Any = None) -> None:
    """Print ``table`` whole: on a terminal at the terminal's width; piped or redirected
    (where rich assumes 80 columns) at the table's natural width, so no cell is cut."""
    from rich.console import Console

    out = (target or console).rich
    if out.is_terminal:
        out.print(table)
        return
    natural = out.measure(table, options=out.options.update(max_width=WIDE)).maximum
    wide = Console(
        file=out.file,
        width=max(natural, out.width),
        soft_wrap=True,
        highlight=False,
        no_color=out.no_color,
        force_terminal=False,
    )
    wide.print(table)


@dataclass
class CliState:
    """Global options, resolved once per invocation."""

    debug: bool = False
    data_dir: Path | None = None
    _settings: "Settings | None" = None

    @property
    def settings(self) -> "Settings":
        """Settings from the environment, with ``--data-dir`` applied."""
        if self._settings is None:
            from pydantic import ValidationError

            from ..config import Settings, ensure_private_dir
            from ..loading import describe_validation_error

            overrides = {"data_dir": self.data_dir} if self.data_dir else {}
            try:
                self._settings = Settings(**overrides)
            except ValidationError as exc:
                raise ConfigError(
                    f"settings: {describe_validation_error(exc)}",
                    "fix the environment variable or .env entry",
                ) from None
            try:
                ensure_private_dir(self._settings.data_dir)
            except OSError as exc:
                raise ConfigError(
                    f"{self._settings.data_dir}: cannot create the data folder ({exc.strerror})",
                    "check --data-dir / POSTHOG_ESCALATION_DATA_DIR and its permissions",
                ) from None
        return self._settings


state = CliState()


PRIVATE_UMASK = 0o077


def started() -> None:
    """The command has imported what it needs: the garbage collector, off while the
    ``posthog-escalation`` script starts (see :mod:`posthog_escalation.__main__`), is
    turned on again, with everything loaded so far frozen out of its scans. A no-op when
    the collector is on (the CLI called from Python)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _print_version(value: bool) -> None:
    if value:
        console.out(f"posthog-escalation {__version__}", highlight=False)
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Folder for worlds, indexes and the store (env POSTHOG_ESCALATION_DATA_DIR).",
        ),
    ] = None,
    _version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    state.debug = debug
    state.data_dir = data_dir
    state._settings = None
    previous = os.umask(PRIVATE_UMASK)
    ctx.call_on_close(lambda: os.umask(previous))
