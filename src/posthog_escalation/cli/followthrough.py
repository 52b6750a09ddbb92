"""Follow-through commands: file, followups, update, close, downgrade, show, list.

Each command opens the escalation store under the data folder, calls one function of
:mod:`~posthog_escalation.filing`, :mod:`~posthog_escalation.followups` or
:mod:`~posthog_escalation.store`, and prints the result.
"""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from ..errors import InputError
from .common import console, err_console, state

if TYPE_CHECKING:
    import httpx2
    from pydantic import SecretStr

    from .. import filing
    from ..followups import UpdateKind
    from ..store import EscalationStore, StoredEscalation

NOW_HELP = "Treat this moment as now (ISO 8601; UTC when no offset is given)."
STATUS_STYLE = {"overdue": "bold red", "due": "yellow", "upcoming": "dim"}


def github_client() -> "httpx2.AsyncClient | None":
    """The HTTP client used to file (``None``: filing makes its own)."""
    return None


def utc(moment: datetime) -> datetime:
    """``moment`` in UTC (a naive time is taken as UTC)."""
    from ..store import utc as to_utc

    return to_utc(moment)


def _now(value: str | None) -> datetime:
    if value is None:
        return datetime.now(UTC)
    try:
        return utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        raise InputError(
            f"--now '{value}' is not an ISO 8601 time", "use e.g. 2026-11-20T16:30:00Z"
        ) from None


@contextmanager
def _store() -> "Iterator[EscalationStore]":
    from ..store import EscalationStore

    store = EscalationStore.in_data_dir(state.settings.data_dir)
    try:
        yield store
    finally:
        store.close()


def _plain(text: str) -> None:
    console.out(text, highlight=False)


def _json(data: Any) -> None:
    _plain(json.dumps(data, indent=2, ensure_ascii=False))


def _when(moment: datetime | None) -> str:
    return "—" if moment is None else f"{utc(moment):%Y-%m-%d %H:%M} UTC"


def _summary_line(stored: "StoredEscalation") -> str:
    where = stored.issue_url or stored.private_channel or "not filed"
    return (
        f"{stored.id}  {stored.status.value}  {stored.severity}  {stored.ticket_id}  "
        f"{stored.summary}  ({where})"
    )


def file_command(
    escalation_id: str = typer.Argument(..., help="The stored escalation, e.g. ESC-1."),
    confirm: bool = typer.Option(
        False, "--confirm", help="Really create the GitHub issue (without it: a dry run)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the plan as JSON."),
) -> None:
    """File an escalation as a GitHub issue in its route's repository (dry run by default)."""
    import anyio

    from .. import filing
    from ..playbook import default_playbook

    settings = state.settings
    with _store() as store:
        stored = store.get(escalation_id)
        plan = filing.plan_for_stored(
            stored,
            default_playbook(),
            extra_secrets=settings.secrets(),
            keep_project_ids=settings.keep_project_ids,
        )
        if not confirm:
            _print_plan(stored, plan, as_json)
            return
        if plan.private_channel is None and not stored.issue_url and not plan.blockers:
            err_console.print(f"Filing {stored.id} in {plan.repo} ...", highlight=False)
        result = anyio.run(_send, plan, store, stored.id, settings.github_token)
    if as_json:
        _json(result.model_dump(mode="json"))
    if result.outcome == "refused":
        err_console.print(f"[bold red]WARNING:[/] {result.warning}", highlight=False)
        raise typer.Exit(1)
    if as_json:
        return
    verb = {
        "created": "Filed",
        "found_existing": "Already on GitHub (linked, no duplicate filed)",
        "already_filed": "Already filed",
    }[result.outcome]
    _plain(f"{verb}: {result.issue_url}")
    _plain(f"{result.escalation_id} is now tracked; see `posthog-escalation followups`.")


async def _send(
    plan: "filing.FilingPlan",
    store: "EscalationStore",
    escalation_id: str,
    token: "SecretStr | None",
) -> "filing.FilingResult":
    from .. import filing

    client = github_client()
    if client is None:
        return await filing.file_escalation(
            plan, store=store, escalation_id=escalation_id, token=token
        )
    async with client:
        return await filing.file_escalation(
            plan, store=store, escalation_id=escalation_id, token=token, client=client
        )


