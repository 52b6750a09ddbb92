"""`posthog-escalation eval` through the CLI: the report on stdout, exit 1 on a failed
gating check, exit 2 with one line on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.eval_helpers import CASES, committed_case, variant, write_case
from posthog_escalation.cli import main

FAST = CASES / "server-go-map-panic.yaml"


@pytest.fixture(autouse=True)
def _no_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ANTHROPIC_API_KEY", "POSTHOG_API_KEY", "GITHUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)


def _eval(hogql_home: Path, tmp_path: Path, *args: str) -> int:
    runs = tmp_path / "runs"
    return main(["--data-dir", str(hogql_home), "eval", *args, "--runs-dir", str(runs)])


def test_a_passing_case_prints_the_report_and_exits_0(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _eval(hogql_home, tmp_path, str(FAST))
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.startswith("# Eval run ")
    assert "| server-go-map-panic | 1/1 |" in out
    assert "run written to" in err
    (run,) = (tmp_path / "runs").iterdir()
    assert (run / "report.md").read_text(encoding="utf-8") == out.rstrip("\n") + "\n"


def test_a_failed_gating_check_exits_1_and_names_it(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_case(tmp_path / "cases", variant("server-go-map-panic", severity="Critical"))
    code = _eval(hogql_home, tmp_path, str(path))
    out, _ = capsys.readouterr()
    assert code == 1
    assert "`severity` — expected Critical, got Medium" in out


def test_a_broken_case_file_is_one_line_and_exit_2(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_case(tmp_path / "cases", variant("server-go-map-panic", route="go_team"))
    code = _eval(hogql_home, tmp_path, str(path))
    _, err = capsys.readouterr()
    assert code == 2
    assert "expect.route 'go_team' is not a playbook route" in err
    assert "Traceback" not in err


def test_an_unknown_drafter_is_refused(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _eval(hogql_home, tmp_path, str(FAST), "--drafter", "gpt") == 2
    assert "--drafter must be offline or llm" in capsys.readouterr().err


def test_the_claude_drafter_without_a_key_says_what_to_set(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _eval(hogql_home, tmp_path, str(FAST), "--drafter", "llm") == 2
    assert "ANTHROPIC_API_KEY" in capsys.readouterr().err


def test_resume_of_an_unknown_run_is_refused(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _eval(hogql_home, tmp_path, "--resume", "20990101-000000") == 2
    assert "no eval run '20990101-000000'" in capsys.readouterr().err


def test_the_data_folder_may_follow_the_command(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runs = tmp_path / "runs"
    code = main(["eval", str(FAST), "--data-dir", str(hogql_home), "--runs-dir", str(runs)])
    assert code == 0, capsys.readouterr().err


def test_a_case_can_be_named_by_its_id(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from posthog_escalation.cli.evals import resolve_case_targets

    assert resolve_case_targets([Path(FAST.stem)], CASES) == [FAST]
    renamed = write_case(
        tmp_path / "cases", committed_case("server-go-map-panic"), name="another-name"
    )
    assert resolve_case_targets([Path("server-go-map-panic")], renamed.parent) == [renamed]


def test_an_unknown_case_id_is_one_line_and_exit_2(
    hogql_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _eval(hogql_home, tmp_path, "no-such-case") == 2
    err = capsys.readouterr().err
    assert "no-such-case: no such case file, folder or case id" in err
    assert "Traceback" not in err
