"""Evidence per MCP session: ids (E1, E2, ...) count within one session, each session's
log keeps only its latest items, and the log goes when the session ends.

What a session is depends on the transport:

- a handshake connection (protocol up to 2025-11-25: stdio, or streamable HTTP with an
  ``Mcp-Session-Id``) is one session; its log lives in the connection's state and is
  released when the connection closes;
- on 2026-07-28 every request stands alone. Over stdio (and in process) one server run
  serves one client, so the run is the session. Over HTTP there is no session at all:
  such requests draw ids from one counter, so the ids a client is given never repeat,
  and nothing is kept.

A log given to :func:`~posthog_escalation.server.build_server` (the Claude drafter's) is
used for every request instead: it belongs to its caller.
"""

from __future__ import annotations

import threading
from typing import Any, Literal, Protocol

from mcp.server.connection import Connection
from mcp.server.context import ServerRequestContext
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from ..evidence_log import EvidenceLog
from ..models import Evidence, SourceKind

MAX_ITEMS = 200
"""Evidence items a session keeps (the newest); older ids stay valid but are not kept."""
_STATE_KEY = "posthog_escalation.evidence"


class EvidenceSink(Protocol):
    """Where a tool records what it found: ``add`` numbers it and returns the item."""

    def add(
        self,
        source: SourceKind,
        query: str,
        finding: str,
        *,
        result: str = "",
        url: str | None = None,
        figures: dict[str, float] | None = None,
        status: Literal["ok", "failed", "timeout"] = "ok",
        private_terms: list[str] | None = None,
    ) -> Evidence: ...


class SessionEvidence(EvidenceLog):
    """The evidence of one session: numbered from E1, keeping the newest ``max_items``."""

    def __init__(self, max_items: int = MAX_ITEMS) -> None:
        super().__init__(max_items=max_items)


class ServerRun:
    """What one run of the server (its lifespan) holds: over stdio and in process, the
    evidence of the one client it serves."""

    def __init__(self) -> None:
        self.evidence = SessionEvidence()


class Sessions:
    """Finds the evidence log of the session a request belongs to.

    Args:
        given: A log to use for every request (its owner keeps and bounds it).
    """

    def __init__(self, given: EvidenceSink | None = None) -> None:
        self.given = given
        self.sessionless = SessionEvidence(max_items=0)
        self._open = 0
        self._lock = threading.Lock()

    @property
    def open(self) -> int:
        """Handshake sessions whose log is held right now."""
        return self._open

    def log_for(self, request: ServerRequestContext[Any, Any] | None) -> EvidenceSink:
        """The log of the session ``request`` belongs to (see the module docstring); a
        call made outside any request (``MCPServer.call_tool`` from code) has none."""
        if self.given is not None:
            return self.given
        if request is None:
            return self.sessionless
        connection = _connection_of(request)
        if connection is not None and connection.protocol_version not in MODERN_PROTOCOL_VERSIONS:
            return self._connection_log(connection)
        run = request.lifespan_context
        if request.request is None and isinstance(run, ServerRun):
            return run.evidence
        return self.sessionless

    def _connection_log(self, connection: Connection) -> SessionEvidence:
        with self._lock:
            log = connection.state.get(_STATE_KEY)
            if log is None:
                log = connection.state[_STATE_KEY] = SessionEvidence()
                self._open += 1
                connection.exit_stack.callback(self._release, connection)
            return log

    def _release(self, connection: Connection) -> None:
        with self._lock:
            if connection.state.pop(_STATE_KEY, None) is not None:
                self._open -= 1


def _connection_of(request: ServerRequestContext[Any, Any]) -> Connection | None:
    """The connection ``request`` came in on.

    The SDK keeps it on the request's ``ServerSession`` without a public accessor yet
    (its ``Context.connection`` is not wired to tools in mcp 2.3), so it is read here,
    in one place; ``tests/server/test_sessions.py`` fails if that ever changes.
    """
    connection = getattr(request.session, "_connection", None)
    return connection if isinstance(connection, Connection) else None
