"""Deterministic extraction of the facts an escalation needs from a ticket.

:func:`extract_signals` reads a :class:`~posthog_escalation.models.Ticket` (and, when
given, the :class:`~posthog_escalation.models.TriageReport`) and returns a
:class:`Signals` model: SDK packages and versions (with ``$lib`` and SDK family),
regressions (last good / first bad), error strings with stack-trace heads and search
phrases, HTTP statuses, platform, framework, language and runtime, region, config
options, links and ids, dates resolved against the ticket time, scope, blocked or
workaround, revenue and churn language, data risk, symptoms, events and flag keys,
reproduction steps, expected and actual, and the facts a maintainer would ask for that
are missing. No model, no network: the same ticket always gives the same signals.

Each group of facts comes from one small ``_extract_*`` function over the ticket text, so
a new signal is a new field plus a new function wired into :func:`extract_signals`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Literal

from pydantic import Field

from .models import Model, Region, SdkVersion, Ticket, TriageReport

MAX_TEXT = 20_000


def _wordlist(text: str) -> list[str]:
    return text.split()


# ---------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------


class SdkPackage(Model):
    """What the project knows about one PostHog SDK package."""

    package: str
    lib: str = Field(description="The $lib value its events carry")
    family: str
    repo: str
    plugin: bool = False


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
    """

    package: str
    written_as: str
    version: str | None = None
    lib: str
    family: str
    repo: str
    plugin: bool = False
    source: Literal["ticket", "triage"] = "ticket"

    @property
    def exact_version(self) -> str | None:
        """The version when it is one exact release (``1.2.3``); None for a range."""
        return exact_version(self.version)

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
    """Blocked (no way forward) or inconvenienced (a workaround exists)."""

    level: Literal["blocked", "workaround", "unknown"] = "unknown"
    blocked_phrases: list[str] = Field(default_factory=list)
    workaround_phrases: list[str] = Field(default_factory=list)


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


# ---------------------------------------------------------------------------------------
# SDK packages
# ---------------------------------------------------------------------------------------

_SDK_TABLE = [
    # package, $lib, family, owning repository, plugin
    ("posthog-js", "web", "web", "PostHog/posthog-js", False),
    ("@posthog/react", "web", "web", "PostHog/posthog-js", False),
    ("@posthog/nextjs", "web", "web", "PostHog/posthog-js", False),
    ("posthog-js-lite", "posthog-js-lite", "web", "PostHog/posthog-js", False),
    ("posthog-node", "posthog-node", "node", "PostHog/posthog-js", False),
    ("@posthog/ai", "posthog-node", "node", "PostHog/posthog-js", False),
    ("posthog-react-native", "posthog-react-native", "react-native", "PostHog/posthog-js", False),
    (
        "posthog-react-native-session-replay",
        "posthog-react-native",
        "react-native",
        "PostHog/posthog-js",
        True,
    ),
    ("posthog-ios", "posthog-ios", "ios", "PostHog/posthog-ios", False),
    ("posthog-android", "posthog-android", "android", "PostHog/posthog-android", False),
    ("posthog-java", "posthog-java", "java", "PostHog/posthog-android", False),
    ("posthog-flutter", "posthog-flutter", "flutter", "PostHog/posthog-flutter", False),
    ("posthog-python", "posthog-python", "python", "PostHog/posthog-python", False),
    ("posthog-go", "posthog-go", "go", "PostHog/posthog-go", False),
    ("posthog-ruby", "posthog-ruby", "ruby", "PostHog/posthog-ruby", False),
    ("posthog-php", "posthog-php", "php", "PostHog/posthog-php", False),
    ("posthog-dotnet", "posthog-dotnet", "dotnet", "PostHog/posthog-dotnet", False),
    ("posthog-elixir", "posthog-elixir", "elixir", "PostHog/posthog-elixir", False),
    ("posthog-rs", "posthog-rs", "rust", "PostHog/posthog-rs", False),
    ("posthog-unity", "posthog-unity", "unity", "PostHog/posthog-unity", False),
]
SDK_PACKAGES: dict[str, SdkPackage] = {
    row[0]: SdkPackage(package=row[0], lib=row[1], family=row[2], repo=row[3], plugin=row[4])
    for row in _SDK_TABLE
}
"""Every PostHog SDK package the extractor knows, by canonical name."""

# (regex, package). Order matters: longer, more specific names first. A name only counts
# when it is not part of a longer identifier.
_B = r"(?<![\w@/.-])"
_E = r"(?![\w-])"
_SDK_ALIASES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p, re.IGNORECASE), pkg)
    for p, pkg in [
        (
            _B + r"(?:@posthog/)?posthog-react-native-session-replay" + _E,
            "posthog-react-native-session-replay",
        ),
        (
            _B + r"react[- ]native (?:session[- ])?replay plugin" + _E,
            "posthog-react-native-session-replay",
        ),
        (_B + r"posthog-react-native" + _E, "posthog-react-native"),
        (_B + r"(?:posthog )?react[- ]native sdk" + _E, "posthog-react-native"),
        (_B + r"posthog-js-lite" + _E, "posthog-js-lite"),
        (_B + r"@posthog/react" + _E, "@posthog/react"),
        (_B + r"@posthog/next(?:js)?" + _E, "@posthog/nextjs"),
        (_B + r"@posthog/ai" + _E, "@posthog/ai"),
        (_B + r"posthog-node" + _E, "posthog-node"),
        (_B + r"(?:posthog )?node(?:\.js)? sdk" + _E, "posthog-node"),
        (_B + r"posthog-js" + _E, "posthog-js"),
        (_B + r"posthog\.js" + _E, "posthog-js"),
        (
            _B + r"(?:posthog )?(?:js|javascript|web|browser) (?:sdk|snippet|library)" + _E,
            "posthog-js",
        ),
        (_B + r"posthog[-_]ios" + _E, "posthog-ios"),
        (_B + r"(?:posthog )?ios sdk" + _E, "posthog-ios"),
        (r"(?<![\w-])pod ['\"]PostHog['\"]", "posthog-ios"),
        (_B + r"PostHog (?:pod|cocoapod)" + _E, "posthog-ios"),
        (r"(?<![\w/-])PostHog(?= \(\d)", "posthog-ios"),
        (_B + r"com\.posthog:posthog-android" + _E, "posthog-android"),
        (_B + r"com\.posthog\.android:posthog" + _E, "posthog-android"),
        (_B + r"posthog[-_]android" + _E, "posthog-android"),
        (_B + r"(?:posthog )?android sdk" + _E, "posthog-android"),
        (_B + r"com\.posthog\.java:posthog" + _E, "posthog-java"),
        (_B + r"com\.posthog:posthog-server" + _E, "posthog-java"),
        (_B + r"posthog[-_]java" + _E, "posthog-java"),
        (_B + r"(?:posthog )?java sdk" + _E, "posthog-java"),
        (_B + r"posthog[-_]flutter" + _E, "posthog-flutter"),
        (_B + r"(?:posthog )?flutter (?:sdk|package|plugin)" + _E, "posthog-flutter"),
        (_B + r"posthog[-_]python" + _E, "posthog-python"),
        (_B + r"(?:posthog )?python (?:sdk|library|client)" + _E, "posthog-python"),
        (_B + r"posthog(?=\s*(?:==|~=|>=|<=)\s*\d)", "posthog-python"),
        (r"(?<![\w-])pip install (?:-U |--upgrade )?posthog" + _E, "posthog-python"),
        (_B + r"(?:github\.com/posthog/)?posthog-go" + _E, "posthog-go"),
        (_B + r"(?:posthog )?go (?:sdk|library|client)" + _E, "posthog-go"),
        (_B + r"posthog-ruby" + _E, "posthog-ruby"),
        (r"(?<![\w-])gem ['\"]posthog-ruby['\"]", "posthog-ruby"),
        (_B + r"(?:posthog )?ruby (?:sdk|gem)" + _E, "posthog-ruby"),
        (_B + r"posthog/posthog-php" + _E, "posthog-php"),
        (_B + r"posthog-php" + _E, "posthog-php"),
        (_B + r"(?:posthog )?php (?:sdk|library)" + _E, "posthog-php"),
        (_B + r"posthog-dotnet" + _E, "posthog-dotnet"),
        (_B + r"PostHog\.AspNetCore" + _E, "posthog-dotnet"),
        (_B + r"(?:posthog )?\.net sdk" + _E, "posthog-dotnet"),
        (_B + r"posthog-elixir" + _E, "posthog-elixir"),
        (_B + r"(?:posthog )?elixir (?:sdk|library)" + _E, "posthog-elixir"),
        (_B + r"posthog-rs" + _E, "posthog-rs"),
        (_B + r"(?:posthog )?rust (?:sdk|crate)" + _E, "posthog-rs"),
        (_B + r"posthog-unity" + _E, "posthog-unity"),
        (_B + r"(?:posthog )?unity (?:sdk|package)" + _E, "posthog-unity"),
    ]
]

