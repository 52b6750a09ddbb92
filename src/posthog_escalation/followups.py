"""Follow-through: what is due, and recording updates, closes and downgrades.

"Don't escalate and forget." Every open escalation has two clocks, both set from the
playbook's cadence for its current severity: the next check with the receiving team and
the next update to the customer. A follow-up is *due* once its cadence's low bound has
passed (``every 4-8 hours``: after 4 hours) and *overdue* after the high bound (8 hours).
Business-day cadences skip weekends.

Every function here is one store transaction: it reads the escalation, checks the
operation fits its status, writes the change, appends to the log and recomputes the
schedule, so two processes recording at once never lose an update. Each also updates the
sections of the escalation it makes stale (the follow-up plan, what the customer was
told, the workaround and depth, the asks, the close/downgrade criteria) and re-renders
both flavours.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from .errors import InputError, StateError
from .models import AskKind, Depth, Dimension, Escalation, FollowUpPlan, Severity
from .playbook import CloseCriterion, FollowUpCadence, Playbook, default_playbook
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

WORKAROUND_CRITERIA = frozenset({"workaround-unblocks", "support-can-fix"})
"""Criteria that mean the customer now has a way forward: the workaround is the note."""

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


def _rendered(
    stored: StoredEscalation, escalation: Escalation, extra_secrets: tuple[str, ...]
) -> dict[str, object]:
    """Both flavours of ``escalation``, redacted with the stored ticket's names."""
    from .redact import redactor_for

    redactor = redactor_for(stored.ticket, extra_secrets, keep_project_ids=False)
    return {
        "escalation": escalation,
        "internal_markdown": render_markdown(escalation, "internal"),
        "public_markdown": render_markdown(escalation, "public", redactor=redactor),
    }


def _plan(escalation: Escalation, schedule: Schedule) -> FollowUpPlan:
    plan = escalation.follow_up
    return plan.model_copy(
        update={
            "next_team_check": schedule.team_due or plan.next_team_check,
            "next_customer_update": schedule.customer_due or plan.next_customer_update,
        }
    )


def _updated(
    escalation: Escalation, schedule: Schedule, note: str, now: datetime, kind: UpdateKind
) -> Escalation:
    """The escalation after a follow-up: the plan's next times, and what the customer
    knows and expects when it was a customer update."""
    update: dict[str, object] = {"follow_up": _plan(escalation, schedule)}
    if kind != "team":
        due = schedule.customer_due or escalation.follow_up.next_customer_update
        cadence = escalation.follow_up.customer_cadence
        update["communication"] = escalation.communication.model_copy(
            update={
                "knows": f'Support told them on {now:%Y-%m-%d %H:%M} UTC: "{note}"',
                "expects": f"An update by {due:%Y-%m-%d %H:%M} UTC ({cadence})",
            }
        )
    return escalation.model_copy(update=update)


