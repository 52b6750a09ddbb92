"""The playbook loads, validates and answers routing and cadence questions."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from posthog_escalation.errors import PlaybookError
from posthog_escalation.models import Cadence, Severity
from posthog_escalation.playbook import (
    DEFAULT_PLAYBOOK,
    add_cadence,
    default_playbook,
    load_playbook,
)

SEED_ROUTES = {
    "sdk_bug",
    "ingestion",
    "feature_flags",
    "session_replay",
    "error_tracking",
    "infrastructure",
    "security",
}


def _write_variant(tmp_path: Path, old: str, new: str) -> Path:
    text = DEFAULT_PLAYBOOK.read_text()
    assert old in text
    path = tmp_path / "playbook.toml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_packaged_playbook_has_the_seed_routes_and_more() -> None:
    book = default_playbook()
    assert set(book.routes) >= SEED_ROUTES
    assert {"surveys", "experiments", "data_warehouse", "cdp", "billing"} <= set(book.routes)


def test_packaged_playbook_has_the_seed_cadence() -> None:
    book = default_playbook()
    assert book.cadence(Severity.CRITICAL).team == Cadence(low=2, high=4)
    assert book.cadence(Severity.HIGH).team == Cadence(low=4, high=8)
    assert book.cadence(Severity.HIGH).customer == Cadence(low=24, high=24)
    assert book.cadence(Severity.MEDIUM).customer == Cadence(low=2, high=3, unit="business_days")


def test_security_rule_forces_critical_and_the_security_route() -> None:
    rule = next(r for r in default_playbook().severity_rules if r.condition == "data_exposure")
    assert rule.min_severity is Severity.CRITICAL
    assert rule.route == "security"


def test_an_unknown_key_is_named_in_the_error(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'area = "Surveys"', 'area = "Surveys"\nowner = "x"')
    with pytest.raises(PlaybookError, match=r"routes\.surveys\.owner"):
        load_playbook(path)


def test_a_wrong_typed_value_is_named_in_the_error(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, "team = { low = 2, high = 4", 'team = { low = "two", high = 4')
    with pytest.raises(PlaybookError, match=r"follow_up\.Critical\.team\.low"):
        load_playbook(path)


def test_an_unknown_rule_condition_is_refused(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'condition = "data_loss"', 'condition = "bad_vibes"')
    with pytest.raises(PlaybookError, match=r"severity_rules\.1\.condition"):
        load_playbook(path)


def test_a_rule_naming_an_unknown_route_is_refused(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'route = "security"', 'route = "securty"')
    with pytest.raises(PlaybookError, match="unknown route 'securty'"):
        load_playbook(path)


def test_invalid_toml_is_refused_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("version = ")
    with pytest.raises(PlaybookError, match="broken.toml: not valid TOML"):
        load_playbook(path)


def test_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PlaybookError, match="file not found"):
        load_playbook(tmp_path / "absent.toml")


def test_every_route_has_labels_and_context() -> None:
    raw = tomllib.loads(DEFAULT_PLAYBOOK.read_text())
    for key, route in raw["routes"].items():
        assert route["labels"], key
        assert route["context"], key


def test_unknown_route_lists_the_known_ones() -> None:
    with pytest.raises(PlaybookError, match="session_replay"):
        default_playbook().route("replays")


def test_sdk_routes_file_in_the_sdks_own_repository() -> None:
    book = default_playbook()
    replay = book.route("session_replay")
    assert book.repo_for(replay, "posthog-ios") == "PostHog/posthog-ios"
    assert book.repo_for(replay, None) == "PostHog/posthog-js"
    assert book.repo_for(book.route("feature_flags"), "posthog-ios") == "PostHog/posthog"


def test_candidate_repos_add_where_customers_file_instead() -> None:
    book = default_playbook()
    repos = book.candidate_repos(book.route("sdk_bug"), "posthog-react-native")
    assert repos[0] == "PostHog/posthog-js"
    assert "PostHog/posthog-js-lite" in repos
    assert "PostHog/posthog" in repos


def test_mobile_sdk_bugs_use_mobile_labels() -> None:
    book = default_playbook()
    route = book.route("sdk_bug")
    assert "feature/mobile" in book.labels_for(route, "posthog-flutter")
    assert "feature/libraries" in book.labels_for(route, "posthog-python")


def test_close_criteria_are_checked_against_the_action() -> None:
    book = default_playbook()
    assert book.criterion("problem-stopped", "close").id == "problem-stopped"
    with pytest.raises(PlaybookError, match="not a downgrade criterion"):
        book.criterion("problem-stopped", "downgrade")


def test_hour_cadence_adds_hours() -> None:
    start = datetime(2026, 11, 20, 12, tzinfo=UTC)
    assert add_cadence(start, Cadence(low=4, high=8)) == datetime(2026, 11, 20, 16, tzinfo=UTC)
    assert add_cadence(start, Cadence(low=4, high=8), upper=True).hour == 20


def test_business_day_cadence_skips_the_weekend() -> None:
    friday = datetime(2026, 11, 20, 12, tzinfo=UTC)
    due = add_cadence(friday, Cadence(low=2, high=3, unit="business_days"))
    assert due == datetime(2026, 11, 24, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "behaviour"),
    [
        (
            "Recordings show asterisks instead of what people type in the form",
            "replay-default-masking",
        ),
        ("Events never show up from our AWS Lambda handler using posthog-node", "serverless-flush"),
        (
            "Flutter: replay is enabled but we never see recordings in the list",
            "mobile-replay-setup",
        ),
        ("Users with uBlock Origin are missing from our funnels", "ad-blocker-reverse-proxy"),
        (
            "Flag on person property email is false for anonymous visitors on first page load",
            "anonymous-person-property-flags",
        ),
    ],
)
def test_documented_behaviour_is_recognised(text: str, behaviour: str) -> None:
    found = default_playbook().documented_behaviour(text)
    assert found is not None and found.id == behaviour


@pytest.mark.parametrize(
    "text",
    [
        "Replay shows unmasked credit card numbers on iOS",
        "Our Lambda sends events fine; we call await posthog.shutdown() and still lose some",
        "Session recordings are blank for Safari users since the upgrade",
    ],
)
def test_a_real_bug_is_not_mistaken_for_documented_behaviour(text: str) -> None:
    assert default_playbook().documented_behaviour(text) is None


def test_a_documented_behaviour_with_a_bad_pattern_is_refused(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'all = ["replay|recording",', 'all = ["replay(|recording",')
    with pytest.raises(PlaybookError, match="not a valid regular expression"):
        load_playbook(path)


@pytest.mark.parametrize(
    ("route", "sdk", "text", "repo"),
    [
        (
            "feature_flags",
            "posthog-python",
            "local evaluation returns the wrong value",
            "PostHog/posthog-python",
        ),
        ("feature_flags", "posthog-python", "gets the wrong value from /flags", "PostHog/posthog"),
        ("feature_flags", "posthog-js", "bootstrapped flags are overwritten", "PostHog/posthog-js"),
        ("surveys", "posthog-js", "the survey popover appears twice", "PostHog/posthog-js"),
        ("surveys", "posthog-js", "the CSV export lacks answers", "PostHog/posthog"),
        ("surveys", None, "the survey popover appears twice", "PostHog/posthog"),
        ("sdk_bug", "posthog-android", "crashes in setup", "PostHog/posthog-android"),
    ],
)
def test_problems_that_live_in_the_sdk_go_to_its_repository(
    route: str, sdk: str | None, text: str, repo: str
) -> None:
    book = default_playbook()
    assert book.repo_for(book.route(route), sdk, text) == repo


def test_a_route_with_a_bad_sdk_side_pattern_is_refused(tmp_path: Path) -> None:
    path = _write_variant(tmp_path, 'sdk_side = ["\\\\bpopover', 'sdk_side = ["(\\\\bpopover')
    with pytest.raises(PlaybookError, match="not a valid regular expression"):
        load_playbook(path)
