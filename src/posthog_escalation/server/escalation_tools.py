"""The MCP server's tools that make and check an escalation: the quality gate, the
renderer, ``draft_escalation`` (the whole pipeline in one call) and ``save_escalation``
(store an escalation the caller wrote, after the gate).

The gate, the renderer and the store run in worker threads; the pipeline runs in a
worker thread on an event loop of its own (see :mod:`.offload`), so a long draft never
holds up another client's calls.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, ToolAnnotations

from ..lint import Finding, LintReport, lint, required_severity
from ..models import Escalation, EscalationRequest, Ticket, TriageReport
from ..render import render_markdown
from ..tables import pipe_table
from .offload import bridged, in_thread, on_own_loop
from .results import DraftToolResult, LintResult, RenderResult, SaveToolResult
from .runtime import Runtime
from .tooling import (
    READ_ONLY,
    REQUEST_HINT,
    SCHEMA_HINT,
    EscalationArg,
    TicketArg,
    ToolBox,
    TriageArg,
    answer,
    choice_arg,
    chunk,
    fixable,
    int_arg,
    object_arg,
    validated,
    when,
    with_store,
)

if TYPE_CHECKING:
    from ..outcome import Outcome
    from ..store import EscalationStore, SaveResult


def escalation_tools(runtime: Runtime) -> list[Tool]:
    """The gate, the renderer, drafting and saving."""
    box = ToolBox()
    _gate_tools(box, runtime)
    _store_tools(box, runtime)
    return box.tools


def _findings_table(findings: list[Finding]) -> str:
    rows = [[f.level, f.rule, f.field, f.message, f.hint] for f in findings]
    return pipe_table(
        ["level", "rule", "field", "problem", "fix"], rows, max_rows=len(rows), max_cell=200
    )


# -- the quality gate and the template -------------------------------------------------------


def _gate_tools(box: ToolBox, runtime: Runtime) -> None:
    closed = ToolAnnotations(open_world_hint=False, **READ_ONLY)

    @box.tool(
        name="lint_escalation",
        title="Check an escalation draft",
        annotations=closed,
        description=(
            "Run the quality gate on an escalation: numbers quantified and cited, severity "
            "as the rubric requires, the route, a specific reproduction and asks. Returns "
            "findings with field and fix; errors block, warnings do not. Next: fix, lint "
            "again, then save_escalation."
        ),
    )
    async def lint_escalation(escalation: EscalationArg) -> Annotated[CallToolResult, LintResult]:
        def check() -> tuple[LintReport, str]:
            draft = validated(escalation, Escalation, "escalation", SCHEMA_HINT)
            with fixable(runtime):
                return lint(draft, runtime.playbook), required_severity(
                    draft, runtime.playbook
                ).value

        report, needed = await in_thread(check)
        model = LintResult(
            ok=report.ok,
            errors=len(report.errors),
            warnings=len(report.warnings),
            required_severity=needed,
            findings=report.findings,
        )
        verdict = "passed" if report.ok else "failed"
        lines = [
            f"Quality gate {verdict}: {model.errors} error(s), {model.warnings} warning(s); "
            f"the rubric requires at least {needed}."
        ]
        if report.findings:
            lines += ["", _findings_table(report.findings)]
        return answer(model, "\n".join(lines))

    @box.tool(
        name="render_escalation",
        title="Render an escalation",
        annotations=closed,
        description=(
            "Render an escalation as the template's markdown: internal, or public (names, "
            "emails, keys replaced, revenue withheld; pass the ticket so its names go too). "
            "Long text comes in parts: call again with next_offset. Next: save_escalation."
        ),
    )
    async def render_escalation(
        escalation: EscalationArg,
        flavour: Annotated[
            Literal["internal", "public"],
            choice_arg("internal (full) or public (redacted).", "internal", "public"),
        ] = "internal",
        ticket: Annotated[
            dict[str, Any] | None,
            object_arg("The ticket, so public replaces the customer's names."),
        ] = None,
        offset: Annotated[int, int_arg("Character offset of the part to return.", 0)] = 0,
    ) -> Annotated[CallToolResult, RenderResult]:
        if offset < 0:
            raise ToolError(f"offset {offset} is negative — use 0 or the next_offset given")

        def render() -> str:
            draft = validated(escalation, Escalation, "escalation", SCHEMA_HINT)
            source = validated(ticket, Ticket, "ticket", REQUEST_HINT) if ticket else None
            with fixable(runtime):
                if flavour == "internal":
                    return render_markdown(draft, "internal")
                from ..redact import redactor_for

                redactor = redactor_for(
                    source, runtime.secrets, keep_project_ids=runtime.settings.keep_project_ids
                )
                return render_markdown(draft, "public", redactor=redactor)

        text = await in_thread(render)
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


# -- drafting and saving ---------------------------------------------------------------------


def _store(runtime: Runtime, escalation: Escalation, ticket: Ticket | None) -> SaveResult:
    from ..store import store_escalation

    def save(store: EscalationStore) -> SaveResult:
        return store_escalation(
            store,
            escalation,
            now=escalation.created_at,
            ticket=ticket,
            extra_secrets=runtime.secrets,
            keep_project_ids=runtime.settings.keep_project_ids,
        )

    result: SaveResult = with_store(runtime, save)
    return result


def _store_tools(box: ToolBox, runtime: Runtime) -> None:
    writes = ToolAnnotations(read_only_hint=False, destructive_hint=False, idempotent_hint=False)

    @box.tool(
        name="draft_escalation",
        title="Escalate a ticket in one call",
        annotations=writes.model_copy(update={"open_world_hint": runtime.drafts_remotely}),
        description=(
            "Escalate a ticket in one call: gather evidence, draft (rules, or Claude when "
            "ANTHROPIC_API_KEY is set), run the quality gate, store it if it passes. Returns "
            "the escalation with its evidence, the findings and its id (ESC-n), or the "
            "triage refusal. Next: file_escalation."
        ),
    )
    async def draft_escalation(
        ticket: TicketArg,
        triage: TriageArg = None,
        drafter: Annotated[
            Literal["auto", "offline", "llm"],
            choice_arg("auto: Claude when configured, else offline.", "auto", "offline", "llm"),
        ] = "auto",
    ) -> Annotated[CallToolResult, DraftToolResult]:
        request = EscalationRequest(
            ticket=validated(ticket, Ticket, "ticket", REQUEST_HINT),
            triage=validated(triage, TriageReport, "triage", REQUEST_HINT) if triage else None,
        )
        with fixable(runtime):
            backends = bridged(await runtime.backends())

            from ..pipeline import escalate

            async def run() -> Outcome:
                return await escalate(
                    request,
                    settings=runtime.settings,
                    backends=backends,
                    drafter=drafter,
                    playbook=runtime.playbook,
                )

            outcome = await on_own_loop(run)
            saved = None
            if outcome.escalation is not None and outcome.passed_gate:
                saved = await in_thread(_store, runtime, outcome.escalation, request.ticket)
        return _draft_answer(outcome, saved)

    @box.tool(
        name="save_escalation",
        title="Store an escalation",
        annotations=writes.model_copy(update={"open_world_hint": False}),
        description=(
            "Store an escalation you wrote once the quality gate passes (refused with the "
            "findings otherwise); a stored ticket's escalation gets a new revision. Returns "
            "its id (ESC-n). Pass the ticket: filing redacts its names. Next: "
            "file_escalation."
        ),
    )
    async def save_escalation(
        escalation: EscalationArg,
        ticket: Annotated[
            dict[str, Any] | None,
            object_arg("The ticket it escalates; shape: Ticket in escalation://request-schema."),
        ] = None,
    ) -> Annotated[CallToolResult, SaveToolResult]:
        def gate_and_store() -> tuple[LintReport, SaveResult | None]:
            draft = validated(escalation, Escalation, "escalation", SCHEMA_HINT)
            source = validated(ticket, Ticket, "ticket", REQUEST_HINT) if ticket else None
            with fixable(runtime):
                report = lint(draft, runtime.playbook)
                if not report.ok:
                    return report, None
                return report, _store(runtime, draft, source)

        report, saved = await in_thread(gate_and_store)
        if saved is None:
            lines = [f"- {f.one_line()}" for f in report.errors]
            raise ToolError(
                f"not saved: the quality gate found {len(report.errors)} error(s) — fix them "
                "and call save_escalation again:\n" + "\n".join(lines)
            )
        stored = saved.stored
        model = SaveToolResult(
            escalation_id=stored.id,
            created=saved.created,
            revision=stored.revision,
            status=stored.status.value,
            warnings=report.warnings,
            next_team_check=stored.schedule.team_due,
            next_customer_update=stored.schedule.customer_due,
        )
        verb = "Stored" if saved.created else f"Revised (revision {stored.revision})"
        lines = [
            f"{verb}: {stored.id} ({stored.status.value}, {stored.severity}, route "
            f"{stored.route}). Next team check {when(stored.schedule.team_due)}; next "
            f"customer update {when(stored.schedule.customer_due)}.",
            f"File it with file_escalation escalation_id={stored.id} (a dry run first).",
        ]
        if not stored.ticket:
            lines.append(
                "No ticket was stored with it: filing stays blocked until it is saved again "
                "with the ticket (the public copy must replace the customer's names)."
            )
        if report.warnings:
            lines += ["", _findings_table(report.warnings)]
        return answer(model, "\n".join(lines))


def _draft_answer(outcome: Outcome, saved: SaveResult | None) -> CallToolResult:
    escalation = outcome.escalation
    if escalation is None:
        refusal = outcome.refusal
        reason = refusal.reason if refusal else "no escalation was drafted"
        model = DraftToolResult(
            outcome="refused",
            escalation_id=None,
            drafter=outcome.drafter,
            passed_gate=False,
            escalation=None,
            findings=[],
            refusal=refusal,
            notes=outcome.notes,
        )
        return answer(model, f"Not escalated: ticket {outcome.ticket_id}: {reason}")
    errors = [f for f in outcome.findings if f.level == "error"]
    model = DraftToolResult(
        outcome="stored" if saved else "not_stored",
        escalation_id=saved.stored.id if saved else None,
        revision=saved.stored.revision if saved else None,
        drafter=outcome.drafter,
        passed_gate=outcome.passed_gate,
        escalation=escalation,
        findings=outcome.findings,
        refusal=None,
        notes=outcome.notes,
    )
    gate = f"{len(errors)} error(s), {len(outcome.findings) - len(errors)} warning(s)"
    drafted = f"drafted {'with Claude' if outcome.drafter == 'llm' else 'offline'}"
    if outcome.fell_back:
        drafted += " (Claude could not finish; the offline drafter wrote it)"
    lines: list[str]
    if saved is not None:
        lines = [
            f"Stored as {saved.stored.id} (revision {saved.stored.revision}); quality gate "
            f"passed with {gate}; {drafted}. Next: file_escalation "
            f"escalation_id={saved.stored.id} (a dry run first).",
        ]
    else:
        lines = [
            f"Not stored: the quality gate found {gate}; {drafted}. Fix the errors in the "
            "escalation below and store it with save_escalation.",
        ]
    lines += [f"Note: {note}" for note in outcome.notes]
    if outcome.findings:
        lines += ["", _findings_table(outcome.findings)]
    if saved is not None:
        lines += ["", outcome.markdown]
    else:
        lines += ["", "```json", json.dumps(escalation.model_dump(mode="json")), "```"]
    return answer(model, "\n".join(lines))
