"""Scoring an outcome against its case: the gating checks, the graded scores, pass^k."""

from __future__ import annotations

from typing import Any

import pytest

from evals.eval_helpers import CASES
from posthog_escalation.backends import Backends
from posthog_escalation.config import Settings
from posthog_escalation.evals.cases import EvalCase, load_case
from posthog_escalation.evals.scoring import (
    daily_counts_of,
    gating_checks,
    graded_scores,
    grounding,
    leaked_private_fields,
    pass_at_k,
    pass_hat_k,
    stated_value,
    trend_of,
)
from posthog_escalation.lint import Finding
from posthog_escalation.models import (
    Dimension,
    Evidence,
    IssueRef,
    Refusal,
    Severity,
    SourceKind,
    TriageDecision,
)
from posthog_escalation.outcome import Outcome
from posthog_escalation.pipeline import escalate
from posthog_escalation.tools.hogql import LocalHogQL


@pytest.fixture
def case() -> EvalCase:
    return load_case(CASES / "replay-safari-regression.yaml")


@pytest.fixture
async def outcome(case: EvalCase, demo_backends: Backends, hogql_settings: Settings) -> Outcome:
    return await escalate(
        case.request, settings=hogql_settings, backends=demo_backends, drafter="offline"
    )


def _expect(case: EvalCase, **changes: Any) -> EvalCase:
    return case.model_copy(update={"expect": case.expect.model_copy(update=changes)})


def _edit(outcome: Outcome, **changes: Any) -> Outcome:
    assert outcome.escalation is not None
    return outcome.model_copy(update={"escalation": outcome.escalation.model_copy(update=changes)})


def _failed(checks: list) -> dict[str, str]:
    return {c.name: c.detail for c in checks if not c.passed}


async def test_the_demo_outcome_passes_every_gating_check(case: EvalCase, outcome: Outcome) -> None:
    checks = gating_checks(case, outcome)
    assert [c.name for c in checks] == [
        "parses",
        "quality_gate",
        "severity",
        "route",
        "affected_repo",
        "escalate",
        "known_issues",
        "must_not_contain",
        "public_private_fields",
        "figures_cited",
        "asks_not_held",
        "trend_matches_counts",
        "trend",
    ]
    assert _failed(checks) == {}


async def test_a_wrong_severity_fails_only_the_severity_check(
    case: EvalCase, outcome: Outcome
) -> None:
    failed = _failed(gating_checks(case, _edit(outcome, severity=Severity.MEDIUM)))
    assert failed == {"severity": "expected High, got Medium"}


async def test_a_recommendation_to_resolve_fails_the_escalate_check(
    case: EvalCase, outcome: Outcome
) -> None:
    failed = _failed(gating_checks(case, _edit(outcome, recommendation="resolve_in_support")))
    assert set(failed) == {"escalate"}


async def test_an_issue_no_tool_returned_is_invented(case: EvalCase, outcome: Outcome) -> None:
    assert outcome.escalation is not None
    known = outcome.escalation.known_issues
    fake = IssueRef(repo="PostHog/posthog", number=1, title="made up")
    edited = _edit(
        outcome,
        known_issues=known.model_copy(update={"matching_issues": [*known.matching_issues, fake]}),
    )
    failed = _failed(gating_checks(case, edited))
    assert set(failed) == {"known_issues"}
    assert "invented" in failed["known_issues"] and "PostHog/posthog#1" in failed["known_issues"]


async def test_an_expected_issue_that_is_not_listed_fails(case: EvalCase, outcome: Outcome) -> None:
    wanting = _expect(case, known_issues=["PostHog/posthog-js#2871", "PostHog/posthog-js#2880"])
    failed = _failed(gating_checks(wanting, outcome))
    assert failed == {"known_issues": "not listed: PostHog/posthog-js#2880"}


async def test_an_empty_known_issue_list_forbids_claiming_any(
    case: EvalCase, outcome: Outcome
) -> None:
    failed = _failed(gating_checks(_expect(case, known_issues=[]), outcome))
    assert "none expected" in failed["known_issues"]


