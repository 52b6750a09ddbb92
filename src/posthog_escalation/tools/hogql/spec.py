"""World specs: a PostHog project described as data, generated deterministically from a seed.

A spec names a clock (``now``), a number of days of traffic, the customer organizations
(group type ``organization``), the SDK mix (``$lib`` values with their versions and the
environments they run in), feature flags, injected incidents and PostHog service
incidents (status-page style). ``evals/worlds/README.md`` documents every field.

Times in a spec are absolute (``2026-11-14T09:00:00Z``, ``2026-11-14``) or relative to
``now`` (``now``, ``-6d``, ``-12h``, ``-30m``, ``+1d``); :class:`WorldSpec` resolves them
all to aware UTC datetimes when it validates.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ...errors import InputError
from ...loading import describe_validation_error, read_document

GENERATOR_VERSION = "1"
"""Bump when the generator's output for an unchanged spec changes (forces rebuilds)."""

KNOWN_LIBS: dict[str, Literal["web", "mobile", "server"]] = {
    "web": "web",
    "posthog-node": "server",
    "posthog-python": "server",
    "posthog-go": "server",
    "posthog-ruby": "server",
    "posthog-php": "server",
    "posthog-java": "server",
    "posthog-dotnet": "server",
    "posthog-ios": "mobile",
    "posthog-android": "mobile",
    "posthog-react-native": "mobile",
    "posthog-flutter": "mobile",
}

_RELATIVE = re.compile(r"^\s*(?:now)?\s*(?:([+-])\s*(\d+(?:\.\d+)?)\s*([smhdw]))?\s*$", re.I)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]*$")

TimeRef = datetime | date | str
"""An absolute time, a date (midnight UTC) or a time relative to the world's ``now``."""


def resolve_time(value: TimeRef, now: datetime) -> datetime:
    """Turn a spec time into an aware UTC datetime.

    Args:
        value: A datetime (naive means UTC), a date, an ISO string, ``now`` or an offset
            such as ``-6d``, ``-12h``, ``+30m``, ``-2w``.
        now: What relative times are relative to.

    Raises:
        ValueError: The text is neither an ISO time nor a relative offset.
    """
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    text = str(value).strip()
    match = _RELATIVE.match(text)
    if match and text:
        sign, amount, unit = match.groups()
        if sign is None:
            return now
        seconds = float(amount) * _UNITS[unit.lower()]
        return now + timedelta(seconds=seconds if sign == "+" else -seconds)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: use ISO (2026-11-14T09:00:00Z), a date, 'now' or an "
            "offset like -6d, -12h, -30m"
        ) from None
    return resolve_time(parsed, now)


