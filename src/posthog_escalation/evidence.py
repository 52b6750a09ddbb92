"""The evidence pack: every fact the escalation may cite, gathered in parallel.

Each source runs under its own time limit. A source that fails or times out becomes an
evidence row saying what failed and why; the escalation is still produced. Evidence ids
(``E1``, ``E2``, ...) are assigned in a fixed order of roles once everything is back, so
the same inputs always give the same ids.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import anyio
from pydantic import BaseModel, ConfigDict, Field

from .backends import Backends, HogQLProject
from .errors import EscalationError
from .models import Evidence, SourceKind, Ticket
from .playbook import DocumentedBehaviour, Playbook
from .tables import pipe_table
from .tools.docs import DocHit, DocsAnswer, answer_from_docs
from .tools.hogql import (
    CustomerImpact,
    HogQLBackend,
    ImpactSummary,
    customer_impact,
    impact_summary,
    trend_phrase,
)
from .tools.incidents import Incident, StaticIncidents
from .tools.issues import (
    LISTING_THRESHOLD,
    KnownIssueCandidate,
    KnownIssueCandidates,
    LocalIssues,
    find_known_issues,
)
from .tools.issues.plan import problem_text
from .understanding import Signals, sentence_with

log = logging.getLogger(__name__)

ROLES = (
    "impact",
    "top_orgs",
    "trend",
    "versions",
    "environments",
    "org_sessions",
    "customer_impact",
    "duplicates",
    "customer_sdks",
    "flag_calls",
    "warnings",
    "docs",
    "documented",
    "known_issues",
    "incidents",
    "ticket",
)
"""Evidence roles in the order their ids are assigned."""

SignatureKind = Literal["exception", "version"]


@dataclass(frozen=True)
class GatherLimits:
    """Time limits per source, in seconds, and the default window."""

    hogql: float = 30.0
    docs: float = 10.0
    issues: float = 30.0
    incidents: float = 10.0
    window_days: int = 14


class OrgMatch(BaseModel):
    """The ticket's customer as found in the data."""

    key: str
    name: str | None = None


class SdkSeen(BaseModel):
    """An SDK and version seen in the customer's events."""

    lib: str | None
    version: str | None
    events: int
    last_seen: str | None = None


class DuplicateCount(BaseModel):
    """Events of one organization stored more than once with the same uuid."""

    org: str
    name: str | None = None
    duplicated_events: int
    extra_copies: int
    persons: int
    first_seen: str | None = None
    last_seen: str | None = None


class FlagCallCount(BaseModel):
    """``$feature_flag_called`` events for a named flag, by SDK, version and response."""

    lib: str | None
    version: str | None
    response: str | None
    events: int
    persons: int


class WarningCount(BaseModel):
    """Ingestion warnings of one type in the window."""

    type: str
    warnings: int
    first_seen: str | None = None
    last_seen: str | None = None


class EvidencePack(BaseModel):
    """Everything gathered for one ticket.

    Attributes:
        items: Evidence rows with ids, in role order.
        roles: Which evidence id holds which role (``impact`` -> ``E1``).
        route: The product route the searches used.
        signature: The HogQL condition the impact was measured with, if any.
        signature_kind: ``exception`` (affected events) or ``version`` (traffic on the
            version the ticket names: exposure, not confirmed breakage).
        impact_project: Which project the impact summary was measured in (its label).
        customer_impact: The reporting customer's own share of sessions since its problem
            started, and where it was measured (``customer_project``).
        expected: A docs sentence stating the expected behaviour, from the docs row.
        docs_answer: The docs section that best answers the problem, with its sentence
            and calibrated confidence (``answer_from_docs``); None when no section matched
            or a documented behaviour was searched for instead.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    items: list[Evidence] = Field(default_factory=list)
    roles: dict[str, str] = Field(default_factory=dict)
    route: str | None = None
    since: datetime
    until: datetime
    signature: str | None = None
    signature_kind: SignatureKind | None = None
    impact: ImpactSummary | None = None
    impact_project: str | None = None
    customer_impact: CustomerImpact | None = None
    customer_project: str | None = None
    customer_org: OrgMatch | None = None
    customer_sdks: list[SdkSeen] = Field(default_factory=list)
    duplicates: list[DuplicateCount] | None = Field(
        default=None, description="Set when duplicates were looked for (the ticket says so)"
    )
    flag_calls: list[FlagCallCount] | None = Field(
        default=None, description="Set when the ticket names flags and they were counted"
    )
    warnings: list[WarningCount] = Field(default_factory=list)
    docs: list[DocHit] = Field(default_factory=list)
    docs_answer: DocsAnswer | None = None
    expected: str | None = None
    documented: DocumentedBehaviour | None = None
    known: KnownIssueCandidates | None = None
    incidents: list[Incident] = Field(default_factory=list)
    failures: list[str] = Field(default_factory=list)

    def cite(self, *roles: str) -> list[str]:
        """The evidence ids of the roles that were gathered successfully."""
        ok = {item.id for item in self.items if item.status == "ok"}
        return [self.roles[r] for r in roles if r in self.roles and self.roles[r] in ok]

    def item(self, role: str) -> Evidence | None:
        """The evidence row of ``role``, if gathered."""
        wanted = self.roles.get(role)
        return next((i for i in self.items if i.id == wanted), None)


@dataclass
class _Draft:
    role: str
    source: SourceKind
    query: str
    finding: str
    result: str = ""
    url: str | None = None
    figures: dict[str, float] | None = None
    status: Literal["ok", "failed", "timeout"] = "ok"
    private_terms: list[str] | None = None
    public: str | None = None
    live: bool = False


def hogql_string(value: str) -> str:
    """``value`` as a single-quoted HogQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def like_pattern(phrase: str) -> str:
    escaped = re.sub(r"([%_\\])", r"\\\1", phrase)
    return hogql_string(f"%{escaped}%")


