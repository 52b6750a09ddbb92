"""The MCP server's evidence tools: HogQL, the impact summary, docs and issue search.

Every successful call is recorded in the evidence log of the caller's session
(``Runtime.record``) and the answer names the evidence id, so an escalation can cite it.
Searches of the bundled issue snapshot and of the docs run off the event loop.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, ToolAnnotations

from ..errors import EscalationError
from ..models import Evidence, SourceKind, Ticket, TriageReport
from ..tables import pipe_table
from ..tools.hogql.output import MAX_ROWS, bound_cell
from .offload import in_thread, loop_free, on_own_loop
from .results import (
    DocsSearchResult,
    HogQLQueryResult,
    ImpactResult,
    IssueSearchToolResult,
    KnownIssuesResult,
)
from .runtime import Runtime
from .tooling import (
    DEFAULT_ROWS,
    DOCS_DEPTH,
    MAX_CANDIDATES,
    MAX_DAYS,
    MAX_DOCS,
    MAX_ISSUES,
    MAX_REPOS,
    MAX_TABLE_ROWS,
    QUERY_CHARS,
    READ_ONLY,
    REQUEST_HINT,
    SEARCH_CHARS,
    TABLE_CELL,
    TEXT_ROWS,
    TIME_CHARS,
    TicketArg,
    ToolBox,
    TriageArg,
    answer,
    choice_arg,
    evidence_line,
    fixable,
    in_range,
    int_arg,
    names_arg,
    request_of,
    short_hit,
    text_arg,
    validated,
    when,
)

if TYPE_CHECKING:
    from ..tools.docs.models import DocHit
    from ..tools.hogql.models import HogQLResponse, ImpactSummary
    from ..tools.hogql.remote import RemotePostHog
    from ..tools.issues.models import IssueSearchResult, KnownIssueCandidates

Recorder = Callable[..., Evidence]
"""``Runtime.record`` bound to the calling request's session."""


def _config_notes(runtime: Runtime, hogql: Any) -> list[str]:
    from ..tools.hogql.local import LocalHogQL

    settings = runtime.settings
    if not isinstance(hogql, LocalHogQL):
        return []
    if settings.posthog_api_key is not None and not settings.posthog_project_id:
        return [
            "POSTHOG_API_KEY is set but POSTHOG_PROJECT_ID is not, so this ran on the embedded "
            "demo world: set POSTHOG_PROJECT_ID to query the real project"
        ]
    if settings.posthog_project_id and settings.posthog_api_key is None:
        return [
            "POSTHOG_PROJECT_ID is set but POSTHOG_API_KEY is not, so this ran on the embedded "
            "demo world: set POSTHOG_API_KEY (a personal key with query:read)"
        ]
    return []


