"""The public copy: the body of a GitHub issue anyone can read.

It is written from an allow-list, not by deleting private words from the internal text:
the product area and repository, the SDK versions and the last version that worked, the
platform, operating systems, browsers, frameworks and runtimes, the error, reproduction
steps written from those fields, the evidence rows that carry a finding written for the
public (counts of affected organizations without names, versions, browsers, the daily
trend), the daily counts as a chart, and links to public issues, PRs and docs.

Nothing else of the escalation reaches it: not the customer's or any other
organization's name, plan, seats, revenue, renewal or churn risk, not the people, not the
project ids or URLs, not the ticket's words, not the asks or the follow-up plan. A
redactor then runs over the finished text as a second line of defence.
"""

from __future__ import annotations

from collections.abc import Callable

from .lint import inline_citations
from .models import Escalation, Evidence, IssueRef, SourceKind
from .render import chart_lines, environment_lines

Redactor = Callable[[str], str]

TITLE_ERROR_CHARS = 90


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _sdks(e: Escalation) -> str:
    return ", ".join(str(s) for s in e.reproduction.environment.sdks)


def _where(e: Escalation) -> str:
    env = e.reproduction.environment
    browsers, systems = ", ".join(env.browsers), ", ".join(env.os)
    if browsers and systems:
        return f"{browsers} ({systems})"
    return browsers or systems or (env.platform if env.platform != "unknown" else "")


def public_title(escalation: Escalation) -> str:
    """The issue title: the product area, the error (or what is seen), the SDK and where."""
    e = escalation
    repro = e.reproduction
    what = (
        _short(repro.error, TITLE_ERROR_CHARS)
        if repro.error
        else ", ".join(repro.symptoms[:2]) or "bug report"
    )
    title = f"{e.product_area}: {what}"
    if _sdks(e):
        title += f" with {_sdks(e)}"
    where = _where(e)
    if where:
        title += f" on {where}"
    return title


def public_evidence(escalation: Escalation) -> list[Evidence]:
    """The evidence rows that carry a finding written for the public."""
    return [item for item in escalation.evidence if item.public_finding]


def _what_happens(e: Escalation) -> list[str]:
    repro = e.reproduction
    sdks = _sdks(e)
    sentence = f"{e.product_area} problem"
    if sdks:
        sentence += f" with {sdks}"
    where = _where(e)
    if where:
        sentence += f" on {where}"
    lines = [sentence + "."]
    if repro.symptoms:
        lines.append(f"Reported symptoms: {', '.join(repro.symptoms)}.")
    if repro.error:
        lines.append("It throws the error below.")
    if repro.works_on:
        lines.append(f"{repro.works_on} is the last version that worked.")
    return [" ".join(lines)]


def _expected(e: Escalation) -> str | None:
    """The expected behaviour when it comes from the docs, else from the last version
    that worked; never the customer's own words."""
    repro = e.reproduction
    by_id = e.evidence_by_id()
    cited = inline_citations(repro.expected)
    if cited and all(i in by_id and by_id[i].source is SourceKind.DOCS for i in cited):
        return repro.expected
    if repro.works_on:
        return f"It works as on {repro.works_on}, the last version that worked"
    return None


def _steps(e: Escalation) -> list[str]:
    repro = e.reproduction
    env = repro.environment
    steps = []
    if env.sdks:
        steps.append(f"Set up {_sdks(e)} ({env.platform})")
    where = _where(e)
    if where and where != env.platform:
        steps.append(f"Open it in {where}")
    if repro.error:
        steps.append(f"Watch for the error: {repro.error}")
    elif repro.symptoms:
        steps.append(f"Look for: {', '.join(repro.symptoms)}")
    return steps


def _issue(ref: IssueRef) -> str:
    state = "" if ref.kind == "pr" else f" ({ref.state})"
    title = f" — {ref.title}" if ref.title else ""
    cite = f" [{ref.evidence}]" if ref.evidence else ""
    return f"- {ref.url}{state}{title}{cite}"


