"""World specs: parsing, relative times, defaults and one-line errors."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from fixtures_hogql import small_spec
from posthog_escalation.errors import InputError
from posthog_escalation.tools.hogql import (
    load_world_spec,
    packaged_world,
    parse_world_spec,
    resolve_time,
)
from posthog_escalation.tools.hogql.spec import ExceptionIncident

ROOT = Path(__file__).resolve().parents[3]
NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("-6d", datetime(2026, 11, 14, 12, tzinfo=UTC)),
        ("-12h", datetime(2026, 11, 20, 0, tzinfo=UTC)),
        ("+30m", datetime(2026, 11, 20, 12, 30, tzinfo=UTC)),
        ("-2w", datetime(2026, 11, 6, 12, tzinfo=UTC)),
        ("2026-11-14T09:00:00Z", datetime(2026, 11, 14, 9, tzinfo=UTC)),
        ("2026-11-14", datetime(2026, 11, 14, tzinfo=UTC)),
        ("2026-11-14T10:00:00+01:00", datetime(2026, 11, 14, 9, tzinfo=UTC)),
    ],
)
def test_resolve_time_reads_absolute_and_relative_times(text: str, expected: datetime) -> None:
    assert resolve_time(text, NOW) == expected


def test_resolve_time_rejects_text_that_is_no_time() -> None:
    with pytest.raises(ValueError, match="not a time"):
        resolve_time("last tuesday", NOW)


def test_evals_demo_world_is_the_packaged_demo_world() -> None:
    packaged = packaged_world("demo").read_bytes()
    assert (ROOT / "evals" / "worlds" / "demo.yaml").read_bytes() == packaged


def test_demo_spec_describes_the_replay_regression_and_a_separate_status_incident() -> None:
    spec = load_world_spec(packaged_world("demo"))
    assert spec.now == NOW
    assert spec.days == 21
    assert len(spec.organizations) == 12
    northwind = next(o for o in spec.organizations if o.name == "Northwind Health")
    assert (northwind.plan, northwind.seats, northwind.arr) == ("enterprise", 420, 186000)
    assert northwind.adopt["web"]["1.201.0"] == datetime(2026, 11, 14, 6, tzinfo=UTC)
    incident = spec.incident("replay-safari-regression")
    assert isinstance(incident, ExceptionIncident)
    assert incident.since == datetime(2026, 11, 14, 9, tzinfo=UTC)
    assert incident.until == NOW
    assert incident.where.lib_version == ["1.201.0"]
    assert incident.exception.type == "TypeError"
    assert "adoptedStyleSheets" in incident.exception.message
    assert {i.kind for i in spec.incidents} >= {"exception", "ingestion_warning", "flag_response"}
    [status] = spec.status_incidents
    assert status.region == "EU"
    assert status.resolved_at is not None and status.resolved_at < incident.since


def test_relative_incident_times_resolve_against_the_world_clock() -> None:
    spec = parse_world_spec(
        small_spec(
            incidents=[
                {"id": "late", "kind": "drop_events", "since": "-2d", "until": "-1d", "rate": 0.5}
            ]
        ),
        source="t",
    )
    incident = spec.incident("late")
    assert incident.since == datetime(2026, 6, 8, 12, tzinfo=UTC)
    assert incident.until == datetime(2026, 6, 9, 12, tzinfo=UTC)


def test_incident_without_window_covers_the_whole_world() -> None:
    spec = parse_world_spec(
        small_spec(incidents=[{"id": "all", "kind": "duplicate_events", "rate": 0.1}]), source="t"
    )
    assert spec.incident("all").since == spec.start
    assert spec.incident("all").until == spec.now


def test_org_key_and_domain_default_from_the_name() -> None:
    spec = parse_world_spec(
        small_spec(organizations=[{"name": "Zeta & Sons", "persons": 2}]), source="t"
    )
    assert spec.organizations[0].key == "zeta-sons"
    assert spec.organizations[0].domain == "zeta-sons.example"


def test_known_libs_get_their_kind_environments_and_events() -> None:
    spec = parse_world_spec(small_spec(), source="t")
    ios = spec.sdk("posthog-ios")
    assert ios.kind == "mobile"
    assert {e.os for e in ios.environments} == {"iOS", "Android"}
    assert "$screen" in ios.events


def test_digest_changes_with_the_seed_and_not_with_key_order() -> None:
    a = parse_world_spec(small_spec(), source="t")
    reordered = dict(reversed(list(small_spec().items())))
    b = parse_world_spec(reordered, source="t")
    c = parse_world_spec(small_spec(seed=8), source="t")
    assert a.digest() == b.digest()
    assert a.digest() != c.digest()


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"name": "Bad Name"}, "field 'name'"),
        ({"days": 0}, "field 'days'"),
        ({"sdks": [{"lib": "posthog-cobol", "versions": [{"version": "1"}]}]}, "unknown lib"),
        (
            {"incidents": [{"id": "x", "kind": "meteor_strike"}]},
            "field 'incidents.0'",
        ),
        (
            {"incidents": [{"id": "x", "kind": "exception", "exception": {"type": "E"}}]},
            "message",
        ),
        (
            {"incidents": [{"id": "x", "kind": "drop_events", "where": {"org": "Nobody Inc"}}]},
            "unknown org 'Nobody Inc'",
        ),
        (
            {"incidents": [{"id": "x", "kind": "flag_response", "change": {"flag": "nope"}}]},
            "not in feature_flags",
        ),
        (
            {"incidents": [{"id": "x", "kind": "drop_events", "since": "-1d", "until": "-2d"}]},
            "until must be after since",
        ),
        ({"colour": "blue"}, "field 'colour' is not a known field"),
    ],
)
def test_invalid_specs_fail_with_one_line_naming_the_field(overrides: dict, fragment: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_world_spec(small_spec(**overrides), source="worlds/bad.yaml")
    line = caught.value.one_line()
    assert "\n" not in line
    assert line.startswith("worlds/bad.yaml: ")
    assert fragment in line
    assert "evals/worlds/README.md" in line


def test_missing_spec_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        load_world_spec(tmp_path / "nope.yaml")
