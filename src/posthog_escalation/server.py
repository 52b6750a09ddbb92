"""The MCP server: evidence tools, the quality gate, the template, the playbook and the
``escalate`` prompt, for Claude Desktop, Claude Code and agents.

:func:`build_server` returns an ``mcp`` :class:`~mcp.server.mcpserver.MCPServer`. It is a
thin adapter: the tools (:mod:`.server_evidence`, :mod:`.server_actions`) call the
package's plain functions; the resources and the prompt (:mod:`.server_content`) read the
skill and the playbook.

Backends: given ones are used as they are (and never closed). Otherwise they are opened
from the settings with :func:`~posthog_escalation.backends.open_backends` once per server
run: the lifespan starts opening them in the background (so the client's first
``list_tools`` is answered at once) and closes them at shutdown; a tool that needs them
waits for the opening to finish. When they cannot be opened (say a remote backend is
forced without its key), every evidence tool says what to set, and the rest still works.

Transports: :func:`run_stdio` (logs go to stderr; stdout is the wire) and
:func:`serve_http` (streamable HTTP). :func:`http_app` refuses a non-loopback address
unless a bearer token is configured (``POSTHOG_ESCALATION_MCP_TOKEN``), and when one is
configured every request must carry it.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
import anyio.to_thread
import httpx2
from mcp.server.mcpserver import MCPServer, UserMessage
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field, SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send
from tenacity.wait import wait_base

from .backends import Backends, open_backends
from .config import Settings
from .errors import ConfigError, EscalationError
from .evidence import EvidenceLog
from .models import Evidence, SourceKind
from .playbook import Playbook, default_playbook
from .server_actions import register_action_tools
from .server_content import escalate_messages, playbook_text, schema_text, template_text
from .server_evidence import register_evidence_tools
from .tools.hogql import LocalHogQL, RemotePostHog
from .tools.issues import LocalIssues

log = logging.getLogger(__name__)

SERVER_NAME = "posthog-escalation"
DEFAULT_HTTP_PORT = 8765
MCP_PATH = "/mcp"

INSTRUCTIONS = """\
Tools to turn a PostHog support ticket into a quantified, evidenced, routed engineering \
escalation. Quantify with impact_summary and hogql_query, gather evidence with docs_search, \
find_known_issues and github_issue_search (every result names an evidence id to cite), \
write the escalation in the escalation://template shape, check it with lint_escalation and \
render it with render_escalation. Follow-through: list_followups, record_followup, and \
file_escalation (a dry run unless confirm is true). The escalate prompt walks through it all; \
escalation://playbook holds severity, routing, cadence and close/downgrade rules."""