async def test_a_listed_issue_is_fine_when_the_case_does_not_check_issues(
    case: EvalCase, outcome: Outcome
) -> None:
    assert _failed(gating_checks(_expect(case, known_issues=None), outcome)) == {}


async def test_text_left_in_the_public_flavour_fails_without_repeating_it(
    case: EvalCase, outcome: Outcome
) -> None:
    leaky = _expect(case, must_not_contain=["adoptedStyleSheets"])
    failed = _failed(gating_checks(leaky, outcome))
    assert set(failed) == {"must_not_contain"}
    assert "adoptedStyleSheets" not in failed["must_not_contain"]


async def test_a_name_redacted_from_the_public_flavour_passes_the_check(
    case: EvalCase, outcome: Outcome
) -> None:
    assert "Northwind Health" in outcome.markdown
    guarded = _expect(case, must_not_contain=["Northwind Health"])
    assert _failed(gating_checks(guarded, outcome)) == {}


async def test_a_gate_error_fails_the_quality_gate_check(case: EvalCase, outcome: Outcome) -> None:
    broken = outcome.model_copy(
        update={
            "findings": [
                Finding(rule="asks-specific", level="error", field="asks", message="m", hint="h")
            ]
        }
    )
    failed = _failed(gating_checks(case, broken))
    assert failed == {"quality_gate": "asks-specific (asks)"}


def test_a_refusal_fails_the_parses_check_and_nothing_else_is_checked(case: EvalCase) -> None:
    refused = Outcome(
        ticket_id="ZD-48213",
        drafter="offline",
        refusal=Refusal(
            ticket_id="ZD-48213", decision=TriageDecision.RESOLVE_IN_SUPPORT, reason="not escalated"
        ),
    )
    checks = gating_checks(case, refused)
    assert [(c.name, c.passed) for c in checks] == [("parses", False)]


async def test_mention_recall_counts_the_facts_stated(case: EvalCase, outcome: Outcome) -> None:
    graded = graded_scores(
        _expect(case, must_mention=["1.201.0", "Safari", "Windows Phone"]), outcome, None, 0.1
    )
    assert graded.mention_recall == pytest.approx(2 / 3)
    assert graded.missing_mentions == ["Windows Phone"]


async def test_figures_match_the_worlds_ground_truth(
    case: EvalCase, outcome: Outcome, demo_world: LocalHogQL
) -> None:
    truth = demo_world.ground_truth()
    graded = graded_scores(case, outcome, truth, 0.1)
    by_name = {f.name: f for f in graded.figures}
    incident = truth.incidents["replay-safari-regression"]
    assert by_name["affected_orgs"].expected == incident.affected_orgs
    assert by_name["affected_orgs"].stated == incident.affected_orgs
    assert by_name["affected_orgs"].source == "assessment.affected_orgs"
    assert by_name["affected_persons"].stated == incident.affected_persons
    assert graded.figure_score == 1.0


async def test_a_number_off_by_more_than_the_tolerance_scores_zero(
    case: EvalCase, outcome: Outcome, demo_world: LocalHogQL
) -> None:
    assert outcome.escalation is not None
    truth = demo_world.ground_truth().incidents["replay-safari-regression"]
    breadth = Dimension(
        statement=f"{truth.affected_orgs + 3} organizations hit the error",
        evidence=outcome.escalation.dimensions.breadth.evidence,
    )
    edited = _edit(
        outcome,
        assessment=outcome.escalation.assessment.model_copy(update={"affected_orgs": None}),
        dimensions=outcome.escalation.dimensions.model_copy(update={"breadth": breadth}),
    )
    assert edited.escalation is not None
    stated, source = stated_value("affected_orgs", edited.escalation)
    assert (stated, source) == (truth.affected_orgs + 3, "dimensions.breadth")
    graded = graded_scores(case, edited, demo_world.ground_truth(), 0.1)
    orgs = next(f for f in graded.figures if f.name == "affected_orgs")
    assert not orgs.ok


