"""The evidence pack: every fact the escalation may cite, gathered in parallel.

Each source runs under its own time limit. A source that fails or times out becomes an
evidence row saying what failed and why; the escalation is still produced. Evidence ids
(``E1``, ``E2``, ...) are assigned in a fixed order of roles once everything is back, so
the same inputs always give the same ids.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import anyio
from pydantic import BaseModel, ConfigDict, Field

from .backends import Backends
from .errors import EscalationError
from .models import Evidence, SourceKind, Ticket
from .playbook import DocumentedBehaviour, Playbook
from .signals import Signals, sentence_with
from .tables import pipe_table
from .tools.docs import DocHit
from .tools.hogql import ImpactSummary, impact_summary
from .tools.incidents import Incident
from .tools.issues import (
    LISTING_THRESHOLD,
    KnownIssueCandidate,
    KnownIssueCandidates,
    find_known_issues,
)

log = logging.getLogger(__name__)

ROLES = (
    "impact",
    "top_orgs",
    "trend",
    "versions",
    "environments",
    "org_sessions",
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


async def _impact_drafts(
    backends: Backends, pack: EvidencePack, signature: str, kind: SignatureKind
) -> list[_Draft]:
    summary = await impact_summary(
        backends.hogql, signature, since=pack.since, until=pack.until, now=pack.until
    )
    pack.impact = summary
    drafts: list[_Draft] = []

    def figure(name: str) -> Any:
        try:
            return summary.figure(name)
        except KeyError:
            return None

    what = "events matching the error" if kind == "exception" else "events from that version"
    totals = figure("affected_events")
    if totals is not None:
        finding = (
            f"{summary.affected_events} {what} from {summary.affected_orgs} organizations and "
            f"{summary.affected_persons} persons ({summary.affected_sessions} sessions) "
            f"between {_day(summary.since)} and {_day(summary.until)}"
        )
        drafts.append(
            _Draft(
                "impact",
                SourceKind.HOGQL,
                totals.hogql,
                finding,
                pipe_table(totals.columns, totals.rows),
                figures={
                    "events": summary.affected_events,
                    "affected_orgs": summary.affected_orgs,
                    "affected_persons": summary.affected_persons,
                    "affected_sessions": summary.affected_sessions,
                },
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
            )
        )
    trend = figure("growing")
    if trend is not None and summary.first_seen is not None:
        direction = "growing" if summary.growing else "not growing"
        ratio = f" (ratio {summary.growth_ratio:.2f})" if summary.growth_ratio else ""
        drafts.append(
            _Draft(
                "trend",
                SourceKind.HOGQL,
                trend.hogql,
                f"First seen {_day(summary.first_seen)}, last seen {_day(summary.last_seen)}; "
                f"daily count is {direction}{ratio}",
                pipe_table(trend.columns, trend.rows, max_rows=31),
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
            )
        )
    shares = figure("org_sessions")
    if shares is not None and summary.org_sessions:
        share = summary.session_share
        lead = summary.org_sessions[0]
        what = "with events from that version" if exposure else "affected"
        finding = (
            f"{lead.name or lead.key}: {lead.affected_sessions} of {lead.sessions} sessions "
            f"{what} ({lead.share:.0%})"
        )
        if share is not None:
            scope = "those" if exposure else "affected"
            finding += f"; across {scope} orgs {share:.0%} of sessions"
        drafts.append(
            _Draft(
                "org_sessions",
                SourceKind.HOGQL,
                shares.hogql,
                finding,
                pipe_table(shares.columns, shares.rows, max_rows=12),
                private_terms=_org_terms((o.name, o.key) for o in summary.org_sessions),
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
    answer = await backends.hogql.query(query)
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
        )
    ]


async def _flag_call_drafts(
    backends: Backends, pack: EvidencePack, signals: Signals, org_key: str | None
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
    answer = await backends.hogql.query(query)
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
        )
    ]


async def _customer_drafts(
    backends: Backends, pack: EvidencePack, ticket: Ticket, signals: Signals | None = None
) -> list[_Draft]:
    """The customer's organization in the data, the SDKs it sends from, and (when the
    ticket names flags) how those flags were reported as evaluated."""
    drafts = await _customer_sdk_drafts(backends, pack, ticket)
    if signals is not None and signals.flag_keys:
        key = pack.customer_org.key if pack.customer_org else None
        drafts += await _flag_call_drafts(backends, pack, signals, key)
    return drafts


async def _customer_sdk_drafts(
    backends: Backends, pack: EvidencePack, ticket: Ticket
) -> list[_Draft]:
    customer = ticket.customer
    tests = []
    if customer.org_id:
        tests.append(f"key = {hogql_string(customer.org_id)}")
    if customer.org_name:
        tests.append(f"lower(properties.name) = lower({hogql_string(customer.org_name)})")
    if not tests:
        return []
    lookup = (
        "SELECT key, properties.name AS name FROM groups "
        f"WHERE index = 0 AND ({' OR '.join(tests)}) LIMIT 1"
    )
    found = await backends.hogql.query(lookup)
    if not found.results:
        return [
            _Draft(
                "customer_sdks",
                SourceKind.HOGQL,
                lookup,
                f"The customer's organization ({customer.org_name or customer.org_id}) is not "
                "in the queried project",
                pipe_table(found.columns, found.results),
            )
        ]
    key, name = found.results[0][0], found.results[0][1]
    pack.customer_org = OrgMatch(key=str(key), name=name)
    query = (
        "SELECT properties.$lib AS lib, properties.$lib_version AS version, count() AS events,\n"
        "  max(timestamp) AS last_seen\n"
        f"FROM events\nWHERE $group_0 = {hogql_string(str(key))}\n"
        f"  AND timestamp >= toDateTime('{_ts(pack.since)}') AND timestamp < "
        f"toDateTime('{_ts(pack.until)}')\n"
        "GROUP BY lib, version\nORDER BY events DESC\nLIMIT 10"
    )
    answer = await backends.hogql.query(query)
    rows = answer.results
    pack.customer_sdks = [
        SdkSeen(lib=r[0], version=r[1], events=int(r[2]), last_seen=str(r[3]) if r[3] else None)
        for r in rows
    ]
    seen = ", ".join(f"{s.lib} {s.version} ({s.events} events)" for s in pack.customer_sdks[:4])
    return [
        _Draft(
            "customer_sdks",
            SourceKind.HOGQL,
            query,
            f"{name or key} sends events from: {seen or 'no events in the window'}",
            pipe_table(answer.columns, rows),
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


async def _docs_drafts(
    backends: Backends, pack: EvidencePack, signals: Signals, route: str | None
) -> list[_Draft]:
    query = docs_query_for(signals, pack.documented)
    hits: list[DocHit] = await anyio.to_thread.run_sync(
        lambda: backends.docs.search(query, limit=5)
    )
    if route and pack.documented is None:
        hits.sort(key=lambda h: (h.route != route,))
    pack.docs = hits[:3]
    if not hits:
        return [_Draft("docs", SourceKind.DOCS, query, "No docs section matched the symptom")]
    top = hits[0]
    result = "\n".join(f"{h.breadcrumb} — {h.url}\n  {h.snippet}" for h in hits[:3])
    drafts = [
        _Draft(
            "docs",
            SourceKind.DOCS,
            query,
            f"Docs: {top.breadcrumb} — {' '.join(top.snippet.split())[:180]}",
            result,
            url=top.url,
        )
    ]
    if pack.documented is not None:
        drafts.append(
            _Draft(
                "documented",
                SourceKind.DOCS,
                query,
                f"Documented behaviour: {pack.documented.explanation} Resolution: "
                f"{pack.documented.resolution}",
                result,
                url=top.url,
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
        )
    ]


WARNING_ROUTES = frozenset({None, "ingestion", "sdk_bug", "cdp", "product_analytics"})
"""Routes whose escalations look at ingestion warnings (data that went missing or wrong)."""

MATCH_CONFIDENCE = LISTING_THRESHOLD
"""A candidate at or above this confidence is listed as a matching issue (the known-issue
search's calibrated threshold)."""

LEADER_CONFIDENCE = 0.3
LEADER_MARGIN = 0.1
"""Below :data:`MATCH_CONFIDENCE`, the top candidate still counts as the likely match when
it has at least ``LEADER_CONFIDENCE`` and leads the runner-up by ``LEADER_MARGIN``: one
clear candidate is a lead worth giving the team; several close ones are ambiguous."""


def likely_matches(known: KnownIssueCandidates) -> list[KnownIssueCandidate]:
    """The issues (not PRs) the escalation lists as matching the ticket, best first.

    Every issue at or above :data:`MATCH_CONFIDENCE`; when there is none, the top issue if
    it is a clear leader (see :data:`LEADER_CONFIDENCE`). Only candidates the search
    returned can be listed, so a match is never invented.
    """
    issues = [c for c in known.candidates if c.kind == "issue"]
    strong = [c for c in issues if c.confidence >= MATCH_CONFIDENCE]
    if strong or not issues:
        return strong
    top, rest = issues[0], issues[1:]
    runner_up = rest[0].confidence if rest else 0.0
    if top.confidence >= LEADER_CONFIDENCE and top.confidence - runner_up >= LEADER_MARGIN:
        return [top]
    return []


ANALYTICS_VIEW_ROUTES = frozenset({"product_analytics", "web_analytics"})
EVENT_DATA_RISKS = frozenset({"duplication", "loss"})


def refine_route(signals: Signals, route: str | None) -> str | None:
    """The product route the evidence is gathered for.

    A route the triage named is kept. A keyword guess that lands on an analytics view
    (insights, web analytics) while the ticket says events are duplicated or missing is
    moved to ingestion: wrong numbers from bad event data are the pipeline's problem,
    not the view's.
    """
    if signals.product_area or route not in ANALYTICS_VIEW_ROUTES:
        return route
    if EVENT_DATA_RISKS & set(signals.data_risk_kinds):
        return "ingestion"
    return route


async def _incident_drafts(backends: Backends, pack: EvidencePack) -> list[_Draft]:
    found = await backends.incidents.incidents(pack.since, pack.until)
    pack.incidents = found
    query = f"PostHog status incidents between {_day(pack.since)} and {_day(pack.until)}"
    if not found:
        return [
            _Draft("incidents", SourceKind.INCIDENT, query, "No PostHog incident in the window")
        ]
    lines = [
        f"{i.name} [{i.impact}] {_day(i.started_at)} to "
        f"{_day(i.resolved_at) if i.resolved_at else 'ongoing'}; components: "
        f"{', '.join(i.components) or 'n/a'}; region: {i.region or 'all'}"
        for i in found
    ]
    lead = found[0]
    ended = _day(lead.resolved_at) if lead.resolved_at else "ongoing"
    return [
        _Draft(
            "incidents",
            SourceKind.INCIDENT,
            query,
            f"{len(found)} PostHog incident(s) in the window; latest: {lead.name} "
            f"({_day(lead.started_at)} to {ended})",
            "\n".join(lines),
            url=lead.url,
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
    route = refine_route(signals, route)
    until = now or backends.hogql.now or datetime.now(UTC)
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
    if derived:
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
    jobs += [
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
        jobs.append(
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
        jobs.append(
            (
                "warnings",
                ("warnings",),
                SourceKind.HOGQL,
                "system.ingestion_warnings",
                limits.hogql,
                lambda: _warning_drafts(backends, pack),
            )
        )
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
    collected = datetime.now(UTC)
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
                collected_at=collected,
                status=draft.status,
                url=draft.url,
                figures=draft.figures or {},
                private_terms=draft.private_terms or [],
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


class EvidenceLog:
    """Numbered evidence shared by one drafting session.

    The pre-fetched pack comes first; every tool result the session produces is appended
    with the next id, so whatever a draft cites exists. Safe to use from several threads.
    """

    def __init__(self, items: list[Evidence] | None = None) -> None:
        self._items: list[Evidence] = list(items or [])
        self._lock = threading.Lock()

    @property
    def items(self) -> list[Evidence]:
        """A copy of every evidence item, in id order."""
        with self._lock:
            return list(self._items)

    def get(self, evidence_id: str) -> Evidence | None:
        """The item with ``evidence_id``, if any."""
        with self._lock:
            return next((e for e in self._items if e.id == evidence_id), None)

    def add(
        self,
        source: SourceKind,
        query: str,
        finding: str,
        *,
        result: str = "",
        url: str | None = None,
        figures: dict[str, float] | None = None,
        status: Literal["ok", "failed", "timeout"] = "ok",
        private_terms: list[str] | None = None,
    ) -> Evidence:
        """Record a new item under the next id and return it."""
        with self._lock:
            item = Evidence(
                id=f"E{len(self._items) + 1}",
                source=source,
                query=query,
                result=result,
                finding=finding,
                collected_at=datetime.now(UTC),
                status=status,
                url=url,
                figures=figures or {},
                private_terms=private_terms or [],
            )
            self._items.append(item)
            return item
