"""Core commands: render, lint, schema, playbook."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InputError
from .common import console, print_table, state

if TYPE_CHECKING:
    from ..playbook import Playbook
    from ..render import Flavour

FileArg = Annotated[Path, typer.Argument(help="A YAML or JSON file.", show_default=False)]
SCHEMA_NAMES = ("escalation", "ticket", "triage", "request", "evidence")
"""The contracts ``schema`` prints (the keys of ``models.SCHEMAS``; a test keeps them
equal), named here so ``--help`` needs no model."""


def _playbook(path: Path | None) -> "Playbook":
    from ..playbook import load_playbook

    return load_playbook(path) if path else load_playbook()


def render(
    file: FileArg,
    flavour: Annotated[str, typer.Option(help="internal or public")] = "internal",
    request: Annotated[
        Path | None,
        typer.Option(help="The ticket file, so the public flavour also hides its names."),
    ] = None,
) -> None:
    """Render an escalation (YAML/JSON) as markdown in the template."""
    from ..loading import load_model
    from ..models import Escalation, EscalationRequest
    from ..redact import Redactor
    from ..render import render_markdown

    if flavour not in ("internal", "public"):
        raise InputError(f"--flavour: expected 'internal' or 'public', got '{flavour}'")
    escalation = load_model(file, Escalation)
    redactor = None
    if request is not None:
        ticket = load_model(request, EscalationRequest).ticket
        redactor = Redactor.for_ticket(ticket, state.settings.secrets())
    selected: Flavour = "public" if flavour == "public" else "internal"
    console.print(render_markdown(escalation, selected, redactor=redactor), markup=False)


def lint_command(
    file: FileArg,
    as_json: Annotated[bool, typer.Option("--json", help="Print findings as JSON.")] = False,
    playbook: Annotated[Path | None, typer.Option(help="A playbook TOML to check against.")] = None,
) -> None:
    """Run the quality gate on an escalation; exit 1 when it has errors."""
    from ..lint import RULES, lint
    from ..loading import load_model
    from ..models import Escalation

    report = lint(load_model(file, Escalation), _playbook(playbook))
    if as_json:
        console.print_json(report.model_dump_json())
    elif not report.findings:
        console.print(f"[green]ok[/] {file}: passes the quality gate ({len(RULES)} rules)")
    else:
        for finding in report.findings:
            colour = "red" if finding.level == "error" else "yellow"
            console.print(
                f"[{colour}]{finding.level}[/] [bold]{finding.rule}[/] ({finding.field}): "
                f"{finding.message}\n    fix: {finding.hint}",
                highlight=False,
            )
        summary = f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)"
        console.print(f"{file}: {summary}", highlight=False)
    if not report.ok:
        raise typer.Exit(1)


def schema(
    name: Annotated[str, typer.Argument(help=f"One of: {', '.join(SCHEMA_NAMES)}.")],
) -> None:
    """Print the JSON Schema of a contract."""
    from ..models import SCHEMAS

    model = SCHEMAS.get(name.lower())
    if model is None:
        raise InputError(f"unknown schema '{name}'", f"use one of: {', '.join(SCHEMAS)}")
    console.print_json(json.dumps(model.model_json_schema()))


def playbook_command(
    section: Annotated[
        str,
        typer.Argument(help="routes, severity, follow-up, close, dimensions or all."),
    ] = "all",
    path: Annotated[Path | None, typer.Option("--file", help="A playbook TOML.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print the playbook's tables."""
    from rich.table import Table

    from ..lint import RULES

    book = _playbook(path)
    sections = {"routes", "severity", "follow-up", "close", "dimensions", "rules"}
    if section != "all" and section not in sections:
        raise InputError(f"unknown section '{section}'", f"use one of: all, {', '.join(sections)}")
    if as_json:
        console.print_json(book.model_dump_json())
        return
    show = sections if section == "all" else {section}
    if "dimensions" in show:
        table = Table("Dimension", "What to determine", title="Quantify before escalating")
        for dim in book.dimensions:
            table.add_row(dim.name, dim.determine)
        print_table(table)
    if "severity" in show:
        table = Table("Severity", "When", title="Severity rubric")
        for level, spec in book.severity.items():
            table.add_row(level.value, "\n".join(spec.criteria))
        print_table(table)
    if "routes" in show:
        table = Table("Route", "Issue type", "Escalate to", "Where", "Labels", "PostHog context")
        table.title = "Routing"
        for key, route in book.routes.items():
            table.add_row(
                key,
                route.issue_type,
                route.team,
                route.channel,
                ", ".join(route.labels),
                "\n".join(route.context),
            )
        print_table(table)
    if "follow-up" in show:
        table = Table("Severity", "Team follow-up", "Customer update", title="Follow-up cadence")
        for level, cadence in book.follow_up.items():
            note = f" ({cadence.customer_note})" if cadence.customer_note else ""
            table.add_row(level.value, str(cadence.team), f"{cadence.customer}{note}")
        print_table(table)
    if "close" in show:
        table = Table("Id", "Close or downgrade when", "Allows", title="Close / downgrade")
        for crit in book.close_criteria:
            table.add_row(crit.id, crit.text, ", ".join(crit.applies_to))
        print_table(table)
    if "rules" in show:
        table = Table("Rule", "Level", "Checks", title="Quality gate")
        for r in RULES:
            table.add_row(r.id, r.level, r.description)
        print_table(table)


def register(app: typer.Typer) -> None:
    """Add the core commands to ``app``."""
    app.command("render")(render)
    app.command("lint")(lint_command)
    app.command("schema")(schema)
    app.command("playbook")(playbook_command)
