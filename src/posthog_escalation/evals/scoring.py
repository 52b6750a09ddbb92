"""Scoring one outcome against its case: gating checks and graded scores.

Gating checks multiply into the trial's pass (0 or 1): the output is an
:class:`~posthog_escalation.models.Escalation`, the quality gate has no errors, severity,
route, affected repository and the escalate/resolve decision are as expected, every
expected known issue is listed and none is invented (an issue listed as matching that no
tool returned), and nothing in ``must_not_contain`` reaches the public flavour.

Graded scores are reported apart and never fail a trial: ``must_mention`` recall, figures
within tolerance of the world's ground truth, grounding (the share of numbers in Impact
and the dimensions found in the evidence they cite), evidence rows, and usage.
"""

from __future__ import annotations

import re
from math import comb

from pydantic import BaseModel, Field, ValidationError

from ..lint import counts_in
from ..models import Escalation, Evidence
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


def gating_checks(case: EvalCase, outcome: Outcome) -> list[Check]:
    """Every gating check of ``outcome`` against ``case``, in a fixed order."""
    parsed = _parses(outcome)
    if not parsed.passed or outcome.escalation is None:
        return [parsed]
    e = outcome.escalation
    x = case.expect
    errors = [f for f in outcome.findings if f.level == "error"]
    decision = "escalate" if x.escalate else "resolve_in_support"
    return [
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
    ]


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
