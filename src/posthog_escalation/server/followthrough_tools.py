"""The MCP server's follow-through tools: due follow-ups, recording what happened, and
filing on GitHub.

They open the escalation store per call (a SQLite connection is never shared across
threads) and call :mod:`~posthog_escalation.followups` and
:mod:`~posthog_escalation.filing`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import httpx2
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, ToolAnnotations

from .. import filing, followups
from ..store import EscalationStore, StoredEscalation
from ..tables import pipe_table
from .offload import in_thread
from .results import FilingToolResult, FollowupsResult, RecordResult
from .runtime import Runtime
from .tooling import (
    ID_CHARS,
    MAX_FOLLOWUPS,
    NOTE_CHARS,
    READ_ONLY,
    TIME_CHARS,
    ToolBox,
    answer,
    choice_arg,
    chunk,
    fixable,
    flag_arg,
    in_range,
    int_arg,
    parse_now,
    text_arg,
    when,
    with_store,
)


def followthrough_tools(runtime: Runtime) -> list[Tool]:
    """The follow-up and filing tools."""
    box = ToolBox()

    @box.tool(
        name="list_followups",
        title="List due follow-ups",
        annotations=ToolAnnotations(open_world_hint=False, **READ_ONLY),
        description=(
            "List the follow-ups of stored open escalations, most overdue first: team check "
            "or customer update, upcoming/due/overdue, where and what to do. due_only skips "
            "upcoming ones. Next: do it, then record_followup."
        ),
    )
    async def list_followups(
        due_only: Annotated[bool, flag_arg("Only follow-ups that are due or overdue.")] = False,
        limit: Annotated[int, int_arg("Follow-ups to return.", 1, MAX_FOLLOWUPS)] = 20,
        offset: Annotated[int, int_arg("Follow-ups to skip.", 0)] = 0,
        now: Annotated[str | None, text_arg("Treat this ISO time as now.", TIME_CHARS)] = None,
    ) -> Annotated[CallToolResult, FollowupsResult]:
        in_range("limit", limit, 1, MAX_FOLLOWUPS)
        if offset < 0:
            raise ToolError(f"offset {offset} is negative — use 0 or the next_offset given")
        moment = parse_now(now)
        with fixable(runtime):
            items = await in_thread(
                lambda: with_store(
                    runtime,
                    lambda store: followups.list_followups(
                        store, moment, due_only=due_only, playbook=runtime.playbook
                    ),
                )
            )
        page = items[offset : offset + limit]
        next_offset = offset + limit if len(items) > offset + limit else None
        model = FollowupsResult(
            now=moment, total=len(items), followups=page, offset=offset, next_offset=next_offset
        )
        if not items:
            text = "Nothing due." if due_only else "No open escalations."
        else:
            rows = [
                [
                    f.state,
                    f.escalation_id,
                    f.severity.value,
                    "team check" if f.kind == "team" else "customer update",
                    when(f.due_at),
                    when(f.deadline),
                    f.action,
                ]
                for f in page
            ]
            text = "\n".join(
                [
                    f"{len(items)} follow-up(s) as of {when(moment)}, soonest first:",
                    "",
                    pipe_table(
                        ["state", "escalation", "severity", "what", "due", "overdue after", "do"],
                        rows,
                        max_rows=limit,
                        max_cell=240,
                    ),
                ]
            )
            if next_offset is not None:
                text += f"\nMore: call list_followups again with offset={next_offset}."
        return answer(model, text)

    @box.tool(
        name="record_followup",
        title="Record a follow-up, close or downgrade",
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=False,
            open_world_hint=False,
        ),
        description=(
            "Record what happened on a stored escalation and restart its clock: update with "
            "a note (kind team, customer or both); close with a close reason id; downgrade "
            "with `to` and a downgrade reason id (a wrong id lists the valid ones). Next: "
            "list_followups."
        ),
    )
    async def record_followup(
        escalation_id: Annotated[str, text_arg("The stored escalation, e.g. ESC-1.", ID_CHARS)],
        action: Annotated[
            Literal["update", "close", "downgrade"],
            choice_arg("What to record.", "update", "close", "downgrade"),
        ] = "update",
        note: Annotated[str, text_arg("What was learned or said.", NOTE_CHARS)] = "",
        kind: Annotated[
            Literal["team", "customer", "both"],
            choice_arg("For update: which follow-up.", "team", "customer", "both"),
        ] = "team",
        reason: Annotated[
            str | None, text_arg("For close/downgrade: a playbook criterion id.")
        ] = None,
        to: Annotated[str | None, text_arg("For downgrade: the lower severity.", ID_CHARS)] = None,
        now: Annotated[str | None, text_arg("When it happened (ISO time).", TIME_CHARS)] = None,
    ) -> Annotated[CallToolResult, RecordResult]:
        moment = parse_now(now)
        book = runtime.playbook
        if action in ("close", "downgrade") and not (reason and reason.strip()):
            allowed = ", ".join(c.id for c in book.close_criteria if action in c.applies_to)
            raise ToolError(f"{action} needs a reason — pass reason as one of: {allowed}")
        if action == "downgrade" and not (to and to.strip()):
            raise ToolError("downgrade needs `to` — pass the lower severity, High or Medium")

        def run(store: EscalationStore) -> RecordResult:
            criterion: str | None = None
            steps: list[str] = []
            if action == "update":
                stored = followups.record_update(
                    store, escalation_id, note, moment, kind=kind, playbook=book
                )
            elif action == "close":
                closed = followups.close(
                    store, escalation_id, reason or "", moment, note=note, playbook=book
                )
                stored, criterion, steps = (
                    closed.escalation,
                    closed.criterion.text,
                    closed.closing_steps,
                )
            else:
                stored = followups.downgrade(
                    store,
                    escalation_id,
                    to or "",
                    reason or "",
                    moment,
                    note=note,
                    playbook=book,
                    extra_secrets=tuple(runtime.secrets),
                    keep_project_ids=runtime.settings.keep_project_ids,
                )
                criterion = book.criterion((reason or "").strip(), "downgrade").text
            return RecordResult(
                escalation_id=stored.id,
                action=action,
                status=stored.status.value,
                severity=stored.severity,
                next_team_check=stored.schedule.team_due,
                next_customer_update=stored.schedule.customer_due,
                criterion=criterion,
                closing_steps=steps,
            )

        with fixable(runtime):
            model = await in_thread(with_store, runtime, run)
        lines = [
            f"Recorded {action} on {model.escalation_id}: status {model.status}, severity "
            f"{model.severity}.",
        ]
        if model.criterion:
            lines.append(f"Reason: {model.criterion}")
        if action != "close":
            lines.append(f"Next team check: {when(model.next_team_check)}")
            lines.append(f"Next customer update: {when(model.next_customer_update)}")
        if model.closing_steps:
            lines += ["Now:"] + [f"{n}. {s}" for n, s in enumerate(model.closing_steps, 1)]
        return answer(model, "\n".join(lines))

    @box.tool(
        name="file_escalation",
        title="File an escalation on GitHub",
        annotations=ToolAnnotations(
            read_only_hint=False,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=True,
        ),
        description=(
            "File a stored escalation as a GitHub issue in its route's repository with the "
            "playbook's labels. Without confirm: a dry run showing what would be sent. "
            "confirm: true, once a person read it, creates it once (needs GITHUB_TOKEN). "
            "Private routes are refused. Next: list_followups."
        ),
    )
    async def file_escalation(
        escalation_id: Annotated[str, text_arg("The stored escalation, e.g. ESC-1.", ID_CHARS)],
        confirm: Annotated[bool, flag_arg("true creates the issue; false: a dry run.")] = False,
        body_offset: Annotated[int, int_arg("Character offset of the body part.", 0)] = 0,
    ) -> Annotated[CallToolResult, FilingToolResult]:
        if body_offset < 0:
            raise ToolError(f"body_offset {body_offset} is negative — use 0 or the offset given")
        settings = runtime.settings

        def plan_for(store: EscalationStore) -> tuple[StoredEscalation, filing.FilingPlan]:
            stored = store.get(escalation_id)
            return stored, filing.plan_for_stored(
                stored,
                runtime.playbook,
                extra_secrets=runtime.secrets,
                keep_project_ids=settings.keep_project_ids,
            )

        with fixable(runtime):
            stored, plan = await in_thread(with_store, runtime, plan_for)
            result = None
            if confirm:
                store = EscalationStore.in_data_dir(settings.data_dir)
                try:
                    result = await _send(runtime, plan, store, stored.id)
                finally:
                    store.close()
        body, next_offset = chunk(plan.body, body_offset)
        model = FilingToolResult(
            escalation_id=stored.id,
            sent=result is not None and result.outcome in ("created", "found_existing"),
            outcome="dry_run" if result is None else result.outcome,
            repo=plan.repo,
            endpoint=plan.endpoint(),
            title=plan.title,
            labels=plan.labels,
            body=body,
            body_chars=len(plan.body),
            body_offset=body_offset,
            body_next_offset=next_offset,
            private_channel=plan.private_channel,
            blockers=plan.blockers,
            warnings=plan.warnings,
            issue_url=result.issue_url if result else stored.issue_url,
            issue_number=result.issue_number if result else stored.issue_number,
            warning=(result.warning if result else None)
            or (filing.security_warning(plan) if plan.private_channel else None),
        )
        return answer(model, _filing_text(model))

    return box.tools


async def _send(
    runtime: Runtime, plan: filing.FilingPlan, store: EscalationStore, escalation_id: str
) -> filing.FilingResult:
    transport = runtime.github_transport
    if transport is None:
        return await filing.file_escalation(
            plan, store=store, escalation_id=escalation_id, token=runtime.settings.github_token
        )
    async with httpx2.AsyncClient(transport=transport) as client:
        return await filing.file_escalation(
            plan,
            store=store,
            escalation_id=escalation_id,
            token=runtime.settings.github_token,
            client=client,
            wait=runtime.github_wait,
        )


def _filing_text(model: FilingToolResult) -> str:
    if model.outcome == "refused" or (model.outcome == "dry_run" and model.private_channel):
        return (
            f"WARNING: {model.warning}\nNothing was sent to GitHub. Hand {model.escalation_id} "
            f"to the team via {model.private_channel}."
        )
    if model.outcome in ("created", "found_existing", "already_filed"):
        verb = {
            "created": "Filed",
            "found_existing": "Already on GitHub (linked, no duplicate filed)",
            "already_filed": "Already filed",
        }[model.outcome]
        return f"{verb}: {model.issue_url}\n{model.escalation_id} is now tracked by list_followups."
    if model.issue_url:
        return f"{model.escalation_id} is already filed: {model.issue_url} (nothing would be sent)."
    lines = [
        f"Dry run for {model.escalation_id}: nothing was sent. With confirm: true this is sent:",
        "",
        f"POST {model.endpoint}",
        f"repo: {model.repo}",
        f"title: {model.title}",
        f"labels: {', '.join(model.labels)}",
        "body:",
        model.body,
    ]
    if model.body_next_offset is not None:
        lines.append(
            f"… body continues at character {model.body_next_offset} of {model.body_chars}: "
            f"call again with body_offset={model.body_next_offset}."
        )
    lines += [f"Check: {w}" for w in model.warnings]
    lines += [f"Would not be sent: {b}" for b in model.blockers]
    return "\n".join(lines)
