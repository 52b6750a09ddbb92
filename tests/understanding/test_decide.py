"""The one decision: route, product area, repository and recommendation, with reasons."""

from __future__ import annotations

from posthog_escalation.models import Ticket
from posthog_escalation.playbook import default_playbook
from posthog_escalation.understanding import extract_signals
from posthog_escalation.understanding.decide import decide, settle

BOOK = default_playbook()


def decided(subject: str, body: str = ""):  # type: ignore[no-untyped-def]
    ticket = Ticket(id="T", subject=subject, body=body)
    signals = extract_signals(ticket)
    return ticket, signals, decide(signals, BOOK, ticket=ticket)


def test_an_exposure_goes_to_security_and_keeps_its_product_area() -> None:
    _, _, decision = decided(
        "Passwords visible in session recordings", "Password fields are not masked in replays."
    )
    assert decision.route == "security"
    assert decision.product_route == "session_replay"
    assert decision.recommendation == "escalate"
    assert "security team first" in decision.reason_lines()["route"]


def test_a_question_is_resolved_in_support_with_its_reason() -> None:
    _, _, decision = decided("How do I record only one page?", "I use posthog-js 1.240.")
    assert decision.recommendation == "resolve_in_support"
    assert decision.answer is not None and decision.answer.kind == "question"
    assert decision.reason_lines()["recommendation"].startswith("resolve in support")


def test_an_incident_in_the_window_moves_the_area_to_the_service_that_failed() -> None:
    ticket, signals, decision = decided("Insights time out", "The trends page returns 504.")
    settled = settle(
        decision, signals, BOOK, ticket=ticket, incident_components=["Query API", "US"]
    )
    assert settled.product_route == "infrastructure"
    assert settled.repo == "PostHog/posthog"
    assert any("incident" in note for note in settled.notes)


def test_a_documented_behaviour_found_in_the_evidence_resolves_it_in_support() -> None:
    ticket, signals, decision = decided("Events missing from Brave users", "Some users use Brave.")
    documented = next(b for b in BOOK.documented_behaviours if b.id == "ad-blocker-reverse-proxy")
    settled = settle(decision, signals, BOOK, ticket=ticket, documented=documented)
    assert settled.recommendation == "resolve_in_support"
    assert settled.product_route == documented.route


def test_settling_without_new_evidence_changes_nothing() -> None:
    ticket, signals, decision = decided("Recordings are blank in Safari", "posthog-js 1.201.0")
    assert settle(decision, signals, BOOK, ticket=ticket) == decision


def test_the_context_lines_say_what_decided_the_route_and_the_repository() -> None:
    _, _, decision = decided("Recordings are blank in Safari", "posthog-js 1.201.0")
    routed, repository = decision.context_lines()
    assert routed.startswith("Routed by: session_replay: cues 'recordings'")
    assert repository.startswith("Repository: PostHog/posthog-js")
