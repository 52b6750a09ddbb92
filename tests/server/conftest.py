"""Fixtures of the server's tool tests: a store holding the reference escalation (ESC-1),
GitHub as an in-memory fake behind ``httpx2.MockTransport``, and the server on the demo
backends."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest
from mcp.server.mcpserver import MCPServer
from tenacity import wait_none

from fake_github import FakeGitHub
from mcp_calls import STORED_AT, TOKEN, tool_settings
from posthog_escalation.backends import Backends
from posthog_escalation.models import Escalation, EscalationRequest
from posthog_escalation.server import build_server
from posthog_escalation.store import EscalationStore, store_escalation


@pytest.fixture
def github() -> FakeGitHub:
    return FakeGitHub(TOKEN, first_number=500)


@pytest.fixture
def data_dir(
    tmp_path: Path, example_escalation: Escalation, demo_request: EscalationRequest
) -> Path:
    with EscalationStore.in_data_dir(tmp_path) as store:
        store_escalation(store, example_escalation, ticket=demo_request.ticket, now=STORED_AT)
    return tmp_path


@pytest.fixture
def server(data_dir: Path, demo_backends: Backends, github: FakeGitHub) -> MCPServer:
    """The server over a store holding ESC-1, with the fake GitHub for filing."""
    return build_server(
        settings=tool_settings(data_dir),
        backends=demo_backends,
        github_transport=httpx2.MockTransport(github.handler),
        github_wait=wait_none(),
    )
