"""What every MCP tool shares: limits, argument schemas, validation, errors and answers.

The tools themselves live in :mod:`.evidence_tools` (evidence that an escalation cites),
:mod:`.escalation_tools` (the quality gate, the renderer, drafting and saving) and
:mod:`.followthrough_tools` (follow-ups and filing). Each group collects its tools in a
:class:`ToolBox`, which keeps every schema short: an argument's schema is written out
(type, bounds, one-line description; the ticket and the escalation refer to the schema
resources instead of inlining them), the output schema names the top-level fields only,
and every length bound in an input schema is enforced with a one-line tool error.

Each tool validates what the model sent, calls one plain function of the package, and
answers with a pydantic model (its structured output) plus a compact text rendering.
Failures the model can fix are raised as ``ToolError`` with the fix, so the client sees
``is_error``.
"""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, WithJsonSchema

from ..errors import EscalationError, InputError
from ..loading import validate_document
from ..store import EscalationStore, utc
from ..tools.issues import IssueHit
from .runtime import Runtime
from .schemas import output_schema, tidy_input_schema

M = TypeVar("M", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_ROWS = 100
TEXT_ROWS = 50
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

QUERY_CHARS = 10_000
"""A HogQL query or signature."""
SEARCH_CHARS = 2_000
"""A docs or issue search."""
NOTE_CHARS = 4_000
"""A follow-up note."""
NAME_CHARS = 100
"""Areas, routes, reasons and other short names."""
ID_CHARS = 40
"""An escalation id or a severity."""
TIME_CHARS = 64
"""An ISO 8601 time or a relative one (-7d)."""
MAX_REPOS = 10
MAX_OBJECT_CHARS = 500_000
"""A ticket, triage report or escalation, as JSON."""


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
    """``data`` as ``model`` through the input edge every file goes through
    (:func:`~posthog_escalation.loading.validate_document`): a ticket, triage report or
    escalation has its credentials replaced; a tool error names the first bad field."""
    try:
        return validate_document(data, model, source=name)
    except InputError as exc:
        raise ToolError(f"{exc.message} — {hint}") from None


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


def request_of(ctx: Context) -> ServerRequestContext[Any, Any] | None:
    """The request ``ctx`` serves, or None for a call made outside any request."""
    try:
        return ctx.request_context
    except ValueError:
        return None


def text_arg(description: str, max_length: int = NAME_CHARS) -> WithJsonSchema:
    """The schema of a string argument, bounded (:class:`ToolBox` enforces the bound)."""
    return WithJsonSchema({"type": "string", "maxLength": max_length, "description": description})


def int_arg(description: str, low: int, high: int | None = None) -> WithJsonSchema:
    """The schema of an integer argument in ``[low, high]``."""
    schema: dict[str, Any] = {"type": "integer", "minimum": low, "description": description}
    if high is not None:
        schema["maximum"] = high
    return WithJsonSchema(schema)


def choice_arg(description: str, *choices: str) -> WithJsonSchema:
    """The schema of an argument that is one of ``choices``."""
    return WithJsonSchema({"enum": list(choices), "description": description})


def flag_arg(description: str) -> WithJsonSchema:
    """The schema of a boolean argument."""
    return WithJsonSchema({"type": "boolean", "description": description})


def names_arg(description: str, max_items: int, max_length: int = NAME_CHARS) -> WithJsonSchema:
    """The schema of a list of short strings, bounded in count and length."""
    return WithJsonSchema(
        {
            "type": "array",
            "items": {"type": "string", "maxLength": max_length},
            "maxItems": max_items,
            "description": description,
        }
    )


def object_arg(description: str) -> WithJsonSchema:
    """The schema of a JSON-object argument whose shape a resource documents."""
    return WithJsonSchema({"type": "object", "description": description})


TicketArg = Annotated[
    dict[str, Any],
    object_arg("The support ticket; shape: Ticket in escalation://request-schema."),
]
TriageArg = Annotated[
    dict[str, Any] | None,
    object_arg("The triage report, if any; shape: TriageReport in escalation://request-schema."),
]
EscalationArg = Annotated[
    dict[str, Any],
    object_arg("The escalation; shape: escalation://schema."),
]
SCHEMA_HINT = "read the escalation://schema resource for the expected shape"
REQUEST_HINT = "read the escalation://request-schema resource for the expected shape"

READ_ONLY = {"read_only_hint": True, "idempotent_hint": True}


def too_long(name: str, value: Any, schema: dict[str, Any]) -> str | None:
    """Why ``value`` breaks a length bound of its ``schema``, or None."""
    if isinstance(value, str) and len(value) > schema.get("maxLength", len(value)):
        return (
            f"{name} is {len(value)} characters long; the limit is {schema['maxLength']} "
            f"— send a shorter {name}"
        )
    if isinstance(value, list):
        if len(value) > schema.get("maxItems", len(value)):
            return f"{name} has {len(value)} items; the limit is {schema['maxItems']}"
        items = schema.get("items", {})
        for index, item in enumerate(value):
            if (problem := too_long(f"{name}[{index}]", item, items)) is not None:
                return problem
    if isinstance(value, dict) and schema.get("type") == "object":
        size = len(json.dumps(value, ensure_ascii=False, default=str))
        if size > MAX_OBJECT_CHARS:
            return f"{name} is {size} characters of JSON; the limit is {MAX_OBJECT_CHARS}"
    return None


def _bounded(tool: Tool) -> Tool:
    """``tool`` with every length bound of its input schema enforced before it runs."""
    properties: dict[str, Any] = tool.parameters.get("properties", {})
    run = tool.fn

    @functools.wraps(run)
    async def checked(**arguments: Any) -> Any:
        for name, value in arguments.items():
            schema = properties.get(name)
            if schema is not None and (problem := too_long(name, value, schema)) is not None:
                raise ToolError(problem)
        return await run(**arguments)

    tool.fn = checked
    return tool


def _result_model(function: Callable[..., Any]) -> type[BaseModel] | None:
    """The model of ``Annotated[CallToolResult, <model>]``, ``function``'s return type.

    The tool is registered without structured output and given the model and its short
    schema afterwards, so the SDK does not derive (and then discard) the model's full
    schema at every server start.
    """
    returns = typing.get_type_hints(function, include_extras=True).get("return")
    if typing.get_origin(returns) is not Annotated:
        return None
    model = typing.get_args(returns)[1]
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


class ToolBox:
    """The tools of one group, built as the server will list them: short input schemas
    (titles and null defaults dropped), output schemas naming the top-level fields, and
    the input schema's length bounds enforced."""

    def __init__(self) -> None:
        self.tools: list[Tool] = []

    def tool(
        self, *, name: str, title: str, description: str, annotations: ToolAnnotations
    ) -> Callable[[F], F]:
        """Register an async tool function whose return annotation is
        ``Annotated[CallToolResult, <result model>]``."""

        def register(function: F) -> F:
            model = _result_model(function)
            tool = Tool.from_function(
                function,
                name=name,
                title=title,
                description=description,
                annotations=annotations,
                structured_output=False if model is not None else None,
            )
            tool.parameters = tidy_input_schema(tool.parameters)
            if model is not None:
                tool.fn_metadata.output_model = model
                tool.fn_metadata.output_schema = output_schema(model)
                tool.__dict__.pop("output_schema", None)
            self.tools.append(_bounded(tool))
            return function

        return register
