"""Data that crosses the HogQL layer's boundary: query responses, worlds, ground truth, impact."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class QueryTiming(BaseModel):
    """One timing entry, as PostHog reports them (``k`` a label, ``t`` seconds)."""

    model_config = ConfigDict(extra="ignore")

    k: str
    t: float


class HogQLResponse(BaseModel):
    """A HogQL query's answer in the shape of PostHog's ``HogQLQueryResponse``.

    ``types`` holds ``[column, ClickHouse type]`` pairs; ``hasMore`` says whether rows
    beyond ``limit`` (after ``offset``) exist. Unknown fields PostHog adds are ignored.
    """

    model_config = ConfigDict(extra="ignore")

    results: list[list[Any]] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)
    types: list[Any] = Field(default_factory=list)
    hogql: str | None = None
    clickhouse: str | None = None
    timings: list[QueryTiming] = Field(default_factory=list)
    hasMore: bool = False
    limit: int | None = None
    offset: int | None = None
    error: str | None = None

    @field_validator("results", "columns", "types", "timings", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return [] if value is None else value

    @field_validator("hasMore", mode="before")
    @classmethod
    def _none_is_false(cls, value: Any) -> Any:
        return False if value is None else value

    def rows(self) -> list[dict[str, Any]]:
        """The results as dicts keyed by column name."""
        return [dict(zip(self.columns, row, strict=False)) for row in self.results]

    def scalar(self) -> Any:
        """The first value of the first row (None when there are no rows)."""
        return self.results[0][0] if self.results and self.results[0] else None


class IncidentTruth(BaseModel):
    """What an injected incident really did, counted by the generator itself.

    For ``exception`` and ``duplicate_events`` the events are the ones added; for
    ``drop_events`` the ones removed; for ``property_change`` and ``flag_response`` the
    ones changed; for ``ingestion_warning`` the events that raised a warning (one row of
    ``system.ingestion_warnings`` each).
    """

    id: str
    kind: str
    description: str = ""
    since: datetime
    until: datetime
    affected_orgs: int
    org_keys: list[str]
    org_names: list[str]
    affected_persons: int
    affected_sessions: int
    events: int
    first_seen: datetime | None
    last_seen: datetime | None
    events_by_day: dict[str, int]
    lib_versions: list[tuple[str, str, int]]


class WorldTotals(BaseModel):
    """Sizes of a built world's tables."""

    events: int
    persons: int
    organizations: int
    sessions: int
    ingestion_warnings: int


class GroundTruth(BaseModel):
    """The generator's own account of a world, keyed by incident id.

    The file is identical for the same spec and seed (no build times, sorted lists).
    """

    world: str
    digest: str
    seed: int
    now: datetime
    start: datetime
    totals: WorldTotals
    incidents: dict[str, IncidentTruth]


class WorldInfo(BaseModel):
    """A built world: where it lives and how big it is."""

    name: str
    database: str
    home: Path
    digest: str
    now: datetime
    start: datetime
    totals: WorldTotals
    build_seconds: float = 0.0
    reused: bool = False
    ground_truth_path: Path


class StatusIncidentInfo(BaseModel):
    """A PostHog service incident (status page), as a world spec lists it."""

    id: str
    name: str
    started_at: datetime
    resolved_at: datetime | None
    components: list[str]
    impact: str
    region: str
    url: str | None = None


class ImpactFigure(BaseModel):
    """One number (or table) of an impact summary and the exact HogQL it came from."""

    name: str
    value: Any
    hogql: str
    columns: list[str] = Field(default_factory=list)
    rows: list[list[Any]] = Field(default_factory=list)


class OrgImpact(BaseModel):
    """An affected organization with its plan and revenue (from ``groups``)."""

    key: str
    name: str | None = None
    plan: str | None = None
    seats: int | None = None
    arr: float | None = None
    events: int
    persons: int


