"""The offline drafter: the playbook's rules applied to the signals and the evidence pack.

Deterministic and free: no model, no network. Every number it writes comes from an
evidence row and cites it. The ticket's text is only ever read by the signal extractor's
patterns, so instructions inside a ticket cannot change routing or severity.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Literal

from ..evidence import EvidencePack, days_before, likely_matches, problem_symptom
from ..lint import rubric_floor
from ..models import (
    Ask,
    AskKind,
    Assessment,
    BlastRadius,
    Cadence,
    CustomerCommunication,
    DailyCounts,
    Depth,
    Dimension,
    Dimensions,
    Environment,
    Escalation,
    FollowUpPlan,
    Impact,
    IssueRef,
    KnownIssueMatch,
    Region,
    Reproducibility,
    Reproduction,
    Routing,
    SdkVersion,
    Severity,
    Ticket,
    TriageReport,
)
from ..playbook import Playbook, Route, add_cadence
from ..tools.hogql import trend_phrase
from ..tools.incidents import Incident
from ..understanding import MISSING_FACT_QUESTIONS, Signals, VersionChange, sentence_with
from ..understanding.answerable import customer_text, failure_cue
from ..understanding.decide import Decision, decide, settle
from ..understanding.error_text import GENERIC_ERROR_TYPES
from .criteria import close_criteria, downgrade_criteria
from .environment import split_environment, still_missing

SYSTEMIC_ORGS = 10
"""At or above this many affected organizations the blast radius is systemic."""
RENEWAL_SOON_DAYS = 90
STOPS_THE_USER = frozenset({"crash", "freeze"})
"""Symptoms that stop every affected user outright, however few sessions they are."""
SECURITY_WORDS = re.compile(
    r"\b(?:vulnerabilit\w*|xss|csrf|sql injection|remote code|credential(?:s)? (?:leak|expos)\w*|"
    r"account takeover|privilege escalation)\b",
    re.IGNORECASE,
)
RELATIVE_SINCE = re.compile(
    r"\bsince (?:last )?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"yesterday|last week|the weekend)\b",
    re.IGNORECASE,
)
SERVER_SYMPTOMS = re.compile(
    r"\b(?:5\d\d|timeouts?|timed out|outage|unavailable|delay(?:ed)?|late events|"
    r"slow|rate limit\w*|429|down)\b",
    re.IGNORECASE,
)


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _day(moment: datetime | date | None) -> str:
    if isinstance(moment, datetime):
        return f"{moment:%Y-%m-%d %H:%M} UTC"
    return str(moment) if moment else "unknown"


def relevant_incident(pack: EvidencePack, signals: Signals) -> Incident | None:
    """A PostHog incident that overlaps the start of the problem, when the ticket's
    symptoms are the kind a server-side incident causes (5xx, timeouts, delays)."""
    if not pack.incidents:
        return None
    server_like = bool(SERVER_SYMPTOMS.search(signals.text)) or any(
        s >= 500 for s in signals.http_statuses
    )
    if not server_like:
        return None
    measured = (
        pack.impact.first_seen if pack.impact and pack.signature_kind == "exception" else None
    )
    reported = (
        datetime.combine(signals.started_on, datetime.min.time(), tzinfo=pack.until.tzinfo)
        if signals.started_on
        else None
    )
    start = measured or reported
    for incident in pack.incidents:
        if not _same_region(incident, signals):
            continue
        if start is None:
            return incident
        end = incident.resolved_at or pack.until
        if (incident.started_at - start).total_seconds() <= 86400 and end >= start:
            return incident
    return None


def _same_region(incident: Incident, signals: Signals) -> bool:
    """False only when the incident names one region and the customer is known to be in
    another (a self-hosted customer is never hit by a Cloud incident)."""
    where = (incident.region or "all").strip().lower()
    region = signals.region
    if region is Region.UNKNOWN or where in ("", "all", "global"):
        return True
    if region is Region.SELF_HOSTED:
        return False
    return where == region.value.lower()


MAJOR_INCIDENT = frozenset({"major", "critical"})
"""Status-page impacts that mean a PostHog-wide outage, not a single customer's problem."""


def settled_decision(
    ticket: Ticket,
    signals: Signals,
    pack: EvidencePack,
    playbook: Playbook,
    incident: Incident | None,
    decision: Decision | None = None,
) -> Decision:
    """The routing decision for the ticket, revisited with the evidence (an incident in
    the window, a documented behaviour, the docs section that answers the problem): the
    one decision both drafters use."""
    decision = decision or decide(signals, playbook, ticket=ticket)
    answer = pack.docs_answer
    return settle(
        decision,
        signals,
        playbook,
        ticket=ticket,
        incident_components=[*incident.components, incident.name] if incident else None,
        documented=pack.documented,
        docs_url=answer.url if answer else (pack.docs[0].url if pack.docs else None),
        docs_heading=answer.breadcrumb if answer else None,
        docs_sentence=answer.sentence if answer else None,
        docs_confidence=answer.confidence if answer else None,
    )


def _assessment(
    signals: Signals, pack: EvidencePack, ticket: Ticket, now: datetime, blocked_share: float | None
) -> Assessment:
    kinds = signals.data_risk_kinds
    crash = bool(STOPS_THE_USER & set(signals.symptoms))
    if pack.documented is not None or signals.depth.level in ("workaround", "minor"):
        depth = Depth.INCONVENIENCED
    elif signals.depth.level == "blocked" and (
        crash or blocked_share is None or blocked_share >= 0.5
    ):
        depth = Depth.BLOCKED
    else:
        depth = Depth.DEGRADED
    renewal = signals.revenue.renewal_date or ticket.customer.renewal_date
    renewal_soon = renewal is not None and 0 <= (renewal - now.date()).days <= RENEWAL_SOON_DAYS
    enterprise = signals.revenue.enterprise or (ticket.customer.plan or "").lower() == "enterprise"
    return Assessment(
        depth=depth,
        data_exposure="exposure" in kinds and pack.documented is None,
        data_loss=bool({"loss", "deletion", "corruption"} & set(kinds)) and pack.documented is None,
        security=bool(SECURITY_WORDS.search(signals.text)),
        revenue_at_risk=signals.revenue.at_risk or (enterprise and renewal_soon),
        affected_orgs=measured_orgs(pack),
    )


def measured_orgs(pack: EvidencePack) -> int | None:
    """How many organizations the data shows affected: those with the error, or with
    duplicated events; None when the data cannot tell (exposure to a version is not
    breakage)."""
    if pack.impact is not None and pack.signature_kind == "exception":
        return pack.impact.affected_orgs or None
    if pack.duplicates:
        return len(pack.duplicates)
    return None


