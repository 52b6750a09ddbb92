"""World generation: determinism, every incident kind, reuse, and the demo's ground truth.

Incident counts in the ground truth come from the generator's staging table; the checks
here recount them from the final PostHog-shaped tables with hand-written SQL, or by
building the same world without the incident and comparing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fixtures_hogql import small_spec
from posthog_escalation.tools.hogql import (
    GroundTruth,
    LocalHogQL,
    build_world,
    get_engine,
    load_ground_truth,
    parse_world_spec,
)

GOLDEN = Path(__file__).parent / "golden" / "demo_ground_truth.json"

Build = Callable[[dict[str, Any]], LocalHogQL]

KINDS_SPEC = small_spec(
    name="kinds",
    incidents=[
        {
            "id": "crash",
            "kind": "exception",
            "since": "-3d",
            "where": {"lib": "web", "lib_version": "1.1.0"},
            "rate": 0.5,
            "exception": {"type": "Error", "message": "boom at checkout"},
        },
        {
            "id": "lost",
            "kind": "drop_events",
            "where": {"event": "$pageview", "org": "beta"},
            "rate": 0.5,
        },
        {"id": "twice", "kind": "duplicate_events", "where": {"lib": "posthog-ios"}, "rate": 0.2},
        {
            "id": "merge",
            "kind": "ingestion_warning",
            "where": {"event": "$identify"},
            "warning": {"type": "cannot_merge_already_identified", "details": {"why": "test"}},
        },
        {
            "id": "no-url",
            "kind": "property_change",
            "where": {"org": "Alpha Corp", "min_version": "1.1.0"},
            "change": {"property": "$current_url", "mode": "missing"},
        },
        {
            "id": "flag-null",
            "kind": "flag_response",
            "where": {"lib": "web"},
            "change": {"flag": "beta-feature", "mode": "missing"},
        },
    ],
)


def raw(world: LocalHogQL, sql: str) -> list[list]:
    return world.engine.rows(sql.format(db=f"`{world.world.database}`"))


@pytest.fixture(scope="module")
def kinds(build_world_from: Build) -> LocalHogQL:
    return build_world_from(KINDS_SPEC)


@pytest.fixture(scope="module")
def kinds_truth(kinds: LocalHogQL) -> GroundTruth:
    return kinds.ground_truth()


def test_world_totals_match_its_tables(kinds: LocalHogQL) -> None:
    totals = kinds.world.totals
    assert totals.events == raw(kinds, "SELECT count() FROM {db}.events")[0][0] > 500
    assert totals.persons == 26
    assert totals.organizations == 3
    assert (
        totals.sessions
        == raw(kinds, "SELECT uniqExact(`$session_id`) FROM {db}.events WHERE `$session_id` != ''")[
            0
        ][0]
    )


def test_traffic_stays_inside_the_worlds_window(kinds: LocalHogQL) -> None:
    first, last = raw(
        kinds, "SELECT toString(min(timestamp)), toString(max(timestamp)) FROM {db}.events"
    )[0]
    assert first >= "2026-06-04 12:00:00"
    assert last < "2026-06-10 12:00:00"


def test_orgs_only_use_the_sdks_they_were_given(kinds: LocalHogQL) -> None:
    libs = raw(
        kinds,
        "SELECT `$group_0`, groupUniqArray(toString(`mat_$lib`)) FROM {db}.events "
        "GROUP BY `$group_0` ORDER BY `$group_0`",
    )
    by_org = {org: set(found) for org, found in libs}
    assert by_org["beta"] == {"web"}
    assert by_org["gamma"] == {"posthog-ios"}


def test_versions_switch_when_the_rollout_starts(kinds: LocalHogQL) -> None:
    rows = raw(
        kinds,
        "SELECT toString(`mat_$lib_version`), toString(min(timestamp)), toString(max(timestamp)) "
        "FROM {db}.events WHERE `mat_$lib` = 'web' GROUP BY 1 ORDER BY 1",
    )
    spans = {version: (first, last) for version, first, last in rows}
    assert spans["1.1.0"][0] >= "2026-06-07 12:00:00"
    assert spans["1.0.0"][1] < "2026-06-08 12:00:00"


def test_exception_incident_adds_exception_events_where_and_when_specified(
    kinds: LocalHogQL, kinds_truth: GroundTruth
) -> None:
    truth = kinds_truth.incidents["crash"]
    count, persons, orgs, first, libs = raw(
        kinds,
        "SELECT count(), uniqExact(person_id), arraySort(groupUniqArray(`$group_0`)), "
        "toString(min(timestamp)), groupUniqArray(concat(`mat_$lib`, ' ', `mat_$lib_version`)) "
        "FROM {db}.events WHERE event = '$exception' "
        "AND JSONExtractString(properties, '$exception_message') = 'boom at checkout'",
    )[0]
    assert truth.events == count > 0
    assert truth.affected_persons == persons
    assert truth.org_keys == orgs
    assert first >= "2026-06-07 12:00:00"
    assert libs == ["web 1.1.0"]
    exception_list = raw(
        kinds,
        "SELECT JSONExtractRaw(properties, '$exception_list') FROM {db}.events "
        "WHERE event = '$exception' LIMIT 1",
    )[0][0]
    assert json.loads(exception_list)[0]["type"] == "Error"


def test_drop_events_incident_removes_exactly_the_counted_events(
    kinds: LocalHogQL, kinds_truth: GroundTruth, build_world_from: Build
) -> None:
    without = small_spec(
        name="kinds-nodrop", incidents=[i for i in KINDS_SPEC["incidents"] if i["id"] != "lost"]
    )
    baseline = build_world_from(without)
    query = "SELECT count() FROM {db}.events WHERE event = '$pageview' AND `$group_0` = 'beta'"
    dropped = raw(baseline, query)[0][0] - raw(kinds, query)[0][0]
    assert kinds_truth.incidents["lost"].events == dropped > 0
    assert kinds_truth.incidents["lost"].org_keys == ["beta"]


def test_duplicate_events_incident_repeats_uuids(
    kinds: LocalHogQL, kinds_truth: GroundTruth
) -> None:
    duplicated = raw(
        kinds,
        "SELECT count() FROM (SELECT uuid FROM {db}.events GROUP BY uuid HAVING count() > 1)",
    )[0][0]
    assert kinds_truth.incidents["twice"].events == duplicated > 0
    assert kinds_truth.incidents["twice"].lib_versions[0][0] == "posthog-ios"


def test_ingestion_warning_incident_writes_one_warning_per_hit_event(
    kinds: LocalHogQL, kinds_truth: GroundTruth
) -> None:
    rows = raw(
        kinds,
        "SELECT JSONExtractString(details, 'eventUuid'), JSONExtractString(details, 'why') "
        "FROM {db}.ingestion_warnings WHERE type = 'cannot_merge_already_identified'",
    )
    identifies = raw(kinds, "SELECT toString(uuid) FROM {db}.events WHERE event = '$identify'")
    assert kinds_truth.incidents["merge"].events == len(rows) > 0
    assert {uuid for uuid, _ in rows} <= {u for (u,) in identifies}
    assert {why for _, why in rows} == {"test"}


def test_property_change_incident_removes_the_property_from_that_version_on(
    kinds: LocalHogQL, kinds_truth: GroundTruth
) -> None:
    missing = raw(
        kinds,
        "SELECT count(), groupUniqArray(toString(`mat_$lib_version`)) FROM {db}.events "
        "WHERE `mat_$lib` = 'web' AND NOT JSONHas(properties, '$current_url')",
    )[0]
    assert kinds_truth.incidents["no-url"].events == missing[0] > 0
    assert missing[1] == ["1.1.0"]
    kept = raw(
        kinds,
        "SELECT count() FROM {db}.events WHERE `mat_$lib` = 'web' AND `$group_0` != 'alpha' "
        "AND NOT JSONHas(properties, '$current_url')",
    )[0][0]
    assert kept == 0


def test_flag_response_incident_drops_the_response_for_that_flag(
    kinds: LocalHogQL, kinds_truth: GroundTruth
) -> None:
    missing = raw(
        kinds,
        "SELECT count() FROM {db}.events WHERE event = '$feature_flag_called' "
        "AND `mat_$feature_flag` = 'beta-feature' "
        "AND NOT JSONHas(properties, '$feature_flag_response')",
    )[0][0]
    assert kinds_truth.incidents["flag-null"].events == missing > 0


def test_same_spec_and_seed_give_identical_worlds_and_ground_truth(hogql_home: Path) -> None:
    spec = parse_world_spec(small_spec(name="twin", incidents=KINDS_SPEC["incidents"]), source="t")
    a = build_world(spec, home=hogql_home, database="w_twin_a")
    b = build_world(spec, home=hogql_home, database="w_twin_b")
    assert a.ground_truth_path.read_bytes() == b.ground_truth_path.read_bytes()
    engine = get_engine()
    fingerprint = (
        "SELECT count(), sum(cityHash64(uuid, event, properties, timestamp, distinct_id, "
        "person_id, person_properties, `$session_id`, `$group_0`)) FROM `{db}`.events"
    )
    assert engine.rows(fingerprint.format(db="w_twin_a")) == engine.rows(
        fingerprint.format(db="w_twin_b")
    )
    for table in ("persons", "groups", "sessions", "ingestion_warnings"):
        q = f"SELECT count(), sum(cityHash64(*)) FROM `{{db}}`.{table}"
        assert engine.rows(q.format(db="w_twin_a")) == engine.rows(q.format(db="w_twin_b"))


def test_a_different_seed_gives_different_traffic(build_world_from: Build) -> None:
    a = build_world_from(small_spec(name="seeded", seed=1))
    b = build_world_from(small_spec(name="seeded-other", seed=2))
    q = "SELECT sum(cityHash64(uuid)) FROM {db}.events"
    assert raw(a, q) != raw(b, q)


def test_building_again_reuses_the_world(hogql_home: Path, kinds: LocalHogQL) -> None:
    again = build_world(parse_world_spec(KINDS_SPEC, source="t"), home=hogql_home)
    assert again.reused
    assert again.database == kinds.world.database
    assert again.totals == kinds.world.totals


def test_a_changed_spec_gets_a_new_world_and_the_old_one_is_deleted(hogql_home: Path) -> None:
    first = build_world(parse_world_spec(small_spec(name="changing"), source="t"), home=hogql_home)
    second = build_world(
        parse_world_spec(small_spec(name="changing", days=5), source="t"), home=hogql_home
    )
    databases = {name for (name,) in get_engine().rows("SELECT name FROM system.databases")}
    assert first.database != second.database
    assert second.database in databases
    assert first.database not in databases
    assert not first.ground_truth_path.parent.exists()
    assert second.ground_truth_path.is_file()


def test_progress_reports_steps_up_to_done(hogql_home: Path) -> None:
    steps: list[tuple[str, float]] = []
    build_world(
        parse_world_spec(small_spec(name="progress"), source="t"),
        home=hogql_home,
        force=True,
        progress=lambda label, done: steps.append((label, done)),
    )
    assert steps[0][0] == "staging"
    assert steps[-1] == ("done", 1.0)
    assert [d for _, d in steps] == sorted(d for _, d in steps)


# -- the demo world -------------------------------------------------------------------------


def test_demo_world_has_the_promised_shape(demo_world: LocalHogQL) -> None:
    totals = demo_world.world.totals
    assert 200_000 <= totals.events <= 400_000
    assert totals.organizations == 12
    days = raw(demo_world, "SELECT uniqExact(toDate(timestamp)) FROM {db}.events")[0][0]
    assert days == 22  # 21 days from 12:00 on day one to 12:00 on the last
    browsers = {
        b for (b,) in raw(demo_world, "SELECT DISTINCT toString(`mat_$browser`) FROM {db}.events")
    }
    assert {"Safari", "Chrome", "Firefox", "Microsoft Edge"} <= browsers
    libs = {b for (b,) in raw(demo_world, "SELECT DISTINCT toString(`mat_$lib`) FROM {db}.events")}
    assert libs == {
        "web",
        "posthog-node",
        "posthog-python",
        "posthog-ios",
        "posthog-android",
        "posthog-react-native",
        "posthog-flutter",
    }


def test_demo_rollout_northwind_first_tyrell_never(demo_world: LocalHogQL) -> None:
    first_new = dict(
        raw(
            demo_world,
            "SELECT `$group_0`, toString(min(timestamp)) FROM {db}.events "
            "WHERE `mat_$lib_version` = '1.201.0' GROUP BY `$group_0`",
        )
    )
    assert first_new["northwind-health"].startswith("2026-11-14 0")
    assert first_new["northwind-health"] >= "2026-11-14 06:00:00"
    assert "tyrell-travel" not in first_new
    assert all(ts >= "2026-11-14" and ts < "2026-11-16 12" for ts in first_new.values())


def test_demo_replay_regression_truth_matches_the_final_events(demo_world: LocalHogQL) -> None:
    truth = demo_world.ground_truth().incidents["replay-safari-regression"]
    count, persons, sessions, orgs, first, last, envs = raw(
        demo_world,
        "SELECT count(), uniqExact(person_id), uniqExact(`$session_id`), "
        "arraySort(groupUniqArray(`$group_0`)), "
        "toString(min(timestamp)), toString(max(timestamp)), "
        "arraySort(groupUniqArray(concat(`mat_$lib_version`, '/', `mat_$browser`))) "
        "FROM {db}.events WHERE event = '$exception' "
        "AND JSONExtractString(properties, '$exception_message') LIKE '%adoptedStyleSheets%'",
    )[0]
    assert (truth.events, truth.affected_persons, truth.affected_sessions) == (
        count,
        persons,
        sessions,
    )
    assert truth.org_keys == orgs
    assert "northwind-health" in orgs and "tyrell-travel" not in orgs
    assert truth.first_seen == datetime.fromisoformat(first).replace(tzinfo=UTC)
    assert truth.last_seen == datetime.fromisoformat(last).replace(tzinfo=UTC)
    assert truth.first_seen >= datetime(2026, 11, 14, 9, tzinfo=UTC)
    assert envs == ["1.201.0/Mobile Safari", "1.201.0/Safari"]
    assert sum(truth.events_by_day.values()) == truth.events


def test_demo_ground_truth_matches_the_golden_file(demo_world: LocalHogQL) -> None:
    """Regenerate after an intended generator change with
    ``posthog-escalation world truth --json > tests/tools/hogql/golden/demo_ground_truth.json``
    and review the diff."""
    golden = GroundTruth.model_validate_json(GOLDEN.read_text(encoding="utf-8"))
    assert load_ground_truth(demo_world.world) == golden
