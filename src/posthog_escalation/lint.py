"""The quality gate: "Quantify before escalating — vague escalations get deprioritized."

Each rule has an id, a level (``error`` blocks the escalation, ``warning`` does not), a
message naming the field, and a fix hint. :func:`lint` runs them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from .models import Assessment, BlastRadius, Depth, Escalation, Severity
from .playbook import Playbook, SeverityRule, add_cadence, default_playbook

Level = Literal["error", "warning"]


class Finding(BaseModel):
    """One problem the gate found."""

    rule: str
    level: Level
    field: str
    message: str
    hint: str

    def one_line(self) -> str:
        """``LEVEL rule (field): message — hint``."""
        return f"{self.level.upper()} {self.rule} ({self.field}): {self.message} — {self.hint}"


class LintReport(BaseModel):
    """All findings for one escalation."""

    findings: list[Finding]

    @property
    def errors(self) -> list[Finding]:
        """Findings that block the escalation."""
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        """Findings worth fixing that do not block."""
        return [f for f in self.findings if f.level == "warning"]

    @property
    def ok(self) -> bool:
        """True when there are no errors."""
        return not self.errors


Check = Callable[[Escalation, Playbook], Iterator[Finding]]


@dataclass(frozen=True)
class Rule:
    """A quality-gate rule: its id, level, what it checks, and the check itself."""

    id: str
    level: Level
    description: str
    check: Check

    def finding(self, field: str, message: str, hint: str) -> Finding:
        """A finding of this rule."""
        return Finding(rule=self.id, level=self.level, field=field, message=message, hint=hint)


RULES: list[Rule] = []


def rule(rule_id: str, level: Level, description: str) -> Callable[[Check], Check]:
    """Register a check as a rule of the gate."""

    def register(check: Check) -> Check:
        RULES.append(Rule(rule_id, level, description, check))
        return check

    return register


def _this(rule_id: str) -> Rule:
    return next(r for r in RULES if r.id == rule_id)


# --- text helpers -------------------------------------------------------------------

_CITATION = re.compile(r"\[(E\d+(?:\s*,\s*E\d+)*)\]")
_NOT_A_COUNT = re.compile(
    r"(?i)\bE\d+\b"  # evidence ids
    r"|#\d+"  # issue numbers
    r"|\bv?\d+(?:\.\d+){2,}[\w.+-]*"  # versions such as 1.201.0
    r"|[\^~<>=]=?\s*\d+(?:\.\d+)*"  # version ranges such as ^1.83 or >=2
    r"|\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?Z?)?"  # dates and timestamps
    r"|\b\d{1,2}:\d{2}(?::\d{2})?\b"  # clock times
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?\b"
    r"|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
    r"|\b[A-Za-z]+-\d+\b"  # names such as UTF-8 or ES-2015
    r"|\b(?=\w*[A-Za-z_])(?=\w*\d)\w+"  # tokens mixing letters and digits
    r"|\b(?:19|20)\d{2}\b"  # bare years
    r"|(?<![\w.-])[\w.-]+/[\w.-]+"  # repositories and paths
)
_COUNT = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?%?")
_VAGUE_SUMMARY = re.compile(
    r"^(?:(?:an?\s+)?(?:issue|bug|problem|error)s?(?:\s+(?:with|in)\s+\w+)?|"
    r"(?:something|it|posthog|this)\s+(?:is\s+)?(?:not working|broken|wrong|doesn'?t work)|"
    r"(?:urgent|help|please help|customer issue|see ticket|escalation)[.!]*)$",
    re.IGNORECASE,
)
_VAGUE_ASK = re.compile(
    r"^(?:please\s+)?(?:(?:take|have)\s+a\s+look|look(?:\s+into\s+(?:it|this))?|check(?:\s+(?:it|this))?|"
    r"help|investigate|fix(?:\s+(?:it|this))?|advise|thoughts\??|asap|urgent)[.!?]*$",
    re.IGNORECASE,
)
_VAGUE_WORDS = re.compile(
    r"\b(?:please look|take a look|have a look|look into it|any ideas)\b", re.IGNORECASE
)
_DATE_OR_TIME = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}\b"
    r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b"
    r"|\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b"
    r"|\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b"
    r"|\b\d+\s+(?:minutes?|hours?|days?|weeks?|months?)\s+ago\b",
    re.IGNORECASE,
)
_UNKNOWABLE = re.compile(
    r"\b(?:unknown|not known|unknowable|cannot be (?:measured|counted|quantified|known)|"
    r"can't be (?:measured|counted|quantified)|no data|not measurable)\b.*\b(?:because|since|as)\b",
    re.IGNORECASE,
)
_TEMPLATE_PLACEHOLDERS = {
    "one-line summary of the bug/issue",
    "critical / high / medium",
    "from agent's product area table",
    "posthog/posthog-js, posthog/posthog, etc.",
    "today",
    "blocked workflow",
    "single user / org-wide / systemic",
    "exists — describe | none available",
    "hogql query / posthog mcp",
    "what the data shows",
    "docs-search",
    "what docs say should happen",
    "github issue search",
    'matching issues or "no match"',
    "deepwiki / context7",
    "relevant codebase context",
    "name and version from $lib / $lib_version",
    "web / ios / android / backend",
    "us / eu / self-hosted",
    "step",
    "step — as specific as possible",
    "what should happen",
    "what happens instead",
    "always / intermittent / specific conditions",
    "list them",
    'urls or "no match found"',
    "if any fix is in progress",
    "what they've been told so far",
    "next update timing",
    "low / medium / high — based on signals in ticket",
}
_BRACKETED = re.compile(r"\[([^\[\]\n]{1,80})\]")
_PLACEHOLDER_WORD = re.compile(r"\b(?:TODO|TBD|FIXME|XXX|lorem ipsum)\b")
_QUOTED = re.compile(
    r"```.*?(?:```|$)|`[^`\n]*`|(?m:(?:says|said|wrote|writes|quote[sd]?|reads?):\s*(['\"“]).*\1\s*$)|"
    r"“[^”\n]*”",
    re.DOTALL,
)
"""Code and quotations of a source: a TODO inside them is the source's, not ours."""
_REDACTION_PLACEHOLDER = re.compile(r"^[a-z]+(?:-[a-z]+)*-\d+$")