def _blast_radius(signals: Signals, pack: EvidencePack, incident: Incident | None) -> BlastRadius:
    if incident is not None and incident.impact in MAJOR_INCIDENT:
        return BlastRadius.SYSTEMIC
    if pack.duplicates:
        orgs = len(pack.duplicates)
        if orgs >= SYSTEMIC_ORGS:
            return BlastRadius.SYSTEMIC
        return BlastRadius.MULTIPLE_ORGS if orgs > 1 else BlastRadius.ORG_WIDE
    if pack.impact is not None and pack.signature_kind == "exception":
        orgs, persons = pack.impact.affected_orgs, pack.impact.affected_persons
        if orgs >= SYSTEMIC_ORGS:
            return BlastRadius.SYSTEMIC
        if orgs > 1:
            return BlastRadius.MULTIPLE_ORGS
        if orgs == 1 and persons <= 1:
            return BlastRadius.SINGLE_USER
        if orgs == 1:
            return BlastRadius.ORG_WIDE
    if signals.scope.level == "single":
        return BlastRadius.SINGLE_USER
    return BlastRadius.ORG_WIDE


def _customer_label(ticket: Ticket) -> str:
    c = ticket.customer
    name = c.org_name or c.org_id or "The reporting organization"
    extras = [x for x in (c.plan, c.seats and f"{c.seats} seats") if x]
    return f"{name} ({', '.join(str(x) for x in extras)})" if extras else name


_SUBJECT_NOISE = re.compile(
    r"^\s*(?:\[[^\]]{1,30}\]\s*|(?:bug|issue|feature|question|fix)(?:\([^)]{0,30}\))?\s*[:\-–]\s*)+",
    re.IGNORECASE,
)
PLATFORM_NAMES = {
    "web": "web",
    "ios": "iOS",
    "android": "Android",
    "flutter": "Flutter",
    "react-native": "React Native",
    "backend": "server-side",
    "unity": "Unity",
}
ANSWER_NAMES = {"question": "a how-to question", "feature_request": "a feature request"}


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word.lower())}(?![\w-])", text.lower()) is not None


def _summary(
    ticket: Ticket, signals: Signals, pack: EvidencePack, product: Route, decision: Decision
) -> str:
    """What was found, in one line: the customer's symptom (the subject without template
    noise, relative dates resolved), the product area or SDK in front unless the subject
    names it, then the SDK and version, the platform, the error type and the number of
    organizations hit, each only when the subject does not already say it."""
    subject = _SUBJECT_NOISE.sub("", ticket.subject).strip().strip("`").rstrip(".!?") or (
        ticket.subject.strip()
    )
    if signals.started_on:
        subject = RELATIVE_SINCE.sub(f"since {signals.started_on:%Y-%m-%d}", subject)
    extras: list[str] = []
    sdk_name = decision.repository.sdk
    mention = next((s for s in signals.sdks if s.package == sdk_name), None)
    version = next((c.first_bad for c in signals.version_changes if c.first_bad), None) or (
        mention.version if mention else None
    )
    if sdk_name and not _mentions(subject, sdk_name):
        extras.append(f"{sdk_name} {version}" if version and version not in subject else sdk_name)
    elif version and version not in subject and sdk_name:
        extras.append(f"version {version}")
    said = any(_mentions(subject, r.split()[0]) for r in signals.runtimes)
    runtime = next((r for r in signals.runtimes if not _mentions(subject, r.split()[0])), None)
    platform = next((p for p in signals.platforms if p in PLATFORM_NAMES), None)
    if runtime and not said:
        extras.append(runtime)
    elif platform and not said and not _mentions(subject, PLATFORM_NAMES[platform]):
        extras.append(PLATFORM_NAMES[platform])
    error = next((e.type for e in signals.errors if e.type), None)
    short = error.split(".")[-1] if error else ""
    if short and short not in GENERIC_ERROR_TYPES and short not in subject and len(short) <= 40:
        extras.append(short)
    if pack.impact and pack.signature_kind == "exception" and pack.impact.affected_orgs > 1:
        extras.append(f"{pack.impact.affected_orgs} orgs")
    if decision.answer is not None and decision.answer.kind in ANSWER_NAMES:
        extras.append(ANSWER_NAMES[decision.answer.kind])
    lowered = subject.lower()
    named = lowered.startswith(product.area.lower()) or any(
        _mentions(lowered, word) for word in product.keywords
    )
    lead = sdk_name if product.key == "sdk_bug" and sdk_name else product.area
    head = subject if named or _mentions(subject, lead) else f"{lead}: {subject}"
    if len(f"{head} {' '.join(extras)}".split()) < SPECIFIC_WORDS:
        detail = _detail(signals, subject)
        if detail:
            head = f"{head}: {detail}"
        if signals.region is not Region.UNKNOWN:
            extras.append(REGION_NAMES[signals.region])
        if named and not _mentions(head, product.area):
            extras.append(product.area)
    if len(f"{head} {' '.join(extras)}".split()) < SPECIFIC_WORDS and ticket.created_at:
        extras.append(f"reported {ticket.created_at:%Y-%m-%d}")
    text = f"{head} ({', '.join(dict.fromkeys(extras))})" if extras else head
    return _short(text, 160)


SPECIFIC_WORDS = 5
"""The quality gate asks for at least five words; a shorter subject gets a detail."""
REGION_NAMES = {
    Region.US: "PostHog Cloud US",
    Region.EU: "PostHog Cloud EU",
    Region.SELF_HOSTED: "self-hosted",
}


def _detail(signals: Signals, subject: str) -> str | None:
    """What the ticket says beyond a short subject: the error it quotes, else what happens
    instead of what was expected, else the first sentence of its problem text."""
    for error in signals.errors:
        phrase = error.key_phrase or error.text
        if phrase and phrase.lower() not in subject.lower():
            return _short(phrase, 80)
    if signals.actual and signals.actual.strip(" .") and len(signals.actual.split()) >= 2:
        return _short(signals.actual.strip(), 80)
    first = re.split(r"(?<=[.!?])\s", problem_symptom(signals), maxsplit=1)[0].strip()
    if len(first.split()) >= 3 and first.lower() not in subject.lower():
        return _short(first.rstrip("."), 70)
    return None


def _cite(ids: list[str]) -> str:
    return f" [{', '.join(ids)}]" if ids else ""


