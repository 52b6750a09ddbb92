"""One client's heavy call never holds up another client's: searches, the gate, the
renderer and drafting run off the server's event loop.

Each test holds a heavy call inside its CPU-bound step (a blocking wait stands in for
the computation), then makes a cheap call from a second client. Run on the event loop,
the heavy step would block the loop and the cheap call could only answer after it; run
in a worker thread, the cheap call answers while the heavy one is still inside. The
tests assert that order, never a duration.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pytest
from mcp import Client

from mcp_calls import as_json, tool_settings
from posthog_escalation.backends import Backends
from posthog_escalation.models import Escalation, EscalationRequest
from posthog_escalation.server import build_server, escalation_tools
from posthog_escalation.tools.docs import DocsIndex
from posthog_escalation.tools.issues import DEFAULT_SNAPSHOT, IssueSearchResult, LocalIssues

WAIT = 60.0
"""How long a held step waits for the release before it goes on anyway (a safety net so
a regression fails instead of hanging; the tests never measure time)."""


class Hold:
    """A step that signals it started, then waits until released."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.released = threading.Event()

    def __call__(self) -> None:
        self.started.set()
        self.released.wait(WAIT)


class HeldIssues(LocalIssues):
    """The bundled snapshot, whose search holds inside its computation."""

    def __init__(self, hold: Hold) -> None:
        super().__init__(DEFAULT_SNAPSHOT)
        self.hold = hold

    def _run(self, sent: str, *, limit: int) -> IssueSearchResult:
        self.hold()
        return super()._run(sent, limit=limit)


class HeldDocs:
    """The shipped docs index, whose search holds first."""

    def __init__(self, docs: DocsIndex, hold: Hold) -> None:
        self._docs = docs
        self.hold = hold

    def search(self, *args: Any, **kwargs: Any) -> Any:
        self.hold()
        return self._docs.search(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._docs, name)


def held(function: Callable[..., Any], hold: Hold) -> Callable[..., Any]:
    def step(*args: Any, **kwargs: Any) -> Any:
        hold()
        return function(*args, **kwargs)

    return step


async def heavy_then_cheap(
    server: Any, tool: str, arguments: dict[str, Any], hold: Hold
) -> list[str]:
    """Start ``tool`` on one client; once it is inside its held step, call list_followups
    on another. Returns the order in which the two calls finished."""
    finished: list[str] = []

    async def heavy(client: Client) -> None:
        result = await client.call_tool(tool, arguments)
        assert not result.is_error, result.content
        finished.append("heavy")

    async with (
        Client(server) as first,
        Client(server) as second,
        anyio.create_task_group() as group,
    ):
        group.start_soon(heavy, first)
        assert await anyio.to_thread.run_sync(hold.started.wait, WAIT)
        cheap = await second.call_tool("list_followups", {})
        assert not cheap.is_error
        finished.append("cheap")
        hold.released.set()
    return finished


def _backends(demo: Backends, **changes: Any) -> Backends:
    parts = {"hogql": demo.hogql, "docs": demo.docs, "issues": demo.issues}
    return Backends(**(parts | changes), incidents=demo.incidents)


@pytest.mark.parametrize("tool", ["github_issue_search", "find_known_issues", "draft_escalation"])
async def test_a_heavy_issue_search_does_not_hold_up_another_client(
    tmp_path: Path, demo_backends: Backends, demo_request: EscalationRequest, tool: str
) -> None:
    hold = Hold()
    backends = _backends(demo_backends, issues=HeldIssues(hold))
    server = build_server(settings=tool_settings(tmp_path), backends=backends)
    ticket = demo_request.ticket.model_dump(mode="json")
    arguments = {
        "github_issue_search": {"query": "adoptedStyleSheets"},
        "find_known_issues": {"ticket": ticket},
        "draft_escalation": {"ticket": ticket, "drafter": "offline"},
    }[tool]
    assert await heavy_then_cheap(server, tool, arguments, hold) == ["cheap", "heavy"]


async def test_a_heavy_docs_search_does_not_hold_up_another_client(
    tmp_path: Path, demo_backends: Backends, shipped_docs: DocsIndex
) -> None:
    hold = Hold()
    backends = _backends(demo_backends, docs=HeldDocs(shipped_docs, hold))
    server = build_server(settings=tool_settings(tmp_path), backends=backends)
    order = await heavy_then_cheap(server, "docs_search", {"query": "replay"}, hold)
    assert order == ["cheap", "heavy"]


@pytest.mark.parametrize(
    ("tool", "step"),
    [
        ("lint_escalation", "lint"),
        ("render_escalation", "render_markdown"),
        ("save_escalation", "lint"),
    ],
)
async def test_the_gate_the_renderer_and_saving_do_not_hold_up_another_client(
    tmp_path: Path,
    demo_backends: Backends,
    example_escalation: Escalation,
    monkeypatch: pytest.MonkeyPatch,
    tool: str,
    step: str,
) -> None:
    hold = Hold()
    monkeypatch.setattr(escalation_tools, step, held(getattr(escalation_tools, step), hold))
    server = build_server(settings=tool_settings(tmp_path), backends=demo_backends)
    arguments = {"escalation": as_json(example_escalation)}
    assert await heavy_then_cheap(server, tool, arguments, hold) == ["cheap", "heavy"]