def evidence_tools(runtime: Runtime) -> list[Tool]:
    """The evidence tools: HogQL, the impact summary, docs and issue search."""
    box = ToolBox()
    hogql_world = ToolAnnotations(open_world_hint=runtime.hogql_is_remote, **READ_ONLY)
    github_world = ToolAnnotations(open_world_hint=runtime.issues_are_remote, **READ_ONLY)

    def recorder(ctx: Context) -> Recorder:
        return functools.partial(runtime.record, request_of(ctx))

    @box.tool(
        name="hogql_query",
        title="Run a HogQL query",
        annotations=hogql_world,
        description=(
            "One read-only HogQL SELECT: rows, the HogQL run, an evidence id. Runs on the "
            "customer's project (POSTHOG_PROJECT_ID: their persons, sessions, SDK versions; "
            "$group_0 is their own group type, so count no organizations there), else on the "
            "cross-customer one (POSTHOG_CROSS_CUSTOMER_PROJECT_ID, or the demo world), where "
            "$group_0 is the organization: count orgs hit there; with neither, leave the org "
            "count out. Tables: events, persons, groups, sessions, system.ingestion_warnings. "
            "Aggregate. Next: cite the evidence id."
        ),
    )
    async def hogql_query(
        ctx: Context,
        query: Annotated[str, text_arg("One HogQL SELECT.", QUERY_CHARS)],
        limit: Annotated[
            int | None, int_arg("Rows if the query has no LIMIT (default 100).", 1, MAX_ROWS)
        ] = None,
        offset: Annotated[int, int_arg("Rows to skip if no LIMIT.", 0)] = 0,
        project_id: Annotated[
            str | None, text_arg("Another PostHog project's id (default: configured).", 20)
        ] = None,
    ) -> Annotated[CallToolResult, HogQLQueryResult]:
        if limit is not None:
            in_range("limit", limit, 1, MAX_ROWS, "aggregate in HogQL (count(), GROUP BY) or page")
        if offset < 0:
            raise ToolError(f"offset {offset} is negative — use 0 or more")
        if project_id is not None and not project_id.strip().isdigit():
            raise ToolError(
                f"project_id '{project_id}' is not a project id — pass the number in the "
                "project's URL (https://us.posthog.com/project/<id>)"
            )
        with fixable(runtime):
            backends = await runtime.backends()
            backend: Any = backends.hogql
            notes = _config_notes(runtime, backend)
            own_limit = _has_own_limit(query)
            if own_limit and (limit is not None or offset):
                notes.append("the query has its own LIMIT, so limit/offset were not applied")
            from ..tools.hogql.remote import RemotePostHog

            temporary: RemotePostHog | None = None
            wanted = project_id.strip() if project_id else None
            if wanted and isinstance(backend, RemotePostHog):
                if wanted != str(runtime.settings.posthog_project_id):
                    temporary = runtime.remote_for(wanted)
                    backend = temporary
            elif wanted:
                notes.append(
                    f"project_id {wanted} was not used: the embedded world has one project"
                )
            try:
                response = await backend.query(
                    query,
                    limit=None if own_limit else (limit or DEFAULT_ROWS),
                    offset=offset,
                    max_rows=MAX_ROWS,
                )
                where = backend.description
            finally:
                if temporary is not None:
                    await temporary.aclose()
        return _hogql_answer(recorder(ctx), query, response, where, own_limit, offset, notes)

    @box.tool(
        name="impact_summary",
        title="Quantify an error's impact",
        annotations=hogql_world,
        description=(
            "Quantify one problem signature (on hogql_query's project): affected events, orgs, "
            "persons, sessions, first/last seen, SDK versions (where it starts), browser/OS, "
            "each with its HogQL, under one evidence id. Shares count since the first matching "
            "event, the days before as baseline; the trend is a stated test on daily counts. "
            "Use it first. Next: cite it in Impact."
        ),
    )
    async def impact_summary_tool(
        ctx: Context,
        signature: Annotated[
            str,
            text_arg(
                "A HogQL condition over events, e.g. properties.$exception_message "
                "ILIKE '%adoptedStyleSheets%'.",
                QUERY_CHARS,
            ),
        ],
        since: Annotated[
            str | None,
            text_arg("Window start: ISO time or offset like -7d.", TIME_CHARS),
        ] = None,
        until: Annotated[
            str | None,
            text_arg("Window end (exclusive; default now).", TIME_CHARS),
        ] = None,
        limit: Annotated[int, int_arg("Rows per table.", 1, MAX_TABLE_ROWS)] = 10,
    ) -> Annotated[CallToolResult, ImpactResult]:
        in_range("limit", limit, 1, MAX_TABLE_ROWS)
        with fixable(runtime):
            backends = await runtime.backends()
            from ..tools.hogql.impact import impact_summary

            cross = backends.projects.cross_customer
            project = cross or backends.projects.customer
            backend = project.backend if project is not None else backends.hogql
            summary = await impact_summary(
                backend,
                signature,
                since=since,
                until=until,
                cross_customer=project.cross_customer if project is not None else True,
            )
            notes = _config_notes(runtime, backend)
            if project is not None and not project.cross_customer:
                notes.append(
                    f"measured in {project.label}: no cross-customer project is configured, "
                    "so the number of organizations is left out"
                )
        return _impact_answer(recorder(ctx), summary, limit, notes)

    @box.tool(
        name="docs_search",
        title="Search PostHog's docs",
        annotations=ToolAnnotations(open_world_hint=False, **READ_ONLY),
        description=(
            "Search PostHog's docs: best sections with URL and snippet, and an evidence id. "
            "For expected behaviour, and to rule out documented behaviour that looks like a "
            "bug (ad blockers, replay masking, serverless flushing). Next: cite it."
        ),
    )
    async def docs_search(
        ctx: Context,
        query: Annotated[str, text_arg("A question, error text or keywords.", SEARCH_CHARS)],
        area: Annotated[str | None, text_arg("Only this area, e.g. session-replay.")] = None,
        limit: Annotated[int, int_arg("Sections to return.", 1, MAX_DOCS)] = 5,
        offset: Annotated[int, int_arg("Sections to skip.", 0, DOCS_DEPTH - 1)] = 0,
    ) -> Annotated[CallToolResult, DocsSearchResult]:
        in_range("limit", limit, 1, MAX_DOCS)
        in_range("offset", offset, 0, DOCS_DEPTH - limit, f"at most {DOCS_DEPTH} ranks are kept")
        with fixable(runtime):
            backends = await runtime.backends()
            hits = await in_thread(
                functools.partial(backends.docs.search, query, area=area, limit=offset + limit)
            )
        return _docs_answer(recorder(ctx), query, area, hits, offset, limit)

    @box.tool(
        name="github_issue_search",
        title="Search GitHub issues",
        annotations=github_world,
        description=(
            "Search PostHog's GitHub issues (GitHub syntax; a bundled snapshot without "
            "GITHUB_TOKEN): state, labels, snippet, the search sent, an evidence id. Use the "
            "exact error string and the SDK's repository. Next: list matches under Known "
            "issue match."
        ),
    )
    async def github_issue_search(
        ctx: Context,
        query: Annotated[str, text_arg("Search text (GitHub issue search syntax).", SEARCH_CHARS)],
        repos: Annotated[
            list[str] | None, names_arg("Repositories as owner/name.", MAX_REPOS)
        ] = None,
        state: Annotated[
            Literal["open", "closed", "all"] | None,
            choice_arg("Issue state (default all).", "open", "closed", "all"),
        ] = None,
        limit: Annotated[int, int_arg("Issues to return.", 1, MAX_ISSUES)] = 10,
    ) -> Annotated[CallToolResult, IssueSearchToolResult]:
        in_range("limit", limit, 1, MAX_ISSUES)
        if not query.strip():
            raise ToolError("query is empty — pass the error text or keywords to search for")
        with fixable(runtime):
            backends = await runtime.backends()
            issues = backends.issues

            async def search() -> IssueSearchResult:
                return await issues.search(query, repos=repos, state=state, limit=limit)

            result = await (on_own_loop(search) if loop_free(issues) else search())
        return _issues_answer(recorder(ctx), result, _issue_notes(issues))

    @box.tool(
        name="find_known_issues",
        title="Find known issues for a ticket",
        annotations=github_world,
        description=(
            "Rank likely duplicates of a ticket (searched by its error, SDK, version and "
            "symptoms in its route's repositories): reasons, related PRs, searches sent, an "
            "evidence id; `known_issues` is the template's section. Next: "
            "github_issue_search with the exact error."
        ),
    )
    async def find_known_issues(
        ctx: Context,
        ticket: TicketArg,
        triage_report: TriageArg = None,
        route: Annotated[str | None, text_arg("Playbook route key (default: guessed).")] = None,
        limit: Annotated[int, int_arg("Candidates to return.", 1, MAX_CANDIDATES)] = 5,
    ) -> Annotated[CallToolResult, KnownIssuesResult]:
        in_range("limit", limit, 1, MAX_CANDIDATES)
        parsed = validated(ticket, Ticket, "ticket", REQUEST_HINT)
        triage = (
            validated(triage_report, TriageReport, "triage_report", REQUEST_HINT)
            if triage_report is not None
            else None
        )
        with fixable(runtime):
            if route is not None:
                runtime.playbook.route(route)
            backends = await runtime.backends()
            issues = backends.issues
            now = backends.hogql.now

            from ..tools.issues.dedupe import find_known_issues as rank_known_issues
            from ..understanding import extract_signals

            async def rank() -> KnownIssueCandidates:
                signals = extract_signals(parsed, triage)
                return await rank_known_issues(
                    signals, issues, runtime.playbook, route=route, limit=limit, now=now
                )

            known = await (on_own_loop(rank) if loop_free(issues) else rank())
        return _known_answer(recorder(ctx), known, _issue_notes(issues))

    return box.tools


