"""The main job as one async function: ticket in, escalation (or refusal) out.

``escalate()`` is what the CLI's ``run`` and ``demo``, the eval harness and a triage
agent's Python code call. Drafting never files anything.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal

from .backends import Backends, open_backends
from .config import Settings
from .drafting.offline import relevant_incident, settled_decision
from .evidence import GatherLimits, gather
from .lint import lint
from .models import EscalationRequest, Refusal, Ticket
from .outcome import DrafterName, Outcome, Usage, add_usage
from .playbook import Playbook, default_playbook
from .redact import redactor_for
from .render import render_markdown
from .scrub import scrub_model
from .tools.issues import LocalIssues, own_issue_keys
from .tools.issues.neighbours import nearest_labeled
from .understanding import Signals, default_catalogue, extract_signals
from .understanding.area import Neighbour
from .understanding.decide import Decision, decide
from .understanding.merge import merge_reading

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

DrafterChoice = Literal["auto", "offline", "llm"]
Progress = Callable[[str], None]


async def _read_with_claude(
    request: EscalationRequest,
    signals: Signals,
    decision: Decision,
    playbook: Playbook,
    settings: Settings,
    client: AsyncAnthropic | None,
) -> tuple[Decision, Signals, list[str], Usage]:
    """Claude's reading of the ticket, checked and merged by the rules."""
    from .drafting.reading import read_ticket

    owned = client is None
    if client is None:
        from .drafting.llm import make_client

        client = make_client(settings)
    try:
        catalogue = default_catalogue()
        reading, failure, usage = await read_ticket(
            client,
            settings.model,
            request.ticket,
            request.triage,
            playbook,
            catalogue,
            secrets=settings.secrets(),
        )
    finally:
        if owned:
            await client.close()
    if reading is None:
        return decision, signals, [failure or "Claude returned no reading"], usage
    merged, merged_signals, notes = merge_reading(
        decision, signals, reading, playbook, catalogue, ticket=request.ticket
    )
    return merged, merged_signals, notes, usage


def labeled_neighbours(backends: Backends, ticket: Ticket) -> list[Neighbour]:
    """The nearest past issues of a local snapshot whose labels name their area (none for
    GitHub search or a snapshot without area labels)."""
    if not isinstance(backends.issues, LocalIssues):
        return []
    found = nearest_labeled(
        backends.issues,
        f"{ticket.subject}\n{ticket.body}",
        before=ticket.created_at,
        exclude=own_issue_keys(ticket.id, ticket.links),
    )
    return [Neighbour(key=key, route=route, similarity=weight) for key, route, weight in found]


def choose_drafter(choice: DrafterChoice, settings: Settings) -> DrafterName:
    """``llm`` when asked for (or ``auto`` with an Anthropic key), else ``offline``."""
    if choice == "auto":
        return "llm" if settings.anthropic_api_key is not None else "offline"
    return choice


