"""The core commands, driven through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from posthog_escalation.cli import main

EXAMPLES = Path(__file__).resolve().parents[2] / "src" / "posthog_escalation" / "examples"
EXAMPLE = EXAMPLES / "escalation.yaml"


def _bad_escalation(tmp_path: Path) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["summary"] = "Bug in replay"
    data["asks"] = []
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_render_prints_the_internal_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(EXAMPLE)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## ESCALATION: Session replay records blank sessions")
    assert "Northwind Health" in out


def test_render_public_with_the_ticket_hides_names(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "render",
            str(EXAMPLE),
            "--flavour",
            "public",
            "--request",
            str(EXAMPLES / "demo_request.yaml"),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    assert "Northwind Health" not in out
    assert "adoptedStyleSheets" in out and "1.201.0" in out


def test_render_rejects_an_unknown_flavour(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["render", str(EXAMPLE), "--flavour", "secret"]) == 2
    assert "--flavour: expected 'internal' or 'public'" in capsys.readouterr().err


def test_lint_passes_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", str(EXAMPLE)]) == 0
    assert "passes the quality gate" in capsys.readouterr().out


def test_lint_exits_1_and_prints_each_finding_with_its_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint", str(_bad_escalation(tmp_path))]) == 1
    out = capsys.readouterr().out
    assert "summary-specific" in out
    assert "asks-specific" in out
    assert out.count("fix:") >= 2


def test_lint_json_lists_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "--json", str(_bad_escalation(tmp_path))]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert {f["rule"] for f in findings} >= {"summary-specific", "asks-specific"}


def test_lint_of_a_missing_file_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["lint", "missing.yaml"]) == 2
    err = capsys.readouterr().err
    assert "missing.yaml: file not found" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_lint_of_a_wrong_typed_field_names_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["severity"] = "Apocalyptic"
    path = tmp_path / "typo.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["lint", str(path)]) == 2
    err = capsys.readouterr().err
    assert "typo.yaml" in err and "'severity'" in err and "Apocalyptic" in err


def test_debug_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--debug", "lint", "missing.yaml"]) == 2
    assert "Traceback" in capsys.readouterr().err


def test_lint_of_invalid_json_names_the_position(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "esc.json"
    path.write_text("{oops")
    assert main(["lint", str(path)]) == 2
    assert "esc.json: invalid JSON at line 1" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["escalation", "ticket", "triage", "request", "evidence"])
def test_schema_prints_json_schema(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", name]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["type"] == "object"
    assert schema["properties"]


def test_escalation_schema_has_every_template_section(capsys: pytest.CaptureFixture[str]) -> None:
    main(["schema", "escalation"])
    props = set(json.loads(capsys.readouterr().out)["properties"])
    assert {"summary", "severity", "impact", "dimensions", "evidence", "reproduction"} <= props
    assert {"known_issues", "asks", "communication", "routing", "follow_up"} <= props


def test_schema_of_an_unknown_name_lists_the_known(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "invoice"]) == 2
    assert "use one of: escalation, ticket" in capsys.readouterr().err


def test_playbook_prints_every_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["playbook"]) == 0
    out = capsys.readouterr().out
    for title in ("Routing", "Severity rubric", "Follow-up cadence", "Close / downgrade"):
        assert title in out
    assert "every 2-4 hours" in out


def test_playbook_json_is_the_loaded_playbook(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["playbook", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["routes"]["security"]["public"] is False


def test_playbook_rejects_an_unknown_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["playbook", "pricing"]) == 2
    assert "unknown section 'pricing'" in capsys.readouterr().err


def test_playbook_reports_a_malformed_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "pb.toml"
    path.write_text("version = 'one'\n")
    assert main(["playbook", "--file", str(path)]) == 2
    assert "pb.toml" in capsys.readouterr().err
