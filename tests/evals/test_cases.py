"""Eval case files: the schema the loader enforces, its one-line errors, and the committed
cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.eval_helpers import CASES, EVALS, committed_case, write_case
from posthog_escalation.errors import InputError
from posthog_escalation.evals.cases import case_schema, load_case, load_cases
from posthog_escalation.playbook import default_playbook


def test_a_committed_case_loads_with_its_paths_resolved() -> None:
    case = load_case(CASES / "replay-safari-regression.yaml")
    assert case.id == "replay-safari-regression"
    assert case.world == (EVALS / "worlds" / "demo.yaml").resolve()
    assert case.request.ticket.id == "ZD-48213"
    assert case.expect.known_issues == ["PostHog/posthog-js#2871"]
    assert case.expect.figure_specs()["affected_orgs"].value == "truth"


def test_every_committed_case_loads_and_ids_are_unique() -> None:
    cases = load_cases([CASES])
    assert len(cases) >= 16
    assert len({c.id for c in cases}) == len(cases)


def test_committed_cases_cover_the_areas_the_issue_lists() -> None:
    cases = {c.id: c.expect for c in load_cases([CASES])}
    routes = {x.route for x in cases.values()}
    assert {
        "session_replay",
        "security",
        "feature_flags",
        "experiments",
        "error_tracking",
        "surveys",
        "sdk_bug",
        "ingestion",
        "data_warehouse",
        "infrastructure",
    } <= routes
    assert any(not x.escalate for x in cases.values())
    assert any(x.known_issues == [] for x in cases.values())
    assert any(x.must_not_contain for x in cases.values())
    exposure = cases["mobile-replay-unmasked-inputs"]
    assert (exposure.severity.value, exposure.route) == ("Critical", "security")


def test_every_route_in_the_committed_cases_is_a_playbook_route() -> None:
    book = default_playbook()
    for case in load_cases([CASES]):
        assert case.expect.route in book.routes


def test_the_committed_schema_file_is_the_one_the_loader_enforces() -> None:
    committed = json.loads((EVALS / "case.schema.json").read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(case_schema()))


def _error(tmp_path: Path, data: dict) -> str:
    path = write_case(tmp_path, data, "broken")
    with pytest.raises(InputError) as caught:
        load_case(path)
    line = caught.value.one_line()
    assert "\n" not in line
    assert str(path) in line
    return line


def test_a_severity_outside_the_rubric_names_the_field(tmp_path: Path) -> None:
    data = committed_case("replay-safari-regression")
    data["expect"]["severity"] = "Urgent"
    line = _error(tmp_path, data)
    assert "expect.severity" in line
    assert "Urgent" in line


def test_an_unknown_field_is_an_error(tmp_path: Path) -> None:
    data = committed_case("replay-safari-regression")
    data["expect"]["priority"] = "P1"
    line = _error(tmp_path, data)
    assert "priority" in line


def test_a_missing_expectation_is_an_error(tmp_path: Path) -> None:
    data = committed_case("replay-safari-regression")
    del data["expect"]["route"]
    line = _error(tmp_path, data)
    assert "route" in line


def test_a_ticket_field_of_the_wrong_type_is_caught_by_the_schema(tmp_path: Path) -> None:
    data = committed_case("replay-safari-regression")
    data["ticket"]["customer"]["seats"] = "lots"
    line = _error(tmp_path, data)
    assert "ticket.customer.seats" in line


def test_a_route_the_playbook_does_not_know_is_an_error(tmp_path: Path) -> None:
    data = committed_case("replay-safari-regression")
    data["expect"]["route"] = "replay_team"
    line = _error(tmp_path, data)
    assert "replay_team" in line and "session_replay" in line


def test_a_missing_world_file_is_an_error(tmp_path: Path) -> None:
    data = committed_case("replay-safari-regression")
    data["world"] = "no-such-world.yaml"
    line = _error(tmp_path, data)
    assert "world 'no-such-world.yaml'" in line


def test_a_truth_figure_without_an_incident_is_an_error(tmp_path: Path) -> None:
    data = committed_case("replay-safari-regression")
    del data["expect"]["truth_incident"]
    line = _error(tmp_path, data)
    assert "truth_incident" in line


def test_a_truth_incident_the_world_does_not_have_is_an_error(tmp_path: Path) -> None:
    data = committed_case("replay-safari-regression")
    data["expect"]["truth_incident"] = "no-such-incident"
    line = _error(tmp_path, data)
    assert "no-such-incident" in line and "replay-safari-regression" in line


def test_a_known_issue_not_written_as_owner_name_number_is_an_error(tmp_path: Path) -> None:
    data = committed_case("replay-safari-regression")
    data["expect"]["known_issues"] = ["posthog-js 2871"]
    line = _error(tmp_path, data)
    assert "owner/name#number" in line


def test_two_cases_with_one_id_are_refused(tmp_path: Path) -> None:
    data = committed_case("replay-safari-regression")
    write_case(tmp_path, data, "first")
    write_case(tmp_path, data, "second")
    with pytest.raises(InputError, match="also used by"):
        load_cases([tmp_path])


def test_an_empty_folder_says_where_cases_go(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no case files"):
        load_cases([tmp_path])


def test_a_fixed_figure_with_its_own_tolerance_needs_no_incident(tmp_path: Path) -> None:
    data = committed_case("server-go-map-panic")
    data["expect"]["figures"] = {"affected_orgs": {"value": 1, "tolerance": 0}}
    case = load_case(write_case(tmp_path, data))
    spec = case.expect.figure_specs()["affected_orgs"]
    assert (spec.value, spec.tolerance) == (1.0, 0.0)
