"""CLI commands for the MCP server: ``serve`` and ``mcp-config``.

``serve`` runs :func:`~posthog_escalation.server.build_server` over stdio (the default;
logs go to stderr, stdout is the MCP wire) or streamable HTTP (``--http``; the address is
printed once it is bound). ``mcp-config`` prints a client configuration for this
installation that works as it is, on the embedded demo data: the ``mcpServers`` block for
Claude Desktop's ``claude_desktop_config.json`` (or a project's ``.mcp.json``), or with
``--claude-code`` the server object ``claude mcp add-json`` takes. Keys are never printed;
how to add them is. The server module is imported only when ``serve`` runs, so other
commands start fast.
"""

import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ..errors import InputError
from .common import console, err_console, started, state

if TYPE_CHECKING:
    from ..config import Settings

DEFAULT_PORT = 8765
SCRIPT = "posthog-escalation"
OPTIONAL_VARIABLES = {
    "POSTHOG_API_KEY": "a personal API key with query:read, to query your PostHog project",
    "POSTHOG_PROJECT_ID": "that project's id (the number in its URL)",
    "POSTHOG_HOST": "eu, or your self-hosted URL (default us)",
    "GITHUB_TOKEN": "to search GitHub live and to file issues",
    "ANTHROPIC_API_KEY": "so draft_escalation drafts with Claude",
}
"""Settings a user may add to the printed configuration (without them: embedded data)."""


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
    port: Annotated[int, typer.Option("--port", help="HTTP port (1-65535).")] = DEFAULT_PORT,
    log_level: Annotated[
        str, typer.Option("--log-level", help="debug, info, warning or error (to stderr).")
    ] = "warning",
) -> None:
    """Run the MCP server (stdio by default) with the evidence tools, prompt and resources."""
    import anyio

    from ..server import build_server, check_bind, run_stdio, serve_http

    level = log_level.upper()
    if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise typer.BadParameter("use debug, info, warning or error", param_hint="--log-level")
    if http and not 1 <= port <= 65535:
        raise InputError(f"--port {port} is out of range", "use a port from 1 to 65535")
    settings = state.settings
    if http:
        check_bind(host, settings)
    _stderr_logging(level)
    server = build_server(settings=settings, log_level=level)
    started()
    if http:
        token = " (bearer token required)" if settings.mcp_token else ""

        def announce(url: str) -> None:
            err_console.print(f"MCP over streamable HTTP at {url}{token}", highlight=False)

        anyio.run(serve_http, server, settings, host, port, announce)
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


def mcp_server_entry(settings: "Settings") -> dict[str, Any]:
    """How a client starts this installation's server: absolute command, ``serve``, and
    the data folder. Nothing else is set, so the server runs on the embedded demo data
    unless the client's environment configures more."""
    command, *prefix = command_path()
    data_dir = str(settings.data_dir.expanduser().absolute())
    return {
        "command": command,
        "args": [*prefix, "serve"],
        "env": {"POSTHOG_ESCALATION_DATA_DIR": data_dir},
    }


def mcp_config(settings: "Settings", name: str = SCRIPT) -> dict[str, Any]:
    """The ``mcpServers`` block (Claude Desktop's ``claude_desktop_config.json``, a
    project's ``.mcp.json``)."""
    return {"mcpServers": {name: mcp_server_entry(settings)}}


def claude_code_config(settings: "Settings") -> dict[str, Any]:
    """The server object ``claude mcp add-json <name> '<json>'`` takes."""
    return {"type": "stdio", **mcp_server_entry(settings)}


def mcp_config_command(
    name: Annotated[str, typer.Option("--name", help="The server's name in the client.")] = SCRIPT,
    claude_code: Annotated[
        bool,
        typer.Option("--claude-code", help="Print the server object `claude mcp add-json` takes."),
    ] = False,
) -> None:
    """Print an MCP client configuration (JSON) for this installation that works as is."""
    settings = state.settings
    if claude_code:
        entry = json.dumps(claude_code_config(settings))
        console.out(entry, highlight=False)
        err_console.print(
            f"Add it with: claude mcp add-json {name} '<the JSON above>'. It runs on the "
            "embedded demo data; to use more, add these to its env, as values or as "
            '"${VAR}" references to variables set where Claude Code runs:',
            highlight=False,
            soft_wrap=True,
        )
    else:
        console.out(json.dumps(mcp_config(settings, name), indent=2), highlight=False)
        err_console.print(
            "This works as is, on the embedded demo data. Add to env (values are never "
            "printed here) to use more:",
            highlight=False,
            soft_wrap=True,
        )
    for variable, why in OPTIONAL_VARIABLES.items():
        err_console.print(f"  {variable}: {why}", highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("serve")(serve_command)
    app.command("mcp-config")(mcp_config_command)