def _pct(share: float | None) -> str:
    return "n/a" if share is None else f"{share:.0%}"


def _since(pack: EvidencePack, start: datetime) -> str:
    """``since <day>``, or ``in the window`` when it was already there when the window
    starts (the first event in the data is then not when it started)."""
    if days_before(pack.since, start) < 1:
        return "in the window"
    return f"since {start:%Y-%m-%d}"


def _own_share(pack: EvidencePack, name: str) -> tuple[str, list[str]] | None:
    """The customer's own share of sessions since its problem started, with the baseline,
    as written in the customer-impact row (None when it was not measured)."""
    own = pack.customer_impact
    cites = pack.cite("customer_impact")
    if own is None or own.started_at is None or not cites:
        return None
    when = _since(pack, own.started_at)
    if not own.affected_sessions:
        verb = "sent events from that version" if pack.signature_kind == "version" else "hit it"
        return f"{own.affected_persons} persons of {name} {verb} {when}", cites
    verb = "had events from that version" if pack.signature_kind == "version" else "hit the error"
    text = (
        f"{own.affected_sessions} of {own.sessions} sessions of {name} {when} {verb} "
        f"({_pct(own.share)})"
    )
    if own.baseline_sessions:
        days = days_before(pack.since, own.started_at)
        if days >= 1:
            text += f", {_pct(own.baseline_share)} in the {days} days before"
    return text, cites


def _impact(
    ticket: Ticket,
    signals: Signals,
    pack: EvidencePack,
    radius: BlastRadius,
    triage: TriageReport | None,
) -> Impact:
    c = ticket.customer
    who = _customer_label(ticket)
    ticket_cite = pack.cite("ticket")
    cites: list[str] = []
    if c.seats is not None and ticket_cite:
        who += _cite(ticket_cite)
        cites += ticket_cite
    own = pack.customer_impact
    own_cite = pack.cite("customer_impact")
    if own is not None and own.started_at is not None and own_cite:
        counted = (
            f"{own.affected_sessions} sessions"
            if own.affected_sessions
            else f"{own.affected_events} events"
        )
        who += (
            f": {own.affected_persons} persons and {counted} "
            f"{_since(pack, own.started_at)}{_cite(own_cite)}"
        )
        cites += own_cite
    impact = pack.impact
    if (
        impact
        and pack.signature_kind == "exception"
        and impact.cross_customer
        and impact.affected_orgs
        and impact.first_seen
    ):
        hit = {o.key for o in impact.top_orgs}
        among = pack.customer_org is not None and pack.customer_org.key in hit
        orgs = f"{impact.affected_orgs} organization{'s' if impact.affected_orgs != 1 else ''}"
        lead = "one of" if among else "the data shows"
        who += (
            f"; {lead} {orgs} with the error {_since(pack, impact.first_seen)}, "
            f"{impact.affected_persons} persons in all{_cite(pack.cite('impact'))}"
        )
        cites += pack.cite("impact")
    elif impact is not None and not impact.cross_customer:
        who += "; other organizations are not counted (no cross-customer project is configured)"
    if pack.documented is not None:
        cannot_do = f"{_short(ticket.subject, 120)} (documented behaviour, see the docs)"
    elif triage and triage.summary:
        cannot_do = _short(triage.summary.split(";")[0], 200)
    else:
        cannot_do = _short(ticket.subject, 200)
    workaround = None
    if pack.documented is not None:
        workaround = pack.documented.resolution
        cites += pack.cite("documented")
    elif signals.depth.workaround_phrases:
        said = sentence_with(signals.text, signals.depth.workaround_phrases[0])
        workaround = f'the customer reports: "{_short(said, 160)}"'
    return Impact(
        who=who,
        cannot_do=cannot_do,
        blast_radius=radius,
        workaround=workaround,
        evidence=list(dict.fromkeys(cites or ticket_cite)),
    )


def _breadth(signals: Signals, pack: EvidencePack, incident: Incident | None) -> Dimension:
    impact = pack.impact
    if pack.duplicates:
        total = sum(d.duplicated_events for d in pack.duplicates)
        extra = sum(d.extra_copies for d in pack.duplicates)
        first = min((d.first_seen for d in pack.duplicates if d.first_seen), default=None)
        since = f", first on {first[:10]}" if first else ""
        return Dimension(
            statement=(
                f"{len(pack.duplicates)} organizations have events stored more than once with "
                f"the same uuid: {total} events duplicated ({extra} extra copies){since}"
            ),
            evidence=pack.cite("duplicates"),
        )
    if incident is not None and incident.impact in MAJOR_INCIDENT:
        components = ", ".join(incident.components) or "PostHog"
        return Dimension(
            statement=(
                f"Systemic: the PostHog incident '{incident.name}' ({incident.impact}, "
                f"region {incident.region or 'all'}) hits every organization using "
                f"{components}; the number of organizations cannot be counted from this "
                "project's events because the failing requests never become events"
            ),
            evidence=pack.cite("incidents"),
        )
    warned = _warnings_statement(signals, pack)
    if warned is not None and not (impact and impact.affected_events):
        return warned
    flags = _flag_calls_clause(pack)
    if flags is not None and not (impact and pack.signature_kind == "exception"):
        base = _breadth_from_data(signals, pack)
        return Dimension(
            statement=f"{flags}{_cite(pack.cite('flag_calls'))}; "
            f"{base.statement[0].lower()}{base.statement[1:]}",
            evidence=list(dict.fromkeys(pack.cite("flag_calls") + base.evidence)),
        )
    return _breadth_from_data(signals, pack)


TALKS_OF_WARNINGS = re.compile(r"\bingestion warnings?\b|\bwarnings? (?:page|tab|list)\b", re.I)


def _warnings_statement(signals: Signals, pack: EvidencePack) -> Dimension | None:
    """Breadth from ingestion warnings, when the ticket is about them and there are some."""
    if not pack.warnings or not TALKS_OF_WARNINGS.search(signals.text):
        return None
    total = sum(w.warnings for w in pack.warnings)
    lead = pack.warnings[0]
    first = (lead.first_seen or "")[:16].replace("T", " ")
    return Dimension(
        statement=(
            f"{total} ingestion warnings in the window, most of type '{lead.type}' "
            f"({lead.warnings}, first {first} UTC); the warnings are not events, so the data "
            "does not say how many organizations they come from"
        ),
        evidence=pack.cite("warnings"),
    )