_VERSION_CORE = r"v?\d+(?:\.(?:\d+|x|\*)){1,3}(?:-[0-9A-Za-z.]+)?"
_VERSION_RANGE = rf"(?:\^|~>?|[<>]=?|==|~=|>=|<=|=)?\s*{_VERSION_CORE}"
# What may sit between a package name and its version: "@", quotes and colons of a
# manifest line, "version", "v", "==", "--version", a comma in a Podfile/Gemfile line.
_VERSION_AFTER = re.compile(
    r"""^(?:\s*(?=(?:==|~=|>=|<=|\^|~|[<>])\s*v?\d)|@|\s*\(|['"]?\s*[:=]\s*['"]?|"""
    r"""['"]?\s*,\s*['"]|,?\s+(?:(?:version|at|on|--version)\s+)?)"""
    rf"(?P<v>{_VERSION_RANGE})(?!\w)(?!\.\d)",
    re.IGNORECASE,
)
_EXACT = re.compile(r"^v?(\d+(?:\.\d+){1,3}(?:-[0-9A-Za-z.]+)?)$")
_BARE_VERSION = re.compile(
    rf"\b(?:version|ver\.?|release)\s+(?P<v>{_VERSION_CORE})(?!\w)(?!\.\d)", re.IGNORECASE
)


def exact_version(version: str | None) -> str | None:
    """``1.2.3`` for an exact version (``v1.2.3`` too); None for a range or nothing."""
    if not version:
        return None
    match = _EXACT.match(version.strip())
    return match.group(1) if match else None


def _version_after(text: str, end: int) -> str | None:
    match = _VERSION_AFTER.match(text[end : end + 48])
    if not match:
        return None
    return re.sub(r"\s+", " ", match.group("v")).strip()


def _extract_sdks(text: str, source: Literal["ticket", "triage"]) -> list[SdkMention]:
    found: dict[str, SdkMention] = {}
    first_seen: dict[str, int] = {}
    taken: list[tuple[int, int]] = []
    for pattern, package in _SDK_ALIASES:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            taken.append((match.start(), match.end()))
            version = _version_after(text, match.end())
            meta = SDK_PACKAGES[package]
            current = found.get(package)
            if current is None:
                first_seen[package] = match.start()
                found[package] = SdkMention(
                    package=package,
                    written_as=match.group(0),
                    version=version,
                    lib=meta.lib,
                    family=meta.family,
                    repo=meta.repo,
                    plugin=meta.plugin,
                    source=source,
                )
            elif version and not current.version:
                found[package] = current.model_copy(update={"version": version})
    return sorted(found.values(), key=lambda m: first_seen[m.package])


def sdk_mentions(text: str) -> list[SdkMention]:
    """Every SDK package named in ``text``, with its version when written next to it."""
    return _extract_sdks(text, "ticket")


# ---------------------------------------------------------------------------------------
# Regressions: last good and first bad versions
# ---------------------------------------------------------------------------------------


def _v(name: str) -> str:
    return rf"(?P<{name}>{_VERSION_CORE})"


_REGRESSION_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"\bworks?(?:ed)?\s+(?:fine\s+|perfectly\s+|correctly\s+)?(?:on|with|in)\s+"
            r"(?:version\s+)?(?:\S+\s+)?"
            + _v("good")
            + r"[^.\n]{0,60}?\b(?:broken|breaks|broke|fails?|failing|not working|doesn'?t work)"
            r"\s+(?:on|with|in|since|after)\s+(?:version\s+)?(?:\S+\s+)?" + _v("bad"),
            re.IGNORECASE,
        ),
        "both",
    ),
    (
        re.compile(
            r"\bupgrad\w*\s+(?:\S+\s+){0,3}?from\s+(?:version\s+|v)?"
            + _v("good")
            + r"\s+to\s+(?:version\s+)?"
            + _v("bad"),
            re.IGNORECASE,
        ),
        "both",
    ),
    (
        re.compile(
            r"\bupgrad\w*\s+(?:\S+\s+){0,3}?from\s+(?:version\s+|v)?"
            + _v("good")
            + r"(?!\s+to\s)(?![\w.])",
            re.IGNORECASE,
        ),
        "good",
    ),
    (
        re.compile(
            r"\b(?:bump\w*|updat\w*|mov\w*)\s+(?:\S+\s+){0,3}?from\s+(?:version\s+)?"
            + _v("good")
            + r"\s+to\s+(?:version\s+)?"
            + _v("bad"),
            re.IGNORECASE,
        ),
        "both",
    ),
    (
        re.compile(
            _v("good") + r"\s*(?:->|→|=>)\s*" + _v("bad"),
            re.IGNORECASE,
        ),
        "both",
    ),
    (
        re.compile(
            r"\b(?:since|after)\s+(?:we\s+|I\s+)?(?:upgrad|updat|bump|mov|switch)\w*\s+"
            r"(?:\S+\s+){0,3}?to\s+(?:version\s+|v(?=\d))?" + _v("bad"),
            re.IGNORECASE,
        ),
        "bad",
    ),
    (
        re.compile(
            r"\b(?:since|starting (?:with|from)|introduced in|regressed in|broke in|"
            r"broken (?:since|in)|regression in)\s+(?:version\s+|v(?=\d))?" + _v("bad"),
            re.IGNORECASE,
        ),
        "bad",
    ),
    (
        re.compile(
            r"\b(?:downgrad\w*|roll\w*\s+back|revert\w*|pinn?\w*)\s+(?:\S+\s+){0,3}?"
            r"(?:to|at)\s+(?:version\s+|v(?=\d))?"
            + _v("good")
            + r"[^.\n]{0,40}\b(?:fix|fixes|fixed|works?|worked|solves?|solved|resolves?)",
            re.IGNORECASE,
        ),
        "good",
    ),
    (
        re.compile(
            r"\blast (?:working|good|known good) version\s+(?:is|was|:)?\s*(?:v(?=\d))?"
            + _v("good"),
            re.IGNORECASE,
        ),
        "good",
    ),
    (
        re.compile(
            _v("good") + r"\s+(?:works|worked|is fine|was fine)[^.\n]{0,30}?"
            r"\b(?:but|while|whereas)\s+(?:version\s+)?" + _v("bad"),
            re.IGNORECASE,
        ),
        "both",
    ),
]


def _sentence_around(text: str, start: int, end: int) -> str:
    left = max(text.rfind(".", 0, start), text.rfind("\n", 0, start)) + 1
    right_candidates = [i for i in (text.find(". ", end), text.find("\n", end)) if i != -1]
    right = min(right_candidates) if right_candidates else len(text)
    return " ".join(text[left : right + 1].split())[:300]


def _package_near(text: str, start: int, end: int, sdks: list[SdkMention]) -> str | None:
    window = text[max(0, start - 120) : end + 40].lower()
    best: tuple[int, str] | None = None
    for sdk in sdks:
        pos = window.rfind(sdk.written_as.lower())
        if pos != -1 and (best is None or pos > best[0]):
            best = (pos, sdk.package)
    if best:
        return best[1]
    main = [s for s in sdks if not s.plugin]
    return main[0].package if len(main) == 1 else None


def _extract_version_changes(text: str, sdks: list[SdkMention]) -> list[VersionChange]:
    changes: list[VersionChange] = []
    spans: list[tuple[int, int]] = []
    for pattern, _kind in _REGRESSION_PATTERNS:
        for match in pattern.finditer(text):
            if any(s <= match.start() < e for s, e in spans):
                continue
            groups = match.groupdict()
            good, bad = groups.get("good"), groups.get("bad")
            if good and bad and good == bad:
                continue
            spans.append((match.start(), match.end()))
            changes.append(
                VersionChange(
                    package=_package_near(text, match.start(), match.end(), sdks),
                    last_good=good,
                    first_bad=bad,
                    quote=_sentence_around(text, match.start(), match.end()),
                )
            )
    return _merge_changes(changes)


def _merge_changes(changes: list[VersionChange]) -> list[VersionChange]:
    merged: list[VersionChange] = []
    for change in changes:
        twin = next(
            (
                m
                for m in merged
                if m.package == change.package
                and (
                    (m.last_good is None or change.last_good is None)
                    or m.last_good == change.last_good
                )
                and (
                    (m.first_bad is None or change.first_bad is None)
                    or m.first_bad == change.first_bad
                )
            ),
            None,
        )
        if twin is None:
            merged.append(change)
            continue
        index = merged.index(twin)
        merged[index] = twin.model_copy(
            update={
                "last_good": twin.last_good or change.last_good,
                "first_bad": twin.first_bad or change.first_bad,
            }
        )
    return merged


# ---------------------------------------------------------------------------------------
# Errors and stack traces
# ---------------------------------------------------------------------------------------

