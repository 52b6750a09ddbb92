"""The contracts: what goes in (Ticket, TriageReport), what is gathered (Evidence) and
what comes out (Escalation). Every boundary of the package validates with these."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EVIDENCE_ID = re.compile(r"^E[1-9]\d*$")
MAX_RAW_RESULT = 4000


class Model(BaseModel):
    """Base for every contract: unknown fields are errors, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Region(StrEnum):
    """Where the customer's PostHog lives."""

    US = "US"
    EU = "EU"
    SELF_HOSTED = "self-hosted"
    UNKNOWN = "unknown"

    @classmethod
    def _missing_(cls, value: object) -> Region | None:
        text = str(value).strip().lower().replace("_", "-").replace(" ", "-")
        aliases = {
            "us": cls.US,
            "us-cloud": cls.US,
            "cloud-us": cls.US,
            "eu": cls.EU,
            "eu-cloud": cls.EU,
            "cloud-eu": cls.EU,
            "self-hosted": cls.SELF_HOSTED,
            "selfhosted": cls.SELF_HOSTED,
            "hobby": cls.SELF_HOSTED,
            "unknown": cls.UNKNOWN,
        }
        return aliases.get(text)


class Severity(StrEnum):
    """The playbook's three levels, most urgent first."""

    CRITICAL = "Critical"
    HIGH = "High"
    MEDIUM = "Medium"

    @classmethod
    def _missing_(cls, value: object) -> Severity | None:
        text = str(value).strip().lower()
        return next((s for s in cls if s.value.lower() == text), None)

    @property
    def rank(self) -> int:
        """0 for Critical, 2 for Medium: lower is more urgent."""
        return list(Severity).index(self)


class TriageDecision(StrEnum):
    """What the triage step decided to do with the ticket."""

    ESCALATE_TO_ENGINEERING = "escalate_to_engineering"
    RESOLVE_IN_SUPPORT = "resolve_in_support"
    NEEDS_MORE_INFO = "needs_more_info"
    DUPLICATE = "duplicate"
    FEATURE_REQUEST = "feature_request"

    @classmethod
    def _missing_(cls, value: object) -> TriageDecision | None:
        text = re.sub(r"[\s\-]+", "_", str(value).strip().lower())
        return next((d for d in cls if d.value == text), None)


class Message(Model):
    """One message in the ticket thread."""

    author_role: Literal["customer", "support", "engineer", "bot"] = "customer"
    author_name: str | None = None
    time: datetime | None = None
    text: str


class Customer(Model):
    """The customer organization behind the ticket, as far as support knows it."""

    org_name: str | None = None
    org_id: str | None = None
    plan: str | None = None
    seats: int | None = Field(default=None, ge=0)
    arr: float | None = Field(default=None, ge=0, description="Annual recurring revenue, USD")
    mrr: float | None = Field(default=None, ge=0, description="Monthly recurring revenue, USD")
    region: Region = Region.UNKNOWN
    renewal_date: date | None = None
    contract_end: date | None = None
    contacts: list[str] = Field(default_factory=list, description="People's names on the ticket")
    project_id: str | None = None


class Ticket(Model):
    """A support ticket: what the customer wrote and who they are."""

    id: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    body: str = ""
    created_at: datetime | None = None
    messages: list[Message] = Field(default_factory=list)
    customer: Customer = Field(default_factory=Customer)
    links: list[str] = Field(default_factory=list)

    def full_text(self) -> str:
        """Subject, body and every message, as one text for extraction and search."""
        parts = [self.subject, self.body, *(m.text for m in self.messages)]
        return "\n\n".join(p for p in parts if p)


class TriageReport(Model):
    """The triage step's verdict on a ticket."""

    decision: TriageDecision
    product_area: str | None = None
    summary: str = ""
    findings: list[str] = Field(default_factory=list)
    suggested_severity: Severity | None = None
    sdk_hints: list[str] = Field(default_factory=list)
    platform_hints: list[str] = Field(default_factory=list)

    @property
    def escalates(self) -> bool:
        """True when the triage decision is to escalate to engineering."""
        return self.decision is TriageDecision.ESCALATE_TO_ENGINEERING


