"""What the model writes: the prose sections of an escalation, as structured output.

The model does not write what code can decide from the playbook and the data: severity,
the receiving team and repository, the assessment flags, the blast radius, follow-up
times, the evidence table and the GitHub search terms actually used. Every field here is
required and none is nullable (an empty string or list means "none"), which keeps the JSON
schema within what structured outputs accept.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..models import AskKind, Region, Reproducibility, Severity


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AnswerImpact(_Part):
    """Who is hurt and how."""

    who: str = Field(description="The customer organization and, from evidence, who else")
    cannot_do: str = Field(description="The workflow they cannot complete")
    workaround: str = Field(description="The workaround, or an empty string when there is none")
    evidence: list[str] = Field(description="Evidence ids behind the numbers in 'who'")


class AnswerDimension(_Part):
    """One quantification dimension."""

    statement: str
    evidence: list[str] = Field(description="Evidence ids behind every number in the statement")


class AnswerDimensions(_Part):
    """The five things to quantify."""

    breadth: AnswerDimension
    depth: AnswerDimension
    duration: AnswerDimension
    revenue_signal: AnswerDimension
    data_risk: AnswerDimension


class AnswerSdk(_Part):
    """An SDK package and version."""

    name: str
    version: str = Field(description="Version or range as written, empty when unknown")


class AnswerReproduction(_Part):
    """How an engineer makes it happen."""

    sdks: list[AnswerSdk]
    platform: str
    region: Region
    steps: list[str]
    expected: str
    actual: str
    reproducibility: Reproducibility
    conditions: str = Field(description="The specific conditions, empty when none")
    missing: list[str] = Field(description="Facts to ask the customer for")


class AnswerIssue(_Part):
    """A GitHub issue or PR an evidence row lists."""

    repo: str = Field(description="owner/name")
    number: int
    title: str
    state: Literal["open", "closed"]
    evidence: str = Field(description="The evidence id that lists it")


class AnswerKnownIssues(_Part):
    """Known issues and fixes that match, from evidence only."""

    matching_issues: list[AnswerIssue]
    related_prs: list[AnswerIssue]


class AnswerAsk(_Part):
    """One specific request to the receiving team."""

    kind: AskKind
    detail: str


class AnswerCommunication(_Part):
    """What the customer knows and expects."""

    knows: str
    expects: str
    churn_risk: Literal["low", "medium", "high"]
    churn_reason: str


class DraftAnswer(_Part):
    """The model's final answer."""

    summary: str = Field(description="One line, at most 160 characters")
    route: str = Field(description="One of the route keys the task offers")
    severity: Severity = Field(description="Your reading; the playbook rubric decides")
    severity_rationale: str
    recommendation: Literal["escalate", "resolve_in_support"]
    recommendation_reason: str = Field(description="Why, empty when escalating")
    impact: AnswerImpact
    dimensions: AnswerDimensions
    reproduction: AnswerReproduction
    known_issues: AnswerKnownIssues
    asks: list[AnswerAsk]
    communication: AnswerCommunication
    routing_context: list[str] = Field(description="The context the receiving team needs")
    close_criteria: list[str]


def output_format() -> dict[str, Any]:
    """The ``output_config.format`` that asks for a :class:`DraftAnswer`."""
    from anthropic import transform_schema

    return {"type": "json_schema", "schema": transform_schema(DraftAnswer)}


class AnswerError(ValueError):
    """The model's final text is not a valid :class:`DraftAnswer`."""


_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def parse_answer(text: str) -> DraftAnswer:
    """The answer in ``text``: a JSON object, possibly fenced or surrounded by prose.

    Raises:
        AnswerError: No JSON object, or one that does not match the schema; the message
            says what is wrong in a form the model can act on.
    """
    body = _FENCE.sub("", text.strip())
    start, end = body.find("{"), body.rfind("}")
    if start < 0 or end <= start:
        raise AnswerError("the answer holds no JSON object")
    try:
        data = json.loads(body[start : end + 1])
    except json.JSONDecodeError as exc:
        raise AnswerError(f"the answer is not valid JSON ({exc.msg} at {exc.pos})") from None
    try:
        return DraftAnswer.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'answer'}: {e['msg']}"
            for e in exc.errors()[:8]
        )
        raise AnswerError(f"the answer does not match the schema: {problems}") from None
