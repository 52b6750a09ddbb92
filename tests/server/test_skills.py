"""The MCP Skills extension (SEP-2640), driven through the SDK client in process: the
server declares ``io.modelcontextprotocol/skills``, lists its packaged skill with every
file's digest and size, answers ``skills/get`` by URI, and serves each file as a
``skill://`` resource whose bytes match its digest."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml
from mcp import Client
from mcp.server.mcpserver import MCPServer
from mcp.shared.exceptions import MCPError
from mcp_types import PaginatedRequestParams, Request

from posthog_escalation.backends import Backends
from posthog_escalation.config import Settings
from posthog_escalation.server import build_server
from posthog_escalation.server.skills import (
    SKILLS_EXTENSION,
    GetSkillParams,
    GetSkillResult,
    ListSkillsResult,
    read_skill,
)

SKILL_DIR = Path(__file__).resolve().parents[2] / "skill"
SKILL_URI = "skill://posthog-escalation/SKILL.md"


@pytest.fixture
def server(hogql_settings: Settings, demo_backends: Backends) -> MCPServer:
    return build_server(settings=hogql_settings, backends=demo_backends)


async def list_skills(client: Client) -> ListSkillsResult:
    request = Request[PaginatedRequestParams, Literal["skills/list"]](
        method="skills/list", params=PaginatedRequestParams()
    )
    return await client.session.send_request(request, ListSkillsResult)


async def get_skill(client: Client, uri: str) -> GetSkillResult:
    request = Request[GetSkillParams, Literal["skills/get"]](
        method="skills/get", params=GetSkillParams(uri=uri)
    )
    return await client.session.send_request(request, GetSkillResult)


def checkout_files() -> dict[str, bytes]:
    """Every file of the skill in the checkout, by its path in the skill folder."""
    return {
        path.relative_to(SKILL_DIR).as_posix(): path.read_bytes()
        for path in SKILL_DIR.rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc")
    }


async def test_the_server_declares_the_skills_extension(server: MCPServer) -> None:
    async with Client(server) as client:
        assert SKILLS_EXTENSION in (client.server_capabilities.extensions or {})
        assert client.server_capabilities.resources is not None


async def test_skills_list_gives_the_packaged_skill_with_every_file_digested(
    server: MCPServer,
) -> None:
    async with Client(server) as client:
        listed = await list_skills(client)
    assert listed.ttl_ms > 0 and listed.cache_scope == "public"
    assert [skill.uri for skill in listed.skills] == [SKILL_URI]
    entry = listed.skills[0]
    text = (SKILL_DIR / "SKILL.md").read_text(encoding="utf-8")
    written = yaml.safe_load(re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL).group(1))
    assert entry.frontmatter == written and entry.frontmatter["name"] == "posthog-escalation"
    files = checkout_files()
    expected = {
        f"skill://posthog-escalation/{path}": (
            "sha256:" + hashlib.sha256(data).hexdigest(),
            len(data),
        )
        for path, data in files.items()
    }
    assert {r.uri: (r.digest, r.size) for r in entry.resources} == expected
    assert entry.resources[0].uri == SKILL_URI


async def test_every_listed_file_reads_back_as_the_bytes_its_digest_covers(
    server: MCPServer,
) -> None:
    async with Client(server) as client:
        entry = (await list_skills(client)).skills[0]
        for file in entry.resources:
            contents = (await client.read_resource(file.uri)).contents[0]
            data = contents.text.encode("utf-8")
            assert len(data) == file.size, file.uri
            assert "sha256:" + hashlib.sha256(data).hexdigest() == file.digest, file.uri
            assert contents.mime_type == "text/markdown"


async def test_skills_get_answers_the_entry_and_refuses_an_unknown_uri(
    server: MCPServer,
) -> None:
    async with Client(server) as client:
        listed = (await list_skills(client)).skills[0]
        got = await get_skill(client, SKILL_URI)
        with pytest.raises(MCPError) as refused:
            await get_skill(client, "skill://nope/SKILL.md")
    assert got.skill == listed and got.ttl_ms > 0
    assert refused.value.error.code == -32602
    assert SKILL_URI in refused.value.error.message


async def test_the_skill_works_over_a_handshake_connection_too(server: MCPServer) -> None:
    async with Client(server, mode="legacy") as client:
        listed = await list_skills(client)
        resources = {str(r.uri): r for r in (await client.list_resources()).resources}
    assert listed.skills[0].uri == SKILL_URI
    main: Any = resources[SKILL_URI]
    assert (
        main.name == "posthog-escalation"
        and main.description == listed.skills[0].frontmatter["description"]
    )


def test_a_folder_without_frontmatter_is_not_a_skill(tmp_path: Path) -> None:
    (tmp_path / "SKILL.md").write_text("# no frontmatter\n", encoding="utf-8")
    with pytest.raises(ValueError, match="frontmatter with name and description"):
        read_skill(tmp_path)