_ERROR_TYPE = (
    r"(?:[A-Za-z_][\w$]*\.)*(?:[A-Z][\w$]*(?:Error|Exception|Fault|Timeout)|Error|Exception|"
    r"[A-Z][a-z]+[A-Z]?[a-z]*(?:Invalid|Denied|Failure|Failed)|"
    r"Uncaught(?: \(in promise\))?|Fatal error|fatal error|Fatal Exception|Unhandled Exception|"
    r"panic|PANIC|FATAL EXCEPTION|SIGABRT|SIGSEGV|EXC_BAD_ACCESS|EXC_CRASH)"
)
_ERROR_LINE = re.compile(
    rf"(?P<type>{_ERROR_TYPE})(?::|\s+-)\s*(?P<message>[^\n`]{{3,300}})",
)
_ERROR_STANDALONE = re.compile(
    r"\b(?P<type>EXC_BAD_ACCESS|SIGABRT|SIGSEGV|ANR|OutOfMemoryError|StackOverflowError|"
    r"NSInvalidArgumentException|NSInternalInconsistencyException)\b"
)
_ERROR_PHRASES = re.compile(
    r"(?P<message>Maximum call stack size exceeded|Failed to fetch|Network request failed|"
    r"Script error\.|ResizeObserver loop (?:limit exceeded|completed with undelivered "
    r"notifications)|Cannot read propert(?:y|ies) of (?:undefined|null)(?: \(reading '[^']+'\))?|"
    r"undefined is not an object(?: \(evaluating '[^']+'\))?|"
    r"[\w$.]+ is not a function|[\w$.]+ is not defined|"
    r"Minified React error #\d+|ChunkLoadError[^\n]{0,80}|"
    r"CORS (?:policy|error)[^\n]{0,100}|net::ERR_[A-Z_]+|"
    r"Unknown (?:function|table|field)[^\n]{0,80}|"
    r"Refused to (?:load|execute|connect|apply|frame|create)[^\n]{0,300}|"
    r"(?:Unable to|Failed to|Could not|Couldn't) [^\n:.]{3,80}: [^\s.,;]+)"
)
_FRAME = re.compile(
    r"^\s*(?:at\s+\S.*|File \"[^\"]+\", line \d+.*|#\d+\s+\S.*|\d+\s+\S+\s+0x[0-9a-f]+.*|"
    r"[\w$.<>]+\([\w$.]+:\d+(?::\d+)?\).*|\S+\.(?:js|ts|tsx|mjs|dart|kt|java|swift|py|go|rb)"
    r":\d+.*)$"
)
_IGNORE_MESSAGES = re.compile(
    r"^(?:s?\)?\s*$|handling|tracking|message|messages|rate|logs?\b|reporting|boundary)",
    re.IGNORECASE,
)
_IDENTIFIER = re.compile(
    r"(?<![\w$.])(?:[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+|[a-z]+[A-Z][\w$]*|"
    r"[A-Z][A-Z0-9]*_[A-Z0-9_]+|E[A-Z]{5,})(?![\w$])"
)
_NOT_IDENTIFIER_TAIL = frozenset(
    _wordlist(
        "com io net org dev app co uk de fr eu js mjs cjs ts tsx jsx py kt java swift dart rb go "
        "php html css json map"
    )
)
GENERIC_ERROR_TYPES = frozenset(
    [
        "Error",
        "Exception",
        "TypeError",
        "ReferenceError",
        "RangeError",
        "SyntaxError",
        "ValueError",
        "KeyError",
        "AttributeError",
        "RuntimeError",
        "AssertionError",
        "IndexError",
        "NullPointerException",
        "IllegalStateException",
        "IllegalArgumentException",
        "Fatal error",
        "fatal error",
        "Fatal Exception",
        "FATAL EXCEPTION",
        "Uncaught",
        "Uncaught (in promise)",
        "Unhandled Exception",
        "panic",
        "PANIC",
    ]
)
_FAILURE_WORDS = re.compile(
    r"\b(?:fail\w*|error|errors|denied|invalid|unable|cannot|can'?t|couldn'?t|not found|"
    r"refused|exceed\w*|time[sd]? ?out|timeout|missing|unknown|unauthori[sz]ed|forbidden|"
    r"expired|blocked|no data|went wrong|not allowed|too many|limit)\b",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"(?<![\w=])(?:'([^'\n]{6,160})'|\"([^\"\n]{6,160})\"|“([^”\n]{6,160})”)")


def _identifiers(message: str) -> list[str]:
    found = []
    for match in _IDENTIFIER.finditer(re.sub(r"https?://\S+", " ", message)):
        ident = match.group(0)
        parts = ident.split(".")
        if len(parts) > 1 and parts[-1].lower() in _NOT_IDENTIFIER_TAIL:
            continue
        while len(parts) > 1 and len(parts[0]) <= 2:
            parts = parts[1:]
        ident = ".".join(parts)
        if len(ident) >= 8:
            found.append(ident)
    return sorted(dict.fromkeys(found), key=len, reverse=True)


def _plain_segment(message: str) -> str:
    """The longest run of plain words in a message: URLs, long quoted strings, numbers
    and addresses split it, and sentences and ``key: value`` parts end a run."""
    text = re.sub(r"['\"]?https?://[^\s'\"]+['\"]?", "|", message)
    text = re.sub(r"\"[^\"]*\"|'[^'\s]*\s[^']*'|'[^']{41,}'", "|", text)
    text = re.sub(r"(?<![\w.])\d[\d.:x/-]*(?![\w])", "|", text)
    segments = re.split(r"\||: |\. |[()\[\]{}]|;", text)
    best: list[str] = []
    for segment in segments:
        words = segment.strip(" .,:'\"`").split()
        if len(words) > len(best):
            best = words
    return " ".join(best[:10]) if len(best) >= 3 else ""


def _search_phrases(type_: str | None, message: str) -> list[str]:
    """The parts of an error most likely written the same way in another report.

    Minified names differ between builds (``n.adoptedStyleSheets`` here, ``t.`` there),
    so a dotted chain loses its one-letter head. In order: the longest distinctive
    identifier, the longest plain-words run of the message, and the exception type when
    it is not a generic one (``ObjectDisposedException``, not ``TypeError``).
    """
    phrases: list[str] = []
    identifiers = _identifiers(message)
    if identifiers:
        phrases.append(identifiers[0])
    segment = _plain_segment(message)
    if segment:
        phrases.append(segment)
    if type_ and type_ not in GENERIC_ERROR_TYPES:
        short = type_.split(".")[-1]
        if short not in GENERIC_ERROR_TYPES and len(short) >= 6:
            phrases.append(short)
    if not phrases and message:
        words = message.strip(" .:'\"`").split()
        if len(words) >= 2:
            phrases.append(" ".join(words[:10]))
    return list(dict.fromkeys(phrases))


_PROSE_AFTER = re.compile(
    r"[.!?]\s+(?=(?:We|I|It|This|That|The|Our|My|Any|Can|Could|Please|Is|Are|Also|Since|"
    r"When|But|And|So|Then|Now|Thanks|Only|Other|Here|There|Not|No|Happens|Seems)\b)"
)


def _trim_message(message: str) -> str:
    """The error message without the customer's prose that follows it on the line."""
    cut = _PROSE_AFTER.search(message)
    if cut:
        message = message[: cut.start() + 1]
    return message.strip().rstrip("`'\".,;")


def _frames_around(lines: list[str], index: int) -> list[str]:
    """The stack frames right after an error line, or (Python) right before it."""
    return _frames_after(lines, index) or _frames_before(lines, index)


def _frames_before(lines: list[str], index: int) -> list[str]:
    frames: list[str] = []
    for line in reversed(lines[max(0, index - 12) : index]):
        if _FRAME.match(line):
            frames.append(" ".join(line.split())[:200])
        elif not line.strip() or "Traceback" in line or not line.startswith((" ", "\t")):
            break
    return list(reversed(frames[:4]))


def _frames_after(lines: list[str], index: int) -> list[str]:
    frames: list[str] = []
    for line in lines[index + 1 : index + 12]:
        if _FRAME.match(line):
            frames.append(" ".join(line.split())[:200])
            if len(frames) == 4:
                break
        elif frames:
            break
    return frames


def _extract_errors(text: str) -> list[ErrorSignal]:
    errors: list[ErrorSignal] = []
    seen: set[str] = set()
    lines = text.splitlines()
    for index, line in enumerate(lines):
        for match in _ERROR_LINE.finditer(line):
            type_ = match.group("type")
            message = _trim_message(match.group("message"))
            if _IGNORE_MESSAGES.match(message) or (
                type_.lower() in {"error", "exception"} and len(message.split()) < 2
            ):
                continue
            if (
                type_ in {"Error", "Exception"}
                and match.start() > 0
                and line[match.start() - 1].isalnum()
            ):
                continue
            _add_error(errors, seen, type_, message, _frames_around(lines, index))
        for match in _ERROR_STANDALONE.finditer(line):
            _add_error(errors, seen, match.group("type"), "", _frames_around(lines, index))
        for match in _ERROR_PHRASES.finditer(line):
            message = match.group("message").strip().rstrip(".,;")
            if any(message in e.text for e in errors):
                continue
            _add_error(errors, seen, None, message, _frames_around(lines, index))
    for match in _QUOTED.finditer(text):
        quoted = next(g for g in match.groups() if g).strip()
        if (
            len(quoted.split()) >= 2
            and _FAILURE_WORDS.search(quoted)
            and not re.search(r"[=(){};<>]|https?://", quoted)
            and not any(quoted.lower() in e.text.lower() for e in errors)
        ):
            _add_error(errors, seen, None, quoted.rstrip("."), [], "quoted")
    return errors


def _add_error(
    errors: list[ErrorSignal],
    seen: set[str],
    type_: str | None,
    message: str,
    frames: list[str],
    source: Literal["line", "quoted"] = "line",
) -> None:
    text = f"{type_}: {message}" if type_ and message else (type_ or message)
    text = text[:300]
    key = text.lower()
    if key in seen or any(key in s for s in seen):
        return
    seen.add(key)
    phrases = _search_phrases(type_, message) if message else [type_ or ""]
    errors.append(
        ErrorSignal(
            text=text,
            type=type_,
            message=message,
            frames=frames,
            key_phrase=phrases[0] if phrases else "",
            search_phrases=[p for p in phrases if p],
            source=source,
        )
    )


