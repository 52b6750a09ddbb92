"""CLI commands for HogQL: ``hogql``, ``world build``, ``world truth`` and ``impact``."""

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import InputError
from .common import console, err_console, print_table, started, state

if TYPE_CHECKING:
    from ..tools.hogql import HogQLBackend, HogQLResponse, ImpactSummary
    from ..tools.hogql.output import BoundedAnswer

MAX_ROWS = 1_000
"""Rows the CLI prints at most: ``tools.hogql.output.MAX_ROWS`` (a test keeps them equal),
named here so ``--help`` needs no engine."""

world_app = typer.Typer(
    name="world",
    help="Seeded PostHog-shaped worlds for the embedded HogQL engine.",
    no_args_is_help=True,
)

WorldOption = Annotated[
    Path | None,
    typer.Option("--world", help="Query this world spec (embedded engine) instead of the default."),
]


def _cell(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _print_response(answer: "BoundedAnswer") -> None:
    from ..tools.hogql.output import text_table

    response = answer.response
    typer.echo(text_table(response.columns, response.results))
    more = " (more available: add LIMIT/OFFSET)" if response.hasMore else ""
    err_console.print(f"[dim]{len(response.results):,} rows{more}[/]", highlight=False)


def hogql_command(
    query: Annotated[str, typer.Argument(help="One HogQL SELECT.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print PostHog's response JSON.")] = False,
    world: WorldOption = None,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", help=f"Rows when the query has no LIMIT (1 to {MAX_ROWS:,}; default 100)."
        ),
    ] = None,
) -> None:
    """Run a HogQL query on PostHog (when configured) or the embedded world.

    At most 1,000 rows, 1,000 characters per cell and 1 MB in all are printed.
    """
    import anyio

    from ..tools.hogql import open_backend
    from ..tools.hogql.output import bound_answer

    if limit is not None and not 1 <= limit <= MAX_ROWS:
        raise InputError(
            f"--limit {limit} is out of range: use 1 to {MAX_ROWS:,}",
            "aggregate in HogQL (count(), GROUP BY), or page with LIMIT and OFFSET",
        )

    async def run() -> "tuple[HogQLResponse, str]":
        backend: Any = open_backend(state.settings, world=world)
        try:
            response = await backend.query(query, limit=limit, max_rows=MAX_ROWS)
            return response, backend.description
        finally:
            await backend.aclose()

    response, where = anyio.run(run)
    answer = bound_answer(response)
    if response.hasMore and len(answer.response.results) >= MAX_ROWS:
        answer.notes.insert(
            0, f"output is capped at {MAX_ROWS:,} rows: aggregate, or page with LIMIT/OFFSET"
        )
    if as_json:
        typer.echo(answer.response.model_dump_json(indent=2))
    else:
        err_console.print(f"[dim]{where}[/]", highlight=False, markup=True)
        _print_response(answer)
    for note in answer.notes:
        err_console.print(f"[yellow]note:[/] {note}", highlight=False)