def _evidence_row(item: Evidence) -> str:
    finding = item.public_finding or ""
    if item.status != "ok":
        finding = f"{item.status.upper()}: {finding}"
    if item.url and item.source is not SourceKind.HOGQL:
        finding = f"{finding} ({item.url})"
    return f"| {item.id} | {item.source.label} | {_cell(finding)} |"


def _queries(items: list[Evidence]) -> list[str]:
    hogql = [i for i in items if i.source is SourceKind.HOGQL]
    if not hogql:
        return []
    lines = ["", "<details><summary>HogQL behind the figures</summary>"]
    for item in hogql:
        lines += ["", f"**{item.id}**", "", "```sql", item.query, "```"]
    return [*lines, "", "</details>"]


def compose_public(escalation: Escalation) -> str:
    """The public copy before redaction, written from the allow-listed fields only."""
    e = escalation
    repro = e.reproduction
    items = public_evidence(e)
    lines = [
        f"## {public_title(e)}",
        "",
        f"**Product area:** {e.product_area}",
        f"**Affected repo:** {e.affected_repo}",
        f"**Date:** {e.date.isoformat()}",
        "",
        "### What happens",
        *_what_happens(e),
        "",
        "### Environment",
        *environment_lines(repro),
    ]
    if repro.works_on:
        lines.append(f"- Last version that worked: {repro.works_on}")
    if repro.error:
        lines += ["", "### Error", "", "```text", repro.error, "```"]
    steps = _steps(e)
    lines += ["", "### Reproduction"]
    if steps:
        lines += ["**Steps:**", *[f"{n}. {step}" for n, step in enumerate(steps, start=1)]]
    expected = _expected(e)
    if expected:
        lines.append(f"**Expected:** {expected}")
    actual = "the error above" if repro.error else ", ".join(repro.symptoms)
    if actual:
        lines.append(f"**Actual:** {actual}")
    reproducibility = repro.reproducibility.value
    if repro.conditions:
        reproducibility += f" ({repro.conditions})"
    lines.append(f"**Reproducibility:** {reproducibility}")
    measured = [i for i in items if i.source is SourceKind.HOGQL and i.status == "ok"]
    if measured or e.daily is not None:
        lines += ["", "### How many are affected"]
        lines += [f"- {i.public_finding} [{i.id}]" for i in measured]
        public_ids = {i.id for i in items}
        if e.daily is not None and e.daily.evidence in public_ids:
            lines += ["", *chart_lines(e.daily)]
    known = e.known_issues
    if known.matching_issues or known.related_prs:
        lines += ["", "### Known issues and fixes"]
        lines += [_issue(r) for r in [*known.matching_issues, *known.related_prs]]
    docs: dict[str, list[str]] = {}
    for item in items:
        if item.source is SourceKind.DOCS and item.url:
            docs.setdefault(item.url, []).append(item.id)
    if docs:
        lines += ["", "### Docs", *[f"- {url} [{', '.join(ids)}]" for url, ids in docs.items()]]
    if items:
        lines += [
            "",
            "### Evidence",
            "| # | Source | Finding |",
            "|---|--------|---------|",
            *[_evidence_row(i) for i in items],
            *_queries(items),
        ]
    return "\n".join(lines).rstrip() + "\n"


def render_public(escalation: Escalation, *, redactor: Redactor | None = None) -> str:
    """The public copy, redacted: other organizations' names and keys found in the
    evidence are replaced, then ``redactor`` (built from the ticket) runs over it."""
    from .redact import Redactor as PatternRedactor

    text = compose_public(escalation)
    terms = list(dict.fromkeys(t for item in escalation.evidence for t in item.private_terms))
    if isinstance(redactor, PatternRedactor):
        redactor.orgs.extend(t for t in terms if t not in redactor.orgs)
        redactor.keep_project_ids = False
        return redactor(text)
    text = PatternRedactor(orgs=terms, keep_project_ids=False)(text)
    return redactor(text) if redactor is not None else text
