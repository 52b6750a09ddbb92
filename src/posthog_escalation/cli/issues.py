"""CLI commands for known-issue search: ``issues search``, ``issues match``,
``issues snapshot``."""

from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import InputError
from .common import console, err_console, started, state

if TYPE_CHECKING:
    from ..models import EscalationRequest
    from ..tools.issues import IssueSearchResult, KnownIssueCandidates

issues_app = typer.Typer(
    name="issues",
    help="Search GitHub issues (or the shipped snapshot) for known issues and duplicates.",
    no_args_is_help=True,
)


def _backend_note(name: str) -> None:
    where = "GitHub" if name == "github" else "the local issue snapshot"
    err_console.print(f"[dim]searching {where}[/]", highlight=False)


@issues_app.command("search")
def search_command(
    text: Annotated[str, typer.Argument(help='Words, "exact phrases" and qualifiers.')],
    repo: Annotated[
        list[str] | None,
        typer.Option("--repo", "-r", help="owner/name; repeat for several repositories."),
    ] = None,
    issue_state: Annotated[
        str | None, typer.Option("--state", help="open, closed or all (default all).")
    ] = None,
    label: Annotated[
        list[str] | None, typer.Option("--label", "-l", help="A label; repeat for several.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many issues (1-100).")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Search issues with GitHub's syntax; every word must match."""
    import anyio

    from ..tools.issues import open_issue_search

    if not 1 <= limit <= 100:
        raise InputError(f"--limit {limit} is out of range", "use a number from 1 to 100")

    async def run() -> "IssueSearchResult":
        backend = open_issue_search(state.settings)
        try:
            return await backend.search(
                text, repos=repo or None, state=issue_state, labels=label or None, limit=limit
            )
        finally:
            await backend.aclose()

    result = anyio.run(run)
    if as_json:
        console.print_json(result.model_dump_json())
        return
    _backend_note(result.backend)
    for query in result.queries:
        console.print(f"[dim]query:[/] {query}", highlight=False, markup=True)
    if not result.hits:
        err_console.print("no issue matches", highlight=False)
        return
    for hit in result.hits:
        console.print(f"[bold]{hit.key}[/] ({hit.state}) — {hit.title}", highlight=False)
        console.print(f"   {hit.url}", style="cyan", highlight=False)
    console.print(f"{len(result.hits)} of {result.total_count} shown", highlight=False)


@issues_app.command("match")
def match_command(
    ticket_file: Annotated[
        Path, typer.Argument(help="YAML or JSON with `ticket` and optional `triage`.")
    ],
    route: Annotated[
        str | None, typer.Option("--route", help="Playbook route key (guessed when omitted).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="How many candidates.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Rank known issues that may describe the ticket's problem, with reasons."""
    import anyio

    from ..loading import load_model
    from ..models import EscalationRequest
    from ..playbook import default_playbook
    from ..tools.issues import find_known_issues, open_issue_search
    from ..understanding import extract_signals

    request = load_model(ticket_file, EscalationRequest)
    playbook = default_playbook()
    if route is not None:
        playbook.route(route)
    signals = extract_signals(request.ticket, request.triage)

    async def run() -> "KnownIssueCandidates":
        backend = open_issue_search(state.settings)
        try:
            return await find_known_issues(
                signals, backend, playbook, route=route, limit=limit, now=_reference(request)
            )
        finally:
            await backend.aclose()

    result = anyio.run(run)
    if as_json:
        console.print_json(result.model_dump_json())
        return
    _render_match(result)


def _reference(request: "EscalationRequest") -> datetime:
    return request.ticket.created_at or datetime.now(UTC)


def _render_match(result: "KnownIssueCandidates") -> None:
    _backend_note(result.backend)
    console.print(
        f"route: {result.route or 'unknown'}  repositories: {', '.join(result.repos)}",
        highlight=False,
    )
    console.print("[bold]GitHub search terms used[/]")
    for search in result.searches:
        console.print(f"  {search.sent or search.text}", highlight=False, markup=False)
        console.print(f"    why: {search.reason}", style="dim", highlight=False, markup=False)
    if result.excluded:
        console.print(
            f"the ticket's own issue, never a match: {', '.join(result.excluded)}", highlight=False
        )
    for failure in result.errors:
        err_console.print(f"[yellow]search failed:[/] {failure}", highlight=False)
    if not result.candidates:
        console.print("no matching issue found")
        return
    console.print(
        f"listed as matching: confidence {result.listing_threshold:.0%} or more "
        f"({'lexical and dense' if result.dense else 'lexical'} ranking)",
        highlight=False,
    )
    for rank, candidate in enumerate(result.candidates, start=1):
        mark = "[green]listed[/] " if candidate.listed else ""
        console.print(
            f"[bold]{rank}. {candidate.confidence:.0%}  {candidate.key}[/] ({candidate.state}) "
            f"{mark}— {candidate.title}",
            highlight=False,
        )
        console.print(f"   {candidate.url}", style="cyan", highlight=False)
        console.print(f"   why: {'; '.join(candidate.reasons)}", highlight=False, markup=False)
        for pr in candidate.related_prs:
            console.print(
                f"   related PR: {pr.key} ({pr.state}) — {pr.title}", highlight=False, markup=False
            )


def _parse_since(value: str) -> datetime:
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise InputError(
                f"--since '{value}' is not a date", "use YYYY-MM-DD, e.g. --since 2026-01-01"
            ) from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime(parsed.year, parsed.month, parsed.day, tzinfo=UTC)


@issues_app.command("snapshot")
def snapshot_command(
    repos: Annotated[list[str], typer.Argument(help="owner/name repositories to fetch.")],
    since: Annotated[str, typer.Option("--since", help="Items updated on or after YYYY-MM-DD.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Output JSONL (default: DATA_DIR/issues/snapshot.jsonl)."),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", help="At most this many items per repository.")
    ] = 1000,
    duplicates: Annotated[
        bool,
        typer.Option(
            "--duplicates/--no-duplicates",
            help="Read the timeline of issues closed as duplicates to record their original.",
        ),
    ] = True,
) -> None:
    """Build an issue snapshot from the real GitHub API (GITHUB_TOKEN raises the limits):
    labels, state and state reason, the issue a duplicate points to, last update."""
    import anyio

    from ..tools.issues import GitHubIssues, build_snapshot

    started()
    moment = _parse_since(since)
    target = out or state.settings.data_dir / "issues" / "snapshot.jsonl"
    settings = state.settings

    async def run() -> int:
        client = GitHubIssues(settings.github_token)
        try:
            records = await build_snapshot(
                client,
                repos,
                since=moment,
                out=target,
                limit_per_repo=limit,
                duplicates=duplicates,
                progress=lambda repo, n: err_console.print(
                    f"[dim]{repo}: {n} issues and PRs[/]", highlight=False
                ),
            )
        finally:
            await client.aclose()
        return len(records)

    count = anyio.run(run)
    console.print(
        f"[green]wrote[/] {count} records to {target} "
        f"(use it with POSTHOG_ESCALATION_ISSUES_SNAPSHOT={target})",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add the ``issues`` command group to ``app``."""
    app.add_typer(issues_app, name="issues")
