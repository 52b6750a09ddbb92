"""The playbook as typed data, loaded from ``playbook.toml``.

Everything that routes, grades or schedules reads this one object: the offline drafter,
the quality gate, the MCP resources and the skill's reference tables.
"""

from __future__ import annotations

import re
import tomllib
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .errors import PlaybookError
from .models import DIMENSION_NAMES, Cadence, Severity

DEFAULT_PLAYBOOK = Path(__file__).with_name("playbook.toml")

Condition = Literal[
    "data_exposure",
    "data_loss",
    "systemic",
    "multiple_orgs_blocked",
    "blocked_no_workaround",
    "revenue_at_risk",
]

MOBILE_SDKS = frozenset(
    {
        "posthog-ios",
        "posthog-android",
        "posthog-react-native",
        "posthog-react-native-session-replay",
        "posthog-flutter",
    }
)


def _compiled(patterns: list[str]) -> list[str]:
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"'{pattern}' is not a valid regular expression: {exc}") from None
    return patterns


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DimensionSpec(_Strict):
    """One quantification dimension and what to find out for it."""

    key: str
    name: str
    determine: str


class SeverityLevel(_Strict):
    """The human-readable criteria for one severity."""

    criteria: list[str]


class SeverityRule(_Strict):
    """A rule the quality gate enforces: when ``condition`` holds, severity is at least
    ``min_severity`` (and the route is ``route`` when set)."""

    id: str
    condition: Condition
    min_severity: Severity
    route: str | None = None
    message: str


class Route(_Strict):
    """One row of the routing table."""

    key: str = ""
    issue_type: str
    area: str
    team: str
    channel: str
    repo: str = Field(pattern=r"^[\w.-]+/[\w.-]+$")
    sdk_repo: bool = False
    client_side: bool = Field(
        default=False,
        description="This area's problems usually live in the client SDK the ticket names",
    )
    public: bool = True
    labels: list[str]
    mobile_labels: list[str] = Field(default_factory=list)
    context: list[str] = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)
    strong_cues: list[str] = Field(
        default_factory=list,
        description="Patterns that name this product area outright (weight 3 in the area score)",
    )
    cues: list[str] = Field(
        default_factory=list,
        description="Patterns that point at this product area (weight 1 in the area score)",
    )
    synonyms: list[str] = Field(
        default_factory=list,
        description="How a triage report may name this product area in free text",
    )
    app_side: list[str] = Field(
        default_factory=list,
        description="Patterns of problems that live in the PostHog app, not in an SDK",
    )
    sdk_side: list[str] = Field(
        default_factory=list,
        description="Patterns of problems that live in the SDK itself; they go to the SDK's "
        "repository even though the route's own repository is another",
    )

    @field_validator("sdk_side", "app_side", "strong_cues", "cues")
    @classmethod
    def _patterns_compile(cls, patterns: list[str]) -> list[str]:
        return _compiled(patterns)


class FollowUpCadence(_Strict):
    """How often the team is chased and the customer updated, for one severity."""

    team: Cadence
    customer: Cadence
    customer_note: str = ""


class CloseCriterion(_Strict):
    """A reason that allows closing or downgrading an escalation."""

    id: str
    text: str
    applies_to: list[Literal["close", "downgrade"]] = Field(min_length=1)


class DocumentedBehaviour(_Strict):
    """Documented behaviour that customers report as a bug, and how to recognise it."""

    id: str
    route: str
    all: list[str] = Field(min_length=1)
    none: list[str] = Field(default_factory=list)
    docs_query: str
    explanation: str
    resolution: str

    @field_validator("all", "none")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        return _compiled(patterns)

    def matches(self, text: str) -> bool:
        """True when every ``all`` pattern and no ``none`` pattern matches ``text``."""

        def found(pattern: str) -> bool:
            return re.search(pattern, text, re.IGNORECASE) is not None

        return all(found(p) for p in self.all) and not any(found(p) for p in self.none)


class SeverityCue(_Strict):
    """Words in a report that say how hard the customer is hit."""

    id: str
    depth: Literal["blocked", "workaround", "minor"]
    weight: float = Field(gt=0)
    patterns: list[str] = Field(min_length=1)

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        return _compiled(patterns)


class AnswerableCues(_Strict):
    """What makes a ticket something support can answer rather than a bug to escalate."""

    questions: list[str] = Field(default_factory=list)
    feature_requests: list[str] = Field(default_factory=list)
    subject_questions: list[str] = Field(default_factory=list)
    subject_feature_requests: list[str] = Field(default_factory=list)
    failures: list[str] = Field(
        default_factory=list,
        description="Any of these means a failure engineering must explain; it vetoes the rest",
    )

    @field_validator(
        "questions", "feature_requests", "subject_questions", "subject_feature_requests", "failures"
    )
    @classmethod
    def _compiles(cls, patterns: list[str]) -> list[str]:
        return _compiled(patterns)