async def test_grounding_finds_numbers_missing_from_the_cited_evidence(
    outcome: Outcome,
) -> None:
    assert outcome.escalation is not None
    score, missing = grounding(outcome.escalation)
    assert score == 1.0 and missing == []
    invented = Dimension(
        statement="12345 organizations are affected",
        evidence=outcome.escalation.dimensions.breadth.evidence,
    )
    edited = _edit(
        outcome,
        dimensions=outcome.escalation.dimensions.model_copy(update={"breadth": invented}),
    )
    assert edited.escalation is not None
    score, missing = grounding(edited.escalation)
    assert missing == ["12345"]
    assert score is not None and score < 1.0


def test_pass_hat_k_is_the_chance_that_k_drawn_trials_all_pass() -> None:
    assert pass_hat_k(3, 5, 2) == pytest.approx(3 / 10)
    assert pass_hat_k(5, 5, 3) == 1.0
    assert pass_hat_k(0, 4, 1) == 0.0
    assert pass_hat_k(2, 4, 1) == pytest.approx(0.5)
    assert pass_hat_k(2, 4, 3) == 0.0


def test_pass_at_k_is_the_chance_that_one_of_k_drawn_trials_passes() -> None:
    assert pass_at_k(3, 5, 2) == pytest.approx(1 - 1 / 10)
    assert pass_at_k(1, 5, 5) == 1.0
    assert pass_at_k(0, 5, 5) == 0.0
    assert pass_at_k(1, 4, 1) == pytest.approx(0.25)


@pytest.mark.parametrize(("passes", "trials", "k"), [(1, 3, 4), (1, 3, 0), (4, 3, 1)])
def test_impossible_counts_are_refused(passes: int, trials: int, k: int) -> None:
    with pytest.raises(ValueError):
        pass_hat_k(passes, trials, k)


# ------------------------------------------------ content checks on every case


def _public(outcome: Outcome, extra: str) -> Outcome:
    return outcome.model_copy(update={"public_markdown": outcome.public_markdown + extra})


@pytest.mark.parametrize(
    ("leak", "kind"),
    [
        ("Northwind Health", "organization name"),
        ("org_8f3k2", "organization id"),
        ("an enterprise customer", "plan"),
        ("(enterprise, 420 seats)", "seats"),
        ("ARR $186,000", "ARR"),
        ("before the renewal on 2026-12-15", "renewal date"),
        ("renews December 15th", "renewal date"),
        ("https://us.posthog.com/project/48213", "project URL"),
        ("project 48213", "project id"),
        ("Dana Whitfield", "person"),
        ("Sam Okafor", "person"),
        ("dana.whitfield@northwind-health.example", "email"),
        ("call +1 (415) 555-0142", "phone"),
        (
            "we load posthog-js from the CDN snippet so we can't easily pin the old version",
            "ticket quote",
        ),
    ],
)
async def test_a_private_value_in_the_public_copy_fails_the_check(
    case: EvalCase, outcome: Outcome, leak: str, kind: str
) -> None:
    failed = _failed(gating_checks(case, _public(outcome, f"\n{leak}\n")))
    assert failed.keys() == {"public_private_fields"} or failed.keys() >= {"public_private_fields"}
    assert kind in failed["public_private_fields"]
    assert leak not in failed["public_private_fields"]


async def test_the_error_the_sdk_and_counts_may_appear_publicly(
    case: EvalCase, outcome: Outcome
) -> None:
    assert outcome.escalation is not None
    allowed = (
        "\nTypeError: undefined is not an object (evaluating 'n.adoptedStyleSheets.length')\n"
        "posthog-js 1.201.0, 420 events, region US, a scale problem\n"
    )
    assert (
        leaked_private_fields(
            case.request.ticket, outcome.escalation, outcome.public_markdown + allowed
        )
        == []
    )