_HTTP_STATUS = re.compile(
    r"(?:\b(?:HTTP|status(?: code)?|returns?|returned|returning|got|getting|with|a|an|"
    r"response)\s*:?\s*|\()(?P<code>[45]\d\d)\b(?!\)?\s*\d)"
    r"(?!\s*(?:ms|MB|KB|users|events|orgs|seats|%))"
    r"|\b(?P<code2>[45]\d\d)\s+(?:error|errors|Internal Server Error|Bad Gateway|"
    r"Service Unavailable|Gateway Time-?out|Too Many Requests|Forbidden|Unauthorized|"
    r"Not Found|Payload Too Large|Bad Request)\b",
    re.IGNORECASE,
)


def _extract_http_statuses(text: str) -> list[int]:
    codes = []
    for match in _HTTP_STATUS.finditer(text):
        code = int(match.group("code") or match.group("code2"))
        codes.append(code)
    return list(dict.fromkeys(codes))


# ---------------------------------------------------------------------------------------
# Platform, framework, runtime, region
# ---------------------------------------------------------------------------------------

_PLATFORM_WORDS: list[tuple[str, str]] = [
    ("react-native", r"react[- ]native|\bexpo\b|\bhermes\b"),
    ("flutter", r"\bflutter\b|\bdart\b|pubspec"),
    ("ios", r"\bios\b|\biphone|\bipad|\bswift(?:ui)?\b|\buikit\b|\bxcode\b|cocoapods|\bpodfile\b"),
    ("android", r"\bandroid\b|\bkotlin\b|jetpack compose|\bgradle\b"),
    (
        "web",
        r"\bbrowser\b|\bsafari\b|\bchrome\b|\bfirefox\b|\bedge\b|\bwebsite\b|\bweb ?app\b|"
        r"\bsnippet\b|next\.?js|\bnuxt\b|sveltekit|\bsvelte\b|\bremix\b|\bangular\b|\bvue\b|"
        r"\bgatsby\b|\bastro\b|\bwordpress\b|\bwebflow\b|\bshopify\b|\bspa\b",
    ),
    (
        "backend",
        r"\bserver[- ]side\b|\bbackend\b|\blambda\b|\bserverless\b|\bdjango\b|\bflask\b|"
        r"\bfastapi\b|\bcelery\b|\brails\b|\blaravel\b|\bexpress\b|\bnestjs\b|\bcloud run\b|"
        r"\bcloudflare workers?\b|\bvercel functions?\b|\bedge functions?\b|\bcron job\b",
    ),
]
_FAMILY_PLATFORM = {
    "web": "web",
    "node": "backend",
    "react-native": "react-native",
    "ios": "ios",
    "android": "android",
    "flutter": "flutter",
    "python": "backend",
    "go": "backend",
    "ruby": "backend",
    "php": "backend",
    "dotnet": "backend",
    "java": "backend",
    "elixir": "backend",
    "rust": "backend",
    "unity": "unity",
}
_FRAMEWORKS: list[tuple[str, str]] = [
    ("Next.js", r"next\.?js|\bnext (?:app|pages) router\b|\bapp router\b"),
    ("Nuxt", r"\bnuxt\b"),
    ("SvelteKit", r"sveltekit"),
    ("Svelte", r"\bsvelte\b(?!kit)"),
    ("Remix", r"\bremix\b"),
    ("Angular", r"\bangular\b"),
    ("Vue", r"\bvue(?:\.js)?\b"),
    ("React", r"\breact\b(?![- ]native)(?!/)"),
    ("Gatsby", r"\bgatsby\b"),
    ("Astro", r"\bastro\b"),
    ("Expo", r"\bexpo\b"),
    ("Hermes", r"\bhermes\b"),
    ("SwiftUI", r"\bswiftui\b"),
    ("UIKit", r"\buikit\b"),
    ("Jetpack Compose", r"jetpack compose|\bcompose\b(?= (?:ui|screen|view))"),
    ("Django", r"\bdjango\b"),
    ("Flask", r"\bflask\b"),
    ("FastAPI", r"\bfastapi\b"),
    ("Celery", r"\bcelery\b"),
    ("Rails", r"\brails\b"),
    ("Laravel", r"\blaravel\b"),
    ("Express", r"\bexpress(?:\.js)?\b(?= (?:app|server|middleware|route))|\bexpressjs\b"),
    ("NestJS", r"\bnestjs\b"),
    ("AWS Lambda", r"\blambda\b"),
    ("Vercel", r"\bvercel\b"),
    ("Cloudflare Workers", r"cloudflare workers?"),
    ("Google Cloud Run", r"\bcloud run\b"),
    ("Electron", r"\belectron\b"),
    ("Capacitor", r"\bcapacitor\b"),
    ("Ionic", r"\bionic\b"),
    ("Chrome extension", r"chrome extension|browser extension"),
    ("WordPress", r"\bwordpress\b"),
    ("Webflow", r"\bwebflow\b"),
    ("Shopify", r"\bshopify\b"),
    ("Docker", r"\bdocker(?:-compose)?\b"),
    ("Kubernetes", r"\bkubernetes\b|\bk8s\b|\bhelm\b"),
]
_RUNTIME = re.compile(
    r"\b(?P<name>Safari|Chrome|Firefox|Edge|Brave|Opera|Samsung Internet|iOS|iPadOS|Android|"
    r"macOS|Windows|Node(?:\.js)?|Python|Go|Ruby|PHP|Java|Kotlin|Swift|Dart|Flutter|"
    r"React Native|Expo SDK|Next\.js|Xcode)\s+v?(?P<version>\d+(?:\.\d+){0,2})\b(?!\.\d)"
    r"(?!\s*(?:%|days|hours|minutes|ms|seconds|percent))"
)


def _findall_named(text: str, table: list[tuple[str, str]]) -> list[str]:
    hits: list[tuple[int, str]] = []
    for name, pattern in table:
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            hits.append((match.start(), name))
    return [name for _, name in sorted(hits)]


def _extract_platforms(text: str, sdks: list[SdkMention], hints: Iterable[str]) -> list[str]:
    found = _findall_named(text + "\n" + "\n".join(hints), _PLATFORM_WORDS)
    for sdk in sdks:
        platform = _FAMILY_PLATFORM.get(sdk.family)
        if platform and platform not in found:
            found.append(platform)
    if "react-native" in found or "flutter" in found:
        # Cross-platform apps name iOS and Android; both stay, the framework first.
        found.sort(key=lambda p: p not in {"react-native", "flutter"})
    return list(dict.fromkeys(found))


_LANGUAGES: list[tuple[str, str]] = [
    ("typescript", r"\btypescript\b|\btsc\b|\.tsx?\b"),
    ("javascript", r"\bjavascript\b|\bnode(?:\.js)?\b|\bnpm\b|\byarn\b|\bpnpm\b"),
    ("python", r"\bpython\d?\b|\bpip\b|\bdjango\b|\bflask\b|\bfastapi\b|\bcelery\b|Traceback \("),
    ("go", r"\bgolang\b|\bgoroutines?\b|\bgo (?:service|app|api|module|1\.\d+)\b"),
    ("ruby", r"\bruby\b|\brails\b|\bsidekiq\b|\bgemfile\b|\brake\b"),
    ("php", r"\bphp\b|\blaravel\b|\bsymfony\b|\bcomposer\b"),
    ("csharp", r"\bc#|\.net\b|\basp\.net|\bnuget\b|\bSystem\.\w+Exception\b"),
    ("java", r"\bjava\b(?!script)|\bspring boot\b|\bjvm\b|\bmaven\b"),
    ("kotlin", r"\bkotlin\b"),
    ("swift", r"\bswift(?:ui)?\b|\bobjective-c\b"),
    ("dart", r"\bdart\b|\bflutter\b"),
    ("elixir", r"\belixir\b|\bphoenix\b"),
    ("rust", r"\brust\b|\bcargo\b|\btokio\b"),
]


def _extract_runtimes(text: str) -> list[str]:
    found = []
    for match in _RUNTIME.finditer(text):
        name = match.group("name")
        found.append(f"{name} {match.group('version')}")
    return list(dict.fromkeys(found))


_REGION_PATTERNS: list[tuple[Region, re.Pattern[str]]] = [
    (
        Region.SELF_HOSTED,
        re.compile(
            r"self[- ]?host\w*|\bhobby (?:deploy\w*|instance)|\bour own (?:instance|deployment|"
            r"server)|\bon[- ]prem\w*|posthog/posthog(?:-foss)? (?:docker )?image|"
            r"\bhelm chart\b",
            re.IGNORECASE,
        ),
    ),
    (
        Region.EU,
        re.compile(
            r"\beu(?:\.i)?\.posthog\.com|\beu[- ]cloud\b|\bcloud[- ]eu\b|\beu (?:region|instance|"
            r"hosting|data ?cent(?:er|re))|\bposthog eu\b|\bfrankfurt\b",
            re.IGNORECASE,
        ),
    ),
    (
        Region.US,
        re.compile(
            r"\bus(?:\.i)?\.posthog\.com|\bapp\.posthog\.com|\bus[- ]cloud\b|\bcloud[- ]us\b|"
            r"\bus (?:region|instance|hosting|data ?cent(?:er|re))|\bposthog us\b",
            re.IGNORECASE,
        ),
    ),
]


