"""The follow-through commands, driven through ``main`` against a store in ``tmp_path``."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pytest

from fake_github import FakeGitHub
from posthog_escalation.cli import followthrough as cli_module
from posthog_escalation.cli import main
from posthog_escalation.filing import marker, plan_for_stored
from posthog_escalation.models import Customer, Escalation, Ticket
from posthog_escalation.store import EscalationStore, store_escalation

STORED_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
TOKEN = "ghp_CliT3stT0kenNeverPrinted0123456789abc"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_TOKEN", "POSTHOG_ESCALATION_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def ticket(example_escalation: Escalation) -> Ticket:
    return Ticket(
        id=example_escalation.ticket_id,
        subject="Blank recordings in Safari",
        customer=Customer(org_name="Northwind Health", contacts=["Dana Whitfield"]),
    )


@pytest.fixture
def data_dir(tmp_path: Path, example_escalation: Escalation, ticket: Ticket) -> Path:
    folder = tmp_path / "data"
    with EscalationStore.in_data_dir(folder) as store:
        store_escalation(store, example_escalation, ticket=ticket, now=STORED_AT)
    return folder


@pytest.fixture
def github(monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    stub = FakeGitHub(TOKEN, first_number=4242)
    monkeypatch.setattr(
        cli_module,
        "github_client",
        lambda: httpx2.AsyncClient(transport=httpx2.MockTransport(stub.handler)),
    )
    return stub


def run(capsys: pytest.CaptureFixture[str], data_dir: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--data-dir", str(data_dir), *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_stored_escalations_and_says_so_when_empty(
    capsys: pytest.CaptureFixture[str], data_dir: Path, tmp_path: Path
) -> None:
    code, out, _ = run(capsys, tmp_path / "empty", "list")
    assert code == 0 and "No stored escalations" in out
    code, out, _ = run(capsys, data_dir, "list")
    assert code == 0
    assert out.startswith("ESC-1  draft  High  ZD-48213  Session replay records blank sessions")
    code, out, _ = run(capsys, data_dir, "list", "--json")
    assert json.loads(out)[0]["id"] == "ESC-1"


def test_list_with_an_unknown_status_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, _, err = run(capsys, data_dir, "list", "--status", "pending")
    assert code == 2
    assert "--status 'pending' is not a status — use one of: draft, filed" in err


def test_show_prints_the_internal_escalation_and_its_log_or_the_public_one(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, _ = run(capsys, data_dir, "show", "ESC-1")
    assert code == 0
    assert "## ESCALATION: Session replay" in out and "Northwind Health" in out
    assert "stored — stored as a draft: High, route session_replay" in out
    code, out, _ = run(capsys, data_dir, "show", "esc-1", "--public")
    assert code == 0 and "Northwind" not in out and "adoptedStyleSheets" in out
    code, out, _ = run(capsys, data_dir, "show", "1", "--json")
    data = json.loads(out)
    assert (data["id"], data["events"][0]["kind"]) == ("ESC-1", "stored")


def test_show_of_an_unknown_id_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, err = run(capsys, data_dir, "show", "ESC-7")
    assert code == 2 and out == ""
    assert "no escalation ESC-7 in the store" in err and "Traceback" not in err


@pytest.mark.parametrize("command", ["show", "file", "update"])
def test_an_id_too_large_for_the_store_is_a_one_line_error_not_an_overflow(
    capsys: pytest.CaptureFixture[str], data_dir: Path, command: str
) -> None:
    extra = ["--note", "n"] if command == "update" else []
    code, out, err = run(capsys, data_dir, command, "ESC-99999999999999999999999", *extra)
    assert code == 2 and out == ""
    assert "ESC-99999999999999999999999" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_file_without_confirm_prints_exactly_what_would_be_sent_and_sends_nothing(
    capsys: pytest.CaptureFixture[str], data_dir: Path, github: FakeGitHub
) -> None:
    code, out, _ = run(capsys, data_dir, "file", "ESC-1")
    assert code == 0
    assert github.requests == []
    assert out.startswith("Dry run for ESC-1: nothing was sent.")
    assert "POST https://api.github.com/repos/PostHog/posthog-js/issues" in out
    assert "labels: bug, feature/replay" in out
    assert "Northwind" not in out
    with EscalationStore.in_data_dir(data_dir) as store:
        assert marker(store.idempotency_key("ZD-48213")) in out
    code, out, _ = run(capsys, data_dir, "file", "ESC-1", "--json")
    shown = json.loads(out)
    with EscalationStore.in_data_dir(data_dir) as store:
        expected = plan_for_stored(store.get("ESC-1")).payload()
    assert shown["payload"] == expected
    assert shown["sendable"] is True
    assert github.requests == []


def test_file_confirm_without_a_token_says_what_to_set(
    capsys: pytest.CaptureFixture[str], data_dir: Path, github: FakeGitHub
) -> None:
    code, _, err = run(capsys, data_dir, "file", "ESC-1", "--confirm")
    assert code == 2
    assert "GITHUB_TOKEN is not set" in err
    assert github.requests == []


def test_file_confirm_files_once_and_a_second_confirm_reports_the_same_issue(
    capsys: pytest.CaptureFixture[str],
    data_dir: Path,
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    code, out, err = run(capsys, data_dir, "file", "ESC-1", "--confirm")
    assert code == 0
    assert "Filed: https://github.com/PostHog/posthog-js/issues/4242" in out
    assert TOKEN not in out + err
    posts = [r for r in github.requests if r.method == "POST"]
    code, out, _ = run(capsys, data_dir, "file", "ESC-1", "--confirm")
    assert code == 0 and "Already filed: https://github.com/PostHog/posthog-js/issues/4242" in out
    assert [r for r in github.requests if r.method == "POST"] == posts
    code, out, _ = run(capsys, data_dir, "list")
    assert "ESC-1  filed  High" in out


def test_file_refuses_a_security_escalation_with_a_warning_and_marks_its_channel(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    example_escalation: Escalation,
    ticket: Ticket,
    github: FakeGitHub,
) -> None:
    routing = example_escalation.routing.model_copy(update={"route": "security"})
    folder = tmp_path / "security"
    with EscalationStore.in_data_dir(folder) as store:
        store_escalation(
            store,
            example_escalation.model_copy(update={"routing": routing}),
            ticket=ticket,
            now=STORED_AT,
        )
    code, out, err = run(capsys, folder, "file", "ESC-1")
    assert code == 0
    assert "WARNING: NOT FILED: route 'security' must never be filed in a public repository" in err
    assert "nothing would be sent to GitHub" in out
    code, out, err = run(capsys, folder, "file", "ESC-1", "--confirm")
    assert code == 1
    assert "WARNING: NOT FILED" in err
    assert github.requests == []
    code, out, _ = run(capsys, folder, "list")
    assert "(Private security channel (never a public repository))" in out


def test_followups_lists_what_is_due_soonest_first_with_what_to_do(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, _ = run(capsys, data_dir, "followups", "--now", "2026-11-20T17:00:00Z")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Follow-ups as of 2026-11-20 17:00 UTC, soonest first:"
    assert "DUE      ESC-1 (ZD-48213, High, draft) — team check every 4-8 hours" in out
    assert "UPCOMING ESC-1 (ZD-48213, High, draft) — customer update daily" in out
    assert out.index("team check") < out.index("customer update")
    code, out, _ = run(
        capsys, data_dir, "followups", "--due", "--json", "--now", "2026-11-20T17:00"
    )
    items = json.loads(out)
    assert [(i["escalation_id"], i["kind"], i["state"]) for i in items] == [
        ("ESC-1", "team", "due")
    ]
    code, out, _ = run(capsys, data_dir, "followups", "--due", "--now", "2026-11-20T15:00Z")
    assert out.strip() == "Nothing due."


def test_followups_with_a_bad_time_is_a_one_line_error(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, _, err = run(capsys, data_dir, "followups", "--now", "tomorrow")
    assert code == 2 and "--now 'tomorrow' is not an ISO 8601 time" in err


def test_update_records_a_note_and_shows_the_next_follow_ups(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, _ = run(
        capsys,
        data_dir,
        "update",
        "ESC-1",
        "--note",
        "Replay team picked it up",
        "--now",
        "2026-11-20T17:00:00Z",
    )
    assert code == 0
    assert "Recorded on ESC-1 (team)." in out
    assert "Next team check: 2026-11-20 21:00 UTC" in out
    code, _, err = run(capsys, data_dir, "update", "ESC-1", "--note", "x", "--kind", "manager")
    assert code == 2 and "--kind 'manager' is not known" in err


def test_downgrade_then_close_on_the_demo_walk_through(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, out, _ = run(
        capsys,
        data_dir,
        "downgrade",
        "ESC-1",
        "--to",
        "Medium",
        "--reason",
        "workaround-unblocks",
        "--note",
        "pinning 1.200.3 via npm works",
        "--now",
        "2026-11-20T18:00:00Z",
    )
    assert code == 0
    assert out.startswith("Downgraded ESC-1 to Medium: downgraded from High: a workaround")
    assert "Next customer update: 2026-11-24 18:00 UTC" in out
    code, out, _ = run(
        capsys,
        data_dir,
        "close",
        "ESC-1",
        "--reason",
        "problem-stopped",
        "--now",
        "2026-11-25T09:00:00Z",
    )
    assert code == 0
    assert "Closed ESC-1: The problem stopped (the root cause is still written down)." in out
    assert "1. Tell the team that received the escalation" in out
    assert "4. Write down what was learned" in out
    code, _, err = run(capsys, data_dir, "close", "ESC-1", "--reason", "problem-stopped")
    assert code == 2 and "ESC-1 is closed" in err


def test_a_reason_outside_the_playbook_lists_the_allowed_ids(
    capsys: pytest.CaptureFixture[str], data_dir: Path
) -> None:
    code, _, err = run(capsys, data_dir, "downgrade", "ESC-1", "--to", "Medium", "--reason", "meh")
    assert code == 2
    assert "'meh' is not a downgrade criterion — use one of: support-can-fix" in err
    code, _, err = run(capsys, data_dir, "close", "ESC-1", "--reason", "severity-lowered")
    assert code == 2
    assert "use one of: support-can-fix, workaround-unblocks, problem-stopped" in err
