"""Scoring one outcome against its case: gating checks and graded scores.

Gating checks multiply into the trial's pass (0 or 1): the output is an
:class:`~posthog_escalation.models.Escalation`, the quality gate has no errors, severity,
route, affected repository and the escalate/resolve decision are as expected, every
expected known issue is listed and none is invented (an issue listed as matching that no
tool returned), and nothing in ``must_not_contain`` reaches the public flavour. Four more
hold on every case whatever it expects:

- ``public_private_fields``: no private value of the customer record (name, id, plan,
  seats, revenue, renewal and contract dates, contacts, project id) or of the ticket
  (authors, emails, phone numbers, project URLs, eight-word quotes of its text other
  than the error) is in the public flavour;
- ``figures_cited``: every number in Impact and the dimensions is in the evidence row it
  cites (inline ``[E1]`` for the words before it, else the item's evidence list);
- ``asks_not_held``: nothing asked of the customer is already in the ticket or the
  triage report (the SDK version, the platform, a project link, the error output, a
  reproduction, what they expected);
- ``trend_matches_counts``: a trend word (growing, shrinking, steady, ...) agrees with
  the daily counts of the per-day row it cites, by the stated test.

Graded scores are reported apart and never fail a trial: ``must_mention`` recall, figures
within tolerance of the world's ground truth, grounding (the share of numbers in Impact
and the dimensions found in the evidence they cite), evidence rows, and usage.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from math import comb

from pydantic import BaseModel, Field, ValidationError

from ..lint import counts_in, inline_citations
from ..models import Escalation, Evidence, Ticket, TriageReport
from ..outcome import Outcome
from ..tools.hogql import GroundTruth
from .cases import EvalCase, FigureSpec


class Check(BaseModel):
    """One gating check: its name, whether it held, and what was seen."""

    name: str
    passed: bool
    detail: str = ""


class FigureScore(BaseModel):
    """One expected number against what the escalation states."""

    name: str
    expected: float | None
    stated: float | None
    tolerance: float
    ok: bool
    source: str = Field("", description="Where the stated number was read")


class Graded(BaseModel):
    """Scores reported apart from the pass: they never fail a trial."""

    mention_recall: float | None = None
    missing_mentions: list[str] = Field(default_factory=list)
    figures: list[FigureScore] = Field(default_factory=list)
    grounding: float | None = None
    ungrounded: list[str] = Field(default_factory=list)
    evidence_rows: int = 0
    evidence_ok: int = 0
    model_turns: int = 0
    tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0

    @property
    def figure_score(self) -> float | None:
        """The share of expected figures within tolerance (None when none expected)."""
        if not self.figures:
            return None
        return sum(f.ok for f in self.figures) / len(self.figures)


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _parses(outcome: Outcome) -> Check:
    if outcome.escalation is None:
        reason = outcome.refusal.reason if outcome.refusal else "no escalation produced"
        return Check(name="parses", passed=False, detail=reason)
    try:
        Escalation.model_validate_json(outcome.escalation.model_dump_json())
    except ValidationError as exc:
        return Check(name="parses", passed=False, detail=str(exc.errors()[0]["msg"]))
    return Check(name="parses", passed=True)


def _equal(name: str, expected: str, got: str | None, *, fold: bool = False) -> Check:
    same = got is not None and (expected.lower() == got.lower() if fold else expected == got)
    return Check(name=name, passed=same, detail=f"expected {expected}, got {got}")


def listed_issue_keys(escalation: Escalation) -> list[str]:
    """The ``owner/name#number`` keys the escalation lists as matching."""
    return [i.key for i in escalation.known_issues.matching_issues]


def invented_issues(escalation: Escalation, outcome: Outcome) -> list[str]:
    """Issues listed as matching that appear in no tool result of the run."""
    text = outcome.tool_text().lower()
    invented = []
    for issue in escalation.known_issues.matching_issues:
        seen = issue.key.lower() in text or (
            f"github.com/{issue.repo}/issues/{issue.number}".lower() in text
        )
        if not seen:
            invented.append(issue.key)
    return invented


