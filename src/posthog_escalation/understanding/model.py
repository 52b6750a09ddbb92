"""What the understanding layer reads from a ticket: the :class:`Signals` model and its parts.

Lists keep the order of first appearance; empty means "not mentioned". Every field is
filled by a small extraction function in this package; :func:`.extraction.extract_signals`
wires them together.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import date
from typing import Literal

from pydantic import Field

from ..models import Model, Region, SdkVersion

_EXACT = re.compile(r"^v?(\d+(?:\.\d+){1,3}(?:-[0-9A-Za-z.]+)?)$")


class SdkMention(Model):
    """One SDK package named in the ticket, with the version as written.

    Attributes:
        package: Canonical package name (a key of the playbook's ``[sdk_repos]``).
        written_as: The words the customer used (``posthog_flutter``, ``iOS SDK``).
        version: The version or range exactly as written (``1.201.0``, ``^1.83.0``).
        lib: The ``$lib`` value the SDK's events carry.
        family: The SDK family (``web``, ``node``, ``react-native``, ``ios``, ...).
        repo: The repository that owns the package.
        plugin: True for add-on packages (the React Native replay plugin).
        source: Where it was found: the ticket text or the triage report.
        cue: What recognised it: a name, a package id, an import or install line, an
            identifier (a class, module or stack frame), or ``implied`` when the ticket
            names no SDK and its platform or language points at this one.
    """

    package: str
    written_as: str
    version: str | None = None
    lib: str
    family: str
    repo: str
    plugin: bool = False
    source: Literal["ticket", "triage", "model"] = "ticket"
    cue: Literal["name", "package", "import", "identifier", "implied"] = "name"

    @property
    def exact_version(self) -> str | None:
        """The version when it is one exact release (``1.2.3``); None for a range."""
        match = _EXACT.match((self.version or "").strip())
        return match.group(1) if match else None

    def as_sdk_version(self) -> SdkVersion:
        """The reproduction section's shape: name and version."""
        return SdkVersion(name=self.package, version=self.version)


class VersionChange(Model):
    """A regression statement: the last version that worked and the first that broke."""

    package: str | None = None
    last_good: str | None = None
    first_bad: str | None = None
    quote: str = Field(description="The sentence it was read from")


class ErrorSignal(Model):
    """An error string from the ticket and the head of its stack trace.

    Attributes:
        text: The error line as written (bounded).
        type: The exception type when there is one (``TypeError``).
        message: The text after the type.
        frames: The first frames of the stack trace that follows, if any.
        key_phrase: The most distinctive part, for an exact-phrase search.
        search_phrases: Every part worth an exact-phrase search, best first.
        source: ``line`` for an error line or stack trace, ``quoted`` for a message the
            customer quoted from a screen (``'authentication failed'``).
    """

    text: str
    type: str | None = None
    message: str = ""
    frames: list[str] = Field(default_factory=list)
    key_phrase: str = ""
    search_phrases: list[str] = Field(default_factory=list)
    source: Literal["line", "quoted"] = "line"


class ConfigOption(Model):
    """A configuration option named in the ticket, with its value when given."""

    name: str
    value: str | None = None


LinkKind = Literal[
    "recording",
    "insight",
    "dashboard",
    "feature_flag",
    "experiment",
    "survey",
    "error_tracking",
    "person",
    "project",
    "github_issue",
    "github_pr",
    "docs",
    "other",
]


class LinkSignal(Model):
    """A link (or a bare id) and what it points at."""

    url: str
    kind: LinkKind
    project_id: str | None = None
    object_id: str | None = None


class DateSignal(Model):
    """A date the ticket mentions, resolved against the ticket's time when relative."""

    text: str
    date: dt.date | None = None
    kind: Literal["absolute", "relative"]
    marks_start: bool = Field(False, description="Said as 'since ...' or 'started ...'")


class ScopeSignal(Model):
    """How many users the customer says are affected."""

    level: Literal["all", "many", "some", "single", "unknown"] = "unknown"
    phrases: list[str] = Field(default_factory=list)
    figures: list[str] = Field(default_factory=list, description="Numbers as written")


class DepthSignal(Model):
    """Blocked (no way forward), a workaround, minor, or unknown — with the words that
    decided it."""

    level: Literal["blocked", "workaround", "minor", "unknown"] = "unknown"
    blocked_phrases: list[str] = Field(default_factory=list)
    workaround_phrases: list[str] = Field(default_factory=list)
    minor_phrases: list[str] = Field(default_factory=list)
    cue: str | None = Field(None, description="The words that decided the level")


class RevenueSignal(Model):
    """Commercial context: plan, seats, renewal, and churn language."""

    enterprise: bool = False
    phrases: list[str] = Field(default_factory=list)
    churn_phrases: list[str] = Field(default_factory=list)
    seats: int | None = None
    renewal_date: date | None = None
    renewal_mentioned: bool = Field(
        False, description="The ticket's own text talks about a renewal or contract end"
    )

    @property
    def at_risk(self) -> bool:
        """True when the ticket signals revenue at risk: churn language, or an enterprise
        customer bringing up its renewal. A renewal date in the customer record alone is
        not a signal (the drafter weighs how soon it is)."""
        return bool(self.churn_phrases) or (self.enterprise and self.renewal_mentioned)


DataRiskKind = Literal["loss", "duplication", "corruption", "exposure", "deletion"]


class DataRiskSignal(Model):
    """Language that says data is lost, duplicated, corrupted, exposed or deleted."""

    kind: DataRiskKind
    phrase: str


MissingFact = Literal["sdk_version", "platform", "link", "debug_logs", "reproduction"]

MISSING_FACT_QUESTIONS: dict[str, str] = {
    "sdk_version": "Which SDK package and exact version are you using?",
    "platform": "Which platform and framework (browser, iOS, Android, React Native, ...)?",
    "link": "A link to the affected project, recording, insight or flag",
    "debug_logs": "Debug logs (SDK debug mode) or the console/network output",
    "reproduction": "Steps to reproduce, ideally a minimal reproduction",
}


class Signals(Model):
    """Everything the escalation needs that can be read straight from the ticket.

    Lists keep the order of first appearance; empty means "not mentioned".
    """

    ticket_id: str
    subject: str
    text: str = Field(description="Subject, body and messages, bounded; what was read")
    sdks: list[SdkMention] = Field(default_factory=list)
    version_changes: list[VersionChange] = Field(default_factory=list)
    errors: list[ErrorSignal] = Field(default_factory=list)
    http_statuses: list[int] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=list)
    failing_platform: str | None = Field(
        None, description="Of iOS and Android, both named, the one the failure is stated for"
    )
    implied_sdk: SdkMention | None = Field(
        None,
        description="When no SDK is named: the one the platform or language points at, with "
        "a version the ticket states on its own ('Version 3.20.1')",
    )
    frameworks: list[str] = Field(default_factory=list)
    languages: list[str] = Field(
        default_factory=list, description="Programming languages: python, go, csharp, ..."
    )
    runtimes: list[str] = Field(
        default_factory=list, description="Browsers and OS with versions: 'Safari 18'"
    )
    region: Region = Region.UNKNOWN
    region_evidence: str | None = None
    config_options: list[ConfigOption] = Field(default_factory=list)
    links: list[LinkSignal] = Field(default_factory=list)
    dates: list[DateSignal] = Field(default_factory=list)
    started_on: date | None = None
    scope: ScopeSignal = Field(default_factory=ScopeSignal)
    depth: DepthSignal = Field(default_factory=DepthSignal)
    revenue: RevenueSignal = Field(default_factory=RevenueSignal)
    data_risks: list[DataRiskSignal] = Field(default_factory=list)
    symptoms: list[str] = Field(default_factory=list)
    event_names: list[str] = Field(
        default_factory=list, description="PostHog event names: $pageview, $exception, ..."
    )
    flag_keys: list[str] = Field(default_factory=list, description="Feature flag keys named")
    reproduction_steps: list[str] = Field(default_factory=list)
    expected: str | None = Field(None, description="What the customer expected, as written")
    actual: str | None = Field(None, description="What happens instead, as written")
    reproducibility: Literal["always", "intermittent", "unknown"] = "unknown"
    product_area: str | None = Field(None, description="From the triage report, when given")
    missing: list[MissingFact] = Field(default_factory=list)

    @property
    def primary_sdk(self) -> SdkMention | None:
        """The main SDK: the first non-plugin package with a version, else the first."""
        main = [s for s in self.sdks if not s.plugin]
        for sdk in main or self.sdks:
            if sdk.version:
                return sdk
        return (main or self.sdks or [None])[0]

    @property
    def families(self) -> list[str]:
        """SDK families named, in order."""
        return list(dict.fromkeys(s.family for s in self.sdks))

    @property
    def versions(self) -> list[str]:
        """Every version the ticket names: SDK versions and regression bounds."""
        found = [s.version for s in self.sdks if s.version]
        for change in self.version_changes:
            found += [v for v in (change.last_good, change.first_bad) if v]
        return list(dict.fromkeys(found))

    @property
    def data_risk_kinds(self) -> list[str]:
        """The kinds of data risk mentioned, in order."""
        return list(dict.fromkeys(r.kind for r in self.data_risks))
