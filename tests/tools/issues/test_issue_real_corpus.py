"""Against the real issue corpus (test data outside the project).

Every test here SKIPS when /work/shared/corpora/posthog-issues is absent (CI clones only
the project). The corpus is read in place; none of its text is copied.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from posthog_escalation.evals.dataset import LabeledReport, report_records
from posthog_escalation.models import Ticket
from posthog_escalation.playbook import default_playbook
from posthog_escalation.tools.issues import LocalIssues, find_known_issues
from posthog_escalation.understanding import extract_signals

CORPUS = Path("/work/shared/corpora/posthog-issues/issues.jsonl")
pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(not CORPUS.is_file(), reason=f"real issue corpus absent ({CORPUS})"),
]


@pytest.fixture(scope="module")
def rows() -> dict[str, dict]:
    return {
        (row := json.loads(line))["id"]: row
        for line in CORPUS.read_text(encoding="utf-8").splitlines()
    }


@pytest.fixture(scope="module")
def corpus(rows: dict[str, dict]) -> LocalIssues:
    reports = [LabeledReport.model_validate(row) for row in rows.values()]
    return LocalIssues(records=report_records(reports))


def as_ticket(row: dict) -> Ticket:
    created = datetime.fromisoformat(row["created"]).replace(tzinfo=UTC)
    return Ticket(id=row["id"], subject=row["title"], body=row["body"], created_at=created)


@pytest.mark.parametrize(
    ("ticket_id", "wanted"),
    [
        ("PostHog/posthog#19944", "PostHog/posthog-js-lite#164"),  # same report, two repos
        ("PostHog/posthog-js-lite#164", "PostHog/posthog#19944"),
        ("PostHog/posthog#1958", "PostHog/posthog#1959"),  # closed as its duplicate
    ],
)
async def test_a_real_report_lists_its_known_twin_and_never_itself(
    rows: dict[str, dict], corpus: LocalIssues, ticket_id: str, wanted: str
) -> None:
    ticket = as_ticket(rows[ticket_id])
    found = await find_known_issues(
        extract_signals(ticket), corpus, default_playbook(), now=ticket.created_at
    )
    keys = [c.key for c in found.candidates]
    assert ticket_id not in keys
    assert wanted in [c.key for c in found.listed]
