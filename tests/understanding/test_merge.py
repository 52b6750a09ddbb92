"""Merging Claude's reading: the rules check every field, and always win on security."""

from __future__ import annotations

from posthog_escalation.models import Ticket
from posthog_escalation.playbook import default_playbook
from posthog_escalation.understanding import default_catalogue, extract_signals
from posthog_escalation.understanding.decide import decide
from posthog_escalation.understanding.merge import ReadSdk, TicketReading, merge_reading

BOOK = default_playbook()
CATALOGUE = default_catalogue()


def merged(subject: str, body: str, reading: TicketReading):  # type: ignore[no-untyped-def]
    ticket = Ticket(id="T", subject=subject, body=body)
    signals = extract_signals(ticket)
    decision = decide(signals, BOOK, ticket=ticket)
    return merge_reading(decision, signals, reading, BOOK, CATALOGUE, ticket=ticket)


def test_a_known_sdk_the_model_read_is_added_and_an_unknown_one_is_refused() -> None:
    reading = TicketReading(
        product_area="sdk_bug",
        sdks=[ReadSdk(package="posthog_flutter", version="4.9.0"), ReadSdk(package="acme-sdk")],
    )
    decision, signals, notes = merged("App crashes on launch", "It dies at start.", reading)
    assert [(s.package, s.version, s.source) for s in signals.sdks] == [
        ("posthog-flutter", "4.9.0", "model")
    ]
    assert decision.repo == "PostHog/posthog-flutter"
    assert any("acme-sdk" in n and "catalogue lacks" in n for n in notes)


def test_the_models_area_is_taken_only_when_the_ticket_points_there() -> None:
    body = "The recordings list and the flag page both look odd."
    taken, _, _ = merged("Odd things", body, TicketReading(product_area="feature_flags"))
    assert taken.product_route == "feature_flags"
    refused, _, notes = merged("Odd things", body, TicketReading(product_area="billing"))
    assert refused.product_route != "billing"
    assert any("nothing in the ticket points there" in n for n in notes)


def test_the_model_can_neither_add_nor_remove_security() -> None:
    exposure = "Passwords are visible in session recordings."
    kept, _, _ = merged("Passwords in replays", exposure, TicketReading(product_area="billing"))
    assert kept.route == "security"
    claimed, _, notes = merged(
        "Recordings are blank",
        "Safari sessions are blank.",
        TicketReading(product_area="session_replay", data_exposure=True),
    )
    assert claimed.route == "session_replay"
    assert any("security routing is the rules' call" in n for n in notes)


def test_a_question_the_model_reads_is_resolved_only_without_a_failure() -> None:
    quiet, _, _ = merged(
        "Recording one page",
        "We record one route only.",
        TicketReading(
            product_area="session_replay", question=True, symptom="how to limit recording"
        ),
    )
    assert quiet.recommendation == "resolve_in_support"
    failing, _, notes = merged(
        "Recording one page",
        "Since upgrading to 1.201.0 it throws TypeError: x is undefined",
        TicketReading(product_area="session_replay", question=True),
    )
    assert failing.recommendation == "escalate"
    assert any("reports" in n for n in notes)
