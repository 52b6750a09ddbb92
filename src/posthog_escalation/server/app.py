"""The MCP server: evidence tools, the quality gate, the template, the playbook and the
``escalate`` prompt, for Claude Desktop, Claude Code and agents.

:func:`build_server` returns an ``mcp`` :class:`~mcp.server.mcpserver.MCPServer`. It is a
thin adapter: the tools (:mod:`.evidence_tools`, :mod:`.escalation_tools`,
:mod:`.followthrough_tools`) call the package's plain functions; the resources and the
prompt (:mod:`.content`) read the skill and the playbook.

Backends: given ones are used as they are (and never closed). Otherwise they are opened
from the settings with :func:`~posthog_escalation.backends.open_backends` once per server
run: the lifespan starts opening them in the background (so the client's first
``list_tools`` is answered at once) and closes them at shutdown; a tool that needs them
waits for the opening to finish. When they cannot be opened (say a remote backend is
forced without its key), every evidence tool says what to set, and the rest still works.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from mcp.server.mcpserver import MCPServer, UserMessage
from pydantic import BaseModel, Field

from .. import __version__
from .content import (
    escalate_messages,
    playbook_text,
    request_schema_text,
    schema_text,
    template_text,
)
from .escalation_tools import escalation_tools
from .evidence_tools import evidence_tools
from .followthrough_tools import followthrough_tools
from .runtime import Runtime
from .sessions import EvidenceSink, ServerRun
from .skills import SkillsExtension, packaged_skill

if TYPE_CHECKING:
    import httpx2
    from tenacity.wait import wait_base

    from ..backends import Backends
    from ..config import Settings
    from ..playbook import Playbook

SERVER_NAME = "posthog-escalation"
INSTRUCTIONS = """\
Tools to turn a PostHog support ticket into a quantified, evidenced, routed engineering \
escalation. In one call: draft_escalation (evidence, draft, quality gate, stored as ESC-n). \
Step by step: quantify with impact_summary and hogql_query, gather evidence with \
docs_search, find_known_issues and github_issue_search (every result names an evidence id \
to cite), write the escalation (escalation://template, escalation://schema), check it with \
lint_escalation, store it with save_escalation. Follow-through: file_escalation (a dry run \
unless confirm is true), list_followups, record_followup. The workflow is the skill at \
skill://posthog-escalation/SKILL.md (also the escalate prompt); escalation://playbook holds \
severity, routing, cadence and close/downgrade rules."""


def _lifespan(runtime: Runtime) -> Any:
    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[ServerRun]:
        async with anyio.create_task_group() as group:
            runtime.enter()
            if runtime.owns_backends:
                group.start_soon(runtime.warm)
            try:
                yield ServerRun()
            finally:
                with anyio.CancelScope(shield=True):
                    await runtime.exit()

    return lifespan


def _warming(runtime: Runtime) -> Any:
    """Server middleware: the backends start opening once a tool list is answered."""

    async def warm_after_listing(ctx: Any, call_next: Any) -> Any:
        result = await call_next(ctx)
        if getattr(ctx, "method", None) == "tools/list":
            runtime.listed()
        return result

    return warm_after_listing


def _scrubbing(runtime: Runtime) -> Any:
    """Server middleware: no configured secret leaves in any answer (results, errors,
    prompts, resources), whatever produced it."""

    async def scrub(ctx: Any, call_next: Any) -> Any:
        result = await call_next(ctx)
        if not runtime.secrets:
            return result
        if isinstance(result, BaseModel):
            dumped = result.model_dump_json(by_alias=True, exclude_unset=True)
            if any(secret in dumped for secret in runtime.secrets):
                return type(result).model_validate_json(runtime.scrub(dumped))
        elif isinstance(result, dict):
            dumped = json.dumps(result, ensure_ascii=False)
            if any(secret in dumped for secret in runtime.secrets):
                return json.loads(runtime.scrub(dumped))
        return result

    return scrub


def build_server(
    *,
    settings: Settings,
    backends: Backends | None = None,
    evidence: EvidenceSink | None = None,
    playbook: Playbook | None = None,
    github_transport: httpx2.AsyncBaseTransport | None = None,
    github_wait: wait_base | None = None,
    log_level: str = "WARNING",
) -> MCPServer[Any]:
    """The MCP server with every tool, the ``escalate`` prompt and the resources.

    Args:
        settings: Settings (backends, data folder for the store, secrets to scrub).
        backends: Use these (the caller closes them); by default they are opened from
            ``settings`` in the server's lifespan and closed at shutdown.
        evidence: Where every evidence-producing tool call records its result
            (``log.add``; the result names the id), whoever calls. By default each MCP
            session has its own bounded log (see :mod:`.sessions`).
        playbook: The playbook (default: the packaged one).
        github_transport: HTTP transport for filing (tests pass ``httpx2.MockTransport``).
        github_wait: Wait between filing retries (tests pass ``tenacity.wait_none()``).
        log_level: The SDK's log level (logs go to stderr).
    """
    runtime = Runtime(
        settings,
        playbook,
        evidence,
        backends,
        github_transport=github_transport,
        github_wait=github_wait,
    )
    skill = packaged_skill()
    server: MCPServer[Any] = MCPServer(
        SERVER_NAME,
        title="PostHog support escalations",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=_lifespan(runtime),
        log_level=log_level.upper(),  # type: ignore[arg-type]
        tools=[
            *evidence_tools(runtime),
            *escalation_tools(runtime),
            *followthrough_tools(runtime),
        ],
        extensions=[SkillsExtension([skill] if skill else [])],
    )
    server.middleware.append(_scrubbing(runtime))
    server.middleware.append(_warming(runtime))
    _register_resources(server, runtime)
    _register_prompt(server, runtime)
    return server


def _register_resources(server: MCPServer[Any], runtime: Runtime) -> None:
    @server.resource(
        "escalation://template",
        name="template",
        title="Escalation template",
        description="The escalation template (headings and field labels) and a filled example.",
        mime_type="text/markdown",
    )
    def template() -> str:
        return template_text()

    @server.resource(
        "escalation://playbook",
        name="playbook",
        title="Escalation playbook",
        description=(
            "The five dimensions, severity rubric, routing table (team, repository, labels, "
            "context), follow-up cadence and close/downgrade criteria."
        ),
        mime_type="text/markdown",
    )
    def playbook_resource() -> str:
        return playbook_text(runtime.playbook)

    @server.resource(
        "escalation://schema",
        name="schema",
        title="Escalation JSON schema",
        description="The JSON schema of an escalation: what lint, render and save accept.",
        mime_type="application/schema+json",
    )
    def schema() -> str:
        return schema_text()

    @server.resource(
        "escalation://request-schema",
        name="request-schema",
        title="Ticket and triage report JSON schema",
        description="The JSON schema of a ticket and its triage report ($defs Ticket, "
        "TriageReport): what draft_escalation and find_known_issues accept.",
        mime_type="application/schema+json",
    )
    def request_schema() -> str:
        return request_schema_text()


def _register_prompt(server: MCPServer[Any], runtime: Runtime) -> None:
    @server.prompt(
        name="escalate",
        title="Escalate a support ticket",
        description=(
            "Turn a support ticket (and its triage report) into an engineering escalation: "
            "the skill's workflow and template, then the ticket."
        ),
    )
    def escalate(
        ticket: Annotated[
            str, Field(description="The ticket: paste its text, YAML or JSON (with customer).")
        ],
        triage_report: Annotated[
            str | None, Field(description="The triage report, if any (text, YAML or JSON).")
        ] = None,
    ) -> list[UserMessage]:
        return [
            UserMessage(text) for text in escalate_messages(ticket, triage_report, runtime.playbook)
        ]