def _flag_calls_clause(pack: EvidencePack) -> str | None:
    """What the ``$feature_flag_called`` events for the ticket's flags show, if counted."""
    item = pack.item("flag_calls")
    if pack.flag_calls is None or item is None or item.status != "ok":
        return None
    return f"Flag evaluations reported: {item.finding}"


def _breadth_from_data(signals: Signals, pack: EvidencePack) -> Dimension:
    impact = pack.impact
    trend = _trend_clause(pack)
    if impact is not None and pack.signature_kind == "exception":
        if not impact.affected_events:
            return Dimension(
                statement=(
                    f"0 events in the data match the error between {_day(pack.since)} and "
                    f"{_day(pack.until)}: the error is not captured as an event, so breadth "
                    "rests on the ticket alone"
                ),
                evidence=pack.cite("impact"),
            )
        first = impact.first_seen
        before = ""
        if first is not None and days_before(impact.since, first) >= 1:
            since = f"since it was first seen {first:%Y-%m-%d %H:%M} UTC"
            before = f", none in the {days_before(impact.since, first)} days before"
        else:
            since = (
                f"in the window from {_day(impact.since)} (it was already there when the "
                "window starts)"
            )
        if impact.cross_customer:
            statement = (
                f"In the cross-customer data, {impact.affected_orgs} organizations, "
                f"{impact.affected_persons} persons and {impact.affected_events} events hit the "
                f"error {since}{before}{_cite(pack.cite('impact'))}"
            )
        else:
            statement = (
                f"In the customer's own project, {impact.affected_persons} persons and "
                f"{impact.affected_events} events hit the error {since}{before}"
                f"{_cite(pack.cite('impact'))}; other organizations are not counted because "
                "no cross-customer project is configured"
            )
        cites = pack.cite("impact")
        shares = pack.cite("org_sessions")
        if shares and impact.session_share is not None:
            statement += (
                f"; {_pct(impact.session_share)} of those organizations' sessions since then"
            )
            if impact.baseline_session_share is not None and before:
                statement += f", {_pct(impact.baseline_session_share)} before"
            statement += _cite(shares)
            cites += shares
        if trend is not None:
            statement += f"; {trend[0]}"
            cites += trend[1]
        return Dimension(statement=statement, evidence=list(dict.fromkeys(cites)))
    if impact is not None and pack.signature_kind == "version":
        if impact.cross_customer:
            who = f"{impact.affected_orgs} organizations and {impact.affected_persons} persons"
        else:
            who = f"In the customer's own project {impact.affected_persons} persons"
        return Dimension(
            statement=(
                f"{who} sent events from the version the ticket names"
                f"{_cite(pack.cite('impact'))}; that is exposure to the version, "
                "the failure itself is not captured as an event"
            ),
            evidence=pack.cite("impact"),
        )
    scope = signals.scope.phrases[0] if signals.scope.phrases else "no scope given"
    if pack.signature is None:
        because = "the ticket names no error or SDK version that can be counted in the data"
    elif pack.item("impact") is not None:
        because = "the HogQL query that counts it did not answer"
    else:
        because = "no PostHog project is configured for HogQL evidence, so nothing was counted"
    return Dimension(
        statement=(
            f"Unknown beyond the reporting organization, because {because} "
            f"(the customer says: {scope})"
        ),
        evidence=[*pack.cite("impact"), *pack.cite("ticket")],
    )


def _trend_clause(pack: EvidencePack) -> tuple[str, list[str]] | None:
    """The daily trend in words, by the stated test, citing the per-day row."""
    impact = pack.impact
    cites = pack.cite("trend")
    if impact is None or impact.trend is None or not cites:
        return None
    return f"daily count {trend_phrase(impact.trend)}{_cite(cites)}", cites


def _depth(
    signals: Signals, pack: EvidencePack, assessment: Assessment, ticket: Ticket
) -> Dimension:
    parts = [assessment.depth.value.capitalize()]
    cites: list[str] = []
    if pack.documented is not None:
        parts.append(f"the docs give a fix: {pack.documented.resolution}")
        cites += pack.cite("documented")
    elif signals.depth.workaround_phrases:
        said = sentence_with(signals.text, signals.depth.workaround_phrases[0])
        parts.append(f'workaround: "{_short(said, 120)}"')
    elif signals.depth.blocked_phrases:
        quoted = ", ".join(f'"{_short(p, 60)}"' for p in signals.depth.blocked_phrases[:3])
        parts.append(f"no workaround (the customer says {quoted})")
    else:
        parts.append("no workaround is known")
    impact = pack.impact
    name = ticket.customer.org_name or ticket.customer.org_id or "the customer"
    own = _own_share(pack, name)
    if own is not None and pack.signature_kind == "exception":
        parts.append(own[0] + _cite(own[1]))
        cites += own[1]
    clean = [
        e
        for e in (impact.environments if impact else [])
        if e.all_events and not e.affected_events and e.browser
    ]
    if impact and pack.signature_kind == "exception" and impact.affected_events and clean:
        names = ", ".join(dict.fromkeys(e.browser or e.os or "other" for e in clean[:3]))
        parts.append(f"{names} are unaffected{_cite(pack.cite('environments'))}")
        cites += pack.cite("environments")
    return Dimension(statement="; ".join(parts), evidence=cites or pack.cite("ticket"))


def _duration(
    signals: Signals, pack: EvidencePack, ticket: Ticket, incident: Incident | None, now: datetime
) -> Dimension:
    parts: list[str] = []
    cites: list[str] = []
    impact = pack.impact
    if impact and pack.signature_kind == "exception" and impact.first_seen:
        parts.append(
            f"First seen in the data {_day(impact.first_seen)}{_cite(pack.cite('impact'))}"
        )
        cites += pack.cite("impact")
        if impact.starts_in_version:
            parts.append(
                f"it starts with version {impact.starts_in_version}{_cite(pack.cite('versions'))}"
            )
            cites += pack.cite("versions")
    if signals.started_on:
        parts.append(f"the customer reports it started {signals.started_on:%Y-%m-%d}")
    change = next((c for c in signals.version_changes if c.first_bad), None)
    if change:
        good = f"works on {change.last_good}, " if change.last_good else ""
        parts.append(f"{good}broken on {change.first_bad}, per the ticket")
    if incident is not None:
        parts.append(
            f"it overlaps the PostHog incident '{incident.name}' "
            f"({_day(incident.started_at)} to "
            f"{_day(incident.resolved_at) if incident.resolved_at else 'still ongoing'})"
        )
        cites += pack.cite("incidents")
    elif pack.incidents or "incidents" in pack.roles:
        parts.append(f"no PostHog incident explains it{_cite(pack.cite('incidents'))}")
        cites += pack.cite("incidents")
    said = re.sub(r"\[E\d+(?:, E\d+)*\]", "", " ".join(parts))
    if not parts or not re.search(r"\d{4}-\d{2}-\d{2}", said):
        reported = ticket.created_at or now
        parts.insert(0, f"Reported {reported:%Y-%m-%d}; the ticket gives no start date")
    statement = "; ".join(parts)
    return Dimension(
        statement=statement[0].upper() + statement[1:], evidence=list(dict.fromkeys(cites))
    )