async def escalate(
    request: EscalationRequest,
    *,
    settings: Settings | None = None,
    backends: Backends | None = None,
    drafter: DrafterChoice = "auto",
    playbook: Playbook | None = None,
    now: datetime | None = None,
    limits: GatherLimits | None = None,
    progress: Progress | None = None,
    anthropic_client: AsyncAnthropic | None = None,
) -> Outcome:
    """Turn a ticket (and its triage report) into a finished, gated escalation.

    Args:
        request: The ticket and optional triage report.
        settings: Where backends and keys come from (the environment when omitted).
        backends: Evidence backends to use; opened from ``settings`` (and closed) when
            omitted.
        drafter: ``offline`` (rules), ``llm`` (Claude) or ``auto`` (Claude when
            ``ANTHROPIC_API_KEY`` is set).
        playbook: The playbook (the packaged one when omitted).
        now: The escalation's clock (default: the embedded world's clock, else now).
        limits: Time limits per evidence source.
        progress: Called with a short label as each stage starts.
        anthropic_client: The Anthropic client for the Claude drafter (built from
            ``settings`` when omitted); tests and evals pass a scripted one.

    Returns:
        The outcome. When the triage decision is not to escalate it holds a refusal and no
        escalation.
    """
    settings = settings or Settings()
    book = playbook or default_playbook()
    chosen = choose_drafter(drafter, settings)
    request = scrub_model(request, settings.secrets())
    ticket, triage = request.ticket, request.triage
    if triage is not None and not triage.escalates:
        return Outcome(
            ticket_id=ticket.id,
            drafter=chosen,
            refusal=Refusal(
                ticket_id=ticket.id,
                decision=triage.decision,
                reason=(
                    f"the triage decision is '{triage.decision.value}', not "
                    "'escalate_to_engineering'; nothing was escalated"
                ),
            ),
        )
    notify = progress or (lambda _label: None)
    stages: dict[str, float] = {}
    owned = backends is None
    started = time.perf_counter()
    if backends is None:
        notify("opening backends")
        backends = open_backends(settings)
        stages["open_backends"] = time.perf_counter() - started
    try:
        clock = now or (backends.hogql.now if backends.hogql else None) or datetime.now(UTC)
        mark = time.perf_counter()
        notify("reading the ticket")
        signals = extract_signals(ticket, triage)
        decision = decide(
            signals, book, ticket=ticket, neighbours=labeled_neighbours(backends, ticket)
        )
        stages["signals"] = time.perf_counter() - mark
        reading_notes: list[str] = []
        reading_usage: Usage | None = None
        if chosen == "llm":
            notify("reading the ticket (llm)")
            mark = time.perf_counter()
            decision, signals, reading_notes, reading_usage = await _read_with_claude(
                request, signals, decision, book, settings, anthropic_client
            )
            stages["reading"] = time.perf_counter() - mark

        mark = time.perf_counter()
        notify("gathering evidence")
        pack = await gather(
            ticket,
            signals,
            backends,
            book,
            route=decision.product_route,
            now=clock,
            limits=limits,
        )
        stages["evidence"] = time.perf_counter() - mark

        mark = time.perf_counter()
        notify(f"drafting ({chosen})")
        if chosen == "llm":
            from .drafting.llm import draft_with_claude

            drafted = await draft_with_claude(
                request,
                signals,
                pack,
                backends,
                book,
                settings=settings,
                now=clock,
                client=anthropic_client,
                decision=decision,
            )
            escalation, tool_calls, usage, revised = (
                drafted.escalation,
                drafted.tool_calls,
                drafted.usage,
                drafted.revised,
            )
            notes, fell_back = [*reading_notes, *drafted.notes], drafted.fell_back
            unavailable = drafted.unavailable
        else:
            from .drafting.offline import draft_offline

            escalation = draft_offline(
                ticket, triage, signals, pack, book, now=clock, decision=decision
            )
            tool_calls, usage, revised = [], None, False
            notes, fell_back, unavailable = [], False, False
        stages["draft"] = time.perf_counter() - mark
        decision = settled_decision(
            ticket, signals, pack, book, relevant_incident(pack, signals), decision
        )
    finally:
        if owned:
            await backends.aclose()

    mark = time.perf_counter()
    report = lint(escalation, book)
    redactor = redactor_for(ticket, settings.secrets(), keep_project_ids=settings.keep_project_ids)
    outcome = Outcome(
        ticket_id=ticket.id,
        drafter=chosen,
        escalation=escalation,
        findings=report.findings,
        evidence=escalation.evidence,
        tool_calls=tool_calls,
        markdown=render_markdown(escalation),
        public_markdown=render_markdown(escalation, "public", redactor=redactor),
        revised=revised,
        fell_back=fell_back,
        unavailable=unavailable,
        notes=notes,
        decision=decision,
    )
    if usage is not None:
        outcome.usage = usage
    if reading_usage is not None:
        outcome.usage = add_usage(outcome.usage, reading_usage)
    stages["gate_and_render"] = time.perf_counter() - mark
    stages["total"] = time.perf_counter() - started
    outcome.stage_seconds = stages
    return outcome