def derive_signature(signals: Signals) -> tuple[str, SignatureKind] | None:
    """A HogQL condition over ``events`` that finds the ticket's problem in the data.

    The error's most distinctive phrase when the ticket quotes an error; else the SDK
    version the ticket names (which measures exposure to that version, not breakage).
    """
    for error in signals.errors:
        phrase = (error.key_phrase or error.message or "").strip()
        if len(phrase) >= 6:
            phrase = phrase[:80]
            condition = (
                f"event = '$exception' AND properties.$exception_message ILIKE "
                f"{like_pattern(phrase)}"
            )
            return condition, "exception"
    # Wrapper packages (@posthog/react, the replay plugin) do not set $lib_version.
    reporting = [s for s in signals.sdks if not s.plugin and not s.package.startswith("@")]
    sdk = next((s for s in reporting if s.version), reporting[0] if reporting else None)
    bad = next(
        (
            c.first_bad
            for c in signals.version_changes
            if c.first_bad and (sdk is None or c.package in (None, sdk.package))
        ),
        None,
    )
    version = bad or (sdk.version if sdk else None)
    if sdk and version and re.fullmatch(r"\d+(?:\.\d+){1,3}", version):
        condition = (
            f"properties.$lib = {hogql_string(sdk.lib)} AND "
            f"properties.$lib_version = {hogql_string(version)}"
        )
        return condition, "version"
    return None


def _window(signals: Signals, until: datetime, days: int) -> tuple[datetime, datetime]:
    since = until - timedelta(days=days)
    if signals.started_on is not None:
        start = datetime.combine(signals.started_on, datetime.min.time(), tzinfo=UTC)
        since = min(since, start - timedelta(days=3))
    return since, until