def _revenue(signals: Signals, ticket: Ticket, pack: EvidencePack) -> Dimension:
    c = ticket.customer
    facts = []
    if c.plan:
        facts.append(f"{c.plan} plan")
    if c.seats:
        facts.append(f"{c.seats} seats")
    if c.arr:
        facts.append(f"ARR ${c.arr:,.0f}")
    renewal = signals.revenue.renewal_date or c.renewal_date
    if renewal:
        facts.append(f"renewal on {renewal:%Y-%m-%d}")
    if signals.revenue.churn_phrases:
        facts.append(f'the customer says "{_short(signals.revenue.churn_phrases[0], 100)}"')
    elif signals.revenue.phrases:
        facts.append(f'the ticket mentions "{_short(signals.revenue.phrases[0], 80)}"')
    if not facts:
        return Dimension(statement="No revenue signal: plan unknown, no renewal or churn language")
    statement = "; ".join(facts)
    return Dimension(statement=statement[0].upper() + statement[1:], evidence=pack.cite("ticket"))


def _data_risk(signals: Signals, pack: EvidencePack) -> Dimension:
    words = {
        "exposure": "exposed",
        "loss": "lost",
        "deletion": "deleted",
        "corruption": "corrupted",
        "duplication": "duplicated",
    }
    if pack.documented is not None or not signals.data_risks:
        return Dimension(
            statement="No loss, corruption or exposure of customer data is reported or visible "
            "in the evidence"
        )
    parts = []
    for risk in signals.data_risks[:3]:
        parts.append(f'data {words[risk.kind]}: "{_short(risk.phrase, 100)}"')
    recover = (
        "exposure must be stopped and assessed now"
        if "exposure" in signals.data_risk_kinds
        else "whether it can be recovered is for the owning team to confirm"
    )
    statement = "; ".join(parts) + f"; {recover}"
    return Dimension(statement=statement[0].upper() + statement[1:], evidence=pack.cite("ticket"))


_STEP_LINE = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+(.{8,200})$", re.MULTILINE)


def _ticket_steps(ticket: Ticket) -> list[str]:
    text = ticket.body
    marker = re.search(r"(?i)steps? to reproduce|to reproduce|repro(?:duction)? steps", text)
    if not marker:
        return []
    steps = [m.group(1).strip() for m in _STEP_LINE.finditer(text[marker.end() :])]
    return steps[:8] if len(steps) >= 2 else []


Side = Literal["customer", "server", "app"]
"""Where the problem lives: the customer's code and SDK, PostHog's services, PostHog's app."""


def _question(fact: str, signals: Signals, side: Side = "customer") -> str:
    """What to ask for ``fact``: the SDK version by the name of the package the ticket
    names; for a problem in PostHog's own services (``server``) logs, and in its app
    (``app``) the browser and its console, rather than the SDK's debug output."""
    named = [s.package for s in signals.sdks if not s.plugin and not s.version]
    if fact == "sdk_version" and len(named) == 1:
        return f"Which exact version of {named[0]} are you using?"
    if fact == "debug_logs" and side == "server":
        return "The error or log output around the failure (for self-hosted, the server logs)"
    if fact == "platform" and side == "app":
        return "Which browser (and version) shows it in PostHog?"
    if fact == "debug_logs" and side == "app":
        return "The browser console and network output in PostHog when it fails"
    return MISSING_FACT_QUESTIONS[fact]


SERVER_SIDE_ROUTES = frozenset({"cdp", "data_warehouse", "billing", "infrastructure"})
"""Routes whose problems live in PostHog's own services: the customer's SDK is not part of
reproducing them, so its version and platform are not asked for."""


def _environment(
    signals: Signals,
    pack: EvidencePack,
    ticket: Ticket,
    server_side: bool,
    triage: TriageReport | None = None,
    *,
    app_side: bool = False,
) -> Environment:
    sdks = [SdkVersion(name=s.package, version=s.version) for s in signals.sdks]
    unrelated = server_side or app_side
    if not sdks and pack.customer_sdks and not unrelated:
        lead = pack.customer_sdks[0]
        sdks = [SdkVersion(name=f"{lead.lib} (from $lib)", version=lead.version)]
    implied = signals.implied_sdk
    if not sdks and implied is not None and not unrelated:
        sdks = [SdkVersion(name=f"{implied.package} (implied)", version=implied.version)]
    platform, systems, browsers, frameworks, runtimes = split_environment(signals, triage, pack)
    unknown = "not relevant (PostHog-side)" if server_side else None
    region = signals.region if signals.region is not Region.UNKNOWN else ticket.customer.region
    return Environment(
        sdks=sdks,
        platform=platform or unknown or "unknown — ask the customer",
        os=systems,
        browsers=browsers,
        frameworks=frameworks,
        runtimes=runtimes,
        region=region,
    )


def _where(env: Environment) -> str:
    """Browsers and systems as a short phrase: ``Safari 18.1, Mobile Safari (iOS)``."""
    parts = ", ".join(env.browsers)
    systems = ", ".join(env.os)
    if parts and systems:
        return f"{parts} ({systems})"
    return parts or systems


def _expected(
    signals: Signals, pack: EvidencePack, change: VersionChange | None, failure: str | None = None
) -> str:
    """What should happen, from the first source that says it: the documented behaviour,
    the customer's own words, a docs sentence, the last version that worked, or the absence
    of the error (else the failure) the ticket reports."""
    if pack.documented is not None:
        return f"{pack.documented.explanation}{_cite(pack.cite('documented'))}"
    if signals.expected:
        return f'The customer expected: "{_short(signals.expected, 200)}"'
    if pack.expected and pack.docs:
        return f'"{pack.expected}" ({pack.docs[0].breadcrumb}){_cite(pack.cite("docs"))}'
    if change is not None and change.last_good:
        name = change.package or (signals.primary_sdk.package if signals.primary_sdk else "it")
        return (
            f"It works as on {name} {change.last_good}, the last version that worked "
            "(per the ticket)"
        )
    if signals.errors:
        return (
            "The same steps complete without the error the ticket reports "
            f"({_short(signals.errors[0].text, 120)})"
        )
    if failure:
        said = signals.subject
        if len(said.split()) < 4:
            said = sentence_with(signals.text, failure)
        said = _short(said, 160)
        quoted = said if '"' in said else f'"{said}"'
        return f"The same steps work without the failure the ticket reports ({quoted})"
    return ""


