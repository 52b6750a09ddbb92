"""Validation behaviour of the contracts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from posthog_escalation.models import (
    MAX_RAW_RESULT,
    Cadence,
    Escalation,
    EscalationRequest,
    Evidence,
    IssueRef,
    Region,
    Severity,
    Ticket,
    TriageDecision,
    TriageReport,
)

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


def _evidence(**overrides: object) -> Evidence:
    data = {
        "id": "E1",
        "source": "hogql",
        "query": "SELECT 1",
        "finding": "one",
        "collected_at": NOW,
    }
    return Evidence.model_validate({**data, **overrides})


def test_ticket_requires_id_and_subject() -> None:
    with pytest.raises(ValidationError) as info:
        Ticket.model_validate({"body": "no id"})
    missing = {tuple(e["loc"]) for e in info.value.errors() if e["type"] == "missing"}
    assert missing == {("id",), ("subject",)}


def test_ticket_rejects_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="priority"):
        Ticket.model_validate({"id": "1", "subject": "s", "priority": "p1"})


def test_customer_seats_must_be_a_non_negative_number() -> None:
    with pytest.raises(ValidationError, match="seats"):
        Ticket.model_validate({"id": "1", "subject": "s", "customer": {"seats": "many"}})
    with pytest.raises(ValidationError, match="greater than or equal"):
        Ticket.model_validate({"id": "1", "subject": "s", "customer": {"seats": -1}})


@pytest.mark.parametrize(
    ("raw", "region"),
    [("us", Region.US), ("EU Cloud", Region.EU), ("self_hosted", Region.SELF_HOSTED)],
)
def test_region_accepts_common_spellings(raw: str, region: Region) -> None:
    ticket = Ticket.model_validate({"id": "1", "subject": "s", "customer": {"region": raw}})
    assert ticket.customer.region is region


def test_region_rejects_an_unknown_region() -> None:
    with pytest.raises(ValidationError, match="region"):
        Ticket.model_validate({"id": "1", "subject": "s", "customer": {"region": "mars"}})


def test_full_text_joins_subject_body_and_messages() -> None:
    ticket = Ticket.model_validate(
        {"id": "1", "subject": "Subj", "body": "Body", "messages": [{"text": "Msg"}]}
    )
    assert ticket.full_text() == "Subj\n\nBody\n\nMsg"


@pytest.mark.parametrize("raw", ["Escalate to engineering", "escalate-to-engineering"])
def test_triage_decision_normalises_spelling(raw: str) -> None:
    report = TriageReport.model_validate({"decision": raw})
    assert report.decision is TriageDecision.ESCALATE_TO_ENGINEERING
    assert report.escalates


def test_triage_decision_rejects_unknown_value() -> None:
    with pytest.raises(ValidationError, match="decision"):
        TriageReport.model_validate({"decision": "panic"})


def test_triage_that_resolves_in_support_does_not_escalate() -> None:
    assert not TriageReport(decision=TriageDecision.RESOLVE_IN_SUPPORT).escalates


def test_request_accepts_a_ticket_without_triage() -> None:
    request = EscalationRequest.model_validate({"ticket": {"id": "1", "subject": "s"}})
    assert request.triage is None


def test_severity_parses_case_insensitively_and_ranks() -> None:
    assert Severity("critical") is Severity.CRITICAL
    assert Severity.CRITICAL.rank < Severity.HIGH.rank < Severity.MEDIUM.rank
    with pytest.raises(ValueError, match="Low"):
        Severity("Low")


def test_evidence_id_must_look_like_e_number() -> None:
    with pytest.raises(ValidationError, match="E1, E2"):
        _evidence(id="1")
    with pytest.raises(ValidationError, match="E1, E2"):
        _evidence(id="E0")


def test_evidence_result_is_bounded_with_a_marker() -> None:
    item = _evidence(result="x" * (MAX_RAW_RESULT + 500))
    assert item.result.startswith("x" * MAX_RAW_RESULT)
    assert item.result.endswith("[500 more characters cut]")


def test_evidence_finding_is_one_line() -> None:
    assert _evidence(finding="two\nlines").finding == "two lines"


def test_evidence_source_must_be_known() -> None:
    with pytest.raises(ValidationError, match="source"):
        _evidence(source="rumour")


def test_issue_ref_builds_its_url_and_key() -> None:
    issue = IssueRef(repo="PostHog/posthog-js", number=12)
    pr = IssueRef(repo="PostHog/posthog-js", number=13, kind="pr")
    assert issue.url == "https://github.com/PostHog/posthog-js/issues/12"
    assert pr.url == "https://github.com/PostHog/posthog-js/pull/13"
    assert issue.key == "PostHog/posthog-js#12"


def test_issue_ref_rejects_a_malformed_repo() -> None:
    with pytest.raises(ValidationError, match="repo"):
        IssueRef(repo="posthog-js", number=1)


def test_cadence_high_must_not_be_below_low() -> None:
    with pytest.raises(ValidationError, match="at least low"):
        Cadence(low=4, high=2)


@pytest.mark.parametrize(
    ("cadence", "text"),
    [
        (Cadence(low=2, high=4), "every 2-4 hours"),
        (Cadence(low=24, high=24), "daily"),
        (Cadence(low=2, high=3, unit="business_days"), "every 2-3 business days"),
    ],
)
def test_cadence_reads_like_the_playbook(cadence: Cadence, text: str) -> None:
    assert str(cadence) == text


def test_escalation_requires_every_template_section(example_escalation: Escalation) -> None:
    data = example_escalation.model_dump()
    del data["reproduction"]
    with pytest.raises(ValidationError, match="reproduction"):
        Escalation.model_validate(data)


def test_escalation_rejects_an_unknown_blast_radius(example_escalation: Escalation) -> None:
    data = example_escalation.model_dump()
    data["impact"]["blast_radius"] = "galactic"
    with pytest.raises(ValidationError, match="blast_radius"):
        Escalation.model_validate(data)


def test_escalation_round_trips_through_json(example_escalation: Escalation) -> None:
    again = Escalation.model_validate_json(example_escalation.model_dump_json())
    assert again == example_escalation
