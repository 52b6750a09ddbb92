"""What one escalation run produced: the escalation (or a refusal), the evidence, the
gate's findings, the tool calls and the model usage. The eval harness scores this."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from .lint import Finding
from .models import Escalation, Evidence, Refusal
from .understanding.decide import Decision

DrafterName = Literal["offline", "llm"]


class Usage(BaseModel):
    """Model usage of one run (all zero for the offline drafter)."""

    model: str | None = None
    model_turns: int = 0
    tool_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    cost_usd: float = 0.0


def add_usage(total: Usage, more: Usage) -> Usage:
    """Two usages summed (the model is the first one's, else the second's)."""
    return Usage(
        model=total.model or more.model,
        model_turns=total.model_turns + more.model_turns,
        tool_calls=total.tool_calls + more.tool_calls,
        input_tokens=total.input_tokens + more.input_tokens,
        output_tokens=total.output_tokens + more.output_tokens,
        cache_read_tokens=total.cache_read_tokens + more.cache_read_tokens,
        cache_write_tokens=total.cache_write_tokens + more.cache_write_tokens,
        cost_usd=round(total.cost_usd + more.cost_usd, 6),
    )


class ToolCall(BaseModel):
    """One tool call made while drafting."""

    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)
    is_error: bool = False
    seconds: float = 0.0
    result: str = Field(default="", description="The result text, bounded")


class Outcome(BaseModel):
    """The result of :func:`posthog_escalation.escalate`."""

    ticket_id: str
    drafter: DrafterName
    escalation: Escalation | None = None
    refusal: Refusal | None = None
    findings: list[Finding] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    tool_calls: list[ToolCall] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    markdown: str = ""
    public_markdown: str = ""
    revised: bool = Field(default=False, description="The gate sent the draft back once")
    fell_back: bool = Field(
        default=False, description="The Claude drafter failed and the offline drafter wrote it"
    )
    unavailable: bool = Field(
        default=False,
        description="It fell back because the model API was down or rate limited",
    )
    notes: list[str] = Field(
        default_factory=list, description="What the drafter decided or overrode, and why"
    )
    decision: Decision | None = Field(
        default=None, description="How the ticket was read and routed, with the reasons"
    )

    @property
    def passed_gate(self) -> bool:
        """True when an escalation was produced and the gate found no errors."""
        return self.escalation is not None and not any(f.level == "error" for f in self.findings)

    def tool_text(self) -> str:
        """Every text a tool returned in this run (evidence results and tool results)."""
        parts = [f"{e.query}\n{e.result}\n{e.finding}\n{e.url or ''}" for e in self.evidence]
        parts += [call.result for call in self.tool_calls]
        return "\n".join(parts)