def _reproduction(
    ticket: Ticket,
    signals: Signals,
    pack: EvidencePack,
    area: str,
    route_key: str,
    triage: TriageReport | None = None,
    *,
    failure: str | None = None,
    app_side: bool = False,
) -> Reproduction:
    server_side = route_key in SERVER_SIDE_ROUTES
    env = _environment(signals, pack, ticket, server_side, triage, app_side=app_side)
    steps = _ticket_steps(ticket)
    sdk_text = ", ".join(str(s) for s in env.sdks)
    if not steps and env.sdks:
        steps = [f"Set up {sdk_text} ({env.platform})"]
        where = _where(env)
        if where:
            steps.append(f"Open it in {where}")
        steps.append(f"Do what the customer reports: {_short(ticket.subject, 120)}")
        if signals.errors:
            steps.append(f"Watch for the error: {_short(signals.errors[0].text, 160)}")
        else:
            steps.append(f"Check the result in PostHog's {area} view")
    facts = still_missing(signals, ticket, triage, pack)
    if server_side:
        facts = [m for m in facts if m not in ("sdk_version", "platform")]
    elif app_side:
        facts = [m for m in facts if m != "sdk_version"]
    side: Side = "server" if server_side else "app" if app_side else "customer"
    missing = [_question(m, signals, side) for m in facts]
    if not steps and not missing:
        missing.append(MISSING_FACT_QUESTIONS["reproduction"])
    change = next((c for c in signals.version_changes if c.first_bad or c.last_good), None)
    expected = _expected(signals, pack, change, failure)
    if not expected:
        missing.append("What did you expect to happen instead?")
    actual = _short(signals.actual or ticket.subject, 160)
    if signals.errors:
        actual += f"; error: {_short(signals.errors[0].text, 200)}"
    reproducibility = Reproducibility.UNKNOWN
    conditions = None
    impact = pack.impact
    if impact and pack.signature_kind == "exception" and impact.affected_events:
        hit = [e for e in impact.environments if e.affected_events]
        clean = [e for e in impact.environments if e.all_events and not e.affected_events]
        if clean or impact.starts_in_version:
            reproducibility = Reproducibility.SPECIFIC_CONDITIONS
            where = ", ".join(dict.fromkeys(e.browser or e.os or "other" for e in hit[:3]))
            version = f" on {impact.starts_in_version}" if impact.starts_in_version else ""
            conditions = f"only {where}{version}" if where else f"only{version}"
        else:
            reproducibility = Reproducibility.INTERMITTENT
    elif signals.scope.level == "all":
        reproducibility = Reproducibility.ALWAYS
    works_on = None
    if change is not None and change.last_good:
        works_on = f"{change.package or sdk_text.split(' ')[0] or 'version'} {change.last_good}"
    return Reproduction(
        environment=env,
        steps=steps,
        expected=expected,
        actual=actual,
        reproducibility=reproducibility,
        conditions=conditions,
        missing=missing,
        error=signals.errors[0].text if signals.errors else None,
        works_on=works_on,
        symptoms=list(signals.symptoms[:4]),
    )


def _known(pack: EvidencePack) -> KnownIssueMatch:
    known = pack.known
    cite = (pack.cite("known_issues") or [None])[0]
    if known is None:
        item = pack.item("known_issues")
        return KnownIssueMatch(search_terms=[item.query] if item else [])
    matching = [c.to_issue_ref(evidence=cite) for c in likely_matches(known)]
    keys = {m.key for m in matching}
    prs: list[IssueRef] = []
    for candidate in known.candidates:
        if candidate.key in keys:
            prs += [p.to_issue_ref() for p in candidate.related_prs]
    unique = list({p.key: p for p in prs}.values())
    return KnownIssueMatch(
        search_terms=known.search_terms, matching_issues=matching, related_prs=unique
    )


def _asks(
    signals: Signals,
    pack: EvidencePack,
    route: str,
    assessment: Assessment,
    known: KnownIssueMatch,
    incident: Incident | None,
    renewal: date | None,
    workaround: str | None,
) -> list[Ask]:
    asks: list[Ask] = []
    sdk = signals.primary_sdk
    impact = pack.impact
    symptom = _short(signals.subject, 90)
    if pack.documented is not None:
        asks.append(
            Ask(
                kind=AskKind.CONFIRM_EXPECTED_BEHAVIOUR,
                detail=f"Confirm this is documented behaviour ({pack.documented.id}) so support "
                "can resolve it without a code change",
            )
        )
        asks.append(Ask(kind=AskKind.PROVIDE_WORKAROUND, detail=pack.documented.resolution))
        return asks
    if route == "security":
        asks.append(
            Ask(
                kind=AskKind.INVESTIGATE_ROOT_CAUSE,
                detail=f"Confirm what data is exposed ({symptom}) and stop the exposure",
            )
        )
        asks.append(
            Ask(
                kind=AskKind.DECIDE,
                detail="Decide whether affected customers and their users must be notified",
            )
        )
    if incident is not None:
        asks.append(
            Ask(
                kind=AskKind.CONFIRM_REGRESSION,
                detail=f"Confirm the failures are explained by the incident '{incident.name}' "
                "and whether any data from that window needs replaying",
            )
        )
    version = (
        impact.starts_in_version if impact and pack.signature_kind == "exception" else None
    ) or next((c.first_bad for c in signals.version_changes if c.first_bad), None)
    if version and sdk and version.startswith(f"{sdk.lib} "):
        version = version[len(sdk.lib) + 1 :]
    if known.matching_issues:
        best = known.matching_issues[0]
        asks.append(
            Ask(
                kind=AskKind.CONFIRM_REGRESSION,
                detail=f"Confirm this is {best.key} ({_short(best.title, 80)}) and add this "
                "customer's evidence to it",
            )
        )
    elif version and incident is None:
        name = sdk.package if sdk else "the SDK"
        asks.append(
            Ask(
                kind=AskKind.CONFIRM_REGRESSION,
                detail=f"Confirm that {name} {version} introduced this regression: {symptom}",
            )
        )
    elif route != "security" and incident is None:
        where = sdk.package if sdk else "PostHog"
        asks.append(
            Ask(
                kind=AskKind.INVESTIGATE_ROOT_CAUSE,
                detail=f"Find the root cause in {where}: {symptom}",
            )
        )
    if known.related_prs:
        pr = known.related_prs[0]
        when = f" before the customer's renewal on {renewal:%Y-%m-%d}" if renewal else ""
        asks.append(Ask(kind=AskKind.PRIORITIZE_FIX, detail=f"Land and release {pr.key}{when}"))
    elif assessment.revenue_at_risk and renewal:
        asks.append(
            Ask(
                kind=AskKind.PRIORITIZE_FIX,
                detail=f"Prioritize a fix before the customer's renewal on {renewal:%Y-%m-%d}",
            )
        )
    pinning = _pinning_sentence(signals)
    last_good = next((c.last_good for c in signals.version_changes if c.last_good), None)
    if workaround is None and route != "security" and pinning and last_good:
        asks.append(
            Ask(
                kind=AskKind.PROVIDE_WORKAROUND,
                detail=f"Say how the customer can stay on {last_good} until a fix ships; the "
                f'ticket says: "{_short(pinning, 140)}"',
            )
        )
    return asks


