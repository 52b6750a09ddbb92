"""The main job: run (and demo) an escalation end to end."""

from __future__ import annotations

from pathlib import Path

import typer

from ..lint import lint
from ..loading import load_model
from ..models import Escalation
from ..render import render_markdown
from .common import console, err_console

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "escalation.yaml"


def demo() -> None:
    """Render the bundled example escalation and run the quality gate on it."""
    escalation = load_model(EXAMPLE, Escalation)
    console.print(render_markdown(escalation), markup=False)
    report = lint(escalation)
    err_console.print(
        f"quality gate: {len(report.errors)} error(s), {len(report.warnings)} warning(s)"
    )
    if not report.ok:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``demo`` to ``app``."""
    app.command("demo")(demo)
