"""CLI commands for the MCP server: ``serve`` and ``mcp-config``.

``serve`` runs :func:`~posthog_escalation.server.build_server` over stdio (the default;
logs go to stderr, stdout is the MCP wire) or streamable HTTP (``--http``).
``mcp-config`` prints the ``mcpServers`` JSON block for this installation, with absolute
paths, for Claude Desktop's ``claude_desktop_config.json`` or Claude Code's ``.mcp.json``.
The server module is imported only when ``serve`` runs, so other commands start fast.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import anyio
import typer

from ..config import Settings
from .common import console, err_console, state

DEFAULT_PORT = 8765
SCRIPT = "posthog-escalation"
PLACEHOLDERS = {
    "POSTHOG_API_KEY": "phx_your_personal_api_key",
    "POSTHOG_PROJECT_ID": "your_project_id",
    "GITHUB_TOKEN": "ghp_your_github_token",
}


def _stderr_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def serve_command(
    http: Annotated[
        bool, typer.Option("--http", help="Serve streamable HTTP instead of stdio.")
    ] = False,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="HTTP address; anything but loopback needs POSTHOG_ESCALATION_MCP_TOKEN.",
        ),
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="HTTP port.")] = DEFAULT_PORT,
    log_level: Annotated[
        str, typer.Option("--log-level", help="debug, info, warning or error (to stderr).")
    ] = "warning",
) -> None:
    """Run the MCP server (stdio by default) with the evidence tools, prompt and resources."""
    from ..server import build_server, check_bind, run_stdio, serve_http

    level = log_level.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise typer.BadParameter("use debug, info, warning or error", param_hint="--log-level")
    settings = state.settings
    if http:
        check_bind(host, settings)
    _stderr_logging(level)
    server = build_server(settings=settings, log_level=level)
    if http:
        err_console.print(
            f"MCP over streamable HTTP at http://{host}:{port}/mcp"
            + (" (bearer token required)" if settings.mcp_token else ""),
            highlight=False,
        )
        anyio.run(serve_http, server, settings, host, port)
    else:
        anyio.run(run_stdio, server)


def command_path() -> list[str]:
    """The absolute command that starts this installation's CLI."""
    launched = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if launched is not None and launched.name.startswith(SCRIPT) and launched.exists():
        return [str(launched.absolute())]
    sibling = Path(sys.executable).absolute().parent / SCRIPT
    if sibling.exists():
        return [str(sibling)]
    return [
        str(Path(sys.executable).absolute()),
        "-c",
        "from posthog_escalation.cli import main; main()",
    ]


def mcp_config(settings: Settings, name: str = SCRIPT) -> dict[str, Any]:
    """The ``mcpServers`` block for this installation: absolute command, ``serve``, and the
    environment (configured non-secret values; placeholders for every secret)."""
    command, *prefix = command_path()
    env = {
        "POSTHOG_API_KEY": PLACEHOLDERS["POSTHOG_API_KEY"],
        "POSTHOG_HOST": settings.posthog_host,
        "POSTHOG_PROJECT_ID": settings.posthog_project_id or PLACEHOLDERS["POSTHOG_PROJECT_ID"],
        "GITHUB_TOKEN": PLACEHOLDERS["GITHUB_TOKEN"],
        "POSTHOG_ESCALATION_DATA_DIR": str(settings.data_dir.expanduser().absolute()),
    }
    return {"mcpServers": {name: {"command": command, "args": [*prefix, "serve"], "env": env}}}


def mcp_config_command(
    name: Annotated[str, typer.Option("--name", help="The server's name in the client.")] = SCRIPT,
) -> None:
    """Print the MCP client configuration (JSON) for this installation."""
    block = mcp_config(state.settings, name)
    console.out(json.dumps(block, indent=2), highlight=False)
    err_console.print(
        "Replace the placeholder values (keys are never printed). Leave out POSTHOG_API_KEY "
        "and POSTHOG_PROJECT_ID to use the embedded demo data, and GITHUB_TOKEN to search "
        "the bundled issue snapshot (filing needs it).",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("serve")(serve_command)
    app.command("mcp-config")(mcp_config_command)
