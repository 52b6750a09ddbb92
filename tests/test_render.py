"""The renderer reproduces the template in both flavours (golden files pin the output).

Regenerate the golden files after an intended change with
``UPDATE_GOLDEN=1 pytest tests/test_render.py`` and review the diff.
"""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from posthog_escalation.loading import load_model
from posthog_escalation.models import DailyCounts, Escalation, EscalationRequest
from posthog_escalation.public import public_title
from posthog_escalation.redact import Redactor
from posthog_escalation.render import (
    EXTRA_HEADINGS,
    TEMPLATE_HEADINGS,
    environment_lines,
    render_markdown,
)

GOLDEN = Path(__file__).parent / "golden"
EXAMPLES = Path(__file__).resolve().parents[1] / "src" / "posthog_escalation" / "examples"

# The template's field labels, in order, as the skill text gives them.
TEMPLATE_LABELS = [
    "**Severity:**",
    "**Product area:**",
    "**Affected repo:**",
    "**Date:**",
    "- **Who:**",
    "- **What they can't do:**",
    "- **Blast radius:**",
    "- **Workaround:**",
    "| # | Source | Finding |",
    "**Environment:**",
    "- SDK:",
    "- Platform:",
    "- PostHog region:",
    "**Steps:**",
    "**Expected:**",
    "**Actual:**",
    "**Reproducibility:**",
    "- **GitHub search terms used:**",
    "- **Matching issues:**",
    "- **Related PRs:**",
    "- **Customer knows:**",
    "- **Customer expects:**",
    "- **Churn risk:**",
]


@pytest.fixture
def ticket_redactor() -> Redactor:
    request = load_model(EXAMPLES / "demo_request.yaml", EscalationRequest)
    return Redactor.for_ticket(request.ticket)


def _check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


def test_internal_flavour_matches_golden(example_escalation: Escalation) -> None:
    _check_golden("example.internal.md", render_markdown(example_escalation))


def test_public_flavour_matches_golden(
    example_escalation: Escalation, ticket_redactor: Redactor
) -> None:
    text = render_markdown(example_escalation, "public", redactor=ticket_redactor)
    _check_golden("example.public.md", text)


def test_headings_and_labels_follow_the_template_in_order(example_escalation: Escalation) -> None:
    text = render_markdown(example_escalation)
    positions = [text.index(marker) for marker in (*TEMPLATE_HEADINGS, *EXTRA_HEADINGS)]
    assert positions == sorted(positions)
    label_positions = [text.index(label) for label in TEMPLATE_LABELS]
    assert label_positions == sorted(label_positions)


def test_public_flavour_hides_customer_identity_and_business(
    example_escalation: Escalation, ticket_redactor: Redactor
) -> None:
    text = render_markdown(example_escalation, "public", redactor=ticket_redactor)
    for secret in (
        "Northwind",
        "enterprise",
        "420 seats",
        "2026-12-15",
        "evaluating alternatives",
        "renewal",
        "churn",
        "High",
    ):
        assert secret.lower() not in text.lower(), secret
    assert "1.201.0" in text and "1.200.3" in text
    assert "adoptedStyleSheets" in text
    assert "https://github.com/PostHog/posthog-js/issues/2871" in text


PRIVATE = "SENTINEL-PRIVATE-TEXT"


def test_public_flavour_is_written_from_the_allow_list_not_the_internal_text(
    example_escalation: Escalation,
) -> None:
    """Every free-text field of the internal escalation carries a marker; none reaches the
    public copy, while the allow-listed fields do."""
    e = example_escalation
    evidence = [
        item.model_copy(update={"finding": f"{item.finding} {PRIVATE}"}) for item in e.evidence
    ]
    leaky = e.model_copy(
        update={
            "summary": f"{e.summary} {PRIVATE}",
            "severity_rationale": PRIVATE,
            "impact": e.impact.model_copy(update={"who": PRIVATE, "cannot_do": PRIVATE}),
            "dimensions": e.dimensions.model_copy(
                update={
                    name: dim.model_copy(update={"statement": PRIVATE})
                    for name, dim in e.dimensions.items()
                }
            ),
            "evidence": evidence,
            "reproduction": e.reproduction.model_copy(
                update={"steps": [PRIVATE], "actual": PRIVATE, "expected": PRIVATE}
            ),
            "known_issues": e.known_issues.model_copy(update={"search_terms": [PRIVATE]}),
            "asks": [a.model_copy(update={"detail": PRIVATE}) for a in e.asks],
            "communication": e.communication.model_copy(
                update={"knows": PRIVATE, "expects": PRIVATE, "churn_reason": PRIVATE}
            ),
            "routing": e.routing.model_copy(update={"context": [PRIVATE], "channel": PRIVATE}),
            "close_criteria": [PRIVATE],
        }
    )
    public = render_markdown(leaky, "public")
    assert PRIVATE not in public
    assert PRIVATE in render_markdown(leaky)
    for allowed in (
        e.reproduction.error,
        e.reproduction.works_on,
        e.evidence[0].public_finding,
        e.known_issues.related_prs[0].title,
    ):
        assert allowed and allowed in public