PINNING = re.compile(r"\b(?:pin|downgrad|roll ?back|revert)\w*", re.IGNORECASE)
"""Words of going back to the last version that worked."""


def _pinning_sentence(signals: Signals) -> str | None:
    """The customer's sentence saying going back to the last version that worked is not
    an option for them, when the ticket names that version."""
    if not any(c.last_good for c in signals.version_changes):
        return None
    for phrase in [*signals.depth.blocked_phrases, *signals.depth.workaround_phrases]:
        sentence = sentence_with(signals.text, phrase)
        if PINNING.search(sentence):
            return sentence
    return None


PROMISE = re.compile(
    r"\b(?:within|in(?: the next)?)\s+(?P<n>\d{1,3})\s*"
    r"(?P<unit>business days?|hours?|hrs?|h|days?)\b",
    re.IGNORECASE,
)
"""A reply's promise of the next update ("Next update within 24 hours")."""


def promised_update(ticket: Ticket) -> tuple[datetime, str] | None:
    """When the last support reply promised the next update, and the words it used."""
    support = [m for m in ticket.messages if m.author_role in ("support", "engineer")]
    if not support or support[-1].time is None:
        return None
    match = PROMISE.search(support[-1].text)
    if not match:
        return None
    n, unit = int(match.group("n")), match.group("unit").lower()
    hours = n * 24 if unit.startswith("day") else n
    if unit.startswith("business"):
        return add_cadence(support[-1].time, Cadence(low=n, high=n, unit="business_days")), (
            match.group(0)
        )
    return support[-1].time + timedelta(hours=hours), match.group(0)


def _communication(
    ticket: Ticket, signals: Signals, assessment: Assessment, next_update: datetime, cadence: str
) -> CustomerCommunication:
    """What the ticket's messages say the customer was told and promised; nothing else."""
    support = [m for m in ticket.messages if m.author_role in ("support", "engineer")]
    if support:
        last = support[-1]
        when = f" on {last.time:%Y-%m-%d %H:%M} UTC" if last.time else ""
        knows = f'Support told them{when}: "{_short(last.text, 240)}"'
    else:
        knows = "Nothing yet: the ticket has no reply from support"
    promise = promised_update(ticket)
    if promise is not None:
        expects = (
            f"An update by {promise[0]:%Y-%m-%d %H:%M} UTC (support promised one {promise[1]})"
        )
    else:
        expects = (
            f"No update was promised in the ticket; by the cadence ({cadence}) the next is due "
            f"{next_update:%Y-%m-%d %H:%M} UTC"
        )
    renewal = signals.revenue.renewal_date or ticket.customer.renewal_date
    if signals.revenue.churn_phrases or (assessment.revenue_at_risk and renewal):
        risk, reason = (
            "high",
            (
                f'says "{_short(signals.revenue.churn_phrases[0], 80)}"'
                if signals.revenue.churn_phrases
                else f"renewal on {renewal:%Y-%m-%d}"
            ),
        )
    elif assessment.revenue_at_risk or signals.revenue.enterprise:
        risk, reason = "medium", "enterprise account"
    else:
        risk, reason = "low", "no churn or renewal language in the ticket"
    return CustomerCommunication(knows=knows, expects=expects, churn_risk=risk, churn_reason=reason)


def _context(
    signals: Signals, pack: EvidencePack, reproduction: Reproduction, incident: Incident | None
) -> list[str]:
    """What the team needs that the Environment and Reproduction blocks do not already
    say: the last version that worked, where the data comes from, and what the ticket
    names (statuses, flags, events, config, links)."""
    items: list[str] = []
    if reproduction.works_on:
        items.append(f"Last version that worked: {reproduction.works_on} (per the ticket)")
    if signals.http_statuses:
        items.append(f"HTTP statuses: {', '.join(str(c) for c in signals.http_statuses[:6])}")
    if signals.flag_keys:
        items.append(f"Feature flags named: {', '.join(signals.flag_keys[:6])}")
    if signals.event_names:
        items.append(f"Events named: {', '.join(signals.event_names[:6])}")
    hogql = [i.id for i in pack.items if i.source.value == "hogql" and i.status == "ok"]
    if hogql:
        where = []
        if pack.impact_project:
            where.append(f"organizations and totals from {pack.impact_project}")
        if pack.customer_project and pack.customer_project != pack.impact_project:
            where.append(f"the customer's figures from {pack.customer_project}")
        detail = f"; {'; '.join(where)}" if where else ""
        items.append(f"HogQL evidence: {', '.join(hogql)} (queries in Evidence details){detail}")
    links = [link.url for link in signals.links if link.kind not in ("docs", "other")]
    if links:
        items.append(f"Links: {', '.join(links[:4])}")
    if signals.config_options:
        items.append(
            "Config mentioned: "
            + ", ".join(
                f"{o.name}={o.value}" if o.value else o.name for o in signals.config_options[:5]
            )
        )
    if incident is not None:
        items.append(f"Incident: {incident.name} ({_day(incident.started_at)})")
    return items