def _has_own_limit(query: str) -> bool:
    try:
        from ..tools.hogql.translate import has_limit

        return has_limit(query)
    except EscalationError:
        return False


def _finding_for_rows(columns: list[str], rows: list[list[Any]], has_more: bool) -> str:
    if not rows:
        return "The query returned no rows"
    if len(rows) == 1:
        pairs = ", ".join(f"{c}={v}" for c, v in zip(columns, rows[0], strict=False))
        text = f"One row: {pairs}"
        return text if len(text) <= 240 else text[:239] + "…"
    more = " (more available)" if has_more else ""
    return f"{len(rows)} rows{more}; columns: {', '.join(columns)}"


def _figures(columns: list[str], rows: list[list[Any]]) -> dict[str, float]:
    if len(rows) != 1:
        return {}
    return {
        column: float(value)
        for column, value in zip(columns, rows[0], strict=False)
        if isinstance(value, int | float) and not isinstance(value, bool)
    }


IDENTIFYING_COLUMN = re.compile(r"name|org|email|distinct_id|person|group|key|user", re.IGNORECASE)


def identifying_cells(columns: list[str], rows: list[list[Any]]) -> list[str]:
    """Text values in columns that name organizations or people (``name``, ``org``,
    ``email``, ``distinct_id``, ...): the public flavour replaces them."""
    wanted = [i for i, column in enumerate(columns) if IDENTIFYING_COLUMN.search(column)]
    found = {
        str(row[i]).strip()
        for row in rows
        for i in wanted
        if i < len(row) and isinstance(row[i], str) and len(row[i].strip()) >= 3
    }
    return sorted(found)