class Playbook(_Strict):
    """The whole playbook."""

    version: int
    motto: str
    closing_steps: list[str]
    escalate_steps: list[str]
    dimensions: list[DimensionSpec]
    severity: dict[Severity, SeverityLevel]
    severity_rules: list[SeverityRule]
    routes: dict[str, Route]
    sdk_repos: dict[str, str] = Field(
        default_factory=dict,
        description="SDK package or $lib value -> the repository that owns it (from the SDK "
        "catalogue unless given)",
    )
    also_filed_in: dict[str, list[str]] = Field(default_factory=dict)
    follow_up: dict[Severity, FollowUpCadence]
    close_criteria: list[CloseCriterion]
    documented_behaviours: list[DocumentedBehaviour] = Field(default_factory=list)
    answerable: AnswerableCues = Field(default_factory=AnswerableCues)
    severity_cues: list[SeverityCue] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _keys_into_routes(cls, data: object) -> object:
        if isinstance(data, dict) and isinstance(data.get("routes"), dict):
            data = dict(data)
            data["routes"] = {
                key: {**value, "key": key} if isinstance(value, dict) else value
                for key, value in data["routes"].items()
            }
        if isinstance(data, dict) and "sdk_repos" not in data:
            from .understanding.catalogue import default_catalogue

            owners: dict[str, str] = {}
            for entry in default_catalogue().sdk:
                owners.setdefault(entry.lib, entry.repo)
                owners[entry.package] = entry.repo
            data = {**data, "sdk_repos": owners}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Playbook:
        keys = tuple(d.key for d in self.dimensions)
        if keys != DIMENSION_NAMES:
            raise ValueError(f"dimensions must be {', '.join(DIMENSION_NAMES)} in that order")
        for level in Severity:
            if level not in self.severity:
                raise ValueError(f"severity.{level.value} is missing")
            if level not in self.follow_up:
                raise ValueError(f"follow_up.{level.value} is missing")
        for rule in self.severity_rules:
            if rule.route is not None and rule.route not in self.routes:
                raise ValueError(f"severity_rules '{rule.id}' names unknown route '{rule.route}'")
        for behaviour in self.documented_behaviours:
            if behaviour.route not in self.routes:
                name = f"documented_behaviours '{behaviour.id}'"
                raise ValueError(f"{name} names unknown route '{behaviour.route}'")
        if "security" not in self.routes:
            raise ValueError("routes.security is required")
        return self

    def documented_behaviour(self, text: str) -> DocumentedBehaviour | None:
        """The first documented behaviour whose patterns match ``text``, if any."""
        return next((b for b in self.documented_behaviours if b.matches(text)), None)

    def route(self, key: str) -> Route:
        """The route for ``key``; raises :class:`PlaybookError` naming the known keys."""
        try:
            return self.routes[key]
        except KeyError:
            known = ", ".join(sorted(self.routes))
            raise PlaybookError(f"unknown route '{key}'", f"use one of: {known}") from None

    def repo_for(self, route: Route, sdk: str | None = None, text: str = "") -> str:
        """The repository the fix belongs in: the SDK's own when the route files in SDK
        repositories, or when ``text`` (the ticket) describes a problem that lives in the
        SDK (the route's ``sdk_side`` patterns); else the route's repository."""
        if sdk:
            owner = self.sdk_repos.get(sdk.lower())
            in_sdk = any(re.search(p, text, re.IGNORECASE) for p in route.sdk_side)
            if owner and (route.sdk_repo or in_sdk):
                return owner
        return route.repo

    def labels_for(self, route: Route, sdk: str | None = None) -> list[str]:
        """The labels for ``route``; mobile SDK bugs use the mobile labels when defined."""
        if sdk and sdk.lower() in MOBILE_SDKS and route.mobile_labels:
            return list(route.mobile_labels)
        return list(route.labels)

    def candidate_repos(self, route: Route, sdk: str | None = None) -> list[str]:
        """The owning repository first, then where customers often file instead."""
        owner = self.repo_for(route, sdk)
        repos = [owner, *self.also_filed_in.get(owner, [])]
        return list(dict.fromkeys(repos))

    def cadence(self, severity: Severity) -> FollowUpCadence:
        """The follow-up cadence for ``severity``."""
        return self.follow_up[severity]

    def criterion(self, criterion_id: str, action: Literal["close", "downgrade"]) -> CloseCriterion:
        """The close/downgrade criterion ``criterion_id``, if it applies to ``action``."""
        for crit in self.close_criteria:
            if crit.id == criterion_id and action in crit.applies_to:
                return crit
        allowed = ", ".join(c.id for c in self.close_criteria if action in c.applies_to)
        raise PlaybookError(
            f"'{criterion_id}' is not a {action} criterion", f"use one of: {allowed}"
        )


def add_cadence(start: datetime, cadence: Cadence, *, upper: bool = False) -> datetime:
    """``start`` plus the cadence's low (or high) bound; business days skip weekends."""
    amount = cadence.high if upper else cadence.low
    if cadence.unit == "hours":
        return start + timedelta(hours=amount)
    current = start
    remaining = amount
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def _describe(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first["loc"]) or "(top level)"
    return f"{location}: {first['msg']}"


def load_playbook(path: Path | None = None) -> Playbook:
    """Read and validate a playbook file.

    Args:
        path: A TOML file; the packaged playbook when omitted.

    Raises:
        PlaybookError: The file is missing, is not TOML, or a key is wrong. The message
            names the file and the offending key.
    """
    source = path or DEFAULT_PLAYBOOK
    try:
        raw = tomllib.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlaybookError(f"{source}: file not found", "check the path") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PlaybookError(f"{source}: not valid TOML ({exc})", "fix the syntax") from None
    try:
        return Playbook.model_validate(raw)
    except ValidationError as exc:
        raise PlaybookError(
            f"{source}: {_describe(exc)}", "compare with the packaged playbook.toml"
        ) from None


@lru_cache(maxsize=1)
def default_playbook() -> Playbook:
    """The packaged playbook, loaded once."""
    return load_playbook(DEFAULT_PLAYBOOK)
