"""Claude reads the ticket into the understanding model (structured output).

One ``messages.parse`` request with ``TicketReading`` (understanding/merge.py) as the
output format; the ticket and triage report travel inside untrusted blocks. The rules then
check and merge what was read (``merge_reading``). When the API fails the rules' reading
stands and the failure is a note.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ..models import TriageReport
from ..outcome import Usage
from ..playbook import Playbook
from ..understanding.catalogue import Catalogue
from ..understanding.merge import TicketReading
from .briefing import defuse, ticket_text
from .prompts import render_prompt

if TYPE_CHECKING:
    from anthropic import AsyncAnthropic

    from ..models import Ticket

log = logging.getLogger(__name__)
READ_MAX_TOKENS = 2_000


def reading_prompt(
    ticket: Ticket,
    triage: TriageReport | None,
    playbook: Playbook,
    catalogue: Catalogue,
    secrets: list[str],
) -> str:
    """The user message that asks for the reading."""
    triage_text = triage.model_dump_json(indent=1) if triage is not None else "(none)"
    return render_prompt(
        "read",
        areas=", ".join(k for k in playbook.routes if k != "security"),
        packages=", ".join(catalogue.packages),
        ticket=defuse(ticket_text(ticket), secrets),
        triage=defuse(triage_text, secrets),
    )


async def read_ticket(
    client: AsyncAnthropic,
    model: str,
    ticket: Ticket,
    triage: TriageReport | None,
    playbook: Playbook,
    catalogue: Catalogue,
    *,
    secrets: list[str],
) -> tuple[TicketReading | None, str | None, Usage]:
    """Ask Claude for the reading.

    Returns:
        The reading (or None and a one-line reason when the API failed or the reply did
        not parse), and the request's usage.
    """
    import anthropic

    from .pricing import cost_usd

    usage = Usage(model=model)
    prompt = reading_prompt(ticket, triage, playbook, catalogue, secrets)
    try:
        parsed = await client.messages.parse(
            model=model,
            max_tokens=READ_MAX_TOKENS,
            messages=[{"role": "user", "content": prompt}],
            output_format=TicketReading,
        )
    except anthropic.APIError as exc:
        reason = (
            f"Claude could not read the ticket ({type(exc).__name__}); the rules' reading stands"
        )
        log.warning(reason)
        return None, reason, usage
    except ValueError as exc:
        reason = f"Claude's reading did not parse ({str(exc)[:120]}); the rules' reading stands"
        return None, reason, usage
    used = parsed.usage
    usage.model_turns = 1
    usage.input_tokens = used.input_tokens
    usage.output_tokens = used.output_tokens
    usage.cache_read_tokens = used.cache_read_input_tokens or 0
    usage.cache_write_tokens = used.cache_creation_input_tokens or 0
    usage.cost_usd = cost_usd(model, usage)
    reading = parsed.parsed_output
    if reading is None:
        return None, "Claude returned no reading; the rules' reading stands", usage
    return reading, None, usage