class Runtime:
    """What the tools share for one server: settings, playbook, evidence log, backends.

    Args:
        settings: Where backends, the store and secrets come from.
        playbook: Routes, rubric and cadence.
        evidence: Where evidence-producing tool calls record their results.
        backends: Backends to use (owned by the caller); None opens them from settings.
        github_transport: An httpx2 transport for filing (tests pass a MockTransport).
        github_wait: Wait between filing retries (tests pass ``wait_none()``).
    """

    def __init__(
        self,
        settings: Settings,
        playbook: Playbook,
        evidence: EvidenceLog,
        backends: Backends | None,
        *,
        github_transport: httpx2.AsyncBaseTransport | None = None,
        github_wait: wait_base | None = None,
    ) -> None:
        self.settings = settings
        self.playbook = playbook
        self.evidence = evidence
        self.github_transport = github_transport
        self.github_wait = github_wait
        self.secrets = settings.secrets()
        self._given = backends
        self._backends = backends
        self._error: EscalationError | None = None
        self._lock: anyio.Lock | None = None
        self._users = 0

    @property
    def owns_backends(self) -> bool:
        """True when the server opens (and closes) its backends itself."""
        return self._given is None

    @property
    def hogql_is_remote(self) -> bool:
        """True when HogQL goes over the network (to PostHog)."""
        if self._given is not None:
            return not isinstance(self._given.hogql, LocalHogQL)
        return self.settings.uses_remote_posthog

    @property
    def issues_are_remote(self) -> bool:
        """True when issue search goes over the network (to GitHub)."""
        if self._given is not None:
            return not isinstance(self._given.issues, LocalIssues)
        return self.settings.uses_remote_github

    def scrub(self, text: str) -> str:
        """``text`` with every configured secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def record(
        self, source: SourceKind, query: str, finding: str, *, result: str = "", **extra: Any
    ) -> Evidence:
        """Add a tool result to the evidence log (secrets scrubbed) and return the item."""
        return self.evidence.add(
            source, self.scrub(query), self.scrub(finding), result=self.scrub(result), **extra
        )

    def remote_for(self, project_id: str) -> RemotePostHog:
        """A PostHog backend for another project, with the configured host and key."""
        if self.settings.posthog_api_key is None:
            raise ConfigError(
                "querying another project needs POSTHOG_API_KEY", "set POSTHOG_API_KEY"
            )
        return RemotePostHog(self.settings.posthog_host, project_id, self.settings.posthog_api_key)

    def _guard(self) -> anyio.Lock:
        if self._lock is None:
            self._lock = anyio.Lock()
        return self._lock

    async def _ensure_open(self) -> None:
        async with self._guard():
            if self._backends is not None or self._error is not None:
                return
            try:
                self._backends = await anyio.to_thread.run_sync(open_backends, self.settings)
            except EscalationError as exc:
                self._error = exc
                log.error("evidence backends unavailable: %s", self.scrub(exc.one_line()))

    async def warm(self) -> None:
        """Open the backends now (the lifespan runs this in the background)."""
        await self._ensure_open()

    async def backends(self) -> Backends:
        """The backends, opening them first if needed.

        Raises:
            ToolError: They could not be opened (the message says what to set).
        """
        if self._backends is None:
            await self._ensure_open()
        if self._backends is None:
            reason = self._error.one_line() if self._error else "backends are not open"
            raise ToolError(self.scrub(f"evidence backends unavailable: {reason}"))
        return self._backends

    def enter(self) -> None:
        """One more server run (session) uses the runtime."""
        if self._users == 0:
            self._lock = None
        self._users += 1

    async def exit(self) -> None:
        """One run ended; the last one closes the backends the server opened."""
        self._users -= 1
        if self._users > 0 or not self.owns_backends:
            return
        async with self._guard():
            backends, self._backends, self._error = self._backends, None, None
            if backends is not None:
                await backends.aclose()


def _lifespan(runtime: Runtime) -> Any:
    @asynccontextmanager
    async def lifespan(_: MCPServer[Any]) -> AsyncIterator[Runtime]:
        async with anyio.create_task_group() as group:
            runtime.enter()
            if runtime.owns_backends:
                group.start_soon(runtime.warm)
            try:
                yield runtime
            finally:
                with anyio.CancelScope(shield=True):
                    await runtime.exit()

    return lifespan


def _scrubbing(runtime: Runtime) -> Any:
    """Server middleware: no configured secret leaves in any answer (results, errors,
    prompts, resources), whatever produced it."""

    async def scrub(ctx: Any, call_next: Any) -> Any:
        result = await call_next(ctx)
        if not runtime.secrets:
            return result
        if isinstance(result, BaseModel):
            dumped = result.model_dump_json(by_alias=True, exclude_unset=True)
            if any(secret in dumped for secret in runtime.secrets):
                return type(result).model_validate_json(runtime.scrub(dumped))
        elif isinstance(result, dict):
            dumped = json.dumps(result, ensure_ascii=False)
            if any(secret in dumped for secret in runtime.secrets):
                return json.loads(runtime.scrub(dumped))
        return result

    return scrub


def build_server(
    *,
    settings: Settings,
    backends: Backends | None = None,
    evidence: EvidenceLog | None = None,
    playbook: Playbook | None = None,
    github_transport: httpx2.AsyncBaseTransport | None = None,
    github_wait: wait_base | None = None,
    log_level: str = "WARNING",
) -> MCPServer[Any]:
    """The MCP server with every tool, the ``escalate`` prompt and the resources.

    Args:
        settings: Settings (backends, data folder for the store, secrets to scrub).
        backends: Use these (the caller closes them); by default they are opened from
            ``settings`` in the server's lifespan and closed at shutdown.
        evidence: Where each evidence-producing tool call records its result (``log.add``);
            the result names the id. By default the server keeps its own log.
        playbook: The playbook (default: the packaged one).
        github_transport: HTTP transport for filing (tests pass ``httpx2.MockTransport``).
        github_wait: Wait between filing retries (tests pass ``tenacity.wait_none()``).
        log_level: The SDK's log level (logs go to stderr).
    """
    book = playbook or default_playbook()
    runtime = Runtime(
        settings,
        book,
        evidence if evidence is not None else EvidenceLog(),
        backends,
        github_transport=github_transport,
        github_wait=github_wait,
    )
    server: MCPServer[Any] = MCPServer(
        SERVER_NAME,
        title="PostHog support escalations",
        instructions=INSTRUCTIONS,
        version=_version(),
        lifespan=_lifespan(runtime),
        log_level=log_level.upper(),  # type: ignore[arg-type]
    )
    server.middleware.append(_scrubbing(runtime))
    register_evidence_tools(server, runtime)
    register_action_tools(server, runtime)
    _register_resources(server, book)
    _register_prompt(server, book)
    return server


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("posthog-escalation")
    except PackageNotFoundError:
        return "0"


def _register_resources(server: MCPServer[Any], playbook: Playbook) -> None:
    @server.resource(
        "escalation://template",
        name="template",
        title="Escalation template",
        description="The escalation template (headings and field labels) and a filled example.",
        mime_type="text/markdown",
    )
    def template() -> str:
        return template_text()

    @server.resource(
        "escalation://playbook",
        name="playbook",
        title="Escalation playbook",
        description=(
            "The five dimensions, severity rubric, routing table (team, repository, labels, "
            "context), follow-up cadence and close/downgrade criteria."
        ),
        mime_type="text/markdown",
    )
    def playbook_resource() -> str:
        return playbook_text(playbook)

    @server.resource(
        "escalation://schema",
        name="schema",
        title="Escalation JSON schema",
        description="The JSON schema lint_escalation and render_escalation accept.",
        mime_type="application/schema+json",
    )
    def schema() -> str:
        return schema_text()


def _register_prompt(server: MCPServer[Any], playbook: Playbook) -> None:
    @server.prompt(
        name="escalate",
        title="Escalate a support ticket",
        description=(
            "Turn a support ticket (and its triage report) into an engineering escalation: "
            "the skill's workflow and template, then the ticket."
        ),
    )
    def escalate(
        ticket: Annotated[
            str, Field(description="The ticket: paste its text, YAML or JSON (with customer).")
        ],
        triage_report: Annotated[
            str | None, Field(description="The triage report, if any (text, YAML or JSON).")
        ] = None,
    ) -> list[UserMessage]:
        return [UserMessage(text) for text in escalate_messages(ticket, triage_report, playbook)]


# -- transports ------------------------------------------------------------------------------


async def run_stdio(server: MCPServer[Any]) -> None:
    """Serve over stdin/stdout until the client closes stdin."""
    await server.run_stdio_async()


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _token(settings: Settings) -> str | None:
    token: SecretStr | None = settings.mcp_token
    value = token.get_secret_value().strip() if token is not None else ""
    return value or None


def check_bind(host: str, settings: Settings) -> None:
    """Refuse a non-loopback address without a bearer token.

    Raises:
        ConfigError: ``host`` is reachable from other machines and no token is set.
    """
    if not is_loopback(host) and _token(settings) is None:
        raise ConfigError(
            f"refusing to serve MCP over HTTP on {host} without a bearer token",
            "set POSTHOG_ESCALATION_MCP_TOKEN to a long random value (clients send "
            "'Authorization: Bearer <token>'), or bind 127.0.0.1",
        )


class BearerTokenGate:
    """ASGI middleware: every HTTP request must carry ``Authorization: Bearer <token>``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"")
        if hmac.compare_digest(given, self._expected):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {"error": "unauthorized", "error_description": "missing or wrong bearer token"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Bearer realm="posthog-escalation"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def http_app(server: MCPServer[Any], settings: Settings, host: str = "127.0.0.1") -> ASGIApp:
    """The streamable HTTP app (at ``/mcp``), behind the bearer token when one is set.

    Raises:
        ConfigError: ``host`` is not loopback and no token is configured.
    """
    check_bind(host, settings)
    app: ASGIApp = server.streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    token = _token(settings)
    return BearerTokenGate(app, token) if token else app


async def serve_http(
    server: MCPServer[Any],
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = DEFAULT_HTTP_PORT,
) -> None:
    """Serve streamable HTTP on ``host:port`` until interrupted."""
    import uvicorn

    app = http_app(server, settings, host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False)
    await uvicorn.Server(config).serve()