def _rationale(rules: list[str], severity: Severity, pack: EvidencePack, signals: Signals) -> str:
    said = f'the ticket says "{_short(signals.depth.cue, 80)}"' if signals.depth.cue else ""
    if rules:
        about_depth = any("blocked" in rule.lower() for rule in rules)
        return "; ".join([*rules, *([said] if said and about_depth else [])])
    if pack.documented is not None:
        return "documented behaviour with a fix support can give"
    if said and signals.depth.level in ("workaround", "minor"):
        return f"{severity.value}: {said}"
    return "no rule of the rubric for High or Critical holds for this assessment"


def draft_offline(
    ticket: Ticket,
    triage: TriageReport | None,
    signals: Signals,
    pack: EvidencePack,
    playbook: Playbook,
    *,
    now: datetime,
    decision: Decision | None = None,
) -> Escalation:
    """Write the escalation from the signals and the evidence pack, by the playbook.

    ``decision`` is the routing decision made before the evidence was gathered (made
    here when omitted); it is settled with the evidence before it is used.
    """
    incident = relevant_incident(pack, signals)
    decision = settled_decision(ticket, signals, pack, playbook, incident, decision)
    route_key, product_key = decision.route, decision.product_route
    route, product = playbook.route(route_key), playbook.route(product_key)
    sdk = signals.primary_sdk
    share = None
    if pack.impact and pack.signature_kind == "exception" and pack.impact.org_sessions:
        share = pack.impact.org_sessions[0].share
    assessment = _assessment(signals, pack, ticket, now, share)
    radius = _blast_radius(signals, pack, incident)
    impact = _impact(ticket, signals, pack, radius, triage)
    rules = rubric_floor(assessment, radius, impact.workaround, playbook)
    severity = min((r.min_severity for r in rules), key=lambda s: s.rank, default=Severity.MEDIUM)
    cadence = playbook.cadence(severity)
    failure = failure_cue(customer_text(ticket), playbook)
    reproduction = _reproduction(
        ticket,
        signals,
        pack,
        product.area,
        product_key,
        triage,
        failure=failure,
        app_side=decision.repository.app_side,
    )
    known = _known(pack)
    renewal = signals.revenue.renewal_date or ticket.customer.renewal_date
    asks = _asks(signals, pack, route_key, assessment, known, incident, renewal, impact.workaround)
    next_customer = add_cadence(now, cadence.customer)
    promise = promised_update(ticket)
    if promise is not None and now < promise[0] < next_customer:
        next_customer = promise[0]
    communication = _communication(
        ticket, signals, assessment, next_customer, str(cadence.customer)
    )
    recommendation = decision.recommendation
    reason = ""
    if pack.documented is not None:
        url = pack.docs[0].url if pack.docs else "the docs"
        reason = f"{pack.documented.explanation} ({url})"
    elif decision.answer is not None and recommendation == "resolve_in_support":
        reason = decision.answer.reason
    affected_repo = decision.repo
    customer = ticket.customer.org_name or ticket.customer.org_id or "the customer"
    check = pack.cite("impact") if pack.signature_kind == "exception" else []
    criteria = [
        close_criteria(
            customer=customer,
            known=known,
            documented=pack.documented,
            incident=incident,
            change=next((c for c in signals.version_changes if c.first_bad), None),
            package=sdk.package if sdk else None,
            check=check[0] if check and pack.impact and pack.impact.affected_events else None,
        ),
        *downgrade_criteria(customer=customer, severity=severity, rules=rules, renewal=renewal),
    ]
    return Escalation(
        ticket_id=ticket.id,
        summary=_summary(ticket, signals, pack, product, decision),
        severity=severity,
        severity_rationale=_rationale(
            [r.message.rstrip(".") for r in rules], severity, pack, signals
        ),
        product_area=product.area,
        affected_repo=affected_repo,
        date=now.date(),
        created_at=now,
        recommendation=recommendation,
        recommendation_reason=reason,
        impact=impact,
        assessment=assessment,
        dimensions=Dimensions(
            breadth=_breadth(signals, pack, incident),
            depth=_depth(signals, pack, assessment, ticket),
            duration=_duration(signals, pack, ticket, incident, now),
            revenue_signal=_revenue(signals, ticket, pack),
            data_risk=_data_risk(signals, pack),
        ),
        evidence=pack.items,
        reproduction=reproduction,
        known_issues=known,
        asks=asks,
        communication=communication,
        routing=Routing(
            route=route_key,
            team=route.team,
            channel=channel_for(route, affected_repo),
            labels=playbook.labels_for(route, sdk.package if sdk else None),
            context=[
                *_context(signals, pack, reproduction, incident),
                *decision.context_lines(),
            ],
        ),
        follow_up=FollowUpPlan(
            team_cadence=cadence.team,
            customer_cadence=cadence.customer,
            next_team_check=add_cadence(now, cadence.team),
            next_customer_update=next_customer,
        ),
        close_criteria=criteria,
        daily=daily_counts(pack),
    )


GITHUB_CHANNEL = re.compile(r"^GitHub issue in\b.*?(?P<tail>\s+\(and [^)]*\))?$")


def channel_for(route: Route, repo: str) -> str:
    """Where this escalation goes: the affected repository when the route files GitHub
    issues in a public repository (any note such as "and the incident channel when live"
    kept), else the route's own channel."""
    match = GITHUB_CHANNEL.match(route.channel)
    if not route.public or match is None:
        return route.channel
    return f"GitHub issue in {repo}{match.group('tail') or ''}"


def daily_counts(pack: EvidencePack) -> DailyCounts | None:
    """Every UTC day of the window with its count (0 when none), for the chart."""
    impact = pack.impact
    cites = pack.cite("trend")
    if impact is None or impact.first_seen is None or not cites:
        return None
    counts = {d.day: d.events for d in impact.events_per_day}
    first, last = impact.since.date(), impact.until.date()
    if impact.until.time() == datetime.min.time():
        last -= timedelta(days=1)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    label = "first seen"
    if pack.signature_kind == "exception" and impact.starts_in_version:
        label = f"first seen, {impact.starts_in_version}"
    start: date | None = impact.first_seen.date()
    if days_before(impact.since, impact.first_seen) < 1:
        start, label = None, "it was already there when the window starts"
    exposure = pack.signature_kind == "version"
    what = "events from that version" if exposure else "events matching the error"
    return DailyCounts(
        evidence=cites[0],
        what=what,
        days=days,
        counts=[counts.get(d, 0) for d in days],
        start=start,
        start_label=label,
        trend=trend_phrase(impact.trend) if impact.trend else "",
    )
