"""The contracts: what goes in (Ticket, TriageReport), what is gathered (Evidence) and
what comes out (Escalation). Every boundary of the package validates with these."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

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

    author_role: Literal["customer", "support", "engineer", "bot"] = Field(
        default="customer", description="Who wrote it: the customer, support, an engineer or a bot."
    )
    author_name: str | None = Field(default=None, description="The author's name, if known.")
    time: datetime | None = Field(default=None, description="When it was written (ISO 8601).")
    text: str = Field(description="What the message says.")


class Customer(Model):
    """The customer organization behind the ticket, as far as support knows it."""

    org_name: str | None = Field(default=None, description="The organization's name.")
    org_id: str | None = Field(
        default=None, description="The organization's id in PostHog (the $group_0 key), if known."
    )
    plan: str | None = Field(
        default=None, description="The PostHog plan, e.g. enterprise, scale, free."
    )
    seats: int | None = Field(default=None, ge=0, description="Paid seats.")
    arr: float | None = Field(default=None, ge=0, description="Annual recurring revenue, USD")
    mrr: float | None = Field(default=None, ge=0, description="Monthly recurring revenue, USD")
    region: Region = Field(
        default=Region.UNKNOWN,
        description="Where their PostHog lives: US, EU, self-hosted or unknown.",
    )
    renewal_date: date | None = Field(
        default=None, description="When the contract renews (YYYY-MM-DD)."
    )
    contract_end: date | None = Field(
        default=None, description="When the contract ends (YYYY-MM-DD)."
    )
    contacts: list[str] = Field(default_factory=list, description="People's names on the ticket")
    project_id: str | None = Field(
        default=None, description="The PostHog project id (the number in the project's URL)."
    )


class Ticket(Model):
    """A support ticket: what the customer wrote and who they are."""

    id: str = Field(min_length=1, description="The ticket's id in the support tool, e.g. ZD-48213.")
    subject: str = Field(min_length=1, description="The ticket's subject line.")
    body: str = Field(default="", description="The customer's first message.")
    created_at: datetime | None = Field(
        default=None, description="When the ticket was opened (ISO 8601)."
    )
    messages: list[Message] = Field(
        default_factory=list, description="The rest of the thread, oldest first."
    )
    customer: Customer = Field(
        default_factory=Customer,
        description="Who the customer is: organization, plan, revenue, region.",
    )
    links: list[str] = Field(
        default_factory=list,
        description="URLs attached to the ticket (recordings, insights, issues).",
    )

    def full_text(self) -> str:
        """Subject, body and every message, as one text for extraction and search."""
        parts = [self.subject, self.body, *(m.text for m in self.messages)]
        return "\n\n".join(p for p in parts if p)


class TriageReport(Model):
    """The triage step's verdict on a ticket."""

    decision: TriageDecision = Field(
        description="What triage decided; only escalate_to_engineering is escalated."
    )
    product_area: str | None = Field(
        default=None, description="The product area, e.g. session replay, feature flags."
    )
    summary: str = Field(default="", description="Triage's one-paragraph summary.")
    findings: list[str] = Field(
        default_factory=list, description="What triage established, one fact per item."
    )
    suggested_severity: Severity | None = Field(
        default=None, description="Triage's severity guess (the rubric decides)."
    )
    sdk_hints: list[str] = Field(
        default_factory=list, description="SDKs and versions triage saw, e.g. posthog-js 1.201.0."
    )
    platform_hints: list[str] = Field(
        default_factory=list, description="Platforms triage saw, e.g. Safari 17, iOS."
    )

    @property
    def escalates(self) -> bool:
        """True when the triage decision is to escalate to engineering."""
        return self.decision is TriageDecision.ESCALATE_TO_ENGINEERING


class EscalationRequest(Model):
    """The input file of ``run``: a ticket and, optionally, its triage report."""

    ticket: Ticket = Field(description="The support ticket to escalate.")
    triage: TriageReport | None = Field(
        default=None, description="The triage report, if there is one."
    )


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
    """One gathered fact, with the exact query behind it."""

    id: str = Field(description="The id the escalation cites: E1, E2, ...")
    source: SourceKind = Field(description="Which kind of source produced it.")
    query: str = Field(description="The exact HogQL, search terms or reference used.")
    result: str = Field(default="", description="The raw result, cut to a few thousand characters.")
    finding: str = Field(description="One line saying what the result shows.")
    collected_at: datetime = Field(description="When it was gathered (ISO 8601).")
    status: Literal["ok", "failed", "timeout"] = Field(
        default="ok", description="ok, or failed/timeout when the source did not answer."
    )
    url: str | None = Field(
        default=None, description="A link to the source (a docs section, an issue), if any."
    )
    figures: dict[str, float] = Field(
        default_factory=dict, description="Named numbers taken from the result, e.g. affected_orgs."
    )
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

    who: str = Field(
        description="Who is affected, quantified: organizations, users, share of traffic."
    )
    cannot_do: str = Field(description="The blocked workflow")
    blast_radius: BlastRadius = Field(
        description="How far it reaches: single user, org-wide, multiple orgs, systemic."
    )
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
    """The facts the severity rubric is applied to, as the drafter established them."""

    depth: Depth = Field(
        description="inconvenienced (a workaround exists), degraded (part of a workflow is "
        "broken with no workaround, the rest works) or blocked (no way forward).",
    )
    data_exposure: bool = Field(
        default=False,
        description="Customer data or personal information is visible to people who should "
        "not see it.",
    )
    data_loss: bool = Field(
        default=False, description="Customer data is lost or corrupted with no way to recover it."
    )
    security: bool = Field(default=False, description="A security vulnerability is involved.")
    revenue_at_risk: bool = Field(
        default=False, description="An enterprise account, a renewal or a contract is at risk."
    )
    affected_orgs: int | None = Field(
        default=None, ge=0, description="How many organizations the data shows affected, if known."
    )