def _hogql_answer(
    record: Recorder,
    query: str,
    response: HogQLResponse,
    where: str,
    own_limit: bool,
    offset: int,
    notes: list[str],
) -> CallToolResult:
    rows = response.results
    has_more = response.hasMore
    if len(rows) > MAX_ROWS:
        rows, has_more = rows[:MAX_ROWS], True
    if own_limit and has_more and len(rows) >= MAX_ROWS:
        notes.append(f"cut to {MAX_ROWS} rows: lower the query's LIMIT or aggregate")
    cut = 0
    bounded: list[list[Any]] = []
    for row in rows:
        cells = []
        for value in row:
            kept, was_cut = bound_cell(value)
            cut += was_cut
            cells.append(kept)
        bounded.append(cells)
    ran = response.hogql or query
    next_offset = offset + len(rows) if has_more and not own_limit else None
    table = pipe_table(response.columns, bounded, max_rows=20)
    item = record(
        SourceKind.HOGQL,
        ran,
        _finding_for_rows(response.columns, bounded, has_more),
        result=f"{where}\n{table}",
        figures=_figures(response.columns, bounded),
        private_terms=identifying_cells(response.columns, bounded),
    )
    model = HogQLQueryResult(
        evidence_id=item.id,
        backend=where,
        hogql=ran,
        columns=response.columns,
        types=response.types,
        results=bounded,
        hasMore=has_more,
        limit=response.limit,
        offset=response.offset,
        clickhouse=response.clickhouse,
        timings=response.timings,
        next_offset=next_offset,
        cells_cut=cut,
        notes=notes,
    )
    shown_limit = response.limit if response.limit is not None else len(rows)
    applied = "" if own_limit else f" (LIMIT {shown_limit} OFFSET {offset})"
    lines = [
        evidence_line(item.id, f"{len(rows)} row(s) from {where}"),
        "",
        f"HogQL run{applied}:",
        "```sql",
        ran.strip(),
        "```",
        "",
        pipe_table(response.columns, bounded, max_rows=TEXT_ROWS, max_cell=TABLE_CELL),
    ]
    if next_offset is not None:
        lines.append(f"More rows: call hogql_query again with offset={next_offset}.")
    elif has_more:
        lines.append("More rows exist beyond the query's LIMIT: aggregate or add OFFSET.")
    lines += [f"Note: {note}" for note in notes]
    return answer(model, "\n".join(lines))