class SpecModel(BaseModel):
    """Base of every spec section: unknown keys are errors (they are usually typos)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, populate_by_name=True)


def _as_list(value: Any) -> Any:
    if value is None or isinstance(value, list):
        return value
    return [value]


StrList = Annotated[list[str] | None, Field(default=None)]


class Where(SpecModel):
    """Which events an incident touches: values OR-ed within a field, fields AND-ed.

    ``org`` matches an organization's key or name; ``min_version`` keeps events whose
    ``$lib_version`` is at least this version (numeric, dot-separated comparison).
    """

    lib: StrList
    lib_version: StrList
    min_version: str | None = None
    browser: StrList
    os: StrList
    device_type: StrList
    org: StrList
    event: StrList

    @field_validator(
        "lib", "lib_version", "browser", "os", "device_type", "org", "event", mode="before"
    )
    @classmethod
    def _listify(cls, value: Any) -> Any:
        value = _as_list(value)
        return [str(v) for v in value] if value is not None else None


class VersionSpec(SpecModel):
    """One released version of an SDK and how organizations adopt it.

    ``from`` is when the rollout starts (absent: the version is live before the world
    begins); each organization (or person, with ``rollout_by: person``) adopts it at a
    seeded moment within ``rollout_days`` after that.
    """

    version: str = Field(min_length=1)
    from_: TimeRef | None = Field(default=None, alias="from")
    rollout_days: float = Field(default=0, ge=0)
    rollout_by: Literal["org", "person"] = "org"

    @field_validator("version", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value


class Environment(SpecModel):
    """A browser/OS/device combination an SDK runs in, with its relative weight."""

    weight: float = Field(gt=0)
    browser: str | None = None
    browser_version: str | None = None
    os: str | None = None
    os_version: str | None = None
    device_type: str | None = None

    @field_validator("browser_version", "os_version", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value


class SdkSpec(SpecModel):
    """One SDK as it appears in ``$lib``, its share of persons, versions and environments."""

    lib: str = Field(min_length=1)
    kind: Literal["web", "mobile", "server"] | None = None
    weight: float = Field(default=1.0, gt=0)
    versions: list[VersionSpec] = Field(min_length=1)
    environments: list[Environment] = Field(default_factory=list)
    events: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _defaults(self) -> SdkSpec:
        if self.kind is None:
            if self.lib not in KNOWN_LIBS:
                raise ValueError(
                    f"unknown lib {self.lib!r}: set 'kind' to web, mobile or server "
                    f"(known libs: {', '.join(KNOWN_LIBS)})"
                )
            self.kind = KNOWN_LIBS[self.lib]
        if not self.environments:
            self.environments = [Environment(**e) for e in DEFAULT_ENVIRONMENTS[self.kind]]
        if not self.events:
            self.events = dict(DEFAULT_EVENTS[self.kind])
        if any(w <= 0 for w in self.events.values()):
            raise ValueError(f"sdk {self.lib}: event weights must be positive")
        return self


class OrgSpec(SpecModel):
    """A customer organization (PostHog group type ``organization``, group index 0).

    ``sdks`` (lib -> weight) overrides the global SDK weights for this org's persons;
    ``adopt`` (lib -> version -> time or null for never) overrides when it adopts a version.
    """

    key: str | None = None
    name: str = Field(min_length=1)
    plan: str = "scale"
    seats: int = Field(default=10, ge=0)
    arr: float = Field(default=0, ge=0)
    region: str = "US"
    persons: int = Field(default=20, ge=1)
    activity: float = Field(default=1.0, gt=0)
    domain: str | None = None
    renewal_date: date | None = None
    sdks: dict[str, float] | None = None
    adopt: dict[str, dict[str, TimeRef | None]] = Field(default_factory=dict)
    properties: dict[str, str | int | float | bool] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _defaults(self) -> OrgSpec:
        slug = re.sub(r"[^a-z0-9]+", "-", self.name.lower()).strip("-") or "org"
        self.key = self.key or slug
        self.domain = self.domain or f"{slug}.example"
        for version_times in self.adopt.values():
            for version, when in version_times.items():
                if isinstance(when, str) and when.strip().lower() in {"never", "null", ""}:
                    version_times[version] = None
        return self


class FlagSpec(SpecModel):
    """A feature flag that ``$feature_flag_called`` events report, with its rollout."""

    key: str = Field(min_length=1)
    rollout: float = Field(default=0.5, ge=0, le=1)
    weight: float = Field(default=1.0, gt=0)


class Traffic(SpecModel):
    """How much each person does: sessions per day and events per session."""

    sessions_per_day: float = Field(default=1.0, gt=0)
    weekend_factor: float = Field(default=0.4, ge=0)
    events_per_session: float = Field(default=12, ge=1)
    active_hours: tuple[int, int] = (6, 22)

    @model_validator(mode="after")
    def _hours(self) -> Traffic:
        start, end = self.active_hours
        if not 0 <= start < end <= 24:
            raise ValueError("active_hours must be [start, end] with 0 <= start < end <= 24")
        return self


class Frame(SpecModel):
    """One stack frame of a generated exception."""

    function: str = "?"
    filename: str = "static/js/main.js"
    lineno: int = 1
    colno: int = 1
    in_app: bool = True


class ExceptionDetails(SpecModel):
    """What a generated ``$exception`` event says."""

    type: str = Field(min_length=1)
    message: str = Field(min_length=1)
    level: str = "error"
    handled: bool = False
    mechanism: str = "onerror"
    frames: list[Frame] = Field(default_factory=lambda: [Frame()])


class WarningDetails(SpecModel):
    """What a generated row of ``system.ingestion_warnings`` says."""

    type: str = Field(min_length=1)
    source: str = "plugin-server"
    details: dict[str, Any] = Field(default_factory=dict)


class PropertyChange(SpecModel):
    """How a property changes: removed, JSON null, malformed, or set to a value."""

    property: str = Field(min_length=1)
    mode: Literal["missing", "null", "malformed", "value"] = "missing"
    value: Any = None


class FlagChange(SpecModel):
    """How ``$feature_flag_response`` goes wrong for a flag."""

    flag: str = Field(min_length=1)
    mode: Literal["missing", "wrong", "value"] = "missing"
    value: Any = None


class IncidentBase(SpecModel):
    """What every incident has: an id, a window, a filter and a rate."""

    id: str = Field(min_length=1)
    description: str = ""
    since: TimeRef | None = None
    until: TimeRef | None = None
    where: Where = Field(default_factory=Where)
    rate: float = Field(default=1.0, gt=0, le=1)

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("incident id must be lower-case letters, digits, '-' or '_'")
        return value


class ExceptionIncident(IncidentBase):
    """Adds a ``$exception`` event after each hit event (same person, session, SDK)."""

    kind: Literal["exception"]
    exception: ExceptionDetails


class DropEventsIncident(IncidentBase):
    """A share (``rate``) of the matching events never arrives."""

    kind: Literal["drop_events"]


class DuplicateEventsIncident(IncidentBase):
    """A share of the matching events arrives twice (or ``copies`` extra times)."""

    kind: Literal["duplicate_events"]
    copies: int = Field(default=1, ge=1, le=5)
    same_uuid: bool = True


class IngestionWarningIncident(IncidentBase):
    """Each hit event also writes a row to ``system.ingestion_warnings``."""

    kind: Literal["ingestion_warning"]
    warning: WarningDetails


class PropertyChangeIncident(IncidentBase):
    """A property is missing or malformed on the hit events."""

    kind: Literal["property_change"]
    change: PropertyChange


class FlagResponseIncident(IncidentBase):
    """``$feature_flag_called`` for one flag reports a missing or wrong response."""

    kind: Literal["flag_response"]
    change: FlagChange


Incident = Annotated[
    ExceptionIncident
    | DropEventsIncident
    | DuplicateEventsIncident
    | IngestionWarningIncident
    | PropertyChangeIncident
    | FlagResponseIncident,
    Field(discriminator="kind"),
]


class StatusIncident(SpecModel):
    """A PostHog service incident as a status page lists it (no events are generated)."""

    id: str = Field(min_length=1)
    name: str = Field(min_length=1)
    started_at: TimeRef
    resolved_at: TimeRef | None = None
    components: list[str] = Field(default_factory=list)
    impact: Literal["none", "minor", "major", "critical"] = "minor"
    region: Literal["US", "EU", "all"] = "all"
    url: str | None = None


class WorldSpec(SpecModel):
    """A whole PostHog project, deterministic from ``seed``.

    After validation every time field holds an aware UTC datetime.
    """

    name: str
    description: str = ""
    seed: int = 1
    now: datetime
    days: int = Field(default=21, ge=1, le=400)
    scale: float = Field(default=1.0, gt=0, description="Multiplies every org's persons")
    traffic: Traffic = Field(default_factory=Traffic)
    organizations: list[OrgSpec] = Field(min_length=1)
    sdks: list[SdkSpec] = Field(min_length=1)
    feature_flags: list[FlagSpec] = Field(default_factory=list)
    incidents: list[Incident] = Field(default_factory=list)
    status_incidents: list[StatusIncident] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _SLUG.match(value):
            raise ValueError("world name must be lower-case letters, digits, '-' or '_'")
        return value

    @field_validator("now", mode="before")
    @classmethod
    def _now(cls, value: Any) -> Any:
        if isinstance(value, str | date) and not isinstance(value, datetime):
            return resolve_time(value, datetime.now(UTC))
        return value

    @model_validator(mode="after")
    def _resolve(self) -> WorldSpec:
        now = self.now = resolve_time(self.now, self.now)
        start = self.start
        libs = [s.lib for s in self.sdks]
        if len(set(libs)) != len(libs):
            raise ValueError("sdks: each lib may appear only once")
        for sdk in self.sdks:
            for v in sdk.versions:
                v.from_ = resolve_time(v.from_, now) if v.from_ is not None else None
        keys = [o.key for o in self.organizations]
        if len(set(keys)) != len(keys):
            raise ValueError("organizations: keys (or names) must be unique")
        for org in self.organizations:
            for lib, versions in org.adopt.items():
                if lib not in libs:
                    raise ValueError(f"organization {org.name!r}: adopt names unknown lib {lib!r}")
                known = {v.version for v in self.sdk(lib).versions}
                for version, when in versions.items():
                    if version not in known:
                        raise ValueError(
                            f"organization {org.name!r}: adopt names unknown {lib} version "
                            f"{version!r}"
                        )
                    versions[version] = resolve_time(when, now) if when is not None else None
            for lib in org.sdks or {}:
                if lib not in libs:
                    raise ValueError(f"organization {org.name!r}: sdks names unknown lib {lib!r}")
        ids = [i.id for i in self.incidents]
        if len(set(ids)) != len(ids):
            raise ValueError("incidents: ids must be unique")
        flags = {f.key for f in self.feature_flags}
        org_refs = {o.key for o in self.organizations} | {o.name for o in self.organizations}
        for inc in self.incidents:
            unknown = [o for o in inc.where.org or [] if o not in org_refs]
            if unknown:
                raise ValueError(f"incident {inc.id!r}: where.org names unknown org {unknown[0]!r}")
            inc.since = resolve_time(inc.since, now) if inc.since is not None else start
            inc.until = resolve_time(inc.until, now) if inc.until is not None else now
            if inc.until <= inc.since:
                raise ValueError(f"incident {inc.id!r}: until must be after since")
            if isinstance(inc, FlagResponseIncident) and inc.change.flag not in flags:
                raise ValueError(
                    f"incident {inc.id!r}: flag {inc.change.flag!r} is not in feature_flags"
                )
        for status in self.status_incidents:
            status.started_at = resolve_time(status.started_at, now)
            if status.resolved_at is not None:
                status.resolved_at = resolve_time(status.resolved_at, now)
        return self

    @property
    def start(self) -> datetime:
        """When the world's traffic begins (``days`` before ``now``)."""
        return self.now - timedelta(days=self.days)

    def sdk(self, lib: str) -> SdkSpec:
        """The SDK spec for ``lib``."""
        return next(s for s in self.sdks if s.lib == lib)

    def incident(self, incident_id: str) -> Incident:
        """The incident with this id (KeyError when absent)."""
        for inc in self.incidents:
            if inc.id == incident_id:
                return inc
        raise KeyError(incident_id)

    def digest(self) -> str:
        """A stable hash of the spec and generator version: the world's identity."""
        payload = json.dumps(
            {"generator": GENERATOR_VERSION, "spec": self.model_dump(mode="json", by_alias=True)},
            sort_keys=True,
            separators=(",", ":"),
        )
        return hashlib.sha256(payload.encode()).hexdigest()