def _extract_region(text: str, ticket: Ticket) -> tuple[Region, str | None]:
    if ticket.customer.region is not Region.UNKNOWN:
        return ticket.customer.region, "customer record"
    hits = []
    for region, pattern in _REGION_PATTERNS:
        match = pattern.search(text)
        if match:
            hits.append((match.start(), region, match.group(0)))
    if not hits:
        return Region.UNKNOWN, None
    _, region, phrase = min(hits)
    return region, phrase


# ---------------------------------------------------------------------------------------
# Config options, links and ids
# ---------------------------------------------------------------------------------------

KNOWN_OPTIONS = frozenset(
    _wordlist(
        """
    api_host ui_host persistence persistence_name cross_subdomain_cookie autocapture
    capture_pageview capture_pageleave capture_performance capture_exceptions
    capture_dead_clicks capture_heatmaps disable_session_recording enable_recording_console_log
    session_recording maskAllInputs maskAllTextInputs maskAllImages maskAllText maskTextSelector
    maskInputOptions blockSelector blockClass mask_all_text mask_all_element_attributes
    recordCrossOriginIframes recordCanvas canvasFps inlineStylesheet
    advanced_disable_feature_flags_on_first_load advanced_disable_feature_flags
    advanced_disable_decide advanced_disable_flags bootstrap featureFlags
    feature_flag_request_timeout_ms person_profiles opt_out_capturing_by_default
    opt_in_site_apps before_send sanitize_properties property_denylist disable_persistence
    disable_surveys disable_compression respect_dnt request_batching loaded debug
    flushAt flushInterval flush_at flush_interval sync_mode personal_api_key
    personalApiKey featureFlagsPollingInterval feature_flags_polling_interval
    poll_interval onlyEvaluateLocally only_evaluate_locally sendFeatureFlagEvent
    send_feature_flag_events send_feature_flags sendFeatureFlags disableGeoip disable_geoip
    enableSessionReplay sessionReplayConfig sessionReplay captureNativeAppLifecycleEvents
    captureApplicationLifecycleEvents captureScreenViews captureScreens captureLog
    captureNetworkTelemetry screenshotMode androidDebouncerDelayMs iOSdebouncerDelayMs
    preloadFeatureFlags enableExceptionAutocapture errorTracking maxQueueSize
    requestTimeout fetchRetryCount historicalMigration max_queue_size
        """
    )
)
_OPTION_ASSIGN = re.compile(
    r"(?<![\w$.])(?P<name>[a-zA-Z_][a-zA-Z0-9_]{2,60})[\"']?\s*[:=]\s*"
    r"(?P<value>true|false|True|False|None|null|nil|\d+(?:\.\d+)?|'[^'\n]{0,80}'|"
    r"\"[^\"\n]{0,80}\"|\{|\[)"
)
_OPTION_NAME = re.compile(r"(?<![\w$.])(?P<name>[a-zA-Z_][a-zA-Z0-9_]{2,60})(?![\w$])")


def _looks_like_option(name: str) -> bool:
    if name in KNOWN_OPTIONS:
        return True
    snake = "_" in name.strip("_") and name.islower()
    camel = bool(re.match(r"^[a-z]+(?:[A-Z][a-z0-9]+){2,}$", name))
    return snake or camel


def _extract_config_options(text: str) -> list[ConfigOption]:
    found: dict[str, ConfigOption] = {}
    for match in _OPTION_ASSIGN.finditer(text):
        name = match.group("name")
        if not _looks_like_option(name):
            continue
        value = match.group("value").strip("'\"")
        value = None if value in {"{", "["} else value
        if name not in found or (value and not found[name].value):
            found[name] = ConfigOption(name=name, value=value)
    for match in _OPTION_NAME.finditer(text):
        name = match.group("name")
        if name in KNOWN_OPTIONS and name not in found:
            found[name] = ConfigOption(name=name)
    positions = {name: text.find(name) for name in found}
    return [found[n] for n in sorted(found, key=lambda n: positions[n])]


_URL = re.compile(r"https?://[^\s<>()\"'`\]]+")
_POSTHOG_PATHS: list[tuple[LinkKind, re.Pattern[str]]] = [
    ("recording", re.compile(r"/replay/(?:recent\?sessionRecordingId=)?(?P<id>[\w-]{8,})")),
    ("recording", re.compile(r"sessionRecordingId=(?P<id>[\w-]{8,})")),
    ("insight", re.compile(r"/insights/(?P<id>[\w-]+)")),
    ("dashboard", re.compile(r"/dashboard/(?P<id>\d+)")),
    ("feature_flag", re.compile(r"/feature_flags/(?P<id>[\w-]+)")),
    ("experiment", re.compile(r"/experiments/(?P<id>[\w-]+)")),
    ("survey", re.compile(r"/surveys/(?P<id>[\w-]+)")),
    ("error_tracking", re.compile(r"/error_tracking/(?P<id>[\w-]+)")),
    ("person", re.compile(r"/person(?:s)?/(?P<id>[^/?#\s]+)")),
]
_PROJECT_IN_URL = re.compile(r"/project/(?P<id>\d+)")
_GITHUB = re.compile(r"github\.com/(?P<repo>[\w.-]+/[\w.-]+)/(?P<kind>issues|pull)/(?P<id>\d+)")
_BARE_PROJECT = re.compile(r"\bproject(?:\s+id)?\s*[:#]?\s*(?P<id>\d{3,7})\b", re.IGNORECASE)
_BARE_SESSION = re.compile(
    r"\b(?:session|recording)(?:\s+id)?\s*[:#]?\s*`?(?P<id>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
    r"[0-9a-f]{4}-[0-9a-f]{12})",
    re.IGNORECASE,
)


def _classify_url(url: str) -> LinkSignal:
    url = url.rstrip(".,;:!?")
    github = _GITHUB.search(url)
    if github:
        kind: LinkKind = "github_pr" if github.group("kind") == "pull" else "github_issue"
        return LinkSignal(
            url=url, kind=kind, object_id=f"{github.group('repo')}#{github.group('id')}"
        )
    project = _PROJECT_IN_URL.search(url)
    project_id = project.group("id") if project else None
    if "posthog.com" in url or project_id:
        if re.search(r"posthog\.com/(?:docs|tutorials|blog|handbook)/", url):
            return LinkSignal(url=url, kind="docs")
        for kind, pattern in _POSTHOG_PATHS:
            match = pattern.search(url)
            if match:
                return LinkSignal(url=url, kind=kind, project_id=project_id, object_id=match["id"])
        if project_id:
            return LinkSignal(url=url, kind="project", project_id=project_id)
    return LinkSignal(url=url, kind="other")


def _extract_links(text: str, ticket: Ticket) -> list[LinkSignal]:
    links: dict[str, LinkSignal] = {}
    for url in [*ticket.links, *(m.group(0) for m in _URL.finditer(text))]:
        link = _classify_url(url)
        links.setdefault(link.url, link)
    known_projects = {link.project_id for link in links.values() if link.project_id}
    for match in _BARE_PROJECT.finditer(text):
        pid = match.group("id")
        if pid not in known_projects:
            known_projects.add(pid)
            links.setdefault(
                f"project:{pid}", LinkSignal(url=f"project:{pid}", kind="project", project_id=pid)
            )
    if ticket.customer.project_id and ticket.customer.project_id not in known_projects:
        pid = ticket.customer.project_id
        links.setdefault(
            f"project:{pid}", LinkSignal(url=f"project:{pid}", kind="project", project_id=pid)
        )
    known_objects = {link.object_id for link in links.values()}
    for match in _BARE_SESSION.finditer(text):
        sid = match.group("id")
        if sid not in known_objects:
            known_objects.add(sid)
            links.setdefault(
                f"recording:{sid}",
                LinkSignal(url=f"recording:{sid}", kind="recording", object_id=sid),
            )
    return list(links.values())


# ---------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------

_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))
_START_WORDS = r"(?:since|started|starting|began|beginning|from|as of|after)\s+(?:on\s+|last\s+)?"
_DATE_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("iso", re.compile(r"\b(?P<y>20\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b")),
    (
        "month_day",
        re.compile(
            rf"\b(?P<mon>{_MONTH_RE})\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\b(?:,?\s+(?P<y>20\d\d))?",
            re.IGNORECASE,
        ),
    ),
    (
        "day_month",
        re.compile(
            rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<mon>{_MONTH_RE})\b\.?"
            rf"(?:,?\s+(?P<y>20\d\d))?",
            re.IGNORECASE,
        ),
    ),
    ("weekday", re.compile(rf"\b(?:last\s+)?(?P<wd>{'|'.join(_WEEKDAYS)})\b", re.IGNORECASE)),
    (
        "ago",
        re.compile(
            r"\b(?P<n>\d+|a|an|one|two|three|four|five|six|seven|a couple of|a few)\s+"
            r"(?P<unit>hours?|days?|weeks?|months?)\s+ago\b",
            re.IGNORECASE,
        ),
    ),
    (
        "named",
        re.compile(
            r"\b(?P<named>today|this morning|tonight|yesterday|last night|last week|"
            r"the weekend|this week|last month|overnight)\b",
            re.IGNORECASE,
        ),
    ),
]
_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "a couple of": 2,
    "a few": 3,
}