class Dimension(Model):
    """One of the five quantification dimensions: a statement and its evidence."""

    statement: str = Field(
        description="What the data shows, with its numbers cited inline as [E1]."
    )
    evidence: list[str] = Field(default_factory=list, description="Cited evidence ids")


class Dimensions(Model):
    """The five things to quantify before escalating."""

    breadth: Dimension = Field(description="How many organizations and users are affected.")
    depth: Dimension = Field(description="How badly: blocked, degraded or inconvenienced, and why.")
    duration: Dimension = Field(description="Since when, and whether it is growing.")
    revenue_signal: Dimension = Field(
        description="Plan, ARR, renewal and churn risk of the affected customers."
    )
    data_risk: Dimension = Field(description="Whether data is lost, corrupted or exposed.")

    def items(self) -> list[tuple[str, Dimension]]:
        """(name, dimension) pairs in template order."""
        return [(name, getattr(self, name)) for name in DIMENSION_NAMES]


DIMENSION_NAMES = ("breadth", "depth", "duration", "revenue_signal", "data_risk")


class SdkVersion(Model):
    """An SDK package and the version (or range) in use."""

    name: str = Field(description="The SDK package, e.g. posthog-js.")
    version: str | None = Field(
        default=None, description="The version or range in use, e.g. 1.201.0."
    )

    def __str__(self) -> str:
        return f"{self.name} {self.version}" if self.version else self.name


class Environment(Model):
    """Where the problem happens.

    ``platform`` is the kind of app (web, ios, android, backend, ...); the operating
    systems, browsers, frameworks and runtimes are listed apart when known.
    """

    sdks: list[SdkVersion] = Field(
        default_factory=list, description="The SDKs and versions involved."
    )
    platform: str = Field(
        default="unknown", description="The kind of app: web, ios, android, backend, ..."
    )
    os: list[str] = Field(default_factory=list, description="Operating systems, e.g. iOS 18")
    browsers: list[str] = Field(default_factory=list, description="Browsers, e.g. Safari 18.1")
    frameworks: list[str] = Field(default_factory=list, description="e.g. Next.js, Django")
    runtimes: list[str] = Field(default_factory=list, description="e.g. Node 20, Python 3.12")
    region: Region = Field(default=Region.UNKNOWN, description="US, EU, self-hosted or unknown.")


class Reproducibility(StrEnum):
    """How reliably the problem shows."""

    ALWAYS = "always"
    INTERMITTENT = "intermittent"
    SPECIFIC_CONDITIONS = "specific conditions"
    UNKNOWN = "unknown"


class Reproduction(Model):
    """How an engineer makes it happen."""

    environment: Environment = Field(
        default_factory=Environment, description="Where it happens: SDKs, platform, region."
    )
    steps: list[str] = Field(
        default_factory=list, description="The steps, as specific as possible."
    )
    expected: str = Field(default="", description="What should happen (cite the docs).")
    actual: str = Field(default="", description="What happens instead.")
    reproducibility: Reproducibility = Field(
        default=Reproducibility.UNKNOWN,
        description="always, intermittent, specific conditions or unknown.",
    )
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

    repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$", description="The repository as owner/name.")
    number: int = Field(gt=0, description="The issue or PR number.")
    title: str = Field(default="", description="Its title.")
    url: str = Field(default="", description="Its URL (derived from repo and number when empty).")
    state: Literal["open", "closed"] = Field(default="open", description="open or closed.")
    kind: Literal["issue", "pr"] = Field(default="issue", description="issue or pr.")
    confidence: float | None = Field(
        default=None, ge=0, le=1, description="How likely it is the same problem, 0 to 1."
    )
    reasons: list[str] = Field(default_factory=list, description="Why it matches.")
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

    search_terms: list[str] = Field(default_factory=list, description="The exact searches sent.")
    matching_issues: list[IssueRef] = Field(
        default_factory=list, description="Issues that describe the same problem."
    )
    related_prs: list[IssueRef] = Field(
        default_factory=list, description="Pull requests that fix or touch it."
    )


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

    kind: AskKind = Field(description="What kind of action is asked.")
    detail: str = Field(description="Exactly what, specific to this problem.")

    def __str__(self) -> str:
        return f"{self.kind.value.capitalize()}: {self.detail}"