class EscalationRequest(Model):
    """The input file of ``run``: a ticket and, optionally, its triage report."""

    ticket: Ticket
    triage: TriageReport | None = None


class SourceKind(StrEnum):
    """Where a piece of evidence came from."""

    HOGQL = "hogql"
    DOCS = "docs"
    GITHUB = "github"
    CODEBASE = "codebase"
    TICKET = "ticket"
    INCIDENT = "incident"

    @property
    def label(self) -> str:
        """How the template's evidence table names this source."""
        return {
            "hogql": "HogQL query",
            "docs": "docs-search",
            "github": "GitHub issue search",
            "codebase": "Codebase context",
            "ticket": "Ticket",
            "incident": "PostHog status",
        }[self.value]


class Evidence(Model):
    """One gathered fact, with the exact query behind it.

    Attributes:
        id: Stable id the escalation cites (``E1``, ``E2``, ...).
        source: Which kind of source produced it.
        query: The exact HogQL, search terms or reference used.
        result: The raw result, bounded to a few thousand characters.
        finding: One line saying what the result shows.
        collected_at: When it was gathered.
        status: ``ok``, or ``failed``/``timeout`` when the source did not answer.
        url: A link to the source when there is one (a docs section, an issue).
        figures: Named numbers taken from the result (e.g. ``affected_orgs``).
        private_terms: Identifying names and keys in this item (other customers'
            organizations, people) that the public flavour must replace.
        public_finding: The finding as written for a public issue (no names, no business
            data, no ticket text), or None when the row has nothing public: only rows
            with one appear in the public flavour.
        live: True when a real backend answered at ``collected_at`` (wall-clock time);
            False when the row was read on the escalation's own clock (an embedded world,
            a snapshot, the ticket).
    """

    id: str
    source: SourceKind
    query: str
    result: str = ""
    finding: str
    collected_at: datetime
    status: Literal["ok", "failed", "timeout"] = "ok"
    url: str | None = None
    figures: dict[str, float] = Field(default_factory=dict)
    private_terms: list[str] = Field(
        default_factory=list,
        description="Names and keys of organizations or people in this item, replaced in the "
        "public flavour",
    )
    public_finding: str | None = Field(
        default=None,
        description="The finding written for a public issue; None keeps the row internal",
    )
    live: bool = Field(
        default=False,
        description="A real backend answered at collected_at (wall clock), not the "
        "escalation's clock",
    )

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not EVIDENCE_ID.match(value):
            raise ValueError("evidence id must look like E1, E2, ...")
        return value

    @field_validator("result")
    @classmethod
    def _bounded(cls, value: str) -> str:
        if len(value) > MAX_RAW_RESULT:
            cut = len(value) - MAX_RAW_RESULT
            return value[:MAX_RAW_RESULT] + f"\n… [{cut} more characters cut]"
        return value

    @field_validator("finding", "public_finding")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        return " ".join(value.split()) if value is not None else None


class BlastRadius(StrEnum):
    """How far the problem reaches."""

    SINGLE_USER = "single user"
    ORG_WIDE = "org-wide"
    MULTIPLE_ORGS = "multiple orgs"
    SYSTEMIC = "systemic"


class Impact(Model):
    """Who is hurt and how badly."""

    who: str
    cannot_do: str = Field(description="The blocked workflow")
    blast_radius: BlastRadius
    workaround: str | None = Field(
        default=None, description="The workaround, or None when none is available"
    )
    evidence: list[str] = Field(default_factory=list, description="Cited evidence ids")


class Depth(StrEnum):
    """How hard the customer is hit."""

    INCONVENIENCED = "inconvenienced"
    DEGRADED = "degraded"
    BLOCKED = "blocked"


class Assessment(Model):
    """The facts the severity rubric is applied to, as the drafter established them.

    Attributes:
        depth: ``inconvenienced`` (a workaround exists), ``degraded`` (part of a workflow
            is broken with no workaround, the rest works) or ``blocked`` (no way forward).
        data_exposure: Customer data or personal information is visible to people who
            should not see it.
        data_loss: Customer data is lost or corrupted with no way to recover it.
        security: A security vulnerability is involved.
        revenue_at_risk: An enterprise account, a renewal or a contract is at risk.
        affected_orgs: How many organizations the data shows affected, when known.
    """

    depth: Depth
    data_exposure: bool = False
    data_loss: bool = False
    security: bool = False
    revenue_at_risk: bool = False
    affected_orgs: int | None = Field(default=None, ge=0)