def _resolve(
    kind: str, match: re.Match[str], today: date | None, *, past: bool = True
) -> date | None:
    """The date a match names. A date without a year is put in the past when it marks a
    start ("since Nov 14"), else in the year that puts it nearest to ``today`` (a
    renewal "on December 15th" is ahead)."""
    if kind == "iso":
        try:
            return date(int(match["y"]), int(match["m"]), int(match["d"]))
        except ValueError:
            return None
    if kind in {"month_day", "day_month"}:
        month = _MONTHS[match["mon"].lower()]
        year = int(match["y"]) if match["y"] else (today.year if today else None)
        if year is None:
            return None
        try:
            value = date(year, month, int(match["d"]))
        except ValueError:
            return None
        if today and not match["y"]:
            if value > today and (past or (value - today).days > 183):
                value = value.replace(year=year - 1)
            elif not past and (today - value).days > 183:
                value = value.replace(year=year + 1)
        return value
    if today is None:
        return None
    if kind == "weekday":
        target = _WEEKDAYS.index(match["wd"].lower())
        back = (today.weekday() - target) % 7 or 7
        return today - timedelta(days=back)
    if kind == "ago":
        n_text = match["n"].lower()
        n = int(n_text) if n_text.isdigit() else _NUMBER_WORDS[n_text]
        unit = match["unit"].lower().rstrip("s")
        days = {"hour": 0, "day": n, "week": 7 * n, "month": 30 * n}[unit]
        return today - timedelta(days=days)
    named = match["named"].lower()
    offsets = {
        "today": 0,
        "this morning": 0,
        "tonight": 0,
        "yesterday": 1,
        "last night": 1,
        "overnight": 0,
        "this week": today.weekday(),
        "last week": 7,
        "last month": 30,
        "the weekend": (today.weekday() - 5) % 7 or 7,
    }
    return today - timedelta(days=offsets[named])


def _marks_start(text: str, start: int) -> bool:
    """True when the clause before a date says it is when the problem began."""
    before = text[max(0, start - 100) : start]
    clause = re.split(r"[.;!?](?=\s)|\n|, (?:and|but) ", before)[-1]
    return bool(
        re.search(_START_WORDS + r"$", clause, re.IGNORECASE)
        or re.search(
            r"\b(?:since|started|starting|began|first (?:noticed|seen|saw))\b", clause, re.I
        )
    )


def _extract_dates(text: str, today: date | None) -> list[DateSignal]:
    found: list[tuple[int, DateSignal]] = []
    spans: list[tuple[int, int]] = []
    for kind, pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in spans):
                continue
            if (
                kind == "month_day"
                and match["mon"].lower() in {"may", "mar", "jun"}
                and not (match["y"] or re.search(r"\d(?:st|nd|rd|th)", match.group(0)))
                and match["mon"] != match["mon"].capitalize()
            ):
                continue
            spans.append((match.start(), match.end()))
            marks_start = _marks_start(text, match.start())
            found.append(
                (
                    match.start(),
                    DateSignal(
                        text=match.group(0),
                        date=_resolve(kind, match, today, past=marks_start),
                        kind="absolute"
                        if kind in {"iso", "month_day", "day_month"}
                        else "relative",
                        marks_start=marks_start,
                    ),
                )
            )
    return [d for _, d in sorted(found, key=lambda pair: pair[0])]


# ---------------------------------------------------------------------------------------
# Scope, depth, revenue, data risk, symptoms
# ---------------------------------------------------------------------------------------

_SCOPE_ALL = re.compile(
    r"\b(?:all (?:of )?(?:our |my |the )?(?:[a-z]+ )?(?:users|customers|visitors|sessions|"
    r"recordings|events|devices|orgs|organizations|projects|flags)|"
    r"every (?:user|customer|session|recording|single)|"
    r"everyone|for everybody|100%|across the board|none of (?:our |the )?(?:users|recordings|"
    r"sessions|events))\b",
    re.IGNORECASE,
)
_SCOPE_MANY = re.compile(
    r"\b(?:most (?:of )?(?:our |the )?(?:users|customers|sessions|recordings|events)|many users|"
    r"lots of (?:users|customers)|a lot of (?:users|customers|events)|majority of)\b",
    re.IGNORECASE,
)
_SCOPE_SOME = re.compile(
    r"\b(?:some (?:of (?:our |the )?)?(?:users|customers|sessions|recordings|events|devices)|"
    r"a few (?:users|customers|sessions)|a handful of|only (?:some|certain|a few)|"
    r"a subset of|intermittent(?:ly)?|sometimes|occasionally|randomly|"
    r"a small (?:number|percentage|fraction) of)\b",
    re.IGNORECASE,
)
_SCOPE_SINGLE = re.compile(
    r"\b(?:one (?:user|customer|device|person)|a single (?:user|customer|device)|"
    r"only (?:me|for me|one (?:user|customer|device))|just (?:me|one (?:user|customer)))\b",
    re.IGNORECASE,
)
_SCOPE_FIGURE = re.compile(
    r"(?<!Safari )(?<!Chrome )(?<!Firefox )(?<!iOS )(?<!Android )(?<!Edge )"
    r"(?<![\w.~])(?P<figure>(?:~|about |around |over |more than |roughly )?"
    r"\d[\d,.]*\s*(?:%|k\b|percent)?"
    r"(?:\s+of)?\s+(?:our\s+|the\s+|their\s+)?(?:users|customers|visitors|sessions|recordings|"
    r"events|devices|orgs|organizations|accounts|people|requests|installs|flags|projects))\b",
    re.IGNORECASE,
)


def _extract_scope(text: str) -> ScopeSignal:
    levels = [
        ("all", _SCOPE_ALL),
        ("many", _SCOPE_MANY),
        ("some", _SCOPE_SOME),
        ("single", _SCOPE_SINGLE),
    ]
    level = "unknown"
    phrases: list[str] = []
    for name, pattern in levels:
        hits = [m.group(0) for m in pattern.finditer(text)]
        if hits and level == "unknown":
            level = name
        phrases += hits
    figures = [" ".join(m.group("figure").split()) for m in _SCOPE_FIGURE.finditer(text)]
    return ScopeSignal(
        level=level,  # type: ignore[arg-type]
        phrases=list(dict.fromkeys(phrases)),
        figures=list(dict.fromkeys(figures)),
    )


_NO_WORKAROUND = re.compile(
    r"\b(?:no (?:known )?work[- ]?arounds?|without (?:a|any) work[- ]?around|"
    r"no way (?:to|around|forward)|(?:can'?t|cannot|unable to) work around|"
    r"(?:can'?t|cannot|unable to|not able to|no way to) (?:easily |quickly |simply )?"
    r"(?:roll ?back|downgrade|revert|pin (?:the )?(?:old|previous)|go back)|"
    r"work[- ]?arounds? (?:doesn'?t|don'?t|didn'?t) (?:work|help))\b",
    re.IGNORECASE,
)
_BLOCKED = re.compile(
    r"\b(?:blocked|blocking|blocker|show[- ]?stopper|(?:can'?t|cannot|unable to) "
    r"(?:ship|release|launch|deploy|use|go live|upgrade|build|log in|login|access|see|view|watch)|"
    r"completely (?:broken|unusable)|unusable|dead in the water|halted|stuck)\b",
    re.IGNORECASE,
)
_WORKAROUND = re.compile(
    r"\b(?:work[- ]?around|worked around|temporar(?:y|ily) fix|for now we|in the meantime|"
    r"as a stopgap|stop-?gap|pinn(?:ed|ing) (?:to|at|back)|roll(?:ed|ing)? back|downgrad\w*|"
    r"reverted to|manually (?:re-?)?\w+|we can still|still able to|"
    r"retry(?:ing)? (?:sometimes |usually |often |eventually )?(?:works|helps|succeeds))\b",
    re.IGNORECASE,
)


def _extract_depth(text: str) -> DepthSignal:
    no_workaround = [m.group(0) for m in _NO_WORKAROUND.finditer(text)]
    masked = _NO_WORKAROUND.sub(" ", text)
    blocked = no_workaround + [m.group(0) for m in _BLOCKED.finditer(masked)]
    workaround = [m.group(0) for m in _WORKAROUND.finditer(masked)]
    if no_workaround or (blocked and not workaround):
        level = "blocked"
    elif workaround:
        level = "workaround"
    else:
        level = "unknown"
    return DepthSignal(
        level=level,  # type: ignore[arg-type]
        blocked_phrases=list(dict.fromkeys(blocked)),
        workaround_phrases=list(dict.fromkeys(workaround)),
    )


_REVENUE = re.compile(
    r"\b(?:enterprise|renewal|renewing|renew|contract|seats?|annual (?:plan|contract|commitment)|"
    r"paying customer|\bSLA\b|procurement|budget|invoice|\$\d[\d,.]*k?|"
    r"(?:board|leadership|cto|ceo|vp)\b)",
    re.IGNORECASE,
)
_CHURN = re.compile(
    r"\b(?:evaluating (?:other |alternative )?(?:alternatives|options|vendors|tools|competitors)|"
    r"looking at (?:alternatives|other (?:tools|vendors|options))|considering (?:switching|moving|"
    r"leaving|alternatives|other)|switch(?:ing)? (?:back )?to (?:amplitude|mixpanel|heap|"
    r"fullstory|hotjar|launchdarkly|statsig|sentry|logrocket|datadog|pendo|segment)|"
    r"(?:move|moving|migrate|migrating) (?:away|off)(?: from posthog)?|cancel(?:l?ing|l?ed)? "
    r"(?:our|the)? ?(?:subscription|contract|plan|account)|churn\w*|not renew\w*|"
    r"won'?t renew|reconsider\w* (?:our|the) (?:contract|renewal|subscription)|"
    r"losing (?:confidence|trust)|last straw)\b",
    re.IGNORECASE,
)


