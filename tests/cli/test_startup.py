"""Starting a door loads only what it uses: the CLI's help and the MCP server's tool list
never import the model SDK or the engines, and an offline run never imports the model SDK.
Each check runs in a fresh interpreter and reads its ``sys.modules``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parents[2] / "src" / "posthog_escalation" / "examples"
ENGINES = ("anthropic", "chdb", "sqlglot", "numpy", "bm25s", "wordllama", "detect_secrets")


def loaded_after(code: str, *names: str) -> list[str]:
    """Which of ``names`` a fresh interpreter has imported after running ``code``."""
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps([m for m in {list(names)!r} if m in sys.modules]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_importing_the_cli_imports_neither_the_model_sdk_nor_chdb() -> None:
    assert loaded_after("import posthog_escalation.cli", "anthropic", "chdb") == []


def test_the_cli_help_loads_no_engine_and_no_model() -> None:
    code = (
        "import contextlib, io\n"
        "from posthog_escalation.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert main(['--help']) == 0\n"
    )
    assert loaded_after(code, *ENGINES, "pydantic", "posthog_escalation.models") == []


def test_importing_the_package_loads_only_what_is_asked_for() -> None:
    code = "import posthog_escalation\nfrom posthog_escalation import load_model"
    assert loaded_after(code, *ENGINES, "posthog_escalation.pipeline") == []


def test_the_server_lists_its_tools_without_the_engines(tmp_path: Path) -> None:
    code = (
        "import anyio\n"
        "from mcp import Client\n"
        "from posthog_escalation.config import Settings\n"
        "from posthog_escalation.server import build_server\n"
        f"settings = Settings(data_dir={str(tmp_path)!r}, backend='local', _env_file=None)\n"
        "async def listed():\n"
        "    async with Client(build_server(settings=settings)) as client:\n"
        "        assert len((await client.list_tools()).tools) == 12\n"
        "anyio.run(listed)\n"
    )
    assert loaded_after(code, *ENGINES, "posthog_escalation.pipeline") == []


@pytest.mark.slow
def test_an_offline_run_never_imports_the_model_sdk(hogql_home: Path, tmp_path: Path) -> None:
    code = (
        "import anyio\n"
        "from pathlib import Path\n"
        "from posthog_escalation.tools.hogql import pin_home\n"
        f"pin_home(Path({str(hogql_home)!r}))\n"
        "from posthog_escalation import EscalationRequest, Settings, escalate, load_model\n"
        f"settings = Settings(data_dir={str(tmp_path)!r}, backend='local', _env_file=None)\n"
        f"request = load_model({str(DEMO / 'demo_request.yaml')!r}, EscalationRequest)\n"
        "outcome = anyio.run(lambda: escalate(request, settings=settings, drafter='offline'))\n"
        "assert outcome.escalation is not None and outcome.passed_gate\n"
    )
    assert loaded_after(code, "anthropic", "chdb") == ["chdb"]


def test_what_help_names_without_importing_is_what_the_commands_use() -> None:
    from posthog_escalation.cli import core, docs, hogql
    from posthog_escalation.models import SCHEMAS
    from posthog_escalation.tools.docs import DEFAULT_REPO
    from posthog_escalation.tools.hogql.output import MAX_ROWS

    assert tuple(SCHEMAS) == core.SCHEMA_NAMES
    assert docs.DEFAULT_REPO == DEFAULT_REPO
    assert hogql.MAX_ROWS == MAX_ROWS
