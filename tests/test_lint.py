"""Every quality-gate rule fires on a bad escalation and stays quiet on a good one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from posthog_escalation.lint import RULES, counts_in, inline_citations, lint, required_severity
from posthog_escalation.models import Escalation, Severity
from posthog_escalation.playbook import default_playbook

Mutation = Callable[[dict[str, Any]], None]


def _mutated(example: Escalation, change: Mutation) -> Escalation:
    data = example.model_dump(mode="json")
    change(data)
    return Escalation.model_validate(data)


def _fired(escalation: Escalation) -> set[str]:
    return {f.rule for f in lint(escalation).findings}


def _set(path: str, value: Any) -> Mutation:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = data
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[last] = value

    return change


def _exposure(data: dict[str, Any]) -> None:
    data["assessment"]["data_exposure"] = True


def _exposure_routed_to_security(data: dict[str, Any]) -> None:
    _exposure(data)
    data["severity"] = "Critical"
    data["routing"]["route"] = "security"
    data["follow_up"]["team_cadence"] = {"low": 2, "high": 4, "unit": "hours"}
    data["follow_up"]["customer_cadence"] = {"low": 2, "high": 4, "unit": "hours"}
    data["follow_up"]["next_team_check"] = "2026-11-20T14:00:00Z"
    data["follow_up"]["next_customer_update"] = "2026-11-20T14:00:00Z"


def _medium_systemic(data: dict[str, Any]) -> None:
    data["severity"] = "Medium"
    data["impact"]["blast_radius"] = "systemic"


def _step_placeholder(data: dict[str, Any]) -> None:
    data["reproduction"]["steps"] = ["[Step]", "Open the recording in PostHog"]


def _no_repro(data: dict[str, Any]) -> None:
    data["reproduction"].update(steps=[], expected="", actual="")


def _no_repro_but_missing_asked(data: dict[str, Any]) -> None:
    _no_repro(data)
    data["reproduction"]["missing"] = ["the SDK version", "a recording link"]


def _missing_not_asked(data: dict[str, Any]) -> None:
    _no_repro_but_missing_asked(data)
    data["communication"]["knows"] = ""


def _uncited_impact(data: dict[str, Any]) -> None:
    data["impact"]["evidence"] = []


def _uncited_breadth(data: dict[str, Any]) -> None:
    data["dimensions"]["breadth"] = {"statement": "5 organizations hit the error", "evidence": []}


def _inline_cited_impact(data: dict[str, Any]) -> None:
    data["impact"]["evidence"] = []
    data["impact"]["who"] = "Northwind Health and 4 other organizations [E1]"


def _failed_citation(data: dict[str, Any]) -> None:
    data["evidence"][0]["status"] = "failed"


def _only_docs_evidence(data: dict[str, Any]) -> None:
    for item in data["evidence"]:
        if item["source"] == "hogql":
            item["source"] = "codebase"


def _medium_with_high_cadence(data: dict[str, Any]) -> None:
    data["severity"] = "Medium"
    data["assessment"]["revenue_at_risk"] = False


def _late_team_check(data: dict[str, Any]) -> None:
    data["follow_up"]["next_team_check"] = "2026-11-21T08:00:00Z"


def _inflated(data: dict[str, Any]) -> None:
    _exposure_routed_to_security(data)
    data["assessment"]["data_exposure"] = False
    data["assessment"]["revenue_at_risk"] = False


# (rule id, mutation that makes it fire)
FIRING: list[tuple[str, Mutation]] = [
    ("summary-one-line", _set("summary", "Replay broken on Safari\nsince the last release")),
    ("summary-one-line", _set("summary", "Replay blank on Safari " + "very " * 40)),
    ("summary-specific", _set("summary", "Bug in replay")),
    ("summary-specific", _set("summary", "Something is not working")),
    ("breadth-quantified", _set("dimensions.breadth.statement", "Many customers are affected")),
    ("duration-has-start", _set("dimensions.duration.statement", "It started recently")),
    ("numbers-cite-evidence", _uncited_impact),
    ("numbers-cite-evidence", _uncited_breadth),
    ("cited-evidence-exists", _set("dimensions.depth.evidence", ["E9"])),
    ("cited-evidence-exists", _set("impact.who", "Northwind and 4 other orgs [E42]")),
    ("evidence-has-data", _only_docs_evidence),
    ("cited-evidence-ok", _failed_citation),
    ("severity-matches-rubric", _exposure),
    ("severity-matches-rubric", _medium_systemic),
    ("severity-matches-rubric", _set("severity", "Medium")),
    ("follow-up-cadence", _medium_with_high_cadence),
    ("severity-not-inflated", _inflated),
    ("workaround-consistent", _set("assessment.depth", "inconvenienced")),
    ("route-known", _set("routing.route", "replays")),
    ("route-context", _set("routing.context", [])),
    ("reproduction-complete", _no_repro),
    ("reproduction-complete", _set("reproduction.steps", ["Open it"])),
    ("missing-facts-asked", _missing_not_asked),
    ("known-issues-searched", _set("known_issues.search_terms", [])),
    ("asks-specific", _set("asks", [])),
    ("asks-specific", _set("asks.0.detail", "please take a look")),
    ("asks-specific", _set("asks.0.detail", "investigate")),
    ("no-placeholders", _step_placeholder),
    ("no-placeholders", _set("impact.cannot_do", "[blocked workflow]")),
    ("no-placeholders", _set("communication.expects", "TBD")),
    ("no-placeholders", _set("communication.expects", "A fix by Friday, 'TBD' for now")),
    ("follow-up-cadence", _set("follow_up.team_cadence", {"low": 24, "high": 24, "unit": "hours"})),
    ("follow-up-cadence", _late_team_check),
    ("communication-complete", _set("communication.expects", "")),
    ("churn-risk-consistent", _set("communication.churn_risk", "low")),
    ("close-criteria-listed", _set("close_criteria", [])),
]


def test_the_reference_escalation_passes_cleanly(example_escalation: Escalation) -> None:
    assert lint(example_escalation).findings == []


def test_every_rule_has_a_firing_case() -> None:
    assert {r.id for r in RULES} == {rule_id for rule_id, _ in FIRING}


@pytest.mark.parametrize(
    ("rule_id", "change"), FIRING, ids=[f"{r}-{i}" for i, (r, _) in enumerate(FIRING)]
)
def test_rule_fires_on_a_bad_escalation(
    example_escalation: Escalation, rule_id: str, change: Mutation
) -> None:
    bad = _mutated(example_escalation, change)
    findings = [f for f in lint(bad).findings if f.rule == rule_id]
    assert findings, f"{rule_id} did not fire"
    level = next(r.level for r in RULES if r.id == rule_id)
    assert all(f.level == level and f.hint for f in findings)
    assert lint(bad).ok is (level == "warning" and not lint(bad).errors)


@pytest.mark.parametrize(
    ("rule_id", "change"),
    [
        (
            "breadth-quantified",
            _set(
                "dimensions.breadth.statement",
                "Unknown, because the customer has disabled capture for the affected pages",
            ),
        ),
        ("numbers-cite-evidence", _inline_cited_impact),
        ("reproduction-complete", _no_repro_but_missing_asked),
        ("severity-matches-rubric", _exposure_routed_to_security),
        (
            "duration-has-start",
            _set("dimensions.duration.statement", "Since Friday, the day of the upgrade [E2]"),
        ),
        ("no-placeholders", _set("impact.who", "[org-1] and 4 other organizations")),
        (
            "no-placeholders",
            _set("evidence.0.result", "customer says: 'We're asking for that TODO to be done.'"),
        ),
        (
            "no-placeholders",
            _set("reproduction.actual", "The SDK source reads `// TODO: use a callback`"),
        ),
    ],
)
def test_rule_stays_quiet_on_an_acceptable_variant(
    example_escalation: Escalation, rule_id: str, change: Mutation
) -> None:
    assert rule_id not in _fired(_mutated(example_escalation, change))


def test_data_exposure_must_also_be_routed_to_security(example_escalation: Escalation) -> None:
    def critical_but_replay(data: dict[str, Any]) -> None:
        _exposure_routed_to_security(data)
        data["routing"]["route"] = "session_replay"

    findings = lint(_mutated(example_escalation, critical_but_replay)).findings
    fields = {f.field for f in findings if f.rule == "severity-matches-rubric"}
    assert fields == {"routing.route"}


def test_required_severity_follows_the_rubric(example_escalation: Escalation) -> None:
    book = default_playbook()
    assert required_severity(example_escalation, book) is Severity.HIGH
    exposed = _mutated(example_escalation, _exposure)
    assert required_severity(exposed, book) is Severity.CRITICAL
    calm = _mutated(example_escalation, _set("assessment.revenue_at_risk", False))
    assert required_severity(calm, book) is Severity.MEDIUM


def test_medium_customer_update_allows_business_days(example_escalation: Escalation) -> None:
    def medium(data: dict[str, Any]) -> None:
        _medium_with_high_cadence(data)
        data["communication"]["churn_risk"] = "low"
        data["follow_up"]["team_cadence"] = {"low": 24, "high": 24, "unit": "hours"}
        data["follow_up"]["customer_cadence"] = {"low": 2, "high": 3, "unit": "business_days"}
        data["follow_up"]["next_team_check"] = "2026-11-21T12:00:00Z"
        data["follow_up"]["next_customer_update"] = "2026-11-25T12:00:00Z"

    escalation = _mutated(example_escalation, medium)
    assert escalation.created_at + timedelta(days=5) == escalation.follow_up.next_customer_update
    assert lint(escalation).findings == []


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("5 orgs and 1,873 events (19%)", ["5", "1,873", "19%"]),
        ("posthog-js 1.201.0 since 2026-11-14 09:12 [E1] #2871", []),
        ("iOS17 and 5xx errors on ^1.83.0 in 2026", []),
        ("0.5% of sessions", ["0.5%"]),
        ("since Nov 18 and 3rd December, UTF-8 body, 40 orgs", ["40"]),
    ],
)
def test_counts_ignore_versions_dates_and_ids(text: str, numbers: list[str]) -> None:
    assert counts_in(text) == numbers


def test_inline_citations_are_found() -> None:
    assert inline_citations("4 orgs [E1, E3] and 2 more [E2]") == ["E1", "E3", "E2"]