async def test_a_number_missing_from_the_row_its_citation_names_fails(
    outcome: Outcome, case: EvalCase
) -> None:
    assert outcome.escalation is not None
    breadth = outcome.escalation.dimensions.breadth
    wrong_row = Dimension(statement="9 organizations hit the error [E5]", evidence=breadth.evidence)
    edited = _edit(
        outcome,
        dimensions=outcome.escalation.dimensions.model_copy(update={"breadth": wrong_row}),
    )
    failed = _failed(gating_checks(_expect(case, trend=None), edited))
    assert failed == {"figures_cited": "not in the cited row: dimensions.breadth: 9"}


async def test_asking_for_what_the_ticket_or_triage_holds_fails(
    case: EvalCase, outcome: Outcome
) -> None:
    assert outcome.escalation is not None
    repro = outcome.escalation.reproduction.model_copy(
        update={
            "missing": [
                "Debug logs (SDK debug mode) or the console/network output",
                "Steps to reproduce, ideally a minimal reproduction",
                "Which SDK package and exact version are you using?",
                "A link to the affected project, recording, insight or flag",
            ]
        }
    )
    failed = _failed(gating_checks(case, _edit(outcome, reproduction=repro)))
    detail = failed["asks_not_held"]
    for held in ("the error output", "a reproduction", "the SDK version", "the project link"):
        assert held in detail


async def test_asking_for_what_no_source_holds_passes(case: EvalCase, outcome: Outcome) -> None:
    assert outcome.escalation is not None
    repro = outcome.escalation.reproduction.model_copy(
        update={"missing": ["Recording links of two affected Safari sessions"]}
    )
    assert "asks_not_held" not in _failed(gating_checks(case, _edit(outcome, reproduction=repro)))


async def test_a_trend_word_the_daily_counts_contradict_fails(
    case: EvalCase, outcome: Outcome
) -> None:
    assert outcome.escalation is not None
    breadth = outcome.escalation.dimensions.breadth
    growing = breadth.model_copy(
        update={"statement": breadth.statement.replace("steady at about", "growing, at about")}
    )
    edited = _edit(
        outcome,
        dimensions=outcome.escalation.dimensions.model_copy(update={"breadth": growing}),
    )
    failed = _failed(gating_checks(case, edited))
    assert failed["trend_matches_counts"] == (
        "dimensions.breadth: says 'growing', the counts are steady"
    )
    assert failed["trend"] == "expected steady, got growing"


async def test_a_trend_word_without_daily_counts_fails(case: EvalCase, outcome: Outcome) -> None:
    assert outcome.escalation is not None
    depth = Dimension(statement="Degraded and growing", evidence=["E1"])
    edited = _edit(
        outcome,
        dimensions=outcome.escalation.dimensions.model_copy(update={"depth": depth}),
    )
    failed = _failed(gating_checks(case, edited))
    assert failed["trend_matches_counts"] == "dimensions.depth: 'growing' cites no daily counts"


def _per_day(rows: list[tuple[str, int]], until: str = "2026-11-20 12:00:00") -> Evidence:
    table = "day | events\n" + "\n".join(f"{d}T00:00:00Z | {n}" for d, n in rows)
    return Evidence(
        id="E3",
        source=SourceKind.HOGQL,
        query=f"SELECT ... WHERE timestamp < toDateTime('{until}')",
        result=table,
        finding="per day",
        collected_at="2026-11-20T12:00:00Z",
    )


def test_daily_counts_fill_gaps_and_leave_out_partial_days() -> None:
    row = _per_day([("2026-11-14", 5), ("2026-11-15", 40), ("2026-11-17", 44), ("2026-11-20", 9)])
    assert daily_counts_of(row) == [40, 0, 44, 0, 0]
    midnight = _per_day([("2026-11-14", 5), ("2026-11-15", 40)], until="2026-11-17 00:00:00")
    assert daily_counts_of(midnight) == [40, 0]


@pytest.mark.parametrize(
    ("counts", "word"),
    [
        ([164, 648, 715, 600, 607], "steady"),
        ([100, 130, 160, 190, 220, 250], "growing"),
        ([300, 250, 190, 150, 90, 40], "shrinking"),
        ([10, 20, 30], "too few days"),
    ],
)
def test_the_check_applies_the_stated_trend_test(counts: list[int], word: str) -> None:
    assert trend_of(counts) == word
