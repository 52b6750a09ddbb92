"""Labeled real reports: the file format, the fixed dev/holdout split, and tickets from them.

A labeled report is one public GitHub issue of a PostHog repository with what is known
about it: where it was filed, its product area, whether it turned out not to be a bug,
the docs page that answered it and the issue it duplicates. The accuracy suite
(:mod:`.accuracy`) runs the offline pipeline on each as if it were a support ticket whose
triage report says only "escalate to engineering".
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field

from ..errors import InputError
from ..loading import load_jsonl
from ..models import EscalationRequest, Model, Ticket, TriageDecision, TriageReport
from ..tools.issues.models import IssueRecord
from ..understanding.catalogue import default_catalogue

Split = Literal["dev", "holdout", "all"]
HOLDOUT_BUCKETS = 3
"""An id is in the holdout split when its hash falls in 3 of 10 buckets (about 30 %)."""


class LabeledReport(Model):
    """One real report and what its thread showed (see the corpus README for each field)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    id: str = Field(pattern=r"^[\w.-]+/[\w.-]+#\d+$", description="owner/repo#N")
    url: str = ""
    repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    title: str = Field(min_length=1)
    body: str = ""
    labels: list[str] = Field(default_factory=list)
    created: date | None = None
    state: Literal["open", "closed"] = "open"
    area: str
    area_source: Literal["label", "inferred"] | None = None
    sdk: str | None = None
    platform: str | None = None
    not_a_bug: bool | None = None
    docs_url: str | None = None
    duplicate_of: str | None = None

    @property
    def number(self) -> int:
        """The issue number."""
        return int(self.id.rsplit("#", 1)[1])

    @property
    def accepted_repos(self) -> frozenset[str]:
        """Repositories that count as the right affected repo for this report: where it
        was filed, and where that code lives now when it moved since (the SDK catalogue's
        ``moved`` entries; posthog-js-lite into posthog-js in mid-2025)."""
        moved = default_catalogue().successors(self.repo)
        return frozenset({self.repo} | moved)


def split_of(report_id: str) -> Literal["dev", "holdout"]:
    """The fixed split of a report: a hash of its id, about 70 % dev and 30 % holdout."""
    bucket = int(hashlib.sha256(report_id.encode("utf-8")).hexdigest(), 16) % 10
    return "holdout" if bucket < HOLDOUT_BUCKETS else "dev"


def load_reports(path: Path, split: Split = "all") -> list[LabeledReport]:
    """Read a labeled-report JSONL file, keeping the reports of ``split``.

    Raises:
        InputError: The file is missing, or a line is not valid JSON or not a report; the
            message names the file, the line and the field.
    """
    reports = [
        report
        for report in load_jsonl(
            path,
            LabeledReport,
            what="dataset",
            missing_hint="give a JSONL file of labeled reports",
            line_hint="each line needs id, repo, title and area",
        )
        if split == "all" or split_of(report.id) == split
    ]
    if not reports:
        raise InputError(f"{path}: no reports in the {split} split", "check the file and split")
    return reports


def report_request(report: LabeledReport) -> EscalationRequest:
    """The report as a support ticket whose triage says only "escalate to engineering".

    The ticket holds what the reporter wrote (title and body) and when; never the labels,
    area, repository or outcome, which are what the suite checks.
    """
    created = (
        datetime.combine(report.created, datetime.min.time(), tzinfo=UTC)
        if report.created
        else None
    )
    ticket = Ticket(id=report.id, subject=report.title, body=report.body, created_at=created)
    triage = TriageReport(decision=TriageDecision.ESCALATE_TO_ENGINEERING)
    return EscalationRequest(ticket=ticket, triage=triage)


def report_records(reports: list[LabeledReport]) -> list[IssueRecord]:
    """The reports as an issue snapshot, so known-issue search can find one report's
    original among the others; a report closed as a duplicate points to its original, as
    in a real snapshot."""
    records = []
    for report in reports:
        created = (
            datetime.combine(report.created, datetime.min.time(), tzinfo=UTC)
            if report.created
            else None
        )
        records.append(
            IssueRecord(
                repo=report.repo,
                number=report.number,
                title=report.title,
                body=report.body,
                state=report.state,
                labels=report.labels,
                created_at=created,
                state_reason="duplicate" if report.duplicate_of else None,
                duplicate_of=report.duplicate_of,
            )
        )
    return records