_RENEWAL_TALK = re.compile(
    r"\b(?:renewal|renewing|renew|contract (?:ends|end|expires|is up|renewal))\b", re.IGNORECASE
)


def _extract_revenue(text: str, ticket: Ticket) -> RevenueSignal:
    customer = ticket.customer
    phrases = [m.group(0) for m in _REVENUE.finditer(text)]
    enterprise = bool(
        (customer.plan and "enterprise" in customer.plan.lower())
        or re.search(r"\benterprise\b", text, re.IGNORECASE)
    )
    if customer.plan:
        phrases.insert(0, f"plan: {customer.plan}")
    if customer.renewal_date:
        phrases.append(f"renewal: {customer.renewal_date.isoformat()}")
    seats = customer.seats
    if seats is None:
        match = re.search(r"\b(\d[\d,]*)\s+seats?\b", text, re.IGNORECASE)
        seats = int(match.group(1).replace(",", "")) if match else None
    return RevenueSignal(
        enterprise=enterprise,
        phrases=list(dict.fromkeys(phrases)),
        churn_phrases=list(dict.fromkeys(m.group(0) for m in _CHURN.finditer(text))),
        seats=seats,
        renewal_date=customer.renewal_date or customer.contract_end,
        renewal_mentioned=bool(_RENEWAL_TALK.search(text)),
    )


_SENSITIVE = (
    r"(?:passwords?|credit cards?|(?:credit )?card numbers?|card details|emails?|email addresses|"
    r"pii|personal data|personal information|ssns?|social security numbers?|health data|phi|"
    r"patient data|bank details|iban)"
)
"""Personal or secret data whose appearance in recordings or events is an exposure."""

