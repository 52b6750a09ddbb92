"""The server's transports: a real stdio subprocess, and streamable HTTP behind the token."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from pydantic import SecretStr

from posthog_escalation.backends import Backends
from posthog_escalation.config import Settings
from posthog_escalation.errors import ConfigError
from posthog_escalation.server import build_server, check_bind, http_app, is_loopback, serve_http
from posthog_escalation.server.transport import bind

TOKEN = "mcp-test-token-9f8e7d6c5b4a"
BASE = "http://127.0.0.1:8765"
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-06-18",
        "capabilities": {},
        "clientInfo": {"name": "test", "version": "1"},
    },
}
ACCEPT = {"accept": "application/json, text/event-stream"}


def _settings(data_dir: Path, token: str | None) -> Settings:
    return Settings(
        data_dir=data_dir,
        backend="local",
        mcp_token=SecretStr(token) if token else None,
        _env_file=None,
    )


# -- stdio -----------------------------------------------------------------------------------


@pytest.mark.slow
async def test_serve_over_stdio_lists_tools_and_answers_hogql_on_the_demo_world(
    tmp_path: Path, demo_world: Any
) -> None:
    command = Path(sys.executable).parent / "posthog-escalation"
    params = StdioServerParameters(
        command=str(command),
        args=["--data-dir", str(tmp_path / "data"), "serve"],
        env={
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "POSTHOG_ESCALATION_BACKEND": "local",
        },
        cwd=str(tmp_path),
    )
    async with Client(params, read_timeout_seconds=240) as client:
        tools = {tool.name for tool in (await client.list_tools()).tools}
        result = await client.call_tool(
            "hogql_query", {"query": "SELECT count() AS events FROM events"}
        )
    assert {"hogql_query", "impact_summary", "file_escalation"} <= tools
    assert not result.is_error
    assert result.structured_content["results"] == [[demo_world.ground_truth().totals.events]]
    assert result.structured_content["evidence_id"] == "E1"


# -- HTTP ------------------------------------------------------------------------------------


def test_loopback_addresses_are_recognised() -> None:
    assert all(is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"))
    assert not any(is_loopback(h) for h in ("0.0.0.0", "192.168.1.10", "::", "example.com"))


def test_a_public_bind_without_a_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        check_bind("0.0.0.0", _settings(tmp_path, None))
    assert "POSTHOG_ESCALATION_MCP_TOKEN" in caught.value.one_line()
    check_bind("0.0.0.0", _settings(tmp_path, TOKEN))
    check_bind("127.0.0.1", _settings(tmp_path, None))


def test_a_whitespace_token_counts_as_no_token(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        check_bind("10.0.0.5", _settings(tmp_path, "   "))


async def test_http_refuses_a_request_without_the_configured_token(
    tmp_path: Path, demo_backends: Backends
) -> None:
    settings = _settings(tmp_path, TOKEN)
    app = http_app(build_server(settings=settings, backends=demo_backends), settings)
    async with httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http:
        missing = await http.post("/mcp", json=INITIALIZE, headers=ACCEPT)
        wrong = await http.post(
            "/mcp", json=INITIALIZE, headers=ACCEPT | {"authorization": "Bearer nope"}
        )
        bare = await http.post("/mcp", json=INITIALIZE, headers=ACCEPT | {"authorization": TOKEN})
    for response in (missing, wrong, bare):
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert TOKEN not in response.text


async def test_http_with_the_token_serves_the_tools(
    tmp_path: Path, demo_backends: Backends, demo_world: Any
) -> None:
    settings = _settings(tmp_path, TOKEN)
    server = build_server(settings=settings, backends=demo_backends)
    app = http_app(server, settings)
    inner = app.app  # the MCP app behind the token gate; its lifespan runs the sessions
    auth = {"authorization": f"Bearer {TOKEN}"}
    url = f"{BASE}/mcp"
    async with (
        inner.router.lifespan_context(inner),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), headers=auth) as http,
        Client(streamable_http_client(url, http_client=http)) as client,
    ):
        tools = (await client.list_tools()).tools
        result = await client.call_tool("hogql_query", {"query": "SELECT count() FROM events"})
    assert {"hogql_query", "draft_escalation", "save_escalation"} <= {t.name for t in tools}
    assert result.structured_content["results"] == [[demo_world.ground_truth().totals.events]]


async def test_http_on_loopback_without_a_token_needs_no_header(
    tmp_path: Path, demo_backends: Backends
) -> None:
    settings = _settings(tmp_path, None)
    app = http_app(build_server(settings=settings, backends=demo_backends), settings)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http,
    ):
        response = await http.post("/mcp", json=INITIALIZE, headers=ACCEPT)
    assert response.status_code == 200
    assert "posthog-escalation" in response.text


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
async def test_the_bearer_scheme_is_case_insensitive(
    tmp_path: Path, demo_backends: Backends, scheme: str
) -> None:
    settings = _settings(tmp_path, TOKEN)
    app = http_app(build_server(settings=settings, backends=demo_backends), settings)
    inner = app.app
    headers = ACCEPT | {"authorization": f"{scheme} {TOKEN}"}
    async with (
        inner.router.lifespan_context(inner),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url=BASE) as http,
    ):
        response = await http.post("/mcp", json=INITIALIZE, headers=headers)
        other = await http.post(
            "/mcp", json=INITIALIZE, headers=ACCEPT | {"authorization": f"{scheme} nope"}
        )
    assert response.status_code == 200
    assert other.status_code == 401


def test_binding_a_busy_port_is_refused_in_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        with pytest.raises(ConfigError) as caught:
            bind("127.0.0.1", port)
    message = caught.value.one_line()
    assert f"cannot serve MCP over HTTP on 127.0.0.1:{port}" in message
    assert "choose another --port" in message


def test_a_port_out_of_range_is_refused() -> None:
    with pytest.raises(ConfigError, match="--port 99999 is out of range"):
        bind("127.0.0.1", 99999)


async def test_serve_http_announces_its_url_only_once_the_port_is_bound(
    tmp_path: Path, demo_backends: Backends
) -> None:
    settings = _settings(tmp_path, None)
    server = build_server(settings=settings, backends=demo_backends)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    announced: list[str] = []
    held_when_announced: list[bool] = []
    done = anyio.Event()

    def announce(url: str) -> None:
        announced.append(url)
        done.set()
        with socket.socket() as again:
            try:
                again.bind(("127.0.0.1", port))
            except OSError:
                held_when_announced.append(True)
            else:
                held_when_announced.append(False)

    async with anyio.create_task_group() as group:
        group.start_soon(serve_http, server, settings, "127.0.0.1", port, announce)
        await done.wait()
        group.cancel_scope.cancel()
    assert announced == [f"http://127.0.0.1:{port}/mcp"]
    assert held_when_announced == [True]
