"""`run` and `demo` end to end through the CLI, on the embedded demo world."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import yaml

from posthog_escalation.cli import main
from posthog_escalation.cli.run import EXIT_NOT_ESCALATED
from posthog_escalation.models import Escalation
from posthog_escalation.store import EscalationStore

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "posthog_escalation" / "examples"
DEMO = EXAMPLES / "demo_request.yaml"


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC_API_KEY", "POSTHOG_API_KEY", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def test_run_writes_every_output_and_stores_it(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    out = tmp_path / "out"
    code = main(["--data-dir", str(data), "run", str(DEMO), "--offline", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "escalation.json",
        "escalation.md",
        "escalation.public.md",
        "evidence.json",
        "findings.json",
    ]
    escalation = Escalation.model_validate_json((out / "escalation.json").read_text())
    assert escalation.ticket_id == "ZD-48213"
    assert captured.out.startswith("## ESCALATION:")
    assert (out / "escalation.md").read_text() in captured.out
    public = (out / "escalation.public.md").read_text()
    assert "Northwind Health" not in public and "dana.whitfield" not in public
    evidence = json.loads((out / "evidence.json").read_text())
    assert [e["id"] for e in evidence] == [e.id for e in escalation.evidence]
    assert "Stored as ESC-1" in captured.err
    with EscalationStore.in_data_dir(data) as store:
        assert store.find_by_ticket("ZD-48213") is not None


def test_run_twice_updates_the_same_stored_escalation(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [
        "--data-dir",
        str(tmp_path),
        "run",
        str(DEMO),
        "--offline",
        "--out",
        str(tmp_path / "o"),
    ]
    assert main(args) == 0
    assert main(args) == 0
    assert "Updated as ESC-1" in capsys.readouterr().err


def test_run_no_store_leaves_no_database(hogql_home: Path, tmp_path: Path) -> None:
    code = main(
        [
            "--data-dir",
            str(tmp_path),
            "run",
            str(DEMO),
            "--offline",
            "--no-store",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    assert code == 0
    assert not (tmp_path / "escalations.db").exists()


def test_run_refuses_when_triage_does_not_escalate_with_its_own_exit_code(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = yaml.safe_load(DEMO.read_text())
    request["triage"]["decision"] = "resolve_in_support"
    path = tmp_path / "req.yaml"
    path.write_text(yaml.safe_dump(request))
    out = tmp_path / "out"
    assert (
        main(["--data-dir", str(tmp_path), "run", str(path), "--offline", "--out", str(out)])
        == EXIT_NOT_ESCALATED
        == 3
    )
    assert "Not escalated" in capsys.readouterr().out
    assert not out.exists()


def test_run_with_a_bad_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "req.yaml"
    path.write_text("ticket:\n  id: T1\n  subject: s\n  customer: {region: moon}\n")
    assert main(["--data-dir", str(tmp_path), "run", str(path), "--offline"]) == 2
    err = capsys.readouterr().err.strip()
    assert "req.yaml" in err and "ticket.customer.region" in err
    assert len(err.splitlines()) == 1


def test_run_refuses_both_drafters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--data-dir", str(tmp_path), "run", str(DEMO), "--offline", "--llm"]) == 2
    assert "choose one of --offline and --llm" in capsys.readouterr().err


def test_demo_runs_end_to_end_and_passes_the_gate(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--data-dir", str(tmp_path), "demo", "--out", str(tmp_path / "demo")]) == 0
    captured = capsys.readouterr()
    assert "## ESCALATION: Session recordings are blank for Safari users" in captured.out
    assert "quality gate: 0 error(s)" in captured.err


def _request_with_id(tmp_path: Path, ticket_id: str) -> Path:
    request = yaml.safe_load(DEMO.read_text())
    request["ticket"]["id"] = ticket_id
    path = tmp_path / "req.yaml"
    path.write_text(yaml.safe_dump(request))
    return path


@pytest.mark.parametrize("ticket_id", ["../../escaped", "..", "ABSOLUTE", "a/../../b", "."])
def test_a_hostile_ticket_id_never_chooses_a_folder_outside_out(
    hogql_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ticket_id: str
) -> None:
    work = tmp_path / "work" / "cwd"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    if ticket_id == "ABSOLUTE":
        ticket_id = str(tmp_path / "absolute-target")
    path = _request_with_id(tmp_path, ticket_id)
    code = main(["--data-dir", str(tmp_path / "data"), "run", str(path), "--offline"])
    assert code == 0
    written = [p for p in tmp_path.rglob("escalation.md")]
    assert len(written) == 1
    folder = written[0].parent
    assert folder.parent == work / "out"
    assert folder.name not in ("", ".", "..")


def test_the_default_output_folder_keeps_an_ordinary_ticket_id(
    hogql_home: Path, tmp_path: Path
) -> None:
    assert main(["--data-dir", str(tmp_path / "data"), "run", str(DEMO), "--offline"]) == 0
    assert (tmp_path / "out" / "ZD-48213" / "escalation.md").is_file()


def test_out_pointing_at_an_existing_file_is_one_line_and_exit_2(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "taken.txt"
    target.write_text("not a folder")
    args = ["--data-dir", str(tmp_path / "d"), "run", str(DEMO), "--offline", "--out", str(target)]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "taken.txt" in err and "not a folder" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert target.read_text() == "not a folder"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deep.json", "[" * 3000 + "]" * 3000),
        ("deep.yaml", "a: " + "[" * 3000 + "]" * 3000),
        (
            "bomb.yaml",
            'a0: &a0 ["lol"]\n'
            + "".join(f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 10))
            + "ticket: {id: T1, subject: *a9}\n",
        ),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ["run", "{}", "--offline"],
        ["lint", "{}"],
        ["issues", "match", "{}"],
        ["world", "truth", "{}"],
    ],
)
def test_hostile_documents_are_refused_in_one_line_by_every_command_that_loads_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, text: str, command: list[str]
) -> None:
    path = tmp_path / name
    path.write_text(text)
    args = ["--data-dir", str(tmp_path / "d"), *[str(path) if a == "{}" else a for a in command]]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert name in err and "refused" in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_run_writes_every_file_private_and_the_data_folder_0700(
    hogql_home: Path, tmp_path: Path
) -> None:
    old = os.umask(0o022)
    try:
        data, out = tmp_path / "data", tmp_path / "out"
        assert (
            main(["--data-dir", str(data), "run", str(DEMO), "--offline", "--out", str(out)]) == 0
        )
        assert os.umask(0o022) == 0o022, "the CLI restores the caller's umask"
    finally:
        os.umask(old)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    files = [p for p in [*data.rglob("*"), *out.rglob("*")] if p.is_file()]
    assert any(p.name == "escalations.db" for p in files)
    assert any(p.name == "escalation.md" for p in files)
    assert {str(p): stat.S_IMODE(p.stat().st_mode) for p in files} == {str(p): 0o600 for p in files}
    folders = [p for p in data.rglob("*") if p.is_dir()]
    assert {str(p): stat.S_IMODE(p.stat().st_mode) for p in folders} == {
        str(p): 0o700 for p in folders
    }


def test_a_run_on_a_ticket_full_of_credentials_writes_none_anywhere(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from test_scrub import hostile_request, leaked

    request = tmp_path / "hostile.json"
    request.write_text(hostile_request().model_dump_json())
    data, out = tmp_path / "data", tmp_path / "out"
    assert main(["--data-dir", str(data), "run", str(request), "--offline", "--out", str(out)]) == 0
    printed = capsys.readouterr()
    for args in (["list"], ["list", "--json"], ["show", "ESC-1"], ["show", "ESC-1", "--json"]):
        assert main(["--data-dir", str(data), *args]) == 0
    shown = capsys.readouterr()
    texts = {p.name: p.read_text() for p in out.iterdir()}
    texts["stdout"] = printed.out + shown.out
    texts["stderr"] = printed.err + shown.err
    with EscalationStore.in_data_dir(data) as store:
        stored = store.get("ESC-1")
        texts["row"] = stored.model_dump_json() + json.dumps(
            [e.model_dump(mode="json") for e in store.events("ESC-1")]
        )
    raw = b"".join(p.read_bytes() for p in data.iterdir() if p.name.startswith("escalations.db"))
    texts["sqlite bytes"] = raw.decode("utf-8", "replace")
    assert {name: leaked(text) for name, text in texts.items()} == {n: [] for n in texts}
    assert "Northwind Health" in texts["escalation.md"], "personal data may stay internal"
