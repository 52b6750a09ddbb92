"""Planning the known-issue searches from what the ticket is about."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from posthog_escalation.loading import load_model
from posthog_escalation.models import EscalationRequest, Ticket
from posthog_escalation.tools.issues import plan_searches, problem_text
from posthog_escalation.tools.issues.plan import subject_terms
from posthog_escalation.understanding import extract_signals

NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)
DEMO = Path(str(resources.files("posthog_escalation") / "examples" / "demo_request.yaml"))


def ticket(subject: str, body: str) -> Ticket:
    return Ticket(id="T-1", subject=subject, body=body, created_at=NOW)


def test_demo_searches_come_from_the_error_version_component_and_symptom() -> None:
    request = load_model(DEMO, EscalationRequest)
    plans = plan_searches(extract_signals(request.ticket, request.triage), route="session_replay")
    texts = [p.text for p in plans]
    assert texts[0] == '"adoptedStyleSheets.length"'
    assert [p.kind for p in plans][:2] == ["error", "sdk_version"]
    assert '"1.201.0" replay' in texts
    assert "replay safari" in texts
    joined = " ".join(texts).lower()
    for signature_word in ("product analytics", "head", "northwind", "dana", "whitfield"):
        assert signature_word not in joined
    assert all(p.reason for p in plans)
    assert "1.201.0" in plans[1].reason


def test_problem_text_drops_greeting_signature_and_contact_details() -> None:
    text = (
        "Hi team,\n\nOur funnel insight shows zero conversions since Monday.\n\n"
        "Thanks,\nDana Whitfield\nHead of Product Analytics, Northwind Health\n"
        "dana@northwind.example | +1 (415) 555-0142"
    )
    kept = problem_text(text)
    assert "funnel insight shows zero conversions" in kept
    for gone in ("Hi team", "Dana", "Head of Product Analytics", "Northwind", "555-0142"):
        assert gone not in kept


def test_a_long_paragraph_after_a_sign_off_is_read_again() -> None:
    text = (
        "Cheers,\nSam\n\nFollow-up from the customer: the recordings are still missing on "
        "every Android device we tested this morning after the release"
    )
    assert "recordings are still missing" in problem_text(text)
    assert "Sam" not in problem_text(text)


def test_a_documented_option_is_searched_as_an_exact_phrase() -> None:
    t = ticket(
        "Typed text visible in Android replays",
        "posthog-react-native 4.3.1 on Android: maskAllTextInputs is true but values show.",
    )
    plans = plan_searches(extract_signals(t))
    option = next(p for p in plans if p.kind == "config_option")
    assert option.text == '"maskAllTextInputs"'
    assert "maskAllTextInputs" in option.reason


def test_the_route_names_the_component_when_the_ticket_uses_no_product_word() -> None:
    t = ticket("Numbers look off since Tuesday", "The totals went down by half, it is wrong.")
    plans = plan_searches(extract_signals(t), route="product_analytics")
    assert any(p.text.startswith("insight ") for p in plans)
    assert not any("tuesday" in p.text for p in plans)


def test_subject_terms_lead_with_component_platform_and_a_specific_word() -> None:
    signals = extract_signals(ticket("Session recordings are blank for Safari users", ""))
    assert subject_terms(signals) == ["recordings", "safari", "blank"]


def test_an_empty_ticket_plans_nothing() -> None:
    assert plan_searches(extract_signals(ticket("?", ""))) == []


def test_problem_text_drops_attachments_and_pointers_to_them() -> None:
    body = (
        "The dashboard crashes on load. [screenshot]\n"
        "See the attached screenshot and ![console](https://example.com/c.png) for details.\n"
        "Screenshot mode in mobile replay is off."
    )
    kept = problem_text(body).lower()
    assert kept.count("screenshot") == 1, "the replay setting stays, the attachments go"
    assert "example.com" not in kept and "crashes on load" in kept


def test_a_vague_subject_is_searched_with_the_problem_texts_words() -> None:
    ticket = Ticket(
        id="T",
        subject="Help",
        body="Hi team,\n\nCohort membership stays empty after a recalculation on Cloud EU.\n",
    )
    plans = plan_searches(extract_signals(ticket))
    body = [p for p in plans if p.kind == "body"]
    assert body and body[0].reason == "the problem text's most specific words"
    assert "cohort" in body[0].text and "hi" not in body[0].text.split()


def test_a_specific_subject_needs_no_words_from_the_body() -> None:
    ticket = Ticket(
        id="T", subject="Cohort membership stays empty", body="Cohort recalculation fails."
    )
    assert all(p.kind != "body" for p in plan_searches(extract_signals(ticket)))
