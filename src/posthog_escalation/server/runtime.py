"""What the MCP tools share for one server: settings, playbook, sessions, backends.

:class:`Runtime` opens the backends once per server run (in the background, so the first
``list_tools`` is answered at once), hands them to the tools, records what they find in
the evidence log of the caller's session (secrets scrubbed), and closes what it opened
when the last run ends.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import anyio
import anyio.to_thread
from mcp.server.context import ServerRequestContext
from mcp.server.mcpserver.exceptions import ToolError

from ..errors import ConfigError, EscalationError
from ..models import Evidence, SourceKind
from .sessions import EvidenceSink, Sessions

if TYPE_CHECKING:
    import httpx2
    from tenacity.wait import wait_base

    from ..backends import Backends
    from ..config import Settings
    from ..playbook import Playbook
    from ..tools.hogql import RemotePostHog

log = logging.getLogger(__name__)


def open_backends(settings: Settings) -> Backends:
    """The backends ``settings`` configure (the engines are imported here, not while the
    server starts)."""
    from ..backends import open_backends as from_settings

    return from_settings(settings)


WARM_AFTER_SECONDS = 2.0
"""How long the background opening of the backends waits for the first ``tools/list``
to be answered before it starts anyway."""


class Runtime:
    """What the tools share for one server: settings, playbook, sessions, backends.

    Args:
        settings: Where backends, the store and secrets come from.
        playbook: Routes, rubric and cadence; None loads the packaged one when first used
            (it compiles a few hundred patterns, so not while the server starts).
        evidence: A log every evidence-producing call records in (the caller's); None
            gives each MCP session its own (see :mod:`.sessions`).
        backends: Backends to use (owned by the caller); None opens them from settings.
        github_transport: An httpx2 transport for filing (tests pass a MockTransport).
        github_wait: Wait between filing retries (tests pass ``wait_none()``).
    """

    def __init__(
        self,
        settings: Settings,
        playbook: Playbook | None,
        evidence: EvidenceSink | None,
        backends: Backends | None,
        *,
        github_transport: httpx2.AsyncBaseTransport | None = None,
        github_wait: wait_base | None = None,
    ) -> None:
        self.settings = settings
        self._playbook = playbook
        self.sessions = Sessions(evidence)
        self.github_transport = github_transport
        self.github_wait = github_wait
        self.secrets = settings.secrets()
        self._given = backends
        self._backends = backends
        self._error: EscalationError | None = None
        self._lock: anyio.Lock | None = None
        self._listed: anyio.Event | None = None
        self._users = 0

    @property
    def playbook(self) -> Playbook:
        """The playbook (the packaged one unless another was given)."""
        if self._playbook is None:
            from ..playbook import default_playbook

            self._playbook = default_playbook()
        return self._playbook

    @property
    def owns_backends(self) -> bool:
        """True when the server opens (and closes) its backends itself."""
        return self._given is None

    @property
    def hogql_is_remote(self) -> bool:
        """True when HogQL goes over the network (to PostHog)."""
        if self._given is not None:
            from ..tools.hogql.local import LocalHogQL

            return not isinstance(self._given.hogql, LocalHogQL)
        return self.settings.uses_remote_posthog

    @property
    def issues_are_remote(self) -> bool:
        """True when issue search goes over the network (to GitHub)."""
        if self._given is not None:
            from ..tools.issues.local import LocalIssues

            return not isinstance(self._given.issues, LocalIssues)
        return self.settings.uses_remote_github

    @property
    def drafts_remotely(self) -> bool:
        """True when drafting reaches a service: PostHog, GitHub or Claude."""
        configured = self.settings.anthropic_api_key is not None
        return configured or self.hogql_is_remote or self.issues_are_remote

    def scrub(self, text: str) -> str:
        """``text`` with every configured secret replaced."""
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def record(
        self,
        request: ServerRequestContext[Any, Any] | None,
        source: SourceKind,
        query: str,
        finding: str,
        *,
        result: str = "",
        **extra: Any,
    ) -> Evidence:
        """Add a tool result to the evidence log of ``request``'s session (secrets
        scrubbed) and return the item."""
        return self.sessions.log_for(request).add(
            source, self.scrub(query), self.scrub(finding), result=self.scrub(result), **extra
        )

    def remote_for(self, project_id: str) -> RemotePostHog:
        """A PostHog backend for another project, with the configured host and key."""
        from ..tools.hogql.remote import RemotePostHog

        if self.settings.posthog_api_key is None:
            raise ConfigError(
                "querying another project needs POSTHOG_API_KEY", "set POSTHOG_API_KEY"
            )
        return RemotePostHog(self.settings.posthog_host, project_id, self.settings.posthog_api_key)

    def _guard(self) -> anyio.Lock:
        if self._lock is None:
            self._lock = anyio.Lock()
        return self._lock

    async def _ensure_open(self, *, while_in_use: bool = False) -> None:
        async with self._guard():
            if self._backends is not None or self._error is not None:
                return
            if while_in_use and self._users == 0:
                return
            try:
                self._backends = await anyio.to_thread.run_sync(open_backends, self.settings)
            except EscalationError as exc:
                self._error = exc
                log.error("evidence backends unavailable: %s", self.scrub(exc.one_line()))

    async def warm(self, after: float | None = None) -> None:
        """Open the backends in the background (the lifespan runs this): once the first
        ``tools/list`` is answered, or after ``after`` seconds (default
        :data:`WARM_AFTER_SECONDS`), so opening them (loading chDB, the docs and issue
        indexes) does not slow the client's handshake down. A tool that needs them sooner
        opens them itself; a run that ends first opens nothing."""
        if self._listed is not None:
            with anyio.move_on_after(WARM_AFTER_SECONDS if after is None else after):
                await self._listed.wait()
        if self._users == 0:
            return
        await anyio.to_thread.run_sync(lambda: self.playbook)
        await self._ensure_open(while_in_use=True)

    def listed(self) -> None:
        """A client's ``tools/list`` was answered: the backends may open now."""
        if self._listed is not None:
            self._listed.set()

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
            self._listed = anyio.Event()
        self._users += 1

    async def exit(self) -> None:
        """One run ended; the last one closes the backends the server opened (and wakes
        a background opening still waiting, which then opens nothing)."""
        self._users -= 1
        if self._users == 0 and self._listed is not None:
            self._listed.set()
        if self._users > 0 or not self.owns_backends:
            return
        async with self._guard():
            backends, self._backends, self._error = self._backends, None, None
            if backends is not None:
                await backends.aclose()
