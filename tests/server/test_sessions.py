"""Evidence belongs to one MCP session: each session numbers its own ids, its log is
bounded, and it is released when the session ends — in process, over stdio-like
handshake connections and over streamable HTTP."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from posthog_escalation.backends import Backends
from posthog_escalation.config import Settings
from posthog_escalation.models import SourceKind
from posthog_escalation.server import build_server, http_app, sessions
from posthog_escalation.server.sessions import SessionEvidence

QUERY = {"query": "SELECT 1 AS one"}
BASE = "http://127.0.0.1:8765"


async def evidence_ids(client: Client, calls: int) -> list[str]:
    found = []
    for _ in range(calls):
        result = await client.call_tool("hogql_query", QUERY)
        assert not result.is_error
        found.append(result.structured_content["evidence_id"])
    return found


def test_a_session_log_keeps_its_newest_items_and_keeps_counting() -> None:
    log = SessionEvidence(max_items=3)
    for n in range(5):
        log.add(SourceKind.HOGQL, f"SELECT {n}", f"finding {n}")
    assert [e.id for e in log.items] == ["E3", "E4", "E5"]
    assert log.get("E1") is None and log.get("E4") is not None
    assert log.add(SourceKind.DOCS, "q", "f").id == "E6"


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_two_clients_of_one_server_number_their_evidence_separately(
    hogql_settings: Settings, demo_backends: Backends, mode: Any
) -> None:
    server = build_server(settings=hogql_settings, backends=demo_backends)
    async with Client(server, mode=mode) as first, Client(server, mode=mode) as second:
        assert await evidence_ids(first, 2) == ["E1", "E2"]
        assert await evidence_ids(second, 1) == ["E1"]
        assert await evidence_ids(first, 1) == ["E3"]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_a_sessions_evidence_is_released_when_the_session_ends(
    hogql_settings: Settings,
    demo_backends: Backends,
    monkeypatch: pytest.MonkeyPatch,
    mode: Any,
) -> None:
    made: list[weakref.ref[SessionEvidence]] = []

    class Tracked(SessionEvidence):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(weakref.ref(self))

    monkeypatch.setattr(sessions, "SessionEvidence", Tracked)
    server = build_server(settings=hogql_settings, backends=demo_backends)
    async with Client(server, mode=mode) as client:
        await evidence_ids(client, 3)
        used = [ref for ref in made if getattr(ref(), "issued", 0) == 3]
    assert len(used) == 1
    gc.collect()
    assert used[0]() is None


async def test_http_sessions_number_their_evidence_separately_and_release_it(
    tmp_path: Path, demo_backends: Backends, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[weakref.ref[SessionEvidence]] = []

    class Tracked(SessionEvidence):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            made.append(weakref.ref(self))

    monkeypatch.setattr(sessions, "SessionEvidence", Tracked)
    settings = Settings(data_dir=tmp_path, backend="local", _env_file=None)
    app = http_app(build_server(settings=settings, backends=demo_backends), settings)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app)) as http,
    ):
        async with (
            Client(streamable_http_client(f"{BASE}/mcp", http_client=http), mode="legacy") as a,
            Client(streamable_http_client(f"{BASE}/mcp", http_client=http), mode="legacy") as b,
        ):
            assert await evidence_ids(a, 2) == ["E1", "E2"]
            assert await evidence_ids(b, 2) == ["E1", "E2"]
            used = [ref for ref in made if getattr(ref(), "issued", 0) == 2]
        assert len(used) == 2
    gc.collect()
    assert all(ref() is None for ref in used)


async def test_sessionless_http_requests_get_ids_that_never_repeat(
    tmp_path: Path, demo_backends: Backends
) -> None:
    settings = Settings(data_dir=tmp_path, backend="local", _env_file=None)
    app = http_app(build_server(settings=settings, backends=demo_backends), settings)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app)) as http,
        Client(streamable_http_client(f"{BASE}/mcp", http_client=http)) as a,
        Client(streamable_http_client(f"{BASE}/mcp", http_client=http)) as b,
    ):
        assert a.protocol_version == "2026-07-28"
        ids = await evidence_ids(a, 2) + await evidence_ids(b, 2)
    assert len(set(ids)) == 4


async def test_a_tool_called_from_code_outside_any_request_still_numbers_its_evidence(
    hogql_settings: Settings, demo_backends: Backends
) -> None:
    server = build_server(settings=hogql_settings, backends=demo_backends)
    first = await server.call_tool("hogql_query", QUERY)
    second = await server.call_tool("hogql_query", QUERY)
    assert [first.structured_content["evidence_id"], second.structured_content["evidence_id"]] == [
        "E1",
        "E2",
    ]
