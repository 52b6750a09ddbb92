"""``serve`` and ``mcp-config``, driven through the real CLI entry point."""

from __future__ import annotations

import json
import logging
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from posthog_escalation.cli import main
from posthog_escalation.config import Settings

KEY = "phx_ConfiguredKeyNeverPrinted12345"
GITHUB = "ghp_ConfiguredTokenNeverPrinted6789"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in (
        "POSTHOG_API_KEY",
        "POSTHOG_PROJECT_ID",
        "POSTHOG_HOST",
        "GITHUB_TOKEN",
        "POSTHOG_ESCALATION_MCP_TOKEN",
        "POSTHOG_ESCALATION_DATA_DIR",
    ):
        monkeypatch.delenv(name, raising=False)


def test_mcp_config_prints_this_installations_command_without_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("POSTHOG_API_KEY", KEY)
    monkeypatch.setenv("POSTHOG_PROJECT_ID", "48213")
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB)
    assert main(["--data-dir", "data", "mcp-config"]) == 0
    captured = capsys.readouterr()
    block = json.loads(captured.out)["mcpServers"]["posthog-escalation"]
    command = Path(block["command"])
    assert command.is_absolute() and command.exists() and os.access(command, os.X_OK)
    assert block["args"][-1] == "serve"
    assert block["env"] == {"POSTHOG_ESCALATION_DATA_DIR": str(tmp_path / "data")}
    assert KEY not in captured.out + captured.err and GITHUB not in captured.out + captured.err
    for variable in ("POSTHOG_API_KEY", "POSTHOG_PROJECT_ID", "GITHUB_TOKEN"):
        assert variable in captured.err


def test_the_printed_config_runs_the_server_on_the_embedded_data_as_is(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["mcp-config"]) == 0
    env = json.loads(capsys.readouterr().out)["mcpServers"]["posthog-escalation"]["env"]
    assert not [v for v in env.values() if re.search(r"your|phx_|ghp_|<|\$\{", v)]
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = Settings(_env_file=None)
    assert not settings.uses_remote_posthog and not settings.uses_remote_github
    assert settings.secrets() == []


def test_mcp_config_for_claude_code_is_the_object_add_json_takes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["mcp-config", "--claude-code"]) == 0
    captured = capsys.readouterr()
    entry = json.loads(captured.out)
    assert "mcpServers" not in entry
    assert entry["type"] == "stdio" and entry["args"][-1] == "serve"
    assert Path(entry["command"]).is_absolute()
    assert set(entry["env"]) == {"POSTHOG_ESCALATION_DATA_DIR"}
    assert "claude mcp add-json posthog-escalation" in captured.err


def test_mcp_config_takes_the_server_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mcp-config", "--name", "escalations"]) == 0
    assert list(json.loads(capsys.readouterr().out)["mcpServers"]) == ["escalations"]


def test_serve_refuses_a_public_http_bind_without_a_token(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["serve", "--http", "--host", "0.0.0.0"]) == 2
    err = capsys.readouterr().err
    assert "refusing to serve MCP over HTTP on 0.0.0.0" in err
    assert "POSTHOG_ESCALATION_MCP_TOKEN" in err


def test_serve_rejects_an_unknown_log_level(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--log-level", "loud"]) == 2
    assert "--log-level" in capsys.readouterr().err


@pytest.fixture
def keep_logging() -> Iterator[None]:
    """``serve`` replaces the root logger's handlers; put them back afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_serve_refuses_a_port_out_of_range_in_one_line(
    capsys: pytest.CaptureFixture[str], keep_logging: None
) -> None:
    assert main(["serve", "--http", "--port", "99999"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: --port 99999 is out of range — use a port from 1 to 65535"


def test_serve_says_where_it_listens_only_after_binding(
    capsys: pytest.CaptureFixture[str], keep_logging: None
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code = main(["serve", "--http", "--port", str(port)])
    err = capsys.readouterr().err
    assert code == 2
    assert "MCP over streamable HTTP at" not in err
    assert f"cannot serve MCP over HTTP on 127.0.0.1:{port}" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
