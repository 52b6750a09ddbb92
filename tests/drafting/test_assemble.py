"""From the model's answer to an escalation: what the model may choose and what code keeps."""

from __future__ import annotations

from datetime import UTC, datetime

from drafting.demo_answers import demo_answer
from posthog_escalation.drafting.answer import DraftAnswer
from posthog_escalation.drafting.assemble import assemble, route_choices, search_terms
from posthog_escalation.drafting.offline import draft_offline
from posthog_escalation.evidence import gather
from posthog_escalation.models import Evidence, Severity, SourceKind
from posthog_escalation.playbook import default_playbook
from posthog_escalation.tools.issues import guess_route
from posthog_escalation.understanding import extract_signals


async def _demo(request, backends):
    book = default_playbook()
    signals = extract_signals(request.ticket, request.triage)
    now = backends.hogql.now
    pack = await gather(
        request.ticket, signals, backends, book, route=guess_route(signals, book), now=now
    )
    baseline = draft_offline(request.ticket, request.triage, signals, pack, book, now=now)
    return book, signals, pack, baseline


async def test_security_is_the_only_route_when_the_rules_send_it_there(
    demo_request, demo_backends
) -> None:
    book, signals, pack, baseline = await _demo(demo_request, demo_backends)
    secure = baseline.model_copy(
        update={"routing": baseline.routing.model_copy(update={"route": "security"})}
    )

    assert route_choices(secure, signals, pack, book, ticket=demo_request.ticket) == ["security"]


async def test_the_triage_product_area_adds_a_route_to_choose_from(
    demo_request, demo_backends
) -> None:
    book, _, pack, baseline = await _demo(demo_request, demo_backends)
    triage = demo_request.triage.model_copy(update={"product_area": "SDKs"})
    signals = extract_signals(demo_request.ticket, triage)

    choices = route_choices(baseline, signals, pack, book, ticket=demo_request.ticket)
    assert choices == ["session_replay", "sdk_bug"]


async def test_a_chosen_route_takes_team_repository_and_labels_from_the_playbook(
    demo_request, demo_backends
) -> None:
    book, signals, pack, baseline = await _demo(demo_request, demo_backends)
    answer = DraftAnswer.model_validate({**demo_answer(pack), "route": "sdk_bug"})

    escalation, notes = assemble(
        answer,
        baseline=baseline,
        choices=["session_replay", "sdk_bug"],
        signals=signals,
        evidence=pack.items,
        playbook=book,
    )

    route = book.route("sdk_bug")
    assert escalation.routing.route == "sdk_bug"
    assert escalation.routing.team == route.team
    assert escalation.routing.channel == route.channel
    assert escalation.routing.labels == book.labels_for(route, "posthog-js")
    assert escalation.product_area == route.area
    assert escalation.affected_repo == "PostHog/posthog-js"
    assert escalation.severity is baseline.severity is Severity.HIGH
    assert escalation.follow_up == baseline.follow_up
    assert escalation.assessment == baseline.assessment
    assert notes == []


async def test_the_facts_the_rules_established_are_kept_in_a_model_draft(
    demo_request, demo_backends
) -> None:
    book, signals, pack, baseline = await _demo(demo_request, demo_backends)
    answer = DraftAnswer.model_validate(demo_answer(pack))
    escalation, _ = assemble(
        answer,
        baseline=baseline,
        choices=["session_replay"],
        signals=signals,
        evidence=pack.items,
        playbook=book,
    )
    assert baseline.daily is not None and escalation.daily == baseline.daily
    assert escalation.reproduction.environment.browsers == (
        baseline.reproduction.environment.browsers
    )
    assert escalation.reproduction.error == baseline.reproduction.error is not None


def test_search_terms_are_every_issue_search_that_ran() -> None:
    when = datetime(2026, 11, 20, tzinfo=UTC)
    items = [
        Evidence(
            id="E1",
            source=SourceKind.GITHUB,
            query="a is:issue\nb is:issue",
            finding="x",
            collected_at=when,
        ),
        Evidence(
            id="E2", source=SourceKind.HOGQL, query="SELECT 1", finding="y", collected_at=when
        ),
        Evidence(
            id="E3", source=SourceKind.GITHUB, query="b is:issue\nc", finding="z", collected_at=when
        ),
        Evidence(
            id="E4",
            source=SourceKind.GITHUB,
            query="d",
            finding="failed",
            collected_at=when,
            status="failed",
        ),
    ]

    assert search_terms(items) == ["a is:issue", "b is:issue", "c"]