class DayCount(BaseModel):
    """Affected events (and persons, orgs) on one UTC day."""

    day: date
    events: int
    persons: int
    orgs: int


class VersionShare(BaseModel):
    """One ``$lib``/``$lib_version``: affected events against all events in the window."""

    lib: str | None
    version: str | None
    affected_events: int
    all_events: int
    share_of_affected: float
    affected_rate: float
    first_seen: datetime | None = None


class EnvironmentShare(BaseModel):
    """One browser/OS pair: affected events against all events in the window."""

    browser: str | None
    os: str | None
    affected_events: int
    all_events: int
    share_of_affected: float
    affected_rate: float


class OrgSessionShare(BaseModel):
    """The share of an affected organization's sessions that saw the signature: since the
    problem started, and (the baseline) in the window before it."""

    key: str
    name: str | None = None
    affected_sessions: int
    sessions: int
    share: float
    baseline_affected_sessions: int = 0
    baseline_sessions: int = 0
    baseline_share: float | None = None


class Trend(BaseModel):
    """The stated test on the daily counts since the problem started.

    Attributes:
        word: ``growing`` or ``shrinking`` only when the least-squares slope over the
            full days and the slopes over their first and second halves all have that
            sign and the fitted change is at least a quarter of the median day;
            ``steady`` otherwise; ``too few days`` below the minimum number of days.
        per_day: The median of the full days (an observed day's count).
        days: The full days tested (the first and the last, partial days left out).
        counts: Their counts, in order.
        slope: Change per day over all tested days (least squares).
        first_half_slope: The same over the first half of the days.
        second_half_slope: The same over the second half.
    """

    word: Literal["growing", "shrinking", "steady", "too few days"]
    per_day: int | None = None
    days: list[date] = Field(default_factory=list)
    counts: list[int] = Field(default_factory=list)
    slope: float | None = None
    first_half_slope: float | None = None
    second_half_slope: float | None = None


class CustomerImpact(BaseModel):
    """The reporting customer's own figures: in its own project, or in a cross-customer
    project filtered to its organization (``$group_0``).

    Shares are measured since the customer's first matching event (``started_at``), with
    the window before it as the baseline.
    """

    backend: str
    org_key: str | None = None
    since: datetime
    until: datetime
    started_at: datetime | None = None
    affected_events: int = 0
    affected_persons: int = 0
    affected_sessions: int = 0
    sessions: int = 0
    share: float | None = None
    baseline_affected_sessions: int = 0
    baseline_sessions: int = 0
    baseline_share: float | None = None
    hogql: str = ""
    columns: list[str] = Field(default_factory=list)
    rows: list[list[Any]] = Field(default_factory=list)


class ImpactSummary(BaseModel):
    """The standard quantification of a signature over a window, with its evidence.

    Every typed field is also in ``figures`` together with the HogQL that produced it.
    """

    signature: str
    since: datetime
    until: datetime
    backend: str
    cross_customer: bool = Field(
        True,
        description="True when the project holds many customers' events with $group_0 as "
        "their organization, so organizations are counted",
    )
    affected_events: int = 0
    affected_orgs: int = 0
    affected_persons: int = 0
    affected_sessions: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    top_orgs: list[OrgImpact] = Field(default_factory=list)
    events_per_day: list[DayCount] = Field(default_factory=list)
    growing: bool = False
    growth_ratio: float | None = None
    trend: Trend | None = None
    versions: list[VersionShare] = Field(default_factory=list)
    starts_in_version: str | None = None
    environments: list[EnvironmentShare] = Field(default_factory=list)
    org_sessions: list[OrgSessionShare] = Field(default_factory=list)
    session_share: float | None = None
    baseline_session_share: float | None = None
    figures: list[ImpactFigure] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)

    def figure(self, name: str) -> ImpactFigure:
        """The figure called ``name`` (KeyError when absent)."""
        for item in self.figures:
            if item.name == name:
                return item
        raise KeyError(name)
