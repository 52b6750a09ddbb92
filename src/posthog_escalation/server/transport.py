"""The MCP server's transports: stdio, and streamable HTTP behind an optional bearer token.

:func:`run_stdio` serves over stdin/stdout (logs go to stderr; stdout is the wire).
:func:`http_app` is the streamable HTTP app; it refuses a non-loopback address unless a
bearer token is configured (``POSTHOG_ESCALATION_MCP_TOKEN``), and when one is configured
every request must carry it. :func:`serve_http` runs that app with uvicorn.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import socket
from collections.abc import Callable
from typing import Any

from mcp.server.mcpserver import MCPServer
from pydantic import SecretStr
from starlette.types import ASGIApp, Receive, Scope, Send

from ..config import Settings
from ..errors import ConfigError

DEFAULT_HTTP_PORT = 8765
MCP_PATH = "/mcp"


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
    """ASGI middleware: every HTTP request must carry ``Authorization: Bearer <token>``
    (the scheme in any case, as RFC 9110 makes auth schemes case-insensitive)."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self._expected = token.encode()

    def _authorized(self, header: bytes) -> bool:
        scheme, _, given = header.strip().partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self._expected)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", []) if k == b"authorization"), b"")
        if self._authorized(given):
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


def bind(host: str, port: int) -> socket.socket:
    """A listening-ready TCP socket bound to ``host:port``.

    Raises:
        ConfigError: The port is out of range, or the address cannot be bound (in use,
            not this machine's, not permitted).
    """
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port {port} is out of range", "use a port from 1 to 65535")
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ConfigError(
            f"cannot serve MCP over HTTP on {host}:{port}: {exc.strerror or exc}",
            "pass an address of this machine with --host, e.g. 127.0.0.1",
        ) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot serve MCP over HTTP on {host}:{port}: {exc.strerror or exc}",
            "choose another --port, or stop what is using this one",
        ) from None
    return sock


async def serve_http(
    server: MCPServer[Any],
    settings: Settings,
    host: str = "127.0.0.1",
    port: int = DEFAULT_HTTP_PORT,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve streamable HTTP on ``host:port`` until interrupted.

    The address is bound first; ``announce`` is called with the MCP URL only once the
    bind has succeeded.

    Raises:
        ConfigError: ``host`` is not loopback and no token is configured, or the address
            cannot be bound.
    """
    import uvicorn

    app = http_app(server, settings, host)
    sock = bind(host, port)
    name = f"[{host}]" if ":" in host else host
    if announce is not None:
        announce(f"http://{name}:{port}{MCP_PATH}")
    config = uvicorn.Config(app, log_level="warning", access_log=False)
    try:
        await uvicorn.Server(config).serve(sockets=[sock])
    finally:
        sock.close()