DEFAULT_ENVIRONMENTS: dict[str, list[dict[str, Any]]] = {
    "web": [
        {
            "weight": 30,
            "browser": "Chrome",
            "browser_version": "131",
            "os": "Windows",
            "os_version": "10",
            "device_type": "Desktop",
        },
        {
            "weight": 16,
            "browser": "Chrome",
            "browser_version": "131",
            "os": "Mac OS X",
            "os_version": "15.1",
            "device_type": "Desktop",
        },
        {
            "weight": 14,
            "browser": "Safari",
            "browser_version": "18.1",
            "os": "Mac OS X",
            "os_version": "15.1",
            "device_type": "Desktop",
        },
        {
            "weight": 10,
            "browser": "Mobile Safari",
            "browser_version": "18.1",
            "os": "iOS",
            "os_version": "18.1",
            "device_type": "Mobile",
        },
        {
            "weight": 8,
            "browser": "Firefox",
            "browser_version": "132",
            "os": "Windows",
            "os_version": "10",
            "device_type": "Desktop",
        },
        {
            "weight": 10,
            "browser": "Microsoft Edge",
            "browser_version": "131",
            "os": "Windows",
            "os_version": "10",
            "device_type": "Desktop",
        },
        {
            "weight": 8,
            "browser": "Chrome",
            "browser_version": "131",
            "os": "Android",
            "os_version": "14",
            "device_type": "Mobile",
        },
        {
            "weight": 4,
            "browser": "Firefox",
            "browser_version": "132",
            "os": "Linux",
            "os_version": "",
            "device_type": "Desktop",
        },
    ],
    "mobile": [
        {"weight": 55, "os": "iOS", "os_version": "18.1", "device_type": "Mobile"},
        {"weight": 45, "os": "Android", "os_version": "14", "device_type": "Mobile"},
    ],
    "server": [{"weight": 1}],
}