ChurnRisk = Literal["low", "medium", "high"]


class CustomerCommunication(Model):
    """What the customer has been told and expects."""

    knows: str = Field(description="What the customer has been told so far.")
    expects: str = Field(description="What they expect next, and when.")
    churn_risk: ChurnRisk = Field(description="low, medium or high, from the ticket's signals.")
    churn_reason: str = Field(default="", description="The signals behind the churn risk.")


class Routing(Model):
    """Which team receives it, where, and the context that team needs."""

    route: str = Field(description="Playbook route key, e.g. session_replay")
    team: str = Field(description="The owning team.")
    channel: str = Field(description="Where it goes: a GitHub repo, a channel, a pager")
    labels: list[str] = Field(default_factory=list, description="The labels the issue gets.")
    context: list[str] = Field(
        default_factory=list, description="The PostHog context this team needs, as provided"
    )


class Cadence(Model):
    """A follow-up interval such as 'every 2-4 hours' or 'every 2-3 business days'."""

    low: int = Field(gt=0, description="The shortest interval.")
    high: int = Field(gt=0, description="The longest interval.")
    unit: Literal["hours", "business_days"] = Field(
        default="hours", description="hours or business_days."
    )

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

    team_cadence: Cadence = Field(description="How often to check with the team.")
    customer_cadence: Cadence = Field(description="How often to update the customer.")
    next_team_check: datetime = Field(description="When to check with the team next (ISO 8601).")
    next_customer_update: datetime = Field(
        description="When to update the customer next (ISO 8601)."
    )
    closed_at: datetime | None = Field(default=None, description="When it was closed, if it was.")
    closed_reason: str = Field(default="", description="Why it was closed.")


class DailyCounts(Model):
    """The daily counts behind the trend, from before the problem started, for a chart."""

    evidence: str = Field(description="The evidence id the counts come from.")
    what: str = Field(description="What is counted, e.g. events matching the error.")
    days: list[date] = Field(description="UTC days, oldest first, without gaps.")
    counts: list[int] = Field(description="The count of each day (0 on days without any).")
    start: date | None = Field(default=None, description="The first bad day, marked on the chart.")
    start_label: str = Field(
        default="first seen", description="What marks the start, e.g. posthog-js 1.201.0."
    )
    trend: str = Field(default="", description="The trend in words, by the stated test.")

    @model_validator(mode="after")
    def _aligned(self) -> DailyCounts:
        if len(self.days) != len(self.counts):
            raise ValueError("days and counts must have the same length")
        return self


Recommendation = Literal["escalate", "resolve_in_support"]


class Escalation(Model):
    """A finished escalation: every section of the template as typed fields."""

    ticket_id: str = Field(description="The support ticket's id.")
    summary: str = Field(description="One line naming the bug and where it happens")
    severity: Severity = Field(description="Critical, High or Medium, as the rubric requires.")
    severity_rationale: str = Field(
        default="", description="Why this severity, naming the rubric's criterion."
    )
    product_area: str = Field(description="The product area, from the playbook's routes.")
    affected_repo: str = Field(
        description="The repository where the bug lives, e.g. PostHog/posthog-js."
    )
    date: Annotated[date, Field(description="The escalation's date (YYYY-MM-DD).")]
    created_at: datetime = Field(description="When it was drafted (ISO 8601).")
    recommendation: Recommendation = Field(
        default="escalate",
        description="escalate, or resolve_in_support when docs show configuration.",
    )
    recommendation_reason: str = Field(
        default="", description="Why, when the recommendation is resolve_in_support."
    )
    impact: Impact = Field(
        description="The Impact section: who is hurt, what they cannot do, how far it reaches."
    )
    assessment: Assessment = Field(
        description="The facts the severity rubric is applied to: depth, data risk, revenue."
    )
    dimensions: Dimensions = Field(description="The five quantified dimensions.")
    evidence: list[Evidence] = Field(
        default_factory=list, description="The numbered evidence every claim cites."
    )
    reproduction: Reproduction = Field(
        description="The steps, environment and expected/actual behaviour for an engineer."
    )
    known_issues: KnownIssueMatch = Field(
        default_factory=KnownIssueMatch,
        description="Matching GitHub issues and PRs, with the searches sent.",
    )
    asks: list[Ask] = Field(default_factory=list, description="What engineering is asked to do.")
    communication: CustomerCommunication = Field(description="What the customer knows and expects.")
    routing: Routing = Field(description="Which team gets it, where, and the context it needs.")
    follow_up: FollowUpPlan = Field(
        description="The cadences and the next team check and customer update."
    )
    close_criteria: list[str] = Field(
        default_factory=list, description="When this escalation can be closed."
    )
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
