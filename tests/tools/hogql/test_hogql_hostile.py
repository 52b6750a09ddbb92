"""HogQL through the MCP server's hogql_query tool: hostile input becomes a tool error that
says what is wrong (not a bare "Error executing tool")."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult

from posthog_escalation.backends import Backends
from posthog_escalation.config import Settings
from posthog_escalation.evidence_log import EvidenceLog
from posthog_escalation.server import build_server


@pytest.fixture
def server(hogql_settings: Settings, demo_backends: Backends) -> MCPServer:
    return build_server(settings=hogql_settings, backends=demo_backends, evidence=EvidenceLog())


async def call(server: MCPServer, arguments: dict[str, Any]) -> CallToolResult:
    async with Client(server) as client:
        return await client.call_tool("hogql_query", arguments)


def text(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT " + "(" * 3000 + "1" + ")" * 3000, "The query nests brackets 3000 deep"),
        ("SELECT " + "NOT " * 2000 + "1", "nested too deeply"),
        ("SELECT count() FROM events WHERE 0 IN system.one", 'Unknown table "system.one"'),
        ("SELECT count() FROM events WHERE 0 IN nosuchdb.x", 'Unknown table "nosuchdb.x"'),
        ("SELECT getServerSetting('path')", "Function 'getServerSetting' is not allowed"),
        ("SELECT initial_query_id()", "Function 'initial_query_id' is not allowed"),
    ],
)
async def test_hostile_hogql_is_a_tool_error_that_says_what_is_wrong(
    server: MCPServer, hogql_home, query: str, message: str
) -> None:
    result = await call(server, {"query": query})
    assert result.is_error
    assert message in text(result)
    assert str(hogql_home) not in text(result)
