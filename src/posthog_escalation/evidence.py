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
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import anyio
from pydantic import BaseModel, ConfigDict, Field

from .backends import Backends
from .errors import EscalationError
from .models import Evidence, SourceKind, Ticket
from .playbook import DocumentedBehaviour, Playbook
from .signals import Signals
from .tables import pipe_table
from .tools.docs import DocHit
from .tools.hogql import ImpactSummary, impact_summary
from .tools.incidents import Incident
from .tools.issues import KnownIssueCandidates, find_known_issues

log = logging.getLogger(__name__)

ROLES = (
    "impact",
    "top_orgs",
    "trend",
    "versions",
    "environments",
    "org_sessions",
    "customer_sdks",
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
    sdk = signals.primary_sdk
    bad = next((c.first_bad for c in signals.version_changes if c.first_bad), None)
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
    versions = figure("versions")
    if versions is not None and summary.versions:
        lead = summary.versions[0]
        finding = (
            f"{lead.share_of_affected:.0%} of affected events come from {lead.lib} {lead.version}"
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
        clean = [
            e for e in summary.environments if e.all_events and not e.affected_events and e.browser
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
        finding = (
            f"{lead.name or lead.key}: {lead.affected_sessions} of {lead.sessions} sessions "
            f"affected ({lead.share:.0%})"
        )
        if share is not None:
            finding += f"; across affected orgs {share:.0%} of sessions"
        drafts.append(
            _Draft(
                "org_sessions",
                SourceKind.HOGQL,
                shares.hogql,
                finding,
                pipe_table(shares.columns, shares.rows, max_rows=12),
            )
        )
    return drafts


async def _customer_drafts(backends: Backends, pack: EvidencePack, ticket: Ticket) -> list[_Draft]:
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
                f"Documented behaviour: {pack.documented.explanation}",
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
    strong = [c for c in known.candidates if c.confidence >= MATCH_CONFIDENCE]
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

MATCH_CONFIDENCE = 0.55
"""A candidate at or above this confidence is listed as a matching issue."""


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
    until = now or backends.hogql.now or datetime.now(UTC)
    since, until = _window(signals, until, limits.window_days)
    pack = EvidencePack(since=since, until=until, route=route)
    pack.documented = (
        playbook.documented_behaviour(signals.text) if not _is_regression(signals) else None
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
            lambda: _customer_drafts(backends, pack, ticket),
        ),
    ]
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
            )
        )
    return pack


def _is_regression(signals: Signals) -> bool:
    """True when the ticket names a version where it broke: a bug, not configuration."""
    return any(c.first_bad for c in signals.version_changes) or any(e.type for e in signals.errors)


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
            )
            self._items.append(item)
            return item
