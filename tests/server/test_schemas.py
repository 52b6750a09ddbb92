"""The tool list fits in a context window: short, exact schemas with every length bound
stated and enforced, the escalation and ticket shapes referenced rather than inlined, no
Python docstring sections, and output schemas without keyword-less ``items``."""

from __future__ import annotations

import json
from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp_types import Tool
from pydantic import BaseModel, Field

from mcp_calls import call, text
from posthog_escalation.backends import Backends
from posthog_escalation.config import Settings
from posthog_escalation.playbook import default_playbook
from posthog_escalation.server import build_server
from posthog_escalation.server.evidence_tools import evidence_tools
from posthog_escalation.server.runtime import Runtime
from posthog_escalation.server.schemas import output_schema, tidy_input_schema
from posthog_escalation.server.tooling import MAX_OBJECT_CHARS

TOKEN_BUDGET = 4_000
BYTES_PER_TOKEN = 4


@pytest.fixture
def server(hogql_settings: Settings, demo_backends: Backends) -> MCPServer:
    return build_server(settings=hogql_settings, backends=demo_backends)


async def listed(server: MCPServer) -> list[Tool]:
    async with Client(server) as client:
        return (await client.list_tools()).tools


def wire(tools: list[Tool]) -> str:
    """The ``tools/list`` result as the server sends it (compact JSON)."""
    dumped = [t.model_dump(mode="json", by_alias=True, exclude_none=True) for t in tools]
    return json.dumps({"tools": dumped}, separators=(",", ":"), ensure_ascii=False)


def nodes(schema: Any) -> list[dict[str, Any]]:
    """Every JSON object inside ``schema``."""
    if isinstance(schema, dict):
        return [schema] + [n for value in schema.values() for n in nodes(value)]
    if isinstance(schema, list):
        return [n for item in schema for n in nodes(item)]
    return []


async def test_the_whole_tool_list_fits_in_4k_tokens(server: MCPServer) -> None:
    size = len(wire(await listed(server)).encode())
    assert size <= TOKEN_BUDGET * BYTES_PER_TOKEN, f"{size} bytes ≈ {size // 4} tokens"


async def test_no_tool_inlines_a_model_schema(server: MCPServer) -> None:
    tools = {t.name: t for t in await listed(server)}
    assert "$defs" not in wire(list(tools.values())) and "$ref" not in wire(list(tools.values()))
    for name in ("lint_escalation", "render_escalation", "save_escalation"):
        escalation = tools[name].input_schema["properties"]["escalation"]
        assert escalation == {
            "type": "object",
            "description": "The escalation; shape: escalation://schema.",
        }
    for name in ("find_known_issues", "draft_escalation"):
        ticket = tools[name].input_schema["properties"]["ticket"]
        assert ticket["type"] == "object" and "escalation://request-schema" in ticket["description"]


async def test_no_schema_or_description_carries_a_docstring_section(server: MCPServer) -> None:
    text_of_list = wire(await listed(server))
    for section in ("Attributes:", "Args:", "Returns:", "Raises:"):
        assert section not in text_of_list


async def test_every_argument_and_output_field_is_typed_and_every_argument_described(
    server: MCPServer,
) -> None:
    for tool in await listed(server):
        for name, schema in tool.input_schema["properties"].items():
            assert schema.get("description"), f"{tool.name}.{name}"
            assert "title" not in schema and schema.get("default", 0) is not None
        assert tool.output_schema is not None
        for name, schema in tool.output_schema["properties"].items():
            assert {"type", "enum", "anyOf"} & set(schema), f"{tool.name} -> {name}"


async def test_no_output_schema_has_keyword_less_items(server: MCPServer) -> None:
    tools = {t.name: t for t in await listed(server)}
    hogql = tools["hogql_query"].output_schema["properties"]
    assert hogql["types"] == {"type": "array"}
    assert hogql["results"] == {"type": "array", "items": {"type": "array"}}
    for tool in tools.values():
        for node in nodes(tool.output_schema):
            assert node.get("items", {"type": "any"}) != {}, tool.name


async def test_every_string_argument_is_bounded_and_every_list_too(server: MCPServer) -> None:
    for tool in await listed(server):
        for name, schema in tool.input_schema["properties"].items():
            if schema.get("type") == "string":
                assert schema["maxLength"] > 0, f"{tool.name}.{name}"
            if schema.get("type") == "array":
                assert schema["maxItems"] > 0 and schema["items"]["maxLength"] > 0


@pytest.mark.parametrize(
    ("tool", "arguments", "problem"),
    [
        (
            "hogql_query",
            {"query": "SELECT " + "1 + " * 5000 + "1"},
            "query is 20008 characters long; the limit is 10000",
        ),
        (
            "github_issue_search",
            {"query": "replay " * 1000},
            "query is 7000 characters long; the limit is 2000",
        ),
        (
            "github_issue_search",
            {"query": "replay", "repos": [f"PostHog/repo-{n}" for n in range(11)]},
            "repos has 11 items; the limit is 10",
        ),
        (
            "github_issue_search",
            {"query": "replay", "repos": ["PostHog/" + "x" * 300]},
            "repos[0] is 308 characters long; the limit is 100",
        ),
        ("record_followup", {"escalation_id": "ESC-" + "9" * 60}, "escalation_id is 64"),
        (
            "find_known_issues",
            {"ticket": {"id": "1", "subject": "s", "body": "b" * MAX_OBJECT_CHARS}},
            f"the limit is {MAX_OBJECT_CHARS}",
        ),
    ],
)
async def test_an_argument_over_its_bound_is_refused_with_one_line(
    server: MCPServer, tool: str, arguments: dict[str, Any], problem: str
) -> None:
    result = await call(server, tool, arguments)
    assert result.is_error
    message = text(result)
    assert problem in message and "\n" not in message
    assert len(message) < 300


def test_github_issue_search_is_open_world_exactly_when_it_calls_github(tmp_path: Any) -> None:
    local = Settings(data_dir=tmp_path, backend="auto", _env_file=None)
    with_token = Settings(data_dir=tmp_path, backend="auto", github_token="ghp_x", _env_file=None)
    forced_local = Settings(
        data_dir=tmp_path, backend="local", github_token="ghp_x", _env_file=None
    )
    for settings, remote in ((local, False), (with_token, True), (forced_local, False)):
        runtime = Runtime(settings, default_playbook(), None, None)
        tools = {t.name: t for t in evidence_tools(runtime)}
        for name in ("github_issue_search", "find_known_issues"):
            assert tools[name].annotations.open_world_hint is remote, (name, settings.backend)


class _Inner(BaseModel):
    value: int


class _Result(BaseModel):
    """A result.

    Attributes:
        items: Never shown.
    """

    items: list[_Inner] = Field(description="Inner things.")
    names: list[str]
    maybe: int | None
    anything: list[Any]


def test_an_output_schema_names_and_types_the_top_level_fields_only() -> None:
    assert output_schema(_Result) == {
        "type": "object",
        "properties": {
            "items": {"type": "array", "description": "Inner things."},
            "names": {"type": "array", "items": {"type": "string"}},
            "maybe": {"type": ["integer", "null"]},
            "anything": {"type": "array"},
        },
    }


def test_an_input_schema_loses_generated_titles_and_null_defaults() -> None:
    schema = {
        "title": "toolArguments",
        "type": "object",
        "properties": {
            "a": {"title": "A", "type": "string", "default": None},
            "b": {"title": "B", "type": "integer", "default": 0},
        },
    }
    assert tidy_input_schema(schema) == {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer", "default": 0}},
    }
