"""The MCP tools that make and check an escalation: the quality gate, the renderer,
draft_escalation and save_escalation, against a real SQLite store in a temporary data
folder and the demo backends."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp.server.mcpserver import MCPServer

from mcp_calls import as_json, call, ok, text, tool_settings
from posthog_escalation.backends import Backends
from posthog_escalation.models import Escalation, EscalationRequest
from posthog_escalation.render import render_markdown
from posthog_escalation.server import build_server
from posthog_escalation.store import EscalationStore

# -- lint_escalation and render_escalation ---------------------------------------------------


async def test_lint_passes_the_reference_escalation(
    server: MCPServer, example_escalation: Escalation
) -> None:
    result = await call(server, "lint_escalation", {"escalation": as_json(example_escalation)})
    data = ok(result)
    assert data["ok"] and data["errors"] == 0
    assert data["required_severity"] == "High"
    assert text(result).startswith("Quality gate passed")


async def test_lint_reports_each_problem_with_its_field_and_fix(
    server: MCPServer, example_escalation: Escalation
) -> None:
    draft = as_json(example_escalation) | {"severity": "Medium"}
    result = await call(server, "lint_escalation", {"escalation": draft})
    data = ok(result)
    assert not data["ok"] and data["errors"] >= 1
    finding = next(f for f in data["findings"] if f["rule"] == "severity-matches-rubric")
    assert finding["field"] == "severity" and "raise severity to High" in finding["hint"]
    assert "severity-matches-rubric | severity" in text(result)


async def test_lint_and_render_name_the_invalid_field(
    server: MCPServer, example_escalation: Escalation
) -> None:
    draft = as_json(example_escalation)
    draft["impact"].pop("who")
    for tool in ("lint_escalation", "render_escalation"):
        result = await call(server, tool, {"escalation": draft})
        assert result.is_error
        assert "field 'impact.who' is required but missing" in text(result)
        assert "escalation://schema" in text(result)


async def test_render_internal_is_the_renderers_markdown(
    server: MCPServer, example_escalation: Escalation
) -> None:
    result = await call(server, "render_escalation", {"escalation": as_json(example_escalation)})
    data = ok(result)
    assert data["markdown"] == render_markdown(example_escalation, "internal")
    assert data["next_offset"] is None
    assert text(result) == data["markdown"]


NPM_TOKEN = "npm_Wq8fZ2kR7xLm4NvB9cT1yH6jD3sP0aQe5UoG"


def _leaky(escalation: Escalation) -> dict[str, Any]:
    data = as_json(escalation)
    data["communication"]["knows"] = f"They pasted their npm token {NPM_TOKEN} in the ticket."
    return data


async def test_render_replaces_credentials_in_the_escalation_it_is_given(
    server: MCPServer, example_escalation: Escalation
) -> None:
    result = await call(server, "render_escalation", {"escalation": _leaky(example_escalation)})
    markdown = ok(result)["markdown"]
    assert "They pasted their npm token" in markdown
    assert NPM_TOKEN not in markdown and NPM_TOKEN not in text(result)


@pytest.mark.parametrize("tool", ["lint_escalation", "save_escalation", "find_known_issues"])
async def test_every_tool_reads_tickets_and_escalations_through_the_credential_scrub(
    server: MCPServer,
    example_escalation: Escalation,
    demo_request: EscalationRequest,
    monkeypatch: pytest.MonkeyPatch,
    tool: str,
) -> None:
    from posthog_escalation import scrub

    cleaned: list[Any] = []
    scrub_credentials = scrub.scrub_credentials

    def recording(data: Any, *args: Any) -> Any:
        cleaned.append(scrub_credentials(data, *args))
        return cleaned[-1]

    monkeypatch.setattr(scrub, "scrub_credentials", recording)
    ticket = demo_request.ticket.model_dump(mode="json")
    ticket["body"] = f"{ticket['body']}\nnpm token: {NPM_TOKEN}"
    arguments: dict[str, Any] = (
        {"ticket": ticket}
        if tool == "find_known_issues"
        else {"escalation": _leaky(example_escalation)}
    )
    result = await call(server, tool, arguments)
    assert not result.is_error, text(result)
    assert cleaned and all(NPM_TOKEN not in json.dumps(data) for data in cleaned)
    assert NPM_TOKEN not in text(result)


async def test_render_public_with_the_ticket_replaces_the_customers_names(
    server: MCPServer, example_escalation: Escalation, demo_request: EscalationRequest
) -> None:
    result = await call(
        server,
        "render_escalation",
        {
            "escalation": as_json(example_escalation),
            "flavour": "public",
            "ticket": demo_request.ticket.model_dump(mode="json"),
        },
    )
    markdown = ok(result)["markdown"]
    assert "Northwind" not in markdown and "adoptedStyleSheets" in markdown
    assert markdown.startswith("## Session replay:")


async def test_render_returns_a_long_escalation_in_parts(
    server: MCPServer, example_escalation: Escalation
) -> None:
    long_evidence = [
        item.model_copy(update={"result": f"{item.id} " + "row | value\n" * 300})
        for item in example_escalation.evidence
    ]
    long = Escalation.model_validate(
        as_json(example_escalation.model_copy(update={"evidence": long_evidence}))
    )
    full = render_markdown(long, "internal")
    parts, offset = [], 0
    while offset is not None:
        data = ok(
            await call(server, "render_escalation", {"escalation": as_json(long), "offset": offset})
        )
        assert data["total_chars"] == len(full)
        assert len(data["markdown"]) <= 16_000
        parts.append(data["markdown"])
        offset = data["next_offset"]
    assert len(parts) >= 2
    assert "".join(parts) == full


# -- draft_escalation ------------------------------------------------------------------------


async def test_draft_escalation_drafts_gates_and_stores_the_demo_ticket(
    tmp_path: Path, demo_backends: Backends, demo_request: EscalationRequest
) -> None:
    server = build_server(settings=tool_settings(tmp_path), backends=demo_backends)
    result = await call(
        server,
        "draft_escalation",
        {
            "ticket": demo_request.ticket.model_dump(mode="json"),
            "triage": demo_request.triage.model_dump(mode="json"),
        },
    )
    data = ok(result)
    assert data["outcome"] == "stored" and data["passed_gate"]
    assert data["escalation_id"] == "ESC-1" and data["drafter"] == "offline"
    draft = Escalation.model_validate(data["escalation"])
    assert draft.ticket_id == demo_request.ticket.id and draft.evidence
    assert not [f for f in data["findings"] if f["level"] == "error"]
    assert text(result).startswith("Stored as ESC-1")
    with EscalationStore.in_data_dir(tmp_path) as store:
        stored = store.get("ESC-1")
    assert stored.escalation == draft and stored.ticket == demo_request.ticket


async def test_a_drafted_escalation_can_be_filed_and_followed_up_by_its_id(
    server: MCPServer, demo_request: EscalationRequest
) -> None:
    ticket = demo_request.ticket.model_copy(update={"id": "ZD-DRAFTED"})
    drafted = ok(
        await call(
            server,
            "draft_escalation",
            {"ticket": ticket.model_dump(mode="json"), "drafter": "offline"},
        )
    )
    escalation_id = drafted["escalation_id"]
    assert escalation_id == "ESC-2"  # the store already holds ESC-1
    dry = ok(await call(server, "file_escalation", {"escalation_id": escalation_id}))
    assert dry["outcome"] == "dry_run" and dry["repo"] and not dry["blockers"]
    recorded = ok(
        await call(
            server,
            "record_followup",
            {"escalation_id": escalation_id, "note": "Team confirmed", "now": "2026-11-20T18:00Z"},
        )
    )
    assert recorded["escalation_id"] == escalation_id


async def test_draft_escalation_returns_the_triage_refusal_and_stores_nothing(
    tmp_path: Path, demo_backends: Backends, demo_request: EscalationRequest
) -> None:
    server = build_server(settings=tool_settings(tmp_path), backends=demo_backends)
    triage = demo_request.triage.model_dump(mode="json") | {"decision": "resolve_in_support"}
    result = await call(
        server,
        "draft_escalation",
        {"ticket": demo_request.ticket.model_dump(mode="json"), "triage": triage},
    )
    data = ok(result)
    assert data["outcome"] == "refused" and data["escalation"] is None
    assert data["refusal"]["decision"] == "resolve_in_support"
    assert text(result).startswith("Not escalated")
    with EscalationStore.in_data_dir(tmp_path) as store:
        assert store.list() == []


async def test_draft_escalation_names_the_bad_ticket_field_and_the_schema_resource(
    server: MCPServer,
) -> None:
    result = await call(server, "draft_escalation", {"ticket": {"id": "ZD-1"}})
    assert result.is_error
    assert "field 'subject' is required" in text(result)
    assert "escalation://request-schema" in text(result)


async def test_draft_escalation_queries_a_remote_posthog_from_its_worker_loop(
    tmp_path: Path,
    demo_backends: Backends,
    remote_demo: Any,
    demo_request: EscalationRequest,
) -> None:
    remote = Backends(
        hogql=remote_demo,
        docs=demo_backends.docs,
        issues=demo_backends.issues,
        incidents=demo_backends.incidents,
    )
    server = build_server(settings=tool_settings(tmp_path), backends=remote)
    first = ok(await call(server, "hogql_query", {"query": "SELECT count() AS n FROM events"}))
    data = ok(
        await call(
            server,
            "draft_escalation",
            {"ticket": demo_request.ticket.model_dump(mode="json"), "drafter": "offline"},
        )
    )
    draft = Escalation.model_validate(data["escalation"])
    assert any(e.source == "hogql" and e.status == "ok" for e in draft.evidence)
    again = ok(await call(server, "hogql_query", {"query": "SELECT count() AS n FROM events"}))
    assert again["results"] == first["results"]


# -- save_escalation -------------------------------------------------------------------------


async def test_save_escalation_stores_a_passing_escalation_and_returns_its_id(
    tmp_path: Path,
    demo_backends: Backends,
    example_escalation: Escalation,
    demo_request: EscalationRequest,
) -> None:
    server = build_server(settings=tool_settings(tmp_path), backends=demo_backends)
    result = await call(
        server,
        "save_escalation",
        {
            "escalation": as_json(example_escalation),
            "ticket": demo_request.ticket.model_dump(mode="json"),
        },
    )
    data = ok(result)
    assert data["escalation_id"] == "ESC-1" and data["created"] and data["revision"] == 1
    assert data["status"] == "draft"
    with EscalationStore.in_data_dir(tmp_path) as store:
        stored = store.get("ESC-1")
    assert stored.escalation == example_escalation and stored.ticket == demo_request.ticket
    dry = ok(await call(server, "file_escalation", {"escalation_id": "ESC-1"}))
    assert dry["outcome"] == "dry_run" and not dry["blockers"]


async def test_save_escalation_refuses_a_draft_the_gate_fails_with_the_findings(
    tmp_path: Path, demo_backends: Backends, example_escalation: Escalation
) -> None:
    server = build_server(settings=tool_settings(tmp_path), backends=demo_backends)
    draft = as_json(example_escalation) | {"severity": "Medium"}
    result = await call(server, "save_escalation", {"escalation": draft})
    assert result.is_error
    assert "not saved: the quality gate found" in text(result)
    assert "severity-matches-rubric (severity)" in text(result)
    with EscalationStore.in_data_dir(tmp_path) as store:
        assert store.list() == []


async def test_saving_the_same_tickets_escalation_again_revises_it(
    server: MCPServer, example_escalation: Escalation
) -> None:
    revised = example_escalation.model_copy(update={"severity_rationale": "Revised rationale."})
    data = ok(await call(server, "save_escalation", {"escalation": as_json(revised)}))
    assert data["escalation_id"] == "ESC-1" and not data["created"] and data["revision"] == 2


async def test_save_escalation_without_the_ticket_says_filing_needs_it(
    tmp_path: Path, demo_backends: Backends, example_escalation: Escalation
) -> None:
    server = build_server(settings=tool_settings(tmp_path), backends=demo_backends)
    result = await call(server, "save_escalation", {"escalation": as_json(example_escalation)})
    assert ok(result)["escalation_id"] == "ESC-1"
    assert "filing stays blocked" in text(result)


@pytest.mark.parametrize("tool", ["lint_escalation", "render_escalation", "save_escalation"])
async def test_an_escalation_larger_than_the_bound_is_refused_in_one_line(
    server: MCPServer, example_escalation: Escalation, tool: str
) -> None:
    huge = as_json(example_escalation) | {"severity_rationale": "x" * 600_000}
    result = await call(server, tool, {"escalation": huge})
    assert result.is_error
    assert "escalation is" in text(result) and "the limit is 500000" in text(result)
    assert "xxxxxxxxxx" not in text(result)
