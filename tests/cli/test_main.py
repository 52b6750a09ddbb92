"""The entry point: exit codes, one line for a crash, --version, python -m, completion,
output that pipes well (whole tables, no accidental highlighting)."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from importlib.metadata import version

import pytest
import typer

import posthog_escalation
from posthog_escalation.cli import command_name, core, main
from posthog_escalation.cli.common import app, started

NPM_TOKEN = "npm_Wq8fZ2kR7xLm4NvB9cT1yH6jD3sP0aQe5UoG"


def _crash(_path: object) -> None:
    raise RuntimeError(f"the table broke while reading {NPM_TOKEN}")


def test_an_unexpected_crash_is_one_line_naming_the_command_and_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(core, "_playbook", _crash)
    assert main(["playbook", "routes"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "posthog-escalation playbook failed unexpectedly" in err
    assert "RuntimeError: the table broke" in err and "--debug" in err
    assert NPM_TOKEN not in err


def test_with_debug_a_crash_shows_its_traceback_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(core, "_playbook", _crash)
    assert main(["--debug", "playbook"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" in err and "failed unexpectedly" in err


def test_the_command_name_follows_groups_and_skips_option_values() -> None:
    group = typer.main.get_command(app)
    args = ["--data-dir", "docs", "docs", "search", "replay", "--limit", "3"]
    assert command_name(group, args) == "posthog-escalation docs search"
    assert command_name(group, ["--debug", "run", "ticket.yaml"]) == "posthog-escalation run"
    assert command_name(group, ["nonsense"]) == "posthog-escalation"


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == f"posthog-escalation {posthog_escalation.__version__}"
    assert posthog_escalation.__version__ == version("posthog-escalation")


def test_python_dash_m_runs_the_same_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "posthog_escalation", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"posthog-escalation {posthog_escalation.__version__}"


def test_shell_completion_completes_command_names() -> None:
    env = {
        **os.environ,
        "_POSTHOG_ESCALATION_COMPLETE": "complete_bash",
        "COMP_WORDS": "posthog-escalation pla",
        "COMP_CWORD": "1",
    }
    done = subprocess.run(
        [sys.executable, "-m", "posthog_escalation"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["playbook"]


def test_help_offers_completion_and_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for option in ("--install-completion", "--show-completion", "--version", "demo"):
        assert option in out


def test_a_table_piped_to_another_program_is_printed_whole(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["playbook", "routes"]) == 0
    out = capsys.readouterr().out
    assert "…" not in out
    assert "SDK bug (JavaScript, iOS, Android, Flutter, React Native, server SDKs)" in out
    assert max(len(line) for line in out.splitlines()) > 80


def test_messages_are_not_highlighted_on_a_terminal() -> None:
    code = (
        "from posthog_escalation.cli.common import console, err_console\n"
        "err_console.print('› wrote 5 files to out (open_backends 3.16s)')\n"
        "console.print('quality gate: 0 error(s), 2 warning(s)')\n"
    )
    env = {**os.environ, "FORCE_COLOR": "1", "TERM": "xterm-256color"}
    env.pop("NO_COLOR", None)
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "› wrote 5 files to out (open_backends 3.16s)" in done.stderr
    assert "quality gate: 0 error(s), 2 warning(s)" in done.stdout
    assert "\x1b[" not in done.stderr + done.stdout


def test_started_turns_the_collector_back_on_with_the_start_frozen() -> None:
    gc.disable()
    try:
        started()
        assert gc.isenabled() and gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.enable()


def test_started_leaves_a_running_collector_alone() -> None:
    before = gc.get_freeze_count()
    started()
    assert gc.isenabled() and gc.get_freeze_count() == before


def test_the_script_runs_a_command_with_the_collector_off_until_it_has_started() -> None:
    code = (
        "import gc, sys\n"
        "from posthog_escalation import __main__ as entry\n"
        "sys.argv = ['posthog-escalation', '--version']\n"
        "try:\n"
        "    entry.main()\n"
        "except SystemExit as exit:\n"
        "    assert exit.code == 0\n"
        "print('collector on:', gc.isenabled())\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"posthog-escalation {posthog_escalation.__version__}",
        "collector on: False",
    ]