def _ts(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _day(moment: datetime | date | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if isinstance(moment, datetime) else str(moment)


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def days_before(since: datetime, start: datetime) -> int:
    """Whole days (rounded) between the window's start and the problem's."""
    return round((start - since).total_seconds() / 86400)


def _before_clause(since: datetime, start: datetime, subject: str = "none") -> str:
    days = days_before(since, start)
    if days < 1:
        return f"it was already there when the window starts ({_day(since)})"
    return f"{subject} in the {days} day{'s' if days != 1 else ''} before it"


def _main_project(backends: Backends) -> HogQLProject:
    projects = backends.projects
    main = projects.cross_customer or projects.customer
    if main is None:
        raise EscalationError("no HogQL project is configured", "set POSTHOG_PROJECT_ID")
    return main


def _live(backend: HogQLBackend) -> bool:
    return getattr(backend, "now", None) is None


async def _impact_drafts(
    backends: Backends, pack: EvidencePack, signature: str, kind: SignatureKind
) -> list[_Draft]:
    main = _main_project(backends)
    summary = await impact_summary(
        main.backend,
        signature,
        since=pack.since,
        until=pack.until,
        now=pack.until,
        cross_customer=main.cross_customer,
    )
    pack.impact = summary
    pack.impact_project = main.label
    live = _live(main.backend)
    drafts: list[_Draft] = []

    def figure(name: str) -> Any:
        try:
            return summary.figure(name)
        except KeyError:
            return None

    label = main.label[0].upper() + main.label[1:]
    what = "events matching the error" if kind == "exception" else "events from that version"
    totals = figure("affected_events")
    window = f"window {_day(summary.since)} to {_day(summary.until)}"
    if totals is not None:
        figures: dict[str, float] = {
            "events": summary.affected_events,
            "affected_persons": summary.affected_persons,
            "affected_sessions": summary.affected_sessions,
        }
        if summary.first_seen is None:
            public = f"No {what} in the {window}"
            finding = f"{label}: {public[0].lower()}{public[1:]}"
        elif main.cross_customer:
            figures["affected_orgs"] = summary.affected_orgs
            public = (
                f"{summary.affected_events} {what} from {summary.affected_orgs} organizations, "
                f"{summary.affected_persons} persons and {summary.affected_sessions} sessions, "
                f"first seen {_day(summary.first_seen)}; "
                f"{_before_clause(summary.since, summary.first_seen)}"
            )
            finding = f"{label}: {public} ({window})"
        else:
            finding = (
                f"{label}: {summary.affected_events} {what} from {summary.affected_persons} "
                f"persons and {summary.affected_sessions} sessions, first seen "
                f"{_day(summary.first_seen)}; {_before_clause(summary.since, summary.first_seen)}"
                f" ({window}); a customer's own project does not count other organizations"
            )
            public = (
                f"{what[0].upper()}{what[1:]} first seen {_day(summary.first_seen)} in the "
                "reporting organization's own data"
            )
        if summary.first_seen is not None:
            figures["days_before"] = days_before(summary.since, summary.first_seen)
        drafts.append(
            _Draft(
                "impact",
                SourceKind.HOGQL,
                totals.hogql,
                finding,
                pipe_table(totals.columns, totals.rows),
                figures=figures,
                public=public,
                live=live,
            )
        )
    top = figure("top_orgs")
    if top is not None and summary.top_orgs:
        names = ", ".join(
            f"{o.name or o.key} ({o.plan or 'plan unknown'}, {o.events} events)"
            for o in summary.top_orgs[:3]
        )
        drafts.append(
            _Draft(
                "top_orgs",
                SourceKind.HOGQL,
                top.hogql,
                f"Most affected organizations: {names}",
                pipe_table(top.columns, top.rows, max_rows=10),
                figures={"affected_orgs": len(summary.top_orgs)},
                private_terms=_org_terms((o.name, o.key) for o in summary.top_orgs),
                live=live,
            )
        )
    per_day = figure("events_per_day")
    trend = summary.trend
    if per_day is not None and trend is not None:
        unit = "a day"
        finding = f"Daily {what} since first seen: {trend_phrase(trend, unit)}"
        if trend.counts:
            finding += (
                f"; full days {trend.days[0]:%Y-%m-%d} to {trend.days[-1]:%Y-%m-%d}: "
                + ", ".join(str(c) for c in trend.counts)
            )
        if trend.slope is not None:
            finding += (
                f"; slope {trend.slope:+g} a day, first half {trend.first_half_slope:+g}, "
                f"second half {trend.second_half_slope:+g} (growing or shrinking needs one "
                "sign in all three)"
            )
        drafts.append(
            _Draft(
                "trend",
                SourceKind.HOGQL,
                per_day.hogql,
                finding,
                pipe_table(per_day.columns, per_day.rows, max_rows=31),
                figures={"per_day": float(trend.per_day or 0), "full_days": len(trend.counts)},
                public=finding,
                live=live,
            )
        )
    if not summary.affected_events:
        return drafts
    exposure = kind == "version"
    # For a version signature "affected" only means "sent from that version": exposure to
    # it, not a measured failure. The rows say so instead of claiming where it breaks.
    versions = figure("versions")
    if versions is not None and summary.versions:
        lead = summary.versions[0]
        if exposure:
            finding = f"The version the ticket names is {lead.lib} {lead.version}"
            shown = [v for v in summary.versions if v.all_events][:4]
            if shown:
                finding += "; traffic by version: " + ", ".join(
                    f"{v.lib} {v.version} {v.all_events}" for v in shown
                )
        else:
            finding = (
                f"{lead.share_of_affected:.0%} of affected events come from {lead.lib} "
                f"{lead.version}"
            )
            if summary.starts_in_version:
                finding += f"; the problem starts in version {summary.starts_in_version}"
            others = [v for v in summary.versions[1:] if v.all_events and not v.affected_events]
            if others:
                finding += f"; {len(others)} other version(s) show none"
        drafts.append(
            _Draft(
                "versions",
                SourceKind.HOGQL,
                versions.hogql,
                finding,
                pipe_table(versions.columns, versions.rows, max_rows=12),
                public=finding,
                live=live,
            )
        )
    environments = figure("environments")
    if environments is not None and summary.environments:
        hit = [e for e in summary.environments if e.affected_events]
        parts = ", ".join(
            f"{e.browser or 'no browser'}/{e.os or 'no OS'} {e.share_of_affected:.0%}"
            for e in hit[:3]
        )
        if exposure:
            finding = f"Events from that version by browser/OS: {parts or 'none'}"
        else:
            clean = [
                e
                for e in summary.environments
                if e.all_events and not e.affected_events and e.browser
            ]
            finding = f"Affected events by browser/OS: {parts or 'none'}"
            if clean:
                names = ", ".join(dict.fromkeys(e.browser or e.os or "other" for e in clean[:4]))
                finding += f"; unaffected: {names}"
        drafts.append(
            _Draft(
                "environments",
                SourceKind.HOGQL,
                environments.hogql,
                finding,
                pipe_table(environments.columns, environments.rows, max_rows=12),
                public=finding,
                live=live,
            )
        )
    shares = figure("org_sessions")
    hit_sessions = sum(o.affected_sessions for o in summary.org_sessions)
    if shares is not None and hit_sessions and summary.first_seen is not None:
        total = sum(o.sessions for o in summary.org_sessions)
        hit_before = sum(o.baseline_affected_sessions for o in summary.org_sessions)
        before = sum(o.baseline_sessions for o in summary.org_sessions)
        verb = "had events from that version" if exposure else "hit the error"
        count = len(summary.org_sessions)
        since = (
            "since first seen"
            if days_before(summary.since, summary.first_seen) >= 1
            else "in the window"
        )
        finding = (
            f"Across the {count} affected organization{'s' if count != 1 else ''}: "
            f"{_pct(summary.session_share)} of sessions {since} {verb} "
            f"({hit_sessions} of {total})"
        )
        if before:
            finding += "; " + _before_clause(
                summary.since,
                summary.first_seen,
                f"{_pct(summary.baseline_session_share)} ({hit_before} of {before})",
            )
        figures = {"session_share": float(summary.session_share or 0.0)}
        if summary.baseline_session_share is not None:
            figures["baseline_session_share"] = float(summary.baseline_session_share)
        drafts.append(
            _Draft(
                "org_sessions",
                SourceKind.HOGQL,
                shares.hogql,
                finding,
                pipe_table(shares.columns, shares.rows, max_rows=12),
                figures=figures,
                private_terms=_org_terms((o.name, o.key) for o in summary.org_sessions),
                public=finding,
                live=live,
            )
        )
    return drafts


def _org_terms(pairs: Iterable[tuple[str | None, str | None]]) -> list[str]:
    """Organization names and keys, for the public flavour to replace."""
    return list(dict.fromkeys(t for pair in pairs for t in pair if t))


def _window_sql(pack: EvidencePack) -> str:
    return (
        f"timestamp >= toDateTime('{_ts(pack.since)}') AND timestamp < "
        f"toDateTime('{_ts(pack.until)}')"
    )


async def _duplicate_drafts(
    backends: Backends, pack: EvidencePack, signals: Signals
) -> list[_Draft]:
    """Events stored more than once with the same uuid, per organization."""
    names = [n for n in signals.event_names if n != "$exception"][:5]
    events = f"event IN ({', '.join(hogql_string(n) for n in names)}) AND " if names else ""
    query = (
        "SELECT d.org AS org, g.properties.name AS name, count() AS duplicated_events,\n"
        "  sum(d.copies - 1) AS extra_copies, uniqExact(d.person) AS persons,\n"
        "  min(d.first) AS first_seen, max(d.first) AS last_seen\n"
        "FROM (\n"
        "  SELECT uuid, any($group_0) AS org, any(person_id) AS person, count() AS copies,\n"
        "    min(timestamp) AS first\n"
        f"  FROM events\n  WHERE {events}{_window_sql(pack)}\n"
        "  GROUP BY uuid\n  HAVING copies > 1\n"
        ") AS d\n"
        "LEFT JOIN (SELECT key, properties FROM groups WHERE index = 0) AS g ON g.key = d.org\n"
        "GROUP BY org, name\nORDER BY extra_copies DESC, org\nLIMIT 50"
    )
    backend = _main_project(backends).backend
    answer = await backend.query(query)
    rows = [
        DuplicateCount(
            org=str(r[0] or ""),
            name=r[1],
            duplicated_events=int(r[2]),
            extra_copies=int(r[3]),
            persons=int(r[4]),
            first_seen=str(r[5]) if r[5] else None,
            last_seen=str(r[6]) if r[6] else None,
        )
        for r in answer.results
    ]
    pack.duplicates = rows
    what = " and ".join(names) if names else "events"
    if not rows:
        finding = f"No {what} stored twice with the same uuid between {_day(pack.since)} and "
        finding += _day(pack.until)
        figures = {"duplicated_events": 0.0, "affected_orgs": 0.0}
    else:
        total = sum(r.duplicated_events for r in rows)
        extra = sum(r.extra_copies for r in rows)
        first = min(r.first_seen for r in rows if r.first_seen) if rows else None
        finding = (
            f"{total} {what} stored more than once with the same uuid ({extra} extra copies) "
            f"in {len(rows)} organizations, first on {str(first)[:16].replace('T', ' ')} UTC"
        )
        figures = {
            "duplicated_events": float(total),
            "extra_copies": float(extra),
            "affected_orgs": float(len(rows)),
        }
    return [
        _Draft(
            "duplicates",
            SourceKind.HOGQL,
            query,
            finding,
            pipe_table(answer.columns, answer.results, max_rows=12),
            figures=figures,
            private_terms=_org_terms((r.name, r.org) for r in rows),
            public=finding,
            live=_live(backend),
        )
    ]


async def _flag_call_drafts(
    backend: HogQLBackend, pack: EvidencePack, signals: Signals, org_key: str | None
) -> list[_Draft]:
    """How the flags the ticket names were reported as evaluated, by SDK and response."""
    keys = signals.flag_keys[:5]
    org = f" AND $group_0 = {hogql_string(org_key)}" if org_key else ""
    query = (
        "SELECT properties.$lib AS lib, properties.$lib_version AS version,\n"
        "  toString(properties.$feature_flag_response) AS response, count() AS events,\n"
        "  uniqExact(person_id) AS persons\n"
        "FROM events\n"
        "WHERE event = '$feature_flag_called' AND properties.$feature_flag IN "
        f"({', '.join(hogql_string(k) for k in keys)}){org}\n  AND {_window_sql(pack)}\n"
        "GROUP BY lib, version, response\nORDER BY events DESC\nLIMIT 30"
    )
    answer = await backend.query(query)
    rows = [
        FlagCallCount(lib=r[0], version=r[1], response=r[2], events=int(r[3]), persons=int(r[4]))
        for r in answer.results
    ]
    pack.flag_calls = rows
    flags = ", ".join(f"'{k}'" for k in keys)
    scope = " for the customer's organization" if org_key else ""
    total = sum(r.events for r in rows)
    if not rows:
        finding = f"No $feature_flag_called events for {flags}{scope} in the window"
    else:
        by_lib: dict[str, int] = {}
        for r in rows:
            by_lib[r.lib or "unknown SDK"] = by_lib.get(r.lib or "unknown SDK", 0) + r.events
        parts = ", ".join(f"{lib} {n}" for lib, n in by_lib.items())
        finding = f"{total} $feature_flag_called events for {flags}{scope}: {parts}"
        silent = sorted({s.lib for s in signals.sdks} - set(by_lib))
        if silent:
            finding += f"; none from {', '.join(silent)}"
    return [
        _Draft(
            "flag_calls",
            SourceKind.HOGQL,
            query,
            finding,
            pipe_table(answer.columns, answer.results, max_rows=15),
            figures={"flag_called_events": float(total)},
            live=_live(backend),
        )
    ]


async def _customer_drafts(
    backends: Backends, pack: EvidencePack, ticket: Ticket, signals: Signals | None = None
) -> list[_Draft]:
    """The customer's own figures: where they are in the data, the SDKs they send from,
    their share of sessions since their problem started (when there is a signature), and
    (when the ticket names flags) how those flags were reported as evaluated.

    In the customer's own project every event is theirs; in a cross-customer project their
    organization is looked up in ``groups`` and the queries are filtered to it.
    """
    projects = backends.projects
    scope = projects.customer or projects.cross_customer
    if scope is None:
        return []
    key: str | None = None
    drafts: list[_Draft] = []
    if not scope.cross_customer:
        pack.customer_project = scope.label
    else:
        found = await _find_org(scope, pack, ticket)
        if isinstance(found, _Draft):
            return [found]
        if found is None:
            return []
        key = found.key
        pack.customer_org = found
        pack.customer_project = f"{scope.label}, organization {key}"
    drafts += await _customer_sdk_drafts(scope, pack, ticket, key)
    if pack.signature is not None:
        drafts += await _customer_impact_drafts(scope, pack, ticket, key)
    if signals is not None and signals.flag_keys:
        drafts += await _flag_call_drafts(scope.backend, pack, signals, key)
    return drafts


async def _find_org(
    scope: HogQLProject, pack: EvidencePack, ticket: Ticket
) -> OrgMatch | _Draft | None:
    """The customer's organization in a cross-customer project, a row saying it is not
    there, or None when the ticket names no organization."""
    customer = ticket.customer
    tests = []
    if customer.org_id:
        tests.append(f"key = {hogql_string(customer.org_id)}")
    if customer.org_name:
        tests.append(f"lower(properties.name) = lower({hogql_string(customer.org_name)})")
    if not tests:
        return None
    lookup = (
        "SELECT key, properties.name AS name FROM groups "
        f"WHERE index = 0 AND ({' OR '.join(tests)}) LIMIT 1"
    )
    found = await scope.backend.query(lookup)
    if not found.results:
        return _Draft(
            "customer_sdks",
            SourceKind.HOGQL,
            lookup,
            f"The customer's organization ({customer.org_name or customer.org_id}) is not "
            f"in {scope.label}",
            pipe_table(found.columns, found.results),
            live=_live(scope.backend),
        )
    key, name = found.results[0][0], found.results[0][1]
    return OrgMatch(key=str(key), name=name)


def _where(name: str, scope: HogQLProject, key: str | None) -> str:
    """``Northwind Health, in cross-customer data (...) filtered to its organization``."""
    label = f"{name}, in {scope.label}"
    return f"{label} filtered to its organization" if key is not None else label


def _customer_name(pack: EvidencePack, ticket: Ticket) -> str:
    c = ticket.customer
    found = pack.customer_org.name if pack.customer_org else None
    return found or c.org_name or c.org_id or "The customer"


async def _customer_sdk_drafts(
    scope: HogQLProject, pack: EvidencePack, ticket: Ticket, key: str | None
) -> list[_Draft]:
    org = f"$group_0 = {hogql_string(key)}\n  AND " if key is not None else ""
    query = (
        "SELECT properties.$lib AS lib, properties.$lib_version AS version, count() AS events,\n"
        "  max(timestamp) AS last_seen\n"
        f"FROM events\nWHERE {org}timestamp >= toDateTime('{_ts(pack.since)}') AND "
        f"timestamp < toDateTime('{_ts(pack.until)}')\n"
        "GROUP BY lib, version\nORDER BY events DESC\nLIMIT 10"
    )
    answer = await scope.backend.query(query)
    rows = answer.results
    pack.customer_sdks = [
        SdkSeen(lib=r[0], version=r[1], events=int(r[2]), last_seen=str(r[3]) if r[3] else None)
        for r in rows
    ]
    seen = ", ".join(f"{s.lib} {s.version} ({s.events} events)" for s in pack.customer_sdks[:4])
    name = _customer_name(pack, ticket)
    return [
        _Draft(
            "customer_sdks",
            SourceKind.HOGQL,
            query,
            f"{_where(name, scope, key)}: sends events from {seen or 'nothing in the window'}",
            pipe_table(answer.columns, rows),
            live=_live(scope.backend),
        )
    ]


async def _customer_impact_drafts(
    scope: HogQLProject, pack: EvidencePack, ticket: Ticket, key: str | None
) -> list[_Draft]:
    assert pack.signature is not None
    own = await customer_impact(
        scope.backend, pack.signature, since=pack.since, until=pack.until, org_key=key
    )
    pack.customer_impact = own
    name = _customer_name(pack, ticket)
    exposure = pack.signature_kind == "version"
    what = "events from that version" if exposure else "events matching the error"
    if own.started_at is None:
        finding = f"{_where(name, scope, key)}: no {what} in the window"
        figures: dict[str, float] = {"affected_sessions": 0.0}
    elif not own.affected_sessions:
        verb = "sent events from that version" if exposure else "hit the error"
        finding = (
            f"{_where(name, scope, key)}: {own.affected_persons} persons, {own.affected_events} "
            f"events {verb} from {_day(own.started_at)}; none of them belong to a session"
        )
        figures = {
            "affected_persons": float(own.affected_persons),
            "events": float(own.affected_events),
        }
    else:
        verb = "had events from that version" if exposure else "hit the error"
        finding = (
            f"{_where(name, scope, key)}: {own.affected_sessions} of {own.sessions} sessions since "
            f"its first matching event {_day(own.started_at)} {verb} ({_pct(own.share)}); "
        )
        if own.baseline_sessions:
            finding += _before_clause(
                pack.since,
                own.started_at,
                f"{own.baseline_affected_sessions} of {own.baseline_sessions} "
                f"({_pct(own.baseline_share)})",
            )
        else:
            finding += "no sessions before it in the window"
        finding += f"; {own.affected_persons} persons, {own.affected_events} events"
        figures = {
            "affected_sessions": float(own.affected_sessions),
            "sessions": float(own.sessions),
            "affected_persons": float(own.affected_persons),
            "events": float(own.affected_events),
        }
        if own.share is not None:
            figures["share"] = own.share
    return [
        _Draft(
            "customer_impact",
            SourceKind.HOGQL,
            own.hogql,
            finding,
            pipe_table(own.columns, own.rows),
            figures=figures,
            private_terms=_org_terms([(name, key)]),
            live=_live(scope.backend),
        )
    ]


async def _warning_drafts(backends: Backends, pack: EvidencePack) -> list[_Draft]:
    query = (
        "SELECT type, count() AS warnings, min(timestamp) AS first_seen,"
        " max(timestamp) AS last_seen\n"
        "FROM system.ingestion_warnings\n"
        f"WHERE timestamp >= toDateTime('{_ts(pack.since)}') AND timestamp < "
        f"toDateTime('{_ts(pack.until)}')\n"
        "GROUP BY type\nORDER BY warnings DESC\nLIMIT 10"
    )
    answer = await backends.hogql.query(query)
    pack.warnings = [
        WarningCount(type=str(r[0]), warnings=int(r[1]), first_seen=str(r[2]), last_seen=str(r[3]))
        for r in answer.results
    ]
    if pack.warnings:
        lead = pack.warnings[0]
        finding = (
            f"{sum(w.warnings for w in pack.warnings)} ingestion warnings in the window; most "
            f"are '{lead.type}' ({lead.warnings}, first {lead.first_seen})"
        )
    else:
        finding = "No ingestion warnings in the window"
    total = sum(w.warnings for w in pack.warnings)
    return [
        _Draft(
            "warnings",
            SourceKind.HOGQL,
            query,
            finding,
            pipe_table(answer.columns, answer.results),
            figures={"ingestion_warnings": total},
            public=finding,
            live=_live(backends.hogql),
        )
    ]


def docs_query_for(signals: Signals, documented: DocumentedBehaviour | None) -> str:
    """The docs search for the symptom: the documented behaviour's query when one
    matched, else the subject, the error's key phrase and the SDK family."""
    if documented is not None:
        return documented.docs_query
    parts = [signals.subject]
    if signals.errors and signals.errors[0].key_phrase:
        parts.append(signals.errors[0].key_phrase)
    parts += signals.symptoms[:3]
    sdk = signals.primary_sdk
    if sdk:
        parts.append(sdk.family)
    return " ".join(parts)[:300]


EXPECTATION = re.compile(
    r"\b(?:should|will|by default|automatically|always|"
    r"(?:is|are) (?:captured|recorded|sent|shown|masked|set|stored|created|merged|evaluated))\b",
    re.IGNORECASE,
)
"""Words of a docs sentence that states what should happen."""


def expected_sentence(snippet: str) -> str | None:
    """The first whole sentence of a docs snippet that states the expected behaviour."""
    text = " ".join(snippet.split())
    sentences = re.split(r"(?<=[.!?])\s+", text)
    if text.startswith("…"):
        sentences = sentences[1:]
    for sentence in sentences:
        sentence = sentence.strip().rstrip("…").strip()
        whole = sentence[:1].isupper() and sentence.endswith((".", "!"))
        if whole and 20 <= len(sentence) <= 300 and EXPECTATION.search(sentence):
            return sentence
    return None


ABOUT_MIN_CONFIDENCE = 0.7
"""How sure the docs answer must be before a section of the ticket's product area counts
as about its problem: the calibration band where most answers were right (7 of 9 on the
dev problems), where the band below was right about a third of the time."""


def about_problem(
    hit: DocHit, signals: Signals, route: str | None, answer: DocsAnswer | None = None
) -> bool:
    """Whether a docs section is about the ticket's problem.

    A section that names the ticket's error or one of its versions is. For a regression
    or a typed error nothing else is: a page that explains configuration causes of the
    same symptom is not about a broken release. Otherwise a section in the ticket's
    product area is, when the docs answer for the problem (``answer``, if one was sought)
    is at least :data:`ABOUT_MIN_CONFIDENCE` sure: a weak best match says the docs do not
    cover this problem, however close its product area.
    """
    text = f"{hit.title} {hit.breadcrumb} {hit.snippet}".lower()
    phrases = {
        p.lower()
        for e in signals.errors
        for p in (e.key_phrase, *e.search_phrases)
        if p and len(p) >= 6
    }
    versions = {v for v in signals.versions if re.fullmatch(r"v?\d+(?:\.\d+){2}", v)}
    if any(p in text for p in phrases) or any(v in text for v in versions):
        return True
    if _is_regression(signals):
        return False
    if answer is not None and answer.confidence < ABOUT_MIN_CONFIDENCE:
        return False
    return route is None or hit.route == route


_TEMPLATE_LINE = re.compile(r"^\s*(?:#+ .*|[-*] \[[ xX]\].*|\*[^*]+\*|```\w*)\s*$")


def problem_symptom(signals: Signals) -> str:
    """What goes wrong, as the ticket's body says it: the problem text without greetings,
    signature, contact details, template headings and checklists, at most 400 characters."""
    body = (
        signals.text[len(signals.subject) :]
        if signals.text.startswith(signals.subject)
        else signals.text
    )
    lines = [ln for ln in problem_text(body).splitlines() if not _TEMPLATE_LINE.match(ln)]
    return " ".join(" ".join(lines).split())[:400]


async def _docs_drafts(
    backends: Backends, pack: EvidencePack, signals: Signals, route: str | None
) -> list[_Draft]:
    answer: DocsAnswer | None = None
    if pack.documented is None:
        error = signals.errors[0].text if signals.errors else ""
        answer = await anyio.to_thread.run_sync(
            lambda: answer_from_docs(
                backends.docs, signals.subject, problem_symptom(signals), error, route=route
            )
        )
        pack.docs_answer = answer
    if answer is not None:
        query = answer.query
        hits: list[DocHit] = list(answer.alternatives)
    else:
        query = docs_query_for(signals, pack.documented)
        hits = await anyio.to_thread.run_sync(lambda: backends.docs.search(query, limit=5))
    if route and pack.documented is None:
        hits.sort(key=lambda h: (h.route != route,))
    relevant = (
        hits
        if pack.documented is not None
        else [h for h in hits if about_problem(h, signals, route, answer)]
    )
    if answer is not None and answer.reliable:
        first = next((h for h in relevant if h.url == answer.url), None)
        if first is not None:
            relevant = [first, *(h for h in relevant if h is not first)]
    pack.docs = relevant[:3]
    result = "\n".join(f"{h.breadcrumb} — {h.url}\n  {h.snippet}" for h in hits[:5])
    if answer is not None:
        result = (
            f"Best answer (confidence {answer.confidence:.2f}): {answer.breadcrumb} — "
            f"{answer.url}\n  {answer.sentence}\n{result}"
        )
    if not hits:
        finding = "No docs section matched the symptom"
        return [_Draft("docs", SourceKind.DOCS, query, finding, public=finding)]
    if not relevant:
        if _is_regression(signals):
            why = "names the error or the version"
        elif answer is not None and answer.confidence < ABOUT_MIN_CONFIDENCE:
            why = f"matches the problem closely (best answer confidence {answer.confidence:.2f})"
        else:
            why = "is in its product area"
        finding = (
            f"No docs section is about this problem: none of the {len(hits)} sections found {why}"
        )
        return [_Draft("docs", SourceKind.DOCS, query, finding, result, public=finding)]
    top = relevant[0]
    pack.expected = expected_sentence(top.snippet)
    said = (
        answer.sentence
        if answer is not None and answer.reliable and answer.url == top.url
        else " ".join(top.snippet.split())[:180]
    )
    finding = f"Docs: {top.breadcrumb} — {said}"
    drafts = [_Draft("docs", SourceKind.DOCS, query, finding, result, url=top.url, public=finding)]
    if pack.documented is not None:
        finding = (
            f"Documented behaviour: {pack.documented.explanation} Resolution: "
            f"{pack.documented.resolution}"
        )
        drafts.append(
            _Draft(
                "documented",
                SourceKind.DOCS,
                query,
                finding,
                result,
                url=top.url,
                public=f"Documented behaviour: {pack.documented.explanation}",
            )
        )
    return drafts


async def _known_drafts(
    backends: Backends, pack: EvidencePack, signals: Signals, playbook: Playbook, route: str | None
) -> list[_Draft]:
    known = await find_known_issues(signals, backends.issues, playbook, route=route, now=pack.until)
    pack.known = known
    query = "\n".join(known.search_terms)
    lines = [
        f"{c.key} [{c.state}] {c.title} — confidence {c.confidence:.2f}; "
        + "; ".join(c.reasons[:2])
        for c in known.candidates
    ]
    for c in known.candidates:
        lines += [f"  related PR {p.repo}#{p.number} [{p.state}] {p.title}" for p in c.related_prs]
    strong = likely_matches(known)
    if strong:
        best = strong[0]
        finding = (
            f"{len(strong)} likely match(es); best {best.key} '{best.title}' ({best.state}, "
            f"confidence {best.confidence:.2f})"
        )
        url = best.url
    else:
        finding = f"No known issue matched ({len(known.search_terms)} searches)"
        url = None
    return [
        _Draft(
            "known_issues",
            SourceKind.GITHUB,
            query,
            finding,
            "\n".join(lines) or "no results",
            url=url,
            public=finding,
            live=not isinstance(backends.issues, LocalIssues),
        )
    ]


WARNING_ROUTES = frozenset({None, "ingestion", "sdk_bug", "cdp", "product_analytics"})
"""Routes whose escalations look at ingestion warnings (data that went missing or wrong)."""

MATCH_CONFIDENCE = LISTING_THRESHOLD
"""A candidate at or above this confidence is listed as a matching issue (the known-issue
search's calibrated threshold)."""


def likely_matches(known: KnownIssueCandidates) -> list[KnownIssueCandidate]:
    """The issues (not PRs) the escalation lists as matching the ticket, best first: every
    issue at or above :data:`MATCH_CONFIDENCE`, the threshold read off the precision/recall
    curve of real duplicate pairs. Only candidates the search returned can be listed, so a
    match is never invented."""
    return [c for c in known.candidates if c.kind == "issue" and c.confidence >= MATCH_CONFIDENCE]


ANALYTICS_VIEW_ROUTES = frozenset({"product_analytics", "web_analytics"})
EVENT_DATA_RISKS = frozenset({"duplication", "loss"})


async def _incident_drafts(backends: Backends, pack: EvidencePack) -> list[_Draft]:
    found = await backends.incidents.incidents(pack.since, pack.until)
    pack.incidents = found
    query = f"PostHog status incidents between {_day(pack.since)} and {_day(pack.until)}"
    live = not isinstance(backends.incidents, StaticIncidents)
    if not found:
        finding = "No PostHog incident in the window"
        return [_Draft("incidents", SourceKind.INCIDENT, query, finding, public=finding, live=live)]
    lines = [
        f"{i.name} [{i.impact}] {_day(i.started_at)} to "
        f"{_day(i.resolved_at) if i.resolved_at else 'ongoing'}; components: "
        f"{', '.join(i.components) or 'n/a'}; region: {i.region or 'all'}"
        for i in found
    ]
    lead = found[0]
    ended = _day(lead.resolved_at) if lead.resolved_at else "ongoing"
    finding = (
        f"{len(found)} PostHog incident(s) in the window; latest: {lead.name} "
        f"({_day(lead.started_at)} to {ended})"
    )
    return [
        _Draft(
            "incidents",
            SourceKind.INCIDENT,
            query,
            finding,
            "\n".join(lines),
            url=lead.url,
            public=finding,
            live=live,
        )
    ]


def _ticket_draft(ticket: Ticket, signals: Signals) -> _Draft:
    c = ticket.customer
    facts = [
        ("organization", c.org_name),
        ("plan", c.plan),
        ("seats", c.seats),
        ("ARR (USD)", int(c.arr) if c.arr is not None else None),
        ("MRR (USD)", int(c.mrr) if c.mrr is not None else None),
        ("region", c.region.value),
        ("renewal date", c.renewal_date),
        ("contract end", c.contract_end),
    ]
    lines = [f"{name}: {value}" for name, value in facts if value not in (None, "")]
    lines += [f"revenue phrase: '{p}'" for p in signals.revenue.phrases[:4]]
    lines += [f"churn phrase: '{p}'" for p in signals.revenue.churn_phrases[:4]]
    said = [
        *signals.depth.workaround_phrases[:2],
        *signals.depth.blocked_phrases[:2],
        *signals.scope.phrases[:2],
        *(r.phrase for r in signals.data_risks[:2]),
    ]
    sentences = dict.fromkeys(sentence_with(signals.text, p) for p in said)
    lines += [f"customer says: '{text[:300]}'" for text in sentences]
    summary = [c.plan and f"{c.plan} plan", c.seats and f"{c.seats} seats"]
    if c.arr is not None:
        summary.append(f"ARR ${c.arr:,.0f}")
    if c.renewal_date:
        summary.append(f"renewal {c.renewal_date}")
    if signals.revenue.churn_phrases:
        summary.append(f"says '{signals.revenue.churn_phrases[0]}'")
    figures = {k: float(v) for k, v in (("seats", c.seats), ("arr", c.arr)) if v is not None}
    return _Draft(
        "ticket",
        SourceKind.TICKET,
        f"ticket {ticket.id}: customer record and messages",
        "Customer: " + (", ".join(s for s in summary if s) or "no commercial details given"),
        "\n".join(lines),
        figures=figures,
    )


async def gather(
    ticket: Ticket,
    signals: Signals,
    backends: Backends,
    playbook: Playbook,
    *,
    route: str | None,
    now: datetime | None = None,
    limits: GatherLimits | None = None,
) -> EvidencePack:
    """Gather the evidence pack for a ticket, every source in parallel.

    Args:
        ticket: The ticket (its customer block identifies the organization).
        signals: What was read from the ticket.
        backends: Where to look.
        playbook: For known-issue repositories and documented behaviours.
        route: The product route the searches use.
        now: The end of the window (default: the backend's clock, else now).
        limits: Time limits per source.
    """
    limits = limits or GatherLimits()
    until = now or (backends.hogql.now if backends.hogql else None) or datetime.now(UTC)
    since, until = _window(signals, until, limits.window_days)
    pack = EvidencePack(since=since, until=until, route=route)
    pack.documented = (
        playbook.documented_behaviour(signals.text) if _may_be_documented(signals) else None
    )
    derived = derive_signature(signals)
    if derived:
        pack.signature, pack.signature_kind = derived
    results: dict[str, list[_Draft]] = {}

    jobs: list[
        tuple[str, tuple[str, ...], SourceKind, str, float, Callable[[], Awaitable[list[_Draft]]]]
    ] = []
    if derived and backends.hogql is not None:
        jobs.append(
            (
                "impact",
                ("impact",),
                SourceKind.HOGQL,
                derived[0],
                limits.hogql,
                lambda: _impact_drafts(backends, pack, derived[0], derived[1]),
            )
        )
    hogql_jobs: list[
        tuple[str, tuple[str, ...], SourceKind, str, float, Callable[[], Awaitable[list[_Draft]]]]
    ] = [
        (
            "customer",
            ("customer_sdks",),
            SourceKind.HOGQL,
            f"SDKs in events of {ticket.customer.org_name or ticket.customer.org_id}",
            limits.hogql,
            lambda: _customer_drafts(backends, pack, ticket, signals),
        ),
    ]
    if "duplication" in signals.data_risk_kinds:
        hogql_jobs.append(
            (
                "duplicates",
                ("duplicates",),
                SourceKind.HOGQL,
                "events stored more than once with the same uuid",
                limits.hogql,
                lambda: _duplicate_drafts(backends, pack, signals),
            )
        )
    if route in WARNING_ROUTES or signals.data_risks:
        hogql_jobs.append(
            (
                "warnings",
                ("warnings",),
                SourceKind.HOGQL,
                "system.ingestion_warnings",
                limits.hogql,
                lambda: _warning_drafts(backends, pack),
            )
        )
    if backends.hogql is not None:
        jobs += hogql_jobs
    jobs += [
        (
            "docs",
            ("docs",),
            SourceKind.DOCS,
            docs_query_for(signals, pack.documented),
            limits.docs,
            lambda: _docs_drafts(backends, pack, signals, route),
        ),
        (
            "known",
            ("known_issues",),
            SourceKind.GITHUB,
            "known-issue search",
            limits.issues,
            lambda: _known_drafts(backends, pack, signals, playbook, route),
        ),
        (
            "incidents",
            ("incidents",),
            SourceKind.INCIDENT,
            "PostHog status incidents",
            limits.incidents,
            lambda: _incident_drafts(backends, pack),
        ),
    ]

    async def run(
        name: str,
        roles: tuple[str, ...],
        kind: SourceKind,
        query: str,
        seconds: float,
        job: Callable[[], Awaitable[list[_Draft]]],
    ) -> None:
        try:
            with anyio.fail_after(seconds):
                results[name] = await job()
        except TimeoutError:
            reason = f"{name} source timed out after {seconds:g} s"
            pack.failures.append(reason)
            results[name] = [_Draft(roles[0], kind, query, reason, status="timeout")]
        except EscalationError as exc:
            reason = f"{name} source failed: {exc.one_line()}"
            pack.failures.append(reason)
            results[name] = [_Draft(roles[0], kind, query, reason, status="failed")]
        except Exception as exc:  # a broken backend must not stop the escalation
            log.exception("evidence source %s crashed", name)
            reason = f"{name} source failed: {type(exc).__name__}: {exc}"[:300]
            pack.failures.append(reason)
            results[name] = [_Draft(roles[0], kind, query, reason, status="failed")]

    async with anyio.create_task_group() as group:
        for job in jobs:
            group.start_soon(run, *job)

    drafts = [d for found in results.values() for d in found] + [_ticket_draft(ticket, signals)]
    drafts.sort(key=lambda d: ROLES.index(d.role))
    wall = datetime.now(UTC)
    for number, draft in enumerate(drafts, start=1):
        evidence_id = f"E{number}"
        pack.roles.setdefault(draft.role, evidence_id)
        pack.items.append(
            Evidence(
                id=evidence_id,
                source=draft.source,
                query=draft.query,
                result=draft.result,
                finding=draft.finding,
                collected_at=wall if draft.live else until,
                status=draft.status,
                url=draft.url,
                figures=draft.figures or {},
                private_terms=draft.private_terms or [],
                public_finding=draft.public,
                live=draft.live,
            )
        )
    return pack


def _is_regression(signals: Signals) -> bool:
    """True when the ticket names a version where it broke (or the one it worked on before
    an upgrade), or quotes a typed error: a bug, not configuration."""
    return any(c.first_bad or c.last_good for c in signals.version_changes) or any(
        e.type for e in signals.errors
    )


def _may_be_documented(signals: Signals) -> bool:
    """Whether a documented behaviour may explain the ticket: not for a regression, and
    never when personal data is exposed (that goes to security, whatever the setting)."""
    return not _is_regression(signals) and "exposure" not in signals.data_risk_kinds