def test_public_flavour_without_a_ticket_still_removes_emails_and_keys(
    example_escalation: Escalation,
) -> None:
    leaky = example_escalation.model_copy(
        update={
            "reproduction": example_escalation.reproduction.model_copy(
                update={"error": "Error: bad key phc_abcdefghijklmnop123 for jo@acme.example"}
            )
        }
    )
    text = render_markdown(leaky, "public")
    assert "jo@acme.example" not in text
    assert "phc_abcdefghijklmnop123" not in text
    assert "Error: bad key [" in text and "[email-1]" in text


def test_rows_without_a_public_finding_stay_internal(example_escalation: Escalation) -> None:
    public = render_markdown(example_escalation, "public")
    ticket_row = next(e for e in example_escalation.evidence if e.source.value == "ticket")
    assert ticket_row.public_finding is None
    assert f"| {ticket_row.id} |" not in public
    assert ticket_row.query not in public
    assert f"| {ticket_row.id} |" in render_markdown(example_escalation)


def test_every_figure_cites_its_row_in_both_flavours(example_escalation: Escalation) -> None:
    internal = render_markdown(example_escalation)
    who = next(line for line in internal.splitlines() if line.startswith("- **Who:**"))
    assert who.endswith("[E1, E6]")
    breadth = next(line for line in internal.splitlines() if line.startswith("- **Breadth:**"))
    assert breadth.count("[E1]") == 1
    public = render_markdown(example_escalation, "public")
    section = public.split("### How many are affected")[1].split("###")[0]
    figures = [line for line in section.splitlines() if line.startswith("- ")]
    assert figures and all(re.search(r"\[E\d+\]$", line) for line in figures)


def test_environment_lines_separate_os_browser_framework_and_runtime(
    example_escalation: Escalation,
) -> None:
    env = example_escalation.reproduction.environment.model_copy(
        update={"frameworks": ["Next.js 14"], "runtimes": ["Node 20"]}
    )
    repro = example_escalation.reproduction.model_copy(update={"environment": env})
    text = render_markdown(example_escalation.model_copy(update={"reproduction": repro}))
    block = text.split("**Environment:**")[1].split("**Steps:**")[0]
    assert [line.split(":")[0] for line in block.strip().splitlines()] == [
        "- SDK",
        "- Platform",
        "- OS",
        "- Browser",
        "- Framework",
        "- Runtime",
        "- PostHog region",
    ]
    assert "- Platform: web\n" in block and "- OS: macOS, iOS" in block


@pytest.mark.parametrize(
    ("platform", "missing", "line"),
    [
        (
            "web",
            ["Which SDK package and exact version are you using?"],
            "unknown — ask the customer",
        ),
        ("web", ["A link to the affected project"], "not named in the ticket"),
        ("not relevant (PostHog-side)", [], "not relevant (PostHog-side)"),
    ],
)
def test_an_unnamed_sdk_is_asked_for_only_when_the_escalation_asks(
    example_escalation: Escalation, platform: str, missing: list[str], line: str
) -> None:
    repro = example_escalation.reproduction
    env = repro.environment.model_copy(update={"sdks": [], "platform": platform})
    repro = repro.model_copy(update={"environment": env, "missing": missing})
    assert environment_lines(repro)[0] == f"- SDK: {line}"


def _with_daily(escalation: Escalation) -> Escalation:
    days = [date(2026, 11, 12) + timedelta(days=i) for i in range(5)]
    daily = DailyCounts(
        evidence="E1",
        what="events matching the error",
        days=days,
        counts=[0, 0, 109, 640, 600],
        start=date(2026, 11, 14),
        start_label="first seen, web 1.201.0",
        trend="about 620 a day over 2 full days, too few to call a trend",
    )
    return escalation.model_copy(update={"daily": daily})


def test_the_daily_counts_are_a_mermaid_chart_with_the_start_marked(
    example_escalation: Escalation,
) -> None:
    for flavour in ("internal", "public"):
        text = render_markdown(_with_daily(example_escalation), flavour)
        chart = text.split("```mermaid\n")[1].split("```")[0]
        assert chart.startswith("xychart-beta\n")
        assert 'x-axis ["11-12", "11-13", "11-14 start", "11-15", "11-16"]' in chart
        assert "bar [0, 0, 109, 640, 600]" in chart
        assert "y-axis" in chart and "--> 640" in chart
        assert "the problem starts 2026-11-14 (first seen, web 1.201.0)" in text