DEFAULT_EVENTS: dict[str, dict[str, float]] = {
    "web": {
        "$pageview": 34,
        "$autocapture": 30,
        "$pageleave": 12,
        "$web_vitals": 6,
        "$feature_flag_called": 6,
        "dashboard_viewed": 5,
        "report_exported": 2,
        "$identify": 2,
        "$set": 2,
        "$rageclick": 1,
    },
    "mobile": {
        "$screen": 40,
        "item_viewed": 15,
        "button_tapped": 13,
        "$feature_flag_called": 8,
        "Application Opened": 6,
        "Application Backgrounded": 6,
        "$identify": 2,
    },
    "server": {
        "api_request": 40,
        "$feature_flag_called": 20,
        "order_placed": 15,
        "report_generated": 15,
        "$identify": 5,
        "$groupidentify": 5,
    },
}


def parse_world_spec(data: Any, *, source: str) -> WorldSpec:
    """Validate parsed YAML/JSON as a world spec; errors name ``source`` and the field.

    Raises:
        InputError: The document is empty or a field is invalid.
    """
    if not isinstance(data, dict):
        raise InputError(f"{source}: is not a mapping", "a world spec is a YAML mapping")
    try:
        return WorldSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        text = (
            str(first["msg"]).removeprefix("Value error, ")
            if not first["loc"]
            else describe_validation_error(exc)
        )
        raise InputError(
            f"{source}: {text}",
            "see evals/worlds/README.md for the world spec format",
        ) from None


def load_world_spec(path: Path | str) -> WorldSpec:
    """Read and validate a world spec file (YAML or JSON).

    Raises:
        InputError: The file is missing, unparseable, or a field is invalid.
    """
    path = Path(path)
    return parse_world_spec(read_document(path), source=str(path))