def _known_issues(case: EvalCase, escalation: Escalation, outcome: Outcome) -> Check:
    listed = listed_issue_keys(escalation)
    folded = {k.lower() for k in listed}
    problems = []
    expected = case.expect.known_issues
    if expected is not None:
        missing = [k for k in expected if k.lower() not in folded]
        if missing:
            problems.append(f"not listed: {', '.join(missing)}")
        if not expected and listed:
            problems.append(f"none expected, listed: {', '.join(listed)}")
    invented = invented_issues(escalation, outcome)
    if invented:
        problems.append(f"invented (in no tool result): {', '.join(invented)}")
    detail = "; ".join(problems) or f"listed: {', '.join(listed) or 'none'}"
    return Check(name="known_issues", passed=not problems, detail=detail)


def _secrets(case: EvalCase, outcome: Outcome) -> Check:
    public = _norm(outcome.public_markdown)
    leaked = [s for s in case.expect.must_not_contain if _norm(s) in public]
    shown = ", ".join(f"'{s[:6]}…'" for s in leaked)
    return Check(
        name="must_not_contain",
        passed=not leaked,
        detail=f"in the public flavour: {shown}" if leaked else "",
    )


# --- content checks (every case) -----------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d ()-]{7,}\d")
_PROJECT_URL = re.compile(r"https?://[\w.-]*posthog\.com/project/\d+\S*", re.I)
_QUOTE_WORDS = 8
_PLAN_CONTEXT = r"(?:plan|customer|account|tier|contract)"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+(?:'[a-z]+)?", text.lower())


def _shingles(text: str, size: int = _QUOTE_WORDS) -> set[tuple[str, ...]]:
    """Runs of ``size`` words; a NUL character breaks a run."""
    found: set[tuple[str, ...]] = set()
    for part in text.split("\0"):
        words = _words(part)
        found |= {tuple(words[i : i + size]) for i in range(len(words) - size + 1)}
    return found


def _number_forms(value: float) -> list[str]:
    whole = int(value)
    forms = [str(whole), f"{whole:,}"]
    if whole >= 1000 and whole % 1000 == 0:
        forms.append(f"{whole // 1000}k")
    return forms


def private_values(ticket: Ticket) -> list[tuple[str, re.Pattern[str]]]:
    """(what, pattern) for every private value of the ticket and its customer record."""
    c = ticket.customer
    found: list[tuple[str, re.Pattern[str]]] = []

    def literal(what: str, value: str, flags: int = re.I) -> None:
        if value and value.strip():
            found.append((what, re.compile(rf"(?<![\w-]){re.escape(value.strip())}(?!\w)", flags)))

    literal("organization name", c.org_name or "")
    literal("organization id", c.org_id or "")
    literal("project id", c.project_id or "")
    for name in [*c.contacts, *(m.author_name for m in ticket.messages if m.author_name)]:
        literal("person", name or "")
    if c.plan:
        plan = re.escape(c.plan)
        found.append(
            (
                "plan",
                re.compile(
                    rf"\b{plan}\b\W*(?:{_PLAN_CONTEXT}|\d+ seats)|\b{_PLAN_CONTEXT}\W+{plan}\b"
                    rf"|\({plan},",
                    re.I,
                ),
            )
        )
    if c.seats is not None:
        found.append(("seats", re.compile(rf"\b{c.seats}[ -]seats?\b|\bseats\W+{c.seats}\b")))
    for what, amount in (("ARR", c.arr), ("MRR", c.mrr)):
        if amount:
            forms = "|".join(re.escape(f) for f in _number_forms(amount))
            found.append((what, re.compile(rf"(?<![\d.,])(?:{forms})(?![\d,])", re.I)))
    for what, day in (("renewal date", c.renewal_date), ("contract end", c.contract_end)):
        if day is not None:
            found.append(
                (what, re.compile(rf"{day.isoformat()}|\b{day:%B} {day.day}(?:st|nd|rd|th)?\b"))
            )
    text = ticket.full_text()
    for email in dict.fromkeys(_EMAIL.findall(text)):
        literal("email", email)
    for phone in dict.fromkeys(_PHONE.findall(text)):
        digits = re.sub(r"\D", "", phone)
        if len(digits) >= 9:
            found.append(("phone", re.compile(r"\D?".join(re.escape(d) for d in digits[-7:]))))
    for url in dict.fromkeys(_PROJECT_URL.findall(text)):
        literal("project URL", url.rstrip(".,)"))
    return found


def leaked_private_fields(ticket: Ticket, escalation: Escalation, public: str) -> list[str]:
    """What of the ticket's private values is in the public flavour (names of the kinds
    only, never the values), and whether it quotes the ticket: an eight-word run of the
    ticket's text, leaving out what the public copy may repeat (the error, SDK names and
    versions, issue titles, the queries behind its public rows)."""
    leaks = [what for what, pattern in private_values(ticket) if pattern.search(public)]
    repro = escalation.reproduction
    may_repeat = [
        repro.error or "",
        repro.works_on or "",
        *(str(s) for s in repro.environment.sdks),
        *(i.title for i in escalation.known_issues.matching_issues),
        *(i.title for i in escalation.known_issues.related_prs),
        *(i.query for i in escalation.evidence if i.public_finding),
    ]
    allowed = public
    for text in sorted((t for t in may_repeat if t), key=len, reverse=True):
        allowed = allowed.replace(text, "\0")
    quoted = _shingles(allowed) & _shingles(ticket.full_text())
    quoted -= _shingles(repro.error or "")
    if quoted:
        leaks.append(f"ticket quote ({len(quoted)} eight-word run(s))")
    return list(dict.fromkeys(leaks))


def _private_fields(case: EvalCase, outcome: Outcome, escalation: Escalation) -> Check:
    leaks = leaked_private_fields(case.request.ticket, escalation, outcome.public_markdown)
    return Check(
        name="public_private_fields",
        passed=not leaks,
        detail=f"in the public flavour: {', '.join(leaks)}" if leaks else "",
    )


def _row_text(item: Evidence) -> str:
    figures = " ".join(f"{v:g}" for v in item.figures.values())
    return f"{item.finding} {item.public_finding or ''} {item.result} {figures}".replace(",", "")


def _quantified(escalation: Escalation) -> list[tuple[str, str, list[str]]]:
    """(field, text, evidence ids) of Impact's sentences and the five dimensions."""
    impact = escalation.impact
    found = [
        (f"impact.{name}", getattr(impact, name) or "", impact.evidence)
        for name in ("who", "cannot_do", "workaround")
    ]
    found += [
        (f"dimensions.{n}", d.statement, d.evidence) for n, d in escalation.dimensions.items()
    ]
    return found


def uncited_figures(escalation: Escalation) -> list[str]:
    """Numbers in Impact and the dimensions that the evidence they cite does not hold.

    The words before an inline citation (``... 9 organizations [E1]``) must be in the rows
    it names; the words after the last one in the rows of the item's evidence list.
    """
    by_id = escalation.evidence_by_id()
    impact = escalation.impact
    fields = [
        (f"impact.{n}", getattr(impact, n) or "", impact.evidence)
        for n in ("who", "cannot_do", "workaround")
    ]
    fields += [
        (f"dimensions.{n}", d.statement, d.evidence) for n, d in escalation.dimensions.items()
    ]
    missing: list[str] = []
    for field, text, listed in fields:
        pieces = re.split(r"(\[E\d+(?:\s*,\s*E\d+)*\])", text)
        for index in range(0, len(pieces), 2):
            segment = pieces[index]
            marker = pieces[index + 1] if index + 1 < len(pieces) else None
            cited = inline_citations(marker) if marker else listed
            hay = " ".join(_row_text(by_id[i]) for i in cited if i in by_id)
            clean = _NAMED_NUMBER.sub(" ", _MONTH_DAY.sub(" ", segment))
            for number in counts_in(clean):
                bare = number.replace(",", "").rstrip("%")
                if not re.search(rf"(?<![\d.]){re.escape(bare)}(?![\d])", hay):
                    missing.append(f"{field}: {number}")
    return missing


def _figures_cited(escalation: Escalation) -> Check:
    missing = uncited_figures(escalation)
    detail = "not in the cited row: " + "; ".join(missing[:5]) if missing else ""
    return Check(name="figures_cited", passed=not missing, detail=detail)


_VERSIONED_SDK = re.compile(
    r"\b(?:posthog[-\w/]*|sdk|library|package|snippet)\b[^\n]{0,40}?\bv?\d+\.\d+(?:\.\d+)?",
    re.I,
)
_PLATFORM_WORDS = re.compile(
    r"\b(?:web|website|browser|safari|chrome|firefox|edge|ios|iphone|ipad|android|"
    r"react native|flutter|node(?:\.js)?|python|django|rails|server|backend|next\.js)\b",
    re.I,
)
_ERROR_OUTPUT = re.compile(
    r"\b\w*(?:Error|Exception)\b:|Traceback|\bpanic:|\bat \S+ \(|"
    r"\b(?:console|stack ?trace)\b[^\n]{0,40}(?:shows?|says?|:)",
)
_REPRODUCED = re.compile(
    r"\b(?:reproduced|can reproduce|could reproduce|able to reproduce|reproducible)\b", re.I
)
_NOT_REPRODUCED = re.compile(
    r"\b(?:can(?:no|')?t|could(?:n'?t| not)|unable to|not able to|did(?:n'?t| not))\s+"
    r"(?:yet\s+)?reproduc",
    re.I,
)
_STEPS = re.compile(r"(?:steps to reproduce|to reproduce)[^\n]*\n\s*(?:1[.)]|-|\*)", re.I)
_EXPECTED = re.compile(r"\bexpected\b|\bshould\b", re.I)


def _held(ask: str, ticket: Ticket, triage: TriageReport | None) -> str | None:
    """Which fact ``ask`` asks for, when the ticket or the triage report already holds it."""
    text = ticket.full_text()
    notes = [*(triage.findings if triage else []), triage.summary if triage else ""]
    notes += [m.text for m in ticket.messages if m.author_role in ("support", "engineer")]
    lowered = ask.lower()
    if "version" in lowered and (
        _VERSIONED_SDK.search(text) or any(re.search(r"\d", h) for h in triage.sdk_hints if triage)
    ):
        return "the SDK version"
    if "platform" in lowered and (
        _PLATFORM_WORDS.search(text) or (triage is not None and triage.platform_hints)
    ):
        return "the platform"
    if (
        "link" in lowered
        and "project" in lowered
        and (ticket.customer.project_id or _PROJECT_URL.search(text))
    ):
        return "the project link"
    if re.search(r"debug|log|console|output", lowered) and _ERROR_OUTPUT.search(text):
        return "the error output"
    if "reproduc" in lowered and (
        any(_REPRODUCED.search(n) and not _NOT_REPRODUCED.search(n) for n in notes)
        or _STEPS.search(ticket.body)
    ):
        return "a reproduction"
    if "expect" in lowered and _EXPECTED.search(text):
        return "what they expected"
    return None


def _asks_not_held(case: EvalCase, escalation: Escalation) -> Check:
    ticket, triage = case.request.ticket, case.request.triage
    repeated = [
        f"{held} ('{ask[:40]}')"
        for ask in escalation.reproduction.missing
        if (held := _held(ask, ticket, triage))
    ]
    detail = "asked though already given: " + "; ".join(repeated) if repeated else ""
    return Check(name="asks_not_held", passed=not repeated, detail=detail)


_TREND_WORD = re.compile(
    r"\b(?P<neg>not |no longer )?(?P<word>growing|rising|increasing|shrinking|falling|"
    r"decreasing|declining|steady|flat|stable)\b",
    re.I,
)
_UP = {"growing", "rising", "increasing"}
_DOWN = {"shrinking", "falling", "decreasing", "declining"}


_UNTIL = re.compile(r"timestamp < toDateTime\('(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})'\)")


def daily_counts_of(item: Evidence) -> list[int] | None:
    """The full days' counts of a per-day row (a ``day | events`` table): every day from
    the first with events to the window's end (read from the query, else the last row),
    zeros filled in, the first day and a cut last day left out as partial."""
    lines = [line.split(" | ") for line in item.result.splitlines() if " | " in line]
    if not lines or lines[0][:2] != ["day", "events"]:
        return None
    days: dict[date, int] = {}
    for row in lines[1:]:
        try:
            days[date.fromisoformat(row[0][:10])] = int(float(row[1]))
        except (ValueError, IndexError):
            continue
    if not days:
        return []
    first, last = min(days), max(days)
    cut = True
    until = _UNTIL.search(item.query)
    if until is not None:
        last = date.fromisoformat(until.group(1))
        if until.group(2) == "00:00:00":
            last, cut = last - timedelta(days=1), False
    span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    counts = [days.get(d, 0) for d in span][1:]
    return counts[:-1] if cut else counts


def _slope(values: list[int]) -> float:
    n = len(values)
    mx, my = (n - 1) / 2, sum(values) / n
    den = sum((x - mx) ** 2 for x in range(n))
    return sum((x - mx) * (y - my) for x, y in enumerate(values)) / den if den else 0.0


def trend_of(counts: list[int]) -> str:
    """``growing``, ``shrinking``, ``steady`` or ``too few days``, by the stated test: the
    slope over all days and over each half share one sign; each half moves by a tenth of
    the median day, the whole by a quarter."""
    if len(counts) < 4:
        return "too few days"
    median = max(sorted(counts)[(len(counts) - 1) // 2], 1)
    half = (len(counts) + 1) // 2
    signs = set()
    for part, share in ((counts, 0.25), (counts[:half], 0.1), (counts[-half:], 0.1)):
        change = _slope(part) * (len(part) - 1)
        signs.add(0 if abs(change) < share * median else (1 if change > 0 else -1))
    return {frozenset({1}): "growing", frozenset({-1}): "shrinking"}.get(frozenset(signs), "steady")


def trend_mismatches(escalation: Escalation) -> list[str]:
    """Trend words in Impact and the dimensions that the cited daily counts contradict."""
    by_id = escalation.evidence_by_id()
    impact = escalation.impact
    fields = [
        (f"impact.{n}", getattr(impact, n) or "", impact.evidence) for n in ("who", "cannot_do")
    ]
    fields += [
        (f"dimensions.{n}", d.statement, d.evidence) for n, d in escalation.dimensions.items()
    ]
    problems: list[str] = []
    for field, text, listed in fields:
        for match in _TREND_WORD.finditer(text):
            word = match.group("word").lower()
            after = text[match.end() :]
            marker = re.search(r"\[E\d+(?:\s*,\s*E\d+)*\]", after)
            cited = inline_citations(marker.group(0)) if marker else listed
            series = [
                c for i in cited if i in by_id if (c := daily_counts_of(by_id[i])) is not None
            ]
            if not series:
                problems.append(f"{field}: '{word}' cites no daily counts")
                continue
            actual = trend_of(series[0])
            claims_up, claims_down = word in _UP, word in _DOWN
            if match.group("neg"):
                ok = not (
                    (claims_up and actual == "growing") or (claims_down and actual == "shrinking")
                )
            elif claims_up or claims_down:
                ok = actual == ("growing" if claims_up else "shrinking")
            else:
                ok = actual in ("steady", "too few days")
            if not ok:
                problems.append(
                    f"{field}: says '{match.group(0).strip()}', the counts are {actual}"
                )
    return problems


def _trend(escalation: Escalation) -> Check:
    problems = trend_mismatches(escalation)
    return Check(name="trend_matches_counts", passed=not problems, detail="; ".join(problems))


def gating_checks(case: EvalCase, outcome: Outcome) -> list[Check]:
    """Every gating check of ``outcome`` against ``case``, in a fixed order."""
    parsed = _parses(outcome)
    if not parsed.passed or outcome.escalation is None:
        return [parsed]
    e = outcome.escalation
    x = case.expect
    errors = [f for f in outcome.findings if f.level == "error"]
    decision = "escalate" if x.escalate else "resolve_in_support"
    checks = [
        parsed,
        Check(
            name="quality_gate",
            passed=not errors,
            detail="; ".join(f"{f.rule} ({f.field})" for f in errors[:4]),
        ),
        _equal("severity", x.severity.value, e.severity.value),
        _equal("route", x.route, e.routing.route),
        _equal("affected_repo", x.affected_repo, e.affected_repo, fold=True),
        _equal("escalate", decision, e.recommendation),
        _known_issues(case, e, outcome),
        _secrets(case, outcome),
        _private_fields(case, outcome, e),
        _figures_cited(e),
        _asks_not_held(case, e),
        _trend(e),
    ]
    if x.trend is not None:
        stated = _stated_trend(e)
        checks.append(_equal("trend", x.trend, stated))
    return checks


def _stated_trend(escalation: Escalation) -> str | None:
    """The trend word the Breadth statement uses, normalized (None when it has none)."""
    match = _TREND_WORD.search(escalation.dimensions.breadth.statement)
    if match is None:
        return None
    word = match.group("word").lower()
    if match.group("neg"):
        return "steady"
    return "growing" if word in _UP else "shrinking" if word in _DOWN else "steady"


# --- graded ------------------------------------------------------------------------

_FIGURE_WORDS: dict[str, str] = {
    "affected_orgs": r"organi[sz]ations?|orgs?",
    "affected_persons": r"persons|people|users",
    "affected_sessions": r"sessions",
    "events": r"events",
    "ingestion_warnings": r"ingestion warnings",
}
_FIGURE_KEYS: dict[str, tuple[str, ...]] = {
    "affected_orgs": ("affected_orgs",),
    "affected_persons": ("affected_persons",),
    "affected_sessions": ("affected_sessions",),
    "events": ("events", "duplicated_events"),
    "ingestion_warnings": ("ingestion_warnings",),
}


def truth_value(name: str, truth: GroundTruth, incident: str) -> float | None:
    """The ground-truth value of figure ``name`` for ``incident`` (None when unknown)."""
    found = truth.incidents.get(incident)
    if found is None:
        return None
    attribute = "events" if name == "ingestion_warnings" else name
    value = getattr(found, attribute, None)
    return float(value) if value is not None else None


def stated_value(name: str, escalation: Escalation) -> tuple[float | None, str]:
    """The number the escalation states for figure ``name``, and where it was read.

    In order: the assessment (``affected_orgs``), the Breadth statement ("9
    organizations"), the figures of the evidence Breadth cites.
    """
    if name == "affected_orgs" and escalation.assessment.affected_orgs is not None:
        return float(escalation.assessment.affected_orgs), "assessment.affected_orgs"
    breadth = escalation.dimensions.breadth
    words = _FIGURE_WORDS[name]
    match = re.search(rf"(?<![\w.])(\d[\d,]*)\s+(?:{words})\b", breadth.statement, re.I)
    if match:
        return float(match.group(1).replace(",", "")), "dimensions.breadth"
    by_id = escalation.evidence_by_id()
    for evidence_id in breadth.evidence:
        item = by_id.get(evidence_id)
        for key in _FIGURE_KEYS[name]:
            if item is not None and key in item.figures:
                return item.figures[key], f"evidence {evidence_id}.figures.{key}"
    return None, ""


def figure_scores(
    case: EvalCase, escalation: Escalation, truth: GroundTruth | None
) -> list[FigureScore]:
    """Each expected figure against the stated one."""
    scores = []
    for name, spec in case.expect.figure_specs().items():
        expected = _expected(name, spec, case, truth)
        stated, source = stated_value(name, escalation)
        ok = (
            expected is not None
            and stated is not None
            and abs(stated - expected) <= spec.tolerance * max(abs(expected), 1.0)
        )
        scores.append(
            FigureScore(
                name=name,
                expected=expected,
                stated=stated,
                tolerance=spec.tolerance,
                ok=ok,
                source=source,
            )
        )
    return scores


def _expected(
    name: str, spec: FigureSpec, case: EvalCase, truth: GroundTruth | None
) -> float | None:
    if spec.value != "truth":
        return float(spec.value)
    incident = spec.incident or case.expect.truth_incident
    if truth is None or incident is None:
        return None
    return truth_value(name, truth, incident)


_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_MONTH_DAY = re.compile(
    rf"\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?![a-z])",
    re.IGNORECASE,
)
"""Dates written with a month name ("Nov 18"): a day of the month is not a count."""
_NAMED_NUMBER = re.compile(r"\b[A-Za-z]+-\d+\b")
"""Names that end in a number ("UTF-8", "SHA-256"): not counts."""


def _haystack(items: list[Evidence]) -> str:
    parts = []
    for item in items:
        figures = " ".join(f"{v:g}" for v in item.figures.values())
        parts.append(f"{item.finding} {item.result} {figures}")
    return " ".join(parts).replace(",", "")


def grounding(escalation: Escalation) -> tuple[float | None, list[str]]:
    """The share of numbers in Impact and the dimensions that appear in the evidence they
    cite, and the numbers that do not (``None`` when there are no numbers)."""
    by_id = escalation.evidence_by_id()
    impact = escalation.impact
    parts = [(text, impact.evidence) for text in (impact.who, impact.cannot_do)]
    if impact.workaround:
        parts.append((impact.workaround, impact.evidence))
    parts += [(d.statement, d.evidence) for _, d in escalation.dimensions.items()]
    total = 0
    missing: list[str] = []
    for text, cited in parts:
        hay = _haystack([by_id[i] for i in cited if i in by_id])
        for number in counts_in(_NAMED_NUMBER.sub(" ", _MONTH_DAY.sub(" ", text))):
            total += 1
            bare = number.replace(",", "").rstrip("%")
            if not re.search(rf"(?<![\d.]){re.escape(bare)}(?![\d])", hay):
                missing.append(number)
    if not total:
        return None, []
    return (total - len(missing)) / total, missing


def graded_scores(
    case: EvalCase, outcome: Outcome, truth: GroundTruth | None, seconds: float
) -> Graded:
    """The graded scores of an outcome."""
    usage = outcome.usage
    graded = Graded(
        evidence_rows=len(outcome.evidence),
        evidence_ok=sum(1 for e in outcome.evidence if e.status == "ok"),
        model_turns=usage.model_turns,
        tool_calls=usage.tool_calls or len(outcome.tool_calls),
        input_tokens=usage.input_tokens + usage.cache_read_tokens + usage.cache_write_tokens,
        output_tokens=usage.output_tokens,
        cost_usd=usage.cost_usd,
        seconds=seconds,
    )
    mentions = case.expect.must_mention
    if mentions:
        text = _norm(outcome.markdown)
        missing = [m for m in mentions if _norm(m) not in text]
        graded.mention_recall = (len(mentions) - len(missing)) / len(mentions)
        graded.missing_mentions = missing
    if outcome.escalation is not None:
        graded.figures = figure_scores(case, outcome.escalation, truth)
        graded.grounding, graded.ungrounded = grounding(outcome.escalation)
    return graded


# --- pass^k and pass@k ---------------------------------------------------------------


def pass_hat_k(passes: int, trials: int, k: int) -> float:
    """The chance that ``k`` trials drawn from ``trials`` all pass: C(c,k)/C(n,k).

    Raises:
        ValueError: ``k`` is not between 1 and ``trials``, or ``passes`` is out of range.
    """
    _check_counts(passes, trials, k)
    return comb(passes, k) / comb(trials, k)


def pass_at_k(passes: int, trials: int, k: int) -> float:
    """The chance that at least one of ``k`` trials drawn from ``trials`` passes:
    1 - C(n-c,k)/C(n,k)."""
    _check_counts(passes, trials, k)
    return 1.0 - comb(trials - passes, k) / comb(trials, k)


def _check_counts(passes: int, trials: int, k: int) -> None:
    if not 1 <= k <= trials:
        raise ValueError(f"k must be between 1 and the number of trials ({trials}), got {k}")
    if not 0 <= passes <= trials:
        raise ValueError(f"passes must be between 0 and {trials}, got {passes}")
