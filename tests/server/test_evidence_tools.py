"""The MCP evidence tools, driven in-process with the SDK's client on the demo backends.

Every number is checked against a direct query on the demo world or the world's ground
truth; every successful call must land in the evidence log under the id it names.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult
from pydantic import SecretStr

from mcp_calls import tool_settings
from posthog_escalation.backends import Backends
from posthog_escalation.config import Settings
from posthog_escalation.evidence_log import EvidenceLog
from posthog_escalation.models import EscalationRequest, Evidence, SourceKind
from posthog_escalation.server import build_server
from posthog_escalation.tables import CUT
from posthog_escalation.tools.docs import DocsIndex
from posthog_escalation.tools.hogql import HogQLResponse, LocalHogQL
from posthog_escalation.tools.hogql.output import MAX_CELL_CHARS, MAX_ROWS

SIGNATURE = "event = '$exception' AND properties.$exception_message ILIKE '%adoptedStyleSheets%'"
PRIOR = [
    Evidence(
        id="E1",
        source=SourceKind.TICKET,
        query="ticket",
        finding="prefetched",
        collected_at="2026-11-20T12:00:00Z",
    )
]


@pytest.fixture
def log() -> EvidenceLog:
    return EvidenceLog(list(PRIOR))


@pytest.fixture
def server(hogql_settings: Settings, demo_backends: Backends, log: EvidenceLog) -> MCPServer:
    return build_server(settings=hogql_settings, backends=demo_backends, evidence=log)


async def call(server: MCPServer, name: str, arguments: dict[str, Any]) -> CallToolResult:
    async with Client(server) as client:
        return await client.call_tool(name, arguments)


def text(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def ok(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text(result)
    assert result.structured_content is not None
    return result.structured_content


# -- hogql_query ---------------------------------------------------------------------------


async def test_hogql_query_counts_match_a_direct_query_on_the_demo_world(
    server: MCPServer, demo_world: LocalHogQL
) -> None:
    query = "SELECT event, count() AS n FROM events GROUP BY event ORDER BY n DESC, event"
    direct = await demo_world.query(query)
    data = ok(await call(server, "hogql_query", {"query": query}))
    assert data["columns"] == ["event", "n"]
    assert data["results"] == direct.results
    total = await call(server, "hogql_query", {"query": "SELECT count() AS n FROM events"})
    assert ok(total)["results"] == [[demo_world.ground_truth().totals.events]]


async def test_hogql_query_shows_the_hogql_run_and_a_pipe_table(server: MCPServer) -> None:
    query = "SELECT properties.$lib AS lib, count() AS n FROM events GROUP BY lib ORDER BY lib"
    result = await call(server, "hogql_query", {"query": query})
    data = ok(result)
    assert data["hogql"] == query
    body = text(result)
    assert query in body
    assert "lib | n" in body
    assert "LIMIT 100 OFFSET 0" in body


async def test_hogql_query_records_evidence_under_the_id_it_names(
    server: MCPServer, log: EvidenceLog
) -> None:
    query = "SELECT count() AS exceptions FROM events WHERE event = '$exception'"
    result = await call(server, "hogql_query", {"query": query})
    data = ok(result)
    assert data["evidence_id"] == "E2"
    assert "E2" in text(result)
    item = log.get("E2")
    assert item is not None and item.source is SourceKind.HOGQL
    assert item.query == query
    assert item.figures["exceptions"] == data["results"][0][0]


async def test_hogql_query_pages_with_limit_and_offset(
    server: MCPServer, demo_world: LocalHogQL
) -> None:
    query = "SELECT uuid FROM events ORDER BY timestamp, uuid"
    first = ok(await call(server, "hogql_query", {"query": query, "limit": 5}))
    assert len(first["results"]) == 5 and first["hasMore"] and first["next_offset"] == 5
    second = ok(await call(server, "hogql_query", {"query": query, "limit": 5, "offset": 5}))
    direct = await demo_world.query(query + " LIMIT 10")
    assert first["results"] + second["results"] == direct.results


async def test_hogql_query_cuts_long_cells_with_a_marker(server: MCPServer) -> None:
    result = await call(server, "hogql_query", {"query": "SELECT repeat('x', 5000) AS long"})
    data = ok(result)
    cell = data["results"][0][0]
    assert len(cell) == MAX_CELL_CHARS and cell.endswith(CUT)
    assert data["cells_cut"] == 1
    table_line = text(result).split("\n\nlong\n", 1)[1].splitlines()[0]
    assert len(table_line) <= 80 and table_line.endswith(CUT)


async def test_hogql_query_cuts_a_large_own_limit_to_the_tool_bound(server: MCPServer) -> None:
    data = ok(await call(server, "hogql_query", {"query": "SELECT uuid FROM events LIMIT 1500"}))
    assert len(data["results"]) == MAX_ROWS
    assert data["hasMore"] and data["next_offset"] is None
    assert any("cut to 1000 rows" in note for note in data["notes"])


class CountingHogQL:
    """The demo world, recording what each query asked for and how many rows came back."""

    def __init__(self, world: LocalHogQL) -> None:
        self.world = world
        self.asked: list[dict[str, Any]] = []
        self.returned: list[int] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.world, name)

    async def query(self, hogql: str, **options: Any) -> HogQLResponse:
        self.asked.append(options)
        response = await self.world.query(hogql, **options)
        self.returned.append(len(response.results))
        return response


async def test_hogql_query_never_fetches_more_rows_than_it_can_return(
    hogql_settings: Settings, demo_backends: Backends, demo_world: LocalHogQL
) -> None:
    counting = CountingHogQL(demo_world)
    backends = Backends(
        hogql=counting,  # type: ignore[arg-type]
        docs=demo_backends.docs,
        issues=demo_backends.issues,
        incidents=demo_backends.incidents,
    )
    server = build_server(settings=hogql_settings, backends=backends)
    query = "SELECT uuid FROM events LIMIT 50000"
    data = ok(await call(server, "hogql_query", {"query": query}))
    assert counting.asked == [{"limit": None, "offset": 0, "max_rows": MAX_ROWS}]
    assert counting.returned == [MAX_ROWS]
    assert len(data["results"]) == MAX_ROWS and data["hasMore"]
    assert any("cut to 1000 rows" in note for note in data["notes"])


async def test_hogql_query_refuses_a_too_large_limit_with_the_fix(
    server: MCPServer, log: EvidenceLog
) -> None:
    result = await call(server, "hogql_query", {"query": "SELECT 1", "limit": 5000})
    assert result.is_error
    assert "limit 5000 is out of range — use 1 to 1000" in text(result)
    assert len(log.items) == len(PRIOR)


async def test_hogql_query_reports_bad_hogql_as_a_tool_error(
    server: MCPServer, log: EvidenceLog
) -> None:
    bad = await call(server, "hogql_query", {"query": "SELECT nope( FROM events"})
    assert bad.is_error and "hogql_query" in text(bad)
    unknown = await call(server, "hogql_query", {"query": "SELECT 1 FROM secrets_table"})
    assert unknown.is_error and "secrets_table" in text(unknown)
    write = await call(server, "hogql_query", {"query": "DROP TABLE events"})
    assert write.is_error and "SELECT" in text(write)
    assert len(log.items) == len(PRIOR)


async def test_hogql_query_rejects_a_project_id_that_is_not_a_number(server: MCPServer) -> None:
    result = await call(server, "hogql_query", {"query": "SELECT 1", "project_id": "acme"})
    assert result.is_error and "the number in the project's URL" in text(result)


async def test_hogql_query_says_project_id_is_not_used_on_the_embedded_world(
    server: MCPServer,
) -> None:
    data = ok(await call(server, "hogql_query", {"query": "SELECT 1 AS x", "project_id": "7"}))
    assert any("project_id 7 was not used" in note for note in data["notes"])


async def test_hogql_query_names_the_missing_project_id_when_only_a_key_is_set(
    demo_backends: Backends, hogql_home: Any
) -> None:
    settings = Settings(
        data_dir=hogql_home,
        posthog_api_key=SecretStr("phx_OnlyTheKeyIsSet123"),
        posthog_project_id=None,
        _env_file=None,
    )
    server = build_server(settings=settings, backends=demo_backends)
    result = await call(server, "hogql_query", {"query": "SELECT 1 AS x"})
    notes = ok(result)["notes"]
    assert any("set POSTHOG_PROJECT_ID" in note for note in notes)
    assert "phx_OnlyTheKeyIsSet123" not in text(result)


async def test_no_configured_secret_appears_in_a_result_or_the_evidence_log(
    demo_backends: Backends, hogql_home: Any
) -> None:
    secret = "phx_SecretKeyThatMustNeverLeave42"
    settings = Settings(
        data_dir=hogql_home,
        backend="local",
        posthog_api_key=SecretStr(secret),
        _env_file=None,
    )
    log = EvidenceLog()
    server = build_server(settings=settings, backends=demo_backends, evidence=log)
    result = await call(server, "hogql_query", {"query": f"SELECT '{secret}' AS echoed"})
    assert not result.is_error
    assert secret not in text(result) and "[redacted]" in text(result)
    assert secret not in str(result.structured_content)
    assert all(secret not in item.model_dump_json() for item in log.items)
    failed = await call(server, "hogql_query", {"query": f"SELECT {secret}( FROM events"})
    assert failed.is_error and secret not in text(failed)


# -- impact_summary --------------------------------------------------------------------------


async def test_impact_summary_matches_the_incidents_ground_truth(
    server: MCPServer, demo_world: LocalHogQL, log: EvidenceLog
) -> None:
    truth = demo_world.ground_truth().incidents["replay-safari-regression"]
    result = await call(server, "impact_summary", {"signature": SIGNATURE})
    data = ok(result)
    assert data["affected_orgs"] == truth.affected_orgs
    assert data["affected_persons"] == truth.affected_persons
    assert data["affected_events"] == truth.events
    assert data["affected_sessions"] == truth.affected_sessions
    assert {o["key"] for o in data["top_orgs"]} == set(truth.org_keys)
    assert data["starts_in_version"] == "web 1.201.0"
    item = log.get(data["evidence_id"])
    assert item is not None and item.figures["affected_orgs"] == truth.affected_orgs
    assert f"{truth.affected_orgs} organizations" in item.finding


async def test_impact_summary_names_the_hogql_behind_each_figure(server: MCPServer) -> None:
    result = await call(server, "impact_summary", {"signature": SIGNATURE})
    data = ok(result)
    assert set(data["queries"]) == {
        "totals",
        "top_orgs",
        "events_per_day",
        "versions",
        "environments",
        "org_sessions",
    }
    assert data["figure_queries"]["affected_orgs"] == "totals"
    assert data["figure_queries"]["starts_in_version"] == "versions"
    assert all("adoptedStyleSheets" in q for q in data["queries"].values())
    assert data["queries"]["totals"] in text(result)


async def test_impact_summary_bounds_its_tables(server: MCPServer, demo_world: LocalHogQL) -> None:
    truth = demo_world.ground_truth().incidents["replay-safari-regression"]
    data = ok(await call(server, "impact_summary", {"signature": SIGNATURE, "limit": 2}))
    assert len(data["top_orgs"]) == 2
    assert data["left_out"]["top_orgs"] == truth.affected_orgs - 2
    assert "raise limit" in text(await call(server, "impact_summary", {"signature": SIGNATURE}))


async def test_impact_summary_errors_name_the_fix(server: MCPServer, log: EvidenceLog) -> None:
    bad = await call(server, "impact_summary", {"signature": "event = = 'x'"})
    assert bad.is_error
    empty = await call(
        server,
        "impact_summary",
        {"signature": SIGNATURE, "since": "2026-11-20T00:00:00Z", "until": "2026-11-19"},
    )
    assert empty.is_error and "since must be before until" in text(empty)
    limit = await call(server, "impact_summary", {"signature": SIGNATURE, "limit": 0})
    assert limit.is_error and "limit 0 is out of range" in text(limit)
    assert len(log.items) == len(PRIOR)


# -- docs_search -----------------------------------------------------------------------------


async def test_docs_search_returns_ranked_sections_with_urls(
    server: MCPServer, shipped_docs: DocsIndex, log: EvidenceLog
) -> None:
    query = "session recordings are blank in Safari"
    result = await call(server, "docs_search", {"query": query, "limit": 3})
    data = ok(result)
    direct = shipped_docs.search(query, limit=3)
    assert [h["url"] for h in data["hits"]] == [h.url for h in direct]
    assert data["hits"][0]["url"].startswith("https://posthog.com/docs/session-replay")
    item = log.get(data["evidence_id"])
    assert item is not None and item.source is SourceKind.DOCS and item.url == direct[0].url
    assert direct[0].url in text(result)


async def test_docs_search_pages_with_offset(server: MCPServer, shipped_docs: DocsIndex) -> None:
    query = "feature flag evaluation"
    first = ok(await call(server, "docs_search", {"query": query, "limit": 3}))
    assert first["next_offset"] == 3
    second = ok(await call(server, "docs_search", {"query": query, "limit": 3, "offset": 3}))
    direct = shipped_docs.search(query, limit=6)
    assert [h["id"] for h in first["hits"] + second["hits"]] == [h.id for h in direct]


async def test_docs_search_lists_the_valid_areas_for_an_unknown_one(server: MCPServer) -> None:
    result = await call(server, "docs_search", {"query": "blank", "area": "replays"})
    assert result.is_error
    assert "unknown area 'replays'" in text(result) and "session-replay" in text(result)
    too_many = await call(server, "docs_search", {"query": "blank", "limit": 21})
    assert too_many.is_error and "use 1 to 20" in text(too_many)


# -- github_issue_search and find_known_issues ------------------------------------------------


async def test_github_issue_search_finds_the_known_issue_and_shows_the_search_sent(
    server: MCPServer, log: EvidenceLog
) -> None:
    result = await call(
        server,
        "github_issue_search",
        {"query": "adoptedStyleSheets", "repos": ["PostHog/posthog-js"], "state": "open"},
    )
    data = ok(result)
    assert [h["number"] for h in data["hits"]] == [2871]
    assert data["queries"] == [
        "adoptedStyleSheets is:issue in:title,body repo:PostHog/posthog-js state:open"
    ]
    assert data["queries"][0] in text(result)
    assert any("GITHUB_TOKEN" in note for note in data["notes"])
    item = log.get(data["evidence_id"])
    assert item is not None and item.query == data["queries"][0]


async def test_github_issue_search_bounds_issue_bodies(server: MCPServer) -> None:
    data = ok(await call(server, "github_issue_search", {"query": "replay", "limit": 30}))
    assert 0 < len(data["hits"]) <= 30
    assert all(len(h["body"]) <= 300 for h in data["hits"])


async def test_github_issue_search_errors_name_the_bad_argument(server: MCPServer) -> None:
    repo = await call(server, "github_issue_search", {"query": "x", "repos": ["posthog-js"]})
    assert repo.is_error and "owner/name" in text(repo)
    state = await call(server, "github_issue_search", {"query": "x", "state": "merged"})
    assert state.is_error and "state" in text(state)
    empty = await call(server, "github_issue_search", {"query": "  "})
    assert empty.is_error and "query is empty" in text(empty)


async def test_find_known_issues_ranks_the_demo_duplicate_first(
    server: MCPServer, demo_request: EscalationRequest, log: EvidenceLog
) -> None:
    result = await call(
        server,
        "find_known_issues",
        {
            "ticket": demo_request.ticket.model_dump(mode="json"),
            "triage_report": demo_request.triage.model_dump(mode="json"),
        },
    )
    data = ok(result)
    top = data["candidates"][0]
    assert (top["repo"], top["number"]) == ("PostHog/posthog-js", 2871)
    assert top["reasons"]
    assert data["route"] == "session_replay"
    match = data["known_issues"]
    assert match["search_terms"] == data["search_terms"]
    assert match["matching_issues"][0]["number"] == 2871
    assert match["matching_issues"][0]["evidence"] == data["evidence_id"]
    item = log.get(data["evidence_id"])
    assert item is not None and item.url == "https://github.com/PostHog/posthog-js/issues/2871"
    assert "PostHog/posthog-js#2871" in text(result)


async def test_find_known_issues_names_the_bad_ticket_field(server: MCPServer) -> None:
    result = await call(server, "find_known_issues", {"ticket": {"id": "ZD-1"}})
    assert result.is_error and "field 'subject' is required" in text(result)
    route = await call(
        server, "find_known_issues", {"ticket": {"id": "1", "subject": "x"}, "route": "replay"}
    )
    assert route.is_error and "unknown route 'replay'" in text(route)
    assert "session_replay" in text(route)


async def test_find_known_issues_accepts_a_ticket_sent_as_a_json_string(
    server: MCPServer, demo_request: EscalationRequest
) -> None:
    result = await call(
        server, "find_known_issues", {"ticket": demo_request.ticket.model_dump_json()}
    )
    assert ok(result)["candidates"][0]["number"] == 2871


# -- backends that cannot be opened -----------------------------------------------------------


async def test_evidence_tools_say_which_variable_to_set_when_backends_cannot_open(
    tmp_path: Any,
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        backend="remote",
        posthog_api_key=None,
        posthog_project_id=None,
        _env_file=None,
    )
    server = build_server(settings=settings)
    async with Client(server) as client:
        result = await client.call_tool("hogql_query", {"query": "SELECT 1"})
        docs = await client.call_tool("docs_search", {"query": "flags"})
        resources = await client.list_resources()
    assert result.is_error and docs.is_error
    assert "POSTHOG_API_KEY" in text(result) and "POSTHOG_PROJECT_ID" in text(result)
    assert "escalation://template" in {str(r.uri) for r in resources.resources}


def test_identifying_cells_picks_names_and_keys_not_numbers() -> None:
    from posthog_escalation.server.evidence_tools import identifying_cells

    columns = ["org", "name", "events", "browser"]
    rows = [["northwind-health", "Northwind Health", 12, "Safari"], ["ab", None, 3, "Chrome"]]
    assert identifying_cells(columns, rows) == ["Northwind Health", "northwind-health"]


async def test_impact_summary_on_the_customers_own_project_leaves_the_organizations_out(
    data_dir: Path, demo_backends: Backends, demo_world: LocalHogQL
) -> None:
    from posthog_escalation.backends import HogQLProjects, customer_project

    own = Backends(
        hogql=demo_world,
        docs=demo_backends.docs,
        issues=demo_backends.issues,
        incidents=demo_backends.incidents,
        projects=HogQLProjects(customer=customer_project(demo_world)),
    )
    server = build_server(settings=tool_settings(data_dir), backends=own)
    result = await call(server, "impact_summary", {"signature": SIGNATURE})
    data = ok(result)
    assert data["top_orgs"] == []
    assert "the number of organizations is left out" in text(result)
