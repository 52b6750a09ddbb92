"""CLI commands for docs search: ``docs search``, ``docs answer``, ``docs sync``,
``docs stats``."""

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from .common import console, err_console, print_table, started, state

if TYPE_CHECKING:
    from ..tools.docs import IndexStats

DEFAULT_REPO = "https://github.com/PostHog/posthog.com.git"
"""``tools.docs.sync.DEFAULT_REPO`` (a test keeps them equal), named here so ``--help``
needs no index."""

docs_app = typer.Typer(
    name="docs",
    help="Search the PostHog docs (shipped default, or the real docs after `docs sync`).",
    no_args_is_help=True,
)


@docs_app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help="A support question, error text or keywords.")],
    area: Annotated[
        str | None,
        typer.Option("--area", help="Limit to a product area (e.g. session-replay, libraries)."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many sections (1-50).")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the hits as JSON.")] = False,
) -> None:
    """Rank docs sections for a question, with links to the exact section."""
    from ..tools.docs import open_docs_index

    index = open_docs_index(state.settings)
    hits = index.search(query, area=area, limit=limit)
    if as_json:
        console.print_json(json.dumps([hit.model_dump(mode="json") for hit in hits]))
        return
    if not hits:
        err_console.print(f"no docs section matches '{query}'", highlight=False)
        return
    for rank, hit in enumerate(hits, start=1):
        console.print(
            f"[bold]{rank}. {hit.breadcrumb}[/]  [dim]({hit.area}, score {hit.score:.2f})[/]",
            highlight=False,
        )
        console.print(f"   {hit.url}", style="cyan", highlight=False)
        console.print(f"   {hit.snippet}", highlight=False, markup=False)


@docs_app.command("answer")
def answer_command(
    subject: Annotated[str, typer.Argument(help="The problem in one line (the ticket subject).")],
    symptom: Annotated[str, typer.Option("--symptom", help="What goes wrong.")] = "",
    error: Annotated[str, typer.Option("--error", help="The error text quoted, if any.")] = "",
    route: Annotated[
        str | None, typer.Option("--route", help="Playbook route key, preferred (not a filter).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """The docs section that answers a problem, its sentence and a calibrated confidence."""
    from ..tools.docs import ANSWER_MIN_CONFIDENCE, answer_from_docs, open_docs_index

    index = open_docs_index(state.settings)
    answer = answer_from_docs(index, subject, symptom, error, route=route)
    if as_json:
        console.print_json(answer.model_dump_json() if answer else "null")
        return
    if answer is None:
        err_console.print("no docs section matches this problem", highlight=False)
        return
    verdict = (
        "[green]reliable[/]"
        if answer.reliable
        else f"[yellow]below {ANSWER_MIN_CONFIDENCE:.0%}: do not resolve on this alone[/]"
    )
    console.print(f"[bold]{answer.breadcrumb}[/]  confidence {answer.confidence:.0%} {verdict}")
    console.print(f"   {answer.url}", style="cyan", highlight=False)
    console.print(f"   {answer.sentence}", highlight=False, markup=False)


@docs_app.command("sync")
def sync_command(
    from_path: Annotated[
        Path | None,
        typer.Option("--from", help="Index this local folder instead of cloning."),
    ] = None,
    repo: Annotated[
        str, typer.Option("--repo", help="Git URL or path of a posthog.com-shaped repository.")
    ] = DEFAULT_REPO,
    branch: Annotated[
        str | None, typer.Option("--branch", help="Branch to fetch (default: the repo's).")
    ] = None,
) -> None:
    """Fetch contents/docs from posthog.com (shallow, sparse) or copy a folder; index it."""
    from ..tools.docs import sync_docs

    started()
    result = sync_docs(
        state.settings.data_dir,
        from_path=from_path,
        repo=repo,
        branch=branch,
        progress=lambda line: err_console.print(f"[dim]{line}[/]", highlight=False),
    )
    stats = result.stats
    where = result.source.location + (
        f" @ {result.source.commit[:12]}" if result.source.commit else ""
    )
    console.print(
        f"[green]synced[/] {where}: {stats.pages} pages, {stats.sections} sections, "
        f"{_skipped_text(stats)}, built in {stats.build_seconds:.2f} s",
        highlight=False,
    )


@docs_app.command("stats")
def stats_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print the stats as JSON.")] = False,
) -> None:
    """Show what the docs index holds: pages, sections, skipped files, size, build time."""
    from rich.table import Table

    from ..tools.docs import open_docs_index

    stats = open_docs_index(state.settings).stats
    if as_json:
        console.print_json(stats.model_dump_json())
        return
    table = Table(show_header=False, title="Docs index")
    source = stats.source
    table.add_row("source", f"{source.kind}: {source.location}")
    if source.commit:
        table.add_row("commit", source.commit)
    table.add_row("pages", str(stats.pages))
    table.add_row("sections", str(stats.sections))
    table.add_row("areas", ", ".join(stats.areas))
    table.add_row("skipped", _skipped_text(stats))
    table.add_row(
        "snippets", f"{stats.snippets_resolved} inlined, {stats.snippets_missing} missing"
    )
    table.add_row("index size", f"{stats.index_bytes / 1024:.0f} KiB")
    table.add_row("build time", f"{stats.build_seconds:.2f} s")
    table.add_row("built at", stats.built_at.isoformat(timespec="seconds"))
    table.add_row("content hash", stats.content_hash[:16])
    print_table(table)
    for item in stats.skipped[:20]:
        err_console.print(f"[yellow]skipped[/] {item.path}: {item.reason}", highlight=False)


def _skipped_text(stats: "IndexStats") -> str:
    if not stats.skipped:
        return "0 skipped"
    kinds = ", ".join(f"{count} {kind}" for kind, count in stats.skipped_by_kind.items())
    return f"{len(stats.skipped)} skipped ({kinds})"


def register(app: typer.Typer) -> None:
    """Add the ``docs`` command group to ``app``."""
    app.add_typer(docs_app, name="docs")
