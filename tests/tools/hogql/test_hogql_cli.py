"""The hogql, world and impact commands, driven through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from fixtures_hogql import small_spec
from posthog_escalation.cli import main
from posthog_escalation.tools.hogql import LocalHogQL

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
