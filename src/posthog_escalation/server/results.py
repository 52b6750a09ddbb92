"""The structured output of the MCP server's tools (each tool's output schema)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..followups import Followup
from ..lint import Finding
from ..models import Escalation, KnownIssueMatch, Refusal
from ..tools.docs import DocHit
from ..tools.hogql import (
    DayCount,
    EnvironmentShare,
    OrgImpact,
    OrgSessionShare,
    QueryTiming,
    VersionShare,
)
from ..tools.issues import IssueHit, KnownIssueCandidate


class HogQLQueryResult(BaseModel):
    """A HogQL answer in PostHog's response shape, bounded, with its evidence id."""

    evidence_id: str
    backend: str
    hogql: str
    columns: list[str]
    types: list[Any]
    results: list[list[Any]]
    hasMore: bool
    limit: int | None
    offset: int | None
    clickhouse: str | None = None
    timings: list[QueryTiming] = Field(default_factory=list)
    next_offset: int | None = None
    cells_cut: int = 0
    notes: list[str] = Field(default_factory=list)


class ImpactResult(BaseModel):
    """The standard quantification of a signature, each figure traceable to its HogQL."""

    evidence_id: str
    backend: str
    signature: str
    since: datetime
    until: datetime
    affected_events: int
    affected_orgs: int
    affected_persons: int
    affected_sessions: int
    first_seen: datetime | None
    last_seen: datetime | None
    growing: bool
    growth_ratio: float | None
    starts_in_version: str | None
    session_share: float | None
    top_orgs: list[OrgImpact]
    events_per_day: list[DayCount]
    versions: list[VersionShare]
    environments: list[EnvironmentShare]
    org_sessions: list[OrgSessionShare]
    queries: dict[str, str] = Field(description="HogQL by query name.")
    figure_queries: dict[str, str] = Field(description="Query name by figure.")
    left_out: dict[str, int] = Field(default_factory=dict)
    errors: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class DocsSearchResult(BaseModel):
    """Ranked docs sections for a query."""

    evidence_id: str
    query: str
    area: str | None
    hits: list[DocHit]
    offset: int
    next_offset: int | None = None


class IssueSearchToolResult(BaseModel):
    """GitHub issues matching a search, with the exact search strings sent."""

    evidence_id: str
    backend: str
    queries: list[str]
    total_count: int
    incomplete: bool
    hits: list[IssueHit]
    notes: list[str] = Field(default_factory=list)


class KnownIssuesResult(BaseModel):
    """Ranked duplicate candidates for a ticket."""

    evidence_id: str
    backend: str
    route: str | None
    repos: list[str]
    search_terms: list[str]
    candidates: list[KnownIssueCandidate]
    related_prs: list[IssueHit]
    known_issues: KnownIssueMatch
    errors: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class LintResult(BaseModel):
    """The quality gate's verdict on a draft."""

    ok: bool
    errors: int
    warnings: int
    required_severity: str
    findings: list[Finding]


class RenderResult(BaseModel):
    """A part of the rendered escalation (the whole of it unless ``next_offset`` is set)."""

    flavour: Literal["internal", "public"]
    markdown: str
    offset: int
    total_chars: int
    next_offset: int | None = None


class FollowupsResult(BaseModel):
    """Follow-ups of open escalations, soonest first."""

    now: datetime
    total: int
    followups: list[Followup]
    offset: int
    next_offset: int | None = None


class RecordResult(BaseModel):
    """What recording a follow-up, close or downgrade changed."""

    escalation_id: str
    action: Literal["update", "close", "downgrade"]
    status: str
    severity: str
    next_team_check: datetime | None
    next_customer_update: datetime | None
    criterion: str | None = None
    closing_steps: list[str] = Field(default_factory=list)


class FilingToolResult(BaseModel):
    """A filing dry run (``sent`` false) or what filing did."""

    escalation_id: str
    sent: bool
    outcome: Literal["dry_run", "created", "found_existing", "already_filed", "refused"]
    repo: str
    endpoint: str
    title: str
    labels: list[str]
    body: str = Field(description="The redacted body, or a part of it.")
    body_chars: int
    body_offset: int = 0
    body_next_offset: int | None = None
    private_channel: str | None = None
    blockers: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    issue_url: str | None = None
    issue_number: int | None = None
    warning: str | None = None


class DraftToolResult(BaseModel):
    """What ``draft_escalation`` produced: a gated escalation, stored when it passed."""

    outcome: Literal["stored", "not_stored", "refused"]
    escalation_id: str | None
    revision: int | None = None
    drafter: Literal["offline", "llm"]
    passed_gate: bool
    escalation: Escalation | None
    findings: list[Finding]
    refusal: Refusal | None
    notes: list[str] = Field(default_factory=list)


class SaveToolResult(BaseModel):
    """What ``save_escalation`` did."""

    escalation_id: str
    created: bool
    revision: int
    status: str
    warnings: list[Finding]
    next_team_check: datetime | None
    next_customer_update: datetime | None
