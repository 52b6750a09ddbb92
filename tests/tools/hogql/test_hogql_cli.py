"""The hogql, world and impact commands, driven through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from fixtures_hogql import small_spec
from posthog_escalation.cli import main
from posthog_escalation.tools.hogql import LocalHogQL
from posthog_escalation.tools.hogql.world_store import WorldLock

SIGNATURE = "event = '$exception' AND properties.$exception_message ILIKE '%adoptedStyleSheets%'"


@pytest.fixture(autouse=True)
def local_env(monkeypatch: pytest.MonkeyPatch, hogql_home: Path, demo_world: LocalHogQL) -> None:
    for name in ("POSTHOG_API_KEY", "POSTHOG_PROJECT_ID", "POSTHOG_ESCALATION_WORLD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("POSTHOG_ESCALATION_BACKEND", "local")
    monkeypatch.setenv("POSTHOG_ESCALATION_DATA_DIR", str(hogql_home))


def test_hogql_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["hogql", "SELECT key, properties.name FROM groups WHERE key = 'northwind-health'"])
        == 0
    )
    captured = capsys.readouterr()
    assert "northwind-health" in captured.out and "Northwind Health" in captured.out
    assert "embedded world 'demo'" in captured.err


def test_hogql_json_is_posthogs_response(
    capsys: pytest.CaptureFixture[str], demo_world: LocalHogQL
) -> None:
    assert main(["hogql", "SELECT count() FROM events", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["results"] == [[demo_world.world.totals.events]]
    assert payload["columns"] == ["count()"]
    assert set(payload) >= {"types", "hogql", "clickhouse", "timings", "hasMore", "limit"}


def test_hogql_errors_are_one_line_with_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hogql", "SELECT * FROM evnts"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith('error: Unknown table "evnts".')
    assert len(err.splitlines()) == 1


def test_world_build_reports_size_and_reuse(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["world", "build"]) == 0
    assert "demo reused:" in capsys.readouterr().out


def test_world_build_builds_a_spec_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "cli-small.yaml"
    spec.write_text(yaml.safe_dump(small_spec(name="cli-small")), encoding="utf-8")
    assert main(["world", "build", str(spec), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["name"] == "cli-small"
    assert info["totals"]["organizations"] == 3


def test_world_build_with_a_bad_spec_names_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text(yaml.safe_dump(small_spec(days="many")), encoding="utf-8")
    assert main(["world", "build", str(spec)]) == 2
    assert "field 'days'" in capsys.readouterr().err


def test_world_truth_lists_the_demo_incidents(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["world", "truth", "--json"]) == 0
    truth = json.loads(capsys.readouterr().out)
    assert "replay-safari-regression" in truth["incidents"]


def test_impact_json_matches_the_ground_truth(
    capsys: pytest.CaptureFixture[str], demo_world: LocalHogQL
) -> None:
    assert main(["impact", SIGNATURE, "--since", "-30d", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    truth = demo_world.ground_truth().incidents["replay-safari-regression"]
    assert summary["affected_events"] == truth.events
    assert summary["affected_orgs"] == truth.affected_orgs
    assert all(figure["hogql"] for figure in summary["figures"])


def test_impact_prints_the_affected_organizations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["impact", SIGNATURE]) == 0
    out = capsys.readouterr().out
    assert "Northwind" in out
    assert "starts in web 1.201.0" in out
    assert "growing" in out


# -- bounded output and bad input ----------------------------------------------------------


def test_hogql_output_is_capped_with_a_clear_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hogql", "SELECT * FROM events LIMIT 10000000"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 2 + 1000
    assert "output is capped at 1,000 rows" in captured.err
    assert len(captured.out.encode()) < 2_000_000


def test_hogql_json_output_is_capped_too(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hogql", "SELECT uuid FROM events LIMIT 5000", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert len(payload["results"]) == 1000
    assert payload["hasMore"] is True


def test_hogql_cells_are_cut_at_the_cell_cap(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hogql", "SELECT repeat('x', 5000) AS long", "--json"]) == 0
    captured = capsys.readouterr()
    (cell,) = json.loads(captured.out)["results"][0]
    assert len(cell) == 1000 and cell.endswith("[cut]")
    assert "1 cell(s) longer than 1,000 characters were cut" in captured.err


@pytest.mark.parametrize("limit", ["-5", "0", "1001"])
def test_hogql_limit_out_of_range_is_one_line_with_exit_code_2(
    capsys: pytest.CaptureFixture[str], limit: str
) -> None:
    assert main(["hogql", "SELECT 1", "--limit", limit]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: --limit {limit} is out of range: use 1 to 1,000")
    assert len(err.splitlines()) == 1


def test_hogql_deep_nesting_is_one_line_with_exit_code_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["hogql", "SELECT " + "(" * 3000 + "1" + ")" * 3000]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: The query nests brackets 3000 deep")
    assert len(err.splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("SELECT count() FROM events WHERE 0 IN system.one", 'Unknown table "system.one"'),
        ("SELECT count() FROM events WHERE 0 IN nosuchdb.x", 'Unknown table "nosuchdb.x"'),
        ("SELECT getServerSetting('path')", "Function 'getServerSetting' is not allowed"),
        ("SELECT fullHostName()", "Function 'fullHostName' is not allowed"),
    ],
)
def test_hogql_refuses_reads_outside_its_tables(
    capsys: pytest.CaptureFixture[str], hogql_home: Path, query: str, message: str
) -> None:
    assert main(["hogql", query]) == 2
    captured = capsys.readouterr()
    assert message in captured.err
    assert str(hogql_home) not in captured.out + captured.err


def test_world_build_force_refuses_a_world_another_process_has_open(
    tmp_path: Path, hogql_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "cli-busy.yaml"
    spec.write_text(yaml.safe_dump(small_spec(name="cli-busy")), encoding="utf-8")
    assert main(["world", "build", str(spec), "--json"]) == 0
    database = json.loads(capsys.readouterr().out)["database"]
    other = WorldLock(hogql_home, database)
    assert other.shared(wait=False)
    try:
        assert main(["world", "build", str(spec), "--force"]) == 2
        err = capsys.readouterr().err.strip()
        assert f"world {database} is open in another process" in err
        assert len(err.splitlines()) == 1
    finally:
        other.release()
    assert main(["world", "truth", str(spec), "--json"]) == 0
