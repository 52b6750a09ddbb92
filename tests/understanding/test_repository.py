"""The repository: where the code that misbehaves lives."""

from __future__ import annotations

import pytest

from posthog_escalation.models import Ticket
from posthog_escalation.playbook import default_playbook
from posthog_escalation.understanding import default_catalogue, extract_signals
from posthog_escalation.understanding.repository import decide_repository, problem_sdk

BOOK = default_playbook()
CATALOGUE = default_catalogue()


def repo_of(route: str, subject: str, body: str = "") -> str:
    signals = extract_signals(Ticket(id="T", subject=subject, body=body))
    return decide_repository(signals, BOOK.route(route), BOOK, CATALOGUE).repo


@pytest.mark.parametrize(
    ("route", "subject", "body", "repo"),
    [
        ("sdk_bug", "App crashes on launch", "pod 'PostHog', '~> 3.19'", "PostHog/posthog-ios"),
        ("sdk_bug", "Build fails", "posthog_flutter: ^4.9.0", "PostHog/posthog-flutter"),
        ("product_analytics", "Funnel numbers look wrong", "", "PostHog/posthog"),
        ("infrastructure", "Query API returns 502", "we use posthog-python 3.7", "PostHog/posthog"),
        ("experiments", "Experiment shows 0 exposures", "posthog-node 5.8.0", "PostHog/posthog"),
    ],
)
def test_the_code_that_misbehaves_decides_the_repository(
    route: str, subject: str, body: str, repo: str
) -> None:
    assert repo_of(route, subject, body) == repo


def test_an_sdk_side_problem_goes_to_the_sdk_and_an_app_side_one_to_the_app() -> None:
    sdk = "Local evaluation returns true for an 'is not set' condition"
    assert repo_of("feature_flags", sdk, "posthog-python 6.7.2") == "PostHog/posthog-python"
    app = "Release conditions on the flags page do not save"
    assert repo_of("feature_flags", app, "posthog-python 6.7.2") == "PostHog/posthog"


def test_the_replay_player_is_the_apps_and_masking_is_the_sdks() -> None:
    body = "posthog-js 1.240.0 in Chrome"
    assert repo_of("session_replay", "Recordings won't play in the player", body) == (
        "PostHog/posthog"
    )
    assert repo_of("session_replay", "Inputs are not masked", body) == "PostHog/posthog-js"


def test_a_mobile_sdk_report_goes_to_its_repository_in_a_client_side_area() -> None:
    assert repo_of("ingestion", "Events are missing", "posthog-android 3.20.1") == (
        "PostHog/posthog-android"
    )


def test_a_language_implies_the_sdk_when_none_is_named() -> None:
    assert repo_of("sdk_bug", "Capture blocks the request", "Our backend is written in Go.") == (
        "PostHog/posthog-go"
    )


def test_a_native_sdk_inside_a_flutter_app_goes_to_the_flutter_sdk() -> None:
    body = "Our Flutter app ANRs:\nat com.posthog.android.replay.PostHogReplayIntegration.start"
    assert repo_of("sdk_bug", "ANR on Android", body) == "PostHog/posthog-flutter"


def test_no_sdk_named_or_implied_is_the_app() -> None:
    assert repo_of("session_replay", "Recordings list is empty") == "PostHog/posthog"


def test_the_sdk_in_the_subject_is_the_problem_sdk() -> None:
    signals = extract_signals(
        Ticket(id="T", subject="posthog-node drops events", body="the web app uses posthog-js")
    )
    found = problem_sdk(signals)
    assert found is not None and found.package == "posthog-node"


def test_a_report_comparing_ios_and_android_goes_to_the_platform_that_fails() -> None:
    body = "Android supports `$session_id` already; iOS doesn't yet."
    assert repo_of("session_replay", "`$session_id` support", body) == "PostHog/posthog-ios"
    body = "On iOS the field is in properties, but on Android there's no such field."
    assert repo_of("ingestion", "Field missing from properties", body) == (
        "PostHog/posthog-android"
    )


def test_a_report_where_both_mobile_platforms_fail_names_neither() -> None:
    body = "It crashes on iOS and on Android alike."
    assert repo_of("session_replay", "Recording crash", body) == "PostHog/posthog"


def test_a_secret_the_sdk_itself_logs_is_fixed_in_the_sdk() -> None:
    body = "When requests fail the Go SDK logs the personal API key in the query string."
    assert repo_of("security", "Key written to logs", body) == "PostHog/posthog-go"
    assert repo_of("security", "Project API key visible in the settings page", "") == (
        "PostHog/posthog"
    )


def test_html_or_the_dom_in_a_ticket_implies_the_web_sdk() -> None:
    body = "Clicking the icon in `<a href='/x'><svg /></a>` gives an event with no text."
    assert repo_of("product_analytics", "Autocapture loses the link text", body) == (
        "PostHog/posthog-js"
    )
    body = "We call posthog.setPersonPropertiesForFlags({ url: window.location.href })"
    assert repo_of("feature_flags", "Anonymous users get identified", body) == (
        "PostHog/posthog-js"
    )


def test_a_web_page_named_in_an_app_side_report_still_goes_to_the_app() -> None:
    body = "The page's `<button>` elements show in the toolbar, but the heatmap is empty."
    assert repo_of("session_replay", "Heatmap empty", body) == "PostHog/posthog"


def test_an_app_side_problem_with_no_sdk_is_marked_as_the_apps() -> None:
    signals = extract_signals(
        Ticket(id="T", subject="Toggling a flag on the flags page throws", body="")
    )
    decision = decide_repository(signals, BOOK.route("feature_flags"), BOOK, CATALOGUE)
    assert decision.repo == "PostHog/posthog" and decision.app_side
    plain = extract_signals(Ticket(id="T", subject="Flags evaluate wrongly", body=""))
    assert not decide_repository(plain, BOOK.route("feature_flags"), BOOK, CATALOGUE).app_side
