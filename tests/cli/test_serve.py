"""``serve`` and ``mcp-config``, driven through the real CLI entry point."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from posthog_escalation.cli import main

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
    monkeypatch.setenv("POSTHOG_HOST", "eu")
    monkeypatch.setenv("GITHUB_TOKEN", GITHUB)
    assert main(["--data-dir", "data", "mcp-config"]) == 0
    captured = capsys.readouterr()
    block = json.loads(captured.out)["mcpServers"]["posthog-escalation"]
    command = Path(block["command"])
    assert command.is_absolute() and command.exists() and os.access(command, os.X_OK)
    assert block["args"][-1] == "serve"
    env = block["env"]
    assert set(env) >= {"POSTHOG_API_KEY", "POSTHOG_HOST", "POSTHOG_PROJECT_ID", "GITHUB_TOKEN"}
    assert env["POSTHOG_PROJECT_ID"] == "48213"
    assert env["POSTHOG_HOST"] == "https://eu.posthog.com"
    assert env["POSTHOG_ESCALATION_DATA_DIR"] == str(tmp_path / "data")
    assert env["POSTHOG_API_KEY"].startswith("phx_") and env["POSTHOG_API_KEY"] != KEY
    assert KEY not in captured.out + captured.err and GITHUB not in captured.out + captured.err
    assert "Replace the placeholder values" in captured.err


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
