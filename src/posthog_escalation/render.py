"""Render an :class:`~posthog_escalation.models.Escalation` as markdown in the template.

The first part is the skill's template, heading for heading and label for label; the
sections the template leaves implicit (the five dimensions with the daily counts as a
chart, routing, follow-ups, close/downgrade criteria, the queries behind the evidence)
follow it. Every number in Impact and the dimensions shows the evidence id it comes from.

Two flavours: ``internal`` (everything, for support and the receiving team) and
``public`` (the body of a public GitHub issue). The public flavour is not this text with
words removed: :mod:`~posthog_escalation.public` writes it from an allow-list of fields,
and a redactor then runs over it as a second line of defence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from .lint import inline_citations
from .models import DailyCounts, Escalation, Evidence, IssueRef, Reproduction

Flavour = Literal["internal", "public"]
Redactor = Callable[[str], str]

TEMPLATE_HEADINGS = (
    "## ESCALATION:",
    "### Impact",
    "### Evidence gathered",
    "### Reproduction",
    "### Known issue match",
    "### What's needed",
    "### Customer communication status",
)
EXTRA_HEADINGS = (
    "### Quantification",
    "### Routing",
    "### Follow-up plan",
    "### Close or downgrade when",
    "### Evidence details",
)
DIMENSION_LABELS = {
    "breadth": "Breadth",
    "depth": "Depth",
    "duration": "Duration",
    "revenue_signal": "Revenue signal",
    "data_risk": "Data risk",
}


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _cites(ids: list[str]) -> str:
    return f" [{', '.join(ids)}]" if ids else ""


def _issue_line(ref: IssueRef) -> str:
    state = "" if ref.kind == "pr" else f" ({ref.state})"
    title = f" — {ref.title}" if ref.title else ""
    why = f"; {ref.confidence:.0%} match" if ref.confidence is not None else ""
    cite = f" [{ref.evidence}]" if ref.evidence else ""
    return f"{ref.url}{state}{title}{why}{cite}"


def _issue_list(refs: list[IssueRef], empty: str) -> str:
    if not refs:
        return f" {empty}"
    return "".join(f"\n  - {_issue_line(r)}" for r in refs)


def _evidence_row(item: Evidence) -> str:
    source = item.source.label
    finding = item.finding
    if item.status != "ok":
        finding = f"{item.status.upper()}: {finding}"
    if item.url:
        finding = f"{finding} ({item.url})"
    return f"| {item.id} | {source} | {_cell(finding)} |"


def environment_lines(repro: Reproduction) -> list[str]:
    """SDK, platform, then OS, browser, framework and runtime each on its own line when
    known, then the region."""
    env = repro.environment
    asked = any(re.search(r"\bsdk\b", q, re.I) for q in repro.missing)
    if env.platform.startswith("not relevant"):
        unknown = env.platform
    else:
        unknown = "unknown — ask the customer" if asked else "not named in the ticket"
    sdks = ", ".join(str(s) for s in env.sdks) or unknown
    lines = [f"- SDK: {sdks}", f"- Platform: {env.platform}"]
    for label, values in (
        ("OS", env.os),
        ("Browser", env.browsers),
        ("Framework", env.frameworks),
        ("Runtime", env.runtimes),
    ):
        if values:
            lines.append(f"- {label}: {', '.join(values)}")
    lines.append(f"- PostHog region: {env.region.value}")
    return lines


def _environment(repro: Reproduction) -> list[str]:
    return ["**Environment:**", *environment_lines(repro)]


def _reproduction(repro: Reproduction) -> list[str]:
    lines = ["### Reproduction", *_environment(repro), "", "**Steps:**"]
    if repro.steps:
        lines += [f"{n}. {step}" for n, step in enumerate(repro.steps, start=1)]
    else:
        lines.append("1. Not reproduced yet — see what is missing below.")
    reproducibility = repro.reproducibility.value
    if repro.conditions:
        reproducibility = f"{reproducibility} ({repro.conditions})"
    lines += [
        "",
        f"**Expected:** {repro.expected or 'not stated yet'}",
        f"**Actual:** {repro.actual or 'not stated yet'}",
        f"**Reproducibility:** {reproducibility}",
    ]
    if repro.missing:
        lines.append(f"**Missing (asked of the customer):** {'; '.join(repro.missing)}")
    return lines


def collected(item: Evidence) -> str:
    """When a row was collected: the escalation's clock, or the wall clock of a live
    backend, said as such."""
    when = f"{item.collected_at:%Y-%m-%d %H:%M} UTC"
    return f"collected live at {when}" if item.live else when


def chart_lines(daily: DailyCounts) -> list[str]:
    """The daily counts as a Mermaid ``xychart-beta`` bar chart (GitHub renders it), the
    first bad day marked on the x axis, and a caption saying what it shows."""
    labels = []
    for day in daily.days:
        label = f"{day:%m-%d}"
        if daily.start == day:
            label += " start"
        labels.append(f'"{label}"')
    top = max(daily.counts, default=0)
    lines = [
        "```mermaid",
        "xychart-beta",
        f'    title "{daily.what.capitalize()} per day ({daily.evidence})"',
        f"    x-axis [{', '.join(labels)}]",
        f'    y-axis "per day" 0 --> {max(top, 1)}',
        f"    bar [{', '.join(str(c) for c in daily.counts)}]",
        "```",
    ]
    caption = f"Daily counts from {daily.evidence}, UTC days"
    if daily.start is not None:
        caption += f"; the problem starts {daily.start:%Y-%m-%d} ({daily.start_label})"
    elif daily.start_label:
        caption += f"; {daily.start_label}"
    caption += "; the first and last days may be partial"
    if daily.trend:
        caption += f". Trend: {daily.trend}"
    return [*lines, "", f"*{caption}.*"]


def _details(items: list[Evidence]) -> list[str]:
    lines = ["### Evidence details"]
    for item in items:
        lines += [
            "",
            f"**{item.id}** ({item.source.label}, {collected(item)})",
            "",
            "```" + ("sql" if item.source.value == "hogql" else "text"),
            item.query,
            "```",
        ]
        if item.result:
            lines += ["", "<details><summary>Result</summary>", "", "```text", item.result]
            lines += ["```", "", "</details>"]
    return lines


def _with_cites(text: str, ids: list[str]) -> str:
    """``text`` with the ids it cites shown: the ones not already cited inline."""
    shown = set(inline_citations(text))
    rest = [i for i in ids if i not in shown]
    return f"{text}{_cites(rest)}"


def _follow_up(e: Escalation) -> list[str]:
    f = e.follow_up
    if f.closed_at is not None:
        reason = f": {f.closed_reason}" if f.closed_reason else ""
        return [
            "### Follow-up plan",
            f"- **Closed** {f.closed_at:%Y-%m-%d %H:%M} UTC{reason}; no further follow-ups",
        ]
    return [
        "### Follow-up plan",
        f"- **Team:** {f.team_cadence}; next check {f.next_team_check:%Y-%m-%d %H:%M} UTC",
        f"- **Customer:** {f.customer_cadence}; next update "
        f"{f.next_customer_update:%Y-%m-%d %H:%M} UTC",
    ]


def render_markdown(
    escalation: Escalation,
    flavour: Flavour = "internal",
    *,
    redactor: Redactor | None = None,
) -> str:
    """The escalation as markdown.

    Args:
        escalation: What to render.
        flavour: ``internal`` for the full text, ``public`` for the public issue body
            (:func:`~posthog_escalation.public.render_public`).
        redactor: For the public flavour, applied over the whole text as a second line of
            defence. When omitted a pattern redactor is used; pass one built from the
            ticket so the customer's names are replaced too.
    """
    if flavour == "public":
        from .public import render_public

        return render_public(escalation, redactor=redactor)
    e = escalation
    workaround = f"exists — {e.impact.workaround}" if e.impact.workaround else "none available"
    severity = e.severity.value
    if e.severity_rationale:
        severity = f"{severity} — {e.severity_rationale}"
    lines = [f"## ESCALATION: {e.summary}", ""]
    if e.recommendation == "resolve_in_support":
        reason = e.recommendation_reason or "the evidence points to configuration"
        lines += [f"> **Recommendation: resolve in support.** {reason}", ""]
    terms = "; ".join(f"`{t}`" for t in e.known_issues.search_terms)
    impact_cites = [] if inline_citations(e.impact.who) else e.impact.evidence
    lines += [
        f"**Severity:** {severity}",
        f"**Product area:** {e.product_area}",
        f"**Affected repo:** {e.affected_repo}",
        f"**Date:** {e.date.isoformat()}",
        "",
        "### Impact",
        f"- **Who:** {e.impact.who}{_cites(impact_cites)}",
        f"- **What they can't do:** {e.impact.cannot_do}",
        f"- **Blast radius:** {e.impact.blast_radius.value}",
        f"- **Workaround:** {workaround}",
        "",
        "### Evidence gathered",
        "| # | Source | Finding |",
        "|---|--------|---------|",
        *[_evidence_row(item) for item in e.evidence],
        "",
        *_reproduction(e.reproduction),
        "",
        "### Known issue match",
        f"- **GitHub search terms used:** {terms}",
        "- **Matching issues:**" + _issue_list(e.known_issues.matching_issues, "no match found"),
        "- **Related PRs:**" + _issue_list(e.known_issues.related_prs, "none found"),
        "",
        "### What's needed",
        *[f"- {ask}" for ask in e.asks],
        "",
        "### Customer communication status",
        f"- **Customer knows:** {e.communication.knows}",
        f"- **Customer expects:** {e.communication.expects}",
    ]
    churn = e.communication.churn_risk
    if e.communication.churn_reason:
        churn = f"{churn} — {e.communication.churn_reason}"
    lines += [f"- **Churn risk:** {churn}", "", "### Quantification"]
    for name, dim in e.dimensions.items():
        lines.append(f"- **{DIMENSION_LABELS[name]}:** {_with_cites(dim.statement, dim.evidence)}")
    if e.daily is not None:
        lines += ["", *chart_lines(e.daily)]
    r = e.routing
    lines += [
        "",
        "### Routing",
        f"- **Route:** {r.route}",
        f"- **Team:** {r.team}",
        f"- **Where:** {r.channel}",
        f"- **Labels:** {', '.join(f'`{label}`' for label in r.labels) or 'none'}",
        "- **Context for the team:**",
        *[f"  - {item}" for item in r.context],
        "",
        *_follow_up(e),
        "",
        "### Close or downgrade when",
        *[f"- {criterion}" for criterion in e.close_criteria],
        "",
        *_details(e.evidence),
    ]
    return "\n".join(lines).rstrip() + "\n"
