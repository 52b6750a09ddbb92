"""docs/agent-api.md is true: its Python example runs and prints what the page shows, and
its MCP examples are what draft_escalation and save_escalation answer on the demo ticket."""

from __future__ import annotations

import contextlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from mcp_calls import as_json, tool_settings
from posthog_escalation.backends import Backends
from posthog_escalation.models import Escalation, EscalationRequest
from posthog_escalation.server import build_server

PAGE = Path(__file__).resolve().parents[2] / "docs" / "agent-api.md"


def blocks(language: str, after: str) -> list[str]:
    """The fenced ``language`` blocks of the page after the heading ``after``."""
    text = PAGE.read_text(encoding="utf-8")
    section = text[text.index(after) :]
    return re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)


def without_ellipses(value: Any) -> Any:
    """``value`` without the ``"...": "..."`` entries the page uses to cut it short."""
    if isinstance(value, dict):
        return {k: without_ellipses(v) for k, v in value.items() if k != "..."}
    return value


def test_the_python_example_prints_what_the_page_shows(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("POSTHOG_ESCALATION_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("POSTHOG_ESCALATION_BACKEND", "local")
    code, shown = blocks("python", "## Over the Python API")[0], blocks("text", "Prints:")[0]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(PAGE), "exec"), {})
    assert printed.getvalue() == shown


async def test_the_mcp_examples_are_what_the_tools_answer(
    tmp_path: Path,
    demo_backends: Backends,
    demo_request: EscalationRequest,
    example_escalation: Escalation,
) -> None:
    drafted_doc = json.loads(blocks("json", "**Answer**")[0])
    refusal_doc = blocks("text", "### `save_escalation`")[0]
    saved_doc = json.loads(blocks("json", "and the\nanswer:")[0])
    server = build_server(settings=tool_settings(tmp_path), backends=demo_backends)
    ticket = demo_request.ticket.model_dump(mode="json")
    async with Client(server) as client:
        drafted = await client.call_tool(
            "draft_escalation",
            {"ticket": ticket, "triage": demo_request.triage.model_dump(mode="json")},
        )
        refused = await client.call_tool(
            "save_escalation", {"escalation": as_json(example_escalation) | {"severity": "Medium"}}
        )
        saved = await client.call_tool(
            "save_escalation", {"escalation": as_json(example_escalation), "ticket": ticket}
        )
    answer = drafted.structured_content
    expected = without_ellipses(drafted_doc)
    evidence_doc = expected["escalation"].pop("evidence")[0]
    assert {k: answer[k] for k in expected if k != "escalation"} == {
        k: v for k, v in expected.items() if k != "escalation"
    }
    assert {k: answer["escalation"][k] for k in expected["escalation"]} == expected["escalation"]
    first = answer["escalation"]["evidence"][0]
    assert (first["id"], first["source"], first["finding"]) == (
        evidence_doc["id"],
        evidence_doc["source"],
        evidence_doc["finding"],
    )
    assert refused.is_error
    assert refused.content[0].text.endswith(refusal_doc.strip())
    assert saved.structured_content == saved_doc
