"""The MCP server's tools that work on an escalation draft: the quality gate and the
renderer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import WithJsonSchema

from ..lint import lint, required_severity
from ..models import Escalation, Ticket
from ..redact import redactor_for
from ..render import render_markdown
from ..tables import pipe_table
from .results import LintResult, RenderResult
from .runtime import Runtime
from .schemas import inline_schema
from .tooling import (
    READ_ONLY,
    SCHEMA_HINT,
    EscalationArg,
    answer,
    chunk,
    describe,
    fixable,
    validated,
)


def register_escalation_tools(server: MCPServer[Any], runtime: Runtime) -> None:
    """Add the quality gate and the renderer to ``server``."""
    _draft_tools(server, runtime)


# -- drafting: the quality gate and the template ---------------------------------------------


def _draft_tools(server: MCPServer[Any], runtime: Runtime) -> None:
    closed = ToolAnnotations(open_world_hint=False, **READ_ONLY)

    @server.tool(
        name="lint_escalation",
        title="Check an escalation draft",
        annotations=closed,
        description=(
            "Run the quality gate on an escalation draft (a JSON object in the shape of the "
            "escalation://schema resource): is every number quantified and cited, is the "
            "severity what the rubric requires, is the route right, are the reproduction "
            "and the asks specific. Returns each finding with its field and the fix; errors "
            "block the escalation, warnings do not. It never changes the draft and is not a "
            "renderer. Use it before showing or filing a draft "
            "and again after fixing. Next: render_escalation."
        ),
    )
    async def lint_escalation(escalation: EscalationArg) -> Annotated[CallToolResult, LintResult]:
        draft = validated(escalation, Escalation, "escalation", SCHEMA_HINT)
        with fixable(runtime):
            report = lint(draft, runtime.playbook)
            needed = required_severity(draft, runtime.playbook)
        model = LintResult(
            ok=report.ok,
            errors=len(report.errors),
            warnings=len(report.warnings),
            required_severity=needed.value,
            findings=report.findings,
        )
        verdict = "passed" if report.ok else "failed"
        lines = [
            f"Quality gate {verdict}: {model.errors} error(s), {model.warnings} warning(s); "
            f"the rubric requires at least {needed.value}."
        ]
        if report.findings:
            rows = [[f.level, f.rule, f.field, f.message, f.hint] for f in report.findings]
            lines += [
                "",
                pipe_table(
                    ["level", "rule", "field", "problem", "fix"],
                    rows,
                    max_rows=len(rows),
                    max_cell=200,
                ),
            ]
        return answer(model, "\n".join(lines))

    @server.tool(
        name="render_escalation",
        title="Render an escalation",
        annotations=closed,
        description=(
            "Render an escalation (JSON in the shape of escalation://schema) as markdown in "
            "the template: `internal` (everything) or `public` (customer names, emails, "
            "keys replaced by placeholders, revenue and churn withheld: what may leave the "
            "company). Pass the ticket with `public` so the customer's names are replaced "
            "too. Long documents come in parts: call again with the given offset. Use it "
            "after lint_escalation passes, not to check a draft. Next: share the internal "
            "text with the team, or file a stored escalation with file_escalation."
        ),
    )
    async def render_escalation(
        escalation: EscalationArg,
        flavour: Annotated[
            Literal["internal", "public"], describe("internal (full) or public (redacted).")
        ] = "internal",
        ticket: Annotated[
            dict[str, Any] | None,
            WithJsonSchema({"anyOf": [inline_schema(Ticket), {"type": "null"}]}),
            describe("The ticket, so the public flavour replaces the customer's names."),
        ] = None,
        offset: Annotated[int, describe("Character offset of the part to return.")] = 0,
    ) -> Annotated[CallToolResult, RenderResult]:
        if offset < 0:
            raise ToolError(f"offset {offset} is negative — use 0 or the next_offset given")
        draft = validated(escalation, Escalation, "escalation", SCHEMA_HINT)
        source = validated(ticket, Ticket, "ticket", "pass a Ticket object") if ticket else None
        with fixable(runtime):
            if flavour == "public":
                redactor = redactor_for(
                    source,
                    runtime.secrets,
                    keep_project_ids=runtime.settings.keep_project_ids,
                )
                text = render_markdown(draft, "public", redactor=redactor)
            else:
                text = render_markdown(draft, "internal")
        part, next_offset = chunk(text, offset)
        model = RenderResult(
            flavour=flavour,
            markdown=part,
            offset=offset,
            total_chars=len(text),
            next_offset=next_offset,
        )
        shown = part
        if next_offset is not None:
            shown += (
                f"\n\n… part ends at character {next_offset} of {len(text)}: call "
                f"render_escalation again with offset={next_offset}."
            )
        return answer(model, shown)