def _print_plan(stored: "StoredEscalation", plan: "filing.FilingPlan", as_json: bool) -> None:
    from .. import filing

    if as_json:
        _json(
            {
                "escalation_id": stored.id,
                "sendable": plan.sendable and not stored.issue_url,
                "method": "POST",
                "url": plan.endpoint(),
                "payload": plan.payload(),
                "private_channel": plan.private_channel,
                "blockers": plan.blockers,
                "warnings": plan.warnings,
                "already_filed": stored.issue_url,
            }
        )
        return
    if plan.private_channel is not None:
        err_console.print(f"[bold red]WARNING:[/] {filing.security_warning(plan)}", highlight=False)
        _plain(f"Dry run for {stored.id}: nothing would be sent to GitHub.")
        _plain(f"Hand it to {plan.team} via {plan.private_channel}; the internal text is")
        _plain(f"`posthog-escalation show {stored.id}`.")
        return
    if stored.issue_url:
        _plain(f"{stored.id} is already filed: {stored.issue_url} (nothing would be sent).")
        return
    _plain(f"Dry run for {stored.id}: nothing was sent. With --confirm this request is made:")
    _plain("")
    _plain(f"POST {plan.endpoint()}")
    _plain(f"repo:   {plan.repo}")
    _plain(f"title:  {plan.title}")
    _plain(f"labels: {', '.join(plan.labels)}")
    _plain("body:")
    _plain(plan.body)
    for warning in plan.warnings:
        err_console.print(f"[yellow]check:[/] {warning}", highlight=False)
    for blocker in plan.blockers:
        err_console.print(f"[bold red]would not be sent:[/] {blocker}", highlight=False)