def _impact_finding(summary: ImpactSummary) -> str:
    if not summary.affected_events:
        return (
            f"No events match the signature between {when(summary.since)} and {when(summary.until)}"
        )
    text = (
        f"{summary.affected_events} events matching the signature from "
        f"{summary.affected_orgs} organizations and {summary.affected_persons} persons "
        f"({summary.affected_sessions} sessions) between {when(summary.since)} and "
        f"{when(summary.until)}; first seen {when(summary.first_seen)}; daily count "
        f"{'growing' if summary.growing else 'not growing'}"
    )
    if summary.starts_in_version:
        text += f"; starts in {summary.starts_in_version}"
    return text


def _impact_answer(
    record: Recorder, summary: ImpactSummary, limit: int, notes: list[str]
) -> CallToolResult:
    from ..tools.hogql.impact import impact_queries

    queries = impact_queries(summary.signature, summary.since, summary.until, summary.first_seen)
    by_text = {text: name for name, text in queries.items()}
    figure_queries = {f.name: by_text.get(f.hogql, "") for f in summary.figures}
    left_out: dict[str, int] = {}

    def bounded(name: str, items: list[Any], keep: int, *, latest: bool = False) -> list[Any]:
        if len(items) > keep:
            left_out[name] = len(items) - keep
            return items[-keep:] if latest else items[:keep]
        return items

    figures = {
        "events": float(summary.affected_events),
        "affected_orgs": float(summary.affected_orgs),
        "affected_persons": float(summary.affected_persons),
        "affected_sessions": float(summary.affected_sessions),
    }
    if summary.growth_ratio is not None:
        figures["growth_ratio"] = float(summary.growth_ratio)
    if summary.session_share is not None:
        figures["session_share"] = float(summary.session_share)
    figure_lines = _impact_lines(summary)
    item = record(
        SourceKind.HOGQL,
        "\n\n".join(f"-- {name}\n{text}" for name, text in queries.items()),
        _impact_finding(summary),
        result="\n".join(figure_lines),
        figures=figures,
        private_terms=[
            term
            for org in summary.top_orgs
            for term in (org.name, org.key)
            if term and len(term) >= 3
        ],
    )
    model = ImpactResult(
        evidence_id=item.id,
        backend=summary.backend,
        signature=summary.signature,
        since=summary.since,
        until=summary.until,
        affected_events=summary.affected_events,
        affected_orgs=summary.affected_orgs,
        affected_persons=summary.affected_persons,
        affected_sessions=summary.affected_sessions,
        first_seen=summary.first_seen,
        last_seen=summary.last_seen,
        growing=summary.growing,
        growth_ratio=summary.growth_ratio,
        starts_in_version=summary.starts_in_version,
        session_share=summary.session_share,
        top_orgs=bounded("top_orgs", summary.top_orgs, limit),
        events_per_day=bounded("events_per_day", summary.events_per_day, MAX_DAYS, latest=True),
        versions=bounded("versions", summary.versions, limit),
        environments=bounded("environments", summary.environments, limit),
        org_sessions=bounded("org_sessions", summary.org_sessions, limit),
        queries=queries,
        figure_queries=figure_queries,
        left_out=left_out,
        errors=summary.errors,
        notes=notes,
    )
    lines = [
        evidence_line(item.id, f"impact of `{summary.signature}` on {summary.backend}"),
        "",
        *figure_lines,
    ]
    tables = [
        (
            "Top organizations",
            ["org", "name", "plan", "events", "persons"],
            [[o.key, o.name, o.plan, o.events, o.persons] for o in model.top_orgs],
        ),
        (
            "Versions",
            ["lib", "version", "affected", "all", "share of affected"],
            [
                [v.lib, v.version, v.affected_events, v.all_events, f"{v.share_of_affected:.0%}"]
                for v in model.versions
            ],
        ),
        (
            "Browser / OS",
            ["browser", "os", "affected", "all", "share of affected"],
            [
                [e.browser, e.os, e.affected_events, e.all_events, f"{e.share_of_affected:.0%}"]
                for e in model.environments
            ],
        ),
        (
            "Events per day",
            ["day", "events", "persons", "orgs"],
            [[d.day.isoformat(), d.events, d.persons, d.orgs] for d in model.events_per_day],
        ),
    ]
    for title, columns, rows in tables:
        if rows:
            lines += ["", f"{title}:", pipe_table(columns, rows, max_rows=MAX_DAYS)]
    if left_out:
        lines += [
            "",
            "Left out to stay short: "
            + ", ".join(f"{n} more {name}" for name, n in left_out.items())
            + " (raise limit, up to 50).",
        ]
    lines += [f"Failed: {error}" for error in summary.errors]
    lines += [f"Note: {note}" for note in notes]
    lines += ["", "HogQL behind each figure:"]
    for name, text in queries.items():
        lines += [f"-- {name}", "```sql", text, "```"]
    return answer(model, "\n".join(lines))