_DATA_RISK: list[tuple[DataRiskKind, re.Pattern[str]]] = [
    (
        "exposure",
        re.compile(
            r"\b(?:exposed|exposing|(?:data|privacy|security|pii) exposure|exposure of|"
            r"leak(?:ed|ing|s)?|unmasked|not (?:being )?masked|"
            r"masking (?:doesn'?t|does not|isn'?t|is not|stopped) work\w*|"
            rf"{_SENSITIVE} (?:are |is )?(?:(?:clearly |fully )?(?:visible|shown|readable|captured|"
            r"recorded)|in (?:plain|clear) ?text|in (?:the )?(?:recordings?|replays?))|"
            rf"(?:show|shows|showing|contain|contains|containing|reveal|reveals) (?:the |our |"
            rf"their |users' |customers' )?{_SENSITIVE}|"
            r"(?:recordings?|replays?|sessions?) (?:show|shows|display|displays|capture|captures|"
            r"record|records) (?:exactly |everything |all of )?what (?:users?|customers?|people|"
            r"patients?|visitors?) (?:type|typed|enter|entered)|"
            r"visible to (?:other|anyone|everyone))(?!\w)",
            re.IGNORECASE,
        ),
    ),
    (
        "loss",
        re.compile(
            r"\b(?:lost|losing|data loss|missing (?:events|data|recordings|sessions|persons|"
            r"pageviews|exceptions)|events? (?:are |were )?(?:missing|dropped|not (?:arriving|"
            r"showing up|ingested))|dropp(?:ed|ing) (?:events|data)|never (?:arrive|arrived|show "
            r"up|showed up)|gaps? in (?:our |the )?data)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "duplication",
        re.compile(
            r"\b(?:duplicat(?:e|ed|es|ion)|double[- ]?count\w*|counted twice|twice as many|"
            r"sent twice|captured twice)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "corruption",
        re.compile(
            r"\b(?:corrupt\w*|wrong person|merged (?:into|with) the wrong|mixed up|overwritten|"
            r"overwrote|garbled|malformed|incorrect(?:ly)? (?:attributed|merged))\b",
            re.IGNORECASE,
        ),
    ),
    (
        "deletion",
        re.compile(
            r"\b(?:deleted|deleting|wiped|purged|disappeared|vanished|gone)\b",
            re.IGNORECASE,
        ),
    ),
]


_HYPOTHETICAL = re.compile(
    r"\b(?:short of|would|could|might|if (?:we|they|you|it|the)|otherwise|without|rather than|"
    r"instead of|to avoid|to prevent|afraid of|in case)\b",
    re.IGNORECASE,
)
"""Words that make a data-risk phrase later in the same sentence a hypothetical ("short of
restarting and losing nine days of data"), not something that happened."""


def _hypothetical(text: str, start: int) -> bool:
    sentence_start = max(text.rfind(". ", 0, start), text.rfind("\n", 0, start)) + 1
    return bool(_HYPOTHETICAL.search(text[max(sentence_start, start - 80) : start]))


def _extract_data_risks(text: str) -> list[DataRiskSignal]:
    found: list[tuple[int, DataRiskSignal]] = []
    for kind, pattern in _DATA_RISK:
        seen: set[str] = set()
        for match in pattern.finditer(text):
            if _hypothetical(text, match.start()):
                continue
            phrase = match.group(0)
            if phrase.lower() in seen:
                continue
            seen.add(phrase.lower())
            found.append((match.start(), DataRiskSignal(kind=kind, phrase=phrase)))
    return [risk for _, risk in sorted(found, key=lambda pair: pair[0])]


SYMPTOMS: dict[str, str] = {
    "blank": r"\bblank\b|\bwhite (?:screen|page)\b|\bblack (?:screen|frames?)\b",
    "empty": r"\bempty\b",
    "crash": r"\bcrash\w*|\bsegfault\b|\bSIGABRT\b|\bEXC_BAD_ACCESS\b",
    "freeze": r"\bfreez\w*|\bfroze\w*|\bhang(?:s|ing)?\b|\bunresponsive\b|\bANR\b",
    "slow": r"\bslow\w*|\blag(?:gy|s|ging)?\b|\bjank\w*|\blatency\b|\bperformance\b",
    "memory": r"\bmemory (?:leak|usage|pressure)|\bOOM\b|\bout of memory\b",
    "missing": r"\bmissing\b|\bnot (?:showing|appearing|arriving)\b|\bdon'?t (?:show|appear)\b",
    "duplicate": r"\bduplicat\w*|\bdouble[- ]?count\w*|\btwice\b",
    "wrong": r"\bwrong\b|\bincorrect\w*|\bmismatch\w*|\binconsistent\b",
    "not recording": r"\bnot (?:being )?record\w*|\bno recordings\b|\brecordings? (?:are|is) not\b",
    "unmasked": r"\bunmasked\b|\bnot (?:being )?masked\b|\bmasking (?:is )?(?:broken|not)",
    "flicker": r"\bflicker\w*|\bflash\w*",
    "timeout": r"\btime[sd]? ?out\b|\btimeouts?\b",
    "error": r"\berrors?\b|\bexceptions?\b",
    "not loading": r"\bnot load\w*|\bfails? to load\b|\bwon'?t load\b|\bnever loads?\b",
    "stale": r"\bstale\b|\bcached?\b|\bout of date\b",
    "merge": r"\bmerg\w*",
    "blocked request": (
        r"\bad ?block\w*|\bblocked by (?:the )?(?:client|browser|csp)|\bCSP\b|\bCORS\b"
    ),
    "broken": r"\bbroken\b|\bbreaks?\b|\bbroke\b|\bstopped working\b|\bnot working\b",
    "flag false": r"\breturns? (?:false|undefined|null)\b|\balways (?:false|off|control)\b",
    "minified": r"\bminified\b|\bunminified\b|\bnot (?:de-?)?symboli[sz]ed\b",
}


def _extract_symptoms(text: str) -> list[str]:
    hits = []
    for name, pattern in SYMPTOMS.items():
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            hits.append((match.start(), name))
    return [name for _, name in sorted(hits)]


# ---------------------------------------------------------------------------------------
# Reproduction: steps, expected and actual, how often; events and flags named
# ---------------------------------------------------------------------------------------

_STEP = re.compile(r"^\s*(?:\d{1,2}[.)]|[-*•]|step \d+:?)\s+(?P<step>\S.{2,200})$", re.I | re.M)
_STEPS_HEADING = re.compile(r"(?:steps to reproduce|to reproduce|repro(?:duction)? steps)", re.I)
_EXPECTED = re.compile(
    r"(?:^|\n|\.\s)\s*(?:\*\*)?expected(?: behaviou?r| result)?(?:\*\*)?\s*[:\-]\s*"
    r"(?P<x>[^\n]{3,300})",
    re.I,
)
_ACTUAL = re.compile(
    r"(?:^|\n|\.\s)\s*(?:\*\*)?(?:actual(?: behaviou?r| result)?|instead)(?:\*\*)?\s*[:\-]\s*"
    r"(?P<x>[^\n]{3,300})",
    re.I,
)
_EXPECTED_BUT = re.compile(
    r"\b(?:we |I )?(?:expected?|expecting|should)\s+(?P<x>[^.\n]{3,160}?)\s*,?\s+but\s+"
    r"(?P<y>[^.\n]{3,200})",
    re.I,
)
_ALWAYS = re.compile(
    r"\b(?:every (?:time|single time)|always|consistently|100% of the time|reliably|"
    r"reproducible every)\b",
    re.I,
)
_INTERMITTENT = re.compile(
    r"\b(?:sometimes|intermittent(?:ly)?|occasionally|randomly|flaky|some of the time|"
    r"not always|hard to reproduce|can'?t reproduce)\b",
    re.I,
)
_EVENT_NAME = re.compile(r"(?<![\w$])\$[a-z][a-z0-9_]{2,40}\b")
_NOT_EVENTS = frozenset(
    {
        "$lib",
        "$lib_version",
        "$browser",
        "$os",
        "$current_url",
        "$session_id",
        "$window_id",
        "$device_type",
        "$browser_version",
        "$os_version",
        "$group_0",
        "$group_1",
        "$set",
        "$set_once",
        "$initial_referring_domain",
        "$utm_source",
        "$host",
        "$pathname",
    }
)
_FLAG_KEY = re.compile(
    r"(?:getFeatureFlag(?:Payload)?|isFeatureEnabled|feature_enabled|get_feature_flag(?:_payload)?|"
    r"is_feature_enabled|useFeatureFlag(?:Enabled|Variant(?:Key)?|Payload)?|IsFeatureEnabled(?:Async)?|"
    r"GetFeatureFlag(?:Async)?)\(\s*['\"](?P<key>[\w.:-]{2,80})['\"]"
    r"|\b(?:feature )?flag (?:key )?[`'\"](?P<key2>[\w.:-]{2,80})[`'\"]",
    re.I,
)


def _extract_steps(text: str) -> list[str]:
    heading = _STEPS_HEADING.search(text)
    scope = text[heading.end() :] if heading else text
    steps: list[str] = []
    last_end = 0
    for match in _STEP.finditer(scope):
        step = match.group("step").strip()
        if steps and match.start() - last_end > 400:
            break
        steps.append(step)
        last_end = match.end()
        if len(steps) == 12:
            break
    if not heading and len(steps) < 2:
        return []
    return steps


def _extract_expected_actual(text: str) -> tuple[str | None, str | None]:
    expected = _EXPECTED.search(text)
    actual = _ACTUAL.search(text)
    if expected or actual:
        return (
            expected.group("x").strip() if expected else None,
            actual.group("x").strip() if actual else None,
        )
    both = _EXPECTED_BUT.search(text)
    if both:
        return both.group("x").strip(), both.group("y").strip()
    return None, None


def _reproducibility(text: str) -> Literal["always", "intermittent", "unknown"]:
    if _INTERMITTENT.search(text):
        return "intermittent"
    if _ALWAYS.search(text):
        return "always"
    return "unknown"


def _extract_event_names(text: str) -> list[str]:
    names = [m.group(0) for m in _EVENT_NAME.finditer(text)]
    return list(dict.fromkeys(n for n in names if n not in _NOT_EVENTS))


_FLAG_TOPIC = re.compile(r"\b(?:feature[ _-]?flags?|flags?|bootstrap\w*|experiments?)\b", re.I)
_BACKTICKED_KEY = re.compile(r"`(?P<key>[a-z0-9]+(?:-[a-z0-9]+)+)`")


def _extract_flag_keys(text: str) -> list[str]:
    keys = [m.group("key") or m.group("key2") for m in _FLAG_KEY.finditer(text)]
    if _FLAG_TOPIC.search(text):
        # In a ticket about flags, a backticked kebab-case name is a flag key unless it
        # names an SDK package.
        keys += [m.group("key") for m in _BACKTICKED_KEY.finditer(text)]
        keys = [k for k in keys if k not in SDK_PACKAGES]
    return list(dict.fromkeys(keys))


# ---------------------------------------------------------------------------------------
# What a maintainer would ask for first
# ---------------------------------------------------------------------------------------

_REPRO = re.compile(
    r"\b(?:steps to reproduce|to reproduce|repro(?:duction)?(?: steps| repo| link)?\b|"
    r"minimal (?:example|reproduction|repo)|codesandbox|stackblitz|snack\.expo|"
    r"reproduc(?:e|ible) (?:it )?(?:by|with|every time|consistently))|^\s*1[.)]\s+\S",
    re.IGNORECASE | re.MULTILINE,
)
_LOGS = re.compile(
    r"\b(?:debug (?:logs?|mode|output)|debug: ?true|posthog\.debug\(|logs?:|console (?:output|"
    r"shows?|logs?)|network tab|har file|logcat|xcode console|stack ?trace|traceback)\b",
    re.IGNORECASE,
)


def _missing_facts(
    text: str,
    sdks: list[SdkMention],
    platforms: list[str],
    links: list[LinkSignal],
    errors: list[ErrorSignal],
) -> list[MissingFact]:
    missing: list[MissingFact] = []
    if not any(s.version for s in sdks):
        missing.append("sdk_version")
    if not platforms:
        missing.append("platform")
    if not any(link.kind not in {"docs", "other", "github_issue", "github_pr"} for link in links):
        missing.append("link")
    if not (_LOGS.search(text) or any(e.frames for e in errors)):
        missing.append("debug_logs")
    if not _REPRO.search(text):
        missing.append("reproduction")
    return missing


# ---------------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------------


def _merge_sdks(primary: list[SdkMention], extra: list[SdkMention]) -> list[SdkMention]:
    merged = {s.package: s for s in primary}
    for sdk in extra:
        current = merged.get(sdk.package)
        if current is None:
            merged[sdk.package] = sdk
        elif sdk.version and not current.version:
            merged[sdk.package] = current.model_copy(update={"version": sdk.version})
    return list(merged.values())


def _fill_versions(
    text: str, sdks: list[SdkMention], changes: list[VersionChange]
) -> list[SdkMention]:
    """Give a version-less SDK the version said elsewhere ("we are on version 3.3.7")."""
    out = []
    main = [s for s in sdks if not s.plugin]
    for sdk in sdks:
        if sdk.version is None:
            change = next((c for c in changes if c.package == sdk.package and c.first_bad), None)
            if change:
                sdk = sdk.model_copy(update={"version": change.first_bad})
            elif len(main) == 1 and sdk is main[0]:
                bare = _BARE_VERSION.search(text)
                if bare:
                    sdk = sdk.model_copy(update={"version": bare.group("v")})
        out.append(sdk)
    return out


def sentence_with(text: str, phrase: str) -> str:
    """The sentence of ``text`` that contains ``phrase`` (the phrase itself if absent)."""
    flat = " ".join(text.split())
    at = flat.lower().find(phrase.lower())
    if at == -1:
        return phrase
    starts = [flat.rfind(mark, 0, at) for mark in (". ", "! ", "? ", ": ")]
    start = max(starts) + 2 if max(starts) != -1 else 0
    ends = [
        i for i in (flat.find(mark, at + len(phrase)) for mark in (". ", "! ", "? ")) if i != -1
    ]
    end = min(ends) + 1 if ends else len(flat)
    return flat[start:end].strip()


def extract_signals(
    ticket: Ticket, triage: TriageReport | None = None, *, now: datetime | None = None
) -> Signals:
    """Read the facts an escalation needs from a ticket, without a model.

    Args:
        ticket: The support ticket.
        triage: The triage report; its SDK and platform hints and product area are used.
        now: The reference time for relative dates; the ticket's ``created_at`` (or its
            last message time) when omitted. Relative dates stay unresolved when neither
            is known.

    Returns:
        The extracted :class:`Signals`.
    """
    text = ticket.full_text()[:MAX_TEXT]
    flat = " ".join(text.split())
    reference = (
        now
        or ticket.created_at
        or next((m.time for m in reversed(ticket.messages) if m.time), None)
    )
    today = reference.date() if reference else None

    sdks = _extract_sdks(text, "ticket")
    hint_text = ""
    if triage is not None:
        hint_text = "\n".join([*triage.sdk_hints, *triage.platform_hints])
        sdks = _merge_sdks(sdks, _extract_sdks(hint_text, "triage"))
    changes = _extract_version_changes(text, sdks)
    sdks = _fill_versions(text, sdks, changes)
    errors = _extract_errors(text)
    platforms = _extract_platforms(text, sdks, triage.platform_hints if triage else [])
    region, region_evidence = _extract_region(flat, ticket)
    links = _extract_links(text, ticket)
    dates = _extract_dates(flat, today)
    starts = [d.date for d in dates if d.marks_start and d.date]
    expected, actual = _extract_expected_actual(text)
    return Signals(
        ticket_id=ticket.id,
        subject=ticket.subject,
        text=text,
        sdks=sdks,
        version_changes=changes,
        errors=errors,
        http_statuses=_extract_http_statuses(flat),
        platforms=platforms,
        frameworks=_findall_named(flat + "\n" + hint_text, _FRAMEWORKS),
        languages=_findall_named(flat, _LANGUAGES),
        runtimes=_extract_runtimes(flat),
        region=region,
        region_evidence=region_evidence,
        config_options=_extract_config_options(text),
        links=links,
        dates=dates,
        started_on=min(starts) if starts else None,
        scope=_extract_scope(flat),
        depth=_extract_depth(flat),
        revenue=_extract_revenue(flat, ticket),
        data_risks=_extract_data_risks(flat),
        symptoms=_extract_symptoms(flat),
        event_names=_extract_event_names(text),
        flag_keys=_extract_flag_keys(text),
        reproduction_steps=_extract_steps(text),
        expected=expected,
        actual=actual,
        reproducibility=_reproducibility(flat),
        product_area=triage.product_area if triage else None,
        missing=_missing_facts(text, sdks, platforms, links, errors),
    )
