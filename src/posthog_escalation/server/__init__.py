"""The MCP server: a thin adapter over the package's functions, for Claude Desktop, Claude
Code and agents. :func:`build_server` builds it; :func:`run_stdio` and :func:`serve_http`
serve it."""

from __future__ import annotations

from .app import SERVER_NAME, build_server
from .transport import (
    DEFAULT_HTTP_PORT,
    MCP_PATH,
    check_bind,
    http_app,
    is_loopback,
    run_stdio,
    serve_http,
)

__all__ = [
    "DEFAULT_HTTP_PORT",
    "MCP_PATH",
    "SERVER_NAME",
    "build_server",
    "check_bind",
    "http_app",
    "is_loopback",
    "run_stdio",
    "serve_http",
]
