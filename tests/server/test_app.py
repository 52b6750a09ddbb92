"""The MCP server as a client sees it: tools, prompt, resources, and backend lifetime."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel

from posthog_escalation.backends import Backends
from posthog_escalation.config import Settings
from posthog_escalation.models import Escalation, EscalationRequest
from posthog_escalation.playbook import default_playbook
from posthog_escalation.render import TEMPLATE_HEADINGS
from posthog_escalation.server import build_server, content, runtime
from posthog_escalation.tools.hogql import RemotePostHog
from posthog_escalation.tools.incidents import Incident

TOOLS = {
    "hogql_query",
    "impact_summary",
    "docs_search",
    "github_issue_search",
    "find_known_issues",
    "lint_escalation",
    "render_escalation",
    "list_followups",
    "record_followup",
    "file_escalation",
    "draft_escalation",
    "save_escalation",
}
WRITES = {"record_followup", "file_escalation", "draft_escalation", "save_escalation"}


@pytest.fixture
def server(hogql_settings: Settings, demo_backends: Backends) -> MCPServer:
    return build_server(settings=hogql_settings, backends=demo_backends)


async def test_the_server_lists_exactly_the_twelve_tools_with_output_schemas(
    server: MCPServer,
) -> None:
    async with Client(server) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    assert set(tools) == TOOLS
    for tool in tools.values():
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"
        assert tool.description and "Next:" in tool.description
        assert tool.annotations is not None
    assert "evidence_id" in tools["hogql_query"].output_schema["properties"]
    assert "escalation_id" in tools["draft_escalation"].output_schema["properties"]


async def test_the_hogql_tools_say_which_project_they_query_and_how_they_measure(
    server: MCPServer,
) -> None:
    async with Client(server) as client:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
    hogql = tools["hogql_query"].description or ""
    assert "POSTHOG_PROJECT_ID" in hogql and "POSTHOG_CROSS_CUSTOMER_PROJECT_ID" in hogql
    assert "count no organizations there" in hogql and "demo world" in hogql
    assert "leave the org count out" in hogql
    impact = tools["impact_summary"].description or ""
    assert "since the first matching event" in impact and "baseline" in impact
    assert "stated test on daily counts" in impact


async def test_annotations_mark_reads_writes_and_the_network(server: MCPServer) -> None:
    async with Client(server) as client:
        tools = {tool.name: tool.annotations for tool in (await client.list_tools()).tools}
    for name in TOOLS - WRITES:
        assert tools[name].read_only_hint is True and tools[name].idempotent_hint is True
        assert tools[name].open_world_hint is False
    for name in WRITES:
        assert tools[name].read_only_hint is False and tools[name].destructive_hint is False
    assert tools["record_followup"].open_world_hint is False
    assert tools["save_escalation"].open_world_hint is False
    assert tools["draft_escalation"].open_world_hint is False  # the embedded demo, no Claude
    filing = tools["file_escalation"]
    assert filing.read_only_hint is False and filing.open_world_hint is True
    assert filing.destructive_hint is False and filing.idempotent_hint is True


async def test_hogql_tools_are_open_world_when_hogql_goes_to_posthog(
    hogql_settings: Settings, demo_backends: Backends, remote_demo: RemotePostHog
) -> None:
    remote = Backends(
        hogql=remote_demo,
        docs=demo_backends.docs,
        issues=demo_backends.issues,
        incidents=demo_backends.incidents,
    )
    server = build_server(settings=hogql_settings, backends=remote)
    async with Client(server) as client:
        tools = {tool.name: tool.annotations for tool in (await client.list_tools()).tools}
        result = await client.call_tool("hogql_query", {"query": "SELECT count() AS n FROM events"})
    assert tools["hogql_query"].open_world_hint is True
    assert tools["impact_summary"].open_world_hint is True
    assert tools["docs_search"].open_world_hint is False
    assert not result.is_error
    assert result.structured_content["backend"].startswith("PostHog")


async def test_without_a_given_log_the_server_numbers_its_own_evidence(server: MCPServer) -> None:
    async with Client(server) as client:
        first = await client.call_tool("hogql_query", {"query": "SELECT 1 AS one"})
        second = await client.call_tool("docs_search", {"query": "feature flags"})
    assert first.structured_content["evidence_id"] == "E1"
    assert second.structured_content["evidence_id"] == "E2"


# -- the prompt ------------------------------------------------------------------------------


async def test_the_escalate_prompt_takes_a_ticket_and_an_optional_triage_report(
    server: MCPServer,
) -> None:
    async with Client(server) as client:
        prompts = (await client.list_prompts()).prompts
    assert [p.name for p in prompts] == ["escalate"]
    arguments = {a.name: a.required for a in prompts[0].arguments or []}
    assert arguments == {"ticket": True, "triage_report": False}


async def test_the_escalate_prompt_carries_the_skills_workflow_template_and_the_ticket(
    server: MCPServer, demo_request: EscalationRequest
) -> None:
    ticket = demo_request.ticket.model_dump_json()
    async with Client(server) as client:
        prompt = await client.get_prompt(
            "escalate", {"ticket": ticket, "triage_report": "decision: escalate_to_engineering"}
        )
    texts = [m.content.text for m in prompt.messages]
    assert [m.role for m in prompt.messages] == ["user", "user"]
    assert "### 2. Quantify the five dimensions" in texts[0]
    assert all(heading in texts[0] for heading in TEMPLATE_HEADINGS)
    assert "impact_summary" in texts[0] and "file_escalation" in texts[0]
    assert f"<untrusted_ticket>\n{ticket}\n</untrusted_ticket>" in texts[1]
    assert "save_escalation" in texts[1] and "Do not file anything" in texts[1]
    assert "decision: escalate_to_engineering" in texts[1]


async def test_the_prompt_falls_back_to_the_playbook_without_the_skill_folder(
    server: MCPServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.setattr(content, "SKILL_DIR", tmp_path)
    monkeypatch.setattr(content, "SKILL_PACKAGE", "posthog_escalation.no_such_skill")
    content.skill_text.cache_clear()
    try:
        async with Client(server) as client:
            prompt = await client.get_prompt("escalate", {"ticket": "Flags are slow"})
    finally:
        content.skill_text.cache_clear()
    first = prompt.messages[0].content.text
    assert all(step in first for step in default_playbook().escalate_steps)
    assert "## ESCALATION:" in first and "escalation://playbook" in first


# -- the resources ---------------------------------------------------------------------------


async def test_the_escalation_resources_and_the_skills_files_are_listed(
    server: MCPServer,
) -> None:
    async with Client(server) as client:
        resources = (await client.list_resources()).resources
    uris = {str(r.uri) for r in resources}
    assert {u for u in uris if u.startswith("escalation://")} == {
        "escalation://template",
        "escalation://playbook",
        "escalation://schema",
        "escalation://request-schema",
    }
    skill_files = {u for u in uris if u.startswith("skill://")}
    assert "skill://posthog-escalation/SKILL.md" in skill_files
    assert "skill://posthog-escalation/references/routing.md" in skill_files


async def test_the_template_resource_has_the_renderers_headings_in_order(
    server: MCPServer, example_escalation: Escalation
) -> None:
    async with Client(server) as client:
        text = (await client.read_resource("escalation://template")).contents[0].text
    skeleton = text.split("## A filled example", 1)[0]
    positions = [skeleton.index(heading) for heading in TEMPLATE_HEADINGS]
    assert positions == sorted(positions)
    assert example_escalation.summary in text


async def test_the_playbook_resource_has_routing_rubric_cadence_and_close_criteria(
    server: MCPServer,
) -> None:
    book = default_playbook()
    async with Client(server) as client:
        contents = (await client.read_resource("escalation://playbook")).contents[0]
    text = contents.text
    assert contents.mime_type == "text/markdown"
    assert all(route.team in text for route in book.routes.values())
    assert all(f"`{c.id}`" in text for c in book.close_criteria)
    assert all(
        criterion in text for level in book.severity.values() for criterion in level.criteria
    )
    assert "every 4-8 hours" in text
    assert "Generated from playbook.toml" not in text


def _undescribed(schema: dict[str, Any]) -> list[str]:
    """Properties of ``schema`` and its ``$defs`` without a description."""
    found = []
    for name, node in [("", schema), *schema.get("$defs", {}).items()]:
        for prop, value in node.get("properties", {}).items():
            if not value.get("description"):
                found.append(f"{name}.{prop}")
    return found


def _descriptions(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["description"]] if isinstance(node.get("description"), str) else []
        return own + [d for value in node.values() for d in _descriptions(value)]
    if isinstance(node, list):
        return [d for item in node for d in _descriptions(item)]
    return []


async def test_the_schema_resource_is_the_escalation_json_schema(server: MCPServer) -> None:
    async with Client(server) as client:
        text = (await client.read_resource("escalation://schema")).contents[0].text
    assert json.loads(text) == Escalation.model_json_schema()


@pytest.mark.parametrize(
    ("uri", "model"),
    [("escalation://schema", Escalation), ("escalation://request-schema", EscalationRequest)],
)
async def test_every_field_of_the_schema_resources_is_described_without_docstring_sections(
    server: MCPServer, uri: str, model: type[BaseModel]
) -> None:
    async with Client(server) as client:
        schema = json.loads((await client.read_resource(uri)).contents[0].text)
    assert schema["title"] == model.__name__
    assert _undescribed(schema) == []
    assert not [d for d in _descriptions(schema) if "Attributes:" in d or "Args:" in d]


# -- backends opened by the server -------------------------------------------------------------


class CountingIncidents:
    """An incident source that counts how often it is closed."""

    def __init__(self) -> None:
        self.closed = 0

    async def incidents(self, since: datetime, until: datetime) -> list[Incident]:
        return []

    async def aclose(self) -> None:
        self.closed += 1


async def test_given_backends_are_used_and_never_closed(
    hogql_settings: Settings, demo_backends: Backends
) -> None:
    counting = CountingIncidents()
    backends = Backends(
        hogql=demo_backends.hogql,
        docs=demo_backends.docs,
        issues=demo_backends.issues,
        incidents=counting,
    )
    server = build_server(settings=hogql_settings, backends=backends)
    async with Client(server) as client:
        assert not (await client.call_tool("hogql_query", {"query": "SELECT 1"})).is_error
    assert counting.closed == 0


async def test_the_server_opens_its_backends_once_and_closes_them_at_shutdown(
    hogql_settings: Settings, demo_backends: Backends, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[CountingIncidents] = []

    def fake_open(settings: Settings) -> Backends:
        assert settings is hogql_settings
        counting = CountingIncidents()
        opened.append(counting)
        return Backends(
            hogql=demo_backends.hogql,
            docs=demo_backends.docs,
            issues=demo_backends.issues,
            incidents=counting,
        )

    monkeypatch.setattr(runtime, "open_backends", fake_open)
    server = build_server(settings=hogql_settings)

    async def query(client: Client) -> None:
        result = await client.call_tool("hogql_query", {"query": "SELECT 1 AS one"})
        assert not result.is_error

    async with Client(server) as first, Client(server) as second:
        async with anyio.create_task_group() as group:
            for client in (first, second, first, second):
                group.start_soon(query, client)
        assert len(opened) == 1 and opened[0].closed == 0
    assert opened[0].closed == 1
    async with Client(server) as again:
        await query(again)
    assert len(opened) == 2 and opened[1].closed == 1


async def test_the_server_opens_real_backends_from_settings(hogql_settings: Settings) -> None:
    server = build_server(settings=hogql_settings)
    async with Client(server) as client:
        result = await client.call_tool("hogql_query", {"query": "SELECT count() AS n FROM events"})
        docs = await client.call_tool("docs_search", {"query": "session replay masking"})
    assert not result.is_error and result.structured_content["results"][0][0] > 0
    assert not docs.is_error and docs.structured_content["hits"]