class Dimension(Model):
    """One of the five quantification dimensions: a statement and its evidence."""

    statement: str
    evidence: list[str] = Field(default_factory=list, description="Cited evidence ids")


class Dimensions(Model):
    """The five things to quantify before escalating."""

    breadth: Dimension
    depth: Dimension
    duration: Dimension
    revenue_signal: Dimension
    data_risk: Dimension

    def items(self) -> list[tuple[str, Dimension]]:
        """(name, dimension) pairs in template order."""
        return [(name, getattr(self, name)) for name in DIMENSION_NAMES]


DIMENSION_NAMES = ("breadth", "depth", "duration", "revenue_signal", "data_risk")


class SdkVersion(Model):
    """An SDK package and the version (or range) in use."""

    name: str
    version: str | None = None

    def __str__(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name


class Environment(Model):
    """Where the problem happens.

    ``platform`` is the kind of app (web, ios, android, backend, ...); the operating
    systems, browsers, frameworks and runtimes are listed apart when known.
    """

    sdks: list[SdkVersion] = Field(default_factory=list)
    platform: str = "unknown"
    os: list[str] = Field(default_factory=list, description="Operating systems, e.g. iOS 18")
    browsers: list[str] = Field(default_factory=list, description="Browsers, e.g. Safari 18.1")
    frameworks: list[str] = Field(default_factory=list, description="e.g. Next.js, Django")
    runtimes: list[str] = Field(default_factory=list, description="e.g. Node 20, Python 3.12")
    region: Region = Region.UNKNOWN


class Reproducibility(StrEnum):
    """How reliably the problem shows."""

    ALWAYS = "always"
    INTERMITTENT = "intermittent"
    SPECIFIC_CONDITIONS = "specific conditions"
    UNKNOWN = "unknown"


class Reproduction(Model):
    """How an engineer makes it happen."""

    environment: Environment = Field(default_factory=Environment)
    steps: list[str] = Field(default_factory=list)
    expected: str = ""
    actual: str = ""
    reproducibility: Reproducibility = Reproducibility.UNKNOWN
    conditions: str | None = Field(default=None, description="The specific conditions, if any")
    missing: list[str] = Field(
        default_factory=list, description="Facts still missing, to ask the customer for"
    )
    error: str | None = Field(default=None, description="The error as it shows, verbatim")
    works_on: str | None = Field(
        default=None, description="The last version that worked, e.g. posthog-js 1.200.3"
    )
    symptoms: list[str] = Field(
        default_factory=list, description="What is seen, in the playbook's words: blank, crash"
    )


class IssueRef(Model):
    """A GitHub issue or PR found while checking for known issues."""

    repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    number: int = Field(gt=0)
    title: str = ""
    url: str = ""
    state: Literal["open", "closed"] = "open"
    kind: Literal["issue", "pr"] = "issue"
    confidence: float | None = Field(default=None, ge=0, le=1)
    reasons: list[str] = Field(default_factory=list)
    evidence: str | None = Field(default=None, description="The evidence id it came from")

    @property
    def key(self) -> str:
        """``owner/name#number``."""
        return f"{self.repo}#{self.number}"

    @model_validator(mode="after")
    def _default_url(self) -> IssueRef:
        if not self.url:
            segment = "pull" if self.kind == "pr" else "issues"
            self.url = f"https://github.com/{self.repo}/{segment}/{self.number}"
        return self


class KnownIssueMatch(Model):
    """What the known-issue search found."""

    search_terms: list[str] = Field(default_factory=list)
    matching_issues: list[IssueRef] = Field(default_factory=list)
    related_prs: list[IssueRef] = Field(default_factory=list)


class AskKind(StrEnum):
    """The kinds of ask the receiving team can act on."""

    INVESTIGATE_ROOT_CAUSE = "investigate root cause"
    CONFIRM_REGRESSION = "confirm regression"
    PRIORITIZE_FIX = "prioritize fix"
    PROVIDE_WORKAROUND = "provide workaround guidance"
    DECIDE = "decide"
    CONFIRM_EXPECTED_BEHAVIOUR = "confirm expected behaviour"


class Ask(Model):
    """One specific thing engineering is asked to do."""

    kind: AskKind
    detail: str

    def __str__(self) -> str:
        return f"{self.kind.value.capitalize()}: {self.detail}"


ChurnRisk = Literal["low", "medium", "high"]


class CustomerCommunication(Model):
    """What the customer has been told and expects."""

    knows: str
    expects: str
    churn_risk: ChurnRisk
    churn_reason: str = ""


class Routing(Model):
    """Which team receives it, where, and the context that team needs."""

    route: str = Field(description="Playbook route key, e.g. session_replay")
    team: str
    channel: str = Field(description="Where it goes: a GitHub repo, a channel, a pager")
    labels: list[str] = Field(default_factory=list)
    context: list[str] = Field(
        default_factory=list, description="The PostHog context this team needs, as provided"
    )


class Cadence(Model):
    """A follow-up interval such as 'every 2-4 hours' or 'every 2-3 business days'."""

    low: int = Field(gt=0)
    high: int = Field(gt=0)
    unit: Literal["hours", "business_days"] = "hours"

    @model_validator(mode="after")
    def _ordered(self) -> Cadence:
        if self.high < self.low:
            raise ValueError("high must be at least low")
        return self

    def __str__(self) -> str:
        unit = "hours" if self.unit == "hours" else "business days"
        if self.unit == "hours" and self.low == self.high == 24:
            return "daily"
        if self.low == self.high:
            return f"every {self.low} {unit}"
        return f"every {self.low}-{self.high} {unit}"


class FollowUpPlan(Model):
    """When the team and the customer next hear about it (nothing more once closed)."""

    team_cadence: Cadence
    customer_cadence: Cadence
    next_team_check: datetime
    next_customer_update: datetime
    closed_at: datetime | None = None
    closed_reason: str = ""


class DailyCounts(Model):
    """The daily counts behind the trend, from before the problem started, for a chart.

    Attributes:
        evidence: The evidence id the counts come from.
        what: What is counted, e.g. ``events matching the error``.
        days: UTC days, oldest first, without gaps.
        counts: The count of each day (0 on days without any).
        start: The first bad day, marked on the chart.
        start_label: What marks it, e.g. ``first seen`` or ``posthog-js 1.201.0``.
        trend: The trend in words, by the stated test.
    """

    evidence: str
    what: str
    days: list[date]
    counts: list[int]
    start: date | None = None
    start_label: str = "first seen"
    trend: str = ""

    @model_validator(mode="after")
    def _aligned(self) -> DailyCounts:
        if len(self.days) != len(self.counts):
            raise ValueError("days and counts must have the same length")
        return self


Recommendation = Literal["escalate", "resolve_in_support"]


class Escalation(Model):
    """A finished escalation: every section of the template as typed fields."""

    ticket_id: str
    summary: str = Field(description="One line naming the bug and where it happens")
    severity: Severity
    severity_rationale: str = ""
    product_area: str
    affected_repo: str
    date: date
    created_at: datetime
    recommendation: Recommendation = "escalate"
    recommendation_reason: str = ""
    impact: Impact
    assessment: Assessment
    dimensions: Dimensions
    evidence: list[Evidence] = Field(default_factory=list)
    reproduction: Reproduction
    known_issues: KnownIssueMatch = Field(default_factory=KnownIssueMatch)
    asks: list[Ask] = Field(default_factory=list)
    communication: CustomerCommunication
    routing: Routing
    follow_up: FollowUpPlan
    close_criteria: list[str] = Field(default_factory=list)
    daily: DailyCounts | None = Field(
        default=None, description="The daily counts since before the start, for the chart"
    )

    def evidence_by_id(self) -> dict[str, Evidence]:
        """Evidence items keyed by id."""
        return {e.id: e for e in self.evidence}


class Refusal(Model):
    """What drafting returns when the triage decision is not to escalate."""

    ticket_id: str
    decision: TriageDecision
    reason: str


SCHEMAS: dict[str, type[BaseModel]] = {
    "escalation": Escalation,
    "ticket": Ticket,
    "triage": TriageReport,
    "request": EscalationRequest,
    "evidence": Evidence,
}