def counts_in(text: str) -> list[str]:
    """The counts and percentages in ``text`` (versions, dates, ids and years excluded)."""
    return _COUNT.findall(_NOT_A_COUNT.sub(" ", text))


def inline_citations(text: str) -> list[str]:
    """Evidence ids cited inline as ``[E1]`` or ``[E1, E2]``."""
    return [part.strip() for group in _CITATION.findall(text) for part in group.split(",")]


def _strings(value: object, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _strings(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")


def _quantified_parts(e: Escalation) -> Iterator[tuple[str, str, list[str]]]:
    impact = e.impact
    for name in ("who", "cannot_do", "workaround"):
        text = getattr(impact, name) or ""
        yield f"impact.{name}", text, [*impact.evidence, *inline_citations(text)]
    for name, dim in e.dimensions.items():
        yield f"dimensions.{name}", dim.statement, [*dim.evidence, *inline_citations(dim.statement)]


# --- rules --------------------------------------------------------------------------


@rule("summary-one-line", "error", "The summary is a single line of at most 160 characters.")
def _summary_one_line(e: Escalation, _: Playbook) -> Iterator[Finding]:
    if "\n" in e.summary or len(e.summary) > 160:
        yield _this("summary-one-line").finding(
            "summary",
            f"the summary is {len(e.summary)} characters or spans lines",
            "say what breaks, where, and since when in one line of at most 160 characters",
        )


@rule("summary-specific", "error", "The summary names what breaks and where, not just 'a bug'.")
def _summary_specific(e: Escalation, _: Playbook) -> Iterator[Finding]:
    words = e.summary.split()
    if len(words) < 5 or _VAGUE_SUMMARY.match(e.summary.strip()):
        yield _this("summary-specific").finding(
            "summary",
            f"'{e.summary}' is too vague to act on",
            "name the product, the symptom and the scope, e.g. 'Replay blank on Safari since "
            "posthog-js 1.201.0'",
        )


@rule(
    "breadth-quantified",
    "error",
    "Breadth states a number (orgs, users, events) or says why none is knowable.",
)
def _breadth(e: Escalation, _: Playbook) -> Iterator[Finding]:
    statement = e.dimensions.breadth.statement
    if not counts_in(statement) and not _UNKNOWABLE.search(statement):
        yield _this("breadth-quantified").finding(
            "dimensions.breadth",
            "Breadth gives no number of organizations, users or events",
            "count affected orgs/persons/events with HogQL (impact_summary) and cite the "
            "evidence, or say explicitly why it cannot be measured",
        )


@rule("duration-has-start", "error", "Duration states when it started (a date or time).")
def _duration(e: Escalation, _: Playbook) -> Iterator[Finding]:
    if not _DATE_OR_TIME.search(e.dimensions.duration.statement):
        yield _this("duration-has-start").finding(
            "dimensions.duration",
            "Duration does not say when the problem started",
            "give the first-seen date/time from the data (min(timestamp)) and the release or "
            "config change it lines up with",
        )


@rule(
    "numbers-cite-evidence",
    "error",
    "Every number in Impact and the dimensions cites an evidence id.",
)
def _numbers_cited(e: Escalation, _: Playbook) -> Iterator[Finding]:
    for field, text, cited in _quantified_parts(e):
        numbers = counts_in(text)
        if numbers and not cited:
            yield _this("numbers-cite-evidence").finding(
                field,
                f"states {', '.join(numbers[:3])} without citing evidence",
                "add the id of the evidence row that contains the number (e.g. E1) to this "
                "item's evidence list",
            )


@rule("cited-evidence-exists", "error", "Every cited evidence id exists in the evidence table.")
def _citations_exist(e: Escalation, _: Playbook) -> Iterator[Finding]:
    known = e.evidence_by_id()
    for field, _text, cited in _quantified_parts(e):
        for evidence_id in dict.fromkeys(cited):
            if evidence_id not in known:
                yield _this("cited-evidence-exists").finding(
                    field,
                    f"cites {evidence_id}, which is not in the evidence table",
                    f"add {evidence_id} to the evidence or cite an existing id "
                    f"({', '.join(known) or 'none yet'})",
                )


@rule("evidence-has-data", "warning", "At least one evidence row is a HogQL query result.")
def _has_data(e: Escalation, _: Playbook) -> Iterator[Finding]:
    if not any(item.source.value == "hogql" and item.status == "ok" for item in e.evidence):
        yield _this("evidence-has-data").finding(
            "evidence",
            "no evidence comes from the customer's data",
            "run hogql_query or impact_summary to measure the problem before escalating",
        )


@rule("cited-evidence-ok", "warning", "Cited evidence rows are results, not failures.")
def _cited_ok(e: Escalation, _: Playbook) -> Iterator[Finding]:
    known = e.evidence_by_id()
    for field, _text, cited in _quantified_parts(e):
        for evidence_id in dict.fromkeys(cited):
            item = known.get(evidence_id)
            if item is not None and item.status != "ok":
                yield _this("cited-evidence-ok").finding(
                    field,
                    f"cites {evidence_id}, a source that {item.status}",
                    "cite a row that holds a result, or re-run the failed source",
                )


def rubric_floor(
    assessment: Assessment,
    blast_radius: BlastRadius,
    workaround: str | None,
    playbook: Playbook,
) -> list[SeverityRule]:
    """The playbook's severity rules whose conditions hold for this assessment."""
    a = assessment
    several = blast_radius in (BlastRadius.MULTIPLE_ORGS, BlastRadius.SYSTEMIC)
    holds = {
        "data_exposure": a.data_exposure or a.security,
        "data_loss": a.data_loss,
        "systemic": blast_radius is BlastRadius.SYSTEMIC,
        "multiple_orgs_blocked": a.depth is Depth.BLOCKED and several and not workaround,
        "blocked_no_workaround": a.depth is Depth.BLOCKED and not workaround,
        "revenue_at_risk": a.revenue_at_risk,
    }
    return [r for r in playbook.severity_rules if holds[r.condition]]


def _min_severity(e: Escalation, playbook: Playbook) -> list[tuple[str, Severity, str | None]]:
    rules = rubric_floor(e.assessment, e.impact.blast_radius, e.impact.workaround, playbook)
    return [(r.id, r.min_severity, r.route) for r in rules]


def required_severity(e: Escalation, playbook: Playbook) -> Severity:
    """The lowest severity the rubric allows for the escalation's assessment."""
    levels = [level for _, level, _ in _min_severity(e, playbook)]
    return min(levels, key=lambda s: s.rank, default=Severity.MEDIUM)


@rule("severity-matches-rubric", "error", "Severity is at least what the rubric requires.")
def _severity(e: Escalation, playbook: Playbook) -> Iterator[Finding]:
    for rule_id, level, route in _min_severity(e, playbook):
        text = next(r.message for r in playbook.severity_rules if r.id == rule_id)
        if e.severity.rank > level.rank:
            yield _this("severity-matches-rubric").finding(
                "severity",
                f"{e.severity.value} is too low: {text}",
                f"raise severity to {level.value} or correct the assessment",
            )
        if route and e.routing.route != route:
            yield _this("severity-matches-rubric").finding(
                "routing.route",
                f"routed to '{e.routing.route}': {text}",
                f"route it to '{route}' ({playbook.route(route).team})",
            )


@rule("severity-not-inflated", "warning", "Severity is not above what the rubric supports.")
def _inflated(e: Escalation, playbook: Playbook) -> Iterator[Finding]:
    needed = required_severity(e, playbook)
    if e.severity.rank < needed.rank:
        yield _this("severity-not-inflated").finding(
            "severity",
            f"{e.severity.value} but the assessment only supports {needed.value}",
            "lower the severity, or record in the assessment what makes it worse "
            "(blocked, data loss or exposure, several orgs, revenue at risk)",
        )


@rule("workaround-consistent", "warning", "Depth and the workaround agree.")
def _workaround(e: Escalation, _: Playbook) -> Iterator[Finding]:
    if e.assessment.depth is Depth.INCONVENIENCED and not e.impact.workaround:
        yield _this("workaround-consistent").finding(
            "impact.workaround",
            "depth is 'inconvenienced' but no workaround is described",
            "describe the workaround, or set depth to degraded/blocked",
        )


@rule("route-known", "error", "The route is a playbook route and the team matches it.")
def _route(e: Escalation, playbook: Playbook) -> Iterator[Finding]:
    if e.routing.route not in playbook.routes:
        yield _this("route-known").finding(
            "routing.route",
            f"'{e.routing.route}' is not a playbook route",
            f"use one of: {', '.join(sorted(playbook.routes))}",
        )


@rule("route-context", "warning", "Routing carries the context the receiving team needs.")
def _route_context(e: Escalation, playbook: Playbook) -> Iterator[Finding]:
    route = playbook.routes.get(e.routing.route)
    if route and len(e.routing.context) < min(2, len(route.context)):
        yield _this("route-context").finding(
            "routing.context",
            f"{len(e.routing.context)} context item(s) for the {route.team}",
            "include: " + "; ".join(route.context),
        )


@rule(
    "reproduction-complete",
    "error",
    "Reproduction has concrete steps, expected and actual, or says what is missing.",
)
def _reproduction(e: Escalation, _: Playbook) -> Iterator[Finding]:
    r = e.reproduction
    gaps = []
    if not r.steps or any(len(step.split()) < 3 for step in r.steps):
        gaps.append("concrete steps")
    if not r.expected:
        gaps.append("expected behaviour")
    if not r.actual:
        gaps.append("actual behaviour")
    if gaps and not r.missing:
        yield _this("reproduction-complete").finding(
            "reproduction",
            f"missing {', '.join(gaps)} and does not say what is needed",
            "write the steps (at least three words each), expected and actual, or list in "
            "'missing' what must be asked of the customer",
        )


@rule("missing-facts-asked", "warning", "Missing reproduction facts are asked for.")
def _missing_asked(e: Escalation, _: Playbook) -> Iterator[Finding]:
    if e.reproduction.missing and not e.communication.knows:
        yield _this("missing-facts-asked").finding(
            "communication.knows",
            "facts are missing but the customer communication does not mention asking",
            "say in 'Customer knows' what was asked of the customer",
        )


@rule("known-issues-searched", "error", "Known-issue match lists the search terms used.")
def _known(e: Escalation, _: Playbook) -> Iterator[Finding]:
    if not [t for t in e.known_issues.search_terms if t.strip()]:
        yield _this("known-issues-searched").finding(
            "known_issues.search_terms",
            "no GitHub search terms are listed",
            "search with find_known_issues or github_issue_search and list the exact terms",
        )


@rule("asks-specific", "error", "Asks are specific actions, not 'please look'.")
def _asks(e: Escalation, _: Playbook) -> Iterator[Finding]:
    if not e.asks:
        yield _this("asks-specific").finding(
            "asks",
            "there is no ask",
            "say exactly what you need: investigate root cause, confirm regression, "
            "prioritize fix, provide workaround guidance, or decide something",
        )
    for index, ask in enumerate(e.asks):
        detail = ask.detail.strip()
        if _VAGUE_ASK.match(detail) or _VAGUE_WORDS.search(detail) or len(detail.split()) < 4:
            yield _this("asks-specific").finding(
                f"asks[{index}]",
                f"'{detail}' is not a specific ask",
                "say what decision or action you need and about what, e.g. 'Confirm 1.201.0 "
                "introduced the Safari TypeError'",
            )


@rule("no-placeholders", "error", "No template placeholder or TODO survives.")
def _placeholders(e: Escalation, _: Playbook) -> Iterator[Finding]:
    for path, text in _strings(e, ""):
        for match in _BRACKETED.finditer(text):
            inner = match.group(1).strip()
            lowered = inner.lower()
            if _REDACTION_PLACEHOLDER.match(inner) or _CITATION.fullmatch(match.group(0)):
                continue
            if lowered in _TEMPLATE_PLACEHOLDERS or lowered.startswith("step"):
                yield _this("no-placeholders").finding(
                    path, f"template placeholder '{match.group(0)}' left in", "replace it"
                )
        found = _PLACEHOLDER_WORD.search(_QUOTED.sub(" ", text))
        if found:
            yield _this("no-placeholders").finding(
                path, f"'{found.group(0)}' left in", "finish the text or remove the marker"
            )


@rule("follow-up-cadence", "error", "Follow-up cadence and times match the severity.")
def _follow_up(e: Escalation, playbook: Playbook) -> Iterator[Finding]:
    expected = playbook.cadence(e.severity)
    f = e.follow_up
    for who, have, want, due in (
        ("team", f.team_cadence, expected.team, f.next_team_check),
        ("customer", f.customer_cadence, expected.customer, f.next_customer_update),
    ):
        field = f"follow_up.{who}_cadence"
        if have != want:
            yield _this("follow-up-cadence").finding(
                field,
                f"{who} follow-up is {have} but {e.severity.value} needs {want}",
                f"set the {who} cadence to {want}",
            )
            continue
        latest = add_cadence(e.created_at, want, upper=True)
        if not e.created_at <= due <= latest:
            yield _this("follow-up-cadence").finding(
                "follow_up.next_team_check" if who == "team" else "follow_up.next_customer_update",
                f"next {who} follow-up {due:%Y-%m-%d %H:%M} is outside {want} of "
                f"{e.created_at:%Y-%m-%d %H:%M}",
                f"schedule it no later than {latest:%Y-%m-%d %H:%M}",
            )


@rule("communication-complete", "error", "Customer communication says what they know and expect.")
def _communication(e: Escalation, _: Playbook) -> Iterator[Finding]:
    c = e.communication
    for name in ("knows", "expects"):
        if not getattr(c, name).strip():
            yield _this("communication-complete").finding(
                f"communication.{name}",
                f"'Customer {name}' is empty",
                "say what the customer was told and when they expect the next update",
            )


@rule("churn-risk-consistent", "warning", "Churn risk is not low when revenue is at risk.")
def _churn(e: Escalation, _: Playbook) -> Iterator[Finding]:
    if e.assessment.revenue_at_risk and e.communication.churn_risk == "low":
        yield _this("churn-risk-consistent").finding(
            "communication.churn_risk",
            "revenue is at risk but churn risk is 'low'",
            "raise churn risk to medium or high, or correct the assessment",
        )


@rule("close-criteria-listed", "warning", "Close/downgrade criteria are listed.")
def _close(e: Escalation, _: Playbook) -> Iterator[Finding]:
    if not e.close_criteria:
        yield _this("close-criteria-listed").finding(
            "close_criteria",
            "no close or downgrade criteria",
            "list when this can be closed or downgraded (see the playbook)",
        )


def lint(escalation: Escalation, playbook: Playbook | None = None) -> LintReport:
    """Run every rule of the gate over ``escalation``."""
    book = playbook or default_playbook()
    findings = [finding for r in RULES for finding in r.check(escalation, book)]
    return LintReport(findings=findings)
