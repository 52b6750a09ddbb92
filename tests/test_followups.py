"""Follow-through: due follow-ups, updates, closes and downgrades against a real store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from posthog_escalation.errors import InputError, PlaybookError, StateError
from posthog_escalation.followups import close, downgrade, list_followups, record_update
from posthog_escalation.models import Cadence, Customer, Escalation, FollowUpPlan, Severity, Ticket
from posthog_escalation.playbook import default_playbook
from posthog_escalation.store import EscalationStore, Status, store_escalation

STORED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # a Friday
TEAM_DUE = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)  # the example's plan: High, 4-8 h
CUSTOMER_DUE = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # daily


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path, example_escalation: Escalation):
    ticket = Ticket(
        id=example_escalation.ticket_id,
        subject="Blank recordings",
        customer=Customer(org_name="Northwind Health"),
    )
    with EscalationStore.in_data_dir(tmp_path) as opened:
        store_escalation(opened, example_escalation, ticket=ticket, now=STORED_AT)
        yield opened


def _critical(example: Escalation, ticket_id: str, team_due: datetime) -> Escalation:
    plan = FollowUpPlan(
        team_cadence=Cadence(low=2, high=4),
        customer_cadence=Cadence(low=2, high=4),
        next_team_check=team_due,
        next_customer_update=team_due,
    )
    return example.model_copy(
        update={"ticket_id": ticket_id, "severity": Severity.CRITICAL, "follow_up": plan}
    )


def test_nothing_is_due_before_the_cadence_low_bound(store: EscalationStore) -> None:
    items = list_followups(store, at(20, 15, 59))
    assert [(f.kind, f.state) for f in items] == [("team", "upcoming"), ("customer", "upcoming")]
    assert list_followups(store, at(20, 15, 59), due_only=True) == []


def test_a_follow_up_is_due_after_the_low_bound_and_overdue_after_the_high_bound(
    store: EscalationStore,
) -> None:
    team = list_followups(store, at(20, 16))[0]
    assert (team.kind, team.state, team.due_at, team.deadline) == (
        "team",
        "due",
        TEAM_DUE,
        at(20, 20),
    )
    assert list_followups(store, at(20, 20))[0].state == "due"
    assert list_followups(store, at(20, 20, 1))[0].state == "overdue"


def test_due_only_lists_due_and_overdue_soonest_first_across_escalations(
    store: EscalationStore, example_escalation: Escalation
) -> None:
    store_escalation(
        store, _critical(example_escalation, "ZD-2", team_due=at(20, 14)), now=STORED_AT
    )
    items = list_followups(store, at(21, 13), due_only=True)
    assert [(f.escalation_id, f.kind, f.state) for f in items] == [
        ("ESC-2", "team", "overdue"),
        ("ESC-2", "customer", "overdue"),
        ("ESC-1", "team", "overdue"),
        ("ESC-1", "customer", "overdue"),
    ]


def test_the_action_says_what_to_do_for_the_team_and_the_customer(
    store: EscalationStore, example_escalation: Escalation
) -> None:
    team, customer = list_followups(store, at(21, 13))
    assert team.action.startswith("Not filed yet: review `posthog-escalation file ESC-1`")
    assert "Replay team" in team.action
    assert customer.action.startswith("Update the customer:")
    assert "update ESC-1 --kind customer" in customer.action
    assert customer.cadence == "daily" and team.cadence == "every 4-8 hours"

    with store.transaction() as tx:
        tx.update("ESC-1", STORED_AT, status=Status.FILED, issue_url="https://gh.test/issues/7")
    filed = list_followups(store, at(21, 13))[0]
    assert filed.action.startswith("Ask Replay team for status on https://gh.test/issues/7")
    assert filed.where == "https://gh.test/issues/7"

    store_escalation(store, _critical(example_escalation, "ZD-3", at(20, 14)), now=STORED_AT)
    first_customer = next(f for f in list_followups(store, at(21, 13)) if f.kind == "customer")
    assert first_customer.escalation_id == "ESC-2"
    assert "or as the customer's SLA requires" in first_customer.action


def test_a_private_route_follow_up_points_at_its_channel_not_github(
    store: EscalationStore,
) -> None:
    with store.transaction() as tx:
        tx.update("ESC-1", STORED_AT, private_channel="Private security channel")
    team = list_followups(store, at(21, 13))[0]
    assert team.where == "Private security channel"
    assert "in Private security channel (never a public repository)" in team.action


def test_recording_a_team_update_restarts_only_the_team_clock_and_logs_the_note(
    store: EscalationStore,
) -> None:
    with store.transaction() as tx:
        tx.update("ESC-1", STORED_AT, status=Status.FILED)
    updated = record_update(store, "ESC-1", "  Replay team  confirmed the regression ", at(20, 17))
    assert updated.status is Status.FOLLOWING_UP
    assert updated.schedule.team_due == at(20, 21)
    assert updated.schedule.team_deadline == at(21, 1)
    assert updated.schedule.customer_due == CUSTOMER_DUE
    event = store.events("ESC-1")[-1]
    assert (event.kind, event.detail, event.at) == (
        "update_team",
        "Replay team confirmed the regression",
        at(20, 17),
    )


def test_recording_a_customer_update_restarts_only_the_customer_clock(
    store: EscalationStore,
) -> None:
    updated = record_update(store, "ESC-1", "told them: fix in review", at(20, 17), kind="customer")
    assert updated.schedule.customer_due == at(21, 17)
    assert updated.schedule.team_due == TEAM_DUE
    assert updated.status is Status.DRAFT
    both = record_update(store, "ESC-1", "call with both", at(20, 18), kind="both")
    assert (both.schedule.team_due, both.schedule.customer_due) == (at(20, 22), at(21, 18))


def test_an_empty_note_is_refused(store: EscalationStore) -> None:
    with pytest.raises(InputError, match="note is empty"):
        record_update(store, "ESC-1", "   ", at(20, 17))
    assert [e.kind for e in store.events("ESC-1")] == ["stored"]


def test_closing_needs_a_close_criterion_and_returns_the_closing_steps(
    store: EscalationStore,
) -> None:
    result = close(store, "ESC-1", "problem-stopped", at(24, 9), note="fixed in 1.201.1")
    assert result.escalation.status is Status.CLOSED
    assert result.escalation.closed_at == at(24, 9)
    assert result.criterion.id == "problem-stopped"
    assert result.closing_steps == list(default_playbook().closing_steps)
    assert result.closing_steps[0] == "Tell the team that received the escalation"
    assert list_followups(store, at(30, 9)) == []
    event = store.events("ESC-1")[-1]
    assert event.kind == "closed"
    assert event.data == {"criterion": "problem-stopped", "from_status": "draft"}
    assert event.detail.endswith("— fixed in 1.201.1")


def test_a_reason_that_is_not_a_close_criterion_is_refused_with_the_allowed_ids(
    store: EscalationStore,
) -> None:
    with pytest.raises(PlaybookError) as raised:
        close(store, "ESC-1", "severity-lowered", at(24, 9))
    assert "'severity-lowered' is not a close criterion" in raised.value.one_line()
    assert "support-can-fix, workaround-unblocks, problem-stopped" in raised.value.one_line()
    assert store.get("ESC-1").status is Status.DRAFT


def test_a_closed_escalation_cannot_be_closed_updated_or_downgraded(
    store: EscalationStore,
) -> None:
    close(store, "ESC-1", "support-can-fix", at(24, 9))
    with pytest.raises(StateError, match="ESC-1 is closed"):
        close(store, "ESC-1", "support-can-fix", at(24, 10))
    with pytest.raises(StateError, match="ESC-1 is closed"):
        record_update(store, "ESC-1", "late note", at(24, 10))
    with pytest.raises(StateError, match="ESC-1 is closed"):
        downgrade(store, "ESC-1", "Medium", "severity-lowered", at(24, 10))


def test_downgrading_lowers_severity_rerenders_and_reschedules_at_the_new_cadence(
    store: EscalationStore,
) -> None:
    friday = at(20, 18)
    stored = downgrade(
        store, "ESC-1", "medium", "workaround-unblocks", friday, note="pinning 1.200.3 works"
    )
    assert stored.status is Status.DOWNGRADED
    assert stored.severity == "Medium"
    assert stored.escalation.severity is Severity.MEDIUM
    assert stored.escalation.severity_rationale == (
        "downgraded from High: a workaround fully unblocks the customer (pinning 1.200.3 works)"
    )
    assert stored.internal_markdown.count("**Severity:** Medium — downgraded from High") == 1
    assert "Northwind" not in stored.public_markdown
    # Medium: team daily, customer every 2-3 business days (Friday -> Tuesday / Wednesday).
    assert stored.schedule.team_due == at(21, 18)
    assert stored.schedule.customer_due == at(24, 18)
    assert stored.schedule.customer_deadline == at(25, 18)
    assert stored.escalation.follow_up.customer_cadence == Cadence(
        low=2, high=3, unit="business_days"
    )
    event = store.events("ESC-1")[-1]
    assert event.data == {"criterion": "workaround-unblocks", "from": "High", "to": "Medium"}


def test_a_downgrade_must_lower_the_severity(store: EscalationStore) -> None:
    with pytest.raises(StateError, match="ESC-1 is High; a downgrade must lower it"):
        downgrade(store, "ESC-1", "Critical", "severity-lowered", at(20, 18))
    with pytest.raises(StateError, match="a downgrade must lower it"):
        downgrade(store, "ESC-1", "High", "severity-lowered", at(20, 18))


def test_a_downgrade_needs_a_real_severity_and_a_downgrade_criterion(
    store: EscalationStore,
) -> None:
    with pytest.raises(InputError, match="'Low' is not a severity — use one of: Critical"):
        downgrade(store, "ESC-1", "Low", "severity-lowered", at(20, 18))
    with pytest.raises(PlaybookError, match="'problem-stopped' is not a downgrade criterion"):
        downgrade(store, "ESC-1", "Medium", "problem-stopped", at(20, 18))
    assert store.get("ESC-1").severity == "High"


def _section(markdown: str, heading: str) -> str:
    return markdown.split(heading)[1].split("\n### ")[0]


def test_a_workaround_downgrade_updates_every_section_it_makes_stale(
    store: EscalationStore,
) -> None:
    stored = downgrade(
        store, "ESC-1", "Medium", "workaround-unblocks", at(20, 18), note="pinning 1.200.3 works"
    )
    e = stored.escalation
    assert e.impact.workaround == "pinning 1.200.3 works (recorded 2026-11-20)"
    assert e.assessment.depth.value == "inconvenienced"
    assert e.dimensions.depth.statement.startswith(
        "Inconvenienced since 2026-11-20: pinning 1.200.3 works; before that: Degraded"
    )
    assert all(a.kind.value != "provide workaround guidance" for a in e.asks)
    assert not any(c.startswith("Downgrade to Medium") for c in e.close_criteria)
    assert any(c.startswith("Close when") for c in e.close_criteria)
    assert e.communication.expects == (
        "An update by 2026-11-24 18:00 UTC (every 2-3 business days, after the downgrade to Medium)"
    )
    impact = _section(stored.internal_markdown, "### Impact")
    assert "- **Workaround:** exists — pinning 1.200.3 works" in impact
    assert "none available" not in stored.internal_markdown
    assert "Provide workaround guidance" not in stored.internal_markdown
    plan = _section(stored.internal_markdown, "### Follow-up plan")
    assert "next update 2026-11-24 18:00 UTC" in plan


def test_a_severity_downgrade_leaves_the_workaround_alone(store: EscalationStore) -> None:
    stored = downgrade(store, "ESC-1", "Medium", "severity-lowered", at(20, 18))
    assert stored.escalation.impact.workaround is None
    assert "- **Workaround:** none available" in stored.internal_markdown


def test_an_update_moves_the_plan_and_a_customer_update_what_they_know(
    store: EscalationStore,
) -> None:
    team = record_update(store, "ESC-1", "team confirmed it", at(20, 17))
    assert team.escalation.follow_up.next_team_check == at(20, 21)
    assert "next check 2026-11-20 21:00 UTC" in team.internal_markdown
    assert team.escalation.communication == store.get("ESC-1").escalation.communication
    told = record_update(store, "ESC-1", "fix is in review", at(20, 18), kind="customer")
    c = told.escalation.communication
    assert c.knows == 'Support told them on 2026-11-20 18:00 UTC: "fix is in review"'
    assert c.expects == "An update by 2026-11-21 18:00 UTC (daily)"
    assert "next update 2026-11-21 18:00 UTC" in told.internal_markdown
    assert 'Support told them on 2026-11-20 18:00 UTC: "fix is in review"' in (
        told.internal_markdown
    )


def test_closing_records_it_in_the_plan_and_rerenders(store: EscalationStore) -> None:
    result = close(store, "ESC-1", "workaround-unblocks", at(24, 9), note="pinned via npm")
    closed = result.escalation
    plan = closed.escalation.follow_up
    assert plan.closed_at == at(24, 9)
    assert plan.closed_reason == "A workaround fully unblocks the customer — pinned via npm"
    section = _section(closed.internal_markdown, "### Follow-up plan")
    assert "**Closed** 2026-11-24 09:00 UTC" in section and "next check" not in section
    assert closed.escalation.impact.workaround == "pinned via npm (recorded 2026-11-24)"
    assert "none available" not in closed.internal_markdown
