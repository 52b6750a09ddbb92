"""The Claude drafter: the SDK's tool runner over this project's MCP tools.

One drafting session:

1. The offline drafter's rules run first on the same signals and evidence (the
   *baseline*, see :mod:`.assemble`): they fix severity, the route choices and follow-up
   times, and are the fallback when the model cannot finish.
2. The project's MCP server runs in-process (``mcp.Client(server)``) over the same
   backends, with an :class:`~posthog_escalation.evidence.EvidenceLog` seeded with the
   pack, so every tool result gets the next evidence id. Only the read-only evidence tools
   are given to the model (:data:`DRAFTING_TOOLS`); drafting never files.
3. A message thread (``client.beta.messages.thread``) holds the conversation; its
   ``tool_runner()`` runs the tool loop (``async_mcp_tool`` adapters; no hand-written
   loop). The system prompt and the tool definitions carry ``cache_control``. The answer is
   structured output (``output_config.format``: the :class:`.answer.DraftAnswer` schema).
4. The answer becomes an :class:`Escalation` under the playbook's policy and goes through
   the quality gate. If the gate finds errors (or the answer cannot be read), the findings
   go back once on the same thread, and the second answer is final.

Caps: ``max_iterations`` model turns for the draft, ``revision_iterations`` for the
revision, ``max_tokens`` per reply and ``token_budget`` for the whole session. A model
that hits a cap, refuses, returns no readable answer twice, or cannot be reached (after
the SDK's retries) does not stop the escalation: the offline drafter's escalation is used,
and :attr:`DraftResult.notes` says why. A rejected key, an unknown model or a malformed
request are configuration errors and raise.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..backends import Backends
from ..config import Settings
from ..errors import AuthError, BackendError, ConfigError
from ..evidence import EvidencePack
from ..evidence_log import EvidenceLog
from ..lint import Finding, lint
from ..models import Escalation, EscalationRequest
from ..outcome import ToolCall, Usage
from ..playbook import Playbook
from ..understanding import Signals
from ..understanding.decide import Decision
from .answer import AnswerError, DraftAnswer, output_format, parse_answer
from .assemble import assemble, route_choices
from .briefing import revision_message, scrub, task_message
from .offline import draft_offline
from .pricing import cost_usd
from .prompts import load_prompt

if TYPE_CHECKING:
    import anthropic
    from anthropic import AsyncAnthropic

log = logging.getLogger(__name__)

DRAFTING_TOOLS = frozenset(
    {"hogql_query", "impact_summary", "docs_search", "github_issue_search", "find_known_issues"}
)
"""The MCP tools the model may call: read-only evidence tools. Lint, render, follow-up and
filing tools are never offered (an allow-list, so a new server tool is not exposed by
accident)."""

CACHE = {"type": "ephemeral"}
TOOL_RESULT_CHARS = 2000


@dataclass
class DraftResult:
    """What one Claude drafting session produced.

    Attributes:
        escalation: The escalation (the offline drafter's when the session fell back).
        tool_calls: Every tool call the model made, in order.
        usage: Model turns, tool calls, tokens and approximate cost.
        revised: The gate sent the draft back once.
        fell_back: The offline drafter's escalation was used; ``notes`` says why.
        unavailable: It fell back because the API was down or rate limited (an
            infrastructure failure, not a drafting one).
        notes: Where the model's proposal was overruled, and why a session fell back.
        stage_seconds: Wall time by stage: ``baseline`` (offline rules), ``setup`` (MCP
            server, in-process client, tool list, task message), ``model`` (waiting for
            replies, SDK included), ``tools`` (tool calls), ``gate`` (assembly and the
            quality gate), ``total``.
    """

    escalation: Escalation
    tool_calls: list[ToolCall] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    revised: bool = False
    fell_back: bool = False
    unavailable: bool = False
    notes: list[str] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)


class _Unfinished(Exception):
    """The session ended without a usable answer; the message says why."""


class _Recorder:
    """Stands in for the MCP session in the tool adapters: calls the tool, records it."""

    def __init__(self, session: Any, calls: list[ToolCall], secrets: list[str]) -> None:
        self._session = session
        self._calls = calls
        self._secrets = secrets

    async def call_tool(self, name: str, arguments: dict[str, Any] | None = None, **_: Any) -> Any:
        if name not in DRAFTING_TOOLS:
            raise PermissionError(f"tool '{name}' is not available while drafting")
        started = time.perf_counter()
        try:
            result = await self._session.call_tool(name, arguments or {})
        except Exception as exc:
            self._record(name, arguments, True, started, f"{type(exc).__name__}: {exc}")
            raise
        texts = [getattr(c, "text", "") for c in result.content]
        text = "\n".join(t for t in texts if t)
        if not text and result.structured_content is not None:
            text = json.dumps(result.structured_content, default=str)
        self._record(name, arguments, bool(result.is_error), started, text)
        return result

    def _record(
        self, name: str, arguments: dict[str, Any] | None, failed: bool, started: float, text: str
    ) -> None:
        self._calls.append(
            ToolCall(
                name=name,
                arguments=arguments or {},
                is_error=failed,
                seconds=round(time.perf_counter() - started, 4),
                result=scrub(text, self._secrets)[:TOOL_RESULT_CHARS],
            )
        )


class _Meter:
    """Adds up usage per reply and enforces the session's token budget."""

    def __init__(self, model: str, budget: int) -> None:
        self.usage = Usage(model=model)
        self.budget = budget

    def add(self, message: Any) -> None:
        u = message.usage
        self.usage.model_turns += 1
        self.usage.input_tokens += u.input_tokens or 0
        self.usage.output_tokens += u.output_tokens or 0
        self.usage.cache_read_tokens += u.cache_read_input_tokens or 0
        self.usage.cache_write_tokens += u.cache_creation_input_tokens or 0

    @property
    def spent(self) -> int:
        u = self.usage
        return u.input_tokens + u.output_tokens + u.cache_read_tokens + u.cache_write_tokens

    def finish(self, calls: list[ToolCall]) -> Usage:
        self.usage.tool_calls = len(calls)
        self.usage.cost_usd = cost_usd(self.usage.model or "", self.usage)
        return self.usage


def make_client(settings: Settings) -> AsyncAnthropic:
    """An Anthropic client from the configured key; a clear error when there is none."""
    if settings.anthropic_api_key is None or not settings.anthropic_api_key.get_secret_value():
        raise ConfigError(
            "ANTHROPIC_API_KEY is not set, so the Claude drafter cannot run",
            "set ANTHROPIC_API_KEY, or draft offline (--offline)",
        )
    from anthropic import AsyncAnthropic

    return AsyncAnthropic(api_key=settings.anthropic_api_key.get_secret_value())


async def _tools(mcp_client: Any, recorder: _Recorder) -> list[Any]:
    from anthropic.lib.tools.mcp import async_mcp_tool

    listed = await mcp_client.list_tools()
    chosen = sorted((t for t in listed.tools if t.name in DRAFTING_TOOLS), key=lambda t: t.name)
    return [
        async_mcp_tool(tool, recorder, cache_control=CACHE if i == len(chosen) - 1 else None)  # type: ignore[arg-type]
        for i, tool in enumerate(chosen)
    ]


async def _run(thread: Any, iterations: int, meter: _Meter) -> Any:
    """One tool-runner pass over ``thread``; the last reply, or :class:`_Unfinished`."""
    runner = thread.tool_runner(max_iterations=iterations)
    last = None
    async for message in runner:
        meter.add(message)
        last = message
        if meter.spent > meter.budget:
            await runner.close()
            raise _Unfinished(
                f"the session used {meter.spent} tokens, over its budget of {meter.budget}"
            )
    if last is None:
        raise _Unfinished("the model sent no reply")
    if last.stop_reason == "tool_use":
        raise _Unfinished(f"the model did not finish within {iterations} model turns")
    if last.stop_reason == "refusal":
        raise _Unfinished("the model refused to draft this escalation")
    return last


def _answer(message: Any) -> tuple[DraftAnswer | None, str | None]:
    text = "".join(block.text for block in message.content if block.type == "text")
    if message.stop_reason == "max_tokens":
        return None, "the answer was cut off at max_tokens; answer more briefly"
    try:
        return parse_answer(text), None
    except AnswerError as exc:
        return None, str(exc)


def _config_error(exc: anthropic.APIStatusError, model: str) -> Exception | None:
    """The error to raise for a rejection the user must fix, or None for a transient one."""
    import anthropic

    if isinstance(exc, anthropic.AuthenticationError | anthropic.PermissionDeniedError):
        return AuthError(
            f"Anthropic rejected the API key ({exc.status_code})",
            "check ANTHROPIC_API_KEY, or draft offline (--offline)",
        )
    if isinstance(exc, anthropic.NotFoundError):
        return ConfigError(
            f"the Anthropic API does not know model '{model}'",
            "set POSTHOG_ESCALATION_MODEL to a current model id, e.g. claude-sonnet-5-5",
        )
    if isinstance(exc, anthropic.BadRequestError | anthropic.UnprocessableEntityError):
        detail = " ".join(str(exc.message).split())[:200]
        return BackendError(
            f"the Anthropic API rejected the drafting request: {detail}",
            "this is a bug in the drafter's request; draft offline (--offline) meanwhile",
        )
    return None


@dataclass
class _Limits:
    model: str
    max_iterations: int
    revision_iterations: int
    max_tokens: int


class _Session:
    """The state of one drafting session: baseline, evidence log, records, clock."""

    def __init__(
        self,
        request: EscalationRequest,
        signals: Signals,
        pack: EvidencePack,
        playbook: Playbook,
        *,
        now: datetime,
        secrets: list[str],
        limits: _Limits,
        token_budget: int,
        decision: Decision | None = None,
    ) -> None:
        self.started = time.perf_counter()
        self.request, self.signals, self.pack, self.playbook = request, signals, pack, playbook
        self.now, self.secrets, self.limits = now, secrets, limits
        self.baseline = draft_offline(
            request.ticket, request.triage, signals, pack, playbook, now=now, decision=decision
        )
        self.choices = route_choices(
            self.baseline, signals, pack, playbook, ticket=request.ticket, decision=decision
        ) or [self.baseline.routing.route]
        self.stages: dict[str, float] = {
            "baseline": time.perf_counter() - self.started,
            "setup": 0.0,
            "model": 0.0,
            "tools": 0.0,
            "gate": 0.0,
        }
        self.evidence = EvidenceLog(pack.items)
        self.calls: list[ToolCall] = []
        self.meter = _Meter(limits.model, token_budget)
        self.notes: list[str] = []
        self.overruled: list[str] = []
        self.revised = False

    def result(self, escalation: Escalation, *, fell_back: bool = False) -> DraftResult:
        stages = dict(self.stages)
        stages["tools"] = sum(call.seconds for call in self.calls)
        stages["model"] = max(stages["model"] - stages["tools"], 0.0)
        stages["total"] = time.perf_counter() - self.started
        return DraftResult(
            escalation=escalation,
            tool_calls=self.calls,
            usage=self.meter.finish(self.calls),
            revised=self.revised,
            fell_back=fell_back,
            notes=[*self.overruled, *self.notes],
            stage_seconds={k: round(v, 6) for k, v in stages.items()},
        )

    def fallback(self, reason: str, *, unavailable: bool = False) -> DraftResult:
        log.warning("Claude drafter fell back to the offline drafter: %s", reason)
        self.overruled = []
        self.notes.append(f"{reason}; the offline drafter wrote this escalation")
        result = self.result(self.baseline, fell_back=True)
        result.unavailable = unavailable
        return result

    async def turn(self, thread: Any, iterations: int) -> tuple[DraftAnswer | None, str | None]:
        mark = time.perf_counter()
        try:
            return _answer(await _run(thread, iterations, self.meter))
        finally:
            self.stages["model"] += time.perf_counter() - mark

    def gate(self, answer: DraftAnswer) -> tuple[Escalation, list[Finding]]:
        """Assemble ``answer`` (its notes replace an earlier draft's) and run the gate."""
        mark = time.perf_counter()
        escalation, overruled = assemble(
            answer,
            baseline=self.baseline,
            choices=self.choices,
            signals=self.signals,
            evidence=self.evidence.items,
            playbook=self.playbook,
        )
        self.overruled = overruled
        errors = lint(escalation, self.playbook).errors
        self.stages["gate"] += time.perf_counter() - mark
        return escalation, errors

    async def converse(self, api: AsyncAnthropic, mcp_client: Any) -> DraftResult:
        """Draft, gate, and revise once; raises :class:`_Unfinished` or API errors."""
        ticket, triage = self.request.ticket, self.request.triage
        message = task_message(
            ticket,
            triage,
            self.signals,
            self.pack,
            baseline=self.baseline,
            choices=self.choices,
            playbook=self.playbook,
            now=self.now,
            secrets=self.secrets,
        )
        thread = api.beta.messages.thread(
            model=self.limits.model,
            max_tokens=self.limits.max_tokens,
            system=[{"type": "text", "text": load_prompt("system"), "cache_control": CACHE}],
            tools=await _tools(mcp_client, _Recorder(mcp_client.session, self.calls, self.secrets)),
            messages=[{"role": "user", "content": message}],
            output_config={"format": output_format()},
            unsupported_request_behavior="continue_unthreaded",
        )
        self.stages["setup"] = time.perf_counter() - self.started - self.stages["baseline"]
        answer, problem = await self.turn(thread, self.limits.max_iterations)
        errors: list[Finding] = []
        if answer is not None:
            escalation, errors = self.gate(answer)
            if not errors:
                return self.result(escalation)

        self.revised = True
        ids = [item.id for item in self.evidence.items]
        thread.append({"role": "user", "content": revision_message(errors, problem, ids)})
        answer, problem = await self.turn(thread, self.limits.revision_iterations)
        if answer is None:
            return self.fallback(f"the revised answer could not be read ({problem})")
        escalation, _ = self.gate(answer)
        return self.result(escalation)

    async def guarded(self, api: AsyncAnthropic, mcp_client: Any) -> DraftResult | Exception:
        """:meth:`converse`, with every way it can end turned into a value (an exception
        raised inside the MCP client's task group would reach the caller wrapped)."""
        import anthropic

        try:
            return await self.converse(api, mcp_client)
        except _Unfinished as exc:
            return self.fallback(str(exc))
        except anthropic.APIStatusError as exc:
            error = _config_error(exc, self.limits.model)
            if error is not None:
                return error
            unavailable = exc.status_code == 429 or exc.status_code >= 500
            return self.fallback(
                f"the Anthropic API failed ({exc.status_code})", unavailable=unavailable
            )
        except anthropic.APIConnectionError as exc:
            return self.fallback(
                f"the Anthropic API could not be reached ({type(exc).__name__})", unavailable=True
            )


async def draft_with_claude(
    request: EscalationRequest,
    signals: Signals,
    pack: EvidencePack,
    backends: Backends,
    playbook: Playbook,
    *,
    settings: Settings,
    now: datetime,
    client: AsyncAnthropic | None = None,
    model: str | None = None,
    max_iterations: int = 6,
    revision_iterations: int = 3,
    max_tokens: int = 16_384,
    token_budget: int = 400_000,
    decision: Decision | None = None,
) -> DraftResult:
    """Draft the escalation with Claude over the project's MCP tools.

    Args:
        request: The ticket and its triage report.
        signals: What was read from the ticket.
        pack: The evidence gathered up front (its ids are kept; tool results continue them).
        backends: The backends the MCP tools query.
        playbook: Routes, rubric and cadences.
        settings: The API key (when no client is given) and the default model.
        now: The escalation's clock.
        client: An Anthropic client to use (tests give one with a scripted transport);
            one is made from ``settings`` and closed afterwards when omitted.
        model: The model id (default: ``settings.model``).
        max_iterations: Model turns allowed for the draft, tool rounds included.
        revision_iterations: Model turns allowed for the one revision.
        max_tokens: Output tokens allowed per reply.
        token_budget: Input, output and cache tokens allowed for the whole session.
        decision: The routing decision made before the evidence (made here when omitted).

    Raises:
        ConfigError: No API key, or the model is unknown to the API.
        AuthError: The API rejected the key.
        BackendError: The API rejected the request as malformed.
    """
    from mcp import Client

    from ..server import build_server

    limits = _Limits(model or settings.model, max_iterations, revision_iterations, max_tokens)
    session = _Session(
        request,
        signals,
        pack,
        playbook,
        now=now,
        secrets=settings.secrets(),
        limits=limits,
        token_budget=token_budget,
        decision=decision,
    )
    api = client or make_client(settings)
    server = build_server(
        settings=settings, backends=backends, evidence=session.evidence, playbook=playbook
    )
    try:
        async with Client(server) as mcp_client:
            outcome = await session.guarded(api, mcp_client)
    finally:
        if client is None:
            await api.close()
    if isinstance(outcome, Exception):
        raise outcome
    return outcome
