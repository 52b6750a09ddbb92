"""The product area: playbook cues, the triage report's words, term weights, neighbours."""

from __future__ import annotations

import pytest

from posthog_escalation.models import Ticket, TriageDecision, TriageReport
from posthog_escalation.playbook import default_playbook
from posthog_escalation.understanding import default_catalogue, extract_signals
from posthog_escalation.understanding.area import Neighbour, decide_area, triage_route
from posthog_escalation.understanding.area_model import train

BOOK = default_playbook()
CATALOGUE = default_catalogue()


def area_of(subject: str, body: str = "", product_area: str | None = None, **kw: object) -> str:
    triage = (
        TriageReport(decision=TriageDecision.ESCALATE_TO_ENGINEERING, product_area=product_area)
        if product_area
        else None
    )
    signals = extract_signals(Ticket(id="T", subject=subject, body=body), triage)
    return decide_area(signals, BOOK, CATALOGUE, **kw).route  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("subject", "body", "area"),
    [
        ("Recordings are blank in Safari", "", "session_replay"),
        ("isFeatureEnabled returns false for an enabled flag", "", "feature_flags"),
        ("Survey popover shows twice", "", "surveys"),
        ("Source maps are not applied to stack traces", "", "error_tracking"),
        ("Funnel conversion differs from our database", "", "product_analytics"),
        ("Bounce rate doubled overnight in web analytics", "", "web_analytics"),
        ("Stripe source sync stuck for two days", "", "data_warehouse"),
        ("Webhook destination fires twice for one event", "", "cdp"),
        ("We were charged twice on our invoice", "", "billing"),
        ("Self-hosted upgrade fails on a ClickHouse migration", "", "infrastructure"),
        ("Experiment results page shows no significance", "", "experiments"),
        ("Events from our backend are missing since Monday", "", "ingestion"),
        ("Personal API key written to logs on failed requests", "", "security"),
    ],
)
def test_the_cue_words_of_a_product_decide_its_area(subject: str, body: str, area: str) -> None:
    assert area_of(subject, body) == area


def test_an_sdk_with_no_product_cue_is_an_sdk_bug() -> None:
    assert area_of("App crashes on launch", "posthog_flutter: ^4.9.0 on Android 14") == "sdk_bug"


def test_a_product_cue_in_the_subject_outweighs_the_sdk() -> None:
    body = "posthog_flutter 4.10.2, iOS 17"
    assert area_of("Session replay shows a black screen", body) == "session_replay"


@pytest.mark.parametrize(
    ("frame", "area"),
    [
        (
            "3  PostHog  PostHogReplayIntegration.swift:212 onTouch(_:)",
            "session_replay",
        ),
        (
            "4  PostHog  PostHogSurveysIntegration.swift:87 show(_:)",
            "surveys",
        ),
    ],
)
def test_a_products_sdk_module_in_a_stack_frame_is_a_strong_cue_for_that_product(
    frame: str, area: str
) -> None:
    def cue_score(body: str) -> float:
        signals = extract_signals(Ticket(id="T", subject="Exception on touch", body=body))
        return decide_area(signals, BOOK, CATALOGUE).cue_scores.get(area, 0.0)

    assert cue_score(f"PostHog iOS 3.19.1 stack:\n{frame}") >= 3
    assert cue_score("PostHog iOS 3.19.1 stack:\n4  PostHog  PostHogSDK.swift:87 capture(_:)") == 0


def test_a_cue_inside_a_longer_cue_of_another_area_does_not_count() -> None:
    assert area_of("SQL insight fails when joining persons") == "data_warehouse"


@pytest.mark.parametrize(
    ("written", "route"),
    [
        ("session replay (web)", "session_replay"),
        ("Feature Flags", "feature_flags"),
        ("SDKs", "sdk_bug"),
        ("Data warehouse / SQL", "data_warehouse"),
        ("product analytics - insights", "product_analytics"),
        ("something else entirely", None),
        (None, None),
    ],
)
def test_the_triage_product_area_is_mapped_from_free_text(
    written: str | None, route: str | None
) -> None:
    assert triage_route(written, BOOK) == route


def test_the_triage_product_area_outweighs_the_ticket_words() -> None:
    assert area_of("Recordings are blank", product_area="feature flags") == "feature_flags"


def test_term_weights_break_a_tie_the_cues_leave_open() -> None:
    model = train(
        [
            ("cohort sync stuck", "cohort membership never updates", "feature_flags"),
            ("cohort not updating", "dynamic cohort stale", "feature_flags"),
            ("cohort stale", "cohort size wrong", "feature_flags"),
            ("chart empty", "the graph is empty", "product_analytics"),
            ("graph empty", "chart shows nothing", "product_analytics"),
            ("chart wrong", "graph numbers wrong", "product_analytics"),
        ],
        min_reports=1,
    )
    assert area_of("The thing is stuck", "the cohort membership is stale") == "feature_flags"
    subject, body = "Something is off", "membership stale, cohort stale"
    signals = extract_signals(Ticket(id="T", subject=subject, body=body))
    decision = decide_area(signals, BOOK, CATALOGUE, model=model)
    assert decision.classifier["feature_flags"] > decision.classifier["product_analytics"]


def test_nearest_labeled_issues_add_their_area_and_are_kept_as_reasons() -> None:
    signals = extract_signals(Ticket(id="T", subject="Something odd happened", body=""))
    near = [Neighbour(key="PostHog/posthog#1", route="surveys", similarity=0.9)]
    decision = decide_area(signals, BOOK, CATALOGUE, neighbours=near)
    assert decision.route == "surveys"
    assert "PostHog/posthog#1" in decision.reason


def test_the_reason_names_the_cue_words() -> None:
    signals = extract_signals(Ticket(id="T", subject="Recordings are blank", body=""))
    decision = decide_area(signals, BOOK, CATALOGUE)
    assert decision.reason.startswith("session_replay: cues 'recordings'")