def _impact_lines(summary: ImpactSummary) -> list[str]:
    lines = [
        f"- affected events: {summary.affected_events}",
        f"- affected organizations: {summary.affected_orgs}",
        f"- affected persons: {summary.affected_persons}",
        f"- affected sessions: {summary.affected_sessions}",
        f"- window: {when(summary.since)} to {when(summary.until)}",
        f"- first seen: {when(summary.first_seen)}; last seen: {when(summary.last_seen)}",
    ]
    ratio = f" (late/early ratio {summary.growth_ratio})" if summary.growth_ratio else ""
    lines.append(f"- trend: {'growing' if summary.growing else 'not growing'}{ratio}")
    if summary.starts_in_version:
        lines.append(f"- starts in version: {summary.starts_in_version}")
    if summary.session_share is not None:
        lines.append(
            f"- share of the affected organizations' sessions: {summary.session_share:.1%}"
        )
    return lines


def _docs_answer(
    record: Recorder,
    query: str,
    area: str | None,
    hits: list[DocHit],
    offset: int,
    limit: int,
) -> CallToolResult:
    page = hits[offset : offset + limit]
    full = len(hits) == offset + limit and offset + 2 * limit <= DOCS_DEPTH
    next_offset = offset + limit if full else None
    asked = query if area is None else f"{query} (area: {area})"
    if page:
        top = page[0]
        finding = f"Docs: {top.breadcrumb} — {' '.join(top.snippet.split())[:180]}"
    else:
        finding = "No docs section matched the query"
    rows = [[offset + n, h.breadcrumb, h.url, h.snippet] for n, h in enumerate(page, start=1)]
    item = record(
        SourceKind.DOCS,
        asked,
        finding,
        result="\n".join(f"{h.breadcrumb} — {h.url}\n  {h.snippet}" for h in page),
        url=page[0].url if page else None,
    )
    model = DocsSearchResult(
        evidence_id=item.id,
        query=query,
        area=area,
        hits=page,
        offset=offset,
        next_offset=next_offset,
    )
    lines = [evidence_line(item.id, f"{len(page)} docs section(s) for '{query[:120]}'")]
    if rows:
        lines += ["", pipe_table(["#", "section", "url", "snippet"], rows, max_cell=300)]
    if next_offset is not None:
        lines.append(f"More sections: call docs_search again with offset={next_offset}.")
    return answer(model, "\n".join(lines))


