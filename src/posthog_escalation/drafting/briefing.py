"""The messages the Claude drafter sends: the task (ticket, signals, evidence pack, policy)
and the gate's revision request.

Everything that came from a customer or a tool goes inside an ``<untrusted_…>`` block, and
any text in it that could open or close such a block is defused first, so a ticket cannot
end its block early and speak as the task.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from ..evidence import EvidencePack
from ..lint import Finding
from ..models import Escalation, Evidence, Ticket, TriageReport
from ..playbook import Playbook
from ..understanding import MISSING_FACT_QUESTIONS, Signals
from .prompts import render_prompt

_BLOCK_TAG = re.compile(r"<(/?)(\s*untrusted)", re.IGNORECASE)
QUERY_CHARS = 360


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every configured secret value replaced."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "[secret removed]")
    return text


def defuse(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` safe to put inside an untrusted block: secrets are replaced and block tags
    escaped."""
    return _BLOCK_TAG.sub(lambda m: f"&lt;{m.group(1)}{m.group(2)}", scrub(text, secrets))


def _one_line(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ticket_text(ticket: Ticket) -> str:
    """The ticket as plain text: subject, customer record, body, thread, links."""
    c = ticket.customer
    lines = [f"Ticket: {ticket.id}", f"Subject: {ticket.subject}"]
    if ticket.created_at:
        lines.append(f"Created: {ticket.created_at:%Y-%m-%d %H:%M} UTC")
    record = [
        ("organization", c.org_name),
        ("organization id", c.org_id),
        ("plan", c.plan),
        ("seats", c.seats),
        ("ARR (USD)", c.arr),
        ("MRR (USD)", c.mrr),
        ("region", c.region.value),
        ("renewal date", c.renewal_date),
        ("contract end", c.contract_end),
        ("project id", c.project_id),
    ]
    lines += [f"Customer {name}: {value}" for name, value in record if value not in (None, "")]
    lines += ["", ticket.body.strip()]
    for message in ticket.messages:
        when = f" at {message.time:%Y-%m-%d %H:%M} UTC" if message.time else ""
        who = message.author_name or message.author_role
        lines += ["", f"--- {message.author_role} ({who}){when}:", message.text.strip()]
    if ticket.links:
        lines += ["", "Links: " + ", ".join(ticket.links)]
    return "\n".join(lines).strip()


def triage_text(triage: TriageReport | None) -> str:
    """The triage report as plain text."""
    if triage is None:
        return "No triage report was given."
    lines = [f"Decision: {triage.decision.value}"]
    if triage.product_area:
        lines.append(f"Product area: {triage.product_area}")
    if triage.summary:
        lines.append(f"Summary: {triage.summary}")
    if triage.suggested_severity:
        lines.append(f"Suggested severity: {triage.suggested_severity.value}")
    lines += [f"Finding: {f}" for f in triage.findings]
    lines += [f"SDK hint: {h}" for h in triage.sdk_hints]
    lines += [f"Platform hint: {h}" for h in triage.platform_hints]
    return "\n".join(lines)


def signals_text(signals: Signals) -> str:
    """The signals the extractor read, one fact a line."""
    lines: list[str] = []
    if signals.sdks:
        lines.append(
            "SDKs: " + ", ".join(f"{s.package} {s.version or '(no version)'}" for s in signals.sdks)
        )
    for change in signals.version_changes:
        lines.append(f"Version change: last good {change.last_good}, first bad {change.first_bad}")
    lines += [f"Error: {_one_line(e.text, 240)}" for e in signals.errors[:3]]
    where = signals.platforms + signals.frameworks + signals.runtimes
    if where:
        lines.append("Platform: " + ", ".join(dict.fromkeys(where)))
    lines.append(f"Region: {signals.region.value}")
    if signals.started_on:
        lines.append(f"Started (as reported): {signals.started_on:%Y-%m-%d}")
    if signals.config_options:
        lines.append("Config mentioned: " + ", ".join(o.name for o in signals.config_options[:6]))
    if signals.links:
        lines.append("Links: " + ", ".join(link.url for link in signals.links[:5]))
    if signals.scope.phrases:
        lines.append(f"Scope ({signals.scope.level}): " + "; ".join(signals.scope.phrases[:3]))
    depth = signals.depth
    if depth.blocked_phrases or depth.workaround_phrases:
        quotes = depth.blocked_phrases[:2] + depth.workaround_phrases[:2]
        lines.append(f"Depth ({depth.level}): " + "; ".join(quotes))
    revenue = signals.revenue.phrases[:3] + signals.revenue.churn_phrases[:2]
    if revenue:
        lines.append("Revenue words: " + "; ".join(dict.fromkeys(revenue)))
    if signals.data_risks:
        lines.append(
            "Data-risk words: " + "; ".join(f"{r.kind}: {r.phrase}" for r in signals.data_risks[:3])
        )
    if signals.missing:
        lines.append(
            "Missing (ask the customer): "
            + "; ".join(MISSING_FACT_QUESTIONS[m] for m in signals.missing)
        )
    return "\n".join(lines)


def evidence_text(items: Iterable[Evidence]) -> str:
    """Each evidence row on two or three lines: id, source, status, finding, query, link."""
    lines: list[str] = []
    for item in items:
        lines.append(f"{item.id} [{item.source.value}, {item.status}] {item.finding}")
        lines.append(f"    query: {_one_line(item.query, QUERY_CHARS)}")
        if item.url:
            lines.append(f"    link: {item.url}")
    return "\n".join(lines)


def policy_text(
    baseline: Escalation,
    choices: list[str],
    pack: EvidencePack,
    playbook: Playbook,
    sdk: str | None,
) -> str:
    """What the playbook decided before the model writes: severity, routes, follow-up."""
    a = baseline.assessment
    orgs = "not measured" if a.affected_orgs is None else a.affected_orgs
    facts = (
        f"depth {a.depth.value}; blast radius {baseline.impact.blast_radius.value}; "
        f"affected organizations {orgs}; "
        f"data exposure {'yes' if a.data_exposure else 'no'}; data loss "
        f"{'yes' if a.data_loss else 'no'}; security {'yes' if a.security else 'no'}; revenue at "
        f"risk {'yes' if a.revenue_at_risk else 'no'}"
    )
    f = baseline.follow_up
    lines = [
        f"- Severity by the rubric: {baseline.severity.value} — {baseline.severity_rationale}.",
        f"  Facts it used: {facts}.",
        "- Routes you may choose (key: team, repository), the first is the default:",
    ]
    for key in choices:
        route = playbook.route(key)
        lines.append(f"  - {key}: {route.team}, {playbook.repo_for(route, sdk)}")
    context = playbook.route(choices[0]).context
    lines.append("- Context the receiving team needs: " + "; ".join(context))
    lines.append(
        f"- Follow-up: team {f.team_cadence} (next check by {f.next_team_check:%Y-%m-%d %H:%M} "
        f"UTC), customer {f.customer_cadence} (next update by "
        f"{f.next_customer_update:%Y-%m-%d %H:%M} UTC); say the latter in communication.expects."
    )
    if pack.documented is not None:
        lines.append(
            f"- The docs describe this as expected behaviour or a missing setup step "
            f"({pack.documented.explanation}). Fix: {pack.documented.resolution}. Recommend "
            "resolve_in_support unless the evidence shows a real bug."
        )
    lines.append("- Close or downgrade when: " + "; ".join(c.text for c in playbook.close_criteria))
    return "\n".join(lines)


def task_message(
    ticket: Ticket,
    triage: TriageReport | None,
    signals: Signals,
    pack: EvidencePack,
    *,
    baseline: Escalation,
    choices: list[str],
    playbook: Playbook,
    now: datetime,
    secrets: Iterable[str] = (),
) -> str:
    """The first user message: the ticket and all that code knows, delimited."""
    secrets = list(secrets)
    sdk = signals.primary_sdk.package if signals.primary_sdk else None
    return render_prompt(
        "draft",
        now=f"{now:%Y-%m-%d %H:%M} UTC",
        ticket=defuse(ticket_text(ticket), secrets),
        triage=defuse(triage_text(triage), secrets),
        signals=defuse(signals_text(signals), secrets),
        evidence=defuse(evidence_text(pack.items), secrets),
        policy=policy_text(baseline, choices, pack, playbook, sdk),
    )


def revision_message(findings: list[Finding], problem: str | None, evidence_ids: list[str]) -> str:
    """The one revision request: the gate's errors (or why the answer could not be read)."""
    lines = [f"- {f.one_line()}" for f in findings]
    if problem:
        lines.insert(0, f"- The answer could not be read: {problem}")
    return render_prompt(
        "revise", findings="\n".join(lines), evidence_ids=", ".join(evidence_ids) or "none"
    )
