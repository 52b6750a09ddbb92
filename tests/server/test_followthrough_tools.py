"""The MCP follow-through tools: list_followups, record_followup and file_escalation,
against a real SQLite store and a fake GitHub."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2
from mcp.server.mcpserver import MCPServer

from fake_github import FakeGitHub
from mcp_calls import STORED_AT, TOKEN, call, ok, text, tool_settings
from posthog_escalation.backends import Backends
from posthog_escalation.models import Escalation, EscalationRequest
from posthog_escalation.server import build_server
from posthog_escalation.store import EscalationStore, Status, store_escalation

# -- list_followups and record_followup ------------------------------------------------------


async def test_list_followups_shows_the_due_team_check_and_the_upcoming_customer_update(
    server: MCPServer,
) -> None:
    result = await call(server, "list_followups", {"now": "2026-11-20T17:00:00Z"})
    data = ok(result)
    assert data["total"] == 2
    states = {(f["kind"], f["state"]) for f in data["followups"]}
    assert states == {("team", "due"), ("customer", "upcoming")}
    assert data["followups"][0]["kind"] == "team"
    assert "ESC-1" in text(result) and "due" in text(result)
    due = ok(
        await call(server, "list_followups", {"now": "2026-11-20T21:00:00Z", "due_only": True})
    )
    assert [(f["kind"], f["state"]) for f in due["followups"]] == [("team", "overdue")]


async def test_list_followups_pages_and_validates_its_arguments(server: MCPServer) -> None:
    page = ok(await call(server, "list_followups", {"now": "2026-11-20T17:00:00Z", "limit": 1}))
    assert len(page["followups"]) == 1 and page["next_offset"] == 1
    bad_now = await call(server, "list_followups", {"now": "yesterday"})
    assert bad_now.is_error and "ISO 8601" in text(bad_now)
    bad_limit = await call(server, "list_followups", {"limit": 0})
    assert bad_limit.is_error and "use 1 to 100" in text(bad_limit)


async def test_an_empty_store_has_no_follow_ups(tmp_path: Path, demo_backends: Backends) -> None:
    server = build_server(settings=tool_settings(tmp_path), backends=demo_backends)
    result = await call(server, "list_followups", {})
    assert ok(result)["total"] == 0 and text(result) == "No open escalations."


async def test_recording_a_team_update_restarts_the_team_clock_and_logs_the_note(
    server: MCPServer, data_dir: Path
) -> None:
    result = await call(
        server,
        "record_followup",
        {"escalation_id": "ESC-1", "note": "Replay team confirmed", "now": "2026-11-20T17:00Z"},
    )
    data = ok(result)
    assert data["next_team_check"] == "2026-11-20T21:00:00Z"
    assert data["next_customer_update"] == "2026-11-21T12:00:00Z"
    with EscalationStore.in_data_dir(data_dir) as store:
        events = store.events("ESC-1")
    assert events[-1].kind == "update_team" and events[-1].detail == "Replay team confirmed"


async def test_closing_needs_a_playbook_reason_and_returns_the_closing_steps(
    server: MCPServer, data_dir: Path
) -> None:
    missing = await call(server, "record_followup", {"escalation_id": "ESC-1", "action": "close"})
    assert missing.is_error and "support-can-fix" in text(missing)
    wrong = await call(
        server,
        "record_followup",
        {"escalation_id": "ESC-1", "action": "close", "reason": "severity-lowered"},
    )
    assert wrong.is_error and "is not a close criterion" in text(wrong)
    closed = ok(
        await call(
            server,
            "record_followup",
            {"escalation_id": "ESC-1", "action": "close", "reason": "problem-stopped"},
        )
    )
    assert closed["status"] == "closed" and closed["closing_steps"]
    with EscalationStore.in_data_dir(data_dir) as store:
        assert store.get("ESC-1").status is Status.CLOSED


async def test_downgrading_lowers_the_severity_only_for_a_lower_level(server: MCPServer) -> None:
    same = await call(
        server,
        "record_followup",
        {
            "escalation_id": "ESC-1",
            "action": "downgrade",
            "to": "High",
            "reason": "severity-lowered",
        },
    )
    assert same.is_error and "a downgrade must lower it" in text(same)
    lowered = ok(
        await call(
            server,
            "record_followup",
            {
                "escalation_id": "ESC-1",
                "action": "downgrade",
                "to": "Medium",
                "reason": "workaround-unblocks",
                "now": "2026-11-21T10:00:00Z",
            },
        )
    )
    assert lowered["severity"] == "Medium" and lowered["status"] == "downgraded"
    assert lowered["next_team_check"] == "2026-11-22T10:00:00Z"


async def test_record_followup_names_an_unknown_escalation(server: MCPServer) -> None:
    result = await call(server, "record_followup", {"escalation_id": "ESC-42", "note": "x"})
    assert result.is_error and "ESC-42" in text(result)


# -- file_escalation -------------------------------------------------------------------------


async def test_filing_without_confirm_is_a_dry_run_that_sends_nothing(
    server: MCPServer, github: FakeGitHub
) -> None:
    result = await call(server, "file_escalation", {"escalation_id": "ESC-1"})
    data = ok(result)
    assert data["outcome"] == "dry_run" and not data["sent"]
    assert data["repo"] == "PostHog/posthog-js"
    assert data["labels"] == ["bug", "feature/replay"]
    assert data["endpoint"] == "https://api.github.com/repos/PostHog/posthog-js/issues"
    assert "Northwind" not in data["body"] and "adoptedStyleSheets" in data["body"]
    assert "posthog-escalation:idempotency-key=" in data["body"]
    assert "nothing was sent" in text(result)
    assert github.requests == []


async def test_filing_with_confirm_creates_the_issue_once(
    server: MCPServer, github: FakeGitHub, data_dir: Path
) -> None:
    first = ok(await call(server, "file_escalation", {"escalation_id": "ESC-1", "confirm": True}))
    assert first["outcome"] == "created" and first["sent"]
    assert first["issue_url"] == "https://github.com/PostHog/posthog-js/issues/500"
    again = ok(await call(server, "file_escalation", {"escalation_id": "ESC-1", "confirm": True}))
    assert again["outcome"] == "already_filed" and again["issue_url"] == first["issue_url"]
    assert len(github.creates) == 1
    with EscalationStore.in_data_dir(data_dir) as store:
        assert store.get("ESC-1").status is Status.FILED


async def test_filing_without_a_token_says_to_set_github_token(
    data_dir: Path, demo_backends: Backends, github: FakeGitHub
) -> None:
    server = build_server(
        settings=tool_settings(data_dir, token=None),
        backends=demo_backends,
        github_transport=httpx2.MockTransport(github.handler),
    )
    result = await call(server, "file_escalation", {"escalation_id": "ESC-1", "confirm": True})
    assert result.is_error and "GITHUB_TOKEN is not set" in text(result)
    assert github.requests == []


async def test_a_security_escalation_is_refused_and_marked_for_its_private_channel(
    tmp_path: Path,
    example_escalation: Escalation,
    demo_request: EscalationRequest,
    demo_backends: Backends,
    github: FakeGitHub,
) -> None:
    routing = example_escalation.routing.model_copy(update={"route": "security"})
    security = example_escalation.model_copy(update={"routing": routing})
    with EscalationStore.in_data_dir(tmp_path) as store:
        store_escalation(store, security, ticket=demo_request.ticket, now=STORED_AT)
    server = build_server(
        settings=tool_settings(tmp_path),
        backends=demo_backends,
        github_transport=httpx2.MockTransport(github.handler),
    )
    dry = ok(await call(server, "file_escalation", {"escalation_id": "ESC-1"}))
    assert dry["private_channel"] and "NOT FILED" in dry["warning"]
    refused = await call(server, "file_escalation", {"escalation_id": "ESC-1", "confirm": True})
    data = ok(refused)
    assert data["outcome"] == "refused" and not data["sent"]
    assert text(refused).startswith("WARNING:")
    assert github.creates == []
    with EscalationStore.in_data_dir(tmp_path) as store:
        assert store.get("ESC-1").private_channel == data["private_channel"]


async def test_no_token_appears_in_filing_results(server: MCPServer) -> None:
    dry = await call(server, "file_escalation", {"escalation_id": "ESC-1"})
    filed = await call(server, "file_escalation", {"escalation_id": "ESC-1", "confirm": True})
    for result in (dry, filed):
        assert TOKEN not in text(result) and TOKEN not in json.dumps(result.structured_content)
