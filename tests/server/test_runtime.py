"""When the server opens its backends: not while a client connects, but once the first tool
list is answered (or after a delay), and never after the last run ended."""

from __future__ import annotations

import time
from collections.abc import Callable

import anyio
import pytest
from mcp import Client

from posthog_escalation.backends import Backends
from posthog_escalation.config import Settings
from posthog_escalation.server import build_server, runtime
from posthog_escalation.tools.incidents import StaticIncidents


class CountingIncidents(StaticIncidents):
    def __init__(self) -> None:
        super().__init__([])
        self.closed = 0

    async def aclose(self) -> None:
        self.closed += 1


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch, demo_backends: Backends) -> list[CountingIncidents]:
    """Every opening of the backends the server does (each with its own incidents)."""
    openings: list[CountingIncidents] = []

    def fake_open(settings: Settings) -> Backends:
        counting = CountingIncidents()
        openings.append(counting)
        return Backends(
            hogql=demo_backends.hogql,
            docs=demo_backends.docs,
            issues=demo_backends.issues,
            incidents=counting,
        )

    monkeypatch.setattr(runtime, "open_backends", fake_open)
    return openings


async def _until(condition: Callable[[], bool], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await anyio.sleep(0.02)


async def test_the_backends_open_once_the_first_tool_list_is_answered(
    hogql_settings: Settings, opened: list[CountingIncidents], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "WARM_AFTER_SECONDS", 60.0)
    server = build_server(settings=hogql_settings)
    async with Client(server) as client:
        await anyio.sleep(0.2)
        assert opened == []
        await client.list_tools()
        await _until(lambda: len(opened) == 1)
        assert len(opened) == 1
    assert opened[0].closed == 1


async def test_without_a_tool_list_the_backends_open_after_the_delay(
    hogql_settings: Settings, opened: list[CountingIncidents], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "WARM_AFTER_SECONDS", 0.1)
    server = build_server(settings=hogql_settings)
    async with Client(server):
        await _until(lambda: len(opened) == 1)
        assert len(opened) == 1
    assert opened[0].closed == 1


async def test_a_run_that_ends_before_the_delay_opens_nothing_and_does_not_wait(
    hogql_settings: Settings, opened: list[CountingIncidents], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "WARM_AFTER_SECONDS", 60.0)
    server = build_server(settings=hogql_settings)
    started = time.monotonic()
    async with Client(server):
        pass
    assert time.monotonic() - started < 30
    await anyio.sleep(0.2)
    assert opened == []


async def test_a_tool_call_opens_the_backends_without_waiting_for_the_delay(
    hogql_settings: Settings, opened: list[CountingIncidents], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runtime, "WARM_AFTER_SECONDS", 60.0)
    server = build_server(settings=hogql_settings)
    async with Client(server) as client:
        result = await client.call_tool("hogql_query", {"query": "SELECT 1 AS one"})
        assert not result.is_error
        assert len(opened) == 1
