"""Follow-through: what is due, and recording updates, closes and downgrades.

"Don't escalate and forget." Every open escalation has two clocks, both set from the
playbook's cadence for its current severity: the next check with the receiving team and
the next update to the customer. A follow-up is *due* once its cadence's low bound has
passed (``every 4-8 hours``: after 4 hours) and *overdue* after the high bound (8 hours).
Business-day cadences skip weekends.

Every function here is one store transaction: it reads the escalation, checks the
operation fits its status, writes the change, appends to the log and recomputes the
schedule, so two processes recording at once never lose an update.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .errors import InputError, StateError
from .models import Escalation, FollowUpPlan, Severity
from .playbook import CloseCriterion, FollowUpCadence, Playbook, default_playbook
from .redact import redactor_for
from .render import render_markdown
from .store import (
    EscalationStore,
    Schedule,
    Status,
    StoredEscalation,
    Transaction,
    schedule_after,
    utc,
)

FollowupKind = Literal["team", "customer"]
UpdateKind = Literal["team", "customer", "both"]
FollowupState = Literal["upcoming", "due", "overdue"]
CLI = "posthog-escalation"


class Followup(BaseModel):
    """One follow-up of one escalation: when, how urgent, and what to do."""

    model_config = ConfigDict(frozen=True)

    escalation_id: str
    ticket_id: str
    summary: str
    severity: Severity
    status: Status
    kind: FollowupKind
    state: FollowupState
    due_at: datetime
    deadline: datetime
    cadence: str
    where: str
    action: str


class CloseResult(BaseModel):
    """A closed escalation, the criterion that allowed it, and what to do next."""

    model_config = ConfigDict(frozen=True)

    escalation: StoredEscalation
    criterion: CloseCriterion
    closing_steps: list[str]


def _state(now: datetime, due: datetime, deadline: datetime) -> FollowupState:
    if now > deadline:
        return "overdue"
    return "due" if now >= due else "upcoming"


def _where(stored: StoredEscalation) -> str:
    if stored.private_channel:
        return stored.private_channel
    return stored.issue_url or f"not filed yet ({stored.escalation.routing.channel})"


def _action(stored: StoredEscalation, kind: FollowupKind, playbook: Playbook) -> str:
    team = stored.escalation.routing.team
    eid = stored.id
    if kind == "customer":
        note = playbook.cadence(Severity(stored.severity)).customer_note
        timing = f" ({note})" if note else ""
        return (
            f"Update the customer{timing}: what changed since they were last told, and when "
            f"they will hear next. Then: {CLI} update {eid} --kind customer --note '...'"
        )
    if stored.private_channel:
        return (
            f"Check with {team} in {stored.private_channel} (never a public repository). "
            f"Then: {CLI} update {eid} --note '...'"
        )
    if stored.issue_url is None:
        return (
            f"Not filed yet: review `{CLI} file {eid}` and send it with --confirm, "
            f"so {team} has it."
        )
    return (
        f"Ask {team} for status on {stored.issue_url} against the asks. "
        f"Then: {CLI} update {eid} --note '...'"
    )


def followups_for(
    stored: StoredEscalation, now: datetime, playbook: Playbook | None = None
) -> list[Followup]:
    """The team and customer follow-ups of one open escalation."""
    playbook = playbook or default_playbook()
    if not stored.status.is_open:
        return []
    now = utc(now)
    cadence = playbook.cadence(Severity(stored.severity))
    found: list[Followup] = []
    slots: list[tuple[FollowupKind, datetime | None, datetime | None, str]] = [
        ("team", stored.schedule.team_due, stored.schedule.team_deadline, str(cadence.team)),
        (
            "customer",
            stored.schedule.customer_due,
            stored.schedule.customer_deadline,
            str(cadence.customer),
        ),
    ]
    for kind, due, deadline, every in slots:
        if due is None:
            continue
        deadline = deadline or due
        found.append(
            Followup(
                escalation_id=stored.id,
                ticket_id=stored.ticket_id,
                summary=stored.summary,
                severity=Severity(stored.severity),
                status=stored.status,
                kind=kind,
                state=_state(now, due, deadline),
                due_at=due,
                deadline=deadline,
                cadence=every,
                where=_where(stored),
                action=_action(stored, kind, playbook),
            )
        )
    return found


def list_followups(
    store: EscalationStore,
    now: datetime,
    *,
    due_only: bool = False,
    playbook: Playbook | None = None,
) -> list[Followup]:
    """Follow-ups of every open escalation, soonest first (so the most overdue lead).

    Args:
        store: The escalation store.
        now: The current time.
        due_only: Only follow-ups that are due or overdue at ``now``.
        playbook: The playbook whose cadence and wording apply (the packaged one).
    """
    playbook = playbook or default_playbook()
    open_statuses = [s for s in Status if s.is_open]
    found = [
        item
        for stored in store.list(open_statuses)
        for item in followups_for(stored, now, playbook)
        if not due_only or item.state != "upcoming"
    ]
    return sorted(
        found, key=lambda f: (f.due_at, f.severity.rank, f.kind != "team", f.escalation_id)
    )


def _open(tx: Transaction, escalation_id: str, action: str) -> StoredEscalation:
    stored = tx.get(escalation_id)
    if not stored.status.is_open:
        raise StateError(
            f"{stored.id} is closed, so it cannot be {action}",
            f"store the escalation again (`{CLI} run`) to reopen it if the problem is back",
        )
    return stored


def _require_text(value: str, what: str) -> str:
    text = " ".join(value.split())
    if not text:
        raise InputError(f"{what} is empty", f"say what happened, e.g. --{what} '...'")
    return text


def record_update(
    store: EscalationStore,
    escalation_id: str,
    note: str,
    now: datetime,
    *,
    kind: UpdateKind = "team",
    playbook: Playbook | None = None,
) -> StoredEscalation:
    """Record a follow-up and restart its clock from ``now``.

    Args:
        store: The escalation store.
        escalation_id: ``ESC-<n>``.
        note: What was learned or said.
        now: When it happened.
        kind: ``team`` (a check with the receiving team), ``customer`` (an update sent to
            the customer) or ``both``; only those clocks restart.
        playbook: The playbook whose cadence applies.

    Raises:
        NotFoundError: No such escalation.
        StateError: It is closed.
        InputError: The note is empty.
    """
    playbook = playbook or default_playbook()
    text = _require_text(note, "note")
    now = utc(now)
    with store.transaction() as tx:
        stored = _open(tx, escalation_id, "updated")
        cadence = playbook.cadence(Severity(stored.severity))
        fresh = schedule_after(now, cadence.team, cadence.customer)
        old = stored.schedule
        schedule = Schedule(
            team_due=fresh.team_due if kind != "customer" else old.team_due,
            team_deadline=fresh.team_deadline if kind != "customer" else old.team_deadline,
            customer_due=fresh.customer_due if kind != "team" else old.customer_due,
            customer_deadline=(
                fresh.customer_deadline if kind != "team" else old.customer_deadline
            ),
        )
        status = Status.FOLLOWING_UP if stored.status is Status.FILED else stored.status
        tx.update(stored.id, now, status=status, schedule=schedule)
        tx.log(
            stored.id,
            f"update_{kind}",
            now,
            text,
            {"kind": kind, "schedule": schedule.model_dump(mode="json")},
        )
        return tx.get(stored.id)


def close(
    store: EscalationStore,
    escalation_id: str,
    reason: str,
    now: datetime,
    *,
    note: str = "",
    playbook: Playbook | None = None,
) -> CloseResult:
    """Close an escalation for one of the playbook's close criteria.

    Returns the closed escalation and the playbook's closing steps (tell the team, record
    the outcome on the ticket, tell the customer, write down what was learned).

    Raises:
        PlaybookError: ``reason`` is not a close criterion id (the message lists them).
        NotFoundError / StateError: No such escalation, or it is already closed.
    """
    playbook = playbook or default_playbook()
    criterion = playbook.criterion(reason.strip(), "close")
    now = utc(now)
    with store.transaction() as tx:
        stored = _open(tx, escalation_id, "closed again")
        tx.update(stored.id, now, status=Status.CLOSED, schedule=Schedule(), closed_at=now)
        detail = criterion.text + (f" — {' '.join(note.split())}" if note.strip() else "")
        tx.log(
            stored.id,
            "closed",
            now,
            detail,
            {"criterion": criterion.id, "from_status": stored.status.value},
        )
        closed = tx.get(stored.id)
    return CloseResult(
        escalation=closed, criterion=criterion, closing_steps=list(playbook.closing_steps)
    )


def parse_severity(value: str) -> Severity:
    """A severity from user text (any case); :class:`InputError` lists the choices."""
    try:
        return Severity(value)
    except ValueError:
        choices = ", ".join(s.value for s in Severity)
        raise InputError(f"'{value}' is not a severity", f"use one of: {choices}") from None


def downgrade(
    store: EscalationStore,
    escalation_id: str,
    to: str | Severity,
    reason: str,
    now: datetime,
    *,
    note: str = "",
    playbook: Playbook | None = None,
    extra_secrets: tuple[str, ...] = (),
    keep_project_ids: bool = True,
) -> StoredEscalation:
    """Lower an escalation's severity for one of the playbook's downgrade criteria.

    The escalation's severity, rationale and follow-up plan change, both markdown
    flavours are re-rendered, and both follow-up clocks restart from ``now`` at the new
    severity's cadence.

    Raises:
        PlaybookError: ``reason`` is not a downgrade criterion id.
        InputError: ``to`` is not a severity.
        StateError: ``to`` is not lower than the current severity, or it is closed.
    """
    playbook = playbook or default_playbook()
    criterion = playbook.criterion(reason.strip(), "downgrade")
    target = to if isinstance(to, Severity) else parse_severity(to)
    now = utc(now)
    with store.transaction() as tx:
        stored = _open(tx, escalation_id, "downgraded")
        current = Severity(stored.severity)
        if target.rank <= current.rank:
            lower = [s.value for s in Severity if s.rank > current.rank]
            raise StateError(
                f"{stored.id} is {current.value}; a downgrade must lower it",
                f"use --to {' or '.join(lower)}" if lower else "Medium is already the lowest",
            )
        cadence = playbook.cadence(target)
        schedule = schedule_after(now, cadence.team, cadence.customer)
        escalation = _downgraded(
            stored.escalation, target, current, criterion, note, cadence, schedule
        )
        redactor = redactor_for(stored.ticket, extra_secrets, keep_project_ids=keep_project_ids)
        tx.update(
            stored.id,
            now,
            status=Status.DOWNGRADED,
            escalation=escalation,
            internal_markdown=render_markdown(escalation, "internal"),
            public_markdown=render_markdown(escalation, "public", redactor=redactor),
            schedule=schedule,
        )
        detail = f"{current.value} -> {target.value}: {criterion.text}"
        if note.strip():
            detail += f" — {' '.join(note.split())}"
        tx.log(
            stored.id,
            "downgraded",
            now,
            detail,
            {"criterion": criterion.id, "from": current.value, "to": target.value},
        )
        return tx.get(stored.id)


def _downgraded(
    escalation: Escalation,
    target: Severity,
    current: Severity,
    criterion: CloseCriterion,
    note: str,
    cadence: FollowUpCadence,
    schedule: Schedule,
) -> Escalation:
    reason = criterion.text.rstrip(".")
    rationale = f"downgraded from {current.value}: {reason[:1].lower()}{reason[1:]}"
    if note.strip():
        rationale += f" ({' '.join(note.split())})"
    plan = FollowUpPlan(
        team_cadence=cadence.team,
        customer_cadence=cadence.customer,
        next_team_check=schedule.team_due or escalation.follow_up.next_team_check,
        next_customer_update=schedule.customer_due or escalation.follow_up.next_customer_update,
    )
    return escalation.model_copy(
        update={"severity": target, "severity_rationale": rationale, "follow_up": plan}
    )
