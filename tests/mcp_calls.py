"""Helpers of the MCP server tests: call a tool in process, read its text and structured
result, and settings for a tool test's data folder."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp_types import CallToolResult
from pydantic import SecretStr

from posthog_escalation.config import Settings
from posthog_escalation.models import Escalation

TOKEN = "ghp_ServerTestTokenNeverShown0123456789"
STORED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def tool_settings(data_dir: Path, token: str | None = TOKEN) -> Settings:
    return Settings(
        data_dir=data_dir,
        backend="local",
        github_token=SecretStr(token) if token else None,
        _env_file=None,
    )


async def call(server: MCPServer, name: str, arguments: dict[str, Any]) -> CallToolResult:
    async with Client(server) as client:
        return await client.call_tool(name, arguments)


def text(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if block.type == "text")


def ok(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text(result)
    assert result.structured_content is not None
    return result.structured_content


def as_json(escalation: Escalation) -> dict[str, Any]:
    return escalation.model_dump(mode="json")