def _issue_notes(issues: Any) -> list[str]:
    from ..tools.issues.local import LocalIssues

    if isinstance(issues, LocalIssues):
        return [
            "searched the bundled issue snapshot (no GITHUB_TOKEN): set GITHUB_TOKEN to "
            "search GitHub live"
        ]
    return []


def _issues_answer(record: Recorder, result: IssueSearchResult, notes: list[str]) -> CallToolResult:
    hits = [short_hit(h) for h in result.hits]
    if hits:
        top = hits[0]
        finding = (
            f"{result.total_count} matching issue(s); top: {top.key} '{top.title}' ({top.state})"
        )
    else:
        finding = "No issue matched the search"
    rows = [[h.key, h.state, h.title, h.url] for h in hits]
    item = record(
        SourceKind.GITHUB,
        "\n".join(result.queries),
        finding,
        result=pipe_table(["issue", "state", "title", "url"], rows, max_rows=30),
        url=hits[0].url if hits else None,
    )
    model = IssueSearchToolResult(
        evidence_id=item.id,
        backend=result.backend,
        queries=result.queries,
        total_count=result.total_count,
        incomplete=result.incomplete,
        hits=hits,
        notes=notes,
    )
    lines = [
        evidence_line(item.id, f"{len(hits)} of {result.total_count} matching issue(s)"),
        "Search sent: " + " | ".join(f"`{q}`" for q in result.queries),
    ]
    if rows:
        lines += ["", pipe_table(["issue", "state", "title", "url"], rows, max_rows=MAX_ISSUES)]
    if result.total_count > len(hits):
        lines.append("More matches exist: narrow the query or raise limit (max 30).")
    lines += [f"Note: {note}" for note in notes]
    return answer(model, "\n".join(lines))


def _known_answer(
    record: Recorder, known: KnownIssueCandidates, notes: list[str]
) -> CallToolResult:
    candidates = [
        c.model_copy(update={"related_prs": [short_hit(p) for p in c.related_prs]})
        for c in known.candidates
    ]
    prs = [short_hit(p) for p in known.related_prs]
    from ..evidence import MATCH_CONFIDENCE

    strong = [c for c in candidates if c.confidence >= MATCH_CONFIDENCE]
    if strong:
        best = strong[0]
        finding = (
            f"{len(strong)} likely match(es); best {best.key} '{best.title}' ({best.state}, "
            f"confidence {best.confidence:.2f})"
        )
    else:
        finding = f"No known issue matched ({len(known.search_terms)} searches)"
    rows = [
        [c.key, c.state, f"{c.confidence:.2f}", c.title, "; ".join(c.reasons[:2])]
        for c in candidates
    ]
    item = record(
        SourceKind.GITHUB,
        "\n".join(known.search_terms),
        finding,
        result=pipe_table(["issue", "state", "confidence", "title", "reasons"], rows)
        if rows
        else "no results",
        url=strong[0].url if strong else None,
    )
    match = known.to_known_issue_match(min_confidence=MATCH_CONFIDENCE, evidence=item.id)
    model = KnownIssuesResult(
        evidence_id=item.id,
        backend=known.backend,
        route=known.route,
        repos=known.repos,
        search_terms=known.search_terms,
        candidates=candidates,
        related_prs=prs,
        known_issues=match,
        errors=known.errors,
        notes=notes,
    )
    lines = [
        evidence_line(item.id, finding),
        f"Route: {known.route or 'unknown'}; repositories: {', '.join(known.repos) or 'none'}",
        "Searches sent: " + " | ".join(f"`{t}`" for t in known.search_terms),
    ]
    if rows:
        lines += [
            "",
            pipe_table(["issue", "state", "confidence", "title", "reasons"], rows, max_cell=160),
        ]
    if prs:
        lines += ["", "Related PRs:"]
        lines += [f"- {p.key} [{p.state}] {p.title} — {p.url}" for p in prs]
    lines += [f"Failed search: {error}" for error in known.errors]
    lines += [f"Note: {note}" for note in notes]
    return answer(model, "\n".join(lines))
