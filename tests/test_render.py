"""The renderer reproduces the template in both flavours (golden files pin the output).

Regenerate the golden files after an intended change with
``UPDATE_GOLDEN=1 pytest tests/test_render.py`` and review the diff.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from posthog_escalation.loading import load_model
from posthog_escalation.models import Escalation, EscalationRequest
from posthog_escalation.redact import Redactor
from posthog_escalation.render import EXTRA_HEADINGS, TEMPLATE_HEADINGS, render_markdown

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
    for secret in ("Northwind Health", "evaluating alternatives", "renewal in 25 days"):
        assert secret not in text
    assert "[org-1]" in text
    assert "1.201.0" in text
    assert "adoptedStyleSheets" in text


def test_public_flavour_without_a_ticket_still_removes_emails_and_keys(
    example_escalation: Escalation,
) -> None:
    leaky = example_escalation.model_copy(
        update={"summary": "Replay blank for jo@acme.example with key phc_abcdefghijklmnop123"}
    )
    text = render_markdown(leaky, "public")
    assert "jo@acme.example" not in text
    assert "phc_abcdefghijklmnop123" not in text
    assert "jo@acme.example" in render_markdown(leaky, "internal")


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
            "finding": "Most affected: Umbrella Biotech (enterprise) and umbrella-bio",
            "private_terms": ["Umbrella Biotech", "umbrella-bio"],
        }
    )
    escalation = example_escalation.model_copy(update={"evidence": evidence})
    public = render_markdown(escalation, "public", redactor=ticket_redactor)
    assert "Umbrella Biotech" not in public and "umbrella-bio" not in public
    assert "Umbrella Biotech" in render_markdown(escalation)
    assert "Umbrella Biotech" not in render_markdown(escalation, "public")


def test_public_flavour_keeps_queries_but_not_hogql_rows(example_escalation: Escalation) -> None:
    rows = example_escalation.evidence[0].result
    public = render_markdown(example_escalation, "public")
    assert rows.splitlines()[1] not in public
    assert example_escalation.evidence[0].query in public
    assert rows.splitlines()[1] in render_markdown(example_escalation)
