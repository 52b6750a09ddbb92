"""Render an :class:`~posthog_escalation.models.Escalation` as markdown in the template.

The first part is the skill's template, heading for heading and label for label; the
sections the template leaves implicit (the five dimensions, routing, follow-ups,
close/downgrade criteria, the queries behind the evidence) follow it.

Two flavours: ``internal`` (everything) and ``public`` (for anything that leaves the
machine: every text passes through a redactor, and business-confidential fields such as
revenue and churn risk are withheld).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from .models import Escalation, Evidence, IssueRef, Reproduction, SourceKind

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
WITHHELD = "withheld from the public version (see the internal escalation)"
WITHHELD_TICKET = "customer details from the ticket, " + WITHHELD
PRIVATE_RESULTS = frozenset({SourceKind.HOGQL, SourceKind.CODEBASE})
"""Sources whose raw results hold customer data: the public flavour shows their query and
finding but not the rows."""
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


def _evidence_row(item: Evidence, public: bool) -> str:
    source = item.source.label
    finding = WITHHELD_TICKET if public and item.source is SourceKind.TICKET else item.finding
    if item.status != "ok":
        finding = f"{item.status.upper()}: {finding}"
    if item.url:
        finding = f"{finding} ({item.url})"
    return f"| {item.id} | {source} | {_cell(finding)} |"


def _environment(repro: Reproduction) -> list[str]:
    env = repro.environment
    sdks = ", ".join(str(s) for s in env.sdks) or "unknown — ask the customer"
    return [
        "**Environment:**",
        f"- SDK: {sdks}",
        f"- Platform: {env.platform}",
        f"- PostHog region: {env.region.value}",
    ]


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


def _details(items: list[Evidence], public: bool) -> list[str]:
    lines = ["### Evidence details"]
    for item in items:
        if public and item.source is SourceKind.TICKET:
            lines += ["", f"**{item.id}** ({item.source.label}): {WITHHELD}"]
            continue
        if public and item.source in PRIVATE_RESULTS:
            item = item.model_copy(update={"result": ""})
        lines += [
            "",
            f"**{item.id}** ({item.source.label}, {item.collected_at:%Y-%m-%d %H:%M} UTC)",
            "",
            "```" + ("sql" if item.source.value == "hogql" else "text"),
            item.query,
            "```",
        ]
        if item.result:
            lines += ["", "<details><summary>Result</summary>", "", "```text", item.result]
            lines += ["```", "", "</details>"]
    return lines


def render_markdown(
    escalation: Escalation,
    flavour: Flavour = "internal",
    *,
    redactor: Redactor | None = None,
) -> str:
    """The escalation as markdown.

    Args:
        escalation: What to render.
        flavour: ``internal`` for the full text, ``public`` for a redacted copy.
        redactor: Applied to the whole public text. When omitted, the public flavour
            uses a pattern redactor (secrets, emails, ...); pass one built from the ticket
            to also replace the customer's names. The evidence's ``private_terms`` (other
            organizations in the data) are always replaced, and the raw rows of HogQL
            results are left out.
    """
    e = escalation
    public = flavour == "public"
    workaround = f"exists — {e.impact.workaround}" if e.impact.workaround else "none available"
    severity = e.severity.value
    if e.severity_rationale and not public:
        severity = f"{severity} — {e.severity_rationale}"
    lines = [f"## ESCALATION: {e.summary}", ""]
    if e.recommendation == "resolve_in_support":
        reason = e.recommendation_reason or "the evidence points to configuration"
        lines += [f"> **Recommendation: resolve in support.** {reason}", ""]
    terms = "; ".join(f"`{t}`" for t in e.known_issues.search_terms)
    lines += [
        f"**Severity:** {severity}",
        f"**Product area:** {e.product_area}",
        f"**Affected repo:** {e.affected_repo}",
        f"**Date:** {e.date.isoformat()}",
        "",
        "### Impact",
        f"- **Who:** {e.impact.who}",
        f"- **What they can't do:** {e.impact.cannot_do}",
        f"- **Blast radius:** {e.impact.blast_radius.value}",
        f"- **Workaround:** {workaround}",
        "",
        "### Evidence gathered",
        "| # | Source | Finding |",
        "|---|--------|---------|",
        *[_evidence_row(item, public) for item in e.evidence],
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
    lines += [f"- **Churn risk:** {WITHHELD if public else churn}", "", "### Quantification"]
    for name, dim in e.dimensions.items():
        statement = WITHHELD if public and name == "revenue_signal" else dim.statement
        lines.append(f"- **{DIMENSION_LABELS[name]}:** {statement}{_cites(dim.evidence)}")
    r = e.routing
    f = e.follow_up
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
        "### Follow-up plan",
        f"- **Team:** {f.team_cadence}; next check {f.next_team_check:%Y-%m-%d %H:%M} UTC",
        f"- **Customer:** {f.customer_cadence}; next update "
        f"{f.next_customer_update:%Y-%m-%d %H:%M} UTC",
        "",
        "### Close or downgrade when",
        *[f"- {criterion}" for criterion in e.close_criteria],
        "",
        *_details(e.evidence, public),
    ]
    text = "\n".join(lines).rstrip() + "\n"
    if public:
        text = _redact_public(text, e, redactor)
    return text


def _redact_public(text: str, escalation: Escalation, redactor: Redactor | None) -> str:
    from .redact import Redactor as PatternRedactor

    terms = list(dict.fromkeys(t for item in escalation.evidence for t in item.private_terms))
    if isinstance(redactor, PatternRedactor):
        redactor.orgs.extend(t for t in terms if t not in redactor.orgs)
        return redactor(text)
    text = PatternRedactor(orgs=terms)(text)
    return redactor(text) if redactor is not None else text
