"""The process's private chDB engine: worlds from any data folder, limits, error parsing."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures_hogql import small_spec
from posthog_escalation.errors import QueryError
from posthog_escalation.tools.hogql import LocalHogQL, get_engine, parse_world_spec, world_home
from posthog_escalation.tools.hogql.engine import ChEngine, EngineLimits, parse_failure


def test_one_process_opens_worlds_from_several_data_folders(
    demo_world: LocalHogQL, tmp_path: Path
) -> None:
    other = LocalHogQL.open(
        parse_world_spec(small_spec(name="elsewhere"), source="t"), home=tmp_path
    )
    assert other.world.ground_truth_path.is_relative_to(tmp_path)
    assert other.query_sync("SELECT count() FROM events").scalar() == other.world.totals.events
    assert demo_world.query_sync("SELECT count() FROM events").scalar() == (
        demo_world.world.totals.events
    )


def test_the_engine_keeps_no_data_folder_of_its_own(demo_world: LocalHogQL) -> None:
    path = demo_world.engine.rows("SELECT getServerSetting('path')")[0][0]
    assert not path.startswith(str(demo_world.world.home))


def test_the_pinned_home_wins_over_any_data_dir(hogql_home: Path, tmp_path: Path) -> None:
    assert world_home(tmp_path) == hogql_home.resolve()


def test_the_process_has_one_engine(demo_world: LocalHogQL) -> None:
    assert get_engine() is demo_world.engine


def test_clickhouse_errors_split_into_code_and_message() -> None:
    failure = parse_failure(
        RuntimeError(
            "Code: 60. DB::Exception: Unknown table expression identifier 'x' in scope "
            "SELECT * FROM x. (UNKNOWN_TABLE) (version 26.9.2.1)"
        )
    )
    assert failure.code == "UNKNOWN_TABLE"
    assert failure.message == "Unknown table expression identifier 'x' in scope SELECT * FROM x."


def test_queries_over_the_time_limit_are_stopped(demo_world: LocalHogQL) -> None:
    strict = ChEngine(EngineLimits(max_execution_seconds=0.2, readers=1))
    db = f"`{demo_world.world.database}`"
    with pytest.raises(QueryError, match="time limit"):
        strict.read(f"SELECT sum(cityHash64(a.uuid, b.uuid)) FROM {db}.events a, {db}.events b")
    strict.close()


def test_results_over_the_size_limit_are_refused(demo_world: LocalHogQL) -> None:
    strict = ChEngine(EngineLimits(max_result_rows=10, readers=1))
    db = f"`{demo_world.world.database}`"
    with pytest.raises(QueryError, match="result too large"):
        strict.read(f"SELECT uuid FROM {db}.events LIMIT 100000")
    assert strict.read("SELECT 1").data == [[1]]
    strict.close()
