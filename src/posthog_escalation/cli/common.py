"""What every command shares: the app, consoles, settings and the global options."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from ..config import Settings, ensure_private_dir
from ..errors import ConfigError
from ..loading import describe_validation_error

app = typer.Typer(
    name="posthog-escalation",
    help="Quantified, evidenced, routed escalations for PostHog support tickets.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(soft_wrap=True)
err_console = Console(stderr=True, soft_wrap=True)


@dataclass
class CliState:
    """Global options, resolved once per invocation."""

    debug: bool = False
    data_dir: Path | None = None
    _settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        """Settings from the environment, with ``--data-dir`` applied."""
        if self._settings is None:
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
) -> None:
    state.debug = debug
    state.data_dir = data_dir
    state._settings = None
    previous = os.umask(PRIVATE_UMASK)
    ctx.call_on_close(lambda: os.umask(previous))