def test_the_public_chart_needs_its_row_to_be_public(example_escalation: Escalation) -> None:
    escalation = _with_daily(example_escalation)
    daily = escalation.daily.model_copy(update={"evidence": "E6"})
    hidden = escalation.model_copy(update={"daily": daily})
    assert "xychart-beta" not in render_markdown(hidden, "public")
    assert "xychart-beta" in render_markdown(hidden)


def test_rows_say_when_they_were_collected_live(example_escalation: Escalation) -> None:
    evidence = list(example_escalation.evidence)
    evidence[0] = evidence[0].model_copy(
        update={"live": True, "collected_at": datetime(2026, 12, 3, 16, 41, tzinfo=UTC)}
    )
    text = render_markdown(example_escalation.model_copy(update={"evidence": evidence}))
    assert "**E1** (HogQL query, collected live at 2026-12-03 16:41 UTC)" in text
    assert "**E2** (HogQL query, 2026-11-20 12:00 UTC)" in text


def test_a_closed_escalation_says_so_instead_of_the_next_follow_ups(
    example_escalation: Escalation,
) -> None:
    plan = example_escalation.follow_up.model_copy(
        update={
            "closed_at": datetime(2026, 11, 25, 9, tzinfo=UTC),
            "closed_reason": "The problem stopped",
        }
    )
    text = render_markdown(example_escalation.model_copy(update={"follow_up": plan}))
    section = text.split("### Follow-up plan")[1].split("###")[0]
    assert "**Closed** 2026-11-25 09:00 UTC: The problem stopped" in section
    assert "next check" not in section


def test_no_workaround_reads_none_available(example_escalation: Escalation) -> None:
    assert "- **Workaround:** none available" in render_markdown(example_escalation)
    with_one = example_escalation.model_copy(
        update={
            "impact": example_escalation.impact.model_copy(update={"workaround": "pin 1.200.3"})
        }
    )
    assert "- **Workaround:** exists — pin 1.200.3" in render_markdown(with_one)


def test_no_known_issue_reads_no_match_found(example_escalation: Escalation) -> None:
    empty = example_escalation.model_copy(
        update={
            "known_issues": example_escalation.known_issues.model_copy(
                update={"matching_issues": [], "related_prs": []}
            )
        }
    )
    text = render_markdown(empty)
    assert "- **Matching issues:** no match found" in text
    assert "- **Related PRs:** none found" in text


def test_resolve_in_support_is_flagged_at_the_top(example_escalation: Escalation) -> None:
    flagged = example_escalation.model_copy(
        update={
            "recommendation": "resolve_in_support",
            "recommendation_reason": "the docs say masking is on by default",
        }
    )
    head = render_markdown(flagged).split("### Impact")[0]
    assert "Recommendation: resolve in support" in head
    assert "masking is on by default" in head


def test_pipes_in_findings_do_not_break_the_table(example_escalation: Escalation) -> None:
    evidence = [e.model_copy() for e in example_escalation.evidence]
    evidence[0] = evidence[0].model_copy(update={"finding": "a | b"})
    text = render_markdown(example_escalation.model_copy(update={"evidence": evidence}))
    row = next(line for line in text.splitlines() if line.startswith("| E1 |"))
    assert len(re.findall(r"(?<!\\)\|", row)) == 4


def test_public_flavour_replaces_other_organizations_named_in_evidence(
    example_escalation: Escalation, ticket_redactor: Redactor
) -> None:
    evidence = list(example_escalation.evidence)
    evidence[0] = evidence[0].model_copy(
        update={
            "public_finding": "Most affected: Umbrella Biotech (5 events) and umbrella-bio",
            "private_terms": ["Umbrella Biotech", "umbrella-bio"],
        }
    )
    escalation = example_escalation.model_copy(update={"evidence": evidence})
    public = render_markdown(escalation, "public", redactor=ticket_redactor)
    assert "Umbrella Biotech" not in public and "umbrella-bio" not in public
    assert "Umbrella Biotech" not in render_markdown(escalation, "public")


def test_public_flavour_keeps_queries_but_not_hogql_rows(example_escalation: Escalation) -> None:
    rows = example_escalation.evidence[0].result
    public = render_markdown(example_escalation, "public")
    assert rows.splitlines()[1] not in public
    assert example_escalation.evidence[0].query in public
    assert rows.splitlines()[1] in render_markdown(example_escalation)


def test_the_public_title_names_the_area_the_error_the_sdk_and_where(
    example_escalation: Escalation,
) -> None:
    title = public_title(example_escalation)
    assert title.startswith("Session replay: TypeError: undefined is not an object")
    assert "with posthog-js 1.201.0 on Safari 18" in title
    assert render_markdown(example_escalation, "public").startswith(f"## {title}\n")