def followups_command(
    due: bool = typer.Option(False, "--due", help="Only follow-ups that are due or overdue."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    now: str | None = typer.Option(None, "--now", help=NOW_HELP),
) -> None:
    """Follow-ups of open escalations by their severity's cadence, soonest first."""
    from .. import followups

    moment = _now(now)
    with _store() as store:
        items = followups.list_followups(store, moment, due_only=due)
    if as_json:
        _json([item.model_dump(mode="json") for item in items])
        return
    if not items:
        _plain("Nothing due." if due else "No open escalations.")
        return
    _plain(f"Follow-ups as of {_when(moment)}, soonest first:")
    for item in items:
        what = "team check" if item.kind == "team" else "customer update"
        style = STATUS_STYLE[item.state]
        console.print(
            f"\n[{style}]{item.state.upper():8}[/] {item.escalation_id} "
            f"({item.ticket_id}, {item.severity.value}, {item.status.value}) — {what} "
            f"{item.cadence}",
            highlight=False,
            markup=True,
        )
        _plain(f"         due {_when(item.due_at)}, overdue after {_when(item.deadline)}")
        _plain(f"         {item.action}")


def update_command(
    escalation_id: str = typer.Argument(..., help="The stored escalation, e.g. ESC-1."),
    note: str = typer.Option(..., "--note", help="What was learned or said."),
    kind: str = typer.Option(
        "team", "--kind", help="Which follow-up this was: team, customer or both."
    ),
    now: str | None = typer.Option(None, "--now", help=NOW_HELP),
) -> None:
    """Record a follow-up (with the team, the customer or both) and restart its clock."""
    from .. import followups

    if kind not in ("team", "customer", "both"):
        raise InputError(f"--kind '{kind}' is not known", "use team, customer or both")
    with _store() as store:
        stored = followups.record_update(
            store, escalation_id, note, _now(now), kind=cast("UpdateKind", kind)
        )
    _plain(f"Recorded on {stored.id} ({kind}). Status: {stored.status.value}.")
    _plain(f"Next team check: {_when(stored.schedule.team_due)}")
    _plain(f"Next customer update: {_when(stored.schedule.customer_due)}")


def close_command(
    escalation_id: str = typer.Argument(..., help="The stored escalation, e.g. ESC-1."),
    reason: str = typer.Option(..., "--reason", help="A close criterion id from the playbook."),
    note: str = typer.Option("", "--note", help="What happened, in a sentence."),
    now: str | None = typer.Option(None, "--now", help=NOW_HELP),
) -> None:
    """Close an escalation for one of the playbook's close criteria."""
    from .. import followups

    with _store() as store:
        result = followups.close(store, escalation_id, reason, _now(now), note=note)
    _plain(f"Closed {result.escalation.id}: {result.criterion.text}.")
    _plain("Now:")
    for number, step in enumerate(result.closing_steps, start=1):
        _plain(f"  {number}. {step}")


def downgrade_command(
    escalation_id: str = typer.Argument(..., help="The stored escalation, e.g. ESC-1."),
    to: str = typer.Option(..., "--to", help="The lower severity: High or Medium."),
    reason: str = typer.Option(..., "--reason", help="A downgrade criterion id from the playbook."),
    note: str = typer.Option("", "--note", help="What changed, in a sentence."),
    now: str | None = typer.Option(None, "--now", help=NOW_HELP),
) -> None:
    """Lower an escalation's severity for one of the playbook's downgrade criteria."""
    from .. import followups

    settings = state.settings
    with _store() as store:
        stored = followups.downgrade(
            store,
            escalation_id,
            to,
            reason,
            _now(now),
            note=note,
            extra_secrets=tuple(settings.secrets()),
            keep_project_ids=settings.keep_project_ids,
        )
    _plain(f"Downgraded {stored.id} to {stored.severity}: {stored.escalation.severity_rationale}.")
    _plain(f"Next team check: {_when(stored.schedule.team_due)}")
    _plain(f"Next customer update: {_when(stored.schedule.customer_due)}")
    if stored.issue_url:
        _plain(f"Tell the team on {stored.issue_url} that the severity changed.")


def show_command(
    escalation_id: str = typer.Argument(..., help="The stored escalation, e.g. ESC-1."),
    public: bool = typer.Option(False, "--public", help="Show the redacted public markdown."),
    as_json: bool = typer.Option(False, "--json", help="Print the stored record as JSON."),
) -> None:
    """Show a stored escalation: its status, schedule, log and markdown."""
    with _store() as store:
        stored = store.get(escalation_id)
        events = store.events(stored.id)
        attempts = store.filing_attempts(stored.id)
    if as_json:
        data = stored.model_dump(mode="json", exclude={"internal_markdown", "public_markdown"})
        data["events"] = [e.model_dump(mode="json") for e in events]
        data["filing_attempts"] = [a.model_dump(mode="json") for a in attempts]
        _json(data)
        return
    _plain(_summary_line(stored))
    _plain(
        f"revision {stored.revision}; next team check {_when(stored.schedule.team_due)}; "
        f"next customer update {_when(stored.schedule.customer_due)}"
    )
    _plain("")
    _plain(stored.public_markdown if public else stored.internal_markdown)
    _plain("Log:")
    for event in events:
        detail = f" — {event.detail}" if event.detail else ""
        _plain(f"  {_when(event.at)}  {event.kind}{detail}")


def list_command(
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="Only these statuses (repeatable): draft, filed, ..."),
    ] = None,
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """List stored escalations, oldest first."""
    from ..store import Status

    wanted = []
    for name in status or []:
        try:
            wanted.append(Status(name.strip().lower()))
        except ValueError:
            choices = ", ".join(s.value for s in Status)
            raise InputError(
                f"--status '{name}' is not a status", f"use one of: {choices}"
            ) from None
    with _store() as store:
        items = store.list(wanted or None)
    if as_json:
        _json(
            [
                {
                    "id": s.id,
                    "ticket_id": s.ticket_id,
                    "status": s.status.value,
                    "severity": s.severity,
                    "route": s.route,
                    "summary": s.summary,
                    "issue_url": s.issue_url,
                    "revision": s.revision,
                }
                for s in items
            ]
        )
        return
    if not items:
        _plain("No stored escalations. `posthog-escalation run REQUEST` stores one.")
        return
    for stored in items:
        _plain(_summary_line(stored))


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("file")(file_command)
    app.command("followups")(followups_command)
    app.command("update")(update_command)
    app.command("close")(close_command)
    app.command("downgrade")(downgrade_command)
    app.command("show")(show_command)
    app.command("list")(list_command)