@world_app.command("build")
def build_command(
    spec: Annotated[
        Path | None, typer.Argument(help="World spec (YAML); default: the packaged demo world.")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even if already built.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the world's info as JSON.")
    ] = False,
) -> None:
    """Generate a world into the embedded engine (reused when the spec is unchanged)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ..tools.hogql import build_world, load_world_spec, packaged_world, world_home

    world_spec = load_world_spec(spec or packaged_world("demo"))
    home = world_home(state.settings.data_dir)
    started()
    with Progress(
        TextColumn("[bold]{task.description:<28}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=err_console.rich,
        transient=True,
        disable=as_json,
    ) as bar:
        task = bar.add_task(f"building {world_spec.name}", total=1.0)

        def report(label: str, done: float) -> None:
            bar.update(task, completed=done, description=f"{world_spec.name}: {label}")

        info = build_world(world_spec, home=home, force=force, progress=report)
    if as_json:
        console.print_json(info.model_dump_json())
        return
    t = info.totals
    how = "reused" if info.reused else f"built in {info.build_seconds:.2f} s"
    console.print(
        f"[green]{info.name}[/] {how}: {t.events:,} events, {t.persons:,} persons, "
        f"{t.organizations} organizations, {t.sessions:,} sessions, "
        f"{t.ingestion_warnings:,} ingestion warnings",
        highlight=False,
    )
    console.print(
        f"[dim]database {info.database}; ground truth {info.ground_truth_path}[/]", highlight=False
    )


@world_app.command("truth")
def truth_command(
    spec: Annotated[
        Path | None, typer.Argument(help="World spec (YAML); default: the packaged demo world.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the ground truth JSON.")] = False,
) -> None:
    """Show what each injected incident really did (building the world if needed)."""
    from rich.table import Table

    from ..tools.hogql import (
        build_world,
        load_ground_truth,
        load_world_spec,
        packaged_world,
        world_home,
    )

    world_spec = load_world_spec(spec or packaged_world("demo"))
    info = build_world(world_spec, home=world_home(state.settings.data_dir))
    truth = load_ground_truth(info)
    if as_json:
        console.print_json(truth.model_dump_json())
        return
    table = Table(header_style="bold")
    for name in ("incident", "kind", "orgs", "persons", "events", "first seen", "last seen"):
        table.add_column(name)
    for item in truth.incidents.values():
        table.add_row(
            item.id,
            item.kind,
            str(item.affected_orgs),
            str(item.affected_persons),
            str(item.events),
            f"{item.first_seen:%Y-%m-%d %H:%M}" if item.first_seen else "-",
            f"{item.last_seen:%Y-%m-%d %H:%M}" if item.last_seen else "-",
        )
    print_table(table)


_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`[^`]*`")
_CONDITION_SIGN = re.compile(
    r"[=<>]|\b(?:and|or|not|in|like|ilike|is|between)\b|\w\s*\(", re.IGNORECASE
)
_COMPARISON = re.compile(r"[=<>]")
SIGNATURE_KINDS = ("auto", "condition", "error")


def error_condition(message: str) -> str:
    """The HogQL condition for an error message: exceptions whose message contains it (as
    the pipeline measures a ticket's quoted error)."""
    from ..evidence import like_pattern

    return (
        "event = '$exception' AND properties.$exception_message ILIKE "
        f"{like_pattern(message.strip())}"
    )


def signature_condition(signature: str, kind: str = "auto") -> tuple[str, bool]:
    """The HogQL condition ``impact`` measures, and whether ``signature`` was read as an
    error message.

    ``condition`` takes it as HogQL; ``error`` as the text of an error message; ``auto``
    as HogQL when it holds a comparison, a logical operator or a function call outside
    its string literals and parses as a condition, else as an error message (a plain
    signature such as ``adoptedStyleSheets.length``).

    Raises:
        QueryError: The text is not a valid condition although ``kind`` is ``condition``
            or it holds a comparison (``=``, ``<``, ``>``), which error messages rarely do.
    """
    from ..errors import QueryError
    from ..tools.hogql import validate_expression

    if kind == "error":
        return error_condition(signature), True
    if kind == "condition":
        validate_expression(signature)
        return signature, False
    bare = _QUOTED.sub("''", signature)
    if _CONDITION_SIGN.search(bare):
        try:
            validate_expression(signature)
        except QueryError as exc:
            if _COMPARISON.search(bare):
                raise QueryError(
                    exc.message, f"{exc.hint}; or pass --as error to look for it as an error text"
                ) from None
            return error_condition(signature), True
        return signature, False
    return error_condition(signature), True


def impact_command(
    signature: Annotated[
        str,
        typer.Argument(
            help="An error message or part of one (e.g. adoptedStyleSheets.length), or a HogQL "
            "condition over events (e.g. \"event = '$exception'\").",
            show_default=False,
        ),
    ],
    since: Annotated[
        str | None, typer.Option("--since", help="Window start: ISO time or offset like -7d.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Window end: ISO time or offset (default now).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    world: WorldOption = None,
    kind: Annotated[
        str,
        typer.Option(
            "--as",
            help="Read SIGNATURE as an error message (error), as HogQL (condition), or decide "
            "from its shape (auto).",
        ),
    ] = "auto",
) -> None:
    """Quantify a signature: orgs, persons, trend, versions, environments, sessions."""
    import anyio

    from ..tools.hogql import impact_summary, open_backend

    if kind not in SIGNATURE_KINDS:
        raise InputError(f"--as '{kind}' is not known", "use auto, condition or error")
    condition, as_error = signature_condition(signature, kind)
    if as_error:
        err_console.print(
            "[dim]reading it as an error message (--as condition to give HogQL)[/]",
            highlight=False,
        )

    async def run() -> "ImpactSummary":
        backend: HogQLBackend = open_backend(state.settings, world=world)
        try:
            return await impact_summary(backend, condition, since=since, until=until)
        finally:
            await backend.aclose()

    summary = anyio.run(run)
    if as_json:
        console.print_json(summary.model_dump_json())
        return
    _print_summary(summary)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _print_summary(s: "ImpactSummary") -> None:
    from rich.table import Table

    console.print("[bold]Impact of[/] ", end="")
    console.print(s.signature, highlight=False, markup=False)
    console.print(
        f"[dim]{s.backend}; window {s.since:%Y-%m-%d %H:%M} – {s.until:%Y-%m-%d %H:%M} UTC[/]",
        highlight=False,
    )
    seen = (
        f"{s.first_seen:%Y-%m-%d %H:%M} → {s.last_seen:%Y-%m-%d %H:%M} UTC"
        if s.first_seen and s.last_seen
        else "never"
    )
    trend = "growing" if s.growing else "not growing"
    ratio = f" (×{s.growth_ratio:g})" if s.growth_ratio else ""
    console.print(
        f"{s.affected_events:,} events · {s.affected_persons:,} persons · "
        f"{s.affected_orgs} orgs · {s.affected_sessions:,} sessions · seen {seen} · "
        f"{trend}{ratio}",
        highlight=False,
    )
    if s.starts_in_version:
        console.print(f"starts in {s.starts_in_version}", highlight=False)
    if s.top_orgs:
        table = Table(title="affected organizations", header_style="bold")
        for name in ("org", "plan", "seats", "ARR", "events", "persons", "sessions hit"):
            table.add_column(name)
        shares = {o.key: o for o in s.org_sessions}
        for org in s.top_orgs:
            share = shares.get(org.key)
            table.add_row(
                org.name or org.key,
                org.plan or "-",
                _cell(org.seats),
                f"${org.arr:,.0f}" if org.arr is not None else "-",
                f"{org.events:,}",
                f"{org.persons:,}",
                f"{share.affected_sessions}/{share.sessions} ({_pct(share.share)})"
                if share
                else "-",
            )
        print_table(table)
    if s.events_per_day:
        days = "  ".join(f"{d.day:%m-%d}: {d.events}" for d in s.events_per_day)
        console.print(f"per day  {days}", highlight=False)
    hit_versions = [v for v in s.versions if v.affected_events]
    if hit_versions:
        libs = {v.lib for v in hit_versions}
        table = Table(title="versions (affected vs all traffic)", header_style="bold")
        for name in ("lib", "version", "affected", "all", "rate"):
            table.add_column(name)
        for v in (v for v in s.versions if v.lib in libs):
            table.add_row(
                _cell(v.lib),
                _cell(v.version),
                f"{v.affected_events:,}",
                f"{v.all_events:,}",
                _pct(v.affected_rate),
            )
        print_table(table)
    envs = [e for e in s.environments if e.affected_events]
    if envs:
        console.print(
            "environments  "
            + "  ".join(
                f"{_cell(e.browser)}/{_cell(e.os)} {_pct(e.share_of_affected)}" for e in envs
            ),
            highlight=False,
        )
    if s.session_share is not None:
        console.print(f"sessions of affected orgs hit: {_pct(s.session_share)}", highlight=False)
    for error in s.errors:
        err_console.print(f"[yellow]partial:[/] {error}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("hogql")(hogql_command)
    app.command("impact")(impact_command)
    app.add_typer(world_app)
