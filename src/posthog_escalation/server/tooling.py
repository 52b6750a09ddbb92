"""What every MCP tool shares: limits, argument types, validation, errors and answers.

The tools themselves live in :mod:`.evidence_tools` (evidence that an escalation cites),
:mod:`.escalation_tools` (the quality gate and the renderer) and
:mod:`.followthrough_tools` (follow-ups and filing). Each
one validates what the model sent, calls one plain function of the package, and answers
with a pydantic model (its structured output) plus a compact text rendering. Failures the
model can fix are raised as ``ToolError`` with the fix, so the client sees ``is_error``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent
from pydantic import BaseModel, Field, ValidationError, WithJsonSchema

from ..errors import EscalationError
from ..loading import describe_validation_error
from ..models import Escalation, Ticket, TriageReport
from ..store import EscalationStore, utc
from ..tables import CUT
from ..tools.issues import IssueHit
from .runtime import Runtime
from .schemas import inline_schema

M = TypeVar("M", bound=BaseModel)

DEFAULT_ROWS = 100
MAX_ROWS = 1000
TEXT_ROWS = 50
MAX_CELL_CHARS = 1000
TABLE_CELL = 80
MAX_TABLE_ROWS = 50
MAX_DAYS = 62
MAX_DOCS = 20
DOCS_DEPTH = 50
MAX_ISSUES = 30
MAX_CANDIDATES = 10
ISSUE_BODY_CHARS = 300
MAX_FOLLOWUPS = 100
TEXT_CHUNK = 16_000


@contextmanager
def fixable(runtime: Runtime) -> Iterator[None]:
    """Turn this package's errors into tool errors (one line: what and how to fix)."""
    try:
        yield
    except EscalationError as exc:
        raise ToolError(runtime.scrub(exc.one_line())) from None


def answer(model: BaseModel, text: str) -> CallToolResult:
    """The tool result: ``model`` as structured content plus ``text`` (the server's
    middleware scrubs secrets from every answer)."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=model.model_dump(mode="json"),
    )


def validated(data: Any, model: type[M], name: str, hint: str) -> M:
    """``data`` as ``model``; a tool error naming the first bad field otherwise."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ToolError(f"{name}: {describe_validation_error(exc)} — {hint}") from None


def in_range(name: str, value: int, low: int, high: int, advice: str = "") -> None:
    """A tool error when ``value`` is outside ``[low, high]``."""
    if not low <= value <= high:
        extra = f"; {advice}" if advice else ""
        raise ToolError(f"{name} {value} is out of range — use {low} to {high}{extra}")


def parse_now(value: str | None) -> datetime:
    """``value`` (ISO 8601) as UTC, or the current time."""
    if value is None or not value.strip():
        return datetime.now(UTC)
    try:
        return utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        raise ToolError(
            f"now '{value}' is not an ISO 8601 time — use e.g. 2026-11-20T16:30:00Z"
        ) from None


def bound_cell(value: Any) -> tuple[Any, bool]:
    """A cell kept within ``MAX_CELL_CHARS`` (long text and JSON become cut text)."""
    if isinstance(value, str):
        text = value
    elif isinstance(value, dict | list):
        text = json.dumps(value, ensure_ascii=False, default=str)
        if len(text) <= MAX_CELL_CHARS:
            return value, False
    else:
        return value, False
    if len(text) <= MAX_CELL_CHARS:
        return value, False
    return text[: MAX_CELL_CHARS - len(CUT)] + CUT, True


def chunk(text: str, offset: int, size: int = TEXT_CHUNK) -> tuple[str, int | None]:
    """``text[offset:]`` up to ``size`` characters, ending at a line break when possible,
    and where the next part starts (None at the end)."""
    if offset >= len(text):
        return "", None
    end = offset + size
    if end >= len(text):
        return text[offset:], None
    cut = text.rfind("\n", offset, end)
    if cut > offset:
        end = cut + 1
    return text[offset:end], end


def short_hit(hit: IssueHit) -> IssueHit:
    """``hit`` with its body cut to a snippet."""
    body = " ".join(hit.body.split())
    if len(body) > ISSUE_BODY_CHARS:
        body = body[: ISSUE_BODY_CHARS - 1] + "…"
    return hit.model_copy(update={"body": body})


def when(moment: datetime | None) -> str:
    return "—" if moment is None else f"{utc(moment):%Y-%m-%d %H:%M} UTC"


def evidence_line(evidence_id: str, what: str) -> str:
    return f"Evidence {evidence_id} — {what} (cite [{evidence_id}])"


def with_store(runtime: Runtime, action: Callable[[EscalationStore], Any]) -> Any:
    store = EscalationStore.in_data_dir(runtime.settings.data_dir)
    try:
        return action(store)
    finally:
        store.close()


def describe(description: str, **kwargs: Any) -> Any:
    return Field(description=description, **kwargs)


TicketArg = Annotated[
    dict[str, Any],
    WithJsonSchema(inline_schema(Ticket)),
    describe("The support ticket: id, subject, body, messages, customer (JSON object)."),
]
TriageArg = Annotated[
    dict[str, Any] | None,
    WithJsonSchema({"anyOf": [inline_schema(TriageReport), {"type": "null"}]}),
    describe("The triage report, if there is one (its product area and hints help)."),
]
EscalationArg = Annotated[
    dict[str, Any],
    WithJsonSchema(inline_schema(Escalation)),
    describe("The escalation draft as a JSON object (see the escalation://schema resource)."),
]
SCHEMA_HINT = "read the escalation://schema resource for the expected shape"

READ_ONLY = {"read_only_hint": True, "destructive_hint": False, "idempotent_hint": True}