def record_update(
    store: EscalationStore,
    escalation_id: str,
    note: str,
    now: datetime,
    *,
    kind: UpdateKind = "team",
    playbook: Playbook | None = None,
    extra_secrets: tuple[str, ...] = (),
) -> StoredEscalation:
    """Record a follow-up and restart its clock from ``now``.

    The escalation's follow-up plan gets the new times; after a customer update, "Customer
    knows" quotes the note and "Customer expects" the next update. Both flavours are
    re-rendered.

    Args:
        store: The escalation store.
        escalation_id: ``ESC-<n>``.
        note: What was learned or said.
        now: When it happened.
        kind: ``team`` (a check with the receiving team), ``customer`` (an update sent to
            the customer) or ``both``; only those clocks restart.
        playbook: The playbook whose cadence applies.
        extra_secrets: Exact values to redact from the public flavour too.

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
        escalation = _updated(stored.escalation, schedule, text, now, kind)
        tx.update(
            stored.id,
            now,
            status=status,
            schedule=schedule,
            **_rendered(stored, escalation, extra_secrets),
        )
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
    extra_secrets: tuple[str, ...] = (),
) -> CloseResult:
    """Close an escalation for one of the playbook's close criteria.

    The follow-up plan says it is closed, when and why (no more follow-ups); a criterion
    that gives the customer a way forward fills in the workaround. Both flavours are
    re-rendered. Returns the closed escalation and the playbook's closing steps (tell the
    team, record the outcome on the ticket, tell the customer, write down what was
    learned).

    Raises:
        PlaybookError: ``reason`` is not a close criterion id (the message lists them).
        NotFoundError / StateError: No such escalation, or it is already closed.
    """
    playbook = playbook or default_playbook()
    criterion = playbook.criterion(reason.strip(), "close")
    now = utc(now)
    with store.transaction() as tx:
        stored = _open(tx, escalation_id, "closed again")
        detail = criterion.text + (f" — {' '.join(note.split())}" if note.strip() else "")
        escalation = _with_workaround(stored.escalation, criterion, note, now)
        escalation = escalation.model_copy(
            update={
                "follow_up": escalation.follow_up.model_copy(
                    update={"closed_at": now, "closed_reason": detail}
                )
            }
        )
        tx.update(
            stored.id,
            now,
            status=Status.CLOSED,
            schedule=Schedule(),
            closed_at=now,
            **_rendered(stored, escalation, extra_secrets),
        )
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
    keep_project_ids: bool = False,
) -> StoredEscalation:
    """Lower an escalation's severity for one of the playbook's downgrade criteria.

    The escalation's severity, rationale and follow-up plan change; a criterion that gives
    the customer a way forward (``workaround-unblocks``, ``support-can-fix``) makes the
    note the workaround, the depth "inconvenienced" and drops the ask for workaround
    guidance; the downgrade criteria the new severity has met are dropped; what the
    customer expects moves to the new cadence. Both markdown flavours are re-rendered,
    and both follow-up clocks restart from ``now`` at the new severity's cadence.
    ``keep_project_ids`` is ignored: the public copy never holds a project id.

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
            stored.escalation, target, current, criterion, note, cadence, schedule, now
        )
        tx.update(
            stored.id,
            now,
            status=Status.DOWNGRADED,
            schedule=schedule,
            **_rendered(stored, escalation, extra_secrets),
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


def _with_workaround(
    escalation: Escalation, criterion: CloseCriterion, note: str, now: datetime
) -> Escalation:
    """When ``criterion`` means the customer has a way forward, the note becomes the
    workaround: Impact's workaround, the depth and the Depth statement say so, and the ask
    for workaround guidance is done."""
    if criterion.id not in WORKAROUND_CRITERIA:
        return escalation
    said = " ".join(note.split()) or criterion.text
    workaround = f"{said} (recorded {now:%Y-%m-%d})"
    depth = escalation.dimensions.depth
    statement = f"Inconvenienced since {now:%Y-%m-%d}: {said}; before that: {depth.statement}"
    return escalation.model_copy(
        update={
            "impact": escalation.impact.model_copy(update={"workaround": workaround}),
            "assessment": escalation.assessment.model_copy(update={"depth": Depth.INCONVENIENCED}),
            "dimensions": escalation.dimensions.model_copy(
                update={"depth": Dimension(statement=statement, evidence=depth.evidence)}
            ),
            "asks": [a for a in escalation.asks if a.kind is not AskKind.PROVIDE_WORKAROUND],
        }
    )


def _downgraded(
    escalation: Escalation,
    target: Severity,
    current: Severity,
    criterion: CloseCriterion,
    note: str,
    cadence: FollowUpCadence,
    schedule: Schedule,
    now: datetime,
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
    escalation = _with_workaround(escalation, criterion, note, now)
    met = tuple(f"Downgrade to {s.value} " for s in Severity if s.rank >= target.rank)
    criteria = [c for c in escalation.close_criteria if not c.startswith(met)]
    communication = escalation.communication.model_copy(
        update={
            "expects": f"An update by {plan.next_customer_update:%Y-%m-%d %H:%M} UTC "
            f"({cadence.customer}, after the downgrade to {target.value})"
        }
    )
    return escalation.model_copy(
        update={
            "severity": target,
            "severity_rationale": rationale,
            "follow_up": plan,
            "close_criteria": criteria,
            "communication": communication,
        }
    )
